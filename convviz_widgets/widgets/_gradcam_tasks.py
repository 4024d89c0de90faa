"""The worker threads of :class:`GradCAMViewer` (a mixin): long heatmaps (Score-CAM, integrated
gradients…), the best/worst gallery and the trust panel each run as a :class:`BackgroundTask`
with one progress bar and one Cancel button shared by all of them."""

from __future__ import annotations

from ._i18n import tr
from ._task import BackgroundTask, wait_all


class TasksMixin:
    """Start, follow and cancel the viewer's background computations."""

    def _tasks(self) -> tuple:
        return tuple(t for t in (getattr(self, "_cam_task", None),
                                 getattr(self, "_gallery_task", None),
                                 getattr(self, "_trust_task", None)) if t is not None)

    def _start_worker(self, task: BackgroundTask, reverts: dict, prepare,
                      apply) -> None:
        """Run ``apply(prepare(cancel_event, on_step))`` as ``task``, with progress and Cancel.

        Only the newest request of a task is computed and shown; a superseded one stops at
        its next step and touches no view.
        """
        def job(ticket_):
            from ..compute import Cancelled

            try:
                payload = prepare(ticket_.cancel_event,
                                  lambda done, total: task.step(ticket_, done, total))
            except Cancelled:
                if ticket_.current:
                    self._revert(reverts)
                    self._show_note(tr("gc_cancelled", self.lang))
                return
            except Exception as exc:  # noqa: BLE001 - shown in the widget
                if ticket_.current:
                    self._revert(reverts)
                    self._show_error(exc)
                return
            if ticket_.current and not ticket_.cancelled:
                apply(payload)

        # Everything the view says about the new request is set *before* it is submitted: a
        # job that fails at once must find its error replacing "computing…", not replaced by it.
        with self._busy_lock:
            self._show_note(tr("computing", self.lang))
            self.busy = True
            self._progress.value = 0.0
            self._progress.layout.visibility = "visible"
            self._cancel_btn.layout.visibility = "visible"
            task.run(job)

    def _on_progress(self, fraction: float) -> None:
        self._progress.value = fraction

    def _on_worker_idle(self) -> None:
        with self._busy_lock:
            if all(t.idle for t in self._tasks()):
                self.busy = False
                self._progress.layout.visibility = "hidden"
                self._cancel_btn.layout.visibility = "hidden"

    def cancel(self) -> None:
        """Stop a running long heatmap, gallery or faithfulness computation (the previous view
        stays)."""
        for task in self._tasks():
            task.cancel()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until no computation runs or waits (for scripts and tests); False on timeout."""
        return wait_all(self._tasks(), timeout)

    @property
    def worker_stats(self) -> dict:
        """How many heatmap requests were submitted, started, dropped unstarted, failed."""
        return self._cam_task.stats
