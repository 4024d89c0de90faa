"""Class activation maps and pixel attributions behind one entry point.

``gradcam(model, image, target=None, layer=None, method="gradcam")`` is the public function;
methods are registered :class:`AttributionMethod` subclasses (see :mod:`.base`), listed by
:func:`cam_methods`, of two sibling types: the CAM family (:class:`CAMMethod`, :mod:`.layer`:
Grad-CAM, Grad-CAM++, Score-CAM, LayerCAM, HiResCAM, XGrad-CAM, Eigen-CAM) and pixel-level
methods at input resolution (:class:`PixelMethod`, :mod:`._pixel`: saliency, gradient × input,
integrated gradients, guided backprop, Guided Grad-CAM; SmoothGrad wraps any of them). One
driver runs them all (:mod:`.pipeline`).
"""

from __future__ import annotations

from typing import Callable

from .._access import access, resolve_layer

from . import gradcam as _gradcam_module  # noqa: F401  (registers "gradcam")
from . import gradcam_plus as _gradcam_plus_module  # noqa: F401  (registers "gradcam++")
from . import scorecam as _scorecam_module  # noqa: F401  (registers "scorecam")
from . import layercam as _layercam_module  # noqa: F401  (registers "layercam")
from . import hirescam as _hirescam_module  # noqa: F401  (registers "hirescam")
from . import xgradcam as _xgradcam_module  # noqa: F401  (registers "xgradcam")
from . import eigencam as _eigencam_module  # noqa: F401  (registers "eigencam")
from .base import (FLAGS, AttributionMethod, CAMCancelled, CAMResult, CAMTracker, cam_methods,
                   get_method, register, unregister)
from ._engine import _meta, _one_by_one, default_layer, model_output
from .layer import CAMContext, CAMMethod
from .pipeline import check_batch_size, check_method_args, compute_cam, reads_layer
from .predictions import (CAMWithPredictions, PredictionRanking, TopPredictions,
                          gradcam_with_predictions, rank_predictions, top_predictions)
from .target import Target
from .eigencam import EigenCAM
from .gradcam import GradCAM
from .gradcam_plus import GradCAMPlusPlus
from .hirescam import HiResCAM
from .layercam import LayerCAM
from .overlay import colorize, overlay
from .region import REGION_KINDS, Region
from .scorecam import ScoreCAM
from .xgradcam import XGradCAM

from . import saliency as _saliency_module  # noqa: F401  ("saliency", "smoothgrad")
from . import gradient_input as _gradient_input_module  # noqa: F401  ("gradient_x_input")
from . import integrated_gradients as _ig_module  # noqa: F401  ("integrated_gradients")
from . import guided as _guided_module  # noqa: F401  ("guided_backprop", "guided_gradcam")
from ._pixel import PixelContext, PixelMethod, UnguidedReLUWarning, blur
from .gradient_input import GradientXInput
from .guided import GuidedBackprop, GuidedGradCAM
from .integrated_gradients import IntegratedGradients
from .saliency import Saliency, SmoothGrad


def gradcam(model, image, target=None, layer=None, method="gradcam",
            preprocess: Callable | None = None, *, on_step: Callable | None = None,
            cancel=None, batch_size: int | None = None, cache: bool = True, output=None,
            input_size: tuple | None = None):
    """Which regions of ``image`` drove a score of ``model``: a class activation map.

    Parameters
    ----------
    model : keras.Model
        Sequential, functional, nested (a backbone used as a layer) or subclassed; built.
    image : array-like
        One image, ``(h, w, c)`` or ``(h, w)`` (or a batch of one), uint8 or float in [0, 1], at
        any size: it is resized to the model's input, and the heatmap comes back at *this*
        image's size.
    target : int, None, list of int, or callable
        * ``int``: a class index (for a spatial output such as a segmentation map, a channel,
          averaged over space);
        * ``None``: the top-1 class (the class the model predicts);
        * a list of class indices (``None`` entries mean top-1): one result each, from one
          forward pass and one batched backward pass through the head;
        * a callable mapping the model output (a tensor ``(n, ...)``) to one score per sample
          ``(n,)`` with TF/Keras ops — regression outputs, a masked region of a segmentation or
          edge map (``lambda y: tf.reduce_sum(y * mask, axis=[1, 2, 3])``). The head is
          compiled once per callable object: keep and reuse the same callable rather than a
          new ``lambda`` on every call. It receives the chosen ``output``, or, for a model with
          several outputs and ``output=None``, all of them as the model returns them (a list
          or dict).

        A model ending in **one sigmoid unit** (``Dense(1, activation="sigmoid")``, e.g. cats vs
        dogs) has two classes: 1 (probability ``p``, explained by the logit ``z``) and 0
        (probability ``1 - p``, explained by ``-z``); ``None`` explains the one it predicts.
        Several sigmoid units (multi-label) are each their own yes/no: class ``i`` is unit
        ``i``, with probability ``p_i``, explained by its logit.

        A model whose output is an **image** (U-Net, segmentation or edge map) has no classes:
        pass a :class:`Region` (``Region(box=(y0, x0, y1, x1))``, ``Region(mask=...)``,
        ``Region(kind="background")``); the score is the sum of the output channel's logits
        over the region (Seg-Grad-CAM). ``None`` there means ``Region()``, the pixels the
        model predicts as foreground; ``.target`` is then the resolved region (``.pixels``).
    layer : str or keras.layers.Layer, optional
        The feature-map layer to weight (path, unique name or object). ``None``: the last
        non-pooling feature-map layer before the head, searched inside nested backbones too
        (see :func:`default_layer`; VGG16 gives ``"block5_conv3"``). Only for methods that
        read a layer (CAM methods, ``guided_gradcam``); given to a pixel method it raises.
    method : str or CAMMethod
        ``"gradcam"``, ``"gradcam++"``, ``"scorecam"``, ``"layercam"``, ``"hirescam"``,
        ``"xgradcam"``, ``"eigencam"``; pixel level: ``"saliency"``, ``"smoothgrad"``,
        ``"gradient_x_input"``, ``"integrated_gradients"``, ``"guided_backprop"``,
        ``"guided_gradcam"``; or any registered name (:func:`cam_methods`). An instance
        configures a method: ``SmoothGrad(samples=50, sigma=0.2)``,
        ``IntegratedGradients(steps=64, baseline="blur")``.
    preprocess : callable, optional
        Maps display images (float32 tensor in [0, 1]) to model input with TF ops, e.g.
        ``lambda x: keras.applications.vgg16.preprocess_input(x * 255)``.
    on_step : callable or Progress, optional
        ``on_step(done, total)`` progress of long methods (Score-CAM batches); return ``False``
        to cancel (raises :class:`CAMCancelled`). A :class:`~convviz_widgets.compute.Progress`
        also gets ``on_begin(total)`` at the first batch and ``on_end(done, total,
        cancelled)`` once at the end.
    cancel : threading.Event, optional
        Set from another thread to cancel a long method between batches.
    batch_size : int, optional
        Images per forward pass for the methods that run the model many times (Score-CAM's
        masked images, SmoothGrad's noisy copies, integrated gradients' path; default 32);
        given to another method it raises.
    cache : bool
        Reuse (and store) the captured feature map of this image in the model's LRU cache, so a
        class, target-list or method switch re-runs only the head.
    output : int or str, optional
        For a model with several outputs (a list or dict), which one to explain: index or
        name. Required there for class targets; a callable target without it receives all.
    input_size : (int, int), optional
        Run the image at this ``(height, width)`` instead of the model's own size rule (a
        declared size, or the image's own size for a model that takes any size); the
        heatmap still comes back at the image's size.

    Returns
    -------
    CAMResult or list of CAMResult
        A list when ``target`` is a list. Each has ``.heatmap`` ``(H, W)`` float32 in [0, 1] at
        the image's size (in [-1, 1] for the signed pixel methods ``gradient_x_input`` and
        ``integrated_gradients``, ``.signed`` says which), ``.target`` (the resolved class or
        the callable), ``.score``, ``.probability``, ``.layer`` (path; ``"input"`` for pixel
        methods), ``.weights`` ``(c,)`` per-channel weights (empty for pixel methods), ``.cam``
        (raw map at the layer's resolution, or at the model input for pixel methods),
        ``.flag`` / ``.degenerate`` and ``.details`` (e.g. the integrated-gradients
        completeness check).

    Notes
    -----
    *Scores before softmax.* When the model's last layer applies softmax or sigmoid (a
    ``Dense(..., activation="softmax")``, or an ``Activation`` layer), class targets are explained
    through that layer's pre-activation — the logit ``x @ kernel + bias`` — as the Grad-CAM paper
    prescribes: the gradient of a probability also depends on every other class and vanishes when
    the model is confident. This is done by giving the layer an identity activation while the
    head is traced (under the model-patch lock). When the output comes from an ``Activation`` or
    ``Softmax`` layer, that layer's input is the logit. A softmax applied by a raw op in a
    subclassed ``call`` cannot be seen; the probability is then explained, and an output whose
    rows are already probabilities is never softmaxed again. Callable targets always receive
    the model's real output.

    *Degenerate cases.* A NaN/inf image returns zeros with ``flag="nonfinite_input"`` without
    running the model; a constant image gives zeros with ``flag="constant_input"``; a map that is
    0 everywhere after the ReLU gives ``"no_positive_evidence"``; vanishing gradients
    ``"no_gradient"``. Non-finite values are never cached, so later calls are unaffected.

    Raises
    ------
    ValueError
        A class index outside the output (the message gives the valid range), an unknown or
        non-spatial layer (valid layers are suggested), a batch of several images, a failing
        ``preprocess`` or target callable.
    CAMCancelled
        A long method was cancelled.

    Examples
    --------
    >>> import convviz_widgets as cv
    >>> model, scenes = cv.demo_model(), cv.demo_images()                 # doctest: +SKIP
    >>> r = cv.gradcam(model, scenes.images[0])                           # doctest: +SKIP
    >>> r.heatmap.shape, r.layer, scenes.class_names[r.target]            # doctest: +SKIP
    ((64, 64), 'block3_conv2', 'star')
    >>> five = cv.gradcam(model, scenes.images[0], target=[0, 1, 2, 3, 4])  # doctest: +SKIP
    >>> rgb = cv.overlay(r.heatmap, scenes.images[0], "jet", opacity=0.4)  # doctest: +SKIP

    See Also
    --------
    gradcam_with_predictions : the CAM and the top-k classes from one pass over the image.
    """
    meth = get_method(method)
    batch_size = check_method_args(meth, layer, batch_size)
    return compute_cam(model, image, target=target, layer=layer, method=meth,
                       preprocess=preprocess, on_step=on_step, cancel=cancel,
                       batch_size=batch_size, cache=cache, output=output,
                       input_size=input_size)


def layer_to_try(model, image, target=None, method="gradcam", preprocess: Callable | None = None,
                 *, exclude=(), output=None, max_tries: int = 8) -> str | None:
    """A layer where the map of ``target`` is *not* flat, to suggest when one is.

    A map can be all zero at a layer for honest reasons (after a ReLU no channel raises the
    score, or the score does not depend on that layer); a student then needs a layer to try
    rather than a blank picture. Layers are tried from the method's default layer (the last
    feature map before the head) back towards the input, then the ones after it.

    Parameters
    ----------
    model, image, target, method, preprocess, output
        As for :func:`gradcam`.
    exclude : iterable of str
        Layer paths not to suggest (the one that gave the flat map).
    max_tries : int
        At most this many layers are computed (each is one CAM).

    Returns
    -------
    str or None
        A layer path whose map has a positive, non-constant heatmap; ``None`` if none of the
        tried layers has one.

    Examples
    --------
    >>> import convviz_widgets as cv
    >>> cv.compute.cam.layer_to_try(cv.demo_model(), cv.demo_images().images[0],
    ...                             exclude=["block1_conv1"])             # doctest: +SKIP
    'block3_conv2'
    """
    acc = access(model)
    meta = _meta(acc)
    shapes = acc.trace().shapes
    cands = [p for p in meta.spatial if not _one_by_one(shapes.get(p, ()))]
    skip = {resolve_layer(acc.model, e).path if not isinstance(e, str) or e not in cands else e
            for e in exclude}
    start = cands.index(meta.default_layer) if meta.default_layer in cands else len(cands) - 1
    order = cands[start::-1] + cands[start + 1:]
    tries = 0
    for path in order:
        if path in skip:
            continue
        if tries >= max_tries:
            break
        tries += 1
        try:
            r = gradcam(model, image, target=target, layer=path, method=method,
                        preprocess=preprocess, output=output)
        except Exception:  # noqa: BLE001 - a layer that cannot explain this target is skipped
            continue
        r = r[0] if isinstance(r, list) else r
        if r.flag is None and float(r.heatmap.max()) > float(r.heatmap.min()):
            return path
    return None


__all__ = [
    "AttributionMethod", "CAMCancelled", "CAMContext", "CAMMethod", "CAMResult", "CAMTracker", "CAMWithPredictions",
    "EigenCAM", "FLAGS", "GradCAM",
    "GradCAMPlusPlus", "GradientXInput", "GuidedBackprop", "GuidedGradCAM", "HiResCAM",
    "IntegratedGradients", "LayerCAM", "PixelContext", "PixelMethod", "PredictionRanking",
    "REGION_KINDS", "Region", "Saliency", "ScoreCAM", "SmoothGrad", "Target", "TopPredictions", "UnguidedReLUWarning", "XGradCAM",
    "blur", "cam_methods", "colorize", "default_layer", "get_method", "gradcam",
    "gradcam_with_predictions", "layer_to_try",
    "model_output",
    "overlay", "rank_predictions", "reads_layer", "register", "top_predictions", "unregister",
]
