"""Layer-level methods (the CAM family): the context a method reads and its one hook.

Every CAM method answers "which regions of the image drove this score?" with the same recipe:

1. run the model once and capture the feature map ``A`` of the chosen layer, ``(h, w, c)``;
2. run the part of the model *after* that layer (the "head") on ``A`` inside a gradient tape,
   giving the target score(s) and their gradients with respect to ``A``;
3. turn ``A`` (and the gradients) into one weight per channel — the only part that differs
   between methods, and therefore the only thing a method implements
   (:meth:`CAMMethod.channel_weights`);
4. ``ReLU(sum_k w_k A_k)``, finished by the driver (:mod:`.pipeline`): normalised to [0, 1]
   and resized to the image.

For a new image, steps 1 and 2 are one compiled pass: the model runs once, forward, with the
layer's output watched by the gradient tape as it is made, and then back from the score(s) to
``A`` — a forward pass plus the head's backward pass, the floor of any Grad-CAM. ``A`` is then
cached per image, layer and preprocess in the model's byte-bounded LRU, so a class switch, a
list of targets or a method switch re-runs only step 2 — the head, forward and back (on VGG16
~0.26x of a forward pass: its 102 M-weight fc1 is read twice). Step 2 alone runs the head by
*replacing* the layer's output with the cached ``A``
(:func:`~convviz_widgets.compute.run_model`); everything before the layer is then dead code in
the traced graph and TensorFlow prunes it. Parts before the layer that
the head still needs (a U-Net's skip connections) are recomputed from the image, which keeps the
result exact for every architecture. The compiled parts are in :mod:`._engine`.

A new method is one small module: subclass :class:`CAMMethod`, set ``name``/``label``, implement
``channel_weights`` and decorate the class with :func:`~.base.register`. Widgets list
:func:`~.base.cam_methods`. Pixel-level methods are its sibling type,
:class:`~._pixel.PixelMethod`.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any, Callable, ClassVar

import numpy as np

from ..outputs import probabilities
from .base import AttributionMethod, CAMTracker, Scored
from ._engine import _explain_layer, _meta
from ._masked import _masked_scorer

__all__ = ["CAMContext", "CAMMethod"]


@dataclass
class CAMContext:
    """What a method's hook sees: one image, one layer, ``k`` targets.

    Attributes
    ----------
    activation : ndarray
        ``(h, w, c)`` float32 feature map of the layer.
    gradients : ndarray
        ``(k, h, w, c)`` float32 gradient of each target's score with respect to ``activation``.
    scores : ndarray
        ``(k,)`` float32 explained scores.
    targets : list
        Resolved targets (class indices or the callable), one per heatmap.
    masked_scores : callable
        ``masked_scores(maps, on_step=None, cancel=None) -> (m, k)``: the target scores of the
        image multiplied by each of ``m`` low-resolution maps ``(m, h, w)`` (upsampled to the
        model input and min-max normalised), batched; what Score-CAM needs.
    batch_size : int
        Images per forward pass for methods that run the model several times.
    on_step : callable, Progress or None
        Progress: a callable ``on_step(done, total)`` (returning ``False`` cancels) or a
        :class:`~convviz_widgets.compute.Progress` (``on_begin``/``on_step``/``on_end``).
    cancel : threading.Event or None
        Set it (from another thread) to cancel.
    tracker : CAMTracker
        The call's one tracker over ``on_step`` and ``cancel`` (made from them if not given):
        :meth:`check_cancel` and ``masked_scores`` report through it, so a :class:`Progress`
        sees one ``on_begin`` and one ``on_end`` per call.
    """

    activation: np.ndarray
    gradients: np.ndarray
    scores: np.ndarray
    targets: list
    masked_scores: Callable[..., np.ndarray]
    batch_size: int = 32
    on_step: Callable[[int, int], Any] | None = None
    cancel: threading.Event | None = None
    tracker: CAMTracker | None = field(default=None, repr=False)

    def __post_init__(self):
        if self.tracker is None:
            self.tracker = CAMTracker(self.on_step, self.cancel)

    def check_cancel(self, done: int, total: int) -> None:
        """Report progress and raise :class:`CAMCancelled` if the caller asked to stop."""
        self.tracker.report(done, total)


class CAMMethod(AttributionMethod):
    """Base class of CAM methods (template method: subclasses implement one hook).

    The class attributes (``name``, ``label``, ``aliases``, ``long_running``,
    ``uses_gradients``) are those of :class:`~.base.AttributionMethod`.

    Examples
    --------
    A method that weights every channel equally (a poor explanation, but one module):

    >>> from convviz_widgets.compute.cam import cam_methods, register, unregister
    >>> @register
    ... class MeanCAM(CAMMethod):
    ...     name, label = "meancam", "Mean activation"
    ...     def channel_weights(self, ctx):
    ...         return np.ones((len(ctx.targets), ctx.activation.shape[-1]), np.float32)
    >>> "meancam" in cam_methods()
    True
    >>> unregister("meancam")
    """

    needs_layer: ClassVar[bool] = True
    flat_flag: ClassVar[str] = "no_positive_evidence"

    def channel_weights(self, ctx: CAMContext) -> np.ndarray:
        """The usual hook: ``(k, c)`` weights, one row per target."""
        raise NotImplementedError(f"{type(self).__name__} must implement channel_weights(ctx) "
                                  "or override cam(ctx) (see CAMMethod's docstring).")

    def cam(self, ctx: CAMContext) -> tuple[np.ndarray, np.ndarray]:
        """The general hook: ``(weights (k, c), maps (k, h, w))`` before the ReLU.

        The default is Grad-CAM's eq. 2 without its ReLU, ``sum_c weights[c] * A[..., c]``,
        with the weights of :meth:`channel_weights`. Methods whose weights vary with the
        position (LayerCAM, HiResCAM) or that are not a weighting at all override this one
        instead and return, as ``weights``, the spatial mean of their per-position weights
        (what links the map to the channels in a viewer).
        """
        w = np.asarray(self.channel_weights(ctx), dtype=np.float32)
        return w, self.weighted_sum(ctx, w)[1]

    @staticmethod
    def weighted_sum(ctx: CAMContext, weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(weights (k, c), maps (k, h, w))`` for weights per channel ``(k, c)`` or per
        position ``(k, h, w, c)``: ``sum_c weights[..., c] * A[..., c]`` in float64.

        Per-position weights come back averaged over space (what links the map to the channels
        in a viewer). Methods that only compute weights call it from :meth:`cam`.
        """
        w = np.asarray(weights, np.float64)
        a = ctx.activation.astype(np.float64)
        if w.ndim == 2:
            return w.astype(np.float32), np.einsum("hwc,kc->khw", a, w)
        return w.mean(axis=(1, 2)).astype(np.float32), np.einsum("khwc,hwc->khw", w, a)

    def run(self, ctx: CAMContext) -> tuple[np.ndarray, np.ndarray]:
        """``(weights (k, c), maps (k, h, w))`` for the context: :meth:`cam`, then ReLU."""
        w, maps = self.cam(ctx)
        return (np.asarray(w, dtype=np.float32),
                np.maximum(np.asarray(maps, np.float64), 0.0).astype(np.float32))

    # ------------------------------------------------------- the layer-level part of the driver
    def empty(self, acc, path):
        return acc.infos()[path].output_shape[-1] or 0, (1, 1)

    def score(self, req) -> Scored:
        """Capture the layer's feature map (cached) and run the head once: scores, gradients."""
        acc, tgt, path, x = req.acc, req.target, req.layer, req.x
        meta = _meta(acc)
        oi = tgt.output
        o = meta.outputs[oi] if oi is not None else None
        a, real_outs, scores, classes, grads = _explain_layer(
            acc, path, x, req.preprocess, meta, oi, tgt.fn, tgt.codes, use_cache=req.cache)
        if scores.shape != (len(tgt.items),):
            raise ValueError(f"The target callable returned {scores.shape[0]} scores for 1 "
                             "image; it must return one score per sample, shape (n,).")
        resolved = [tgt.fn] if tgt.fn is not None else [int(c) for c in classes]
        finite = np.isfinite(a).all() and np.isfinite(grads).all() and np.isfinite(scores).all()
        ctx = CAMContext(
            activation=a[0], gradients=grads, scores=scores, targets=resolved,
            masked_scores=_masked_scorer(acc, req.preprocess, o, oi, x, resolved, path,
                                         req.cache, (req.on_step, req.cancel, req.tracker)),
            batch_size=req.batch_size, on_step=req.on_step, cancel=req.cancel,
            tracker=req.tracker)
        return Scored(
            resolved, scores,
            None if tgt.fn is not None else probabilities(real_outs[oi], o)[0],
            a.shape[-1], a.shape[1:3], ctx, None if finite else "nonfinite_map",
            [self.uses_gradients and not np.any(g) for g in grads],
            real_outs[oi][0] if oi is not None else None)

    def maps(self, scored: Scored) -> tuple[np.ndarray, np.ndarray]:
        return self.run(scored.context)
