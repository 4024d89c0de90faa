"""Pixel-level attribution: gradients with respect to the display image, in the CAM registry.

The methods here (``saliency``, ``smoothgrad``, ``gradient_x_input``, ``integrated_gradients``,
``guided_backprop``, ``guided_gradcam``) are :class:`PixelMethod` subclasses registered next to
the CAMs, called through the same :func:`~convviz_widgets.compute.cam.gradcam` and returning the
same :class:`~convviz_widgets.compute.cam.CAMResult`, with the heatmap at the image's size. They
take the same targets (class index, ``None`` for top-1, lists, callables; a one-unit sigmoid is
two classes explained by ``z`` and ``-z``) and are differentiated through the same
``preprocess``, so the gradient is with respect to the picture the user sees, in [0, 1].

The driver (:mod:`.pipeline`) resolves targets with one forward pass (:meth:`PixelMethod.score`)
and hands each method a :class:`PixelContext` whose :meth:`~PixelContext.gradients` runs *batches* of images (noisy copies,
interpolation steps) through one compiled forward+backward function. A method implements
:meth:`PixelMethod.attribute` (per-channel attribution ``(k, H, W, C)``) and, if it is signed,
sets ``signed = True`` so that the channel sum is kept with its sign; unsigned methods reduce
by the largest magnitude over channels (Simonyan et al. 2014).

*Guided ReLUs* (Springenberg et al. 2015) go through the model-access mechanism
(:func:`~convviz_widgets.compute.run_model`'s ``wrap_calls``): every layer whose
``activation`` is ReLU (``Conv2D(..., activation="relu")``, ``Dense``, ``Activation("relu")``)
runs with a guided ReLU in its place for the traced pass, and plain ``ReLU`` layers are replaced
by it, in nested backbones and subclassed models alike. A ReLU applied by a raw op inside a
subclassed ``call`` (``tf.nn.relu(x)``, ``keras.ops.relu``) is not a layer and cannot be
reached; those keep the ordinary gradient, and the result warns (:class:`UnguidedReLUWarning`)
and records their number in ``details["unguided_relus"]``.
"""

from __future__ import annotations

import threading
import warnings
from dataclasses import dataclass, field
from typing import Any, Callable, ClassVar

import keras
import numpy as np

from .._access import model_input
from .._preprocess_identity import preprocess_key
from .._model_trace import linear_final, run_model
from ..backend import compile as compile_fn
from ..backend import SLOW_MAX_POOL_GRADIENT, no_grad, relu_ops, to_numpy, value_and_grad
from ..outputs import as_float, callable_scores, class_scores, pick_output, probabilities
from .base import AttributionMethod, CAMTracker, Scored, get_method
from ._engine import _meta
from ._pool_gradient import pool_wrappers
from .pipeline import explain


class UnguidedReLUWarning(UserWarning):
    """Some ReLUs of the model are raw ops, not layers, and keep their ordinary gradient."""


# ------------------------------------------------------------------------------ guided ReLU
def _guided_gradient(x, dy, live):
    """The guided rule: ``dy`` where the unit was live and ``dy`` is positive, else 0."""
    keep = keras.ops.logical_and(live, keras.ops.greater(dy, 0))
    return keras.ops.where(keep, dy, keras.ops.zeros_like(dy))


@keras.ops.custom_gradient
def guided_relu(x):
    """ReLU whose gradient passes only positive gradients at positive inputs (guided backprop).

    One ``keras.ops.custom_gradient`` for every backend (``tf.custom_gradient``,
    ``jax.custom_gradient``, a ``torch.autograd.Function``). The forward pass is
    ``maximum(x, 0)``, not the backend's ReLU op, so that a traced pass tells guided ReLUs from
    ones the override could not reach (:func:`~convviz_widgets.compute.backend.relu_ops`).
    """
    y = keras.ops.maximum(x, keras.ops.zeros_like(x))

    def grad(*args, upstream=None):
        dy = args[0] if upstream is None else upstream  # TF/JAX: grad(dy); torch: upstream=
        return _guided_gradient(x, dy, keras.ops.greater(x, 0))

    return y, grad


def _is_relu(fn) -> bool:
    return getattr(fn, "__name__", None) == "relu"


def _swap_activation(layer, call):
    """Run ``call`` with the layer's ReLU activation replaced by :func:`guided_relu`."""

    def run(*args, **kwargs):
        saved = layer.activation
        object.__setattr__(layer, "activation", guided_relu)
        try:
            return call(*args, **kwargs)
        finally:
            object.__setattr__(layer, "activation", saved)

    return run


def _capped_guided_relu(cap: float):
    @keras.ops.custom_gradient
    def relu_n(x):
        top = keras.ops.cast(cap, x.dtype)
        y = keras.ops.minimum(keras.ops.maximum(x, keras.ops.zeros_like(x)), top)

        def grad(*args, upstream=None):
            dy = args[0] if upstream is None else upstream
            live = keras.ops.logical_and(keras.ops.greater(x, 0), keras.ops.less(x, top))
            return _guided_gradient(x, dy, live)

        return y, grad

    return relu_n


def _replace_relu_layer(layer, call):
    cap = getattr(layer, "max_value", None)
    fn = guided_relu if cap is None else _capped_guided_relu(float(cap))

    def run(*args, **kwargs):
        return fn(args[0] if args else kwargs["inputs"])

    return run


def guided_wrappers(acc) -> dict[str, Callable]:
    """``{path: wrapper}`` for ``run_model(wrap_calls=...)``: every ReLU layer made guided.

    A ``ReLU`` layer with a ``max_value`` (ReLU6) gets a capped guided ReLU; one with a
    ``negative_slope`` or ``threshold`` is not a ReLU gate and is left alone.
    """
    infos = acc.infos()
    out = {}
    for path in acc.paths:
        layer = acc.layer(path)
        if infos[path].is_container:
            continue
        if type(layer).__name__ == "ReLU":
            if not getattr(layer, "negative_slope", 0) and not getattr(layer, "threshold", 0):
                out[path] = _replace_relu_layer
        elif _is_relu(getattr(layer, "activation", None)):
            out[path] = _swap_activation
    return out


def unguided_relus(acc) -> int:
    """How many ReLU ops of a guided forward pass are raw ops the override cannot reach."""

    def build():
        wrappers = guided_wrappers(acc)

        def fn(x):
            out, _ = run_model(acc, x, (), wrap_calls=wrappers)
            return keras.tree.flatten(out)

        _, h, w, c = acc.input_shape
        if h is None or w is None:  # any size: count on one it runs at (PyTorch runs it)
            h, w = acc.built_size or (64, 64)
        n = relu_ops(fn, (1, h, w, c), "float32")
        return lambda: n

    return acc.compiled(("guided_unreached",), build)()


# --------------------------------------------------------------------------- compiled parts
def _scores(acc, inp, oi, meta, target_fn, wrappers):
    """``((n, classes) explained class scores (logits; ``[-z, z]`` for one sigmoid unit) or the
    callable's ``(n,)``, the chosen output as the model returns it)`` for a batch of model
    inputs: one forward pass gives both (the final softmax/sigmoid is put back for the
    output, as :mod:`._engine` does)."""
    o = meta.outputs[oi] if oi is not None else None
    class_targets = target_fn is None
    # Region targets read logits too (see _engine._explained).
    logits_wanted = class_targets or (o is not None and getattr(target_fn, "on_logits", False))
    read_input = logits_wanted and o is not None and o.logit_from == "input"
    with linear_final(acc, o, active=logits_wanted) as final:
        out, cap = run_model(acc, inp, (), wrap_calls=wrappers,
                             capture_inputs=(o.final_path,) if read_input else ())
    y = pick_output(out, oi)
    logits = cap[("input", o.final_path)] if read_input else y
    output = final.saved(y) if final.layer is not None else y
    if class_targets:
        return class_scores(logits, o.kind), output
    return callable_scores(target_fn, as_float(logits), None), output


def _grad_fn(acc, preprocess, meta, oi, target_fn, guided: bool):
    """Compiled ``(xs (n,H,W,C), cls) -> d scores / d xs`` (float32); ``cls`` is ignored for a
    callable target. One forward and one backward pass for the whole batch, compiled by the
    seam (``tf.function``, stateless ``jax.jit``, eager PyTorch)."""

    def build():
        wrappers = {**(pool_wrappers(acc) if SLOW_MAX_POOL_GRADIENT else {}),
                    **(guided_wrappers(acc) if guided else {})} or None

        def impl(xs, cls):
            def total(v):
                inp = model_input(acc, v, preprocess)
                per, _ = _scores(acc, inp, oi, meta, target_fn, wrappers)
                s = per if target_fn is not None else keras.ops.take(per, cls, axis=1)
                # Samples are independent (inference mode), so the gradient of the sum is each
                # sample's own gradient.
                return keras.ops.sum(s)

            # Only the input's gradient is wanted: on TensorFlow, convolutions back-propagate
            # as forward convolutions (_input_gradient, through the seam).
            _, g = value_and_grad(total, xs)
            return keras.ops.cast(g, "float32")

        return compile_fn(impl, acc.model.weights)

    key = ("pixel_grad", preprocess_key(preprocess), preprocess, oi, bool(guided),
           None if target_fn is None else ("fn", id(target_fn)), target_fn)
    return acc.compiled(key, build)


def _score_fn(acc, preprocess, meta, oi, target_fn, with_output: bool = False):
    """Compiled ``xs -> explained scores`` (``(n, classes)`` or ``(n,)``), no gradient; with
    ``with_output``, ``xs -> (scores, chosen output)`` from the same forward pass (the output
    as the model returns it, float32; every output, a structure, for ``output=None``)."""

    def build():
        def impl(xs):
            with no_grad():
                inp = model_input(acc, xs, preprocess)
                per, output = _scores(acc, inp, oi, meta, target_fn, None)
                return (per, as_float(output)) if with_output else per

        return compile_fn(impl, acc.model.weights)

    key = ("pixel_scores", preprocess_key(preprocess), preprocess, oi, bool(with_output),
           None if target_fn is None else ("fn", id(target_fn)), target_fn)
    return acc.compiled(key, build)


def blur(images: np.ndarray, sigma: float | None = None) -> np.ndarray:
    """Gaussian blur of ``(n, H, W, C)`` images (reflected borders); the "blurred" baseline.

    ``sigma`` in pixels; ``None``: 5 % of the longer side (11 px at 224, 3.2 px at 64), enough
    to wipe out shapes while keeping colours (Petsiuk et al. 2018 blur their insertion start).

    Examples
    --------
    >>> x = np.zeros((1, 9, 9, 1), np.float32); x[0, 4, 4] = 1
    >>> y = blur(x, 1.0)
    >>> bool(abs(y.sum() - 1) < 1e-5 and y[0, 4, 4] < 0.2)
    True
    """
    x = np.asarray(images, np.float32)
    h, w = x.shape[1:3]
    s = max(h, w) * 0.05 if sigma is None else float(sigma)
    if s <= 0:
        return x.copy()
    r = max(1, min(int(np.ceil(3 * s)), h - 1, w - 1))
    t = np.arange(-r, r + 1, dtype=np.float64)
    k = np.exp(-0.5 * (t / s) ** 2)
    k = (k / k.sum()).astype(np.float32)
    # Separable: rows, then columns, on the reflected image (numpy: the same on every backend).
    y = np.pad(x, [(0, 0), (r, r), (r, r), (0, 0)], mode="reflect")
    y = sum(k[i] * y[:, i:i + h] for i in range(2 * r + 1))
    y = sum(k[i] * y[:, :, i:i + w] for i in range(2 * r + 1))
    return y.astype(np.float32)


# ---------------------------------------------------------------------------- the context
@dataclass
class PixelContext:
    """What a pixel-level method sees: one image at the model's input size, ``k`` targets.

    Attributes
    ----------
    x : ndarray
        ``(H, W, C)`` float32 display image in [0, 1] at the model's input size.
    targets : list
        Resolved targets (class indices, or the callable), one per map.
    scores : ndarray
        ``(k,)`` explained score of each target on ``x``.
    layer : str or None
        The CAM layer (methods that combine with a CAM, e.g. ``guided_gradcam``).
    batch_size : int
        Images per forward+backward pass.
    details : list of dict
        One dict per target, copied to ``CAMResult.details``.
    tracker : CAMTracker
        The call's progress/cancel tracker over ``on_step`` and ``cancel`` (made from them
        if not given); :meth:`gradients` reports through it.
    """

    x: np.ndarray
    targets: list
    scores: np.ndarray
    layer: str | None
    batch_size: int
    on_step: Callable[[int, int], Any] | None
    cancel: threading.Event | None
    _grad: Callable
    _score: Callable
    _cam: Callable
    details: list = field(default_factory=list)
    tracker: CAMTracker | None = field(default=None, repr=False)

    def __post_init__(self):
        if self.tracker is None:
            self.tracker = CAMTracker(self.on_step, self.cancel)

    def _code(self, i: int) -> int:
        t = self.targets[i]
        return -1 if callable(t) else int(t)

    def gradients(self, xs, i: int = 0, *, guided: bool = False) -> np.ndarray:
        """``(n, H, W, C)`` gradient of target ``i``'s score at each of ``xs`` (batched).

        Progress goes to ``on_step(done, total)`` after each batch (return ``False`` to stop)
        and ``cancel`` is checked before each one, as for Score-CAM; both raise
        :class:`CAMCancelled`.
        """
        xs = np.asarray(xs, np.float32)
        fn = self._grad(guided)
        cls = keras.ops.convert_to_tensor(max(self._code(i), 0), "int32")
        out = []
        total = -(-len(xs) // self.batch_size)
        for b, start in enumerate(range(0, len(xs), self.batch_size)):
            self.tracker.check_before(b, total)
            g = fn(keras.ops.convert_to_tensor(xs[start:start + self.batch_size]), cls)
            out.append(to_numpy(g))
            self.tracker.report(b + 1, total)
        return np.concatenate(out, axis=0)

    def score(self, xs, i: int = 0) -> np.ndarray:
        """``(n,)`` target ``i``'s explained score at each of ``xs``."""
        per = to_numpy(self._score(keras.ops.convert_to_tensor(np.asarray(xs, np.float32)))[0])
        return per if callable(self.targets[i]) else per[:, self._code(i)]

    def cam_heatmaps(self, method: str = "gradcam") -> np.ndarray:
        """``(k, H, W)`` the CAM of every target on ``x`` at the model's input size, in [0, 1]."""
        return self._cam(method)


class PixelMethod(AttributionMethod):
    """Base class of attributions at input resolution (see the module docstring).

    The sibling of :class:`~.layer.CAMMethod` under :class:`~.base.AttributionMethod`.
    Subclasses implement :meth:`attribute`; parameters go to ``__init__`` so that
    ``gradcam(..., method=IntegratedGradients(steps=64))`` configures a run.
    """

    #: True for methods that override ReLU gradients (guided backpropagation).
    guided: ClassVar[bool] = False

    def attribute(self, ctx: PixelContext) -> np.ndarray:
        """The hook: ``(k, H, W, C)`` per-channel attribution, one per target."""
        raise NotImplementedError(f"{type(self).__name__} must implement attribute(ctx), the "
                                  "pixel method's one hook.")

    def reduce(self, attribution: np.ndarray) -> np.ndarray:
        """``(k, H, W, C) -> (k, H, W)``: the channel sum for signed methods, else the largest
        magnitude over channels."""
        a = attribution.astype(np.float64)
        return a.sum(axis=-1) if self.signed else np.abs(a).max(axis=-1)

    # ------------------------------------------------------- the pixel-level part of the driver
    def empty(self, acc, path):
        # A model that takes any size (subclassed) has no declared size: a 1x1 placeholder.
        return 0, tuple(d or 1 for d in acc.input_shape[1:3])

    def score(self, req) -> Scored:
        """The explained scores of the image (one compiled forward pass) and the context."""
        acc, tgt, x = req.acc, req.target, req.x
        meta = _meta(acc)
        oi = tgt.output
        o = meta.outputs[oi] if oi is not None else None
        # The scores and the output in one forward pass (two compiled calls cost two).
        score_fn = _score_fn(acc, req.preprocess, meta, oi, tgt.fn, with_output=True)
        per, chosen = to_numpy(score_fn(keras.ops.convert_to_tensor(x)))
        if tgt.fn is not None:
            if per.shape != (1,):
                raise ValueError(f"The target callable returned {per.shape[0]} scores for 1 "
                                 "image; it must return one score per sample, shape (n,).")
            resolved, scores, probs, chosen = [tgt.fn], per, None, None
        else:
            top = int(np.argmax(per[0]))
            resolved = [top if t is None else int(t) for t in tgt.classes]
            scores = per[0, resolved]
            probs = probabilities(chosen, o)[0]
            chosen = chosen[0]

        def cams(method):
            rs, _, _ = explain(acc, get_method(method), x[0], target=tgt.fn or list(resolved),
                               layer=req.layer, preprocess=req.preprocess,
                               batch_size=req.batch_size, cache=req.cache, output=req.output)
            return np.stack([r.heatmap for r in rs])

        details = [{} for _ in resolved]
        if self.guided:
            n = unguided_relus(acc)
            for d in details:
                d["unguided_relus"] = n
        ctx = PixelContext(
            x=x[0], targets=resolved, scores=np.asarray(scores, np.float32), layer=req.layer,
            batch_size=req.batch_size, on_step=req.on_step, cancel=req.cancel,
            _grad=lambda guided: _grad_fn(acc, req.preprocess, meta, oi, tgt.fn, guided),
            _score=score_fn, _cam=cams, details=details, tracker=req.tracker)
        return Scored(resolved, np.asarray(scores, np.float32), probs, 0, tuple(x.shape[1:3]),
                      ctx, output=chosen, details=details)

    def maps(self, scored: Scored) -> tuple[np.ndarray, np.ndarray]:
        ctx = scored.context
        attr = np.asarray(self.attribute(ctx), np.float64)  # (k, H', W', C)
        maps = self.reduce(attr)                              # (k, H', W')
        n = ctx.details[0].get("unguided_relus", 0) if ctx.details else 0
        if n:
            warnings.warn(
                f"{n} ReLU op(s) of the model are applied outside a Keras layer (e.g. "
                "tf.nn.relu inside a subclassed call(), or inside a custom layer), so guided "
                "backpropagation cannot override their gradient: they pass the ordinary ReLU "
                "gradient and the map is only partly guided. Use layers (activation='relu' or "
                "keras.layers.ReLU()) for a fully guided map.", UnguidedReLUWarning, stacklevel=5)
        return np.zeros((len(maps), 0), np.float32), maps
