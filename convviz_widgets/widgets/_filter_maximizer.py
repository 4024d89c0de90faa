"""``FilterMaximizer``: watch gradient ascent build the pattern each filter responds to most.

All optimisation happens in :func:`convviz_widgets.compute.maximize.maximize`, in a worker
thread: the notebook stays responsive, frames stream into the views (throttled to about ten a
second) through the compute function's ``on_step`` callback, and Cancel sets a
``threading.Event`` that the loop checks before every step. This module only turns the float
images into display bytes (contrast stretching is a display choice, not part of the result).
"""

from __future__ import annotations

import threading
import time

import ipywidgets as w
import numpy as np
import traitlets

from ._base import INT_SLIDER_CONTINUOUS, LayerViewer, set_slider
from ._i18n import tr
from ._maximizer_display import ExportMixin, _grid_columns, display_pixels, grid_image
from ._raster import RasterView
from ._task import BackgroundTask

__all__ = ["FilterMaximizer", "display_pixels", "grid_image"]

#: Seconds between two frames pushed to the browser while optimising (~10 frames a second).
FRAME_INTERVAL = 0.1
#: Display size budgets (CSS pixels) of the big pattern and of one gallery tile.
_BIG_PX = 256
_TILE_PX = 80
#: Largest gallery the widget runs at once (a 512-filter layer is split by the range slider).
_MAX_GALLERY = 256


class FilterMaximizer(ExportMixin, LayerViewer):
    """Generate and watch the input patterns that maximise a layer's filters.

    A layer dropdown and filter slider choose what to look at; *Run* optimises either the
    selected filter (shown large) or a gallery of the layer's filters (a range of them, as a
    tile grid) in a worker thread. Frames stream into the views while it runs, a progress bar
    moves, and *Cancel* stops within one optimisation step. Settings: method (``regularized``
    or the classic ``naive`` recipe), steps, size (for fully convolutional models) and seed.
    Results are cached in memory (and on disk with ``cache_dir``) by a fingerprint of the
    weights, layer, filter, settings and seed, so running again is instant. *Export PNG* gives
    the gallery as an image.

    Parameters
    ----------
    model : keras.Model
        Any built image model: sequential, functional, nested or subclassed, any channel count.
    layer : str or keras layer, optional
        Initial layer; default: a convolution layer in the middle of the model.
    filter_index : int
        Initial filter.
    preprocess : callable, optional
        Display image (float32 tensor in [0, 1]) → model input, with TF ops.
    method : {"regularized", "naive"}
    steps : int, optional
        Default: the method's default (256 regularised, 40 naive).
    size : int, optional
        Pattern side for fully convolutional models (default 128); ignored (fixed) otherwise.
    seed : int
    cache_dir : str or path, optional
        Also keep results on disk, so a restarted notebook shows them instantly.
    layers : "conv", "all" or list, optional
        Which layers the dropdown offers: convolution layers (default), every layer with a
        feature map, or the given ones.
    prewarm : bool
        Compile the optimisation step in the background as soon as the widget is shown, so the
        first Run starts streaming frames at once.

    Attributes
    ----------
    layer, filter_index : str, int
        Settable; the controls follow.
    mode : {"filter", "gallery"}
        What Run optimises.
    gallery_range : (int, int)
        First and last filter (inclusive) of the gallery.
    method, steps, size, seed : settings, settable.
    running : bool
        True while a worker is optimising.
    progress : float
        0–1 over the current run.
    frames_shown : int
        Frames pushed to the views during the current run.
    first_frame_seconds : float
        Seconds from Run to the first frame of the current run (NaN until it arrived).
    error : str
        The last error message ("" when none); also shown inside the widget.
    result : MaximizeResult or None
        The last run's result.

    Examples
    --------
    >>> import convviz_widgets as cv
    >>> fm = cv.FilterMaximizer(cv.demo_model(), layer="block2_conv1")   # doctest: +SKIP
    >>> fm.mode = "gallery"; fm.run()                                     # doctest: +SKIP
    >>> fm                                                                # doctest: +SKIP
    """

    mode = traitlets.Enum(("filter", "gallery"), default_value="filter")
    gallery_range = traitlets.Tuple(traitlets.Int(), traitlets.Int(), default_value=(0, 0))
    method = traitlets.Unicode("regularized")
    steps = traitlets.Int(256)
    size = traitlets.Int(128)
    seed = traitlets.Int(0)
    stretch = traitlets.Bool(True)
    running = traitlets.Bool(False)
    progress = traitlets.Float(0.0)
    frames_shown = traitlets.Int(0)
    first_frame_seconds = traitlets.Float(float("nan"))
    error = traitlets.Unicode("")
    result = traitlets.Any(None)

    def __init__(self, model, layer=None, filter_index: int = 0, *, preprocess=None,
                 method: str = "regularized", steps: int | None = None, size: int | None = None,
                 seed: int = 0, cache_dir=None, layers="conv", prewarm: bool = True,
                 frame_interval: float = FRAME_INTERVAL, **kwargs):
        super().__init__(model, **kwargs)
        from ..compute import access, conv_layers
        from ..compute.maximize import DEFAULT_SIZE, DEFAULT_STEPS, METHODS

        self._methods = METHODS
        self._default_steps = DEFAULT_STEPS
        self.preprocess = preprocess
        self.cache_dir = cache_dir
        self.frame_interval = float(frame_interval)
        acc = access(model)
        _, mh, mw, _ = acc.input_shape
        self._fixed_size = (int(mh), int(mw)) if mh is not None and mw is not None else None

        if layers == "conv":
            infos = [i for i in conv_layers(model, "kernel") if i.is_spatial and i.calls]
            infos = infos or conv_layers(model, "spatial")
        elif layers == "all":
            infos = [i for i in conv_layers(model, "spatial") if not i.is_container]
        else:
            from ..compute._model_access import require_spatial

            infos = [acc.infos()[require_spatial(model, l, "filters to maximise")]
                     for l in layers]
        if not infos:
            raise ValueError(f"Model {getattr(model, 'name', '')!r} has no layer with a feature "
                             "map (batch, height, width, channels): there is nothing to maximise.")
        self._layers = {i.path: i for i in infos}

        # ---- controls
        self._make_layer_controls(infos, "filter", layer_width=420, slider_width=400)
        self._mode_tb = w.ToggleButtons(options=[(tr("one filter", self.lang), "filter"),
                                                 (tr("gallery", self.lang), "gallery")],
                                        style={"button_width": "100px"})
        self._range = w.IntRangeSlider(min=0, max=0, value=(0, 0), description="gallery",
                                       continuous_update=INT_SLIDER_CONTINUOUS,
                                       layout=w.Layout(width="400px"))
        self._method_dd = w.Dropdown(options=list(METHODS), description="method",
                                     layout=w.Layout(width="240px"))
        self._steps_box = w.BoundedIntText(min=1, max=10000, description="steps",
                                           layout=w.Layout(width="160px"))
        self._size_box = w.BoundedIntText(min=16, max=1024, description="size",
                                          layout=w.Layout(width="160px"),
                                          disabled=self._fixed_size is not None)
        self._seed_box = w.IntText(description="seed", layout=w.Layout(width="160px"))
        self._stretch_cb = w.Checkbox(value=True, description="stretch contrast", indent=False,
                                      layout=w.Layout(width="150px"))
        self._run_btn = w.Button(description="Run", button_style="primary", icon="play",
                                 layout=w.Layout(width="90px"))
        self._cancel_btn = w.Button(description="Cancel", icon="stop", disabled=True,
                                    layout=w.Layout(width="90px"))
        self._bar = w.FloatProgress(min=0.0, max=1.0, value=0.0, layout=w.Layout(width="260px"))
        self._info = w.HTML(value="")
        self._export_btn = w.Button(description="Export PNG", icon="download",
                                    layout=w.Layout(width="120px"))
        self._download = w.HTML(value="")
        self.pattern = RasterView(labels=["", "y", "x"], gap=0)
        self.gallery = RasterView(labels=[tr("filter", self.lang), "y", "x"], gap=3)
        self.pattern.add_class("convviz-maximizer-pattern")
        self.gallery.add_class("convviz-maximizer-gallery")
        self.gallery.on_click(self._on_gallery_click)

        for control, trait in [(self._layer_dd, "layer"), (self._slider, "filter_index"),
                               (self._mode_tb, "mode"), (self._range, "gallery_range"),
                               (self._method_dd, "method"), (self._steps_box, "steps"),
                               (self._size_box, "size"), (self._seed_box, "seed"),
                               (self._stretch_cb, "stretch")]:
            self._bind(control, trait)
        self._run_btn.on_click(lambda _b: self._safe(self.run))
        self._cancel_btn.on_click(lambda _b: self.cancel())
        self._export_btn.on_click(lambda _b: self._safe(self._export_link))

        self.children = [
            w.HBox([self._layer_dd, self._slider]),
            w.HBox([self._mode_tb, self._range]),
            w.HBox([self._method_dd, self._steps_box, self._size_box, self._seed_box,
                    self._stretch_cb]),
            w.HBox([self._run_btn, self._cancel_btn, self._bar, self._info]),
            w.HBox([self.pattern, self.gallery], layout=w.Layout(flex_flow="row wrap",
                                                                 align_items="flex-start")),
            w.HBox([self._export_btn, self._download]),
            self._status,
        ]
        self.add_class("convviz-filter-maximizer")
        self._built()

        # ---- state
        # One coalescing worker: Run while a run is going cancels it, and of many quick Runs
        # only the last is started. The lock makes "is this run still the newest?" and the
        # running flag change together.
        self._lock = threading.Lock()
        self._run_task = BackgroundTask("convviz-maximize", on_idle=self._on_worker_idle)
        self._warmer = BackgroundTask("convviz-maximize-warmup")
        self._t_run = 0.0
        self._last_push = 0.0
        self._warmed: set = set()
        self._shown: dict = {}  # filter -> (image, activation) of the current settings
        self._gallery_filters = np.zeros((0,), np.int64)
        self._gallery_images: np.ndarray | None = None

        if method not in METHODS:
            raise ValueError(f"Unknown method {method!r}; use one of {list(METHODS)}.")
        with self._suppressed():
            self.method = method
            self.steps = int(steps) if steps is not None else DEFAULT_STEPS[method]
            self.size = int(self._fixed_size[0] if self._fixed_size else (size or DEFAULT_SIZE))
            self.seed = int(seed)
            self.layer = self._default_layer(infos) if layer is None else layer
            n = self._count()
            self.filter_index = int(filter_index)
            self.gallery_range = (0, min(n, 64) - 1)
        self._sync_controls()
        self._show_placeholder()
        if prewarm:
            self._prewarm()

    # ------------------------------------------------------------------------- helpers
    @staticmethod
    def _default_layer(infos) -> str:
        # The middle of the network: early layers give colours and edges, late ones parts.
        return infos[len(infos) // 2].path

    def _count(self, path=None) -> int:
        return int(self._layers[path or self.layer].channels)

    def _n_filters(self, n: int) -> str:
        return tr("fm_filters", self.lang, n=n, s="" if n == 1 else "s")

    def _hw(self) -> tuple[int, int]:
        return self._fixed_size or (int(self.size), int(self.size))

    def _settings(self) -> dict:
        return dict(method=self.method, steps=int(self.steps), seed=int(self.seed),
                    size=None if self._fixed_size else int(self.size),
                    preprocess=self.preprocess, cache_dir=self.cache_dir)

    def _safe(self, fn) -> None:
        try:
            fn()
        except Exception as exc:  # noqa: BLE001 - a click must never raise into the comm
            self._set_error(exc)

    def _set_error(self, exc: BaseException | None) -> None:
        self.error = "" if exc is None else f"{type(exc).__name__}: {exc}"
        self._show_error(exc)

    def _sync_controls(self) -> None:
        with self._quiet():
            n = self._sync_layer_controls()
            if n is not None:
                set_slider(self._range, tuple(self.gallery_range), n - 1)
            self._mode_tb.value = self.mode
            self._method_dd.value = self.method
            self._steps_box.value = int(self.steps)
            self._size_box.value = int(self.size)
            self._seed_box.value = int(self.seed)
            self._stretch_cb.value = bool(self.stretch)
            self._range.disabled = self.mode != "gallery"

    # ----------------------------------------------------------------------- validation
    @traitlets.validate("method")
    def _validate_method(self, proposal):
        if proposal["value"] not in self._methods:
            raise traitlets.TraitError(f"Unknown method {proposal['value']!r}; use one of "
                                       f"{list(self._methods)}.")
        return proposal["value"]

    @traitlets.validate("steps")
    def _validate_steps(self, proposal):
        v = int(proposal["value"])
        if v < 1:
            raise traitlets.TraitError(f"steps must be at least 1, got {v}.")
        return v

    @traitlets.validate("size")
    def _validate_size(self, proposal):
        v = int(proposal["value"])
        if self._fixed_size is not None and v != self._fixed_size[0]:
            raise traitlets.TraitError(
                f"This model takes a fixed input size {self._fixed_size[0]}×{self._fixed_size[1]};"
                " patterns are optimised at that size.")
        if v < 16:
            raise traitlets.TraitError(f"size must be at least 16 pixels, got {v}.")
        return v

    @traitlets.validate("gallery_range")
    def _validate_range(self, proposal):
        a, b = (int(v) for v in proposal["value"])
        if not self.layer:
            return (a, b)
        n = self._count()
        if not (0 <= a <= b < n):
            raise traitlets.TraitError(
                f"gallery_range {(a, b)} is not a range of filters of {self.layer!r}, which has "
                f"{n}: use (first, last) with 0 ≤ first ≤ last ≤ {n - 1}.")
        if b - a + 1 > _MAX_GALLERY:
            raise traitlets.TraitError(
                f"A gallery shows at most {_MAX_GALLERY} filters at once; pick a narrower range.")
        return (a, b)

    # ------------------------------------------------------------------------ observers
    @traitlets.observe("layer")
    def _on_layer(self, change):
        if self._suppress:
            return
        n = self._count()
        with self._suppressed():
            self.filter_index = min(self.filter_index, n - 1)
            self.gallery_range = (0, min(n, 64) - 1)
        self._settings_changed()

    @traitlets.observe("method")
    def _on_method(self, change):
        if self._suppress:
            return
        with self._suppressed():
            self.steps = self._default_steps[change["new"]]
        self._settings_changed()

    @traitlets.observe("steps", "size", "seed")
    def _on_setting(self, change):
        if not self._suppress:
            self._settings_changed()

    @traitlets.observe("mode", "gallery_range", "stretch")
    def _on_view(self, change):
        if not self._suppress:
            self._sync_controls()
            self._redraw()

    @traitlets.observe("filter_index")
    def _on_filter(self, change):
        if self._suppress:
            return
        self._sync_controls()
        self._show_selected()

    @traitlets.observe("running")
    def _on_running(self, change):
        self._run_btn.disabled = bool(change["new"])
        self._cancel_btn.disabled = not change["new"]

    def _settings_changed(self) -> None:
        self._sync_controls()
        self._shown = {}
        self._gallery_filters = np.zeros((0,), np.int64)
        self._gallery_images = None
        self._show_placeholder()
        self._prewarm()

    def _on_gallery_click(self, tile, y, x) -> None:
        try:
            if 0 <= tile < len(self._gallery_filters):
                self.filter_index = int(self._gallery_filters[tile])
        except Exception as exc:  # noqa: BLE001 - a click must never raise into the comm
            self._set_error(exc)

    # -------------------------------------------------------------------------- drawing
    def _show_placeholder(self) -> None:
        h, w_ = self._hw()
        grey = np.full((1, h, w_, 1), 128, np.uint8)
        self.pattern.set_tiles(grey, zoom=max(1, _BIG_PX // max(h, w_)),
                               title=tr("fm_press_run", self.lang,
                                        what=f"{tr('filter', self.lang)} {self.filter_index}"),
                               caption="")
        self._lookup_cached()

    def _lookup_cached(self) -> None:
        """Show the selected filter at once if a result for it is already cached."""
        from ..compute.maximize import maximize

        if self.running:
            return
        done = threading.Event()
        done.set()  # a pre-set cancel: maximize returns cached rows only, computes nothing
        try:
            res = maximize(self.model, self.layer, [self.filter_index], cancel=done,
                           **self._settings())
        except Exception:  # noqa: BLE001 - a failing lookup just means "not cached"
            return
        if len(res):
            self._shown[int(res.filters[0])] = (res.images[0], float(res.activation[0]))
            self._show_selected()

    def _show_selected(self) -> None:
        f = int(self.filter_index)
        h, w_ = self._hw()
        zoom = max(1, _BIG_PX // max(h, w_))
        if f in self._shown:
            image, act = self._shown[f]
            self.pattern.set_tiles(display_pixels(image[None], self.stretch), zoom=zoom,
                                   title=tr("fm_pattern", self.lang, layer=self.layer, f=f),
                                   caption=tr("fm_mean_act", self.lang, m=f"{act:.4g}"))
        elif not self.running:
            self.pattern.set_tiles(np.full((1, h, w_, 1), 128, np.uint8), zoom=zoom,
                                   title=tr("fm_press_run", self.lang, what=f"{self.layer} · "
                                            f"{tr('filter', self.lang)} {f}"), caption="")
        self.gallery.selected = int(np.flatnonzero(self._gallery_filters == f)[0]) \
            if np.any(self._gallery_filters == f) else -1

    def _redraw(self) -> None:
        self._show_selected()
        if self._gallery_images is not None and len(self._gallery_filters):
            self._draw_gallery(self._gallery_images, self._gallery_filters)

    def _draw_gallery(self, images: np.ndarray, filters: np.ndarray, caption: str = "") -> None:
        n, h, w_, _ = images.shape
        cols = _grid_columns(n, h, w_)
        sel = np.flatnonzero(filters == self.filter_index)
        self.gallery.set_tiles(
            display_pixels(images, self.stretch), columns=cols,
            zoom=max(1, _TILE_PX // max(h, w_)), selected=int(sel[0]) if sel.size else -1,
            title=tr("fm_gallery", self.lang, layer=self.layer, a=int(filters[0]),
                     b=int(filters[-1])),
            caption=caption or tr("fm_click_tile", self.lang))

    # --------------------------------------------------------------------------- running
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

        pattern_size(self.model, None if self._fixed_size else int(self.size))  # fail early
        filters = self._targets()
        self._set_error(None)
        self.frames_shown = 0
        self.first_frame_seconds = float("nan")
        self.progress = 0.0
        self._bar.value = 0.0
        self._bar.bar_style = ""
        self._t_run = time.perf_counter()
        self._last_push = 0.0
        self._info.value = tr("fm_optimising", self.lang, what=self._n_filters(len(filters)))
        mode = self.mode
        if mode == "gallery":
            self._gallery_filters = filters
            self._gallery_images = np.full((len(filters),) + self._hw() + (1,), 0.5, np.float32)
        settings, layer = dict(self._settings()), self.layer
        with self._lock:
            self._run_task.run(lambda ticket: self._work(ticket, filters, mode, settings, layer))
            self.running = True

    def cancel(self) -> None:
        """Stop the running optimisation before its next step (the partial result is shown)."""
        self._run_task.cancel()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the current run is over; return False on timeout."""
        return self._run_task.wait(timeout)

    @property
    def worker_stats(self) -> dict:
        """How many runs were requested, started, dropped before starting, failed."""
        return self._run_task.stats

    def _on_worker_idle(self) -> None:
        with self._lock:
            if not (self._run_task.idle and self.running):
                return
            # The newest Run was cancelled before it started: nothing will clear the flag.
            self.running = False
            self._info.value = tr("fm_cancelled_early", self.lang)
            self._bar.bar_style = "warning"

    def _work(self, ticket, filters, mode, settings, layer) -> None:
        from ..compute.maximize import maximize

        try:
            res = maximize(self.model, layer, filters, cancel=ticket.cancel_event,
                           on_step=lambda s, im, a: self._on_step(ticket, mode, filters, s, im,
                                                                  a),
                           **settings)
        except Exception as exc:  # noqa: BLE001 - shown inside the widget
            with self._lock:
                if ticket.current:
                    self._set_error(exc)
                    self._info.value = ""
                    self._bar.bar_style = "danger"
                    self.running = False
            return
        self._finish(ticket, res, mode, filters)

    def _on_step(self, ticket, mode, filters, step, images, activation):
        if not ticket.current:
            return False  # superseded by a newer run
        now = time.perf_counter()
        first = self.frames_shown == 0
        if first or now - self._last_push >= self.frame_interval or int(step) == step.total:
            self._last_push = now
            frac = int(step) / max(1, step.total)
            self._push_frame(mode, filters, images, activation, frac)
            if first:
                self.first_frame_seconds = now - self._t_run
            self.frames_shown += 1
        return not ticket.cancelled

    def _push_frame(self, mode, filters, images, activation, frac) -> None:
        self.progress = frac
        self._bar.value = frac
        if mode == "gallery":
            self._gallery_images = images.copy()
            self._draw_gallery(self._gallery_images, filters,
                               caption=tr("fm_optimising_p", self.lang, p=f"{frac:.0%}"))
        sel = np.flatnonzero(filters == self.filter_index)
        if sel.size:
            k = int(sel[0])
            h, w_ = images.shape[1:3]
            self.pattern.set_tiles(display_pixels(images[k:k + 1], self.stretch),
                                   zoom=max(1, _BIG_PX // max(h, w_)),
                                   title=tr("fm_pattern", self.lang, layer=self.layer,
                                            f=int(filters[k])),
                                   caption=tr("fm_mean_act", self.lang,
                                              m=f"{float(activation[k]):.4g}")
                                   + tr("fm_at", self.lang, p=f"{frac:.0%}"))

    def _finish(self, ticket, res, mode, filters) -> None:
        if not ticket.current:
            return  # a newer Run owns the views (and the running flag) from now on
        for f, image, act in zip(res.filters, res.images, res.activation):
            self._shown[int(f)] = (image, float(act))
        if mode == "gallery" and len(res):
            self._gallery_filters = res.filters
            self._gallery_images = res.images
            self._draw_gallery(res.images, res.filters)
        self.result = res
        self._show_selected()
        cached = int(res.from_cache.sum())
        what = self._n_filters(len(res))
        note = tr("fm_from_cache", self.lang, k=cached) if cached else ""
        if res.cancelled:
            self._info.value = tr("fm_cancelled", self.lang, what=what,
                                  k=int(res.complete.sum()), sec=f"{res.seconds:.1f}")
            self._bar.bar_style = "warning"
        else:
            mean = float(np.mean(res.activation)) if len(res) else 0.0
            self._info.value = tr("fm_done", self.lang, what=what, sec=f"{res.seconds:.2f}",
                                  note=note, m=f"{mean:.4g}")
            self.progress = 1.0
            self._bar.value = 1.0
            self._bar.bar_style = "success"
        with self._lock:
            if ticket.current:
                self.running = False

    def _animated_display(self):
        """Export hook: the display whose frames make the run's GIF/WebP."""
        return self.gallery if self.mode == "gallery" else self.pattern

    # ----------------------------------------------------------------------- warming up
    def _prewarm(self) -> None:
        """Compile the step for the current settings in the background (one 1-step run)."""
        from ..compute.maximize import maximize

        key = (self.layer, self.method, self._hw(), id(self.preprocess))
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
