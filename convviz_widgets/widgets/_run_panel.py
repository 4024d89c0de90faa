"""The run panel component: Run / Cancel, the progress bar and the run's message, over one
:class:`._jobs.JobRunner`.

The views that optimise (:class:`FilterMaximizer`, :class:`DeepDreamViewer`) compose it; their
``running`` / ``progress`` / ``frames_shown`` traits follow the panel's (``traitlets.dlink``).
"""

from __future__ import annotations

import time
from typing import Callable

import ipywidgets as w
import traitlets

from ._fit import fit_layout
from ..i18n import tr
from ._jobs import Job, JobRunner, REPORT_HZ

__all__ = ["RunPanel"]


class RunPanel(w.HBox):
    """Run / Cancel / progress / message of one kind of run (a widget with its own traits).

    Parameters
    ----------
    name : str
        The runner's thread name.
    on_run : callable
        Called by the Run button (the view wraps it so an error is shown, not raised).
    on_error : callable
        ``on_error(exc)`` when the current run raises.
    idle_key : str
        i18n key of the message when the newest run was cancelled before it started.
    lang : str
    bar_width : str
    frame_interval : float
        Seconds between two progress reports / frames (0: every step).

    Attributes
    ----------
    running : bool
        True from :meth:`start` until nothing runs or waits.
    progress : float
        0–1 over the current run.
    frames_shown : int
        Frames passed to the view during the current run.
    message : str
        What the run says (optimising…, done in …, cancelled …).
    outcome : {"", "success", "warning", "danger"}
        How the last run ended ("" while running): also the bar's colour.
    run_button, cancel_button : ipywidgets.Button

    Examples
    --------
    >>> panel = RunPanel("doc-panel", on_run=lambda: None, on_error=print, idle_key="ui.cancel")
    >>> job = panel.start(lambda job: 42, "working", on_done=lambda r: panel.end(f"{r}", False))
    >>> panel.wait(5), panel.message, panel.outcome, panel.running
    (True, '42', 'success', False)
    """

    running = traitlets.Bool(False)
    progress = traitlets.Float(0.0)
    frames_shown = traitlets.Int(0)
    message = traitlets.Unicode("")
    outcome = traitlets.Unicode("")

    def __init__(self, name: str, *, on_run: Callable[[], None],
                 on_error: Callable[[BaseException], None], idle_key: str, lang: str = "en",
                 bar_width: str = "240px", frame_interval: float = 1.0 / REPORT_HZ):
        self.run_button = w.Button(description=tr("ui.run", lang), button_style="primary",
                                   icon="play", layout=fit_layout())
        self.cancel_button = w.Button(description=tr("ui.cancel", lang), icon="stop",
                                      disabled=True, layout=fit_layout())
        self._bar = w.FloatProgress(min=0.0, max=1.0, value=0.0,
                                    layout=w.Layout(width=bar_width))
        self._info = w.HTML(value="")
        # Role classes: tests and the browser find the buttons by them, whatever the language.
        self.run_button.add_class("convviz-run")
        self.cancel_button.add_class("convviz-cancel")
        super().__init__([self.run_button, self.cancel_button, self._bar, self._info])
        self.add_class("convviz-run-panel")
        self.lang, self._idle_key, self._on_error = lang, idle_key, on_error
        self.runner = JobRunner(name, on_progress=self._on_progress, on_error=self._fail,
                                on_busy=self._on_busy,
                                hz=1.0 / frame_interval if frame_interval > 0 else float("inf"))
        self._t0 = 0.0
        self._ended: Job | None = None  # the job whose end (or failure) was shown last
        self.run_button.on_click(lambda _b: on_run())
        self.cancel_button.on_click(lambda _b: self.cancel())
        w.dlink((self, "message"), (self._info, "value"))
        w.dlink((self, "progress"), (self._bar, "value"))
        w.dlink((self, "outcome"), (self._bar, "bar_style"))
        w.dlink((self, "running"), (self.run_button, "disabled"))
        w.dlink((self, "running"), (self.cancel_button, "disabled"), lambda r: not r)

    def start(self, work: Callable[[Job], object], message: str, *,
              on_done: Callable | None = None, on_frame: Callable | None = None) -> Job:
        """Reset the panel and run ``work(job)`` as the newest run (see
        :meth:`._jobs.JobRunner.start`); ``on_done`` calls :meth:`end` with the run's message."""
        self.frames_shown = 0
        self.progress = 0.0
        self.outcome = ""
        self.message = message
        self._t0 = time.perf_counter()

        def frame(*args):
            on_frame(*args)
            self.frames_shown += 1

        def tracked(job):
            try:
                return job, work(job)
            except Exception:
                self._ended = job  # its failure is shown by _fail (when current)
                raise

        def done(pair):
            self._ended = pair[0]
            if on_done is not None:
                on_done(pair[1])

        return self.runner.start(tracked, on_done=done,
                                 on_frame=frame if on_frame is not None else None)

    def end(self, message: str, cancelled: bool) -> None:
        """The run is over: its message and the bar's colour (full unless cancelled)."""
        self.message = message
        if not cancelled:
            self.progress = 1.0
        self.outcome = "warning" if cancelled else "success"

    def cancel(self) -> None:
        """Stop the run before its next step (what was done so far stays shown)."""
        self.runner.cancel()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until no run runs or waits; False on timeout."""
        return self.runner.wait(timeout)

    @property
    def seconds_running(self) -> float:
        """Seconds since the current (or last) run was started."""
        return time.perf_counter() - self._t0

    def _on_progress(self, fraction: float) -> None:
        self.progress = fraction

    def _fail(self, exc: BaseException) -> None:
        self.message = ""
        self.outcome = "danger"
        self._on_error(exc)

    def _on_busy(self, busy: bool) -> None:
        if busy:
            self.running = True
            return
        # The newest run never reached its end (cancelled before it started): say so.
        if self._ended is None or not self._ended.current:
            self.message = tr(self._idle_key, self.lang)
            self.outcome = "warning"
        self.running = False
