"""The CAM engine: the capture, the compiled head, forward and masked functions, the driver.

Steps 1, 2 and 4 of the recipe in :mod:`.base` live here (:func:`compute_cam`): the feature
map is captured once per image, layer, preprocess and weights (the model's byte-bounded LRU); a
class switch re-runs only the compiled head, with the layer's output replaced by the cached map.
Model facts come from the model's one trace (:meth:`ModelAccess.trace
<convviz_widgets.compute.ModelAccess.trace>`), output reading from :mod:`..outputs`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Callable

import numpy as np
import tensorflow as tf

from .._access import access, check_preprocess, model_input, require_spatial
from .._identity import preprocess_key
from .._images import image_digest, prepare_images, split_images
from .._messages import InputError
from .._model_trace import OutputInfo, linear_final, run_model, tf_function
from ..outputs import (as_float, callable_scores, check_targets, class_scores,
                       choose_output, pick_output, probabilities)
from .base import CAMContext, CAMResult, CAMTracker, get_method

#: Layer types skipped at the end of the automatic layer choice: they only lower the resolution.
_POOLING = ("MaxPooling2D", "AveragePooling2D", "MaxPool2D", "AvgPool2D")


@dataclass(frozen=True)
class _Meta:
    """What the CAM code reads from the model's one trace, plus its default layer."""

    order: tuple[str, ...]          # layer paths in the order their (first) call completed
    spatial: tuple[str, ...]        # non-container layers with a feature-map output, in order
    outputs: tuple[OutputInfo, ...]  # the model's outputs, in tf.nest.flatten order
    structured: bool                # the model returns a list/tuple/dict, not one tensor
    default_layer: str | None


def _meta(acc) -> _Meta:
    """The CAM view of ``acc.trace()`` (no second trace of the model)."""

    def build():
        tr = acc.trace()
        infos = acc.infos()
        spatial = tuple(p for p in tr.order
                        if len(tr.shapes.get(p, ())) == 4 and not infos[p].is_container)
        # The default layer must be evidence for every output; the first one decides the
        # "fully convolutional" rule (most multi-output image models share their trunk).
        first = tr.outputs[0].shape if tr.outputs else ()
        return _Meta(tr.order, spatial, tr.outputs, tr.structured,
                     _pick_default(acc, spatial, tr.shapes, first))

    return acc.compiled(("cam_meta",), build)


def _pick_default(acc, spatial, shapes, out_shape) -> str | None:
    """The last feature-map layer before the head (see :func:`default_layer`)."""
    # A 1x1 map (GlobalAveragePooling2D(keepdims=True), and the 1x1 convolutions of heads such
    # as MobileNetV3's `logits` after it) has nowhere to point: its heatmap is one constant value.
    cands = [p for p in spatial if not _one_by_one(shapes.get(p, ()))]
    # A fully convolutional model (U-Net, edge detector) ends in feature maps shaped like its
    # output; those *are* the prediction, not evidence for it.
    if len(out_shape) == 4:
        while len(cands) > 1 and tuple(shapes[cands[-1]][1:]) == tuple(out_shape[1:]):
            cands.pop()
    if not cands:
        return None
    # Trailing pooling only lowers the resolution of the same evidence; the conv before it gives
    # a sharper map (VGG16: block5_conv3, as the Keras example and tf-keras-vis choose).
    picked = len(cands) - 1
    while picked > 0 and type(acc.layer(cands[picked])).__name__ in _POOLING:
        picked -= 1
    if type(acc.layer(cands[picked])).__name__ in _POOLING:
        picked = len(cands) - 1
    return cands[picked]


def _one_by_one(shape) -> bool:
    """True for a feature map whose spatial size is known to be 1x1."""
    return len(shape) == 4 and shape[1] == 1 and shape[2] == 1


def default_layer(model) -> str:
    """The layer :func:`gradcam` explains when ``layer=None``.

    The rule: among layers (not containers) whose output is a feature map ``(n, h, w, c)``,
    take the last one to *finish* in a forward pass — so for a nested transfer-learning model
    the search looks inside the backbone too and also sees convolutions added after it. Then:

    * for a fully convolutional model (output itself a feature map, e.g. a U-Net), the trailing
      layers shaped like the output are skipped (they are the prediction, not evidence);
    * layers with a 1x1 map are never chosen: after ``GlobalAveragePooling2D(keepdims=True)``
      (MobileNetV3's head of 1x1 convolutions) a map has one value, so its heatmap is constant;
    * trailing pooling layers are skipped, because they only lower the resolution of the same
      evidence (VGG16 gives ``"block5_conv3"``, like the Keras Grad-CAM example and tf-keras-vis).

    Parameters
    ----------
    model : keras.Model

    Returns
    -------
    str
        Layer path.

    Raises
    ------
    ValueError
        The model has no layer with a spatial output.

    Examples
    --------
    >>> import convviz_widgets as cv
    >>> cv.compute.cam.default_layer(cv.demo_model())          # doctest: +SKIP
    'block3_conv2'
    """
    acc = access(model)
    path = _meta(acc).default_layer
    if path is None:
        raise ValueError(f"Model {acc.model.name!r} has no layer with a spatial output larger "
                         "than 1x1 (batch, height, width, channels); CAM methods need a "
                         "convolutional feature map. Pass `layer=` explicitly if the model hides "
                         "its feature maps.")
    return path


# --------------------------------------------------------------------------- compiled functions
def _explained(acc, inp, path, a, oi, meta, target_fn):
    """Run the head on ``a`` (batch 1): ``(scores per class (1, classes) or (1,), output)``."""
    o = meta.outputs[oi] if oi is not None else None
    class_targets = target_fn is None
    # A Region target (Seg-Grad-CAM) sums logits, as class targets do: a confident sigmoid
    # map's probabilities are saturated and their gradients vanish.
    logits_wanted = class_targets or (o is not None and getattr(target_fn, "on_logits", False))
    read_input = logits_wanted and o is not None and o.logit_from == "input"
    with linear_final(acc, o, active=logits_wanted):
        out, cap = run_model(acc, inp, (), replace={path: a},
                             capture_inputs=(o.final_path,) if read_input else ())
    y = pick_output(out, oi)
    logits = cap[("input", o.final_path)] if read_input else y
    if class_targets:
        return class_scores(logits, o.kind), y
    return callable_scores(target_fn, as_float(logits), 1), y


def _head_impl(acc, path, preprocess, meta, oi, target_fn):
    """``(x (1,H,W,C), a (1,h,w,c), targets (k,)) -> (scores (k,), classes (k,), grads)``.

    The head runs forward *once* on batch 1 and then back once per target, each a
    vector-Jacobian product with a one-hot cotangent. Batching the k targets instead (k copies
    of the feature map, one backward pass) looks cheaper but is not on CPUs without oneDNN:
    the gradient of a dense layer then is ``MatMul(dy (k, n), W, transpose_b=True)``, which
    Eigen computes ~50x slower than the batch-1 matrix-vector product (VGG16's fc1: 1.1 s
    instead of 17 ms), so five targets cost 4x a forward pass there instead of 1.2x.
    """

    def impl(x, a, targets):
        with tf.GradientTape(persistent=True, watch_accessed_variables=False) as tape:
            tape.watch(a)
            inp = model_input(acc, x, preprocess)
            per, _ = _explained(acc, inp, path, a, oi, meta, target_fn)
        if target_fn is None:
            top = tf.argmax(per[0], output_type=tf.int32)
            chosen = tf.where(targets < 0, top, targets)  # -1: the top class
            scores = tf.gather(per[0], chosen)
            width = tf.shape(per)[1]

            def one(c):
                seed = tf.one_hot(c, width, dtype=per.dtype)[None]  # (1, classes)
                g = tape.gradient(per, a, output_gradients=seed,
                                  unconnected_gradients=tf.UnconnectedGradients.ZERO)
                return tf.cast(g[0], tf.float32)

            grads = tf.map_fn(one, chosen, fn_output_signature=tf.float32)
        else:
            scores = per
            chosen = tf.fill(tf.shape(scores), -1)
            grads = tf.cast(tape.gradient(per, a, unconnected_gradients=tf.UnconnectedGradients.ZERO),
                            tf.float32)
        return scores, chosen, grads

    return impl


def _head_fn(acc, path, preprocess, meta, oi, target_fn=None):
    key = ("cam_head", path, preprocess_key(preprocess), oi,
           None if target_fn is None else ("fn", id(target_fn)), target_fn)
    return acc.compiled(key, lambda: tf_function(
        _head_impl(acc, path, preprocess, meta, oi, target_fn), reduce_retracing=True,
        autograph=False))


def _capture_fn(acc, path, preprocess):
    """``x (n,H,W,C) -> (A (n,h,w,c), [outputs])``, one compiled forward pass."""

    def build():
        @tf_function(reduce_retracing=True, autograph=False)
        def fn(x):
            inp = model_input(acc, x, preprocess)
            out, cap = run_model(acc, inp, (path,))
            return tf.cast(cap[path], tf.float32), tf.nest.flatten(as_float(out))

        return fn

    return acc.compiled(("cam_capture", path, preprocess_key(preprocess)), build)


def _forward_fn(acc, preprocess, oi):
    """``x (n,H,W,C) display -> chosen model output``, compiled (batched model calls)."""

    def build():
        @tf_function(reduce_retracing=True, autograph=False)
        def fn(x):
            inp = model_input(acc, x, preprocess)
            out, _ = run_model(acc, inp, ())
            return tf.cast(pick_output(out, oi), tf.float32)

        return fn

    return acc.compiled(("cam_forward", preprocess_key(preprocess), oi), build)


def _masked_fn(acc, preprocess, oi, target_fn):
    """``(x (1,H,W,C), maps (m,h,w)) -> (m, ...)`` for the image times each upsampled map: the
    chosen output, or the callable target's scores ``(m,)``."""

    def build():
        @tf_function(reduce_retracing=True, autograph=False)
        def fn(x, maps):
            size = tf.shape(x)[1:3]
            up = tf.image.resize(maps[..., None], size, method="bilinear")  # (m, H, W, 1)
            lo = tf.reduce_min(up, axis=[1, 2, 3], keepdims=True)
            hi = tf.reduce_max(up, axis=[1, 2, 3], keepdims=True)
            span = hi - lo
            # A constant channel highlights nothing: its mask is all zeros (the black baseline).
            mask = tf.where(span > 0, (up - lo) / tf.where(span > 0, span, 1.0), 0.0)
            xm = x * mask  # (1, H, W, C) * (m, H, W, 1) -> (m, H, W, C)
            inp = model_input(acc, xm, preprocess)
            out, _ = run_model(acc, inp, ())
            y = as_float(pick_output(out, oi))
            return y if target_fn is None else callable_scores(target_fn, y, None)

        return fn

    key = ("cam_masked", preprocess_key(preprocess), oi,
           None if target_fn is None else ("fn", id(target_fn)), target_fn)
    return acc.compiled(key, build)


# ------------------------------------------------------------------------------------- running
def _upsample(maps: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """``(k, h, w)`` -> ``(k, H, W)`` bilinear (convex, so [0, 1] stays [0, 1])."""
    if maps.shape[1:] == tuple(size):
        return maps.astype(np.float32)
    up = tf.image.resize(maps[..., None], size, method="bilinear")  # (k, H, W, 1)
    return np.clip(up.numpy()[..., 0], 0.0, 1.0).astype(np.float32)


def _display_image(image, input_shape=None) -> tuple[np.ndarray, bool]:
    """The image as passed, as ``(H, W, C)`` float32 [0, 1]; and whether it was finite.

    ``image`` is read by the package's one rule (:func:`~.._images.split_images`: a path is
    read, ``(n, h, w)`` is n grayscale images for a grayscale model ``input_shape``).
    """
    images = split_images(image, input_shape)
    if len(images) != 1:
        raise ValueError(
            f"gradcam explains one image, got a batch of {len(images)}. Loop over the "
            "images (the model's cache keeps it fast), or pass target=[...] for several "
            "classes of one image.")
    arr = images[0]
    finite = True
    if arr.dtype.kind == "f" and not np.isfinite(arr).all():
        finite = False
        arr = np.nan_to_num(arr, nan=0.0, posinf=1.0, neginf=0.0)
    # No size or channel requirement: this is the display copy at the caller's resolution.
    shown = prepare_images(arr, (None, None, None, None)).images[0]
    return shown, finite


def _activation_for(acc, path, x, preprocess, use_cache=True):
    """Cached ``(A (1,h,w,c), [outputs (1,...)])`` for one prepared image ``x (1,H,W,C)``."""
    pkey = preprocess_key(preprocess)
    version = acc.weights_version()
    digest = image_digest(x[0])
    key_a = ("cam_act", digest, pkey, version, path)
    key_o = ("cam_out", digest, pkey, version)
    a = acc.cache.get(key_a) if use_cache else None
    outs = acc.cache.get(key_o) if use_cache else None
    if a is None or outs is None:
        a_t, out_t = _capture_fn(acc, path, preprocess)(tf.constant(x))
        a, outs = a_t.numpy(), tuple(t.numpy() for t in out_t)
        # Non-finite values would be served to every later call; never cache them.
        if use_cache and np.isfinite(a).all() and all(np.isfinite(o).all() for o in outs):
            acc.cache.put(key_a, a)
            acc.cache.put(key_o, outs)
    return a, outs


def _region_target(acc, image, target, layer, preprocess, output, meth):
    """The resolved :class:`~.region.Region` this call explains, or ``None`` (not a region).

    A :class:`Region` target, or ``target=None`` on an image-shaped output (a U-Net's map has no
    top-1 class: its default target is the predicted foreground), is resolved against the
    image's own prediction (one cached forward pass, shared with the CAM's capture).
    """
    from ..outputs import image_shaped
    from .region import Region

    if isinstance(target, (list, tuple)) and any(isinstance(t, Region) for t in target):
        raise TypeError("Pass one Region as target=, not a list; call gradcam once per region.")
    if isinstance(target, Region) and target.resolved:
        return target
    meta = _meta(acc)
    if target is None:
        oi = choose_output(meta, output, acc.model.name, allow_all=True)
        if oi is None or not image_shaped(meta.outputs[oi]):
            return None
        target = Region()
    elif not isinstance(target, Region):
        return None
    oi = choose_output(meta, output, acc.model.name)
    shown, finite = _display_image(image)
    if not finite:
        # Nothing runs on a NaN image (the result says so); the region is only a label here.
        hw = tuple(d or 1 for d in meta.outputs[oi].shape[1:3])
        resolved = target.resolve(np.zeros(hw + (1,), np.float32))
        resolved._mask = np.ones(hw, bool)
        return resolved
    from .predictions import model_output

    cam_layer = layer if meth.level != "pixel" else None
    out = model_output(acc, shown, preprocess, layer=cam_layer, output=oi)
    return target.resolve(out, meta.outputs[oi].activation)


def compute_cam(model, image, target=None, layer=None, method="gradcam",
                preprocess: Callable | None = None, *, on_step=None, cancel=None,
                batch_size: int = 32, cache: bool = True, output=None, input_size=None,
                _resolved=False):
    """Implementation of :func:`convviz_widgets.compute.cam.gradcam` (see there)."""
    acc = access(model).at_size(input_size)
    meth = get_method(method)
    region = _region_target(acc, image, target, layer, preprocess, output, meth)
    if region is not None:
        if region.pixels == 0 and not _resolved:
            # Nothing to explain: say so instead of a flat map from a zero score.
            res = compute_cam(model, image, target=region, layer=layer, method=method,
                              preprocess=preprocess, batch_size=batch_size, cache=cache,
                              output=output, input_size=input_size, _resolved=True)
            return replace(res, heatmap=np.zeros_like(res.heatmap), flag="empty_region")
        target = region
    if meth.level == "pixel":
        from ._pixel import compute_pixel  # the input-resolution driver (imports this module)

        return compute_pixel(acc, meth, image, target=target, layer=layer,
                             preprocess=preprocess, on_step=on_step, cancel=cancel,
                             batch_size=batch_size, cache=cache, output=output)
    results, was_list, _ = layer_cam(acc, meth, _display_image(image, acc.input_shape), target,
                                     layer, preprocess, on_step=on_step, cancel=cancel,
                                     batch_size=batch_size, cache=cache, output=output)
    return results if was_list else results[0]


def layer_cam(acc, meth, shown_finite, target, layer, preprocess, *, on_step=None, cancel=None,
              batch_size: int = 32, cache: bool = True, output=None):
    """The layer-level driver: ``(results, was_list, output)`` for a displayed image.

    ``shown_finite`` is :func:`_display_image`'s ``(image, finite)``; ``output`` is the chosen
    model output for the image ``(...)`` (``None`` for a non-finite image), the very forward
    pass the CAM used, so :func:`~.predictions.gradcam_with_predictions` ranks classes without
    preparing or running the image again.
    """
    meta = _meta(acc)
    is_fn = callable(target) and not isinstance(target, type)
    oi = choose_output(meta, output, acc.model.name, allow_all=is_fn)
    o = meta.outputs[oi] if oi is not None else None
    path = require_spatial(acc.model, layer, "class activation map") if layer is not None else \
        default_layer(acc.model)
    targets, was_list = check_targets(target, o, acc.model.name)
    target_fn = targets[0] if is_fn else None
    shown, finite = shown_finite
    size = shown.shape[:2]
    channels = acc.infos()[path].output_shape[-1] or 0

    def empty(flag, t, score=float("nan"), prob=None, a_hw=(1, 1)):
        return CAMResult(np.zeros(size, np.float32), t, float(score), prob, path,
                         np.zeros(channels, np.float32), np.zeros(a_hw, np.float32), meth.name,
                         flag, shown)

    if not finite:
        return [empty("nonfinite_input", t) for t in targets], was_list, None

    x = prepare_images(shown, acc.input_shape).images[:1]  # (1, H, W, C) at model size
    check_preprocess(preprocess, x, acc.input_shape)
    a, real_outs = _activation_for(acc, path, x, preprocess, use_cache=cache)
    chosen = real_outs[oi][0] if oi is not None else None
    codes = np.array([-1 if (t is None or callable(t)) else t for t in targets], np.int32)
    head = _head_fn(acc, path, preprocess, meta, oi, target_fn)
    scores, classes, grads = head(tf.constant(x), tf.constant(a), tf.constant(codes))
    scores, classes, grads = scores.numpy(), classes.numpy(), grads.numpy()
    if scores.shape != (len(targets),):
        raise ValueError(f"The target callable returned {scores.shape[0]} scores for 1 image; "
                         "it must return one score per sample, shape (n,).")
    resolved = [target_fn if target_fn is not None else int(c) for c in classes]
    probs = None if target_fn is not None else probabilities(real_outs[oi], o)[0]

    def prob_of(t):
        return None if probs is None else float(probs[t])

    if not (np.isfinite(a).all() and np.isfinite(grads).all() and np.isfinite(scores).all()):
        return [empty("nonfinite_map", t, s, prob_of(t), a.shape[1:3])
                for t, s in zip(resolved, scores)], was_list, chosen

    tracker = CAMTracker(on_step, cancel)
    ctx = CAMContext(
        activation=a[0], gradients=grads, scores=scores, targets=resolved,
        masked_scores=_masked_scorer(acc, preprocess, o, oi, x, resolved, path, cache,
                                     (on_step, cancel, tracker)),
        batch_size=int(batch_size), on_step=on_step, cancel=cancel, tracker=tracker)
    # One colour everywhere: nothing to localise (per channel, so solid red counts too), and no
    # reason to spend Score-CAM's hundreds of forward passes on it.
    constant = bool((shown.max(axis=(0, 1)) == shown.min(axis=(0, 1))).all())
    if constant:
        weights = np.zeros((len(resolved), a.shape[-1]), np.float32)
        maps = np.zeros((len(resolved),) + a.shape[1:3], np.float32)
    else:
        with tracker:  # one on_end (cancelled or not) for a Progress, if the method reported
            weights, maps = meth.run(ctx)
    results = []
    for i, t in enumerate(resolved):
        raw = maps[i]
        peak = float(raw.max()) if raw.size else 0.0
        flag = None
        if constant:
            flag = "constant_input"
        elif not np.isfinite(raw).all():
            flag = "nonfinite_map"
        elif meth.uses_gradients and not np.any(grads[i]):
            flag = "no_gradient"
        elif peak <= 0.0:
            flag = "no_positive_evidence"
        if flag is None:
            heat = _upsample((raw / peak)[None], size)[0]  # (h, w) -> (1, h, w) -> (H, W)
            # Interpolation can miss the peak between grid points; rescale so 1 is always "the
            # most important region", whatever the size ratio.
            top = float(heat.max())
            heat = heat / top if top > 0 else heat
        else:
            heat = np.zeros(size, np.float32)
        results.append(CAMResult(
            heat, t, float(scores[i]), prob_of(t), path,
            weights[i].astype(np.float32), np.where(np.isfinite(raw), raw, 0).astype(np.float32),
            meth.name, flag, shown))
    return results, was_list, chosen


def _masked_scorer(acc, preprocess, o, oi, x, targets, path, cache, hooks):
    """Build ``ctx.masked_scores`` for one image and its resolved targets.

    ``hooks`` is the call's ``(on_step, cancel, tracker)``: a method passing the context's own
    ``on_step``/``cancel`` reports through the call's tracker (one ``on_begin``/``on_end`` for a
    :class:`~convviz_widgets.compute.Progress`); other hooks get a tracker of their own.
    """

    def masked_scores(maps, on_step=None, cancel=None, batch_size=32):
        maps = np.asarray(maps, np.float32)  # (m, h, w)
        m = maps.shape[0]
        class_targets = not callable(targets[0])
        key = None
        if class_targets and cache:
            key = ("cam_masked", image_digest(x[0]), preprocess_key(preprocess),
                   acc.weights_version(), path, oi, image_digest(maps))
            hit = acc.cache.get(key)
            if hit is not None:
                return hit[:, targets]
        shared = on_step is hooks[0] and cancel is hooks[1]
        tracker = hooks[2] if shared else CAMTracker(on_step, cancel)
        fn = _masked_fn(acc, preprocess, oi, None if class_targets else targets[0])
        xt = tf.constant(x)
        rows = []
        total = -(-m // batch_size)
        try:
            for b, start in enumerate(range(0, m, batch_size)):
                tracker.check_before(b, total)
                out = fn(xt, tf.constant(maps[start:start + batch_size])).numpy()
                if class_targets:
                    rows.append(probabilities(out, o))  # (b, classes)
                else:
                    rows.append(out.reshape(-1)[:, None])  # (b,) -> (b, 1)
                tracker.report(b + 1, total)
        finally:
            if not shared:
                tracker.end()
        allout = np.concatenate(rows, axis=0)
        if key is not None and np.isfinite(allout).all():
            acc.cache.put(key, allout)
        return allout[:, targets] if class_targets else allout

    return masked_scores


def reads_layer(meth) -> bool:
    """True when ``meth`` maps a feature-map layer (CAM methods, guided Grad-CAM)."""
    return meth.level == "layer" or bool(getattr(meth, "needs_layer", False))


def check_method_args(meth, layer=None, batch_size: int | None = None) -> int:
    """Refuse arguments ``meth`` cannot use (bug 9); return the batch size to run with.

    ``layer`` acts only for methods that read a layer (:func:`reads_layer`); ``batch_size``
    only for those that run the model many times (``long_running``: Score-CAM, SmoothGrad,
    integrated gradients). Either given to another method would change nothing, so it raises.
    """
    from .base import cam_methods

    if layer is not None and not reads_layer(meth):
        names = [n for n in cam_methods() if reads_layer(get_method(n))]
        raise InputError("cam_layer_pixel", method=meth.name,
                         layer=layer if isinstance(layer, str) else getattr(layer, "name", layer),
                         methods=", ".join(names))
    if batch_size is not None and not meth.long_running:
        names = [n for n in cam_methods() if get_method(n).long_running]
        raise InputError("cam_batch_size", method=meth.name, methods=", ".join(names))
    return check_batch_size(32 if batch_size is None else batch_size)


def check_batch_size(batch_size: int) -> int:
    """Validate a batch size (a positive int)."""
    if not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
        raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}.")
    return int(batch_size)
