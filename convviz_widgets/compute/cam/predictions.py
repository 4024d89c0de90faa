"""What a classifier predicts: the top-k list, the ranking of a labelled set, the raw output,
and the one pass that returns a CAM together with the prediction it explains.

Not CAM methods, but they share the CAM's cached forward pass: the model output of an image is
stored with its feature map (:func:`model_output`), so a list of classes and a heatmap of one of
them cost one model run.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Callable, NamedTuple

import numpy as np
from keras import ops

from .. import backend
from .._access import access, check_preprocess
from .._images import prepare_images
from ..outputs import choose_output, class_labels, per_class, probabilities
from .base import get_method
from .pipeline import check_method_args, explain
from ._engine import _forward_fn, _meta, model_output
from .._repr import ShortRepr, items, number, one_line, shape

__all__ = ["CAMWithPredictions", "PredictionRanking", "TopPredictions",
           "gradcam_with_predictions", "rank_predictions", "top_predictions"]


@dataclass(frozen=True)
class TopPredictions(ShortRepr):
    """The classes a model ranks highest for one image.

    Attributes
    ----------
    indices : ndarray
        ``(k,)`` int64 class indices, best first.
    values : ndarray
        ``(k,)`` float32: the model's output for each (averaged over space for a spatial output);
        for a one-unit sigmoid read as two classes, ``1 - p`` and ``p``.
    probabilities : ndarray
        ``(k,)`` float32: the model's own probabilities when it ends in softmax (activation or
        ``Softmax`` layer) or sigmoid (one unit: ``[1 - p, p]``; several units: each unit's
        own ``p``, not normalised across units); the softmax of raw scores otherwise.
    names : tuple of str
        The name of each listed class, when :func:`top_predictions` got ``class_names``
        (named by :func:`~convviz_widgets.compute.class_labels`: for one sigmoid unit and one
        name ``"star"``, class 0 is ``"not star"``); empty otherwise.
    """

    indices: np.ndarray
    values: np.ndarray
    probabilities: np.ndarray
    names: tuple = ()

    def __repr__(self) -> str:
        return one_line("TopPredictions", indices=shape(self.indices),
                        top1=items(np.asarray(self.indices).reshape(len(self.indices), -1)[:, 0]
                                   .tolist(), 4) if len(self.indices) else None)


def top_predictions(model, image, k: int = 5, preprocess: Callable | None = None, *,
                    layer=None, output=None, input_size=None,
                    class_names=None) -> TopPredictions:
    """The ``k`` highest-scoring classes for one image (one cached forward pass).

    The forward pass is the one :func:`gradcam` needs, so showing the list and then a heatmap
    costs one model run.

    Parameters
    ----------
    model : keras.Model
    image : array-like
        One image in display space.
    k : int
        How many classes (fewer if the model has fewer).
    preprocess : callable, optional
        Display images to model input.
    layer : str, optional
        The CAM layer that a following :func:`gradcam` call will use.
    output : int or str, optional
        For a model with several outputs, which one (index or name).
    input_size : (int, int), optional
        Run the image at this ``(height, width)`` instead of the model's own size rule (see
        :func:`~convviz_widgets.compute.cam.gradcam`).
    class_names : list of str, optional
        Names for ``.names`` (one name for one sigmoid unit names its positive class, see
        :func:`~convviz_widgets.compute.class_labels`).

    Returns
    -------
    TopPredictions

    Examples
    --------
    >>> import convviz_widgets as cv
    >>> image = cv.demo_images().images[0]                                       # doctest: +SKIP
    >>> top = cv.compute.cam.top_predictions(cv.demo_model(), image, k=3)        # doctest: +SKIP
    >>> top.indices, top.probabilities                                        # doctest: +SKIP
    (array([3, 1, 0]), array([0.97, 0.02, 0.01], dtype=float32))
    """
    acc = access(model).at_size(input_size)
    meta = _meta(acc)
    o = meta.outputs[choose_output(meta, output, acc.model.name)]
    top = _rank_output(model_output(acc, image, preprocess, layer=layer, output=output), o, k)
    if class_names is None:
        return top
    labels = class_labels(model, class_names, output=output)
    return replace(top, names=tuple(labels[int(i)] if int(i) < len(labels) else f"class {int(i)}"
                                    for i in top.indices))


def _rank_output(out: np.ndarray, o, k: int) -> TopPredictions:
    """:class:`TopPredictions` of one image's output ``out`` (no batch axis)."""
    out = out[None]  # (1, ...)
    probs = probabilities(out, o)[0]
    values = probs if o.kind == "binary" else \
        backend.to_numpy(per_class(ops.convert_to_tensor(out)))[0]
    # Rank by probability: equal to ranking by the output, and also right for a binary output.
    order = np.argsort(-probs, kind="stable")[:max(1, int(k))]
    return TopPredictions(order.astype(np.int64), values[order].astype(np.float32),
                          probs[order].astype(np.float32))


class CAMWithPredictions(NamedTuple):
    """A CAM and the prediction it explains, from one pass (:func:`gradcam_with_predictions`).

    Attributes
    ----------
    cam : CAMResult or list of CAMResult
        As :func:`~convviz_widgets.compute.cam.gradcam` returns it for the same arguments.
    top : TopPredictions or None
        The ``k`` best classes of the same forward pass; ``None`` when the image holds NaN or
        infinite values (nothing was computed) or the target is a callable on a several-output
        model without ``output=`` (there is no one output to rank).
    """

    cam: object
    top: TopPredictions | None


def gradcam_with_predictions(model, image, target=None, layer=None, method="gradcam",
                             preprocess: Callable | None = None, *, k: int = 5, output=None,
                             on_step=None, cancel=None, batch_size: int | None = None,
                             cache: bool = True, input_size=None) -> CAMWithPredictions:
    """A CAM *and* the top-``k`` classes of the image, preparing and running the image once.

    What a class click in a viewer needs: the heatmap of the clicked class and the list of
    classes with their probabilities. Calling :func:`~convviz_widgets.compute.cam.gradcam` and
    then :func:`top_predictions` prepares the image (resize, preprocess check, digest) twice;
    this prepares it once and ranks the classes from the very model output the CAM was computed
    with. For pixel-level methods the ranking reads the model's cached output for the image.

    Parameters
    ----------
    model, image, target, layer, method, preprocess, output, on_step, cancel, batch_size, cache,
    input_size
        As for :func:`~convviz_widgets.compute.cam.gradcam`.
    k : int
        How many classes to list.

    Returns
    -------
    CAMWithPredictions
        ``(cam, top)``; unpack it: ``cam, top = gradcam_with_predictions(...)``.

    Examples
    --------
    >>> import convviz_widgets as cv
    >>> scenes = cv.demo_images()                                                  # doctest: +SKIP
    >>> cam, top = cv.compute.cam.gradcam_with_predictions(cv.demo_model(),
    ...                                                    scenes.images[0], k=3)  # doctest: +SKIP
    >>> cam.target == top.indices[0]                                             # doctest: +SKIP
    True
    """
    acc = access(model).at_size(input_size)
    meth = get_method(method)
    batch_size = check_method_args(meth, layer, batch_size)
    results, was_list, out = explain(acc, meth, image, target, layer, preprocess,
                                     on_step=on_step, cancel=cancel, batch_size=batch_size,
                                     cache=cache, output=output)
    meta = _meta(acc)
    is_fn = callable(target) and not isinstance(target, type)
    oi = choose_output(meta, output, acc.model.name, allow_all=is_fn)
    if out is None and oi is not None and results[0].flag != "nonfinite_input":
        # A callable pixel target reads no class output: rank from the cached forward pass.
        out = model_output(acc, results[0].image, preprocess, output=oi)
    top = None if (out is None or oi is None) else _rank_output(out, meta.outputs[oi], k)
    return CAMWithPredictions(results if was_list else results[0], top)


@dataclass(frozen=True)
class PredictionRanking(ShortRepr):
    """How a model did on a labelled image set, and its best and worst cases.

    Attributes
    ----------
    predicted : ndarray
        ``(n,)`` int64 top-1 class of each image (for a one-unit sigmoid: 1 when ``p > 0.5``).
        For multi-label outputs ranked against multi-hot labels ``(n, units)``: ``(n, units)``
        int64 0/1, each unit's own yes/no.
    confidence : ndarray
        ``(n,)`` float32 probability of the predicted class (multi-label: of the least sure
        unit's decision).
    true_probability : ndarray
        ``(n,)`` float32 probability the model gives the true label (multi-label: the smallest
        over units of the probability of the true yes/no).
    correct : ndarray
        ``(n,)`` bool (multi-label: every unit right).
    best : ndarray
        Indices of correct predictions, most confident first.
    worst : ndarray
        Indices of mistakes, most confident mistake first (then, if there are fewer mistakes than
        asked for, the correct predictions with the lowest true-class probability).
    accuracy : float
    explain : ndarray
        ``(n,)`` int64: the class to explain for each image — the predicted class, or for
        multi-label the unit the model is most sure is present.
    """

    predicted: np.ndarray
    confidence: np.ndarray
    true_probability: np.ndarray
    correct: np.ndarray
    best: np.ndarray
    worst: np.ndarray
    accuracy: float
    explain: np.ndarray | None = None

    def __repr__(self) -> str:
        return one_line("PredictionRanking", images=str(len(self.predicted)),
                        accuracy=number(self.accuracy),
                        best=items(np.asarray(self.best).tolist(), 3),
                        worst=items(np.asarray(self.worst).tolist(), 3))


def rank_predictions(model, images, labels, preprocess: Callable | None = None, *,
                     batch_size: int = 32, output=None,
                     input_size=None) -> PredictionRanking:
    """Predict a labelled image set and rank its best and worst predictions.

    Parameters
    ----------
    model : keras.Model
        A classifier (output ``(n, classes)``). A one-unit sigmoid output counts as two classes
        (labels 0 and 1); a multi-unit sigmoid output takes either class indices or multi-hot
        labels ``(n, units)`` (each unit its own yes/no).
    images : array-like or list
        ``(n, h, w, c)`` display images, or a list of images (sizes may differ).
    labels : array-like
        ``(n,)`` integer class labels (or ``(n, units)`` 0/1 for a multi-label output).
    preprocess : callable, optional
    batch_size : int
        Images per forward pass.
    output : int or str, optional
        Which output of a several-output model to rank (see
        :func:`~convviz_widgets.compute.output_index`).
    input_size : (int, int), optional
        Run the image at this ``(height, width)`` instead of the model's own size rule (see
        :func:`~convviz_widgets.compute.cam.gradcam`).

    Returns
    -------
    PredictionRanking

    Examples
    --------
    >>> import convviz_widgets as cv
    >>> scenes = cv.demo_images()                                                 # doctest: +SKIP
    >>> r = cv.compute.cam.rank_predictions(cv.demo_model(), scenes.images,
    ...                                     scenes.labels)                       # doctest: +SKIP
    >>> r.worst[:3]                                                               # doctest: +SKIP
    array([7, 2, 11])
    """
    acc = access(model).at_size(input_size)
    meta = _meta(acc)
    oi = choose_output(meta, output, acc.model.name)
    o = meta.outputs[oi]
    if isinstance(images, (list, tuple)) and len({np.shape(im) for im in images}) > 1:
        # Pictures of different sizes (uploads): each is resized to the model input on its own.
        x = np.concatenate([prepare_images(im, acc.input_shape).images for im in images])
    else:
        x = prepare_images(images, acc.input_shape).images
    n_cls = o.num_classes
    labels = np.asarray(labels)
    multi_hot = o.kind == "multilabel" and labels.ndim == 2
    if multi_hot:
        if labels.shape != (x.shape[0], n_cls) or not np.isin(labels, (0, 1)).all():
            raise ValueError(f"Multi-label labels must be 0/1 of shape ({x.shape[0]}, {n_cls}) "
                             f"(one yes/no per output unit); got shape {labels.shape}.")
        labels = labels.astype(np.int64)
    else:
        labels = labels.astype(np.int64).ravel()
        if labels.shape[0] != x.shape[0]:
            raise ValueError(f"Got {x.shape[0]} images but {labels.shape[0]} labels; pass one "
                             "integer label per image.")
        if n_cls is not None and labels.size and (labels.min() < 0 or labels.max() >= n_cls):
            extra = " (one sigmoid unit: 0 for p < 0.5, 1 for p > 0.5)" \
                if o.kind == "binary" else ""
            raise ValueError(f"Labels must be class indices from 0 to {n_cls - 1} for this "
                             f"model{extra}; got values in [{labels.min()}, {labels.max()}].")
    check_preprocess(preprocess, x[:1], acc.input_shape)
    fn = _forward_fn(acc, preprocess, oi)
    probs = np.concatenate([probabilities(backend.to_numpy(fn(ops.convert_to_tensor(
                                x[s:s + batch_size]))), o)
                            for s in range(0, len(x), batch_size)], axis=0)
    idx = np.arange(len(x))
    explain = probs.argmax(axis=1)
    if multi_hot:
        predicted = (probs > 0.5).astype(np.int64)
        sure = np.where(predicted == 1, probs, 1.0 - probs)           # (n, units)
        true_units = np.where(labels == 1, probs, 1.0 - probs)        # (n, units)
        confidence = sure.min(axis=1) if n_cls else np.ones(len(x))
        true_p = true_units.min(axis=1) if n_cls else np.ones(len(x))
        correct = (predicted == labels).all(axis=1)
    else:
        predicted = explain
        confidence = probs[idx, predicted]
        true_p = probs[idx, labels]
        correct = predicted == labels
    best = idx[correct][np.argsort(-confidence[correct], kind="stable")]
    wrong = idx[~correct][np.argsort(-confidence[~correct], kind="stable")]
    shaky = idx[correct][np.argsort(true_p[correct], kind="stable")]
    worst = np.concatenate([wrong, shaky])
    return PredictionRanking(predicted.astype(np.int64), confidence.astype(np.float32),
                             true_p.astype(np.float32), correct, best.astype(np.int64),
                             worst.astype(np.int64), float(correct.mean()) if len(x) else 0.0,
                             explain.astype(np.int64))
