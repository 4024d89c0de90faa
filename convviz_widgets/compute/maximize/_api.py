""":func:`maximize`: the input pattern each filter, unit or class responds to most."""

from __future__ import annotations

import hashlib
import threading
import time
from typing import Callable, Sequence

import numpy as np
import tensorflow as tf

from .._access import access, check_preprocess, require_spatial, resolve_layer
from .._layer_info import check_filters
from .._messages import InputError
from ..progress import Progress, Tracker
from ._cache import ResultCache, callable_fingerprint, weights_fingerprint
from ._logits import class_count, output_layer
from ._loop import auto_batch_size, optimize
from ._optimizers import Adam, NormalizedAscent
from ._results import MaximizeResult
from .objectives import LOGITS, OBJECTIVES, ClassScore, Objective, as_objective
from .param import Fourier, Parameterization, Pixels, make_param
from .transforms import Transform, standard_transforms

__all__ = ["maximize", "pattern_size", "class_layers", "target_count", "METHODS",
           "DEFAULT_STEPS", "DEFAULT_LR", "DEFAULT_SIZE", "INITS", "SPACES"]

#: Registered methods: name -> one-line description (the widget lists these).
METHODS = {
    "regularized": "Fourier/decorrelated parameterisation, jitter/scale/rotation, Adam",
    "naive": "the classic lesson: RMS-normalised gradient, fixed step, from grey plus noise",
}
DEFAULT_STEPS = {"regularized": 256, "naive": 40}
#: Step sizes: Adam's in Fourier-coefficient units; the naive recipe's is one grey level per
#: step (the lesson's step of 1.0 on a 0..255 input). In model space the naive step is 1.0 on
#: the raw input, as in the U-Net lesson.
DEFAULT_LR = {"regularized": 0.05, "naive": 1.0 / 255.0, "naive-model": 1.0}
#: Pattern side for models whose input size is free (fully convolutional).
DEFAULT_SIZE = 128
#: Named starting images (a given image is the third kind of ``init=``).
INITS = ("grey+noise", "uniform")
#: Where the optimised image lives: a display image in [0, 1] fed through ``preprocess``, or
#: the model input itself, unclipped.
SPACES = ("display", "model")
_MIN_SIZE = 8


def _as_hw(size) -> tuple[int, int]:
    if isinstance(size, (int, np.integer)):
        return int(size), int(size)
    if isinstance(size, (tuple, list)) and len(size) == 2:
        return int(size[0]), int(size[1])
    raise TypeError(f"size must be an int or (height, width), got {size!r}.")


def pattern_size(model, size=None) -> tuple[int, int]:
    """The ``(H, W)`` at which patterns are optimised for ``model``.

    A model with a fixed input size is optimised at that size (``size`` must match or be None);
    a fully convolutional model at ``size`` (default: the size a subclassed model was built
    on, :attr:`~convviz_widgets.compute.ModelAccess.built_size`, else 128).

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
    h, w = want if want is not None else (access(model).built_size or (DEFAULT_SIZE,
                                                                       DEFAULT_SIZE))
    h, w = (mh or h), (mw or w)
    if min(h, w) < _MIN_SIZE:
        raise ValueError(f"size {h}×{w} is too small; use at least {_MIN_SIZE} pixels a side.")
    return int(h), int(w)


def channels_of(acc) -> int:
    """The model input's channel count (an error that says how to fix an unknown one)."""
    c = acc.input_shape[3]
    if c is None:
        raise ValueError("The model's input has an unknown channel count; build it with a fixed "
                         "number of channels, e.g. keras.Input((None, None, 3)).")
    return int(c)


def layer_resolver(model, what: str):
    """``resolver(layer, needs_map) -> path`` for :meth:`Objective.resolve`: a feature map, or
    (``needs_map=False``) also a layer with ``(n, units)`` output such as a Dense layer."""

    def resolve(layer, needs_map=True):
        if layer == LOGITS:
            return LOGITS
        info = resolve_layer(model, layer)
        if not needs_map and len(info.output_shape) == 2 and info.calls:
            return info.path
        return require_spatial(model, layer, what)

    return resolve


#: A single-term Objective is named like the string that builds it.
_NAMES = {"Channel": "channel", "Neuron": "neuron", "Negative": "negative", "ClassScore": "class"}


def _target(model, acc, layer, objective):
    """``(report path, number of filters/units/classes, resolved objective, name)``."""
    name = objective if isinstance(objective, str) or objective is None else \
        _NAMES.get(type(objective).__name__, "custom")
    name = name or "channel"
    if isinstance(objective, str) and objective not in OBJECTIVES + ("deepdream",):
        as_objective(objective, layer)  # raises the error that lists the names
    resolve = layer_resolver(model, "filters to maximise")
    if objective == "class":
        path = LOGITS if layer is None else resolve(layer, False)
        if path == LOGITS or path == output_layer(acc):
            return LOGITS, class_count(acc), ClassScore(None), name
        info = acc.infos()[path]
        return path, int(info.output_shape[-1]), ClassScore(None, path), name
    if layer is None:
        raise ValueError(f"objective={name!r} needs a layer (only objective='class' reads the "
                         "model's output without one).")
    needs_map = not isinstance(objective, Objective) or any(
        getattr(o, "needs_map", True) for o in _terms(objective))
    if needs_map:
        info = resolve_layer(model, layer)
        if len(info.output_shape) == 2 and info.calls and info.output_shape[-1]:
            # A Dense layer: its units are maximised as classes are (objective="class").
            raise InputError("maximize_dense_channel", layer=info.path,
                             units=int(info.output_shape[-1]))
    path = resolve(layer, needs_map)
    n = acc.infos()[path].output_shape[-1]
    if n is None:
        raise ValueError(f"Layer {path!r} has an unknown channel count; it cannot be maximised.")
    obj = objective if isinstance(objective, Objective) else as_objective(objective, path)
    return path, int(n), obj, name


def class_layers(model) -> list:
    """Layers ``objective="class"`` reads: the model's output layer (its classes, as logits)
    first, then every other layer with an ``(n, units)`` output (Dense units).

    Examples
    --------
    >>> [i.path for i in class_layers(cv.demo_model())]            # doctest: +SKIP
    ['predictions']
    """
    acc = access(model)
    infos = acc.infos()
    final = output_layer(acc)
    first = [infos[final]] if final in infos else []
    return first + [i for p, i in infos.items() if p != final and len(i.output_shape) == 2
                    and i.calls and not i.is_container and i.output_shape[-1]]


def target_count(model, layer, objective="channel") -> int:
    """How many rows ``maximize(model, layer, objective=objective)`` can optimise: filters of a
    feature map, units of a Dense layer, or classes (2 for a one-unit sigmoid).

    Examples
    --------
    >>> target_count(cv.demo_model(), "predictions", "class")      # doctest: +SKIP
    5
    """
    return _target(model, access(model), layer, objective)[1]


def _terms(obj):
    return [o for _, o in obj.terms] if hasattr(obj, "terms") else [obj]


def _method_defaults(method, hw, lr, param_, transforms_, init, space):
    if method not in METHODS:
        raise ValueError(f"Unknown method {method!r}; use one of {list(METHODS)}.")
    if space not in SPACES:
        raise ValueError(f"space must be one of {list(SPACES)}, not {space!r}.")
    start = init if isinstance(init, str) else "grey+noise"
    if isinstance(init, str) and init not in INITS:
        raise ValueError(f"init must be one of {list(INITS)} or an image array, not {init!r}.")
    if method == "naive":
        p = make_param(param_) if param_ is not None else Pixels(init=start,
                                                                  clip=space == "display")
        t = list(transforms_) if transforms_ is not None else []
        default_lr = DEFAULT_LR["naive-model" if space == "model" else "naive"]
        opt = NormalizedAscent(default_lr if lr is None else lr, norm="rms")
    else:
        p = make_param(param_) if param_ is not None else None
        if p is None:
            p = Pixels(init=start, clip=space == "display") if (
                space == "model" or start != "grey+noise" or not isinstance(init, str)) \
                else Fourier()
        t = list(transforms_) if transforms_ is not None else standard_transforms(min(hw))
        opt = Adam(DEFAULT_LR["regularized"] if lr is None else lr)
    if space == "model" and p.bounded:
        raise ValueError(f"space='model' optimises the raw model input, which {p!r} cannot "
                         "represent (it is bounded to [0, 1]); use param='pixels' or "
                         "method='naive'.")
    for tr in t:
        if not isinstance(tr, Transform):
            raise TypeError(f"transforms must be Transform instances (Jitter(4), Blur(1), ...), "
                            f"got {tr!r}.")
    return p, t, opt


def _start_image(init, hw, c, space) -> np.ndarray | None:
    """A given starting image as ``(H, W, C)`` float32 (display or model values)."""
    if init is None or isinstance(init, str):
        return None
    x = np.asarray(init)
    if x.dtype == np.uint8:
        x = x.astype(np.float32) / (1.0 if space == "model" else 255.0)
    x = np.asarray(x, np.float32)
    if x.ndim == 4 and x.shape[0] == 1:
        x = x[0]
    if x.ndim == 2:
        x = x[..., None]
    if x.ndim != 3:
        raise ValueError(f"init must be 'grey+noise', 'uniform' or one image (H, W, C), got "
                         f"shape {x.shape}.")
    if x.shape[-1] != c:
        if x.shape[-1] == 1:
            x = np.repeat(x, c, axis=-1)
        elif c == 1:
            x = x.mean(axis=-1, keepdims=True)
        else:
            raise ValueError(f"init has {x.shape[-1]} channels; the model takes {c}.")
    if tuple(x.shape[:2]) != tuple(hw):
        x = tf.image.resize(x[None], hw, method="bilinear", antialias=True).numpy()[0]
    return x if space == "model" else np.clip(x, 0.0, 1.0)


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
    path, n_units, obj, name = _target(model, acc, layer, objective)
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
    p, t, opt = _method_defaults(method, hw, lr, param, transforms, init, space)
    start = _start_image(init, hw, c, space)
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
                _run_diverse(run, filters, int(n_patterns), tracker)
        else:
            store = None
            if cache or cache_dir is not None:
                settings = ("maximize-v4", weights_fingerprint(acc.model), path, method, steps,
                            hw, c, p.key, tuple(x.key for x in t), opt.key, obj.key,
                            callable_fingerprint(preprocess), int(seed), space,
                            None if start is None else hashlib.blake2b(
                                start.tobytes(), digest_size=8).hexdigest())
                store = ResultCache(acc.cache if cache else None, settings,
                                    cache_dir if cache else None)
            rows = _run_cached(run, filters, batch_size, store, tracker, cached_only)
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


def _begin(tracker, n_rows, bs, steps):
    tracker.begin((-(-n_rows // bs) if n_rows else 0) * steps)
    return tracker.total


def _run_cached(run, filters, batch_size, store, tracker, cached_only=False):
    """Every distinct filter once, cached rows served from ``store``; rows in request order
    (with ``cached_only``, only those: nothing is computed)."""
    hw, c, steps = run["hw"], run["c"], run["steps"]
    n = len(filters)
    uniq, first = np.unique(filters, return_index=True)  # each filter computed once
    found = {}
    if store is not None:
        for f in uniq:
            item = store.get(int(f))
            if item is not None:
                found[int(f)] = item
    todo = np.array([] if cached_only else [f for f in uniq if int(f) not in found], np.int64)
    todo_rows = np.array([first[np.searchsorted(uniq, f)] for f in todo], np.int64)

    frames = np.full((n,) + hw + (c,), 0.5, np.float32)
    frame_act = np.full((n,), np.nan, np.float32)
    for i, f in enumerate(filters):
        if int(f) in found:
            frames[i] = found[int(f)][0]
            frame_act[i] = found[int(f)][1]

    computed = {}
    cancelled = False
    report = run["path"] if run["path"] != LOGITS else None
    bs = int(batch_size) if batch_size else auto_batch_size(run["acc"], report, hw)
    bs = max(1, min(bs, max(1, len(todo))))
    total = _begin(tracker, len(todo), bs, steps)
    if len(todo):
        loop = optimize(run["acc"], filters=todo, seeds=run["seed"], steps=steps,
                        objective=run["obj"], report_path=run["path"], param=run["p"],
                        transforms=run["t"], optimizer=run["opt"],
                        preprocess=run["preprocess"], hw=hw, channels=c, batch_size=bs,
                        init=_init_rows(run, len(todo)), tracker=tracker, step_total=total,
                        frames=frames, frame_rows=todo_rows, frame_activation=frame_act,
                        # The lesson's recipe stays as taught: stuck when a unit is silent.
                        redirect_dead=run["method"] == "regularized")
        cancelled = loop.cancelled
        for j, r in enumerate(loop.rows):
            f = int(todo[r])
            full = bool(loop.steps_done[j] == steps)
            item = (loop.images[j], float(loop.activation[j]), float(loop.objective[j]),
                    loop.history[:, j])
            computed[f] = (item, full)
            if full and store is not None:
                store.put(f, item)

    out = ([], [], [], [], [], [], [])
    for f in filters:
        f = int(f)
        if f in found:
            item, full, hit = found[f], True, True
        elif f in computed:
            (item, full), hit = computed[f], False
        else:
            continue  # never started (cancelled before its chunk)
        for lst, v in zip(out, (item[0], item[1], item[2], item[3], full, hit, f)):
            lst.append(v)
    return out + (cancelled,)


def _init_rows(run, m):
    start = run["start"]
    if start is None:
        return None
    return np.broadcast_to(start, (m,) + start.shape)


def _run_diverse(run, filters, n_patterns, tracker):
    """``n_patterns`` rows per filter, optimised together (the diversity term couples them)."""
    if n_patterns < 2:
        raise ValueError(f"objective='diversity' needs n_patterns ≥ 2, got {n_patterns}.")
    rows = np.repeat(np.asarray(filters, np.int64), n_patterns)
    keys = np.tile(np.arange(n_patterns), len(filters))
    total = _begin(tracker, len(rows), n_patterns, run["steps"])
    loop = optimize(run["acc"], filters=rows, seeds=run["seed"], steps=run["steps"],
                    objective=run["obj"], report_path=run["path"], param=run["p"],
                    transforms=run["t"], optimizer=run["opt"], preprocess=run["preprocess"],
                    hw=run["hw"], channels=run["c"], batch_size=n_patterns,
                    init=_init_rows(run, len(rows)), tracker=tracker, step_total=total,
                    row_keys=keys)
    full = loop.steps_done == run["steps"]
    return (list(loop.images), list(loop.activation), list(loop.objective),
            list(loop.history.T), list(full), [False] * len(loop.rows),
            [int(f) for f in rows[loop.rows]], loop.cancelled)
