"""How a Keras model looks and how it is run: the one model trace and ALL layer patching.

Why one mechanism and not "a sub-model where a graph exists": a Keras 3 sub-model built from
``inner_layer.output`` fails for nested models (the inner layer's symbolic output belongs to the
backbone's own graph, not to the outer model's inputs — "Graph disconnected"), for layers called
more than once, and for subclassed models (no symbolic graph at all). Every model style, however,
ends up calling ``layer.call`` of each layer it runs. So we capture outputs by wrapping ``call`` on
the layer *instances* we want, for the duration of one forward pass. Run inside ``tf.function``
this patching happens only while tracing; the traced graph simply returns the intermediate tensors
as extra outputs, so a capture costs one forward pass, and gradients with respect to a captured
tensor are available through ``tf.GradientTape`` because the captured tensor *is* the tensor the
rest of the model consumed.

The same wrapping can *replace* a layer's output (``run_model(..., replace={path: tensor})``):
the part of the model before that layer then feeds nothing the output needs, and TensorFlow's
graph pruning drops it. That is how a Grad-CAM class switch re-runs only the head.

This module is the only place that traces the model for facts (:func:`trace_model`: every
layer's output shape and call count, the completion order, which layer produces each output and
whether it ends in softmax/sigmoid) and the only place that patches layers, for capture and
replacement (:func:`run_model`) and for reading logits (:class:`linear_final`). Layer listing
and resolution live in :mod:`._access`, cache identities in :mod:`._identity`.
"""


from __future__ import annotations

import functools
import threading
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Mapping

import keras
import numpy as np
import tensorflow as tf

__all__ = ["ModelNotBuiltError", "ModelTrace", "OutputInfo", "float_feed", "linear_final",
           "normalized_kernel", "run_model", "tf_function", "trace_model"]

# Patching instance attributes is global state: two threads tracing at once would see each other's
# wrappers. Only tracing (or an eager run) holds the lock; executing a traced graph does not.
_PATCH_LOCK = threading.RLock()

_PROBABILITY_ACTIVATIONS = ("softmax", "sigmoid")


class ModelNotBuiltError(ValueError):
    """The model has no known input shape yet."""


# ------------------------------------------------------------------------------ structure
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


# ---------------------------------------------------------------------------------- trace
@dataclass(frozen=True)
class OutputInfo:
    """One output of the model, and how its class scores and probabilities are read.

    Attributes
    ----------
    name : str
        The output's name (``model.output_names``, the dict key, or its last layer's name).
    shape : tuple
        Output shape with the batch dimension as ``None``.
    final_path : str or None
        The layer whose output *is* this output.
    activation : str or None
        ``"softmax"`` or ``"sigmoid"`` when that layer applies one.
    logit_from : str or None
        How the logit is read: ``"patch"`` (drop the layer's activation while tracing,
        :class:`linear_final`) or ``"input"`` (read the input of an ``Activation``/``Softmax``
        layer).
    kind : str
        What the output *means*:

        * ``"softmax"``: probabilities over classes; classes are explained by the logits.
        * ``"binary"``: one sigmoid unit, read as two classes: class 1 has probability ``p``
          and is explained by the logit ``z``; class 0 has ``1 - p`` and is explained by ``-z``.
        * ``"multilabel"``: several sigmoid units, each its own yes/no (no softmax across
          units), each explained by its logit.
        * ``"scores"``: anything else (raw logits, regression, a segmentation map);
          probabilities are the softmax of several scores unless they already are probabilities.
    """

    name: str
    shape: tuple
    final_path: str | None
    activation: str | None
    logit_from: str | None
    kind: str

    @property
    def num_classes(self) -> int | None:
        """Classes a target index may name: 2 for a binary output, the last axis otherwise
        (1 for an output without one, ``None`` when it is unknown)."""
        if self.kind == "binary":
            return 2
        if len(self.shape) <= 1:
            return 1
        return self.shape[-1]


@dataclass(frozen=True)
class ModelTrace:
    """What one symbolic trace of the model tells (see :func:`trace_model`).

    Attributes
    ----------
    order : tuple of str
        Layer paths in the order their first call *completed* (a nested backbone after its last
        layer).
    shapes : dict
        ``{path: output shape of the first call}``, batch as ``None``; ``()`` for a non-tensor.
        Layers that did not run are missing.
    calls : dict
        ``{path: how many times the layer ran}``.
    outputs : tuple of OutputInfo
        The model's outputs, in ``tf.nest.flatten`` order.
    structured : bool
        True when the model returns a list/tuple/dict rather than one tensor.
    """

    order: tuple
    shapes: dict
    calls: dict
    outputs: tuple
    structured: bool


def _activation_name(layer) -> str | None:
    if type(layer).__name__ == "Softmax":
        return "softmax"
    name = getattr(getattr(layer, "activation", None), "__name__", None)
    return name if name in _PROBABILITY_ACTIVATIONS else None


def _output_kind(activation: str | None, shape: tuple) -> str:
    units = shape[-1] if len(shape) >= 2 else 1
    if activation == "softmax":
        return "softmax"
    if activation == "sigmoid":
        return "binary" if units == 1 else "multilabel"
    return "scores"


def _output_names(model, out, n: int, finals: list) -> list[str]:
    if isinstance(out, dict):
        return [str(k) for k in sorted(out)]  # tf.nest.flatten orders a dict by key
    names = list(getattr(model, "output_names", None) or [])
    if len(names) == n and len(set(names)) == n:
        return [str(x) for x in names]
    names = [f.split("/")[-1] if f else f"output_{i}" for i, f in enumerate(finals)]
    return names if len(set(names)) == n else [f"output_{i}" for i in range(n)]


def trace_model(acc) -> ModelTrace:
    """Trace (not run) the model once and record what every view needs to know about it.

    Tracing gives every layer's static output shape for all model styles without computing
    anything. :meth:`ModelAccess.trace <convviz_widgets.compute.ModelAccess.trace>` keeps the
    result; call that instead of this.
    """
    rec: dict[str, Any] = {}

    def fn(x):
        out, cap = run_model(acc, x, acc.paths, all_calls=True)
        flat = tf.nest.flatten(out)
        rec["order"] = tuple(cap)
        rec["shapes"] = {p: [tuple(o.shape) if hasattr(o, "shape") else () for o in outs]
                         for p, outs in cap.items()}
        # The layer whose output tensor *is* the model output (the first to finish with it).
        rec["finals"] = [next((p for p, outs in cap.items() if any(o is t for o in outs)), None)
                         for t in flat]
        rec["outs"] = [tuple(t.shape) if hasattr(t, "shape") else () for t in flat]
        rec["structured"] = not (len(flat) == 1 and flat[0] is out)
        rec["names"] = _output_names(acc.model, out, len(flat), rec["finals"])
        return tf.zeros(())

    # What model_input feeds: float32, also to an integer Input that takes floats (float_feed).
    dtype = tf.float32 if float_feed(acc) or not _has_inputs(acc.model) else \
        acc.model.inputs[0].dtype
    # Traced at the size the model declares or was built on, not at "any size": a subclassed
    # model that takes any size may still do Python arithmetic on its input's static shape.
    spec = tf.TensorSpec((1,) + tuple(acc.built_shape[1:]), dtype)
    tf.function(fn).get_concrete_function(spec)
    shapes = {p: ((None,) + tuple(s[0][1:])) if s and s[0] else ()
              for p, s in rec["shapes"].items()}
    calls = {p: len(s) for p, s in rec["shapes"].items()}
    outputs = []
    for name, shape, final in zip(rec["names"], rec["outs"], rec["finals"]):
        shape = (None,) + tuple(shape[1:])
        layer = acc.layer(final) if final is not None else None
        act = _activation_name(layer) if layer is not None else None
        # A Dense/Conv layer's activation can be set to the identity while tracing; an
        # Activation or Softmax layer *is* the activation, so its input is the logit.
        how = None if act is None else (
            "input" if type(layer).__name__ in ("Softmax", "Activation") else "patch")
        outputs.append(OutputInfo(name, shape, final, act, how, _output_kind(act, shape)))
    return ModelTrace(rec["order"], shapes, calls, tuple(outputs), rec["structured"])


# ------------------------------------------------------------------------------- patching
def tf_function(fn: Callable | None = None, /, **kwargs):
    """``tf.function`` for a function built per layer or settings (a closure); call or decorator.

    TensorFlow keeps its "frequent retracing" statistics per *code object*, so all closures one
    builder makes (one per layer path, say) count as a single function: tracing each of them
    once, as intended, prints "N out of the last M calls to <fn> triggered tf.function
    retracing" after a few layers. Compiling a ``functools.partial`` of the closure gives each
    compiled function statistics of its own, so only a real retrace of one function warns.
    """
    if fn is None:
        return lambda f: tf_function(f, **kwargs)
    return tf.function(functools.partial(fn), **kwargs)


def run_model(
    model_or_access,
    x,
    capture: Iterable[str] = (),
    *,
    replace: Mapping[str, Any] | None = None,
    training: bool = False,
    all_calls: bool = False,
    capture_inputs: Iterable[str] = (),
    wrap_calls: Mapping[str, Callable] | None = None,
):
    """Run the model on ``x``, capturing (and optionally replacing) layer outputs.

    Call it inside ``tf.function`` (the wrappers then exist only while tracing) or eagerly, inside
    a ``tf.GradientTape`` when gradients with respect to captured tensors are wanted.

    Parameters
    ----------
    model_or_access : keras.Model or ModelAccess
    x : tensor
        Model input (already preprocessed, :func:`~._preprocess.model_input`). A model with an
        integer ``Input`` takes it as float32 0–255 values, so gradients reach it
        (:func:`float_feed`).
    capture : iterable of str
        Layer paths whose outputs to return.
    replace : mapping of str to tensor, optional
        Layer paths whose (first-call) output is replaced by the given tensor; the layer's own
        computation is skipped.
    training : bool
        Passed to the model call.
    all_calls : bool
        Return every call's output (a list) instead of only the first call's.
    capture_inputs : iterable of str
        Layer paths whose *input* (the first positional argument of the layer's first call)
        to return, under the key ``("input", path)``. The maximizer reads a convolution's input
        to compute only the channel it optimises.
    wrap_calls : mapping of str to callable, optional
        ``{path: wrapper}`` with ``wrapper(layer, call) -> call``: the layer runs the returned
        function instead of its own ``call`` (for this forward pass only). This is how guided
        backpropagation gives every ReLU of the model a different gradient
        (:mod:`convviz_widgets.compute.cam._pixel`). The wrapped call's output is what
        ``capture`` returns.

    Returns
    -------
    output : tensor
        The model's output.
    captured : dict
        ``{path: tensor}`` (or ``{path: [tensor, ...]}`` with ``all_calls``), plus
        ``{("input", path): tensor}`` for ``capture_inputs``. A path whose layer did not run is
        missing.

    Examples
    --------
    >>> acc = access(model)                                         # doctest: +SKIP
    >>> y, feats = run_model(acc, x, ["vgg16/block3_conv1"])        # doctest: +SKIP
    """
    from ._access import access  # the index of layers (which imports this module)

    acc = access(model_or_access)
    replace = dict(replace or {})
    want_inputs = set(capture_inputs)
    wrap_calls = dict(wrap_calls or {})
    wanted = set(capture) | set(replace) | want_inputs | set(wrap_calls)
    store: dict[str, list] = {}
    inputs: dict[tuple, Any] = {}
    # Asked before any layer is wrapped: the check runs the model, and must capture nothing.
    as_float = float_feed(acc)
    with _PATCH_LOCK:
        patched = []
        try:
            for path in wanted:
                layer = acc.layer(path)
                original = layer.call
                if path in wrap_calls:
                    original = wrap_calls[path](layer, original)

                def wrapped(*args, __orig=original, __path=path, **kwargs):
                    if __path in want_inputs and ("input", __path) not in inputs:
                        inputs[("input", __path)] = args[0] if args else kwargs.get("inputs")
                    if __path in replace and not store.get(__path):
                        out = replace[__path]
                    else:
                        out = __orig(*args, **kwargs)
                    store.setdefault(__path, []).append(out)
                    return out

                # object.__setattr__ skips Keras' attribute tracking: the wrapper is not a weight.
                object.__setattr__(layer, "call", wrapped)
                patched.append(layer)
            if as_float:
                with _float_inputs(acc.model):
                    output = acc.model(x, training=training)
            else:
                output = acc.model(x, training=training)
        finally:
            for layer in patched:
                try:
                    object.__delattr__(layer, "call")
                except AttributeError:  # pragma: no cover
                    pass
    if all_calls:
        captured = {p: v for p, v in store.items() if p in capture or p in replace}
    else:
        captured = {p: v[0] for p, v in store.items() if v and (p in capture or p in replace)}
    captured.update(inputs)
    missing = [p for p in replace if p not in store]
    if missing:
        raise ValueError(f"Layers {missing} did not run in a forward pass of the model; they "
                         "cannot be replaced.")
    return output, captured


# ------------------------------------------------------------------ integer-typed inputs
def _integer_inputs(model) -> list:
    """Everything that makes ``model`` cast its input to an integer type.

    A ``keras.Input(..., dtype="uint8")`` is remembered in two places: the functional graph's
    input ``KerasTensor`` (``Functional`` converts what it is called with to that dtype) and a
    Sequential's ``InputLayer`` (``Sequential.input_dtype`` reads it). Models nested as layers
    keep their own.
    """
    found, seen, stack = [], set(), [model]
    while stack:
        m = stack.pop()
        if id(m) in seen:
            continue
        seen.add(id(m))
        tensors = list(getattr(m, "_inputs", None) or [])
        functional = getattr(m, "_functional", None)
        if functional is not None:
            tensors += list(getattr(functional, "_inputs", None) or [])
        for obj in tensors + [l for l in getattr(m, "_layers", None) or []
                              if isinstance(l, keras.layers.InputLayer)]:
            dt = getattr(obj, "_dtype", None)
            if isinstance(dt, str) and tf.as_dtype(dt).is_integer and id(obj) not in seen:
                seen.add(id(obj))
                found.append(obj)
        stack += [c for c in _children(m) if isinstance(c, keras.Model)]
    return found


class _float_inputs:
    """Let a model with an integer ``Input`` take a float32 input as it is (hold the patch lock).

    Keras casts the input to the ``Input``'s dtype, and a cast to an integer has no gradient:
    Grad-CAM, saliency and the maximizer would see zero gradients (and a float image in [0, 1]
    would become black). Every layer after such an ``Input`` computes in float anyway
    (``Rescaling``, ``Conv2D`` cast it back), so feeding the same 0–255 values as float32 is the
    same forward pass, with a gradient. :func:`float_feed` checks that once per model.
    """

    def __init__(self, model):
        self.objs = _integer_inputs(model)

    def __enter__(self):
        _PATCH_LOCK.acquire()
        self.saved = [obj._dtype for obj in self.objs]
        for obj in self.objs:
            object.__setattr__(obj, "_dtype", "float32")
        return self

    def __exit__(self, *exc):
        for obj, dt in zip(self.objs, self.saved):
            object.__setattr__(obj, "_dtype", dt)
        _PATCH_LOCK.release()
        return False


def float_feed(acc) -> bool:
    """True when the model has an integer-typed ``Input`` that can be fed float32 0–255 values.

    "Can" is checked once per model, eagerly, on a random integer image: the float32 feed
    (:class:`_float_inputs`) must give the outputs the model gives on the integer image. A
    model whose first layers really use integer semantics (``tf.image.convert_image_dtype``
    scales uint8 by 1/255 but leaves floats alone) fails the check and keeps being fed
    integers; its activations stay right, only gradients with respect to the input are absent.
    """
    ok = getattr(acc, "_float_feed", None)
    if ok is not None:
        return ok
    ok = False
    dt = acc.input_dtype
    if dt.is_integer and _integer_inputs(acc.model):
        shape = (1,) + tuple(d if d is not None else 32 for d in acc.input_shape[1:])
        hi = int(min(255, dt.max))
        sample = np.random.default_rng(0).integers(0, hi + 1, shape).astype(dt.as_numpy_dtype)
        try:
            # init_scope: the check runs eagerly even when first asked while tracing.
            with tf.init_scope(), _PATCH_LOCK:
                ref = acc.model(tf.constant(sample), training=False)
                with _float_inputs(acc.model):
                    got = acc.model(tf.constant(sample.astype(np.float32)), training=False)
            ok = all(np.allclose(np.asarray(a), np.asarray(b), rtol=1e-4, atol=1e-5)
                     for a, b in zip(tf.nest.flatten(ref), tf.nest.flatten(got)))
        except Exception:  # noqa: BLE001 - any failure means "feed it integers, as before"
            ok = False
    object.__setattr__(acc, "_float_feed", ok)
    return ok


class linear_final:
    """Temporarily drop the softmax/sigmoid of an output's last layer (while tracing).

    Setting ``activation`` to the identity is the same pre-activation a Dense layer computes
    (``x @ kernel + bias``), obtained without re-implementing the layer. It holds the model-patch
    lock, so no other trace or eager run sees the modified layer. Outputs whose last layer *is*
    the activation (``Activation``, ``Softmax``) are read from that layer's input instead
    (``run_model(..., capture_inputs=...)``).

    Parameters
    ----------
    acc : ModelAccess
    out : OutputInfo or None
    active : bool
        False makes it a no-op (callable targets explain the output as it is).
    """

    def __init__(self, acc, out: OutputInfo | None, active: bool):
        self.layer = acc.layer(out.final_path) if (
            active and out is not None and out.logit_from == "patch") else None

    def __enter__(self):
        if self.layer is not None:
            _PATCH_LOCK.acquire()
            self.saved = self.layer.activation
            object.__setattr__(self.layer, "activation", tf.identity)
        return self

    def __exit__(self, *exc):
        if self.layer is not None:
            object.__setattr__(self.layer, "activation", self.saved)
            _PATCH_LOCK.release()
        return False
