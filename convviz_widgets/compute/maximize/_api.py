""":func:`maximize`: the input pattern each filter, unit or class responds to most.

This module is the entry point: it checks the arguments, builds the run from the request
(``_request``) and the method's recipe (``_recipe``), keys the result cache, runs the rows
(``_rows``) and assembles the :class:`MaximizeResult`.
"""

from __future__ import annotations

import hashlib
import threading
import time
from typing import Callable, Sequence

import numpy as np

from .._access import access, check_preprocess
from .._identity import weights_digest
from .._preprocess_identity import preprocess_key
from .._layer_info import check_filters
from .._messages import InputError
from ..progress import Progress, Tracker
from ._cache import ResultCache
from ._loop import auto_batch_size
from ._recipe import DEFAULT_STEPS, method_defaults, start_image
from ._request import channels_of, layer_resolver, pattern_size, resolve_target
from ._results import MaximizeResult
from ._rows import run_cached, run_diverse
from .objectives import LOGITS, as_objective
from .param import Parameterization
from .transforms import Transform

__all__ = ["maximize"]


def _to_display(raw: np.ndarray) -> np.ndarray:
    lo = raw.min(axis=(1, 2, 3), keepdims=True)
    hi = raw.max(axis=(1, 2, 3), keepdims=True)
    return ((raw - lo) / np.maximum(hi - lo, 1e-12)).astype(np.float32)


def maximize(model, layer=None, filters=None, *, size=None, steps: int | None = None,
             method: str = "regularized", seed: int = 0, preprocess: Callable | None = None,
             on_step: Callable | Progress | None = None, objective=None,
             init="grey+noise", space: str = "display", n_patterns: int | None = None,
             diversity_weight: float | None = None,
             param: Parameterization | str | None = None,
             transforms: Sequence[Transform] | None = None, lr: float | None = None,
             batch_size: int | None = None, cancel: threading.Event | None = None,
             cache: bool = True, cache_dir=None, input_size=None,
             cached_only: bool = False) -> MaximizeResult:
    """Find the input pattern that each filter of ``layer`` (or each unit, or class) responds
    to most.

    Parameters
    ----------
    model : keras.Model
        Sequential, functional, nested or subclassed; any channel count.
    layer : str or keras.layers.Layer
        A layer with a feature-map output (path, unique name or the layer object); with
        ``objective="class"`` also a Dense layer, or ``None`` for the model's classes.
    filters : int, sequence of int, or None
        Filter (channel) indices — units or classes for ``objective="class"``; ``None`` means
        all of them.
    size : int or (int, int), optional
        Pattern size for fully convolutional models (default 128), except a subclassed model
        that takes any size, optimised by default at the size it was built on; fixed-size
        models always use their own size.
    steps : int, optional
        Gradient-ascent steps (default 256 regularised, 40 naive).
    method : {"regularized", "naive"}
        ``"regularized"``: Fourier / decorrelated-colour parameterisation behind a sigmoid,
        random shift / scale / rotation each step, Adam; a ReLU filter that is silent on the
        start image climbs its pre-activation until it fires (else its gradient is zero).
        ``"naive"``: the classic lesson — pixels from grey plus noise, loss = mean of the
        filter's output, gradient divided by its root mean square, fixed step (kept inside
        [0, 1] in display space).
    seed : int
        Seeds the starting image and the random transforms (per filter: a filter's pattern does
        not depend on the other filters requested with it).
    preprocess : callable, optional
        Display image (float32 tensor in [0, 1]) → model input, with differentiable TF ops, e.g.
        ``lambda x: keras.applications.vgg16.preprocess_input(x * 255)``.
    on_step : callable or Progress, optional
        The package's progress protocol (:mod:`convviz_widgets.compute.progress`): a callable
        ``on_step(done, total)`` after every step (``done`` counts steps over all chunks;
        return ``False`` to stop), or a :class:`~convviz_widgets.compute.progress.Progress`
        whose ``on_frame(done, total, images, scores)`` also receives the ``(n, H, W, C)``
        current images of every requested row (grey until its chunk starts; a live buffer:
        copy it to keep it) and ``(n,)`` activations.
    objective : str or Objective, optional
        ``"channel"`` (default: mean of each filter's map; the lesson's recipe), ``"neuron"``
        (its centre unit), ``"negative"`` (minus the channel mean, before its ReLU: what turns
        the filter off), ``"class"`` (each class's logit before the softmax / sigmoid — a
        one-unit sigmoid gives class 1 = logit, class 0 = -logit — or each unit of a Dense
        ``layer``), ``"diversity"`` (``n_patterns`` different patterns per filter: the
        channel plus lucid's Gram-matrix diversity term), or a composed :class:`Objective`
        such as ``neuron(layer, y=3, x=5)``; ``index=None`` terms follow each row's filter.
    init : {"grey+noise", "uniform"} or array
        The starting image: grey plus a little noise (default, the lesson's), uniform noise in
        [0, 1) (the U-Net lesson's), or an ``(H, W, C)`` image (resized to the pattern size).
        Anything but the default optimises pixels (``param="pixels"``).
    space : {"display", "model"}
        ``"display"``: the image is kept in [0, 1] and fed through ``preprocess``.
        ``"model"``: the model input itself is optimised, unclipped (the U-Net lesson: uniform
        start, ``steps=20``, step 1.0 — the default ``lr`` there); the result's ``.raw`` holds
        its values and ``.images`` their per-image [min, max] stretch.
    n_patterns, diversity_weight : optional
        For ``objective="diversity"`` only (any other objective raises): patterns per filter
        (default 4) and the weight of the diversity term (default 0.5; the channel term has
        weight 1). Larger weights push the patterns further apart
        at the cost of activation; above about 1 some patterns give up the filter altogether
        (measured in ``benchmarks/bench_objectives.py``).
    param, transforms, lr : optional
        Override the method's parameterisation (``"fourier"``, ``"pixels"`` or an instance),
        transform list and step size.
    batch_size : int, optional
        Filters per compiled step (default: as many as fit a memory budget, at most 64).
    cancel : threading.Event, optional
        Set it (from another thread) to stop before the next step.
    cache : bool
        Reuse results computed before with identical weights and settings (memory, and disk
        with ``cache_dir``); cancelled rows are never stored, diversity runs never cached.
    cache_dir : str or path, optional
        Also keep results as ``.npz`` files here, so a restarted notebook gets them instantly
        (with ``cache=True`` and any objective but ``"diversity"``; otherwise it raises).
    input_size : (int, int), optional
        Optimise at this ``(height, width)`` whatever the model's own size rule says (for a
        model whose size the rule gets wrong).
    cached_only : bool
        Return only the rows already cached (memory or ``cache_dir``) and compute nothing: a
        view asks this to show a known pattern at once (diversity runs are never cached, so
        nothing is returned for them).

    Returns
    -------
    MaximizeResult
        ``.images (n, H, W, C)`` in [0, 1], ``.activation (n,)``, ``.history (steps, n)``;
        after a stop, the rows that started, marked ``cancelled``.

    Raises
    ------
    ValueError
        Unknown layer (closest names suggested), a layer without a feature map, a filter index
        out of range, an unknown method or objective, a size that the model cannot take, a
        failing ``preprocess``; an argument that would change nothing (``n_patterns`` /
        ``diversity_weight`` without ``objective="diversity"``, ``cache_dir`` with
        ``cache=False`` or a diversity run).

    Examples
    --------
    >>> import convviz_widgets as cv
    >>> model = cv.demo_model()                                          # doctest: +SKIP
    >>> res = cv.maximize(model, "block2_conv1", [0, 1, 2], steps=64)   # doctest: +SKIP
    >>> res.images.shape, res.activation.shape                          # doctest: +SKIP
    ((3, 64, 64, 3), (3,))
    >>> stars = cv.maximize(model, None, 3, objective="class")          # doctest: +SKIP
    >>> raw = cv.maximize(model, "block1_conv1", 0, method="naive", init="uniform",
    ...                   space="model", steps=20).raw                  # doctest: +SKIP
    """
    t0 = time.perf_counter()
    acc = access(model).at_size(input_size)
    path, n_units, obj, name = resolve_target(model, acc, layer, objective)
    # An argument that cannot act raises rather than run as if it had (bug 9: four identical
    # "diverse" patterns, similarity 1.000).
    given = [a for a, v in (("n_patterns", n_patterns), ("diversity_weight", diversity_weight))
             if v is not None]
    if given and name != "diversity":
        raise InputError("maximize_diversity_args", args=" / ".join(f"{a}=" for a in given),
                         objective=name)
    if cache_dir is not None and not cache:
        raise InputError("maximize_cache_dir_off")
    if cache_dir is not None and name == "diversity":
        raise InputError("maximize_cache_dir_diversity")
    n_patterns = 4 if n_patterns is None else n_patterns
    diversity_weight = 0.5 if diversity_weight is None else diversity_weight
    info_path = path if path != LOGITS else None
    filters = check_filters(acc.infos()[info_path] if info_path else _LogitsInfo(), filters,
                            n_units)
    if steps is None:
        steps = DEFAULT_STEPS.get(method, 256)
    if not isinstance(steps, (int, np.integer)) or steps < 1:
        raise ValueError(f"steps must be a positive integer, got {steps!r}.")
    steps = int(steps)
    hw = pattern_size(acc, size)
    c = channels_of(acc)
    p, t, opt = method_defaults(method, hw, lr, param, transforms, init, space)
    start = start_image(init, hw, c, space)
    if space == "model" and preprocess is not None:
        raise ValueError("space='model' optimises the model input itself, so there is no "
                         "preprocess step; pass preprocess=None (or use space='display').")
    if preprocess is not None:
        check_preprocess(preprocess, np.full((1,) + hw + (c,), 0.5, np.float32),
                          acc.input_shape)
    obj = obj.resolve(layer_resolver(model, "features to maximise"))
    if name == "diversity":
        obj = as_objective("diversity", path, diversity_weight=float(diversity_weight))
    run = dict(acc=acc, path=path, steps=steps, p=p, t=t, opt=opt, obj=obj, hw=hw, c=c,
               preprocess=preprocess, seed=int(seed), start=start, method=method)
    with Tracker(on_step, cancel) as tracker:
        if name == "diversity":
            rows = ([],) * 7 + (False,) if cached_only else \
                run_diverse(run, filters, int(n_patterns), tracker)
        else:
            store = None
            if cache or cache_dir is not None:
                settings = ("maximize-v4", weights_digest(acc.model), path, method, steps,
                            hw, c, p.key, tuple(x.key for x in t), opt.key, obj.key,
                            preprocess_key(preprocess), int(seed), space,
                            None if start is None else hashlib.blake2b(
                                start.tobytes(), digest_size=8).hexdigest())
                store = ResultCache(acc.cache if cache else None, settings,
                                    cache_dir if cache else None)
            rows = run_cached(run, filters, batch_size, store, tracker, cached_only)
    imgs, acts, objs, hists, complete, cached, row_filters, cancelled = rows
    m = len(row_filters)
    images = np.stack(imgs) if m else np.zeros((0,) + hw + (c,), np.float32)
    raw = None
    if space == "model":
        raw, images = images, _to_display(images) if m else images
    return MaximizeResult(
        images=images, activation=np.asarray(acts, np.float32),
        history=np.stack(hists, axis=1) if m else np.zeros((steps, 0), np.float32),
        objective=np.asarray(objs, np.float32),
        layer=path, filters=np.asarray(row_filters, np.int64), method=method, steps=steps,
        seed=int(seed), complete=np.asarray(complete, bool), from_cache=np.asarray(cached, bool),
        cancelled=cancelled, seconds=time.perf_counter() - t0,
        settings={"size": hw, "param": p, "transforms": t, "optimizer": opt, "objective": obj,
                  "init": init if isinstance(init, str) else "image", "space": space,
                  "batch_size": batch_size or auto_batch_size(acc, info_path, hw)},
        raw=raw, objective_name=name)


class _LogitsInfo:
    path = "the model's classes"
