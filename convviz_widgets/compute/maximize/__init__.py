"""Filter maximisation: the input pattern each filter responds to most, and DeepDream.

Gradient ascent in input space, split the way the feature-visualisation literature splits it:

* :mod:`.param` — what is optimised (the pixels, or 1/f-scaled Fourier coefficients in
  decorrelated colour behind a sigmoid);
* :mod:`.objectives` — what is maximised (a channel, its centre unit, a whole layer for
  DeepDream, image priors; composable with ``+`` and ``*``);
* :mod:`.transforms` — the random jitter / scale / rotation / blur applied before each step;
* :mod:`._loop` — one compiled step for a batch of filters, chunked, cancellable, reporting
  frames through ``on_step``.

Everything here works in *display space*: images are float32 in [0, 1] (RGB or grayscale) and
the model's own input scaling is the ``preprocess`` callable, so the returned images are what
the model actually saw.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Callable, Mapping, Sequence

import numpy as np
import tensorflow as tf

from .._images import prepare_images
from .._model_access import access, check_filters, require_spatial
from ..activations import _check_preprocess
from . import objectives, param, transforms
from ._cache import ResultCache, callable_fingerprint, weights_fingerprint
from ._loop import Adam, NormalizedAscent, Step, auto_batch_size, optimize
from .objectives import (Objective, as_objective, channel, deepdream as deepdream_objective, l2,
                         neuron, total_variation)
from .param import Fourier, Parameterization, Pixels, make_param
from .transforms import (Affine, Blur, Jitter, RandomRotate, RandomScale, Transform,
                         standard_transforms)

__all__ = [
    "maximize", "deepdream", "MaximizeResult", "DreamResult", "METHODS", "Step",
    "channel", "neuron", "deepdream_objective", "total_variation", "l2", "Objective",
    "Fourier", "Pixels", "Parameterization", "Affine", "Jitter", "RandomScale", "RandomRotate",
    "Blur", "Transform", "standard_transforms", "pattern_size",
    "objectives", "param", "transforms",
]

#: Registered methods: name -> one-line description (the widget lists these).
METHODS = {
    "regularized": "Fourier/decorrelated parameterisation, jitter/scale/rotation, Adam",
    "naive": "the classic lesson: RMS-normalised gradient, fixed step, from grey plus noise",
}
DEFAULT_STEPS = {"regularized": 256, "naive": 40}
#: Step sizes: Adam's in Fourier-coefficient units; the naive recipe's is one grey level per
#: step (the lesson's step of 1.0 on a 0..255 input).
DEFAULT_LR = {"regularized": 0.05, "naive": 1.0 / 255.0}
#: Pattern side for models whose input size is free (fully convolutional).
DEFAULT_SIZE = 128
_MIN_SIZE = 8


@dataclass(frozen=True, eq=False)
class MaximizeResult:
    """Optimised input patterns, one per filter.

    Attributes
    ----------
    images : ndarray
        ``(n, H, W, C)`` float32 in [0, 1]: the optimised inputs in display space. Running
        ``model(preprocess(images))`` reproduces :attr:`activation`. (They are not contrast
        stretched; views do that.)
    activation : ndarray
        ``(n,)`` float32: each filter's mean activation (over positions) on its image.
    history : ndarray
        ``(steps, n)`` float32: the same measure at every step, on the randomly transformed
        image the step saw (NaN for steps not run after a cancel).
    objective : ndarray
        ``(n,)`` float32: the objective's value on :attr:`images` (equals :attr:`activation`
        for the default channel objective).
    layer : str
        Path of the layer.
    filters : ndarray
        ``(n,)`` int: the filter of each row (after a cancel, only the filters that started).
    method : str
    steps : int
    seed : int
    complete : ndarray
        ``(n,)`` bool: the row ran all its steps (False for the chunk a cancel interrupted).
    from_cache : ndarray
        ``(n,)`` bool: the row came from the cache.
    cancelled : bool
    seconds : float
        Wall time of the call.
    """

    images: np.ndarray
    activation: np.ndarray
    history: np.ndarray
    objective: np.ndarray
    layer: str
    filters: np.ndarray
    method: str
    steps: int
    seed: int
    complete: np.ndarray
    from_cache: np.ndarray
    cancelled: bool = False
    seconds: float = 0.0
    settings: dict = field(default_factory=dict, repr=False)

    def __len__(self) -> int:
        return len(self.filters)

    def image(self, filter_index: int) -> np.ndarray:
        """``(H, W, C)`` pattern of one filter (by filter index, not row).

        Examples
        --------
        >>> res = maximize(model, "conv_b", [2, 5])        # doctest: +SKIP
        >>> res.image(5).shape                             # doctest: +SKIP
        (40, 56, 3)
        """
        rows = np.flatnonzero(self.filters == int(filter_index))
        if not rows.size:
            raise KeyError(f"Filter {filter_index} is not in this result; it has filters "
                           f"{self.filters.tolist()[:10]}{'...' if len(self) > 10 else ''}.")
        return self.images[rows[0]]

    def __repr__(self) -> str:
        n, h, w, c = self.images.shape if self.images.ndim == 4 else (0, 0, 0, 0)
        state = " cancelled" if self.cancelled else ""
        return (f"MaximizeResult(layer={self.layer!r}, filters={len(self)}, size={h}×{w}×{c}, "
                f"method={self.method!r}, steps={self.steps}, "
                f"mean activation={np.nanmean(self.activation) if len(self) else float('nan'):.4g}"
                f"{state})")


@dataclass(frozen=True, eq=False)
class DreamResult:
    """DeepDream output.

    Attributes
    ----------
    images : ndarray
        ``(n, H, W, C)`` float32 in [0, 1], the dreamed images at the input's size (the model's
        size for fixed-size models).
    score : ndarray
        ``(n,)`` the objective on :attr:`images`.
    start_score : ndarray
        ``(n,)`` the objective on the original images.
    history : ndarray
        ``(octaves * steps, n)`` the objective at every step.
    octave_sizes : list of (int, int)
    cancelled : bool
    """

    images: np.ndarray
    score: np.ndarray
    start_score: np.ndarray
    history: np.ndarray
    octave_sizes: list
    cancelled: bool = False


def _as_hw(size) -> tuple[int, int]:
    if isinstance(size, (int, np.integer)):
        return int(size), int(size)
    if isinstance(size, (tuple, list)) and len(size) == 2:
        return int(size[0]), int(size[1])
    raise TypeError(f"size must be an int or (height, width), got {size!r}.")


def pattern_size(model, size=None) -> tuple[int, int]:
    """The ``(H, W)`` at which patterns are optimised for ``model``.

    A model with a fixed input size is optimised at that size (``size`` must match or be None);
    a fully convolutional model at ``size`` (default 128).

    Raises
    ------
    ValueError
        ``size`` differs from a fixed model size, or is too small.

    Examples
    --------
    >>> pattern_size(keras.applications.VGG16(weights=None))        # doctest: +SKIP
    (224, 224)
    """
    _, mh, mw, _ = access(model).input_shape
    want = _as_hw(size) if size is not None else None
    if mh is not None and mw is not None:
        if want is not None and want != (mh, mw):
            raise ValueError(
                f"Model {access(model).model.name!r} has a fixed input size {mh}×{mw}, so "
                f"patterns are optimised at that size, not {want[0]}×{want[1]}. Pass size=None "
                "(or rebuild the model with input shape (None, None, channels) to choose).")
        return int(mh), int(mw)
    h, w = want if want is not None else (DEFAULT_SIZE, DEFAULT_SIZE)
    h, w = (mh or h), (mw or w)
    if min(h, w) < _MIN_SIZE:
        raise ValueError(f"size {h}×{w} is too small; use at least {_MIN_SIZE} pixels a side.")
    return int(h), int(w)


def _channels(acc) -> int:
    c = acc.input_shape[3]
    if c is None:
        raise ValueError("The model's input has an unknown channel count; build it with a fixed "
                         "number of channels, e.g. keras.Input((None, None, 3)).")
    return int(c)


def _method_defaults(method, hw, lr, param_, transforms_):
    if method not in METHODS:
        raise ValueError(f"Unknown method {method!r}; use one of {list(METHODS)}.")
    if method == "naive":
        p = make_param(param_) if param_ is not None else Pixels()
        t = list(transforms_) if transforms_ is not None else []
        opt = NormalizedAscent(DEFAULT_LR["naive"] if lr is None else lr, norm="rms")
    else:
        p = make_param(param_) if param_ is not None else Fourier()
        t = list(transforms_) if transforms_ is not None else standard_transforms(min(hw))
        opt = Adam(DEFAULT_LR["regularized"] if lr is None else lr)
    for tr in t:
        if not isinstance(tr, Transform):
            raise TypeError(f"transforms must be Transform instances (Jitter(4), Blur(1), ...), "
                            f"got {tr!r}.")
    return p, t, opt


def maximize(model, layer, filters=None, *, size=None, steps: int | None = None,
             method: str = "regularized", seed: int = 0, preprocess: Callable | None = None,
             on_step: Callable | None = None, objective=None,
             param: Parameterization | str | None = None,
             transforms: Sequence[Transform] | None = None, lr: float | None = None,
             batch_size: int | None = None, cancel: threading.Event | None = None,
             cache: bool = True, cache_dir=None) -> MaximizeResult:
    """Find the input pattern that each filter of ``layer`` responds to most.

    Parameters
    ----------
    model : keras.Model
        Sequential, functional, nested or subclassed; any channel count.
    layer : str or keras.layers.Layer
        A layer with a feature-map output (path, unique name or the layer object).
    filters : int, sequence of int, or None
        Filter (channel) indices; ``None`` means every filter of the layer.
    size : int or (int, int), optional
        Pattern size for fully convolutional models (default 128); fixed-size models always use
        their own size.
    steps : int, optional
        Gradient-ascent steps (default 256 regularised, 40 naive).
    method : {"regularized", "naive"}
        ``"regularized"``: Fourier / decorrelated-colour parameterisation behind a sigmoid,
        random shift / scale / rotation each step, Adam; a ReLU filter that is silent on the
        start image climbs its pre-activation until it fires (else its gradient is zero). ``"naive"``: the classic lesson —
        pixels from grey plus noise, loss = mean of the filter's output, gradient divided by
        its root mean square, fixed step (kept inside [0, 1]).
    seed : int
        Seeds the starting image and the random transforms (per filter: a filter's pattern does
        not depend on the other filters requested with it).
    preprocess : callable, optional
        Display image (float32 tensor in [0, 1]) → model input, with differentiable TF ops, e.g.
        ``lambda x: keras.applications.vgg16.preprocess_input(x * 255)``.
    on_step : callable, optional
        ``on_step(step, images, activation)`` after every step: ``step`` is an int (steps done,
        with ``step.total``), ``images`` the ``(n, H, W, C)`` current images of every requested
        filter (grey until its chunk starts; a live buffer: copy it to keep it), ``activation``
        ``(n,)``. Return ``False`` to stop.
    objective : str or Objective, optional
        ``"channel"`` (default: mean of each filter's map), ``"neuron"`` (its centre unit), or a
        composed :class:`Objective`; ``index=None`` terms follow each row's filter.
    param, transforms, lr : optional
        Override the method's parameterisation (``"fourier"``, ``"pixels"`` or an instance),
        transform list and step size.
    batch_size : int, optional
        Filters per compiled step (default: as many as fit a memory budget, at most 64).
    cancel : threading.Event, optional
        Set it (from another thread) to stop before the next step.
    cache : bool
        Reuse results computed before with identical weights and settings (memory, and disk
        with ``cache_dir``); cancelled rows are never stored.
    cache_dir : str or path, optional
        Also keep results as ``.npz`` files here, so a restarted notebook gets them instantly.

    Returns
    -------
    MaximizeResult
        ``.images (n, H, W, C)`` in [0, 1], ``.activation (n,)``, ``.history (steps, n)``.

    Raises
    ------
    ValueError
        Unknown layer (closest names suggested), a layer without a feature map, a filter index
        out of range, an unknown method, a size that the model cannot take, a failing
        ``preprocess``.

    Examples
    --------
    >>> import convviz_widgets as cv
    >>> model = cv.demo_model()                                          # doctest: +SKIP
    >>> res = cv.maximize(model, "block2_conv1", [0, 1, 2], steps=64)   # doctest: +SKIP
    >>> res.images.shape, res.activation.shape                          # doctest: +SKIP
    ((3, 64, 64, 3), (3,))
    >>> naive = cv.maximize(model, "block2_conv1", 0, method="naive")   # doctest: +SKIP
    """
    t0 = time.perf_counter()
    acc = access(model)
    path = require_spatial(model, layer, "filters to maximise")
    info = acc.infos()[path]
    n_channels = info.channels
    if n_channels is None:
        raise ValueError(f"Layer {path!r} has an unknown channel count; it cannot be maximised.")
    filters = check_filters(info, filters, int(n_channels))
    if steps is None:
        steps = DEFAULT_STEPS.get(method, 256)
    if not isinstance(steps, (int, np.integer)) or steps < 1:
        raise ValueError(f"steps must be a positive integer, got {steps!r}.")
    steps = int(steps)
    hw = pattern_size(model, size)
    c = _channels(acc)
    p, t, opt = _method_defaults(method, hw, lr, param, transforms)
    if preprocess is not None:
        _check_preprocess(preprocess, np.full((1,) + hw + (c,), 0.5, np.float32),
                          acc.input_shape)
    obj = as_objective(objective, path).resolve(
        lambda l: require_spatial(model, l, "features to maximise"))

    store = None
    if cache or cache_dir is not None:
        settings = ("maximize-v2", weights_fingerprint(acc.model), path, method, steps, hw, c,
                    p.key, tuple(x.key for x in t), opt.key, obj.key,
                    callable_fingerprint(preprocess), int(seed))
        store = ResultCache(acc.cache if cache else None, settings,
                            cache_dir if cache else None)

    n = len(filters)
    uniq, first = np.unique(filters, return_index=True)  # each filter computed once
    found = {}
    if store is not None:
        for f in uniq:
            item = store.get(int(f))
            if item is not None:
                found[int(f)] = item
    todo = np.array([f for f in uniq if int(f) not in found], np.int64)
    todo_rows = np.array([first[np.searchsorted(uniq, f)] for f in todo], np.int64)

    frames = np.full((n,) + hw + (c,), 0.5, np.float32)
    frame_act = np.full((n,), np.nan, np.float32)
    for i, f in enumerate(filters):
        if int(f) in found:
            frames[i] = found[int(f)][0]
            frame_act[i] = found[int(f)][1]

    computed = {}
    cancelled = False
    if len(todo):
        loop = optimize(acc, filters=todo, seeds=int(seed), steps=steps, objective=obj,
                        report_path=path, param=p, transforms=t, optimizer=opt,
                        preprocess=preprocess, hw=hw, channels=c, batch_size=batch_size,
                        on_step=on_step, frames=frames, frame_rows=todo_rows,
                        frame_activation=frame_act, cancel=cancel,
                        # The lesson's recipe stays as taught: stuck when a unit is silent.
                        redirect_dead=method == "regularized")
        cancelled = loop.cancelled
        for j, r in enumerate(loop.rows):
            f = int(todo[r])
            full = bool(loop.steps_done[j] == steps)
            item = (loop.images[j], float(loop.activation[j]), float(loop.objective[j]),
                    loop.history[:, j])
            computed[f] = (item, full)
            if full and store is not None:
                store.put(f, item)

    rows, imgs, acts, objs, hists, complete, cached = [], [], [], [], [], [], []
    for i, f in enumerate(filters):
        f = int(f)
        if f in found:
            item, full, hit = found[f], True, True
        elif f in computed:
            (item, full), hit = computed[f], False
        else:
            continue  # never started (cancelled before its chunk)
        rows.append(f)
        imgs.append(item[0])
        acts.append(item[1])
        objs.append(item[2])
        hists.append(item[3])
        complete.append(full)
        cached.append(hit)
    m = len(rows)
    return MaximizeResult(
        images=np.stack(imgs) if m else np.zeros((0,) + hw + (c,), np.float32),
        activation=np.asarray(acts, np.float32),
        history=np.stack(hists, axis=1) if m else np.zeros((steps, 0), np.float32),
        objective=np.asarray(objs, np.float32),
        layer=path, filters=np.asarray(rows, np.int64), method=method, steps=steps,
        seed=int(seed), complete=np.asarray(complete, bool), from_cache=np.asarray(cached, bool),
        cancelled=cancelled, seconds=time.perf_counter() - t0,
        settings={"size": hw, "param": p, "transforms": t, "optimizer": opt, "objective": obj,
                  "batch_size": batch_size or auto_batch_size(acc, path, hw)})


def _default_dream_layers(model) -> list[str]:
    from .._model_access import conv_layers

    convs = [i.path for i in conv_layers(model, "kernel") if i.is_spatial and i.calls]
    if not convs:
        raise ValueError("The model has no convolution layer to dream with; pass layers=.")
    # Two thirds of the way in: deep enough for parts of objects, not so deep that the
    # receptive fields swallow the whole image.
    return [convs[min(len(convs) - 1, (2 * len(convs)) // 3)]]


def deepdream(model, images, layers=None, *, objective: Objective | None = None,
              octaves: int = 3, octave_scale: float = 1.4, steps: int = 20, lr: float = 0.01,
              preprocess: Callable | None = None, on_step: Callable | None = None,
              cancel: threading.Event | None = None, seed: int = 0) -> DreamResult:
    """DeepDream: amplify what ``layers`` already see in real images, over several octaves.

    Each octave runs ``steps`` of gradient ascent on the pixels (gradient divided by its mean
    absolute value, fixed step ``lr``) at a size ``octave_scale`` times larger than the last,
    from the smallest up to the image's own size; after each octave the detail lost by
    shrinking the original is added back, so the dream stays anchored to the photograph.

    Parameters
    ----------
    model : keras.Model
    images : array-like
        ``(h, w, c)`` or ``(n, h, w, c)``, uint8 or float in [0, 1]. Fully convolutional models
        dream at the images' size; fixed-size models at their own size (each octave is then
        upsampled to it before the model sees it).
    layers : str, layer, list, or dict, optional
        Layers whose mean squared activation is maximised; a dict maps layer → weight. Default:
        a convolution layer two thirds of the way into the model.
    objective : Objective, optional
        Replaces ``layers`` with any composed objective.
    octaves, octave_scale, steps, lr : optional
        Number of scales, size ratio between them, steps per octave, and step size (display
        units per step).
    preprocess, on_step, cancel, seed : optional
        As in :func:`maximize`; ``on_step`` receives the current octave's images.

    Returns
    -------
    DreamResult
        ``.images (n, H, W, C)`` in [0, 1], ``.score`` and ``.start_score`` ``(n,)``.

    Examples
    --------
    >>> import convviz_widgets as cv
    >>> scenes = cv.demo_images()                                               # doctest: +SKIP
    >>> dream = cv.deepdream(cv.demo_model(), scenes.images[0], "block3_conv1")  # doctest: +SKIP
    >>> bool(dream.score[0] > dream.start_score[0])                             # doctest: +SKIP
    True
    """
    acc = access(model)
    c = _channels(acc)
    if objective is None:
        if layers is None:
            layers = _default_dream_layers(model)
        if isinstance(layers, Mapping):
            weighted = list(layers.items())
        else:
            if isinstance(layers, str) or not isinstance(layers, (list, tuple)):
                layers = [layers]
            weighted = [(l, 1.0) for l in layers]
        objective = sum(float(wt) * deepdream_objective(l) for l, wt in weighted)
    elif not isinstance(objective, Objective):
        raise TypeError("objective must be an Objective, e.g. deepdream_objective('block3_conv1').")
    obj = objective.resolve(lambda l: require_spatial(model, l, "features to dream with"))
    if int(octaves) < 1 or not octave_scale > 1.0:
        raise ValueError("octaves must be ≥ 1 and octave_scale > 1 (e.g. octaves=3, "
                         "octave_scale=1.4).")
    prepared = prepare_images(images, acc.input_shape)
    original = prepared.images  # (n, H, W, C) in [0, 1]
    n, h, w, _ = original.shape
    _, mh, mw, _ = acc.input_shape
    model_hw = (int(mh), int(mw)) if mh is not None and mw is not None else None
    if preprocess is not None:
        _check_preprocess(preprocess, original[:1], acc.input_shape)

    sizes = [(max(_MIN_SIZE, int(round(h / octave_scale ** i))),
              max(_MIN_SIZE, int(round(w / octave_scale ** i)))) for i in range(int(octaves))][::-1]
    opt = NormalizedAscent(lr, norm="mean_abs")
    total = len(sizes) * int(steps)

    def resize(x, hw):
        if tuple(x.shape[1:3]) == tuple(hw):
            return np.asarray(x, np.float32)
        return tf.image.resize(x, hw, method="bilinear", antialias=True).numpy()

    start_score = _dream_score(acc, obj, original, preprocess, model_hw)
    shrunk = resize(original, sizes[0])
    current = shrunk
    histories, cancelled, offset = [], False, 0
    for k, hw in enumerate(sizes):
        current = np.clip(resize(current, hw), 0.0, 1.0)
        wrapped = None
        if on_step is not None:
            def wrapped(step, frames, act, _off=offset, _k=k):
                return on_step(Step(_off + int(step), total, _k), frames, act)
        loop = optimize(acc, filters=np.arange(n), seeds=int(seed), steps=int(steps),
                        objective=obj, report_path=None, param=Pixels(), transforms=None,
                        optimizer=opt, preprocess=preprocess, hw=hw, channels=c,
                        model_hw=model_hw, init=current, on_step=wrapped, cancel=cancel)
        histories.append(loop.history)
        offset += int(steps)
        if loop.cancelled and len(loop.rows) < n:
            cancelled = True
            break
        current = loop.images
        # Re-inject the detail the shrunk original lacks at this size.
        lost = resize(original, hw) - resize(shrunk, hw)
        current = np.clip(current + lost, 0.0, 1.0)
        shrunk = resize(original, hw)
        if loop.cancelled:
            cancelled = True
            break
    result = resize(current, (h, w)) if tuple(current.shape[1:3]) != (h, w) else current
    result = np.clip(result, 0.0, 1.0).astype(np.float32)
    history = np.concatenate(histories, axis=0) if histories else np.zeros((0, n), np.float32)
    return DreamResult(result, _dream_score(acc, obj, result, preprocess, model_hw), start_score,
                       history, sizes, cancelled)


def _dream_score(acc, obj, images, preprocess, model_hw):
    from ._loop import _features
    from .objectives import Context

    x = tf.constant(images)
    feats = _features(acc, x, tuple(sorted(set(obj.layers()))), preprocess, model_hw)
    return obj(Context(feats, x, tf.zeros((len(images),), tf.int32))).numpy().astype(np.float32)
