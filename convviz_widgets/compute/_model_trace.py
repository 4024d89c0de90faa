"""How a Keras model is run: ALL layer patching (capture, replacement, logits).

Why one mechanism and not "a sub-model where a graph exists": a Keras 3 sub-model built from
``inner_layer.output`` fails for nested models (the inner layer's symbolic output belongs to the
backbone's own graph, not to the outer model's inputs — "Graph disconnected"), for layers called
more than once, and for subclassed models (no symbolic graph at all). Every model style, however,
ends up calling ``layer.call`` of each layer it runs. So we capture outputs by wrapping ``call`` on
the layer *instances* we want, for the duration of one forward pass. Run inside a compiled
function (:func:`.backend.compile`: ``tf.function``, ``jax.jit``) this patching happens only while
tracing; the traced graph simply returns the intermediate tensors as extra outputs, so a capture
costs one forward pass, and gradients with respect to a captured tensor are available
(:func:`.backend.value_and_grad`) because the captured tensor *is* the tensor the rest of the
model consumed. Nothing here is specific to one Keras backend.

The same wrapping can *replace* a layer's output (``run_model(..., replace={path: tensor})``):
the part of the model before that layer then feeds nothing the output needs, and TensorFlow's
graph pruning (and XLA's dead-code elimination) drops it. That is how a Grad-CAM class switch
re-runs only the head.

This module is the only place that patches layers: for capture and replacement
(:func:`run_model`), for feeding an integer ``Input`` floats (:func:`float_feed`) and for reading
logits (:class:`linear_final`). The one trace of the model for facts is :mod:`._trace`, the
static structure (sub-layers, kernels, input shape) :mod:`._structure`, layer listing and
resolution :mod:`._access`, cache identities :mod:`._identity`.
"""


from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any, Callable, Iterable, Mapping

import keras
import numpy as np

from . import backend
from ._structure import _children

if TYPE_CHECKING:
    from ._trace import OutputInfo

__all__ = ["float_feed", "linear_final", "run_model"]

# Patching instance attributes is global state: two threads tracing at once would see each other's
# wrappers. Only tracing (or an eager run) holds the lock; executing a traced graph does not.
_PATCH_LOCK = threading.RLock()


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

    Call it inside a compiled function (:func:`.backend.compile`; the wrappers then exist only
    while tracing) or eagerly, inside :func:`.backend.value_and_grad` when gradients with respect
    to captured tensors are wanted.

    Parameters
    ----------
    model_or_access : ModelAccess
        The model's index, :func:`~._access.access` ``(model)``.
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
    acc = model_or_access
    if isinstance(acc, keras.Model):
        raise TypeError(
            f"run_model takes the model's index, not the model: pass "
            f"convviz_widgets.compute.access({acc.name!r} model) (it is made once per model).")
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
def _is_integer(dtype) -> bool:
    """True for an integer dtype of any backend (``"uint8"``, ``np.int32``, ``tf.int32``)."""
    return keras.backend.standardize_dtype(dtype).startswith(("int", "uint"))


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
            if isinstance(dt, str) and _is_integer(dt) and id(obj) not in seen:
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
    if _is_integer(dt) and _integer_inputs(acc.model):
        shape = (1,) + tuple(d if d is not None else 32 for d in acc.input_shape[1:])
        hi = int(min(255, np.iinfo(dt).max))
        sample = np.random.default_rng(0).integers(0, hi + 1, shape).astype(dt)
        try:
            # eager: the check runs eagerly even when first asked while tracing.
            with backend.eager(), backend.no_grad(), _PATCH_LOCK:
                ref = acc.model(keras.ops.convert_to_tensor(sample), training=False)
                with _float_inputs(acc.model):
                    got = acc.model(keras.ops.convert_to_tensor(sample.astype(np.float32)),
                                    training=False)
            ok = all(np.allclose(a, b, rtol=1e-4, atol=1e-5) for a, b in
                     zip(keras.tree.flatten(backend.to_numpy(ref)),
                         keras.tree.flatten(backend.to_numpy(got))))
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
            object.__setattr__(self.layer, "activation", keras.activations.linear)
        return self

    def __exit__(self, *exc):
        if self.layer is not None:
            object.__setattr__(self.layer, "activation", self.saved)
            _PATCH_LOCK.release()
        return False
