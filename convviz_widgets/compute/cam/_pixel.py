"""Pixel-level attribution: gradients with respect to the display image, in the CAM registry.

The methods here (``saliency``, ``smoothgrad``, ``gradient_x_input``, ``integrated_gradients``,
``guided_backprop``, ``guided_gradcam``) are :class:`PixelMethod` subclasses registered next to
the CAMs, called through the same :func:`~convviz_widgets.compute.cam.gradcam` and returning the
same :class:`~convviz_widgets.compute.cam.CAMResult`, with the heatmap at the image's size. They
take the same targets (class index, ``None`` for top-1, lists, callables; a one-unit sigmoid is
two classes explained by ``z`` and ``-z``) and are differentiated through the same
``preprocess``, so the gradient is with respect to the picture the user sees, in [0, 1].

The driver (:func:`compute_pixel`) resolves targets with one forward pass and hands each method a
:class:`PixelContext` whose :meth:`~PixelContext.gradients` runs *batches* of images (noisy copies,
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

import numpy as np
import tensorflow as tf

from .._images import prepare_images
from .._access import check_preprocess, model_input, require_spatial
from .._identity import preprocess_key
from .._model_trace import linear_final, run_model, tf_function
from ..outputs import (as_float, callable_scores, check_targets, class_scores,
                       choose_output, pick_output, probabilities)
from .base import CAMMethod, CAMResult, CAMTracker
from ._engine import _display_image, _forward_fn, _meta, compute_cam, default_layer


class UnguidedReLUWarning(UserWarning):
    """Some ReLUs of the model are raw ops, not layers, and keep their ordinary gradient."""


# ------------------------------------------------------------------------------ guided ReLU
@tf.custom_gradient
def guided_relu(x):
    """ReLU whose gradient passes only positive gradients at positive inputs (guided backprop).

    The forward pass is ``maximum(x, 0)`` (not the ``Relu`` op) so that the traced graph tells
    guided ReLUs from ones the override could not reach.
    """
    y = tf.maximum(x, tf.zeros_like(x))

    def grad(dy):
        return dy * tf.cast(x > 0, dy.dtype) * tf.cast(dy > 0, dy.dtype)

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
    @tf.custom_gradient
    def relu_n(x):
        y = tf.minimum(tf.maximum(x, tf.zeros_like(x)), tf.cast(cap, x.dtype))

        def grad(dy):
            live = tf.logical_and(x > 0, x < tf.cast(cap, x.dtype))
            return dy * tf.cast(live, dy.dtype) * tf.cast(dy > 0, dy.dtype)

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
            return tf.nest.flatten(out)

        spec = tf.TensorSpec((1,) + tuple(acc.input_shape[1:]), tf.float32)
        graph = tf.function(fn, autograph=False).get_concrete_function(spec).graph
        n = sum(op.type in ("Relu", "Relu6") for op in graph.get_operations())
        return lambda: n

    return acc.compiled(("guided_unreached",), build)()


# --------------------------------------------------------------------------- compiled parts
def _scores(acc, inp, oi, meta, target_fn, wrappers):
    """``(n, classes)`` explained class scores (logits; ``[-z, z]`` for one sigmoid unit) or the
    callable's ``(n,)``, for a batch of model inputs."""
    o = meta.outputs[oi] if oi is not None else None
    class_targets = target_fn is None
    # Region targets read logits too (see _engine._explained).
    logits_wanted = class_targets or (o is not None and getattr(target_fn, "on_logits", False))
    read_input = logits_wanted and o is not None and o.logit_from == "input"
    with linear_final(acc, o, active=logits_wanted):
        out, cap = run_model(acc, inp, (), wrap_calls=wrappers,
                             capture_inputs=(o.final_path,) if read_input else ())
    y = pick_output(out, oi)
    logits = cap[("input", o.final_path)] if read_input else y
    if class_targets:
        return class_scores(logits, o.kind)
    return callable_scores(target_fn, as_float(logits), None)


def _grad_fn(acc, preprocess, meta, oi, target_fn, guided: bool):
    """Compiled ``(xs (n,H,W,C), cls) -> (scores (n,), d scores / d xs)``; ``cls`` is ignored
    for a callable target. One forward and one backward pass for the whole batch."""

    def build():
        wrappers = guided_wrappers(acc) if guided else None

        def impl(xs, cls):
            with tf.GradientTape(watch_accessed_variables=False) as tape:
                tape.watch(xs)
                inp = model_input(acc, xs, preprocess)
                per = _scores(acc, inp, oi, meta, target_fn, wrappers)
                s = per if target_fn is not None else tf.gather(per, cls, axis=1)
                # Samples are independent (inference mode), so the gradient of the sum is each
                # sample's own gradient.
                total = tf.reduce_sum(s)
            g = tape.gradient(total, xs,
                              unconnected_gradients=tf.UnconnectedGradients.ZERO)
            return s, tf.cast(g, tf.float32)

        return tf_function(impl, reduce_retracing=True, autograph=False)

    key = ("pixel_grad", preprocess_key(preprocess), preprocess, oi, bool(guided),
           None if target_fn is None else ("fn", id(target_fn)), target_fn)
    return acc.compiled(key, build)


def _score_fn(acc, preprocess, meta, oi, target_fn):
    """Compiled ``xs -> explained scores`` (``(n, classes)`` or ``(n,)``), no gradient."""

    def build():
        def impl(xs):
            inp = model_input(acc, xs, preprocess)
            return _scores(acc, inp, oi, meta, target_fn, None)

        return tf_function(impl, reduce_retracing=True, autograph=False)

    key = ("pixel_scores", preprocess_key(preprocess), preprocess, oi,
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
    c = x.shape[-1]
    xt = tf.pad(tf.constant(x), [[0, 0], [r, r], [r, r], [0, 0]], mode="REFLECT")
    ky = tf.tile(tf.constant(k)[:, None, None, None], [1, 1, c, 1])  # (2r+1, 1, C, 1)
    kx = tf.tile(tf.constant(k)[None, :, None, None], [1, 1, c, 1])  # (1, 2r+1, C, 1)
    y = tf.nn.depthwise_conv2d(xt, ky, [1, 1, 1, 1], "VALID")
    y = tf.nn.depthwise_conv2d(y, kx, [1, 1, 1, 1], "VALID")
    return y.numpy()


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
        cls = tf.constant(max(self._code(i), 0), tf.int32)
        out = []
        total = -(-len(xs) // self.batch_size)
        for b, start in enumerate(range(0, len(xs), self.batch_size)):
            self.tracker.check_before(b, total)
            _, g = fn(tf.constant(xs[start:start + self.batch_size]), cls)
            out.append(g.numpy())
            self.tracker.report(b + 1, total)
        return np.concatenate(out, axis=0)

    def score(self, xs, i: int = 0) -> np.ndarray:
        """``(n,)`` target ``i``'s explained score at each of ``xs``."""
        per = self._score(tf.constant(np.asarray(xs, np.float32))).numpy()
        return per if callable(self.targets[i]) else per[:, self._code(i)]

    def cam_heatmaps(self, method: str = "gradcam") -> np.ndarray:
        """``(k, H, W)`` the CAM of every target on ``x`` at the model's input size, in [0, 1]."""
        return self._cam(method)


class PixelMethod(CAMMethod):
    """Base class of attributions at input resolution (see the module docstring).

    Subclasses implement :meth:`attribute`; parameters go to ``__init__`` so that
    ``gradcam(..., method=SmoothGrad(samples=50))`` configures a run.
    """

    level: ClassVar[str] = "pixel"
    #: True when the method combines with a CAM and therefore has a feature-map layer.
    needs_layer: ClassVar[bool] = False

    def attribute(self, ctx: PixelContext) -> np.ndarray:
        """The hook: ``(k, H, W, C)`` per-channel attribution, one per target."""
        raise NotImplementedError(f"{type(self).__name__} must implement attribute(ctx), the "
                                  "pixel method's one hook.")

    def reduce(self, attribution: np.ndarray) -> np.ndarray:
        """``(k, H, W, C) -> (k, H, W)``: the channel sum for signed methods, else the largest
        magnitude over channels."""
        a = attribution.astype(np.float64)
        return a.sum(axis=-1) if self.signed else np.abs(a).max(axis=-1)


# ------------------------------------------------------------------------------- the driver
def _resize_signed(m: np.ndarray, size) -> np.ndarray:
    """``(H', W')`` in [-1, 1] -> ``(H, W)`` bilinear, still in [-1, 1]."""
    if m.shape == tuple(size):
        return m.astype(np.float32)
    up = tf.image.resize(m[None, ..., None].astype(np.float32), size, method="bilinear")
    return np.clip(up.numpy()[0, ..., 0], -1.0, 1.0).astype(np.float32)


def compute_pixel(acc, meth: PixelMethod, image, target=None, layer=None, preprocess=None, *,
                  on_step=None, cancel=None, batch_size: int = 32, cache: bool = True,
                  output=None):
    """The input-resolution driver behind ``gradcam(..., method=<pixel method>)``."""
    meta = _meta(acc)
    is_fn = callable(target) and not isinstance(target, type)
    oi = choose_output(meta, output, acc.model.name, allow_all=is_fn)
    o = meta.outputs[oi] if oi is not None else None
    path = None
    if meth.needs_layer:
        path = require_spatial(acc.model, layer, "class activation map") \
            if layer is not None else default_layer(acc.model)
    targets, was_list = check_targets(target, o, acc.model.name)
    target_fn = targets[0] if is_fn else None
    shown, finite = _display_image(image, acc.input_shape)
    size = shown.shape[:2]
    where = path or "input"

    def empty(flag, t, score=float("nan"), prob=None):
        return CAMResult(np.zeros(size, np.float32), t, float(score), prob, where,
                         np.zeros(0, np.float32), np.zeros(acc.input_shape[1:3], np.float32),
                         meth.name, flag, shown, meth.signed)

    if not finite:
        results = [empty("nonfinite_input", t) for t in targets]
        return results if was_list else results[0]
    x = prepare_images(shown, acc.input_shape).images[:1]
    check_preprocess(preprocess, x, acc.input_shape)
    score_fn = _score_fn(acc, preprocess, meta, oi, target_fn)
    per = score_fn(tf.constant(x)).numpy()
    if target_fn is not None:
        if per.shape != (1,):
            raise ValueError(f"The target callable returned {per.shape[0]} scores for 1 image; "
                             "it must return one score per sample, shape (n,).")
        resolved, scores = [target_fn], per
        probs = None
    else:
        top = int(np.argmax(per[0]))
        resolved = [top if t is None else int(t) for t in targets]
        scores = per[0, resolved]
        probs = probabilities(_forward_fn(acc, preprocess, oi)(tf.constant(x)).numpy(), o)[0]

    def prob_of(t):
        return None if probs is None else float(probs[t])

    if bool((shown.max(axis=(0, 1)) == shown.min(axis=(0, 1))).all()):
        results = [empty("constant_input", t, s, prob_of(t)) for t, s in zip(resolved, scores)]
        return results if was_list else results[0]

    def cams(method):
        rs = compute_cam(acc.model, x[0], target=target_fn or list(resolved), layer=path,
                         method=method, preprocess=preprocess, batch_size=batch_size,
                         cache=cache, output=output)
        return np.stack([r.heatmap for r in (rs if isinstance(rs, list) else [rs])])

    ctx = PixelContext(
        x=x[0], targets=resolved, scores=np.asarray(scores, np.float32), layer=path,
        batch_size=int(batch_size), on_step=on_step, cancel=cancel,
        _grad=lambda guided: _grad_fn(acc, preprocess, meta, oi, target_fn, guided),
        _score=score_fn, _cam=cams, details=[{} for _ in resolved])
    with ctx.tracker:  # one on_end (cancelled or not) for a Progress, if a batch reported
        attr = np.asarray(meth.attribute(ctx), np.float64)  # (k, H', W', C)
    maps = meth.reduce(attr)                              # (k, H', W')
    if getattr(meth, "guided", False):
        n = unguided_relus(acc)
        if n:
            warnings.warn(
                f"{n} ReLU op(s) of model {acc.model.name!r} are applied outside a Keras layer "
                "(e.g. tf.nn.relu inside a subclassed call(), or inside a custom layer), so "
                "guided backpropagation cannot override their gradient: they pass the ordinary "
                "ReLU gradient and the map is only partly guided. Use layers "
                "(activation='relu' or keras.layers.ReLU()) for a fully guided map.",
                UnguidedReLUWarning, stacklevel=3)
        for d in ctx.details:
            d["unguided_relus"] = n
    results = []
    for i, t in enumerate(resolved):
        raw = maps[i]
        peak = float(np.abs(raw).max()) if raw.size else 0.0
        flag = None
        if not np.isfinite(raw).all():
            flag = "nonfinite_map"
        elif peak <= 0.0:
            flag = "no_gradient"  # every pixel's attribution is 0
        if flag is None:
            heat = _resize_signed(raw / peak, size)
            top = float(np.abs(heat).max())
            heat = heat / top if top > 0 else heat
            # heatmap × scale is the map in its own units (the overlay's hover reads it back).
            ctx.details[i]["scale"] = peak * (top if top > 0 else 1.0)
        else:
            heat = np.zeros(size, np.float32)
        results.append(CAMResult(
            heat.astype(np.float32), t, float(scores[i]), prob_of(t), where,
            np.zeros(0, np.float32), np.where(np.isfinite(raw), raw, 0).astype(np.float32),
            meth.name, flag, shown, meth.signed, ctx.details[i]))
    return results if was_list else results[0]
