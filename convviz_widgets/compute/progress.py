"""The one progress / cancel protocol of every long computation in :mod:`convviz_widgets.compute`.

Score-CAM, the attribution methods that run the model many times, :func:`faithfulness`,
:func:`sanity_check`, :func:`dataset_examples`, :func:`maximize` and :func:`deepdream` all take
the same two keyword arguments:

``on_step``
    Either a plain callable ``on_step(done, total)`` — called after each unit of work; returning
    ``False`` stops — or a :class:`Progress` object, whose ``on_begin`` / ``on_step`` /
    ``on_frame`` / ``on_end`` hooks are called (modelled on tf-keras-vis's ``Callback``).
    ``total`` is ``None`` for a stream of unknown length.
``cancel``
    A ``threading.Event``; setting it from another thread stops before the next unit of work.

A stopped computation raises :class:`Cancelled` when it has nothing useful to return (a CAM, a
faithfulness curve); one that can return what it finished (maximization rows, dataset examples so
far) returns it and marks it ``cancelled``. Either way ``on_end(..., cancelled=True)`` is called.

Examples
--------
>>> class Log(Progress):
...     def __init__(self):
...         self.seen = []
...     def on_step(self, done, total):
...         self.seen.append((done, total))
...         return done < 2
>>> log = Log()
>>> tracker = Tracker(log)
>>> tracker.begin(5)
>>> [tracker.step(i, 5) for i in (1, 2, 3)]
[True, False, False]
>>> log.seen
[(1, 5), (2, 5)]
>>> tracker.stopped
True
"""

from __future__ import annotations

import threading
from typing import Any, Callable

__all__ = ["Cancelled", "Progress", "Tracker"]


class Cancelled(RuntimeError):
    """A long computation was stopped through ``on_step`` (it returned ``False``) or ``cancel``."""


class Progress:
    """Base class for progress observers; override the hooks you need (all are optional).

    ``on_step`` returning ``False`` stops the computation; ``None`` or ``True`` goes on.
    ``on_frame`` receives intermediate results of optimisations (the current images, as a live
    buffer: copy what you keep) and ``scores`` (one float per image).
    """

    def on_begin(self, total: int | None) -> None:
        """Called once before the first unit of work."""

    def on_step(self, done: int, total: int | None) -> bool | None:
        """Called after each unit of work; return ``False`` to stop."""

    def on_frame(self, done: int, total: int | None, images: Any, scores: Any) -> None:
        """Called with intermediate images by optimisations (maximize, deepdream)."""

    def on_end(self, done: int, total: int | None, cancelled: bool) -> None:
        """Called once at the end, also when stopped or failed (``cancelled`` tells which)."""


class _CallableProgress(Progress):
    def __init__(self, fn: Callable[[int, int | None], Any]):
        self._fn = fn

    def on_step(self, done, total):
        return self._fn(done, total)


class Tracker:
    """What a compute function holds while it runs: one place that calls the observer's hooks,
    watches the cancel event and remembers whether the run was stopped.

    Parameters
    ----------
    on_step : callable, Progress or None
        ``on_step(done, total)`` or a :class:`Progress`.
    cancel : threading.Event, optional
        Stop before the next unit of work once set.
    """

    def __init__(self, on_step: Callable | Progress | None = None,
                 cancel: threading.Event | None = None):
        if on_step is None or isinstance(on_step, Progress):
            self.progress = on_step
        elif callable(on_step):
            self.progress = _CallableProgress(on_step)
        else:
            raise TypeError(f"on_step must be a callable on_step(done, total) or a Progress "
                            f"object, got {type(on_step).__name__}.")
        if cancel is not None and not hasattr(cancel, "is_set"):
            raise TypeError(f"cancel must be a threading.Event, got {type(cancel).__name__}.")
        self.cancel = cancel
        self.stopped = False
        self.done = 0
        self.total: int | None = None
        self._ended = False

    @property
    def cancel_requested(self) -> bool:
        """True once the cancel event is set or a step asked to stop."""
        return self.stopped or (self.cancel is not None and self.cancel.is_set())

    def begin(self, total: int | None) -> None:
        """Start: remember ``total`` and call ``on_begin``."""
        self.total = total
        if self.progress is not None:
            self.progress.on_begin(total)

    def step(self, done: int, total: int | None = None) -> bool:
        """Report ``done`` units; return whether to go on (False once stopped or cancelled)."""
        if total is not None:
            self.total = total
        self.done = int(done)
        if self.cancel_requested:
            self.stopped = True
            return False
        if self.progress is not None and self.progress.on_step(self.done, self.total) is False:
            self.stopped = True
        return not self.stopped

    def frame(self, images, scores) -> None:
        """Hand intermediate images to ``on_frame`` (optimisations only)."""
        if self.progress is not None:
            self.progress.on_frame(self.done, self.total, images, scores)

    def check(self) -> None:
        """Raise :class:`Cancelled` if the run was stopped or the cancel event is set."""
        if self.cancel_requested:
            self.stopped = True
            raise Cancelled(f"cancelled after {self.done} of {self.total} steps")

    def step_or_raise(self, done: int, total: int | None = None) -> None:
        """:meth:`step`, raising :class:`Cancelled` when it says stop."""
        if not self.step(done, total):
            raise Cancelled(f"cancelled after {self.done} of {self.total} steps")

    def end(self) -> None:
        """Call ``on_end`` once (safe to call again, e.g. from ``finally``)."""
        if self._ended:
            return
        self._ended = True
        if self.progress is not None:
            self.progress.on_end(self.done, self.total, self.cancel_requested)

    def __enter__(self) -> "Tracker":
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is not None and issubclass(exc_type, Cancelled):
            self.stopped = True
        self.end()
