"""The one attribution driver: resolve the request, run the method, finish the maps.

Every method goes through :func:`explain`, whatever its type:

1. **resolve** — the image as displayed (NaN/inf noted, nothing runs on it), a
   :class:`~.region.Region` resolved against the image's own prediction, and ``target=`` /
   ``output=`` as one typed :class:`~.target.Target`; the layer for methods that read one;
2. **method** — the method's type scores the request (:meth:`AttributionMethod.score
   <.base.AttributionMethod.score>`: one forward pass, resolved targets, scores, probabilities)
   and, unless the image is constant or the scores are not finite, makes the raw maps
   (:meth:`~.base.AttributionMethod.maps`). Layer-level (:class:`~.layer.CAMMethod`) and
   pixel-level (:class:`~._pixel.PixelMethod`) methods are sibling types with their own hooks;
   the driver never asks which one it has;
3. **finish** — one place (:func:`finish_map`) for the flags, the renormalisation and the
   resize to the image.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, replace
from typing import Any, Callable

import numpy as np

from .._access import access, check_preprocess, require_spatial
from .._images import prepare_images
from .._messages import InputError
from ..outputs import choose_output, image_shaped
from .overlay import resize_bilinear
from .base import AttributionMethod, CAMResult, CAMTracker, cam_methods, get_method
from ._engine import _display_image, _meta, default_layer, model_output
from .region import Region
from .target import Target, resolve_target

__all__ = ["Request", "check_batch_size", "check_method_args", "compute_cam", "explain",
           "finish_map", "reads_layer"]


@dataclass
class Request:
    """One call, resolved: what a method type's :meth:`~.base.AttributionMethod.score` reads.

    Attributes
    ----------
    acc : ModelAccess
    target : Target
    layer : str or None
        Path of the feature-map layer (methods that read one), else ``None``.
    shown : ndarray
        ``(H, W, C)`` the image as passed, in [0, 1] (results come back at its size).
    x : ndarray
        ``(1, H', W', C)`` the image at the model's input size.
    preprocess, batch_size, cache, output, on_step, cancel
        As passed to :func:`~convviz_widgets.compute.cam.gradcam`.
    tracker : CAMTracker
        The call's one progress/cancel tracker.
    """

    acc: Any
    target: Target
    layer: str | None
    shown: np.ndarray
    x: np.ndarray
    preprocess: Callable | None
    batch_size: int
    cache: bool
    output: Any
    on_step: Callable | None
    cancel: threading.Event | None
    tracker: CAMTracker


def reads_layer(meth) -> bool:
    """True when ``meth`` maps a feature-map layer (CAM methods, guided Grad-CAM).

    Examples
    --------
    >>> reads_layer(get_method("gradcam")), reads_layer(get_method("saliency"))
    (True, False)
    """
    return bool(get_method(meth).needs_layer)


def check_method_args(meth, layer=None, batch_size: int | None = None) -> int:
    """Refuse arguments ``meth`` cannot use (bug 9); return the batch size to run with.

    ``layer`` acts only for methods that read a layer (:func:`reads_layer`); ``batch_size``
    only for those that run the model many times (``long_running``: Score-CAM, SmoothGrad,
    integrated gradients). Either given to another method would change nothing, so it raises.

    Examples
    --------
    >>> check_method_args(get_method("scorecam"), batch_size=8)
    8
    """
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
    """Validate a batch size (a positive int).

    Examples
    --------
    >>> check_batch_size(16)
    16
    """
    if not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
        raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}.")
    return int(batch_size)


def _region_target(acc, image, target, layer, preprocess, output, meth):
    """The resolved :class:`~.region.Region` this call explains, or ``None`` (not a region).

    A :class:`Region` target, or ``target=None`` on an image-shaped output (a U-Net's map has no
    top-1 class: its default target is the predicted foreground), is resolved against the
    image's own prediction (one cached forward pass, shared with the CAM's capture).
    """
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
    out = model_output(acc, shown, preprocess, layer=layer if meth.needs_layer else None,
                       output=oi)
    return target.resolve(out, meta.outputs[oi].activation)


def _resize(m: np.ndarray, size, signed: bool) -> np.ndarray:
    """``(h, w)`` in [0, 1] (or [-1, 1] when signed) -> ``(H, W)`` bilinear, in the same range
    (bilinear is convex, the clip removes float round-off)."""
    if m.shape == tuple(size):
        return m.astype(np.float32)
    up = resize_bilinear(m, tuple(size))
    return np.clip(up, -1.0 if signed else 0.0, 1.0).astype(np.float32)


def finish_map(raw: np.ndarray, size, *, signed: bool = False, flag: str | None = None,
               flat_flag: str = "no_gradient") -> tuple[np.ndarray, str | None, float | None]:
    """A raw map as a heatmap at the image's size: ``(heatmap, flag, scale)``.

    The one rule for every method: a non-finite map is flagged ``"nonfinite_map"``, a map
    that is 0 everywhere ``flat_flag``; otherwise it is divided by its largest magnitude,
    resized bilinearly and divided again by the largest magnitude after the resize
    (interpolation can miss the peak between grid points, and 1 must always be "the most
    important region"). ``heatmap * scale`` is the map in its own units.

    Parameters
    ----------
    raw : ndarray
        ``(h, w)`` the method's map (non-negative unless ``signed``).
    size : (int, int)
        The image's ``(H, W)``.
    signed : bool
        Keep the sign: the heatmap is in [-1, 1] instead of [0, 1].
    flag : str, optional
        A flag already known (constant image, no gradient): the heatmap is zeros.
    flat_flag : str
        The flag of an all-zero map.

    Examples
    --------
    >>> heat, flag, scale = finish_map(np.array([[0.0, 2.0], [1.0, 0.0]]), (2, 2))
    >>> heat.tolist(), flag, scale
    ([[0.0, 1.0], [0.5, 0.0]], None, 2.0)
    >>> finish_map(np.zeros((2, 2)), (4, 4), flat_flag="no_positive_evidence")[1]
    'no_positive_evidence'
    """
    raw = np.asarray(raw, np.float64)
    if flag is None and not np.isfinite(raw).all():
        flag = "nonfinite_map"
    peak = float(np.abs(raw).max()) if raw.size and flag is None else 0.0
    if flag is None and peak <= 0.0:
        flag = flat_flag
    if flag is not None:
        return np.zeros(size, np.float32), flag, None
    heat = _resize(raw / peak, size, signed)
    top = float(np.abs(heat).max())
    heat = heat / top if top > 0 else heat
    return heat.astype(np.float32), None, peak * (top if top > 0 else 1.0)


def compute_cam(model, image, target=None, layer=None, method="gradcam",
                preprocess: Callable | None = None, *, on_step=None, cancel=None,
                batch_size: int = 32, cache: bool = True, output=None, input_size=None):
    """Implementation of :func:`convviz_widgets.compute.cam.gradcam` (see there)."""
    results, was_list, _ = explain(access(model).at_size(input_size), get_method(method), image,
                                   target, layer, preprocess, on_step=on_step, cancel=cancel,
                                   batch_size=batch_size, cache=cache, output=output)
    return results if was_list else results[0]


def explain(acc, meth: AttributionMethod, image, target=None, layer=None, preprocess=None, *,
            on_step=None, cancel=None, batch_size: int = 32, cache: bool = True, output=None):
    """The driver: ``(results, was_list, chosen output)`` for one image.

    The chosen output (batch axis dropped) is the forward pass the maps used, so
    :func:`~.predictions.gradcam_with_predictions` ranks classes without running the image again;
    ``None`` when nothing ran or the method did not read it.
    """
    region = _region_target(acc, image, target, layer, preprocess, output, meth)
    tgt = resolve_target(acc, region if region is not None else target, output)
    path = None
    if meth.needs_layer:
        path = require_spatial(acc.model, layer, "class activation map") \
            if layer is not None else default_layer(acc.model)
    shown, finite = _display_image(image, acc.input_shape)
    size = shown.shape[:2]
    where = path or "input"
    if not finite:
        channels, hw = meth.empty(acc, path)
        return [CAMResult(np.zeros(size, np.float32), t, float("nan"), None, where,
                          np.zeros(channels, np.float32), np.zeros(hw, np.float32), meth.name,
                          "nonfinite_input", shown, meth.signed)
                for t in tgt.items], tgt.was_list, None

    x = prepare_images(shown, acc.input_shape).images[:1]  # (1, H, W, C) at model size
    check_preprocess(preprocess, x, acc.input_shape)
    req = Request(acc, tgt, path, shown, x, preprocess, int(batch_size), cache, output, on_step,
                  cancel, CAMTracker(on_step, cancel))
    scored = meth.score(req)
    k = len(scored.targets)
    # One colour everywhere: nothing to localise (per channel, so solid red counts too), and no
    # reason to spend Score-CAM's hundreds of forward passes on it.
    # (Every pixel equal to the first, channel by channel: one pass; the max and min over two
    # axes cost 8x this on a 64 px image, 0.06x of the demo model's forward pass.)
    constant = bool((shown == shown[0, 0]).all())
    flag = scored.flag or ("constant_input" if constant else None)
    if flag is None:
        with req.tracker:  # one on_end (cancelled or not) for a Progress, if the method reported
            weights, maps = meth.maps(scored)
    else:
        weights = np.zeros((k, scored.channels), np.float32)
        maps = np.zeros((k,) + tuple(scored.map_hw), np.float32)
    details = scored.details or [{} for _ in range(k)]
    results = []
    for i, t in enumerate(scored.targets):
        raw = np.asarray(maps[i])
        one = flag
        if one is None and scored.no_gradient and scored.no_gradient[i] and np.isfinite(raw).all():
            one = "no_gradient"
        heat, one, scale = finish_map(raw, size, signed=meth.signed, flag=one,
                                      flat_flag=meth.flat_flag)
        if scale is not None:
            details[i]["scale"] = scale
        results.append(CAMResult(
            heat, t, float(scored.scores[i]), scored.probability(t), where,
            np.asarray(weights[i], np.float32),
            np.where(np.isfinite(raw), raw, 0).astype(np.float32), meth.name, one, shown,
            meth.signed, details[i]))
    if region is not None and region.pixels == 0:
        # Nothing to explain: say so instead of a flat map from a zero score.
        results = [replace(r, heatmap=np.zeros_like(r.heatmap), flag="empty_region")
                   for r in results]
    return results, tgt.was_list, scored.output
