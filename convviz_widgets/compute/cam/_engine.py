"""The CAM engine: the model facts, the capture, the compiled head and forward functions.

Steps 1 and 2 of the recipe in :mod:`.layer` live here: a new image is captured and explained
in one compiled pass (:func:`_capture_fn` with a head), and its feature map is kept per image,
layer, preprocess and weights (the model's byte-bounded LRU); a class switch re-runs only the
compiled head (:func:`_head_fn`), with the layer's output replaced by the cached map — or,
where the fresh pass kept the head's forward state, only its backward pass.
Score-CAM's masked passes run in :func:`_masked_fn`, batched by :mod:`._masked`; the driver is
:mod:`.pipeline`. Everything is ``keras.ops`` and the backend seam (:mod:`..backend`).
Model facts come from the model's one trace (:meth:`ModelAccess.trace
<convviz_widgets.compute.ModelAccess.trace>`), output reading from :mod:`..outputs`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import keras
import numpy as np
from keras import ops

from .. import backend
from .._access import access, check_preprocess, model_input, require_spatial
from .._identity import fingerprint_fn, identity_from
from .._preprocess_identity import preprocess_key
from .._images import image_digest, prepare_images, split_images
from .._model_trace import linear_final, run_model
from .._trace import OutputInfo
from ..outputs import as_float, callable_scores, choose_output, class_scores, pick_output
from ._kept import KEPT_MAPS, Kept, kept_also, kept_key, kept_switch
from .overlay import resize_bilinear

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
def _explained(acc, inp, path, oi, meta, target_fn, *, replace=None, watch=None):
    """Run the model on ``inp``: ``(scores per class (1, classes) or (1,), logits, output)``.

    With ``replace={path: a}`` only the head after ``path`` runs on the given map (a class
    switch); with ``watch=(watch, store)`` the whole model runs once and the layer's first
    output goes through the seam's ``watch`` as it is made and is kept in ``store["a"]`` (a
    fresh image: one forward pass feeds both the capture and the head, see
    :func:`_capture_fn`). ``output`` is the model's output as the model returns it
    (probabilities, not logits).
    """
    o = meta.outputs[oi] if oi is not None else None
    class_targets = target_fn is None
    # A Region target (Seg-Grad-CAM) sums logits, as class targets do: a confident sigmoid
    # map's probabilities are saturated and their gradients vanish.
    logits_wanted = class_targets or (o is not None and getattr(target_fn, "on_logits", False))
    read_input = logits_wanted and o is not None and o.logit_from == "input"
    wrap = {path: _watcher(*watch)} if watch is not None else None
    with linear_final(acc, o, active=logits_wanted) as final:
        out, cap = run_model(acc, inp, (), replace=replace,
                             capture_inputs=(o.final_path,) if read_input else (),
                             wrap_calls=wrap)
    y = pick_output(out, oi)
    logits = cap[("input", o.final_path)] if read_input else y
    if final.layer is not None and oi is not None:
        # The final layer ran without its softmax/sigmoid: put it back for the output.
        flat = keras.tree.flatten(out)
        flat[oi] = final.saved(y)
        out = keras.tree.pack_sequence_as(out, flat)
    if class_targets:
        return class_scores(logits, o.kind), logits, out
    return callable_scores(target_fn, as_float(logits), 1), logits, out


def _watcher(watch, store):
    """``wrap_calls`` entry: the layer's first output goes through ``watch`` as it is made."""

    def wrap(layer, call):
        def watched(*args, **kwargs):
            out = call(*args, **kwargs)
            if "a" not in store:
                out = watch(out)
                store["a"] = out
            return out

        return watched

    return wrap


def _gradients(per, pullback, targets, target_fn):
    """``(scores (k,), classes (k,), grads (k, h, w, c))`` from the seam's ``pullback``.

    For class targets, one vector-Jacobian product per target (see :func:`_head_impl`).
    """
    if target_fn is None:
        top = ops.cast(ops.argmax(per[0]), "int32")
        chosen = ops.where(targets < 0, top, targets)  # -1: the top class
        scores = ops.take(per[0], chosen)
        seeds = ops.one_hot(chosen, per.shape[1], dtype=per.dtype)[:, None]  # (k, 1, classes)
        grads = pullback(seeds)[:, 0]
    else:
        scores = per
        chosen = ops.full((per.shape[0],), -1, dtype="int32")
        grads = pullback(ops.ones_like(per)[None])[:, 0]
    return scores, chosen, grads


def _head_impl(acc, path, preprocess, meta, oi, target_fn):
    """``(x (1,H,W,C), a (1,h,w,c), targets (k,)) -> (scores (k,), classes (k,), grads)``.

    The head runs forward *once* on batch 1 and then back once per target, each a
    vector-Jacobian product with a one-hot cotangent (:func:`~..backend.vjp`). Batching the k
    targets instead (k copies of the feature map, one backward pass) looks cheaper but is not
    on CPUs without oneDNN: the gradient of a dense layer then is ``MatMul(dy (k, n), W,
    transpose_b=True)``, which Eigen computes ~50x slower than the batch-1 matrix-vector
    product (VGG16's fc1: 1.1 s instead of 17 ms), so five targets cost 4x a forward pass
    there instead of 1.2x.
    """

    def impl(x, a, targets):
        inp = model_input(acc, x, preprocess)

        def head(a_):
            per, _, _ = _explained(acc, inp, path, oi, meta, target_fn, replace={path: a_})
            return per, ()

        per, _, pullback = backend.vjp(head, a)
        return _gradients(per, pullback, targets, target_fn)

    return impl


def _head_fn(acc, path, preprocess, meta, oi, target_fn=None):
    key = ("cam_head", path, preprocess_key(preprocess), oi,
           None if target_fn is None else ("fn", id(target_fn)), target_fn)
    return acc.compiled(key, lambda: backend.compile(
        _head_impl(acc, path, preprocess, meta, oi, target_fn), list(acc.model.weights)))


def _forward_only(fn):
    """A compiled forward-only function, run without an autograd record (PyTorch)."""

    def call(*args):
        with backend.no_grad():
            return fn(*args)

    return call


def _capture_fn(acc, path, preprocess, head=None):
    """``x (n,H,W,C) -> (A (n,h,w,c), [outputs])``, one compiled forward pass.

    With ``head=(meta, oi, target_fn)`` (batch 1) the same single pass also explains the
    image: ``(weights ids, (x, targets) -> (A, [outputs], scores, classes, grads, weights
    fingerprint, kept))``, the fingerprint computed alongside (as the activations' capture does:
    a new image needs no separate weights read). The layer's output is
    watched as it is made (:func:`~..backend.watched_vjp`), so the head runs once, forward,
    and then back once per target: a fresh Grad-CAM costs one forward pass plus the head's
    backward pass. Capturing first and then running :func:`_head_fn` ran the head forward
    twice (VGG16: +0.13x of a forward pass, ``docs/architecture.md``, "Speed").
    """
    if head is not None:
        meta, oi, target_fn = head

        def build_fused():
            # Read once, here: walking ``model.weights`` on every call cost ~0.1 ms (demo).
            variables = list(acc.model.weights)
            ids, fingerprint_of = fingerprint_fn(acc.model)  # traced once per model, shared

            def fused(x, targets):
                def run(watch):
                    inp = model_input(acc, x, preprocess)
                    per, _, out = _explained(acc, inp, path, oi, meta, target_fn,
                                             watch=(watch, {}))
                    return per, out

                per, out, a, pullback = backend.watched_vjp(run)
                scores, chosen, grads = _gradients(per, pullback, targets, target_fn)
                fingerprint = fingerprint_of()
                # The head's forward state, for the next class of this image (issue 27), and
                # the weights fingerprint its backward pass computes alongside (checked after).
                kept = (per, pullback, kept_also(fingerprint_of, fingerprint)) \
                    if backend.KEEPS_PULLBACK and target_fn is None else ()
                return (ops.cast(a, "float32"), keras.tree.flatten(as_float(out)), scores,
                        chosen, grads, fingerprint, kept)

            if target_fn is not None or not backend.KEEPS_PULLBACK:
                return ids, backend.compile(fused, variables)
            # The pullback outlives the call (TensorFlow: the backward graph alone, pruned).
            size = (1, *acc.input_shape[1:])
            return ids, backend.compile(fused, variables,
                                        [(size, "float32"), ((None,), "int32")], pullback=True)

        return acc.compiled(("cam_capture_head", path, preprocess_key(preprocess), oi,
                             None if target_fn is None else ("fn", id(target_fn)), target_fn),
                            build_fused)

    def build():
        def fn(x):
            inp = model_input(acc, x, preprocess)
            out, cap = run_model(acc, inp, (path,))
            return ops.cast(cap[path], "float32"), keras.tree.flatten(as_float(out))

        return _forward_only(backend.compile(fn, list(acc.model.weights)))

    return acc.compiled(("cam_capture", path, preprocess_key(preprocess)), build)


def _forward_fn(acc, preprocess, oi):
    """``x (n,H,W,C) display -> chosen model output``, compiled (batched model calls)."""

    def build():
        def fn(x):
            inp = model_input(acc, x, preprocess)
            out, _ = run_model(acc, inp, ())
            return ops.cast(pick_output(out, oi), "float32")

        return _forward_only(backend.compile(fn, list(acc.model.weights)))

    return acc.compiled(("cam_forward", preprocess_key(preprocess), oi), build)


def _masked_fn(acc, preprocess, oi, target_fn):
    """``(x (1,H,W,C), up (m,H,W,1)) -> (m, ...)`` for the image times each map (upsampled to
    the image, :func:`_upsampled`): the chosen output, or the callable target's scores
    ``(m,)``."""

    def build():
        def fn(x, up):
            lo = ops.min(up, axis=(1, 2, 3), keepdims=True)
            hi = ops.max(up, axis=(1, 2, 3), keepdims=True)
            span = hi - lo
            # A constant channel highlights nothing: its mask is all zeros (the black baseline).
            mask = ops.where(span > 0, (up - lo) / ops.where(span > 0, span, 1.0), 0.0)
            xm = x * mask  # (1, H, W, C) * (m, H, W, 1) -> (m, H, W, C)
            inp = model_input(acc, xm, preprocess)
            out, _ = run_model(acc, inp, ())
            y = as_float(pick_output(out, oi))
            return y if target_fn is None else callable_scores(target_fn, y, None)

        return _forward_only(backend.compile(fn, list(acc.model.weights)))

    key = ("cam_masked", preprocess_key(preprocess), oi,
           None if target_fn is None else ("fn", id(target_fn)), target_fn)
    return acc.compiled(key, build)


def _upsampled(maps: np.ndarray, size) -> np.ndarray:
    """``(m, h, w)`` maps -> ``(m, H, W, 1)`` bilinear at the image's size (numpy: the same
    half-pixel rule on every backend)."""
    return resize_bilinear(maps, tuple(size))[..., None]


# ------------------------------------------------------------------------------------- running
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


def _cache_keys(path, digest, pkey, version) -> tuple:
    """The cache keys of one image's feature map and outputs."""
    return ("cam_act", digest, pkey, version, path), ("cam_out", digest, pkey, version)


def _image_keys(acc, path, x, preprocess) -> tuple:
    """``(digest, preprocess key, was this image's map ever cached)`` for ``x (1,H,W,C)``."""
    digest, pkey = image_digest(x[0]), preprocess_key(preprocess)
    return digest, pkey, acc.was_captured(("cam_act", digest, pkey, path))


def _keep(acc, keys, a, outs) -> None:
    """Cache a capture, unless it has non-finite values (they would be served to every call)."""
    if np.isfinite(a).all() and all(np.isfinite(o).all() for o in outs):
        acc.cache.put(keys[0], a)
        acc.cache.put(keys[1], outs)
        act = keys[0]
        acc.mark_captured((act[0], act[1], act[2], act[4]))


def _activation_for(acc, path, x, preprocess, use_cache=True):
    """Cached ``(A (1,h,w,c), [outputs (1,...)])`` for one prepared image ``x (1,H,W,C)``."""
    keys = _cache_keys(path, image_digest(x[0]), preprocess_key(preprocess),
                       acc.weights_version()) if use_cache else None
    a = acc.cache.get(keys[0]) if use_cache else None
    outs = acc.cache.get(keys[1]) if use_cache else None
    if a is None or outs is None:
        a_t, out_t = _capture_fn(acc, path, preprocess)(x)  # numpy: see backend.compile
        a, outs = backend.to_numpy(a_t), tuple(backend.to_numpy(out_t))
        if use_cache:
            _keep(acc, keys, a, outs)
    return a, outs


def _explain_layer(acc, path, x, preprocess, meta, oi, target_fn, codes, use_cache=True):
    """``(A, [outputs], scores (k,), classes (k,), grads (k,h,w,c))`` for one image ``x``.

    A cached feature map runs only the head (:func:`_head_fn`: a class switch) — or, where the
    backend can keep the head's forward state (:data:`~..backend.KEEPS_PULLBACK`; TensorFlow
    where the head's backward graph can be pruned), only its backward pass, from the pullback
    the image's fresh pass kept. Otherwise one pass captures the map and explains it
    (:func:`_capture_fn` with its head), and the map (and the pullback) is cached for the next
    target. An image whose map was never cached is not looked up: the weights identity of its
    keys comes from the fresh pass, which computes it alongside; a kept pullback checks the
    weights identity after its backward pass (:func:`._kept.kept_switch`).
    """
    digest, pkey, seen = _image_keys(acc, path, x, preprocess)
    codes = np.asarray(codes, np.int32)
    if use_cache and seen and target_fn is None and backend.KEEPS_PULLBACK:
        switched = kept_switch(acc, kept_key(path, digest, pkey, oi), codes,
                               lambda version: _cache_keys(path, digest, pkey, version))
        if switched is not None:
            return switched
    keys = _cache_keys(path, digest, pkey, acc.weights_version()) \
        if use_cache and seen else None
    a = acc.cache.get(keys[0]) if keys is not None else None
    outs = acc.cache.get(keys[1]) if keys is not None else None
    if a is not None and outs is not None:
        scores, classes, grads = backend.to_numpy(
            _head_fn(acc, path, preprocess, meta, oi, target_fn)(x, a, codes))
    else:
        ids, fused = _capture_fn(acc, path, preprocess, (meta, oi, target_fn))
        *found, kept = fused(x, codes)
        a, out_t, scores, classes, grads, fingerprint = backend.to_numpy(found)
        outs = tuple(out_t)
        if use_cache:
            version = identity_from(ids, fingerprint)
            keys = _cache_keys(path, digest, pkey, version)
            _keep(acc, keys, a, outs)
            if kept and target_fn is None and np.isfinite(grads).all():
                acc.cache.put(kept_key(path, digest, pkey, oi),
                              Kept(backend.to_numpy(kept[0])[0], kept[1],
                                   nbytes=KEPT_MAPS * a.nbytes, version=version))
    return a, outs, scores, classes, grads


def model_output(model, image, preprocess: Callable | None = None, *, layer=None,
                 output=None, input_size=None) -> np.ndarray:
    """The model's output for one image, shared with :func:`gradcam`'s cache.

    Parameters
    ----------
    model : keras.Model
    image : array-like
        One image ``(h, w, c)`` or ``(h, w)`` in display space (uint8, or float in [0, 1]).
    preprocess : callable, optional
        Display images to model input (Keras ops).
    layer : str, optional
        The layer a following :func:`gradcam` call will use (default: :func:`default_layer`);
        sharing it means that call reuses this forward pass.
    output : int or str, optional
        For a model with several outputs, which one (index or name); required there.
    input_size : (int, int), optional
        Run the image at this ``(height, width)`` instead of the model's own size rule (see
        :func:`~convviz_widgets.compute.cam.gradcam`).

    Returns
    -------
    ndarray
        The output for this image without the batch axis, float32 (e.g. ``(classes,)``).

    Examples
    --------
    >>> import convviz_widgets as cv
    >>> scenes = cv.demo_images()                                            # doctest: +SKIP
    >>> cv.compute.cam.model_output(cv.demo_model(), scenes.images[0]).shape  # doctest: +SKIP
    (5,)
    """
    acc = access(model).at_size(input_size)
    oi = choose_output(_meta(acc), output, acc.model.name)
    path = require_spatial(model, layer, "class activation map") if layer is not None else \
        default_layer(model)
    x = prepare_images(image, acc.input_shape).images[:1]
    check_preprocess(preprocess, x, acc.input_shape)
    return _activation_for(acc, path, x, preprocess)[1][oi][0]
