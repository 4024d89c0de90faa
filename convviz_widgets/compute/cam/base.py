"""The class-activation-map family: results, the one hook and the registry.

Every CAM method answers "which regions of the image drove this score?" with the same recipe:

1. run the model once and capture the feature map ``A`` of the chosen layer, ``(h, w, c)``;
2. run the part of the model *after* that layer (the "head") on ``A`` inside a gradient tape,
   giving the target score(s) and their gradients with respect to ``A``;
3. turn ``A`` (and the gradients) into one weight per channel — the only part that differs
   between methods, and therefore the only thing a method implements
   (:meth:`CAMMethod.channel_weights`);
4. ``ReLU(sum_k w_k A_k)``, normalised to [0, 1] and resized to the image.

Step 1 is cached per image, layer and preprocess in the model's byte-bounded LRU, so a class
switch, a list of targets or a method switch re-runs only step 2 — the head — which on VGG16 is a
few per cent of a forward pass. Step 2 runs the head by *replacing* the layer's output with the
cached ``A`` (:func:`~convviz_widgets.compute.run_model`); everything before the
layer is then dead code in the traced graph and TensorFlow prunes it. Parts before the layer that
the head still needs (a U-Net's skip connections) are recomputed from the image, which keeps the
result exact for every architecture.

A new method is one small module: subclass :class:`CAMMethod`, set ``name``/``label``, implement
``channel_weights`` and decorate the class with :func:`register`. Widgets list
:func:`cam_methods`.

This module is what a method author needs (:class:`CAMMethod`, :class:`CAMContext`,
:class:`CAMResult`, :func:`register`). The driver that runs steps 1, 2 and 4 is
:mod:`._engine`; the classification lists (top-k, ranking) are :mod:`.predictions`.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any, Callable, ClassVar

import numpy as np

from ..progress import Cancelled, Tracker
from .._repr import ShortRepr, number, one_line, shape

__all__ = ["FLAGS", "CAMCancelled", "CAMContext", "CAMMethod", "CAMResult", "CAMTracker",
           "cam_methods", "get_method", "register", "unregister"]

#: Flags a :class:`CAMResult` can carry (``None`` means a normal result).
FLAGS = {
    "nonfinite_input": "the image contains NaN or infinite values; nothing was computed",
    "constant_input": "the image is constant, so no region can stand out",
    "nonfinite_map": "the model produced NaN or infinite values for this image",
    "no_gradient": "the target score does not depend on the chosen layer (all gradients are 0)",
    "no_positive_evidence": "no channel combination raises the score (the map is 0 after ReLU)",
    "empty_region": "the region to explain has no pixels (e.g. nothing predicted as foreground)",
}


class CAMCancelled(Cancelled):
    """A long CAM computation (Score-CAM) was cancelled through ``on_step`` or ``cancel``
    (the one :class:`..progress.Cancelled` of every long computation)."""


class CAMTracker(Tracker):
    """The :class:`~convviz_widgets.compute.Tracker` of one CAM call.

    A CAM learns its amount of work only when a method starts its loop (Score-CAM: one masked
    image per channel), so ``on_begin`` is called at the first report, with that total; a call
    that never reports (Grad-CAM) calls no hook at all. Stopping raises :class:`CAMCancelled`.
    """

    _begun = False

    def _ensure_begun(self, total) -> None:
        if not self._begun:
            self._begun = True
            self.begin(total)

    def check_before(self, done: int, total: int | None) -> None:
        """Before a unit of work: raise :class:`CAMCancelled` if the cancel event is set."""
        self._ensure_begun(total)
        if self.cancel_requested:
            self.stopped = True
            raise CAMCancelled(f"cancelled after {done} of {total} steps")

    def report(self, done: int, total: int | None) -> None:
        """After a unit of work: ``on_step``; raise :class:`CAMCancelled` if it says stop."""
        self._ensure_begun(total)
        if not self.step(done, total):
            raise CAMCancelled(f"cancelled after {done} of {total} steps")

    def end(self) -> None:
        if self._begun:
            super().end()

# --------------------------------------------------------------------------------------- results
@dataclass(frozen=True)
class CAMResult(ShortRepr):
    """One class activation map.

    Attributes
    ----------
    heatmap : ndarray
        ``(H, W)`` float32 in [0, 1] at the resolution of the image *as passed* (before any
        resize to the model's input size); 1 is the most important region. All zeros when
        :attr:`flag` is set.
    target : int or callable
        The class index that was explained (``None`` resolved to the top-1 class), or the callable
        that was passed.
    score : float
        The explained score. For class targets of a model whose last layer applies softmax or
        sigmoid, this is the *logit* (the layer's pre-activation, see :func:`gradcam`; for class
        0 of a one-unit sigmoid, minus the logit); otherwise the model output (or the callable's
        value).
    probability : float or None
        For class targets, the model's probability for that class (its own softmax/sigmoid
        output; ``1 - p`` for class 0 of a one-unit sigmoid; the softmax of raw scores for
        several classes); ``None`` for callable targets.
    layer : str
        Path of the layer whose feature map was weighted.
    weights : ndarray
        ``(c,)`` float32: the weight of each channel of :attr:`layer` — links the heatmap to the
        activation channels that drive it.
    cam : ndarray
        ``(h, w)`` float32: ``ReLU(sum_k weights[k] * A[..., k])`` at the layer's resolution,
        not normalised.
    method : str
        Registered name of the method (``"gradcam"``, ``"gradcam++"``, ``"scorecam"``).
    flag : str or None
        ``None`` for a normal result; otherwise a key of :data:`FLAGS` saying why the heatmap is
        all zeros (NaN or constant image, no gradient, no positive evidence).
    image : ndarray
        ``(H, W, C)`` float32 in [0, 1]: the image as passed, in display space (for overlays).
    signed : bool
        True for signed pixel attributions (``gradient_x_input``, ``integrated_gradients``):
        :attr:`heatmap` is then in [-1, 1] (divided by its largest magnitude; negative pixels
        lower the score). False: [0, 1].
    details : dict
        Method-specific numbers, e.g. for integrated gradients the completeness check
        (``"attribution_sum"``, ``"baseline_score"``, ``"completeness_gap"``). Pixel-level
        methods add ``"scale"``: ``heatmap * scale`` is the map in its own units (score per
        pixel for the signed ones).

    Notes
    -----
    *Pixel-level methods* (``saliency``, ``smoothgrad``, ``gradient_x_input``,
    ``integrated_gradients``, ``guided_backprop``; :func:`cam_methods` lists them with the
    CAMs) return the same type: :attr:`layer` is ``"input"`` (``guided_gradcam``: its CAM
    layer), :attr:`weights` is empty and :attr:`cam` is the raw map ``(H', W')`` at the model's
    input size, not normalised.
    """

    heatmap: np.ndarray
    target: Any
    score: float
    probability: float | None
    layer: str
    weights: np.ndarray
    cam: np.ndarray
    method: str
    flag: str | None = None
    image: np.ndarray | None = field(default=None, repr=False)
    signed: bool = False
    details: dict = field(default_factory=dict, repr=False)

    def __repr__(self) -> str:
        target = getattr(self.target, "__name__", self.target)
        return one_line("CAMResult", method=repr(self.method), layer=repr(self.layer),
                        target=repr(target), score=number(self.score),
                        heatmap=shape(self.heatmap),
                        flag=repr(self.flag) if self.flag else None)

    @property
    def degenerate(self) -> bool:
        """True when the heatmap carries no information (see :attr:`flag`)."""
        return self.flag is not None

    @property
    def reason(self) -> str | None:
        """A sentence explaining :attr:`flag`, or ``None``."""
        return FLAGS.get(self.flag) if self.flag else None


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


# -------------------------------------------------------------------------------------- registry
class CAMMethod:
    """Base class of CAM methods (template method: subclasses implement one hook).

    Class attributes
    ----------------
    name : str
        Registry key, lower case (``"gradcam"``).
    label : str
        Human-readable name for menus (``"Grad-CAM"``).
    aliases : tuple of str
        Other accepted spellings.
    long_running : bool
        True when the method runs the model many times (widgets run it in a worker thread with
        progress and Cancel).
    uses_gradients : bool
        False for gradient-free methods (their maps are not flagged when gradients vanish).

    Examples
    --------
    A method that weights every channel equally (a poor explanation, but one module):

    >>> @register
    ... class MeanCAM(CAMMethod):
    ...     name, label = "meancam", "Mean activation"
    ...     def channel_weights(self, ctx):
    ...         return np.ones((len(ctx.targets), ctx.activation.shape[-1]), np.float32)
    >>> "meancam" in cam_methods()
    True
    >>> unregister("meancam")
    """

    name: ClassVar[str] = ""
    label: ClassVar[str] = ""
    aliases: ClassVar[tuple[str, ...]] = ()
    long_running: ClassVar[bool] = False
    uses_gradients: ClassVar[bool] = True

    #: ``"layer"`` for maps of a feature-map layer (this template); ``"pixel"`` for attributions
    #: at input resolution (:class:`~convviz_widgets.compute.cam.PixelMethod`).
    level: ClassVar[str] = "layer"
    #: True when the heatmap keeps its sign (range [-1, 1]); CAM maps are in [0, 1].
    signed: ClassVar[bool] = False

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


_REGISTRY: dict[str, type[CAMMethod]] = {}


def _norm_name(name: str) -> str:
    return str(name).lower().replace("-", "").replace("_", "").replace(" ", "")


def register(cls: type[CAMMethod]) -> type[CAMMethod]:
    """Class decorator adding a :class:`CAMMethod` to the registry (see :func:`cam_methods`).

    Examples
    --------
    >>> @register
    ... class Flat(CAMMethod):
    ...     name, label = "flatcam", "Flat"
    ...     def channel_weights(self, ctx):
    ...         return np.zeros((len(ctx.targets), ctx.activation.shape[-1]))
    >>> unregister("flatcam")
    """
    if not (isinstance(cls, type) and issubclass(cls, CAMMethod)) or not cls.name:
        raise TypeError("register() takes a CAMMethod subclass with a non-empty `name`.")
    _REGISTRY[cls.name] = cls
    return cls


def unregister(name: str) -> None:
    """Remove a method from the registry (mainly for tests and experiments).

    Examples
    --------
    >>> unregister("no-such-method")   # unknown names are ignored
    """
    _REGISTRY.pop(name, None)


def cam_methods() -> dict[str, str]:
    """``{name: label}`` of every registered CAM method, in registration order.

    Examples
    --------
    >>> list(cam_methods())[:3]
    ['gradcam', 'gradcam++', 'scorecam']
    """
    return {name: cls.label or name for name, cls in _REGISTRY.items()}


def get_method(method) -> CAMMethod:
    """A method instance from a name, alias, class or instance.

    Examples
    --------
    >>> get_method("Grad-CAM++").name
    'gradcam++'
    """
    if isinstance(method, CAMMethod):
        return method
    if isinstance(method, type) and issubclass(method, CAMMethod):
        return method()
    key = _norm_name(method)
    for name, cls in _REGISTRY.items():
        spellings = {_norm_name(name), _norm_name(cls.label)} | {_norm_name(a) for a in cls.aliases}
        if key in spellings:
            return cls()
    raise ValueError(f"Unknown CAM method {method!r}; registered methods are "
                     f"{list(_REGISTRY)}.")
