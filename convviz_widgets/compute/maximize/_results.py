"""The results of :func:`maximize` and :func:`deepdream`."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .._repr import ShortRepr, items, number, one_line, shape

__all__ = ["MaximizeResult", "DreamResult"]


@dataclass(frozen=True, eq=False)
class MaximizeResult(ShortRepr):
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
    raw : ndarray or None
        ``(n, H, W, C)`` float32, only for ``space="model"``: the optimised *model input*
        itself, unclipped (the U-Net lesson's values reach about ±12). :attr:`images` is then
        each row rescaled from its own [min, max] to [0, 1] for display, and ``model(raw)``
        reproduces :attr:`activation`. ``None`` in display space.
    objective_name : str
        What was maximised: ``"channel"``, ``"neuron"``, ``"negative"``, ``"class"``,
        ``"diversity"`` or ``"custom"``.
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
    raw: np.ndarray | None = field(default=None, repr=False)
    objective_name: str = "channel"

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

    @property
    def dead(self) -> np.ndarray:
        """``(n,)`` bool: the row ran all its steps and its filter never fired.

        For the objectives that read a filter's output (``"channel"``, ``"neuron"``,
        ``"diversity"``), a mean activation still ≤ 0 after the whole search means the ascent
        found no input in range that switches the filter on (a dead ReLU): the row's image is
        just its starting texture, and a view must say so rather than show it as a pattern.
        Always False for other objectives (a class logit may well be negative).

        Examples
        --------
        >>> res = maximize(unet, "dconv16", range(8))      # doctest: +SKIP
        >>> res.filters[res.dead]                          # doctest: +SKIP
        array([0, 6])
        """
        if self.objective_name not in ("channel", "neuron", "diversity"):
            return np.zeros(len(self), bool)
        act = np.asarray(self.activation, np.float32)
        return np.asarray(self.complete, bool) & ~(act > 0.0)

    @property
    def status(self) -> np.ndarray:
        """``(n,)`` str per row: ``"done"``, ``"unfinished"`` (a cancel stopped it before its
        last step: not a final pattern) or ``"dead"`` (see :attr:`dead`).

        Views show the last two as such (the words are in
        :data:`convviz_widgets.display.PATTERN_STATUS`).

        Examples
        --------
        >>> res.status.tolist()                            # doctest: +SKIP
        ['dead', 'done', 'done', 'unfinished']
        """
        out = np.full(len(self), "done", dtype=object)
        out[~np.asarray(self.complete, bool)] = "unfinished"
        out[self.dead] = "dead"
        return out.astype(str) if len(self) else np.zeros(0, "<U10")

    def __repr__(self) -> str:
        act = np.asarray(self.activation, np.float64)
        mean = np.nanmean(act) if np.isfinite(act).any() else float("nan")
        return one_line("MaximizeResult", layer=repr(self.layer), images=shape(self.images),
                        filters=items(np.asarray(self.filters).tolist(), 3),
                        method=repr(self.method), objective=repr(self.objective_name),
                        steps=str(self.steps), mean_activation=number(mean),
                        cancelled="True" if self.cancelled else None)


@dataclass(frozen=True, eq=False)
class DreamResult(ShortRepr):
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
    layers : tuple of str
        Paths of the layers the objective reads (empty for a result built by hand).
    settings : dict
        ``octaves``, ``octave_scale``, ``steps`` and ``lr`` of the call.
    """

    images: np.ndarray
    score: np.ndarray
    start_score: np.ndarray
    history: np.ndarray
    octave_sizes: list
    cancelled: bool = False
    layers: tuple = ()
    settings: dict = field(default_factory=dict)

    def __repr__(self) -> str:
        # One line, not the dreamed pixels (bug 11): shape, layers, settings, the score's gain.
        gain = (f"{number(np.mean(self.start_score))}→{number(np.mean(self.score))}"
                if np.size(self.score) and np.size(self.start_score) else None)
        settings = {k: f"{v:g}" if isinstance(v, float) else str(v)
                    for k, v in self.settings.items()}
        return one_line("DreamResult", images=shape(self.images),
                        layers=items(self.layers) if self.layers else None, **settings,
                        score=gain, cancelled="True" if self.cancelled else None)
