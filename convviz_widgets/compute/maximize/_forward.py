"""What one ascent step computes forward: the features an objective reads, and the one-channel
fast path.

:func:`features` runs the model on the (transformed) images and returns the outputs the
objective names — class logits before the softmax, a hidden Dense unit before its activation.
For a channel objective on a plain ``Conv2D`` (or a standalone ReLU), :func:`fast_target` and
:func:`selected_preactivation` compute only each row's own channel from the layer's input,
instead of the whole layer (see their docstrings for why and how much it saves).
"""

from __future__ import annotations

import keras
from keras import ops

from .._access import model_input
from .._model_trace import run_model
from ._logits import LOGITS, logit_features
from .objectives import Channel, Negative, Neuron, Objective, row_channel, row_unit

__all__ = ["features", "dense_units", "is_relu", "fast_target", "selected_preactivation",
           "report_value"]


def _model_input(acc, x, preprocess, model_hw):
    if model_hw is not None and tuple(x.shape[1:3]) != tuple(model_hw):
        # A fixed-size model sees the image resized (DeepDream octaves on a fixed-size model).
        x = ops.image.resize(x, model_hw, interpolation="bilinear")
    return model_input(acc, x, preprocess)


def dense_units(acc, paths) -> tuple:
    """The paths among ``paths`` that are hidden ``Dense`` layers with an activation.

    Maximising such a unit reads its *pre-activation* ``x @ kernel + bias``, as a class is read
    by its logit: after a ReLU, a unit that is off on the start image scores 0 for every
    nearby image and has no gradient, so the ascent would never start (and a sigmoid/tanh
    unit saturates).
    """
    out = []
    for p in paths:
        if p == LOGITS:
            continue
        layer = acc.layer(p)
        act = getattr(layer, "activation", None)
        kernel = getattr(layer, "kernel", None)
        if type(layer) is keras.layers.Dense and act is not None and \
                act is not keras.activations.linear and kernel is not None and \
                len(kernel.shape) == 2 and "float" in str(kernel.dtype):
            out.append(p)
    return tuple(out)


def features(acc, x, paths, preprocess, model_hw, dense_pre: tuple = ()):
    """``{path: float32 output}`` of ``paths``; :data:`LOGITS` is the model's class scores
    before its softmax / sigmoid (see :func:`~.objectives.class_logit`), and each path of
    ``dense_pre`` (:func:`dense_units`) is its Dense layer's pre-activation."""
    x = _model_input(acc, x, preprocess, model_hw)
    layers_ = tuple(p for p in paths if p != LOGITS)
    if LOGITS not in paths:
        _, captured = run_model(acc, x, layers_, capture_inputs=dense_pre)
        logits = None
    else:
        captured, logits = logit_features(acc, x, layers_, capture_inputs=dense_pre)
    missing = [p for p in layers_ if p not in captured]
    if missing:
        raise ValueError(f"Layers {missing} did not run in a forward pass of the model, so they "
                         "cannot be maximised; pick a layer the model's call() uses.")
    feats = {p: ops.cast(captured[p], "float32") for p in layers_}
    for p in dense_pre:
        layer, inp = acc.layer(p), captured.get(("input", p))
        if inp is None or len(inp.shape) != 2:
            continue  # a Dense on a sequence: its output is what there is
        z = ops.matmul(ops.cast(inp, layer.kernel.dtype), layer.kernel)  # (n, units)
        if layer.bias is not None:
            z = z + layer.bias
        feats[p] = ops.cast(z, "float32")
    if logits is not None:
        feats[LOGITS] = logits
    return feats


def is_relu(fn) -> bool:
    return fn is keras.activations.relu or getattr(fn, "__name__", "") == "relu"


def fast_target(acc, objective: Objective, report_path: str | None):
    """``(kind, layer)`` when the step can compute each row's own channel itself, else None.

    A channel (or centre-neuron) objective needs one of the target layer's channels per image.

    * ``"conv"``: a plain ``Conv2D``. Running it computes all ``cout`` channels — and the
      backward pass pushes a gradient through all of them too; for an early layer that is most
      of the step (VGG16's block1_conv2 is 95 % of the forward cost up to it). The step takes the
      layer's *input* instead and computes only the selected channel of each image (see
      :func:`selected_preactivation`).
    * ``"relu"``: a standalone ReLU (``ReLU()`` or ``Activation("relu")``, as after BatchNorm
      or a residual addition). Nothing to save, but its input is the pre-activation, which the
      dead-start remedy needs (see :func:`build_step`).
    """
    if report_path is None or type(objective) not in (Channel, Neuron, Negative):
        return None
    if objective.layer != report_path or objective.index is not None:
        return None
    layer = acc.layer(report_path)
    if type(layer) is keras.layers.Conv2D:  # subclasses may change call()
        if getattr(layer, "groups", 1) != 1 or getattr(layer, "data_format",
                                                        "") != "channels_last":
            return None
        kernel = getattr(layer, "kernel", None)
        if kernel is None or len(kernel.shape) != 4 or "float" not in str(kernel.dtype):
            return None  # e.g. a quantised kernel: leave it to the layer's own call()
        strides, dilation = tuple(layer.strides), tuple(layer.dilation_rate)
        if strides[0] != strides[1] or (max(strides) > 1 and max(dilation) > 1):
            # A depthwise convolution (see selected_preactivation) takes equal strides only,
            # and computes another output size for stride and dilation together (which Keras
            # refuses anyway): such a layer runs its own call(), correct but not faster.
            return None
        return "conv", layer
    if type(layer) is keras.layers.Activation and is_relu(layer.activation):
        return "relu", layer
    if type(layer) is keras.layers.ReLU and layer.max_value is None and \
            not float(layer.negative_slope) and not float(layer.threshold):
        return "relu", layer
    return None


def _layer_input(acc, path, x, preprocess, model_hw):
    """The tensor layer ``path`` receives (first call) when the model runs on display images
    ``x``. The model's own output is unused, so the graph prunes everything after the input."""
    _, got = run_model(acc, _model_input(acc, x, preprocess, model_hw), (), capture_inputs=[path])
    inp = got.get(("input", path))
    if inp is None:
        raise ValueError(f"Layer {path!r} did not run in a forward pass of the model, so it "
                         "cannot be maximised; pick a layer the model's call() uses.")
    return inp


def selected_preactivation(acc, kind, path, x, filters, preprocess, model_hw):
    """``(z, activation)``: ``z`` ``(n, h, w, 1)`` is channel ``filters[i]`` of layer ``path``'s
    pre-activation for image ``i`` only; ``activation(z)`` is the layer's output channel.

    For a ``Conv2D`` every image needs its *own* filter, i.e. a different kernel per batch row.
    The images are laid side by side along channels, ``(n, h, w, cin) -> (1, h, w, n*cin)``, and
    convolved *depthwise* with each image's kernel slice (channel ``i*cin + c`` by
    ``kernel[..., c, filters[i]]``); summing each image's ``cin`` outputs gives its channel.

    Why depthwise and not one grouped ``conv2d`` with ``n`` groups (the same arithmetic):
    TensorFlow's CPU build has no gradient for grouped convolutions unless oneDNN is on, and
    oneDNN is off by default on most AMD, older Intel and ARM CPUs ("Gradients for grouped
    convolutions are not supported on CPU"). Depthwise convolution has CPU and GPU kernels for
    both passes everywhere. Timed alone (forward + input gradient, VGG16 block1/3/5 shapes at
    128 px, 4 and 32 images, 2-core AMD EPYC) it took 0.4-0.8x the grouped convolution's time
    with oneDNN on (3x on 8x8 maps of 4 images, where both take a few milliseconds), and 1/4
    to 1/75 of running the whole layer and picking one channel with oneDNN off.
    """
    layer = acc.layer(path)
    inp = _layer_input(acc, path, x, preprocess, model_hw)
    if kind == "relu":
        z = row_channel(inp, filters)[..., None]  # (n, h, w) -> (n, h, w, 1)
        return z, ops.relu
    kernel = ops.cast(layer.kernel, inp.dtype)
    kh, kw, cin = (int(d) for d in kernel.shape[:3])
    shape = ops.shape(inp)
    h, w = shape[1], shape[2]
    stacked = ops.reshape(ops.transpose(inp, (1, 2, 0, 3)), (1, h, w, -1))  # (1, h, w, n*cin)
    k = ops.transpose(ops.take(kernel, filters, axis=3), (0, 1, 3, 2))  # (kh, kw, n, cin)
    k = ops.reshape(k, (kh, kw, -1, 1))  # one 2-D filter per stacked channel
    zc = ops.depthwise_conv(stacked, k, strides=tuple(int(v) for v in layer.strides),
                            padding=layer.padding,
                            dilation_rate=tuple(int(v) for v in layer.dilation_rate))
    out = ops.shape(zc)  # (1, h', w', n*cin)
    z = ops.sum(ops.reshape(zc, (out[1], out[2], -1, cin)), axis=3)  # (h', w', n)
    z = ops.transpose(z, (2, 0, 1))[..., None]  # -> (n, h', w', 1)
    if layer.use_bias:
        b = ops.take(ops.cast(layer.bias, z.dtype), filters)
        z = z + ops.reshape(b, (-1, 1, 1, 1))  # (n,) -> (n, 1, 1, 1)
    return z, (layer.activation or (lambda t: t))


def report_value(feats, report_path, filters, value):
    if report_path is None:
        return value
    f = feats[report_path]
    if len(f.shape) == 2:  # a Dense layer or the class scores: each row's own unit
        return row_unit(f, filters)
    # Each row's own channel, averaged over positions: "the filter's mean activation".
    return ops.mean(row_channel(f, filters), axis=(1, 2))
