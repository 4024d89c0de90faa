""":func:`deepdream`: amplify what chosen layers already see in real images, over octaves."""

from __future__ import annotations

import threading
from typing import Callable, Mapping

import numpy as np
from keras import ops

from .. import backend
from .._images import prepare_images
from .._messages import InputError
from .._access import access, check_preprocess, conv_layers
from ..progress import Progress, Tracker
from ._request import MIN_SIZE, channels_of, layer_resolver
from ._forward import features
from ._loop import optimize
from ._optimizers import NormalizedAscent
from ._results import DreamResult
from .objectives import Context, Objective, deepdream as deepdream_objective
from .param import Pixels

__all__ = ["deepdream"]


def _default_dream_layers(model) -> list[str]:
    convs = [i.path for i in conv_layers(model, "kernel") if i.is_spatial and i.calls]
    if not convs:
        raise ValueError("The model has no convolution layer to dream with; pass layers=.")
    # Two thirds of the way in: deep enough for parts of objects, not so deep that the
    # receptive fields swallow the whole image.
    return [convs[min(len(convs) - 1, (2 * len(convs)) // 3)]]


def deepdream(model, images, layers=None, *, objective: Objective | None = None,
              octaves: int = 3, octave_scale: float | None = None, steps: int = 20,
              lr: float = 0.01, preprocess: Callable | None = None,
              on_step: Callable | Progress | None = None,
              cancel: threading.Event | None = None, seed: int | None = None,
              input_size=None, keep_brightness: bool | None = None) -> DreamResult:
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
        Replaces ``layers`` with any composed objective (passing both raises).
    octaves, octave_scale, steps, lr : optional
        Number of scales, size ratio between them (default 1.4; with ``octaves=1`` it would
        do nothing and raises), steps per octave, and step size (display units per step).
    keep_brightness : bool, optional
        Keep each image's mean brightness (per channel) that of the scene: every step's
        gradient loses its mean (it reshapes, it does not darken or brighten the whole image)
        and after each octave the image is shifted back to the scene's mean. ``None``
        (default): on for one-channel (grayscale) models, whose layers — a U-Net's, say —
        otherwise gain most by turning a dark scene black; off for colour models, as in the
        classic recipe.
    preprocess, on_step, cancel : optional
        As in :func:`maximize`: ``on_step(done, total)`` counts steps over all octaves; a
        :class:`~convviz_widgets.compute.progress.Progress` also gets the current octave's
        images through ``on_frame``. A stop returns the dream so far, marked ``cancelled``.
    seed : None
        Accepted for symmetry with :func:`maximize` but refused when given: the dream starts
        from the images and uses no random transforms, so a seed would change nothing.
    input_size : (int, int), optional
        Dream at this ``(height, width)`` instead of the model's own size rule (a declared size,
        or each image's own size for a model that takes any size).

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
    acc = access(model).at_size(input_size)
    c = channels_of(acc)
    # Arguments that cannot act raise instead of running as if they had (bug 9).
    if objective is not None and layers is not None:
        raise InputError("dream_layers_and_objective", layers=layers)
    if octave_scale is not None and int(octaves) == 1:
        raise InputError("dream_octave_scale")
    if seed is not None:
        raise InputError("dream_seed")
    octave_scale = 1.4 if octave_scale is None else octave_scale
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
    obj = objective.resolve(layer_resolver(model, "features to dream with"))
    if int(octaves) < 1 or not octave_scale > 1.0:
        raise ValueError("octaves must be ≥ 1 and octave_scale > 1 (e.g. octaves=3, "
                         "octave_scale=1.4).")
    prepared = prepare_images(images, acc.input_shape)
    original = prepared.images  # (n, H, W, C) in [0, 1]
    n, h, w, _ = original.shape
    _, mh, mw, _ = acc.input_shape
    model_hw = (int(mh), int(mw)) if mh is not None and mw is not None else None
    if preprocess is not None:
        check_preprocess(preprocess, original[:1], acc.input_shape)

    sizes = [(max(MIN_SIZE, int(round(h / octave_scale ** i))),
              max(MIN_SIZE, int(round(w / octave_scale ** i)))) for i in range(int(octaves))][::-1]
    keep = (c == 1) if keep_brightness is None else bool(keep_brightness)
    opt = NormalizedAscent(lr, norm="mean_abs", center=keep)
    total = len(sizes) * int(steps)

    def resize(x, hw):
        if tuple(x.shape[1:3]) == tuple(hw):
            return np.asarray(x, np.float32)
        return backend.to_numpy(ops.image.resize(x, hw, interpolation="bilinear",
                                                 antialias=True))

    start_score = _dream_score(acc, obj, original, preprocess, model_hw)
    shrunk = resize(original, sizes[0])
    current = shrunk
    histories, cancelled, offset = [], False, 0
    with Tracker(on_step, cancel) as tracker:
        tracker.begin(total)
        for hw in sizes:
            current = np.clip(resize(current, hw), 0.0, 1.0)
            loop = optimize(acc, filters=np.arange(n), seeds=0, steps=int(steps),
                            objective=obj, report_path=None, param=Pixels(), transforms=None,
                            optimizer=opt, preprocess=preprocess, hw=hw, channels=c,
                            model_hw=model_hw, batch_size=n, init=current, tracker=tracker,
                            step_offset=offset, step_total=total)
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
            if keep:
                current = _match_mean(current, shrunk)
            if loop.cancelled:
                cancelled = True
                break
    result = resize(current, (h, w)) if tuple(current.shape[1:3]) != (h, w) else current
    result = np.clip(result, 0.0, 1.0).astype(np.float32)
    history = np.concatenate(histories, axis=0) if histories else np.zeros((0, n), np.float32)
    return DreamResult(result, _dream_score(acc, obj, result, preprocess, model_hw), start_score,
                       history, sizes, cancelled, layers=tuple(dict.fromkeys(obj.layers())),
                       settings={"octaves": int(octaves), "octave_scale": float(octave_scale),
                                 "steps": int(steps), "lr": float(lr)})


def _match_mean(x: np.ndarray, reference: np.ndarray, rounds: int = 8) -> np.ndarray:
    """``x`` ``(n, h, w, c)`` shifted so each image's channel means are ``reference``'s, inside
    [0, 1]. Clipping after a shift moves the mean again (a dark background cannot go below 0),
    so the shift is repeated a few times; it converges quickly.

    Examples
    --------
    >>> x = np.full((1, 2, 2, 1), 0.1, np.float32); x[0, 0, 0] = 1.0
    >>> round(float(_match_mean(x, np.full_like(x, 0.5)).mean()), 2)
    0.5
    """
    target = reference.mean(axis=(1, 2), keepdims=True)  # (n, 1, 1, c)
    for _ in range(rounds):
        x = np.clip(x + (target - x.mean(axis=(1, 2), keepdims=True)), 0.0, 1.0)
    return x.astype(np.float32)


def _dream_score(acc, obj, images, preprocess, model_hw):
    x = ops.convert_to_tensor(np.asarray(images, np.float32))
    with backend.no_grad():
        feats = features(acc, x, tuple(sorted(set(obj.layers()))), preprocess, model_hw)
        value = obj(Context(feats, x, ops.zeros((len(images),), "int32")))
    return backend.to_numpy(value).astype(np.float32)
