"""Attribution methods: results, the method type and the registry.

Every method — layer-level CAMs (:mod:`.layer`) and pixel-level attributions (:mod:`._pixel`) —
is an :class:`AttributionMethod` registered here; :func:`cam_methods` lists them for the widgets
and :func:`get_method` finds one by name, alias, class or instance. Every call returns
:class:`CAMResult` (flags in :data:`FLAGS`), and long methods report through one
:class:`CAMTracker`. The one driver is :mod:`.pipeline`; the classification lists (top-k,
ranking) are :mod:`.predictions`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np

from ..progress import Cancelled, Tracker
from .._repr import ShortRepr, number, one_line, shape

__all__ = ["FLAGS", "AttributionMethod", "CAMCancelled", "CAMResult", "CAMTracker", "Scored",
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
        (``"attribution_sum"``, ``"baseline_score"``, ``"completeness_gap"``). Every map that
        is not flagged adds ``"scale"``: ``heatmap * scale`` is the map in its own units (score
        per pixel for the signed pixel methods).

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


# ------------------------------------------------------------------------------- the method type
class AttributionMethod:
    """What every attribution method is, for the registry and the one driver.

    Two sibling types derive from it, each with its own one hook: :class:`~.layer.CAMMethod`
    (maps of a feature-map layer: ``channel_weights`` or ``cam``) and
    :class:`~._pixel.PixelMethod` (maps at the input's resolution: ``attribute``). The driver
    (:mod:`.pipeline`) resolves the request into one :class:`~.target.Target`, asks the method's
    type to :meth:`score` it (the forward pass every result reports) and, unless the image is
    constant or the scores are not finite, to :meth:`maps`; then it finishes every map in one
    place (flags, renormalisation, resize to the image).

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
        progress and Cancel; ``batch_size=`` applies).
    uses_gradients : bool
        False for gradient-free methods (their maps are not flagged when gradients vanish).
    signed : bool
        True when the map keeps its sign (heatmap in [-1, 1]); otherwise [0, 1].
    needs_layer : bool
        True when the method reads a feature-map layer (``layer=`` applies).
    flat_flag : str
        The flag of a map that is 0 everywhere.
    """

    name: ClassVar[str] = ""
    label: ClassVar[str] = ""
    aliases: ClassVar[tuple[str, ...]] = ()
    long_running: ClassVar[bool] = False
    uses_gradients: ClassVar[bool] = True
    signed: ClassVar[bool] = False
    needs_layer: ClassVar[bool] = False
    flat_flag: ClassVar[str] = "no_gradient"

    def empty(self, acc, path: str | None) -> tuple[int, tuple[int, int]]:
        """``(channels, map_hw)`` of a result where nothing could be computed."""
        raise NotImplementedError

    def score(self, req):
        """The forward pass of a request: a :class:`Scored` (targets resolved, scores)."""
        raise NotImplementedError

    def maps(self, scored: "Scored") -> tuple[np.ndarray, np.ndarray]:
        """``(weights (k, c), maps (k, h, w))``: the raw maps of every target (the method runs)."""
        raise NotImplementedError


@dataclass
class Scored:
    """One request after its forward pass: what every result reports, and the method's context.

    Attributes
    ----------
    targets : list
        Resolved targets (class indices, or the callable), one per map.
    scores : ndarray
        ``(k,)`` explained scores.
    probabilities : ndarray or None
        ``(classes,)`` the model's class probabilities (``None`` for a callable target).
    channels : int
        Length of each result's ``weights``.
    map_hw : tuple
        Shape of a raw map, for the zero maps of flagged results.
    context : object
        What the method's hook reads (:class:`~.layer.CAMContext`,
        :class:`~._pixel.PixelContext`).
    flag : str or None
        Set when the scores already say no map can be made (``"nonfinite_map"``).
    no_gradient : list of bool
        Per target: its gradient is 0 everywhere (the map is flagged ``"no_gradient"``).
    output : ndarray or None
        The chosen model output for the image (batch axis dropped), the very pass the map
        used, for a prediction list.
    details : list of dict
        Per target, method-specific numbers copied to ``CAMResult.details``.
    """

    targets: list
    scores: np.ndarray
    probabilities: np.ndarray | None
    channels: int
    map_hw: tuple
    context: Any = None
    flag: str | None = None
    no_gradient: list = field(default_factory=list)
    output: np.ndarray | None = None
    details: list = field(default_factory=list)

    def probability(self, target) -> float | None:
        """The probability of a resolved class target (``None`` for a callable)."""
        if self.probabilities is None or callable(target):
            return None
        return float(self.probabilities[target])


# -------------------------------------------------------------------------------------- registry
_REGISTRY: dict[str, type[AttributionMethod]] = {}


def _norm_name(name: str) -> str:
    return str(name).lower().replace("-", "").replace("_", "").replace(" ", "")


def register(cls: type[AttributionMethod]) -> type[AttributionMethod]:
    """Class decorator adding a method (a :class:`~.layer.CAMMethod` or
    :class:`~._pixel.PixelMethod` subclass) to the registry (see :func:`cam_methods`).

    Examples
    --------
    >>> from convviz_widgets.compute.cam import CAMMethod
    >>> @register
    ... class Flat(CAMMethod):
    ...     name, label = "flatcam", "Flat"
    ...     def channel_weights(self, ctx):
    ...         return np.zeros((len(ctx.targets), ctx.activation.shape[-1]))
    >>> unregister("flatcam")
    """
    if not (isinstance(cls, type) and issubclass(cls, AttributionMethod)) or not cls.name:
        raise TypeError("register() takes a CAMMethod or PixelMethod subclass with a non-empty "
                        "`name`.")
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


def get_method(method) -> AttributionMethod:
    """A method instance from a name, alias, class or instance.

    Examples
    --------
    >>> get_method("Grad-CAM++").name
    'gradcam++'
    """
    if isinstance(method, AttributionMethod):
        return method
    if isinstance(method, type) and issubclass(method, AttributionMethod):
        return method()
    key = _norm_name(method)
    for name, cls in _REGISTRY.items():
        spellings = {_norm_name(name), _norm_name(cls.label)} | {_norm_name(a) for a in cls.aliases}
        if key in spellings:
            return cls()
    raise ValueError(f"Unknown CAM method {method!r}; registered methods are "
                     f"{list(_REGISTRY)}.")
