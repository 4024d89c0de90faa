"""The background jobs of :class:`GradCAMViewer` as one component: a progress bar and a Cancel
button shared by its coalescing workers (long heatmaps such as Score-CAM, the best/worst
gallery, the trust panel). Each kind of job is a :class:`BackgroundTask`: a newer request of
the same kind cancels the running one and replaces the waiting one."""

from __future__ import annotations

import threading

import ipywidgets as w
import traitlets

from ..compute import Cancelled
from ._fit import fit_layout
from ._task import BackgroundTask, wait_all


class JobBar(w.HBox):
    """Progress and Cancel of named background jobs; ``busy`` is True while any runs or waits.

    Parameters
    ----------
    kinds : tuple of str
        The kinds of job (one worker each): ``("cam", "gallery", "trust")``.

    Examples
    --------
    >>> bar = JobBar(("cam",))
    >>> bar.run("cam", lambda cancel, step: 42, print, lambda exc: None)  # doctest: +SKIP
    """

    busy = traitlets.Bool(False)

    def __init__(self, kinds: tuple[str, ...]):
        self._lock = threading.Lock()
        self.tasks = {kind: BackgroundTask(f"convviz-gradcam-{kind}", on_progress=self._progress,
                                           on_idle=self._idle) for kind in kinds}
        self.progress = w.FloatProgress(value=0.0, min=0.0, max=1.0, description="",
                                        layout=w.Layout(width="220px", visibility="hidden"))
        self.progress.add_class("convviz-progress")
        self.cancel_button = w.Button(description="Cancel", button_style="warning",
                                      layout=fit_layout(visibility="hidden"))
        self.cancel_button.add_class("convviz-cancel")
        self.cancel_button.on_click(lambda _b: self.cancel())
        super().__init__([self.progress, self.cancel_button])

    def run(self, kind: str, prepare, apply, failed) -> None:
        """Run ``apply(prepare(cancel_event, on_step))`` as a job of ``kind``.

        Only the newest request of a kind is computed and shown; a superseded one stops at its
        next step and calls nothing. ``failed(exc)`` gets the exception of the current request
        (:class:`~convviz_widgets.compute.Cancelled` when the user pressed Cancel).
        """
        task = self.tasks[kind]

        def job(ticket):
            try:
                payload = prepare(ticket.cancel_event,
                                  lambda done, total: task.step(ticket, done, total))
            except Exception as exc:  # noqa: BLE001 - handed to the view, shown there
                if ticket.current:
                    failed(exc)
                return
            if ticket.current and not ticket.cancelled:
                apply(payload)

        with self._lock:
            self.busy = True
            self.progress.value = 0.0
            self.progress.layout.visibility = "visible"
            self.cancel_button.layout.visibility = "visible"
            task.run(job)

    def supersede(self, kind: str) -> None:
        """Drop the running and waiting jobs of ``kind`` (a quicker answer replaces them)."""
        self.tasks[kind].cancel(supersede=True)
        self._idle()

    def cancel(self) -> None:
        for task in self.tasks.values():
            task.cancel()

    def wait(self, timeout: float | None = None) -> bool:
        return wait_all(tuple(self.tasks.values()), timeout)

    def _progress(self, fraction: float) -> None:
        self.progress.value = fraction

    def _idle(self) -> None:
        with self._lock:
            if all(t.idle for t in self.tasks.values()):
                self.busy = False
                self.progress.layout.visibility = "hidden"
                self.cancel_button.layout.visibility = "hidden"


def is_cancel(exc: BaseException) -> bool:
    """Whether a failed job was cancelled (the view says so instead of showing an error)."""
    return isinstance(exc, Cancelled)
