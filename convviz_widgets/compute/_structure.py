"""What a Keras model *is*, read without running it: its sub-layers, kernels and input shape.

The static facts every other module of the model index builds on (:mod:`._access` lists layers
with them, :mod:`._model_trace` patches the layers they find, :mod:`._trace` traces the model):
nothing here runs the model or patches a layer.
"""

from __future__ import annotations

import keras
import numpy as np

__all__ = ["ModelNotBuiltError", "normalized_kernel"]


class ModelNotBuiltError(ValueError):
    """The model has no known input shape yet."""


def _children(layer) -> list:
    """Direct sub-layers of a container, in the order Keras tracks them."""
    if isinstance(layer, keras.Model):
        return [c for c in layer.layers if not isinstance(c, keras.layers.InputLayer)]
    flatten = getattr(layer, "_flatten_layers", None)
    if flatten is None:
        return []
    try:
        return [c for c in flatten(include_self=False, recursive=False)
                if not isinstance(c, keras.layers.InputLayer)]
    except TypeError:  # an older signature; custom containers are rare enough to skip
        return []


def normalized_kernel(layer) -> np.ndarray | None:
    """The layer's 2-D convolution kernel as ``(kh, kw, cin, cout)`` float32, or ``None``.

    * ``Conv2D``: as stored.
    * ``Conv2DTranspose``: Keras stores ``(kh, kw, out, in)``; we swap the last two axes so that
      ``cin`` is what the layer reads and ``cout`` what it writes, like a ``Conv2D``.
    * ``DepthwiseConv2D``: stored ``(kh, kw, cin, multiplier)``; output channel ``c * m + j``
      reads only input channel ``c``, so it is returned as ``(kh, kw, 1, cin * m)``.
    * ``SeparableConv2D``: the *effective* kernel ``(kh, kw, cin, cout)``, the depthwise kernel
      composed with the pointwise 1×1 mixing:
      ``K[..., c, o] = Σ_j dw[..., c, j] · pw[c·m + j, o]``.
      The layer is linear before its bias, so a plain convolution with ``K`` (same strides,
      padding, dilation) plus the bias *is* the layer's output, and filter ``o`` is the pattern
      that output channel ``o`` responds to (the depthwise kernel alone has ``cin · m`` filters,
      which do not line up with the ``cout`` output channels).
    """
    cls = type(layer).__name__
    if isinstance(layer, keras.layers.SeparableConv2D):
        dw = np.asarray(keras.ops.convert_to_numpy(layer.depthwise_kernel), dtype=np.float64)
        pw = np.asarray(keras.ops.convert_to_numpy(layer.pointwise_kernel), dtype=np.float64)
        kh, kw, cin, mult = dw.shape
        pw = pw.reshape(cin, mult, -1)  # (1, 1, cin*m, cout) -> (cin, m, cout), row c*m + j
        # float64 accumulation: the effective kernel is compared with the layer's own output.
        return np.einsum("hwcj,cjo->hwco", dw, pw).astype(np.float32)
    if isinstance(layer, keras.layers.DepthwiseConv2D):
        w = layer.depthwise_kernel if hasattr(layer, "depthwise_kernel") else layer.kernel
        w = np.asarray(keras.ops.convert_to_numpy(w), dtype=np.float32)
        kh, kw, cin, mult = w.shape
        # (kh, kw, cin, m) -> (kh, kw, 1, cin*m): output channel c*m + j in Keras' order.
        return w.reshape(kh, kw, 1, cin * mult)
    kernel = getattr(layer, "kernel", None)
    if kernel is None or len(kernel.shape) != 4:
        return None
    w = np.asarray(keras.ops.convert_to_numpy(kernel), dtype=np.float32)
    if isinstance(layer, keras.layers.Conv2DTranspose) or cls == "Conv2DTranspose":
        w = np.transpose(w, (0, 1, 3, 2))  # (kh, kw, out, in) -> (kh, kw, in, out)
    return w


def _kernel_shape(layer) -> tuple | None:
    if isinstance(layer, keras.layers.SeparableConv2D):
        kh, kw, cin, _ = (int(d) for d in layer.depthwise_kernel.shape)
        return (kh, kw, cin, int(layer.pointwise_kernel.shape[-1]))
    if isinstance(layer, keras.layers.DepthwiseConv2D):
        kh, kw, cin, mult = layer.depthwise_kernel.shape if hasattr(layer, "depthwise_kernel") \
            else layer.kernel.shape
        return (int(kh), int(kw), 1, int(cin) * int(mult))
    kernel = getattr(layer, "kernel", None)
    if kernel is None or len(kernel.shape) != 4:
        return None
    kh, kw, a, b = (int(d) for d in kernel.shape)
    if isinstance(layer, keras.layers.Conv2DTranspose):
        return (kh, kw, b, a)
    return (kh, kw, a, b)


def _input_shape(model) -> tuple:
    """The model's input shape with batch ``None``, or a :class:`ModelNotBuiltError`."""
    inputs = None
    try:
        inputs = model.inputs
    except (AttributeError, ValueError):
        inputs = None
    if inputs:
        if len(inputs) != 1:
            raise ValueError(
                f"Model {model.name!r} has {len(inputs)} inputs; convviz_widgets works on image "
                "models with one image input. Wrap the image branch in its own keras.Model and "
                "pass that.")
        return (None,) + tuple(inputs[0].shape[1:])
    shapes = getattr(model, "_build_shapes_dict", None)
    if shapes:
        shape = next(iter(shapes.values()))
        if isinstance(shape, (tuple, list)) and shape and isinstance(shape[0], (tuple, list)):
            shape = shape[0]
        if shape is not None and len(shape) >= 2:
            return (None,) + tuple(shape[1:])
    raise ModelNotBuiltError(
        f"Model {model.name!r} has never been built, so its input shape is unknown. Build it "
        "first: call `model.build((None, height, width, channels))`, or run it once on a batch "
        "(`model(images[:1])`), or give it an input (`keras.Input(shape=(h, w, c))` as the first "
        "layer of a Sequential).")


def _has_inputs(model) -> bool:
    try:
        return bool(model.inputs)
    except (AttributeError, ValueError):
        return False
