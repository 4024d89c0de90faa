"""One background thread per widget that only ever works on the newest request.

Expensive requests (a Score-CAM map, a maximization Run, the best/worst gallery) run off the
kernel's main thread so the notebook stays responsive. When the user fires requests faster
than they complete — dragging a slider through Score-CAM classes, pressing Run ten times — a
thread per request would pile up CPU work nobody will see. :class:`LatestOnly` coalesces:

* at most one job runs and at most one waits;
* a new request cancels the running job (its cancel event is set; compute functions stop
  at their next step) and *replaces* the waiting one, which is then never started;
* a job learns whether it is still the newest request through :attr:`Ticket.current`, so a
  superseded job does not touch the views.

An exception that escapes a job is kept in :attr:`LatestOnly.last_error` and printed to
stderr, never swallowed; the widgets catch their own exceptions and show them inside the
widget, so this is the last line of defence.
"""

from __future__ import annotations

import atexit
import sys
import threading
import time
import traceback
import weakref
from typing import Callable

#: Every worker alive, so the interpreter can stop them before it exits (see _stop_all).
_ALL: "weakref.WeakSet[LatestOnly]" = weakref.WeakSet()


class Ticket:
    """A handle one job gets: its cancel event and whether it is still the newest request."""

    __slots__ = ("gen", "cancel_event", "_owner")

    def __init__(self, gen: int, owner: "LatestOnly"):
        self.gen = gen
        self.cancel_event = threading.Event()
        self._owner = owner

    @property
    def current(self) -> bool:
        """True while no newer request was made (a plain Cancel keeps a job current)."""
        return self._owner._gen == self.gen

    @property
    def cancelled(self) -> bool:
        return self.cancel_event.is_set()


class LatestOnly:
    """A single worker thread that coalesces requests: newest wins, superseded ones are dropped.

    ``submit(fn)`` queues ``fn(ticket)``; ``on_idle()`` is called from the thread when it has
    nothing left to do (it may race with a new ``submit``: check :attr:`idle` under your own
    lock). Counters in :attr:`stats` say how many requests were
    submitted, started, dropped before starting, and failed with an escaping exception.
    """

    def __init__(self, name: str, on_idle: Callable[[], None] | None = None):
        self.name = name
        self.on_idle = on_idle
        self._cv = threading.Condition()
        self._gen = 0
        self._pending: tuple[Ticket, Callable] | None = None
        self._running: Ticket | None = None
        self._thread: threading.Thread | None = None
        self._finishing = 0  # threads between "no more work" and the end of on_idle()
        self.last_error: BaseException | None = None
        self.stats = {"submitted": 0, "started": 0, "dropped": 0, "failed": 0}
        _ALL.add(self)

    # -- requests -------------------------------------------------------------------------
    def submit(self, fn: Callable[[Ticket], None]) -> Ticket:
        """Queue ``fn(ticket)`` as the newest request; cancel and replace older ones."""
        with self._cv:
            self._gen += 1
            ticket = Ticket(self._gen, self)
            self._drop_pending()
            if self._running is not None:
                self._running.cancel_event.set()
            self._pending = (ticket, fn)
            self.stats["submitted"] += 1
            if self._thread is None:
                self._thread = threading.Thread(target=self._loop, name=self.name, daemon=True)
                self._thread.start()
        return ticket

    def cancel(self, supersede: bool = False) -> None:
        """Stop the running job at its next step and forget the waiting one.

        With ``supersede=True`` the running job also stops being :attr:`Ticket.current`
        (used when a quick, synchronous update replaces it: the old job must not touch the
        views afterwards).
        """
        with self._cv:
            if supersede:
                self._gen += 1
            self._drop_pending()
            if self._running is not None:
                self._running.cancel_event.set()

    def _drop_pending(self) -> None:
        if self._pending is not None:
            self._pending[0].cancel_event.set()
            self._pending = None
            self.stats["dropped"] += 1

    # -- state ----------------------------------------------------------------------------
    @property
    def idle(self) -> bool:
        with self._cv:
            return self._thread is None

    def wait(self, timeout: float | None = None) -> bool:
        """Block until nothing runs or waits and ``on_idle`` has returned; False on timeout."""
        with self._cv:
            return self._cv.wait_for(lambda: self._thread is None and not self._finishing,
                                     timeout)

    # -- the thread -----------------------------------------------------------------------
    def _loop(self) -> None:
        while True:
            with self._cv:
                if self._pending is None:
                    self._thread = None
                    self._finishing += 1
                    break
                ticket, fn = self._pending
                self._pending = None
                self._running = ticket
                self.stats["started"] += 1
            try:
                fn(ticket)
            except BaseException as exc:  # noqa: BLE001 - kept and printed, never lost
                self.last_error = exc
                self.stats["failed"] += 1
                print(f"convviz_widgets: uncaught error in worker {self.name!r}:",
                      file=sys.stderr)
                traceback.print_exception(type(exc), exc, exc.__traceback__, file=sys.stderr)
            finally:
                with self._cv:
                    self._running = None
                    self._cv.notify_all()
        try:
            if self.on_idle is not None:
                self.on_idle()
        except Exception as exc:  # noqa: BLE001 - same policy as a job's own errors
            self.last_error = exc
            traceback.print_exception(type(exc), exc, exc.__traceback__, file=sys.stderr)
        finally:
            with self._cv:
                self._finishing -= 1
                self._cv.notify_all()


def _stop_all(timeout: float = 20.0) -> None:
    """Cancel every worker and wait for them (bounded) when the interpreter exits.

    A daemon thread still inside TensorFlow when Python finalises is torn down mid-call and
    the process aborts ("terminate called ... exception not rethrown", exit code 134), which
    would turn a finished script or test run into a crash. Cancelled jobs stop at their next
    step, so this normally returns at once.
    """
    deadline = time.monotonic() + timeout
    workers = list(_ALL)
    for worker in workers:
        worker.cancel(supersede=True)
    for worker in workers:
        worker.wait(max(0.0, deadline - time.monotonic()))


atexit.register(_stop_all)
