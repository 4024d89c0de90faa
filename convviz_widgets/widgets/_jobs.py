"""The one job runner of the views: every long or background action goes through a :class:`JobRunner`.

A maximization Run, a DeepDream, a Score-CAM map, the best/worst gallery, a background compile:
each is a *job* — a function ``work(job)`` run in the runner's one worker thread. The runner
gives every view the same five things, decided in one place:

ticket
    At most one job runs and at most one waits. :meth:`JobRunner.start` makes the new job the
    newest: the running one is cancelled (it stops at its next step) and the waiting one is
    dropped unstarted. A job knows through :attr:`Job.current` whether it is still the newest;
    a superseded job never touches the view (its ``on_done`` / ``revert`` / errors are dropped).
throttle
    :class:`Job` *is* a :class:`convviz_widgets.compute.progress.Progress`: pass it as
    ``on_step=job, cancel=job.cancel_event`` to any compute function. Each step decides once
    whether it is due (the first, then one every ``1 / hz`` seconds, and the last); a due step
    reports its fraction to ``on_progress`` and lets the next ``on_frame`` through. Progress
    bars and live frames therefore move together at about ten updates a second.
cancel
    :meth:`JobRunner.cancel` stops the running job at its next step; it stays current, so it may
    still show what it finished (a cancelled maximization keeps its rows).
revert on failure
    ``start(..., revert=fn)``: if the job raises (also :class:`~convviz_widgets.compute.Cancelled`)
    while current, ``fn()`` restores what the view showed before.
errors
    An exception of a current job goes to the runner's ``on_error`` (the view shows it); one that
    escapes a callback is kept in :attr:`JobRunner.last_error` and printed, never swallowed.

``on_busy(True)`` is called when a job is started and ``on_busy(False)`` once nothing runs or
waits any more, so a view's ``running`` / ``busy`` trait follows the runner, including a job
cancelled before it started. :meth:`JobRunner.wait` blocks until then (scripts and tests).

Examples
--------
>>> seen = []
>>> runner = JobRunner("doc-example", on_progress=seen.append)
>>> def work(job):
...     for i in range(1, 4):
...         job.on_step(i, 3)
...     return "done"
>>> job = runner.start(work, on_done=seen.append)
>>> runner.wait(5), seen[-1], seen[-2]
(True, 'done', 1.0)
"""

from __future__ import annotations

import atexit
import sys
import threading
import time
import traceback
import weakref
from typing import Any, Callable

from ..compute.progress import Cancelled, Progress

__all__ = ["Job", "JobRunner", "REPORT_HZ", "wait_all"]

#: Progress reports and live frames per second of one job (each is a comm message; a Score-CAM
#: over 512 channels or a 256-step run would otherwise send hundreds).
REPORT_HZ = 10.0

#: Every runner alive, so the interpreter can stop them before it exits (see _stop_all).
_ALL: "weakref.WeakSet[JobRunner]" = weakref.WeakSet()


class Job(Progress):
    """One request to a :class:`JobRunner`: its ticket, cancel event and throttle.

    Hand it to a compute function as ``on_step=job, cancel=job.cancel_event``.
    """

    def __init__(self, runner: "JobRunner", gen: int, work: Callable, on_frame, on_done,
                 revert):
        self.gen = gen
        self.cancel_event = threading.Event()
        self._runner = runner
        self._work, self._on_frame, self._on_done, self._revert = work, on_frame, on_done, revert
        self._last_report: float | None = None
        self._frame_due = False
        #: Steps that were due (reported): the throttle's count, for tests and benchmarks.
        self.reports = 0
        #: Frames handed to ``on_frame``.
        self.frames = 0

    @property
    def current(self) -> bool:
        """True while no newer job was started (a plain Cancel keeps a job current)."""
        return self._runner._gen == self.gen

    @property
    def cancelled(self) -> bool:
        """True once this job was asked to stop (Cancel, or a newer job)."""
        return self.cancel_event.is_set()

    # -- the compute progress protocol ---------------------------------------------------------
    def due(self, done: int, total: int | None) -> bool:
        """The throttle, the one place that decides: the first step, then one every
        ``1 / hz`` seconds, and the last (``done >= total``)."""
        now = self._runner._clock()
        last = total is not None and done >= total
        if self._last_report is not None and not last and \
                now - self._last_report < self._runner.interval:
            return False
        self._last_report = now
        return True

    def on_step(self, done, total):
        """Go on while current and not cancelled; report the fraction when the step is due."""
        self._frame_due = False
        if not self.current:
            return False
        if self.due(done, total):
            self._frame_due = True
            self.reports += 1
            if self._runner.on_progress is not None:
                self._runner.on_progress(done / max(total or 1, 1) if total else 0.0)
        return not self.cancelled

    def on_frame(self, done, total, images, scores):
        """Pass the frame on when the step it belongs to was due (and the job is current)."""
        if self._on_frame is None or not self._frame_due or not self.current:
            return
        self._frame_due = False
        self.frames += 1
        self._on_frame(done, total, images, scores)


class JobRunner:
    """A view's runner for one kind of long action: newest job wins, throttled progress and
    frames, cancel, revert on failure, errors to the owner.

    Parameters
    ----------
    name : str
        Thread name (shows in tracebacks and ``threading.enumerate()``).
    on_progress : callable, optional
        ``on_progress(fraction)`` (0..1), from the worker thread, for the current job's due steps.
    on_error : callable, optional
        ``on_error(exc)`` when the current job raises (not for :class:`Cancelled`).
    on_busy : callable, optional
        ``on_busy(True)`` when a job is started, ``on_busy(False)`` when nothing runs or waits.
    hz : float
        Progress reports / frames per second.
    clock : callable
        Seconds, monotonic (tests pass a fake clock to count throttled reports exactly).

    Examples
    --------
    >>> runner = JobRunner("doc-cancel")
    >>> job = runner.start(lambda job: job.cancel_event.wait(5) and "stopped")
    >>> runner.cancel(); runner.wait(5), job.cancelled, job.current
    (True, True, True)
    """

    def __init__(self, name: str, *, on_progress: Callable[[float], None] | None = None,
                 on_error: Callable[[BaseException], None] | None = None,
                 on_busy: Callable[[bool], None] | None = None, hz: float = REPORT_HZ,
                 clock: Callable[[], float] = time.monotonic):
        self.name = name
        self.on_progress, self.on_error, self.on_busy = on_progress, on_error, on_busy
        self.interval = 1.0 / float(hz)
        self._clock = clock
        self._cv = threading.Condition()
        # Serialises "a job starts" with "the runner went idle", so on_busy(False) of a finished
        # thread can never land after on_busy(True) of a job started meanwhile.
        self._busy_lock = threading.RLock()
        self._gen = 0
        self._pending: Job | None = None
        self._running: Job | None = None
        self._thread: threading.Thread | None = None
        self._finishing = 0
        self.last_error: BaseException | None = None
        self.stats = {"submitted": 0, "started": 0, "dropped": 0, "failed": 0}
        _ALL.add(self)

    # -- requests ------------------------------------------------------------------------------
    def start(self, work: Callable[[Job], Any], *, on_done: Callable[[Any], None] | None = None,
              on_frame: Callable | None = None, revert: Callable[[], None] | None = None) -> Job:
        """Run ``work(job)`` in the background as the newest job (older ones stop).

        Parameters
        ----------
        work : callable
            ``work(job) -> result``, in the worker thread.
        on_done : callable, optional
            ``on_done(result)`` when ``work`` returned and the job is still current.
        on_frame : callable, optional
            ``on_frame(done, total, images, scores)`` for the due frames of a current job.
        revert : callable, optional
            Called when ``work`` raises (also :class:`Cancelled`) while the job is current.

        Returns
        -------
        Job
        """
        with self._busy_lock:
            with self._cv:
                self._gen += 1
                job = Job(self, self._gen, work, on_frame, on_done, revert)
                self._drop_pending()
                if self._running is not None:
                    self._running.cancel_event.set()
                self._pending = job
                self.stats["submitted"] += 1
                if self._thread is None:
                    self._thread = threading.Thread(target=self._loop, name=self.name,
                                                    daemon=True)
                    self._thread.start()
            self._call(self.on_busy, True)
        return job

    def cancel(self, supersede: bool = False) -> None:
        """Stop the running job at its next step and drop the waiting one.

        With ``supersede=True`` the running job also stops being current (a quick synchronous
        update replaced it: it must not touch the view afterwards).
        """
        with self._cv:
            if supersede:
                self._gen += 1
            self._drop_pending()
            if self._running is not None:
                self._running.cancel_event.set()

    def _drop_pending(self) -> None:
        if self._pending is not None:
            self._pending.cancel_event.set()
            self._pending = None
            self.stats["dropped"] += 1

    # -- state ---------------------------------------------------------------------------------
    @property
    def idle(self) -> bool:
        """True when no job runs or waits."""
        with self._cv:
            return self._thread is None

    def wait(self, timeout: float | None = None) -> bool:
        """Block until nothing runs or waits and ``on_busy(False)`` returned; False on timeout."""
        with self._cv:
            return self._cv.wait_for(lambda: self._thread is None and not self._finishing,
                                     timeout)

    # -- the thread ----------------------------------------------------------------------------
    def _loop(self) -> None:
        while True:
            with self._busy_lock:
                with self._cv:
                    job = self._pending
                    self._pending = None
                    self._running = job
                    if job is None:
                        self._thread = None
                        self._finishing += 1
                    else:
                        self.stats["started"] += 1
                if job is None:
                    self._call(self.on_busy, False)
                    with self._cv:
                        self._finishing -= 1
                        self._cv.notify_all()
                    return
            try:
                self._run(job)
            finally:
                with self._cv:
                    self._running = None
                    self._cv.notify_all()

    def _run(self, job: Job) -> None:
        try:
            result = job._work(job)
        except Cancelled:
            if job.current:
                self._call(job._revert)
            return
        except Exception as exc:  # noqa: BLE001 - given to the owner, who shows it
            if job.current:
                self._call(job._revert)
                if self.on_error is None:
                    self._keep(exc)
                else:
                    self._call(self.on_error, exc)
            return
        if job.current and job._on_done is not None:
            self._call(job._on_done, result)

    def _call(self, fn, *args) -> None:
        if fn is None:
            return
        try:
            fn(*args)
        except Exception as exc:  # noqa: BLE001 - kept and printed, never lost
            self._keep(exc)

    def _keep(self, exc: BaseException) -> None:
        self.last_error = exc
        self.stats["failed"] += 1
        print(f"convviz_widgets: uncaught error in job runner {self.name!r}:", file=sys.stderr)
        traceback.print_exception(type(exc), exc, exc.__traceback__, file=sys.stderr)


def wait_all(runners, timeout: float | None = None) -> bool:
    """Wait for every runner with one overall ``timeout``; False if one was still busy.

    Examples
    --------
    >>> wait_all([JobRunner("a"), JobRunner("b")], timeout=1)
    True
    """
    deadline = None if timeout is None else time.monotonic() + timeout
    for runner in runners:
        left = None if deadline is None else max(0.0, deadline - time.monotonic())
        if not runner.wait(left):
            return False
    return True


def _stop_all(timeout: float = 20.0) -> None:
    """Cancel every runner and wait for them (bounded) when the interpreter exits.

    A daemon thread still inside TensorFlow when Python finalises is torn down mid-call and the
    process aborts (exit code 134); cancelled jobs stop at their next step, so this is quick.
    """
    deadline = time.monotonic() + timeout
    runners = list(_ALL)
    for runner in runners:
        runner.cancel(supersede=True)
    for runner in runners:
        runner.wait(max(0.0, deadline - time.monotonic()))


atexit.register(_stop_all)
