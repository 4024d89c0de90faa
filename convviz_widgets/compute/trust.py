"""Can this heatmap be trusted? Deletion/insertion faithfulness and the randomisation sanity check.

* :func:`faithfulness` (Petsiuk et al., BMVC 2018, "RISE", https://arxiv.org/abs/1806.07421):
  remove (deletion) or reveal (insertion) pixels in the order the heatmap ranks them and follow
  the class probability. A faithful map makes it fall fast (small deletion area) or rise fast
  (large insertion area). The same curve for a random heatmap is the baseline to beat.
* :func:`sanity_check` (Adebayo et al., NeurIPS 2018, https://arxiv.org/abs/1810.03292):
  re-initialise the model's layers from the top, one more at each step, on a *copy* of the model, and measure
  how much the map still resembles the original. A method that explains the model must change;
  one that only shows edges of the image (guided backpropagation) does not.

Both run the model many times; they take the one progress protocol of
:mod:`convviz_widgets.compute.progress`, as Score-CAM does: ``on_step(done, total)`` (return
``False`` to stop) or a :class:`~convviz_widgets.compute.Progress`, and a ``cancel`` event;
stopping raises :class:`CAMCancelled`.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Callable

import keras
import numpy as np

from ._images import prepare_images
from ._messages import InputError
from ._access import access, check_preprocess
from .backend import to_numpy
from .cam._engine import _forward_fn
from .cam._pixel import _score_fn, blur
from .cam.base import CAMTracker, get_method
from .cam.pipeline import check_method_args, compute_cam, reads_layer
from .cam.target import resolve_target
from .outputs import probabilities
from ._repr import ShortRepr, items, number, one_line, shape

__all__ = ["FaithfulnessResult", "SanityResult", "faithfulness", "sanity_check"]


@dataclass(frozen=True)
class FaithfulnessResult(ShortRepr):
    """A deletion or insertion curve, for the heatmap and for a random one.

    Attributes
    ----------
    kind : str
        ``"deletion"`` or ``"insertion"``.
    fractions : ndarray
        ``(steps + 1,)`` share of pixels removed (deletion) or revealed (insertion), 0 to 1.
    curve : ndarray
        ``(steps + 1,)`` the target's probability (or the callable's score) at each fraction.
    area : float
        Area under :attr:`curve` (trapezoid rule over ``fractions``). Deletion: lower is
        better; insertion: higher is better.
    random_curve, random_area :
        The same for random heatmaps (uniform noise, seeded): the mean curve and the mean area
        over :attr:`random_areas`.
    target : int or callable
        The class that was scored.
    random_areas : ndarray
        ``(n_random,)`` the area of each random map (one per seed). Their spread says how far
        an area may land from :attr:`random_area` by chance alone.
    """

    kind: str
    fractions: np.ndarray
    curve: np.ndarray
    area: float
    random_curve: np.ndarray
    random_area: float
    target: object
    random_areas: np.ndarray | None = None

    @property
    def random_spread(self) -> float:
        """Standard deviation of the random maps' areas (0 with fewer than two)."""
        a = np.asarray(self.random_areas if self.random_areas is not None else [], float)
        return float(a.std(ddof=1)) if a.size > 1 else 0.0

    @property
    def gap(self) -> float:
        """How much better than the random mean this map is (positive: better), in area."""
        d = self.random_area - self.area
        return float(d if self.kind == "deletion" else -d)

    def __repr__(self) -> str:
        target = getattr(self.target, "__name__", self.target)
        return one_line("FaithfulnessResult", kind=repr(self.kind), target=repr(target),
                        curve=shape(self.curve), area=number(self.area),
                        random_area=number(self.random_area))

    @property
    def better_than_random(self) -> bool:
        """The map beats the random maps by more than chance would: its gap exceeds twice
        their spread and it is better than every one of them.

        A gap of 0.003 (0.029 against 0.032) means nothing when random maps alone land
        0.01 apart; calling it "better" told students a map was faithful on noise.
        """
        if self.gap <= 2.0 * self.random_spread:
            return False
        areas = np.asarray(self.random_areas if self.random_areas is not None
                           else [self.random_area], float)
        return bool(np.all(self.area < areas) if self.kind == "deletion"
                    else np.all(self.area > areas))

    @property
    def target_probability(self) -> float | None:
        """The explained class's probability on the unchanged image (``None`` for a callable
        target, whose curve is a raw score): where deletion starts and insertion ends."""
        if callable(self.target):
            return None
        return float(self.curve[0] if self.kind == "deletion" else self.curve[-1])


def _area(fr: np.ndarray, curve: np.ndarray) -> float:
    return float(np.sum((curve[1:] + curve[:-1]) * np.diff(fr)) / 2.0)


def faithfulness(model, image, heatmap, target=None, kind: str = "deletion", steps: int = 32,
                 *, baseline: str = "blur", blur_sigma: float | None = None,
                 preprocess: Callable | None = None, output=None, seed: int = 0,
                 n_random: int = 5, batch_size: int = 32, on_step=None,
                 cancel=None, input_size=None) -> FaithfulnessResult:
    """Deletion or insertion curve of a heatmap, and of a random heatmap (Petsiuk et al. 2018).

    Pixels are ranked by ``heatmap`` (largest first; for a signed map the largest *value*, i.e.
    the most positive evidence). At step ``i`` of ``steps`` the top ``i / steps`` of them are
    replaced by the baseline (deletion) or copied from the image onto the baseline (insertion),
    and the model scores the result. All ``steps + 1`` images go through the model in batches of
    ``batch_size`` (one or two forward passes for 32 steps), the random ranking as many again.

    Parameters
    ----------
    model : keras.Model
    image : array-like
        One image in display space, any size (resized to the model input, like ``gradcam``).
    heatmap : array-like or CAMResult
        ``(H, W)`` at any size (resized to the model input, bilinear); a result of
        :func:`~convviz_widgets.compute.cam.gradcam` is accepted as it is.
    target : int, None or callable
        The class whose probability is followed (``None``: the top-1 class of the image; a
        one-unit sigmoid's classes 0 and 1 are ``1 - p`` and ``p``), or a callable scoring the
        model output as in :func:`gradcam` (its raw score is followed).
    kind : {"deletion", "insertion"}
    steps : int
        Number of steps; the curve has ``steps + 1`` points.
    baseline : {"blur", "black"}
        What deleted pixels become / what insertion starts from. Default ``"blur"`` for both.
        The paper deletes to black; but pixels set to black one by one in random order make
        salt-and-pepper images far from anything the model was trained on, and on the demo
        scenes that alone destroys the prediction as fast as deleting the object: the random
        map's black deletion area (0.237 over the 50 scenes) is no higher than Grad-CAM's
        (0.243), so black deletion cannot tell maps apart there. Blurred pixels stay
        plausible (random 0.683 against Grad-CAM 0.260, better on 98 % of the scenes).
    blur_sigma : float, optional
        Gaussian blur in pixels (default 5 % of the longer side); only with
        ``baseline="blur"`` (with ``"black"`` it raises).
    preprocess : callable, optional
        Display images to model input, as for :func:`gradcam`.
    output : int or str, optional
        Which output of a multi-output model.
    seed : int
        Seed of the first random heatmap (the others take ``seed + 1``, ``seed + 2``, ...).
    n_random : int
        Random heatmaps to score (default 5): their mean is the baseline and their spread
        decides whether the map is really better (:attr:`FaithfulnessResult.better_than_random`).
    batch_size : int
    on_step, cancel :
        Progress per batch (see the module; stopping raises :class:`CAMCancelled`).
    input_size : (int, int), optional
        Run the image at this ``(height, width)``, as for :func:`gradcam`.

    Returns
    -------
    FaithfulnessResult

    Examples
    --------
    >>> import convviz_widgets as cv
    >>> model, scenes = cv.demo_model(), cv.demo_images()                      # doctest: +SKIP
    >>> r = cv.gradcam(model, scenes.images[0])                                 # doctest: +SKIP
    >>> f = cv.faithfulness(model, scenes.images[0], r, r.target)               # doctest: +SKIP
    >>> f.area < f.random_area                                                  # doctest: +SKIP
    True
    """
    if kind not in ("deletion", "insertion"):
        raise ValueError(f"kind must be 'deletion' or 'insertion', not {kind!r}.")
    if int(n_random) < 1:
        raise ValueError(f"n_random must be a positive integer, got {n_random!r}.")
    if int(steps) < 1:
        raise ValueError(f"steps must be a positive integer, got {steps!r}.")
    if baseline not in ("black", "blur"):
        raise ValueError(f"baseline must be 'black' or 'blur', not {baseline!r}.")
    if blur_sigma is not None and baseline != "blur":
        raise InputError("faithfulness_blur_sigma")  # an argument that cannot act (bug 9)
    acc = access(model).at_size(input_size)
    meta = acc.trace()
    tgt = resolve_target(acc, target, output)
    oi, is_fn = tgt.output, tgt.fn is not None
    o = meta.outputs[oi] if oi is not None else None
    (t,) = tgt.items
    x = prepare_images(image, acc.input_shape).images[:1]
    check_preprocess(preprocess, x, acc.input_shape)
    h, w = x.shape[1:3]
    heat = np.asarray(getattr(heatmap, "heatmap", heatmap), np.float32)
    if heat.ndim != 2 or not np.isfinite(heat).all():
        raise ValueError(f"heatmap must be one finite map (H, W), got shape {heat.shape}.")
    heat = to_numpy(keras.ops.image.resize(heat[None, ..., None], (h, w),
                                           interpolation="bilinear"))[0, ..., 0]
    base = np.zeros_like(x) if baseline == "black" else blur(x, blur_sigma)

    # A callable sees the real output (all outputs when output=None); classes are followed by
    # their probability as the model means it (softmax, sigmoid, [1 - p, p]).
    fn = _score_fn(acc, preprocess, meta, oi, t) if is_fn else _forward_fn(acc, preprocess, oi)

    def score(batch):
        out = to_numpy(fn(keras.ops.convert_to_tensor(np.asarray(batch, np.float32))))
        return out if is_fn else probabilities(out, o)

    if t is None:
        t = int(np.argmax(score(x)[0]))
    fractions = np.linspace(0.0, 1.0, int(steps) + 1)
    counts = np.round(fractions * h * w).astype(np.int64)
    rankings = [heat] + [np.random.default_rng(seed + k).random((h, w))
                         for k in range(int(n_random))]
    total = len(rankings) * -(-len(counts) // batch_size)
    done = 0
    curves = []
    tracker = CAMTracker(on_step, cancel)
    with tracker:
        for ranking in rankings:
            curves.append(_curve(ranking, x, base, counts, kind, score, is_fn, t, batch_size,
                                 tracker, done, total))
            done += -(-len(counts) // batch_size)
    random_areas = np.array([_area(fractions, c) for c in curves[1:]], np.float64)
    random_curve = np.mean(np.stack(curves[1:]), axis=0).astype(curves[0].dtype)
    return FaithfulnessResult(kind, fractions.astype(np.float32), curves[0],
                              _area(fractions, curves[0]), random_curve,
                              float(random_areas.mean()), t, random_areas)


def _curve(ranking, x, base, counts, kind, score, is_fn, t, batch_size, tracker, done, total):
    """One deletion/insertion curve: the score as pixels go in ``ranking``'s order."""
    h, w = x.shape[1:3]
    # Rank 0 = the most important pixel; a stable sort keeps ties in reading order.
    order = np.argsort(-ranking.ravel(), kind="stable")
    rank = np.empty(h * w, np.int64)
    rank[order] = np.arange(h * w)
    rank = rank.reshape(1, h, w, 1)
    vals = []
    for start in range(0, len(counts), batch_size):
        tracker.check_before(done, total)
        n = counts[start:start + batch_size].reshape(-1, 1, 1, 1)
        chosen = (rank < n).astype(np.float32)     # (b, H, W, 1): 1 = removed / revealed
        if kind == "deletion":
            batch = x * (1 - chosen) + base * chosen
        else:
            batch = base * (1 - chosen) + x * chosen
        s = score(batch)
        vals.append(s if is_fn else s[:, t])
        done += 1
        tracker.report(done, total)
    return np.concatenate(vals).astype(np.float32)


# -------------------------------------------------------------------------------- sanity check
@dataclass(frozen=True)
class SanityResult(ShortRepr):
    """Cascading randomisation of one method's map.

    Attributes
    ----------
    method : str
    steps : list of (str, float)
        ``(layer path, Spearman rank correlation with the original map)`` after re-initialising
        that layer and every layer above it; top layer first.
    original : ndarray
        The map of the unchanged model.
    maps : list of ndarray
        The map after each step.
    """

    method: str
    steps: list
    original: np.ndarray
    maps: list

    def __repr__(self) -> str:
        return one_line("SanityResult", method=repr(self.method), steps=items(self.steps, 3),
                        original=shape(self.original), maps=str(len(self.maps)))

    @property
    def correlations(self) -> np.ndarray:
        """``(len(steps),)`` the correlations alone."""
        return np.array([c for _, c in self.steps], np.float32)


def spearman(a, b) -> float:
    """Spearman rank correlation of two maps (average ranks for ties; 0 if one is constant).

    Examples
    --------
    >>> spearman([1, 2, 3, 4], [10, 20, 30, 40]), spearman([1, 2, 3], [3, 2, 1])
    (1.0, -1.0)
    """
    def ranks(v):
        v = np.ravel(np.asarray(v, np.float64))
        order = np.argsort(v, kind="stable")
        r = np.empty(len(v), np.float64)
        r[order] = np.arange(len(v))
        # Ties share their average rank: a map that is 0 on half the image is not "ordered".
        uniq, inv = np.unique(v, return_inverse=True)
        sums = np.bincount(inv, weights=r)
        return (sums / np.bincount(inv))[inv]

    ra, rb = ranks(a), ranks(b)
    if ra.std() == 0 or rb.std() == 0:
        return 0.0
    return float(np.corrcoef(ra, rb)[0, 1])


def clone_model(model):
    """A copy of ``model`` with its own weights (the user's model is never modified).

    Functional and Sequential models (nested ones too) are cloned with
    ``keras.models.clone_model`` and given the weights; a subclassed model with ``get_config``
    is rebuilt from its config; otherwise it is deep-copied. A model that can be neither (it
    holds locks, files or other objects that cannot be copied) raises a ``TypeError`` saying so.
    """
    acc = access(model)
    _, h, w, c = acc.input_shape
    if h is None or w is None:  # any size: build the copy on the size the model knows
        h, w = acc.built_size or (64, 64)
    shape = (1, h, w, c)
    try:
        clone = keras.models.clone_model(model)
    except Exception:  # noqa: BLE001 - subclassed models without a config land here
        try:
            clone = copy.deepcopy(model)
        except Exception as exc:  # noqa: BLE001
            raise TypeError(
                f"Cannot copy model {model.name!r} for the sanity check: keras.models."
                f"clone_model and copy.deepcopy both failed ({type(exc).__name__}: {exc}). Give "
                "the subclassed model a get_config()/from_config() so it can be rebuilt; its "
                "weights are never changed in place.") from exc
    if not clone.built:
        clone(np.zeros(shape, np.float32))
    clone.set_weights(model.get_weights())
    return clone


def _randomise(layer, rng) -> None:
    """New random kernels of the same scale (normal, the std of the old ones); biases and
    normalisation statistics are kept: they carry no spatial pattern and re-drawing a BatchNorm
    variance can make the whole map NaN."""
    ws = layer.get_weights()
    layer.set_weights([rng.normal(0.0, float(np.std(v)) + 1e-3, v.shape).astype(v.dtype)
                       if v.ndim > 1 else v for v in ws])


def sanity_check(model, image, method="gradcam", target=None, *, layer=None,
                 preprocess: Callable | None = None, output=None, layers=None, seed: int = 0,
                 on_step=None, cancel=None, input_size=None) -> SanityResult:
    """Cascading model-parameter randomisation (Adebayo et al. 2018) for one method.

    On a clone of the model, the layers with weights are re-initialised from the output down, one
    more at each step, and the map of ``method`` is compared with the original one by Spearman
    rank correlation (of the absolute values for signed methods, as the paper does since a
    sign flip is not a different explanation). A method that depends on what the model learned
    drops towards 0 within the first steps; guided backpropagation is known to stay high.

    Parameters
    ----------
    model : keras.Model
        Never modified.
    image : array-like
        One image in display space.
    method : str or CAMMethod
        Any registered method (:func:`~convviz_widgets.compute.cam.cam_methods`).
    target : int, None or callable
        As for :func:`gradcam`; ``None`` is resolved once, on the original model.
    layer : str, optional
        The CAM layer (for CAM methods).
    preprocess, output :
        As for :func:`gradcam`.
    layers : list of str, optional
        Layer paths to randomise, in the order given (default: every layer with weights, top
        first; a nested backbone's layers are included).
    seed : int
        Seed of the new weights.
    on_step, cancel :
        Progress after each step (see the module; stopping raises :class:`CAMCancelled`).
    input_size : (int, int), optional
        Run the image at this ``(height, width)``, as for :func:`gradcam`.

    Returns
    -------
    SanityResult

    Examples
    --------
    >>> import convviz_widgets as cv
    >>> model, scenes = cv.demo_model(), cv.demo_images()                    # doctest: +SKIP
    >>> s = cv.sanity_check(model, scenes.images[0], "gradcam")              # doctest: +SKIP
    >>> s.steps[:2]                                                           # doctest: +SKIP
    [('predictions', 0.12), ('block3_conv2', -0.05)]
    """
    meth = get_method(method)
    check_method_args(meth, layer)  # a layer= a pixel method cannot read raises
    acc = access(model)
    ref = compute_cam(model, image, target=target, layer=layer, method=meth,
                      preprocess=preprocess, output=output, cache=False, input_size=input_size)
    resolved = ref.target
    layer_path = ref.layer if reads_layer(meth) else None
    clone = clone_model(model)
    cacc = access(clone)
    if layers is None:
        infos = acc.infos()
        order = [p for p in acc.trace().order
                 if not infos[p].is_container and acc.layer(p).weights]
        layers = order[::-1]
    else:
        layers = [acc.resolve(p) for p in layers]
    rng = np.random.default_rng(seed)

    def prep(m):
        m = np.asarray(m, np.float64)
        return np.abs(m) if meth.signed else m

    steps, maps = [], []
    with CAMTracker(on_step, cancel) as tracker:
        for i, path in enumerate(layers):
            tracker.check_before(i, len(layers))
            _randomise(cacc.layer(path), rng)
            r = compute_cam(clone, image, target=resolved, layer=layer_path, method=meth,
                            preprocess=preprocess, output=output, cache=False,
                            input_size=input_size)
            maps.append(r.heatmap)
            steps.append((path, spearman(prep(ref.heatmap), prep(r.heatmap))))
            tracker.report(i + 1, len(layers))
    return SanityResult(meth.name, steps, ref.heatmap, maps)
