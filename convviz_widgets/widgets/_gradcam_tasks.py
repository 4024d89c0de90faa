"""The background jobs of :class:`GradCAMViewer` as one component: a progress bar and a Cancel
button shared by its job runners (:class:`._jobs.JobRunner`, one per kind of job: long heatmaps
such as Score-CAM, the best/worst gallery, the trust panel). In each kind the newest request
wins: it cancels the running one and replaces the waiting one."""

from __future__ import annotations

import threading

import ipywidgets as w
import traitlets

from ..i18n import tr
from ._fit import fit_layout
from ._jobs import JobRunner, wait_all


class JobBar(w.HBox):
    """Progress and Cancel of named kinds of background job; ``busy`` is True while any runs or
    waits.

    Parameters
    ----------
    kinds : tuple of str
        The kinds of job (one runner each): ``("cam", "gallery", "trust")``.
    on_error : callable
        ``on_error(exc)``: the current job of a kind failed (after its ``revert``).

    Attributes
    ----------
    runners : dict
        Kind -> :class:`._jobs.JobRunner`.

    Examples
    --------
    >>> shown = []
    >>> bar = JobBar(("cam",), print)
    >>> bar.run("cam", lambda cancel, step: 42, shown.append, revert=None)
    >>> bar.wait(5), shown, bar.busy
    (True, [42], False)
    """

    busy = traitlets.Bool(False)

    def __init__(self, kinds: tuple[str, ...], on_error, lang: str = "en"):
        # Serialises "a job starts" with "every runner went idle", so the bar cannot be hidden
        # after a job of another kind was started meanwhile.
        self._lock = threading.RLock()
        self.runners = {kind: JobRunner(f"convviz-gradcam-{kind}", on_progress=self._progress,
                                        on_error=on_error, on_busy=self._on_busy)
                        for kind in kinds}
        self.progress = w.FloatProgress(value=0.0, min=0.0, max=1.0, description="",
                                        layout=w.Layout(width="220px", visibility="hidden"))
        self.progress.add_class("convviz-progress")
        self.cancel_button = w.Button(description=tr("ui.cancel", lang), button_style="warning",
                                      layout=fit_layout(visibility="hidden"))
        self.cancel_button.add_class("convviz-cancel")
        self.cancel_button.on_click(lambda _b: self.cancel())
        super().__init__([self.progress, self.cancel_button])

    def run(self, kind: str, prepare, apply, revert) -> None:
        """Run ``apply(prepare(cancel_event, on_step))`` as the newest job of ``kind``.

        A superseded request stops at its next step and calls nothing; ``revert()`` is called
        when the current one fails or is cancelled (then the runner's ``on_error`` gets a
        failure).
        """
        with self._lock:
            self.progress.value = 0.0
            self.runners[kind].start(lambda job: prepare(job.cancel_event, job.on_step),
                                     on_done=apply, revert=revert)

    def supersede(self, kind: str) -> None:
        """Drop the running and waiting jobs of ``kind`` (a quicker answer replaces them)."""
        self.runners[kind].cancel(supersede=True)

    def cancel(self) -> None:
        for runner in self.runners.values():
            runner.cancel()

    def wait(self, timeout: float | None = None) -> bool:
        return wait_all(tuple(self.runners.values()), timeout)

    def _progress(self, fraction: float) -> None:
        self.progress.value = fraction

    def _on_busy(self, busy: bool) -> None:
        with self._lock:
            busy = busy or not all(r.idle for r in self.runners.values())
            self.busy = busy
            shown = "visible" if busy else "hidden"
            self.progress.layout.visibility = shown
            self.cancel_button.layout.visibility = shown
