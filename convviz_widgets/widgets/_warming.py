"""Warming hidden pages: compute ahead what a page will need, in the background, drawing nothing.

The Explorer is drawn without waiting for its heavy pages (Grad-CAM traces and runs the model
with a gradient; Patterns compiles a maximization step): they are inactive until shown
(:attr:`View.active`). A :class:`PageWarmer` then does that work *after* the Explorer was
drawn, on one :class:`._jobs.JobRunner`, page after page, so the first visit of a page finds
its compiled functions and cached results:

* each step is a function ``warm(job)`` that computes and fills the caches of
  :mod:`convviz_widgets.compute`, and touches no widget — a page that finishes warming while
  hidden costs no render; when it is shown it renders once, as any hidden page does, from the
  caches;
* cancelable (:meth:`PageWarmer.cancel`): the running step ends (a trace cannot be cut in
  half), no later step starts;
* a failure is not shown: the page computes again when shown and shows its own error there
  (kept in :attr:`PageWarmer.errors`);
* "after it was drawn" is, in a notebook, after the cell that built it has run
  (:meth:`PageWarmer.after_cell`, IPython's ``post_run_cell``): the cell's widgets are then on
  their way to the browser and the kernel is free. Outside a kernel nothing is drawn and
  nothing starts by itself (:meth:`PageWarmer.start` does).
"""

from __future__ import annotations

import threading
import weakref
from typing import Callable

import traitlets
from IPython import get_ipython

from ..compute.progress import Cancelled
from ._jobs import JobRunner

__all__ = ["PageWarmer"]


class PageWarmer(traitlets.HasTraits):
    """Runs ``steps`` (``[(page key, warm(job)), ...]``) once, in order, in the background.

    Attributes
    ----------
    warming : bool
        True while a step runs or waits.
    warmed : list of str
        The keys of the pages whose step finished (in order).
    errors : dict
        ``{page key: exception}`` of the steps that failed.
    """

    warming = traitlets.Bool(False)
    warmed = traitlets.List(traitlets.Unicode())

    def __init__(self, steps: list[tuple[str, Callable]]):
        super().__init__()
        self._steps = list(steps)
        self.errors: dict = {}
        self._running: str | None = None
        self._done = threading.Condition()
        self._runner = JobRunner("convviz-explorer-warm", on_busy=self._busy)

    def _busy(self, busy: bool) -> None:
        self.warming = busy

    def start(self) -> None:
        """Warm every page not warmed yet (a new start replaces one still running)."""
        self._runner.start(self._work)

    def _work(self, job) -> None:
        for key, warm in self._steps:
            if key in self.warmed or key in self.errors:
                continue
            if job.cancelled or not job.current:
                raise Cancelled()
            with self._done:
                self._running = key
            try:
                warm(job)
            except Cancelled:
                raise
            except Exception as exc:  # noqa: BLE001 - the page shows it when it is shown
                self.errors[key] = exc
            else:
                self.warmed = self.warmed + [key]
            finally:
                with self._done:
                    self._running = None
                    self._done.notify_all()

    def cancel(self) -> None:
        """Stop warming: the step running ends, no further step starts."""
        self._runner.cancel()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until nothing warms; False on timeout."""
        return self._runner.wait(timeout)

    def settle(self, key: str, timeout: float = 120.0) -> None:
        """Block while page ``key``'s step runs: a page shown then would compute the same
        thing a second time, alongside."""
        with self._done:
            self._done.wait_for(lambda: self._running != key, timeout)

    def after_cell(self) -> bool:
        """Start once the running notebook cell has finished (True if a kernel runs one)."""
        shell = get_ipython()
        events = getattr(shell, "events", None)
        if events is None:
            return False
        ref = weakref.ref(self)

        def started(*_):
            events.unregister("post_run_cell", started)
            warmer = ref()
            if warmer is not None:
                warmer.start()

        events.register("post_run_cell", started)
        return True
