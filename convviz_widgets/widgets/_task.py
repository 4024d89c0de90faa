"""The one way a view runs a long action: :class:`BackgroundTask` (run, cancel, progress, wait).

Score-CAM maps, the best/worst gallery, maximization runs and the maximizer's prewarm all go
through it. It is a thin face over :class:`._worker.LatestOnly` (newest request wins, a
superseded job is cancelled and touches no view) that adds the two things every caller
re-implemented: throttled progress reports and waiting on several tasks at once.
"""

from __future__ import annotations

import time
from typing import Callable, Iterable

from ._worker import LatestOnly, Ticket

#: Progress reports from a job are throttled to about this many per second (each one is a
#: comm message; a Score-CAM over 512 channels would otherwise send 512).
PROGRESS_HZ = 10.0


class BackgroundTask:
    """A named background action of a view: at most one job runs, the newest request wins.

    Parameters
    ----------
    name : str
        Thread name (shows in tracebacks and ``threading.enumerate()``).
    on_progress : callable, optional
        ``on_progress(fraction)`` with 0..1, called from the job's thread at most
        ``hz`` times a second (and always for the last step) while the job is the newest one.
    on_idle : callable, optional
        Called from the thread when nothing runs or waits any more.
    hz : float
        Progress reports per second.

    Examples
    --------
    >>> task = BackgroundTask("doc-example")
    >>> seen = []
    >>> ticket = task.run(lambda t: seen.append(task.step(t, 1, 1)))
    >>> task.wait(5), seen
    (True, [True])
    """

    def __init__(self, name: str, on_progress: Callable[[float], None] | None = None,
                 on_idle: Callable[[], None] | None = None, hz: float = PROGRESS_HZ):
        self._worker = LatestOnly(name, on_idle=on_idle)
        self.on_progress = on_progress
        self._min_interval = 1.0 / hz
        self._last_report = 0.0

    def run(self, job: Callable[[Ticket], None]) -> Ticket:
        """Start ``job(ticket)`` in the background as the newest request (older ones stop)."""
        return self._worker.submit(job)

    def step(self, ticket: Ticket, done: int, total: int) -> bool:
        """Report progress of ``ticket``'s job (throttled); return whether it should go on.

        Fits the ``on_step(done, total)`` callbacks of :mod:`convviz_widgets.compute`.
        """
        now = time.monotonic()
        if self.on_progress is not None and ticket.current and (
                now - self._last_report >= self._min_interval or done >= total):
            self._last_report = now
            self.on_progress(done / max(total, 1))
        return not ticket.cancelled

    def cancel(self, supersede: bool = False) -> None:
        """Stop the running job at its next step and drop the waiting one (see
        :meth:`._worker.LatestOnly.cancel` for ``supersede``)."""
        self._worker.cancel(supersede)

    def wait(self, timeout: float | None = None) -> bool:
        """Block until nothing runs or waits; False on timeout."""
        return self._worker.wait(timeout)

    @property
    def idle(self) -> bool:
        """True when no job runs or waits."""
        return self._worker.idle

    @property
    def stats(self) -> dict:
        """Requests submitted, started, dropped before starting, failed (a copy)."""
        return dict(self._worker.stats)

    @property
    def last_error(self) -> BaseException | None:
        """An exception that escaped a job (jobs normally show their own errors)."""
        return self._worker.last_error


def wait_all(tasks: Iterable[BackgroundTask], timeout: float | None = None) -> bool:
    """Wait for every task with one overall ``timeout``; False if one was still busy.

    Examples
    --------
    >>> wait_all([BackgroundTask("a"), BackgroundTask("b")], timeout=1)
    True
    """
    deadline = None if timeout is None else time.monotonic() + timeout
    for task in tasks:
        left = None if deadline is None else max(0.0, deadline - time.monotonic())
        if not task.wait(left):
            return False
    return True
