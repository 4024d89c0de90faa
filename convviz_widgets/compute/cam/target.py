"""The one typed target of an attribution request.

``target=`` arrives in five spellings — a class index, ``None`` (top-1), a list of them, a
callable score, a :class:`~.region.Region` — together with ``output=`` (which output of a
several-output model). :func:`resolve_target` turns them into one :class:`Target` before any
method runs; the methods and the driver read only that.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from ..outputs import check_targets, choose_output
from ._engine import _meta
from .region import Region

__all__ = ["Target", "resolve_target"]


@dataclass(frozen=True)
class Target:
    """What one call explains.

    Attributes
    ----------
    classes : tuple
        Class indices, ``None`` for "the top-1 class"; empty for a callable target.
    fn : callable or None
        A score callable (a resolved :class:`~.region.Region` is one), or ``None``.
    output : int or None
        Index of the explained output; ``None`` only for a callable that receives all outputs.
    was_list : bool
        The caller passed a list (and gets a list of results back).

    Examples
    --------
    >>> t = Target(classes=(3, None), fn=None, output=0, was_list=True)
    >>> t.items, t.codes.tolist()
    ([3, None], [3, -1])
    """

    classes: tuple
    fn: Callable | None
    output: int | None
    was_list: bool

    @property
    def items(self) -> list:
        """One entry per result: the class indices (``None``: top-1), or ``[fn]``."""
        return [self.fn] if self.fn is not None else list(self.classes)

    @property
    def codes(self) -> np.ndarray:
        """``(k,)`` int32 class codes for the compiled head: ``-1`` means top-1 (or a callable)."""
        return np.array([-1 if self.fn is not None or c is None else c for c in self.items],
                        np.int32)

    @property
    def region(self) -> Region | None:
        """The :class:`~.region.Region` explained, if the target is one."""
        return self.fn if isinstance(self.fn, Region) else None


def resolve_target(acc, target, output=None) -> Target:
    """``target=`` and ``output=`` of a call as one :class:`Target`, checked against the model.

    Parameters
    ----------
    acc : ModelAccess
    target : int, None, list, callable or Region
        As for :func:`~convviz_widgets.compute.cam.gradcam` (a Region already resolved).
    output : int, str or None
        As for :func:`~convviz_widgets.compute.cam.gradcam`.

    Raises
    ------
    ValueError, TypeError
        A class index outside the output, an unknown output, a list holding a Region.

    Examples
    --------
    >>> import convviz_widgets as cv
    >>> from convviz_widgets.compute import access
    >>> resolve_target(access(cv.demo_model()), [0, None])               # doctest: +SKIP
    Target(classes=(0, None), fn=None, output=0, was_list=True)
    """
    if isinstance(target, (list, tuple)) and any(isinstance(t, Region) for t in target):
        raise TypeError("Pass one Region as target=, not a list; call gradcam once per region.")
    meta = _meta(acc)
    is_fn = callable(target) and not isinstance(target, type)
    oi = choose_output(meta, output, acc.model.name, allow_all=is_fn)
    o = meta.outputs[oi] if oi is not None else None
    items, was_list = check_targets(target, o, acc.model.name)
    if is_fn:
        return Target((), items[0], oi, False)
    return Target(tuple(items), None, oi, was_list)
