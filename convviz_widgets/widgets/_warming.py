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
  nothing starts by itself (:meth:`PageWarmer.start` does);
* again after the state they show changed (:meth:`PageWarmer.changed`: the Explorer's shared
  layer), once it has started: what was warm is for the old state. *Debounced*: a user
  dragging through layers queues nothing, the pages are warmed for the layer they settle on,
  :attr:`PageWarmer.delay` seconds after the last change. The next change cancels it, and so
  do a page shown (:meth:`PageWarmer.visit`: that page computes itself, and the visible page
  is never delayed) and :meth:`PageWarmer.cancel`; it starts only once the visible page's own
  work is over (``idle``).
"""

from __future__ import annotations

import atexit
import threading
import time
import weakref
from typing import Callable

import traitlets
from IPython import get_ipython

from ..compute.progress import Cancelled
from ._jobs import JobRunner

__all__ = ["PageWarmer", "REWARM_DELAY"]

#: Seconds without a change before the pages are warmed again after one: a user dragging
#: through layers (a menu's arrow keys) queues nothing, the layer settled on is warmed.
REWARM_DELAY = 1.0
#: Changes further apart than this (seconds) are not browsing: the next one waits ``delay``.
BROWSING = 10.0

#: Every warmer alive, so a pending warming is dropped before the interpreter exits: registered
#: after :mod:`._jobs`' own exit handler, this one runs first (a warming started after the job
#: runners were stopped would run TensorFlow while Python finalises).
_ALL: "weakref.WeakSet[PageWarmer]" = weakref.WeakSet()


class PageWarmer(traitlets.HasTraits):
    """Runs ``steps`` (``[(page key, warm(job)), ...]``) in order, in the background: once
    started, and again after each change of what the pages show.

    Parameters
    ----------
    steps : list of (str, callable)
        The pages' keys and their ``warm(job)``.
    idle : callable, optional
        ``idle(timeout) -> bool``: True once the visible page's own work is over (a warming
        after a change waits for it before each step).
    auto : bool
        Warm again by itself after a change (:meth:`changed`), once started.

    Attributes
    ----------
    warming : bool
        True while a step runs or waits.
    warmed : list of str
        The keys of the pages whose step finished for the current state (in order).
    errors : dict
        ``{page key: exception}`` of the steps that failed for the current state.
    delay : float
        Seconds without a change before warming again after one (the debounce).
    """

    warming = traitlets.Bool(False)
    warmed = traitlets.List(traitlets.Unicode())

    def __init__(self, steps: list[tuple[str, Callable]], idle: Callable | None = None,
                 auto: bool = True):
        super().__init__()
        self._steps = list(steps)
        self.errors: dict = {}
        self.delay = REWARM_DELAY
        self._idle = idle if idle is not None else (lambda timeout: True)
        self._auto = bool(auto)
        self._running: str | None = None
        self._done = threading.Condition()
        # Under _done: the state's generation (a change makes a new one), whether warming has
        # started, when a change's warming is due (monotonic seconds) and the halt of a warming
        # after a change.
        self._gen = 0
        self._started = False
        self._due: float | None = None
        self._last_change: float | None = None
        self._halt: threading.Event | None = None
        self._debouncer: threading.Thread | None = None
        self._runner = JobRunner("convviz-explorer-warm", on_busy=self._busy)
        _ALL.add(self)

    def _busy(self, busy: bool) -> None:
        self.warming = busy

    @property
    def stats(self) -> dict:
        """How many warmings were requested, started, dropped before starting, failed."""
        return dict(self._runner.stats)

    def start(self) -> None:
        """Warm every page not warmed yet (a new start replaces one still running)."""
        with self._done:
            self._started = True
            self._due = self._halt = None
            gen = self._gen
            if self._auto and self._debouncer is None:
                # One thread waits out every change's delay; started here, not on a change (a
                # thread's start is a wait the layer change would pay under load).
                self._debouncer = threading.Thread(target=_debounce, args=(weakref.ref(self),),
                                                   name="convviz-explorer-rewarm", daemon=True)
                self._debouncer.start()
        self._runner.start(lambda job: self._work(job, gen, None))

    def changed(self) -> None:
        """What the pages show changed: what was warmed is not any more. Once started (and
        with ``auto``), the pages are warmed again once the user settled (:func:`settle_time`
        after the last change); a warming still running stops at its next step."""
        with self._done:
            self._gen += 1
            self._due = None
            self.errors = {}
            self.warmed = []
            now = time.monotonic()
            gap = None if self._last_change is None else now - self._last_change
            self._last_change = now
            if self._started and self._auto:
                self._due = now + settle_time(self.delay, gap)
                self._done.notify_all()
        self._runner.cancel()

    def _tick(self, most: float) -> bool:
        """The debounce thread's turn: wait (at most ``most`` s) for a change's warming to be
        due, and start it when it is. False once the warmer stopped warming by itself."""
        with self._done:
            if not self._auto:
                return False
            left = most if self._due is None else self._due - time.monotonic()
            if left > 0:
                self._done.wait(min(left, most))
                return True
            gen, self._due = self._gen, None
            halt = self._halt = threading.Event()
            # Submitted before the lock is let go: wait() never sees neither a due nor a job.
            self._runner.start(lambda job: self._work(job, gen, halt))
            return True

    def _stopped(self, job, gen: int, halt) -> bool:
        return job.cancelled or not job.current or gen != self._gen or \
            (halt is not None and halt.is_set())

    def _work(self, job, gen: int, halt) -> None:
        for key, warm in self._steps:
            if key in self.warmed or key in self.errors:
                continue
            # After a change, the visible page's own work first (it is never delayed).
            while halt is not None and not self._idle(0.2):
                if self._stopped(job, gen, halt):
                    raise Cancelled()
            with self._done:
                if self._stopped(job, gen, halt):
                    raise Cancelled()
                self._running = key
            try:
                warm(job)
            except Cancelled:
                raise
            except Exception as exc:  # noqa: BLE001 - the page shows it when it is shown
                with self._done:
                    if gen == self._gen:
                        self.errors[key] = exc
            else:
                with self._done:
                    if gen == self._gen:  # warmed for the state that is still shown
                        self.warmed = self.warmed + [key]
            finally:
                with self._done:
                    self._running = None
                    self._done.notify_all()

    def visit(self, key: str, settle: bool = False) -> None:
        """Page ``key`` is shown: it computes itself. A warming after a change stops (no
        further step starts and the running one is cancelled; with ``settle`` the page's own
        step, if it runs, is waited for instead: the page would compute the same thing a
        second time, alongside). The first warming goes on (see :meth:`settle`)."""
        with self._done:
            self._due = self._last_change = None  # a page looked at: not browsing layers
            halt, self._halt = self._halt, None
        if halt is not None:
            halt.set()
        if settle:
            self.settle(key)
        if halt is not None:
            self._runner.cancel()

    def cancel(self) -> None:
        """Stop warming: the step running ends, no further step starts, and a change's
        pending warming is dropped."""
        with self._done:
            self._due = None
        self._runner.cancel()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until nothing warms or waits to (a change's debounce included); False on
        timeout."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._done:
            while self._due is not None:
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    return False
                # Woken when the warming starts (or the change is dropped), else on its due.
                self._done.wait(max(0.0, self._due - time.monotonic()) + 0.05 if left is None
                                else min(left, max(0.0, self._due - time.monotonic()) + 0.05))
        left = None if deadline is None else max(0.0, deadline - time.monotonic())
        return self._runner.wait(left)

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


def settle_time(delay: float, gap: float | None) -> float:
    """Seconds without a change after which the user settled on what a change shows: ``delay``,
    or twice the time since the change before (``gap``, no page shown in between) when the
    user is browsing at that pace.

    A warming cannot be cut in the middle of a trace, and while it traces the visible page's
    next change waits for the GIL (wall +7-12 ms at load 8, CPU unchanged; issue 27, session
    33): a user changing layers every few seconds is not warmed for between two changes.

    Examples
    --------
    >>> settle_time(1.0, None), settle_time(1.0, 0.2), settle_time(1.0, 2.5), settle_time(1.0, 60)
    (1.0, 1.0, 5.0, 1.0)
    """
    if gap is None or gap > BROWSING:
        return delay
    return max(delay, 2.0 * gap)


def _debounce(ref) -> None:
    """The body of a warmer's debounce thread; it holds the warmer only for one turn, so a
    warmer no longer used is collected (and the thread ends)."""
    while True:
        warmer = ref()
        if warmer is None or not warmer._tick(5.0):
            return
        del warmer


def _drop_all() -> None:
    for warmer in list(_ALL):
        with warmer._done:
            warmer._auto = False
            warmer._due = None
            warmer._done.notify_all()


atexit.register(_drop_all)
