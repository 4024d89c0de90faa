"""What a view that runs an optimisation keeps while it runs: Run/Cancel, the progress bar, the
running flag and the frame throttle, around one :class:`._task.BackgroundTask`.

Used by :class:`._deepdream_view.DeepDreamViewer` and :class:`._filter_maximizer.FilterMaximizer`.
"""

from __future__ import annotations

import threading
import time

import ipywidgets as w

from ._i18n import tr
from ._task import BackgroundTask
from ._fit import fit_layout


class RunState:
    """Mixed into a :class:`._base.View` with ``running``, ``progress``, ``frames_shown`` and
    ``error`` traits: builds ``_run_btn``, ``_cancel_btn``, ``_bar`` and ``_info`` and drives
    them through one run at a time (a new Run cancels the one going on).

    The view calls :meth:`_init_runs` once, :meth:`_begin_run` from its ``run()``, then from its
    job :meth:`_frame_due` before drawing a frame, and :meth:`_end_run` or :meth:`_fail_run`.
    """

    def _init_runs(self, name: str, idle_key: str, bar_width: str = "240px") -> None:
        self._run_btn = w.Button(description="Run", button_style="primary", icon="play",
                                 layout=fit_layout())
        self._cancel_btn = w.Button(description="Cancel", icon="stop", disabled=True,
                                    layout=fit_layout())
        self._bar = w.FloatProgress(min=0.0, max=1.0, value=0.0, layout=w.Layout(width=bar_width))
        self._info = w.HTML(value="")
        self._run_btn.on_click(lambda _b: self._safe(self.run))
        self._cancel_btn.on_click(lambda _b: self.cancel())
        self._idle_key = idle_key
        # The lock makes "is this run still the newest?" and the running flag change together.
        self._lock = threading.Lock()
        self._task = BackgroundTask(name, on_progress=self._show_progress,
                                    on_idle=self._idle)
        self._t_run = 0.0
        self._last_push = 0.0
        self.observe(self._buttons_follow, "running")

    def _buttons_follow(self, change) -> None:
        self._run_btn.disabled = bool(change["new"])
        self._cancel_btn.disabled = not change["new"]

    def _set_error(self, exc: BaseException | None) -> None:
        self.error = "" if exc is None else f"{type(exc).__name__}: {exc}"
        self._show_error(exc)

    def _safe(self, fn) -> None:
        try:
            fn()
        except Exception as exc:  # noqa: BLE001 - a click must never raise into the comm
            self._set_error(exc)

    def _begin_run(self, job, info: str) -> None:
        """Reset the bar, counters and messages, then start ``job(ticket)`` in the worker."""
        self._set_error(None)
        self.frames_shown = 0
        self.progress = 0.0
        self._bar.value, self._bar.bar_style = 0.0, ""
        self._t_run = time.perf_counter()
        self._last_push = 0.0
        self._info.value = info
        with self._lock:
            self._task.run(job)
            self.running = True

    def cancel(self) -> None:
        """Stop the run before its next step (what was done so far stays shown)."""
        self._task.cancel()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the current run is over; False on timeout."""
        return self._task.wait(timeout)

    @property
    def seconds_running(self) -> float:
        """Seconds since the current (or last) Run was pressed."""
        return time.perf_counter() - self._t_run

    def _show_progress(self, fraction: float) -> None:
        self.progress = fraction
        self._bar.value = fraction

    def _frame_due(self, ticket, done: int, total: int) -> bool:
        """Whether a frame of ``ticket``'s run should be drawn now: the first one, then one
        every ``frame_interval`` seconds, and the last; never for a superseded run."""
        if not ticket.current:
            return False
        now = time.perf_counter()
        if self.frames_shown and now - self._last_push < self.frame_interval and done < total:
            return False
        self._last_push = now
        return True

    def _end_run(self, ticket, info: str, cancelled: bool) -> None:
        """The run is over: its message, the bar's colour, the running flag."""
        self._info.value = info
        if cancelled:
            self._bar.bar_style = "warning"
        else:
            self._show_progress(1.0)
            self._bar.bar_style = "success"
        with self._lock:
            if ticket.current:
                self.running = False

    def _fail_run(self, ticket, exc: BaseException) -> None:
        """The run raised: shown in the view, unless a newer run owns it by now."""
        with self._lock:
            if not ticket.current:
                return
            self._set_error(exc)
            self._info.value = ""
            self._bar.bar_style = "danger"
            self.running = False

    def _idle(self) -> None:
        with self._lock:
            if not (self._task.idle and self.running):
                return
            # The newest Run was cancelled before it started: nothing else clears the flag.
            self.running = False
            self._info.value = tr(self._idle_key, self.lang)
            self._bar.bar_style = "warning"
