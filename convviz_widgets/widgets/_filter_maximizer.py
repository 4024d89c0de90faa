"""``FilterMaximizer``: watch gradient ascent build the pattern each filter responds to most.

All optimisation happens in :func:`convviz_widgets.compute.maximize.maximize`, in a worker
thread: the notebook stays responsive, frames stream into the views (throttled to about ten a
second) through the compute function's ``on_step`` callback, and Cancel sets a
``threading.Event`` that the loop checks before every step. This module only turns the float
images into display bytes (contrast stretching is a display choice, not part of the result).
"""

from __future__ import annotations

import threading

import ipywidgets as w
import numpy as np
import traitlets

from ._base import INT_SLIDER_CONTINUOUS, LayerViewer, set_slider
from ._i18n import tr, trn
from ._maximizer_display import (_BIG_PX, _TILE_PX, ExportMixin, _grid_columns, display_pixels,
                                 grid_image, marked_pixels, status_caption, status_words)
from ._maximizer_objectives import OBJECTIVE_LABELS, MaximizerObjectiveMixin, value_key
from ._maximizer_run import MaximizerRunMixin
from ._raster import RasterView
from ._run_state import RunState
from ._task import BackgroundTask
from ._fit import FIT_BUTTONS, fit_layout
from ._placeholder import placeholder_pixels

__all__ = ["FilterMaximizer", "display_pixels", "grid_image"]

#: Seconds between two frames pushed to the browser while optimising (~10 frames a second).
FRAME_INTERVAL = 0.1
#: Largest gallery the widget runs at once (a 512-filter layer is split by the range slider).
_MAX_GALLERY = 256


class FilterMaximizer(MaximizerObjectiveMixin, MaximizerRunMixin, ExportMixin, RunState,
                      LayerViewer):
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
    objective = traitlets.Enum(tuple(OBJECTIVE_LABELS), default_value="channel")
    neuron_position = traitlets.Any(None, allow_none=True)
    n_patterns = traitlets.Int(4)
    running = traitlets.Bool(False)
    progress = traitlets.Float(0.0)
    frames_shown = traitlets.Int(0)
    first_frame_seconds = traitlets.Float(float("nan"))
    error = traitlets.Unicode("")
    result = traitlets.Any(None)

    def __init__(self, model, layer=None, filter_index: int = 0, *, preprocess=None,
                 method: str = "regularized", steps: int | None = None, size: int | None = None,
                 seed: int = 0, cache_dir=None, layers="conv", prewarm: bool = True,
                 objective: str = "channel", n_patterns: int = 4, neuron_position=None,
                 frame_interval: float = FRAME_INTERVAL, class_names=None, **kwargs):
        super().__init__(model, **kwargs)
        from ._targets import class_names_for

        #: Names of the output's classes for the class objective ("class 1 · star"); one name
        #: for one sigmoid unit names its positive class, class 1.
        self.class_names = class_names_for(model, class_names, None, self.lang) \
            if class_names is not None else None
        from ..compute import access, conv_layers
        from ..compute.maximize import DEFAULT_SIZE, DEFAULT_STEPS, METHODS

        self._methods = METHODS
        self._default_steps = DEFAULT_STEPS
        self.preprocess = preprocess
        self.cache_dir = cache_dir
        self.frame_interval = float(frame_interval)
        acc = access(model).at_size(self.input_size)  # a forced size is fixed for the view
        _, mh, mw, _ = acc.input_shape
        self._fixed_size = (int(mh), int(mw)) if mh is not None and mw is not None else None

        if layers == "conv":
            infos = [i for i in conv_layers(model, "kernel") if i.is_spatial and i.calls]
            infos = infos or conv_layers(model, "spatial")
        elif layers == "all":
            infos = [i for i in conv_layers(model, "spatial") if not i.is_container]
        else:
            from ..compute import require_spatial

            infos = [acc.infos()[require_spatial(model, l, "filters to maximise")]
                     for l in layers]
        if not infos:
            raise ValueError(f"Model {getattr(model, 'name', '')!r} has no layer with a feature "
                             "map (batch, height, width, channels): there is nothing to maximise.")
        self._layers = {i.path: i for i in infos}
        self._map_infos, self._map_layer = infos, None
        self._class_cache = None  # (class-objective layers, their unit counts), when needed

        # ---- controls
        self._make_layer_controls(infos, "filter", layer_width=420, slider_width=400)
        self._mode_tb = w.ToggleButtons(options=[(tr("one filter", self.lang), "filter"),
                                                 (tr("gallery", self.lang), "gallery")],
                                        style=FIT_BUTTONS)
        self._range = w.IntRangeSlider(min=0, max=0, value=(0, 0), description="gallery",
                                       continuous_update=INT_SLIDER_CONTINUOUS,
                                       layout=w.Layout(width="400px"))
        self._method_dd = w.Dropdown(
            options=[(tr(f"fm_method:{m}", self.lang), m) for m in METHODS],
            description="method", layout=w.Layout(width="240px"))
        self._steps_box = w.BoundedIntText(min=1, max=10000, description="steps",
                                           layout=w.Layout(width="160px"))
        self._size_box = w.BoundedIntText(min=16, max=1024, description="size",
                                          layout=w.Layout(width="160px"),
                                          disabled=self._fixed_size is not None)
        self._seed_box = w.IntText(description="seed", layout=w.Layout(width="160px"))
        self._stretch_cb = w.Checkbox(value=True, description="stretch contrast", indent=False,
                                      layout=w.Layout(width="150px"))
        # Run / Cancel / progress and one coalescing worker: Run while a run is going cancels it,
        # and of many quick Runs only the last is started (the lifecycle the views share).
        self._init_runs("convviz-maximize", "fm_cancelled_early", bar_width="260px")
        self._export_btn = w.Button(description="Export PNG", icon="download",
                                    layout=fit_layout())
        self._download = w.HTML(value="")
        self.pattern = RasterView(labels=["", "y", "x"], gap=0)
        self.gallery = RasterView(labels=[tr("filter", self.lang), "y", "x"], gap=3)
        self.pattern.add_class("convviz-maximizer-pattern")
        self.gallery.add_class("convviz-maximizer-gallery")
        self.gallery.on_click(self._on_gallery_click)
        self._make_objective_controls()

        for control, trait in [(self._layer_dd, "layer"), (self._slider, "filter_index"),
                               (self._mode_tb, "mode"), (self._range, "gallery_range"),
                               (self._method_dd, "method"), (self._steps_box, "steps"),
                               (self._size_box, "size"), (self._seed_box, "seed"),
                               (self._stretch_cb, "stretch"), (self._objective_dd, "objective"),
                               (self._patterns_box, "n_patterns")]:
            self._bind(control, trait)
        self._export_btn.on_click(lambda _b: self._safe(self._export_link))

        self.children = [
            w.HBox([self._layer_dd, self._slider]),
            w.HBox([self._mode_tb, self._range]),
            w.HBox([self._method_dd, self._steps_box, self._size_box, self._seed_box,
                    self._stretch_cb]),
            self._objective_row(),
            w.HBox([self._run_btn, self._cancel_btn, self._bar, self._info]),
            w.HBox([self.pattern, self.gallery], layout=w.Layout(flex_flow="row wrap",
                                                                 align_items="flex-start")),
            w.HBox([self._export_btn, self._download]),
            self._status,
        ]
        self.add_class("convviz-filter-maximizer")
        self._built()

        # ---- state
        self._warmer = BackgroundTask("convviz-maximize-warmup")
        self._warmed: set = set()
        self._shown: dict = {}  # filter -> (image, activation) of the current settings
        self._gallery_filters = np.zeros((0,), np.int64)
        self._gallery_images: np.ndarray | None = None
        # Rows that are not finished patterns (cancelled mid-way, or a filter that never
        # fired): the gallery's per row, and the single view's per filter.
        self._gallery_status: np.ndarray | None = None
        self._row_status: dict = {}

        if method not in METHODS:
            raise ValueError(f"Unknown method {method!r}; use one of {list(METHODS)}.")
        with self._suppressed():
            self.method = method
            self.steps = int(steps) if steps is not None else DEFAULT_STEPS[method]
            self.size = int(self._fixed_size[0] if self._fixed_size else (size or DEFAULT_SIZE))
            self.seed = int(seed)
            self.n_patterns = int(n_patterns)
            self.neuron_position = neuron_position
            self.objective = objective
            self._switch_layers("channel", objective)
            if layer is not None or objective != "class":
                self.layer = self._default_layer(infos) if layer is None else layer
            n = self._count()
            self.filter_index = int(filter_index)
            self.gallery_range = (0, min(n, 64) - 1)
        self._sync_controls()
        if not self._defer_render():  # a hidden page compiles when first shown
            self._show_placeholder()
            if prewarm:
                self._prewarm()

    # ------------------------------------------------------------------------- helpers
    @staticmethod
    def _default_layer(infos) -> str:
        # The middle of the network: early layers give colours and edges, late ones parts.
        return infos[len(infos) // 2].path

    def _count(self, path=None) -> int:
        return self._objective_count(path or self.layer)

    def _n_filters(self, n: int) -> str:
        return trn("fm_filters", self.lang, n)

    def _hw(self) -> tuple[int, int]:
        return self._fixed_size or (int(self.size), int(self.size))

    def _settings(self) -> dict:
        objective = self._objective_settings()
        # Diversity runs are never cached: maximize refuses a cache_dir that would store nothing.
        cache_dir = None if objective.get("objective") == "diversity" else self.cache_dir
        return dict(method=self.method, steps=int(self.steps), seed=int(self.seed),
                    size=None if self._fixed_size else int(self.size),
                    preprocess=self.preprocess, cache_dir=cache_dir,
                    input_size=self.input_size, **objective)

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
            self._sync_objective_controls()

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

    @traitlets.validate("n_patterns")
    def _validate_patterns(self, proposal):
        v = int(proposal["value"])
        if not 2 <= v <= 16:
            raise traitlets.TraitError(f"n_patterns must be 2 to 16, got {v}.")
        return v

    @traitlets.validate("neuron_position")
    def _validate_position(self, proposal):
        pos = proposal["value"]
        if pos is None:
            return None
        h, w_ = self._hw()
        try:
            y, x = (int(v) for v in pos)
        except (TypeError, ValueError):
            raise traitlets.TraitError(f"neuron_position must be None (the centre) or a pixel "
                                       f"(y, x) of the pattern, got {pos!r}.") from None
        if not (0 <= y < h and 0 <= x < w_):
            raise traitlets.TraitError(f"neuron_position {(y, x)} is outside the {h}×{w_} "
                                       "pattern.")
        return (y, x)

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

    @traitlets.observe("objective")
    def _on_objective(self, change):
        if self._suppress:
            return
        try:
            self._switch_layers(change["old"], change["new"])
        except ValueError as exc:
            with self._suppressed():
                self.objective = change["old"]
            self._set_error(exc)
            self._sync_controls()
            return
        self._settings_changed()

    @traitlets.observe("steps", "size", "seed", "neuron_position", "n_patterns")
    def _on_setting(self, change):
        if not self._suppress:
            self._settings_changed()

    @traitlets.observe("mode", "gallery_range", "stretch")
    def _on_view(self, change):
        if not self._suppress and not self._defer_render():
            self._sync_controls()
            self._redraw()

    @traitlets.observe("filter_index")
    def _on_filter(self, change):
        if self._suppress or self._defer_render():
            return
        self._sync_controls()
        self._show_selected()

    def _settings_changed(self) -> None:
        self._sync_controls()
        self._shown = {}
        self._row_status = {}
        self._gallery_filters = np.zeros((0,), np.int64)
        self._gallery_images = None
        self._gallery_status = None
        if self._defer_render():  # hidden: no cache lookup, no background compile
            return
        self._show_placeholder()
        self._prewarm()

    def _refresh(self) -> None:
        self._sync_controls()
        self._show_placeholder()
        self._redraw()
        self._prewarm()

    def _on_gallery_click(self, tile, y, x) -> None:
        try:
            if 0 <= tile < len(self._gallery_filters):
                self.filter_index = int(self._gallery_filters[tile])
        except Exception as exc:  # noqa: BLE001 - a click must never raise into the comm
            self._set_error(exc)

    # -------------------------------------------------------------------------- drawing
    def _show_placeholder(self) -> None:
        self._draw_waiting(self._what(self.filter_index))
        self._lookup_cached()

    def _draw_waiting(self, what: str) -> None:
        """The pattern panel before a run: its size, grey, saying what Run will compute."""
        h, w_ = self._hw()
        zoom = max(1, _BIG_PX // max(h, w_))
        text = tr("fm_press_run", self.lang, what=what)
        self.pattern.set_tiles(placeholder_pixels(h * zoom, w_ * zoom, text), zoom=1,
                               title=text, caption="")

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
            self._row_status[int(res.filters[0])] = str(res.status[0])
            self._show_selected()

    def _show_selected(self) -> None:
        f = int(self.filter_index)
        h, w_ = self._hw()
        zoom = max(1, _BIG_PX // max(h, w_))
        if f in self._shown:
            image, act = self._shown[f]
            state = self._row_status.get(f, "done")
            words = status_words(state, self.lang)
            self.pattern.set_tiles(marked_pixels(display_pixels(image[None], self.stretch),
                                                 [state]), zoom=zoom,
                                   title=f"{self.layer} · {self._what(f)}"
                                   + (f" — {words}" if words else ""),
                                   caption=tr(value_key(self.objective), self.lang,
                                              m=f"{act:.4g}") + (f" · {words}" if words else ""))
        elif not self.running:
            self._draw_waiting(f"{self.layer} · {self._what(f)}")
        self.gallery.selected = int(np.flatnonzero(self._gallery_filters == f)[0]) \
            if np.any(self._gallery_filters == f) else -1

    def _redraw(self) -> None:
        self._show_selected()
        if self._gallery_images is not None and len(self._gallery_filters):
            self._draw_gallery(self._gallery_images, self._gallery_filters,
                               status=self._gallery_status)

    def _draw_gallery(self, images: np.ndarray, filters: np.ndarray, caption: str = "",
                      status=None) -> None:
        """Draw the gallery; ``status`` (one word per row, as ``MaximizeResult.status``) marks
        the rows that are not finished patterns: unfinished ones hatched, dead filters crossed
        out, both named in the caption and in each tile's hover line."""
        n, h, w_, _ = images.shape
        cols = _grid_columns(n, h, w_)
        sel = np.flatnonzero(filters == self.filter_index)
        marks = status_caption(filters, status, self.lang)
        info = []
        if marks:
            info = [self._what(int(f))
                    + (f" · {status_words(st, self.lang)}" if st != "done" else "")
                    for f, st in zip(filters, status)]
        self.gallery.set_tiles(
            marked_pixels(display_pixels(images, self.stretch), status), columns=cols,
            zoom=max(1, _TILE_PX // max(h, w_)), selected=int(sel[0]) if sel.size else -1,
            title=self._gallery_title(filters),
            marked=[int(k) for k in np.flatnonzero(np.asarray(status) == "dead")]
            if status is not None else [],
            tile_info=info,
            caption=caption or (marks + " · " if marks else "") + tr("fm_click_tile", self.lang))
