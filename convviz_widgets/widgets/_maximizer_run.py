"""The running half of :class:`FilterMaximizer`: a run through the views' shared lifecycle
(:class:`._run_state.RunState`), frames streamed from the compute progress protocol into the
views, the final result, and the background compile of the step (prewarm)."""

from __future__ import annotations

import numpy as np

from ..compute.progress import Progress
from ._i18n import tr
from ._maximizer_display import _BIG_PX, display_pixels
from ._maximizer_objectives import value_key

__all__ = ["MaximizerRunMixin"]


class _RunProgress(Progress):
    """The widget's observer of one run (the compute progress protocol): steps decide whether
    to go on, frames stream into the views."""

    def __init__(self, view, ticket, mode, filters):
        self.view, self.ticket, self.mode, self.filters = view, ticket, mode, filters

    def on_step(self, done, total):
        return self.view._on_step(self.ticket, done, total)

    def on_frame(self, done, total, images, scores):
        self.view._on_frame(self.ticket, self.mode, self.filters, done, total, images, scores)


class MaximizerRunMixin:
    """Run, frames and prewarm of :class:`FilterMaximizer` (traits live there; Run / Cancel /
    wait and the progress bar are :class:`._run_state.RunState`'s)."""

    def _targets(self) -> np.ndarray:
        if self.mode == "gallery":
            a, b = self.gallery_range
            return np.arange(a, b + 1)
        return np.array([int(self.filter_index)])

    def run(self) -> None:
        """Start optimising (the selected filter, or the gallery range) in a worker thread.

        A run already in progress is cancelled first, and of several Runs pressed in quick
        succession only the last one is computed. Returns at once; :meth:`wait` blocks until
        the run is over.
        """
        from ..compute.maximize import pattern_size

        if self.input_size is None:
            pattern_size(self.model, None if self._fixed_size else int(self.size))  # fail early
        filters = self._display_filters(self._targets())
        self.first_frame_seconds = float("nan")
        mode = "diversity" if self.objective == "diversity" else self.mode
        if mode != "filter":
            self._gallery_filters = filters
            self._gallery_images = np.full((len(filters),) + self._hw() + (1,), 0.5, np.float32)
            self._gallery_status = None
        settings, layer = dict(self._settings()), self.layer
        self._begin_run(lambda ticket: self._work(ticket, filters, mode, settings, layer),
                        tr("fm_optimising", self.lang, what=self._rows_text(len(filters))))

    @property
    def worker_stats(self) -> dict:
        """How many runs were requested, started, dropped before starting, failed."""
        return self._task.stats

    def _work(self, ticket, filters, mode, settings, layer) -> None:
        from ..compute.maximize import maximize

        try:
            targets = filters[:1] if mode == "diversity" else filters  # N rows of one filter
            res = maximize(self.model, layer, targets, cancel=ticket.cancel_event,
                           on_step=_RunProgress(self, ticket, mode, filters), **settings)
        except Exception as exc:  # noqa: BLE001 - shown inside the widget
            self._fail_run(ticket, exc)
            return
        self._finish(ticket, res, mode, filters)

    def _on_step(self, ticket, done, total):
        """Go on while this run is the newest and not cancelled."""
        return ticket.current and not ticket.cancelled

    def _on_frame(self, ticket, mode, filters, done, total, images, activation):
        if not self._frame_due(ticket, done, total):
            return  # superseded by a newer run, or too soon after the last frame
        if self.frames_shown == 0:
            self.first_frame_seconds = self.seconds_running
        self._push_frame(mode, filters, images, activation, done / max(1, total or 1))
        self.frames_shown += 1

    def _push_frame(self, mode, filters, images, activation, frac) -> None:
        self._show_progress(frac)
        if mode != "filter":
            self._gallery_images = images.copy()
            self._draw_gallery(self._gallery_images, filters,
                               caption=tr("fm_optimising_p", self.lang, p=f"{frac:.0%}"))
        sel = np.flatnonzero(filters == self.filter_index)
        if sel.size:
            k = int(sel[0])
            h, w_ = images.shape[1:3]
            self.pattern.set_tiles(display_pixels(images[k:k + 1], self.stretch),
                                   zoom=max(1, _BIG_PX // max(h, w_)),
                                   title=f"{self.layer} · {self._what(filters[k])}",
                                   caption=tr(value_key(self.objective), self.lang,
                                              m=f"{float(activation[k]):.4g}")
                                   + tr("fm_at", self.lang, p=f"{frac:.0%}"))

    def _finish(self, ticket, res, mode, filters) -> None:
        if not ticket.current:
            return  # a newer Run owns the views (and the running flag) from now on
        status = res.status
        for f, image, act, st in zip(res.filters, res.images, res.activation, status):
            self._shown[int(f)] = (image, float(act))
            self._row_status[int(f)] = str(st)
        if mode != "filter" and len(res):
            self._gallery_filters = res.filters
            self._gallery_images = res.images
            self._gallery_status = status
            self._draw_gallery(res.images, res.filters, status=status)
        self.result = res
        self._show_selected()
        cached = int(res.from_cache.sum())
        what = self._rows_text(len(res))
        note = tr("fm_from_cache", self.lang, k=cached) if cached else ""
        if res.cancelled:
            info = tr("fm_cancelled", self.lang, what=what, k=int(res.complete.sum()),
                      sec=f"{res.seconds:.1f}")
        else:
            mean = float(np.mean(res.activation)) if len(res) else 0.0
            info = tr(value_key(res.objective_name, done=True), self.lang, what=what,
                      sec=f"{res.seconds:.2f}", note=note, m=f"{mean:.4g}")
        self._end_run(ticket, info, res.cancelled)

    # ----------------------------------------------------------------------- warming up
    def _animated_display(self):
        """Export hook: the display whose frames make the run's GIF/WebP."""
        return self.gallery if self.mode == "gallery" else self.pattern

    def _prewarm(self) -> None:
        """Compile the step for the current settings in the background (one 1-step run)."""
        from ..compute.maximize import maximize

        key = (self.layer, self.method, self._hw(), id(self.preprocess))
        if self.objective != "channel":  # another compiled step (the channel's key is kept)
            key += (self.objective, self.neuron_position, int(self.n_patterns))
        if key in self._warmed:
            return
        settings = self._settings()
        settings.update(steps=1, cache_dir=None)
        layer = self.layer

        def warm(ticket):
            if ticket.cancelled:
                return
            try:
                maximize(self.model, layer, [0], cache=False, batch_size=1, **settings)
            except Exception:  # noqa: BLE001 - a real Run reports the error properly
                return
            self._warmed.add(key)

        # Coalesced: flicking through ten layers compiles the last one, not all ten.
        self._warmer.run(warm)
