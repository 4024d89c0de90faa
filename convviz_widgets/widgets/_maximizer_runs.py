"""Every call the :class:`FilterMaximizer` makes to
:func:`convviz_widgets.compute.maximize.maximize`, as one component, :class:`PatternRuns`:

run
    Run / Cancel / progress on the run panel (:class:`._run_panel.RunPanel`, one
    :class:`._jobs.JobRunner`): the job is maximize's progress observer, so Cancel stops the loop
    at its next step and frames arrive throttled by the runner; it also times the first frame.
prewarm
    The background compile of the step (a 1-step run) on its own runner, coalesced like every
    job: flicking through ten layers compiles the last one, not all ten; once per setting.
cache lookup
    A result already computed (in memory or in ``cache_dir``) is shown at once, computing
    nothing.

The view decides *what* to run (:func:`run_rows`) and draws what comes back.
"""

from __future__ import annotations

from typing import Callable

import numpy as np
import traitlets

from ..compute.maximize import maximize
from ._jobs import JobRunner
from ._run_panel import RunPanel

__all__ = ["PatternRuns", "run_rows"]


def run_rows(objective: str, mode: str, filter_index: int, gallery_range, n_patterns: int):
    """What a Run optimises: ``(mode, filters, targets)``.

    ``mode`` is ``"filter"``, ``"gallery"`` or ``"diversity"`` (N rows of the one selected
    filter); ``filters`` names the rows shown, ``targets`` what maximize is asked for.

    Examples
    --------
    >>> run_rows("channel", "gallery", 3, (2, 4), 4)
    ('gallery', array([2, 3, 4]), array([2, 3, 4]))
    >>> run_rows("diversity", "filter", 3, (0, 0), 2)
    ('diversity', array([3, 3]), array([3]))
    """
    if objective == "diversity":
        filters = np.full((int(n_patterns),), int(filter_index), np.int64)
        return "diversity", filters, filters[:1]
    if mode == "gallery":
        filters = np.arange(gallery_range[0], gallery_range[1] + 1)
    else:
        filters = np.array([int(filter_index)])
    return mode, filters, filters


class PatternRuns(traitlets.HasTraits):
    """The maximize calls of one view: Run on the run panel, the background compile, the
    cache lookup.

    Parameters
    ----------
    model : keras.Model
    lang : str
    on_run : callable
        The Run button's action (the view wraps it so an error is shown, not raised).
    on_error : callable
        ``on_error(exc)`` when the current run raises.
    frame_interval : float
        Seconds between two frames pushed to the browser.

    Attributes
    ----------
    panel : RunPanel
        Run / Cancel / progress / message; its ``running``, ``progress`` and ``frames_shown``
        are the view's.
    first_frame_seconds : float
        Seconds from Run to the first frame of the current run (NaN until it arrived).
    """

    first_frame_seconds = traitlets.Float(float("nan"))

    def __init__(self, model, *, lang: str, on_run: Callable[[], None],
                 on_error: Callable[[BaseException], None], frame_interval: float):
        super().__init__()
        self.model = model
        # Run while a run is going cancels it, and of many quick Runs only the last is started.
        self.panel = RunPanel("convviz-maximize", on_run=on_run, on_error=on_error,
                              idle_key="fm.cancelled_early", lang=lang, bar_width="260px",
                              frame_interval=frame_interval)
        self._warmer = JobRunner("convviz-maximize-warmup")
        self._warmed: set = set()

    def cached(self, layer: str, f: int, settings: dict):
        """The cached result of filter ``f`` with ``settings`` (maximize's keywords), or None —
        also while a run is going; computes nothing."""
        if self.panel.running:
            return None
        try:
            res = maximize(self.model, layer, [f], cached_only=True, **settings)
        except Exception:  # noqa: BLE001 - a failing lookup just means "not cached"
            return None
        return res if len(res) else None

    def start(self, layer: str, targets, settings: dict, message: str, on_frame, on_done) -> None:
        """Optimise ``targets`` of ``layer`` as the newest run: ``on_frame(done, total, images,
        activation)`` for the throttled frames, ``on_done(result)`` when it returned."""
        self.first_frame_seconds = float("nan")

        def frame(*args):
            if self.panel.frames_shown == 0:
                self.first_frame_seconds = self.panel.seconds_running
            on_frame(*args)

        self.panel.start(
            lambda job: maximize(self.model, layer, targets, cancel=job.cancel_event,
                                 on_step=job, **settings),
            message, on_frame=frame, on_done=on_done)

    def prewarm(self, key, layer: str, settings: dict) -> None:
        """Compile the step for ``settings`` in the background (one 1-step run), once per
        ``key``. A failure is left to a real Run to report (kept in the runner's last_error)."""
        if key in self._warmed:
            return
        settings = dict(settings, steps=1, cache_dir=None)

        def warm(job):
            maximize(self.model, layer, [0], cache=False, batch_size=1, **settings)
            self._warmed.add(key)

        self._warmer.start(warm)

    @property
    def warmup_stats(self) -> dict:
        return dict(self._warmer.stats)

    def wait_warmup(self, timeout: float | None = None) -> bool:
        return self._warmer.wait(timeout)
