"""``FilterMaximizer``: watch gradient ascent build the pattern each filter responds to most.

All optimisation happens in :func:`convviz_widgets.compute.maximize.maximize`, in a worker
thread: the notebook stays responsive, frames stream into the views (throttled to about ten a
second by the one :class:`._jobs.JobRunner`, whose job is the compute function's progress
observer), and Cancel sets the job's ``threading.Event`` that the loop checks before every step.
The view is composed of components — the objective menu (:class:`ObjectivePicker`), the runs
(:class:`._maximizer_runs.PatternRuns`: Run, the background compile and the cache lookup, with
the run panel) and the two displays with their rows (:class:`PatternPanels`, which also
export) — and only turns float images into display bytes.
"""

from __future__ import annotations

import operator

import ipywidgets as w
import numpy as np
import traitlets

from ..compute.maximize import DEFAULT_SIZE, DEFAULT_STEPS, METHODS, pattern_size
from ._base import INT_SLIDER_CONTINUOUS, LayerViewer, new_slider, set_slider
from ._fit import FIT_BUTTONS
from ..i18n import tr
from ._maximizer_display import PatternPanels, display_pixels, grid_image, run_summary
from ._maximizer_objectives import (OBJECTIVE_LABELS, ObjectivePicker, ObjectiveRows,
                                    objective_settings)
from ._maximizer_runs import PatternRuns, run_rows
from ._maximizer_settings import (SettingsBar, check_method, check_patterns, check_position,
                                  check_range, check_size, check_steps, middle_layer,
                                  pattern_layers)
from ._targets import class_names_for

__all__ = ["FilterMaximizer", "display_pixels", "grid_image"]

#: Seconds between two frames pushed to the browser while optimising (~10 frames a second).
FRAME_INTERVAL = 0.1


class FilterMaximizer(LayerViewer):
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
    layer, filter_index, method, steps, size, seed : settable; the controls follow.
    mode : {"filter", "gallery"}
        What Run optimises; ``gallery_range`` (int, int): the gallery's first and last filter.
    running, progress, frames_shown, first_frame_seconds : bool, float, int, float
        The current run: going, 0–1, frames pushed to the views, seconds from Run to the first
        frame (NaN until it arrived).
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
        if method not in METHODS:  # a ValueError before anything is built
            raise ValueError(f"Unknown method {method!r}; use one of {list(METHODS)}.")
        #: Names of the output's classes for the class objective ("class 1 · star"); one name
        #: for one sigmoid unit names its positive class, class 1.
        self.class_names = class_names_for(model, class_names, None, self.lang) \
            if class_names is not None else None
        self.preprocess = preprocess
        self.cache_dir = cache_dir
        self.frame_interval = float(frame_interval)
        self._fixed_size, infos = pattern_layers(model, layers, self.input_size)
        self._layers = {i.path: i for i in infos}
        self._rows = ObjectiveRows(model, infos, self.lang, self.class_names)

        # ---- controls and components
        self._make_layer_controls(infos, "filter", layer_width=420, slider_width=400)
        self._mode_tb = w.ToggleButtons(options=[(tr("ui.one_filter", self.lang), "filter"),
                                                 (tr("ui.gallery", self.lang), "gallery")],
                                        style=FIT_BUTTONS)
        self._range = new_slider(range_=True, description=tr("ui.gallery", self.lang),
                                 continuous_update=INT_SLIDER_CONTINUOUS,
                                 layout=w.Layout(width="400px"))
        self.settings_bar = SettingsBar(self.lang, fixed_size=self._fixed_size is not None)
        self._method_dd = self.settings_bar.controls["method"]
        self.objective_picker = ObjectivePicker(self.lang)
        self.runs = PatternRuns(model, lang=self.lang, on_run=self._run_clicked,
                                on_error=self._set_error, frame_interval=frame_interval)
        self.run_panel = self.runs.panel
        for name in ("running", "progress", "frames_shown"):
            traitlets.dlink((self.run_panel, name), (self, name))
        traitlets.dlink((self.runs, "first_frame_seconds"), (self, "first_frame_seconds"))
        self.panels = PatternPanels(self.lang)
        self.pattern, self.gallery = self.panels.pattern, self.panels.gallery
        self.gallery.on_click(self._on_gallery_click)
        self.pattern.on_click(self._on_pattern_click)
        self.objective_picker.centre_button.on_click(
            lambda _b: self._set_from_ui("neuron_position", None))
        self._export_btn = w.Button(description=tr("ui.export_png", self.lang), icon="download")
        self._export_btn.on_click(lambda _b: self._safe(lambda: self._offer("png")))
        self._download = w.HTML(value="")
        for control, trait in [(self._layer_dd, "layer"), (self._slider, "filter_index"),
                               (self._mode_tb, "mode"), (self._range, "gallery_range"),
                               (self.objective_picker.menu, "objective"),
                               (self.objective_picker.patterns_box, "n_patterns")] + \
                [(c, t) for t, c in self.settings_bar.controls.items()]:
            self._bind(control, trait)

        self.children = [
            w.HBox([self._layer_dd, self._slider]),
            w.HBox([self._mode_tb, self._range]),
            self.settings_bar,
            self.objective_picker,
            self.run_panel,
            self.panels,
            w.HBox([self._export_btn, self._download]),
            self._status,
        ]
        self.add_class("convviz-filter-maximizer")
        self._built()

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
                self.layer = middle_layer(infos) if layer is None else layer
            n = self.channels
            self.filter_index = int(filter_index)
            self.gallery_range = (0, min(n, 64) - 1)
        self._sync_controls()
        if not self._defer_render():  # a hidden page compiles when first shown
            self._show_placeholder()
            if prewarm:
                self.prewarm()

    # ------------------------------------------------------------------------- helpers
    def _count(self, path=None) -> int:
        return self._rows.count(self.objective, path or self.layer)

    # The class objective counts classes, the others the layer's filters.
    _channels_depend = operator.attrgetter("layer", "objective")

    def _what(self, f: int) -> str:
        return self._rows.what(self.objective, self.layer, f)

    def _rows_text(self, n: int) -> str:
        return self._rows.rows_text(self.objective, self.layer, n)

    def _hw(self) -> tuple[int, int]:
        return self._fixed_size or (int(self.size), int(self.size))

    def _settings(self) -> dict:
        objective = objective_settings(self.objective, self.layer, self._hw(),
                                       self.neuron_position, self.n_patterns)
        # Diversity runs are never cached: maximize refuses a cache_dir that would store nothing.
        cache_dir = None if objective.get("objective") == "diversity" else self.cache_dir
        return dict(method=self.method, steps=int(self.steps), seed=int(self.seed),
                    size=None if self._fixed_size else int(self.size),
                    preprocess=self.preprocess, cache_dir=cache_dir,
                    input_size=self.input_size, **objective)

    def _fit_rows(self) -> None:
        """A new layer: the filter stays if the layer has it; the gallery shows its first 64."""
        n = self.channels
        self.filter_index = min(self.filter_index, n - 1)
        self.gallery_range = (0, min(n, 64) - 1)

    def _set_error(self, exc: BaseException | None) -> None:
        self.error = "" if exc is None else f"{type(exc).__name__}: {exc}"
        self._show_error(exc)

    def _sync_controls(self) -> None:
        with self._quiet():
            n = self._sync_layer_controls()
            if n is not None:
                set_slider(self._range, tuple(self.gallery_range), n - 1)
            self._mode_tb.value = self.mode
            self.settings_bar.show({t: getattr(self, t) for t in self.settings_bar.controls})
            self.objective_picker.show(self.objective, self.n_patterns, self.neuron_position)
            # One row: nothing to range over (the slider shows 0 … 1, see set_slider).
            self._range.disabled = (self.mode != "gallery" or self.objective == "diversity"
                                    or self.channels <= 1)
            self._slider.description = tr("ui." + self._rows.kind(self.objective, self.layer),
                                          self.lang)

    def _switch_layers(self, old: str, new: str) -> None:
        """The class objective reads Dense layers and the output; the others feature maps."""
        switched = self._rows.switch(old, new, self.layer)
        if switched is None:
            return
        infos, layer = switched
        self._layers = {i.path: i for i in infos}
        with self._quiet():
            self._layer_dd.options = [(self._label(i), i.path) for i in infos]
        with self._suppressed():
            self.layer = layer
            self._fit_rows()

    # ----------------------------------------------------------------------- validation
    # The rules are the settings module's; a bad value raises the same TraitError from Python,
    # a control or the constructor.
    @traitlets.validate("method", "steps", "n_patterns")
    def _validate_setting(self, proposal):
        check = {"method": check_method, "steps": check_steps, "n_patterns": check_patterns}
        return check[proposal["trait"].name](proposal["value"])

    @traitlets.validate("size")
    def _validate_size(self, proposal):
        return check_size(proposal["value"], self._fixed_size)

    @traitlets.validate("neuron_position")
    def _validate_position(self, proposal):
        return check_position(proposal["value"], self._hw())

    @traitlets.validate("gallery_range")
    def _validate_range(self, proposal):
        return check_range(proposal["value"], self.channels if self.layer else 0, self.layer)

    # ------------------------------------------------------------------------ observers
    @traitlets.observe("layer")
    def _on_layer(self, change):
        if self._suppress:
            return
        with self._suppressed():
            self._fit_rows()
        self._settings_changed()

    @traitlets.observe("method")
    def _on_method(self, change):
        if self._suppress:
            return
        with self._suppressed():
            self.steps = DEFAULT_STEPS[change["new"]]
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
        self.panels.clear()
        if self._defer_render():  # hidden: no cache lookup, no background compile
            return
        self._show_placeholder()
        self.prewarm()

    def _refresh(self) -> None:
        self._sync_controls()
        self._show_placeholder()
        self._redraw()
        self.prewarm()

    def _on_gallery_click(self, tile, y, x) -> None:
        try:
            if 0 <= tile < len(self.panels.gallery_filters):
                self.filter_index = int(self.panels.gallery_filters[tile])
        except Exception as exc:  # noqa: BLE001 - a click must never raise into the comm
            self._set_error(exc)

    def _on_pattern_click(self, tile, y, x) -> None:
        try:
            if self.objective == "neuron":
                self.neuron_position = (int(y), int(x))
        except Exception as exc:  # noqa: BLE001 - a click must never raise into the comm
            self._set_error(exc)

    # -------------------------------------------------------------------------- drawing
    def _show_placeholder(self) -> None:
        """The selected filter's waiting pattern, or at once its cached result."""
        self.panels.show_waiting(self._hw(), self._what(self.filter_index))
        res = self.runs.cached(self.layer, int(self.filter_index), self._settings())
        if res is not None:
            self.panels.keep(res.filters, res.images, res.activation, res.status)
            self._show_selected()

    def _show_selected(self) -> None:
        f = int(self.filter_index)
        name = f"{self.layer} · {self._what(f)}"
        if not self.panels.show_row(f, name, self.objective, self._hw(), self.stretch) and \
                not self.running:
            self.panels.show_waiting(self._hw(), name)
        self.panels.select(f)

    def _redraw(self) -> None:
        self._show_selected()
        if self.panels.gallery_images is not None and len(self.panels.gallery_filters):
            self._draw_gallery(self.panels.gallery_images, self.panels.gallery_filters,
                               status=self.panels.gallery_status)

    def _draw_gallery(self, images, filters, caption: str = "", status=None) -> None:
        self.panels.draw_gallery(
            images, filters, int(self.filter_index),
            self._rows.gallery_title(self.objective, self.layer, filters), self._what,
            caption=caption, status=status, stretch=self.stretch)

    # -------------------------------------------------------------------------- running
    def run(self) -> None:
        """Start optimising (the selected filter, or the gallery range) in a worker thread.

        A run already in progress is cancelled first, and of several Runs pressed in quick
        succession only the last one is computed. Returns at once; :meth:`wait` blocks until
        the run is over.
        """
        if self.input_size is None:  # fail early
            pattern_size(self.model, None if self._fixed_size else int(self.size))
        mode, filters, targets = run_rows(self.objective, self.mode, self.filter_index,
                                          self.gallery_range, self.n_patterns)
        if mode != "filter":  # every row waits, grey, until its first frame
            self.panels.keep_gallery(filters, np.full((len(filters),) + self._hw() + (1,), 0.5,
                                                      np.float32))
        self._set_error(None)
        self.runs.start(
            self.layer, targets, self._settings(),
            tr("fm.optimising", self.lang, what=self._rows_text(len(filters))),
            lambda done, total, images, act: self._on_frame(mode, filters, done, total, images,
                                                            act),
            lambda res: self._finish(res, mode))

    def _run_clicked(self) -> None:
        try:
            self.run()
        except Exception as exc:  # noqa: BLE001 - a click must never raise into the comm
            self._set_error(exc)

    def cancel(self) -> None:
        """Stop the run before its next step (what was done so far stays shown)."""
        self.run_panel.cancel()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the current run is over; False on timeout."""
        return self.run_panel.wait(timeout)

    @property
    def seconds_running(self) -> float:
        """Seconds since the current (or last) Run was pressed."""
        return self.run_panel.seconds_running

    @property
    def worker_stats(self) -> dict:
        """How many runs were requested, started, dropped before starting, failed."""
        return dict(self.run_panel.runner.stats)

    @property
    def warmup_stats(self) -> dict:
        """How many background compiles of the step (the warm-up a layer change starts) were
        requested, started, dropped before starting, failed."""
        return self.runs.warmup_stats

    def wait_warmup(self, timeout: float | None = None) -> bool:
        """Block until the background compile of the step is over; False on timeout."""
        return self.runs.wait_warmup(timeout)

    def _on_frame(self, mode, filters, done, total, images, activation) -> None:
        frac = done / max(1, total or 1)
        if mode != "filter":
            self.panels.gallery_images = images.copy()
            self._draw_gallery(self.panels.gallery_images, filters,
                               caption=tr("fm.optimising_p", self.lang, p=f"{frac:.0%}"))
        sel = np.flatnonzero(filters == self.filter_index)
        if sel.size:
            k = int(sel[0])
            self.panels.show_frame(images[k], f"{self.layer} · {self._what(filters[k])}",
                                   self.objective, float(activation[k]), frac, self.stretch)

    def _finish(self, res, mode) -> None:
        """The current run returned (finished or cancelled): keep and show its rows."""
        self.panels.keep(res.filters, res.images, res.activation, res.status)
        if mode != "filter" and len(res):
            self.panels.keep_gallery(res.filters, res.images, res.status)
            self._draw_gallery(res.images, res.filters, status=res.status)
        self.result = res
        self._show_selected()
        self.run_panel.end(run_summary(res, self._rows_text(len(res)), self.lang),
                           res.cancelled)

    def prewarm(self) -> None:
        """Compile the step for the current settings in the background (one 1-step run)."""
        key = (self.layer, self.method, self._hw(), id(self.preprocess))
        if self.objective != "channel":  # another compiled step (the channel's key is kept)
            key += (self.objective, self.neuron_position, int(self.n_patterns))
        self.runs.prewarm(key, self.layer, self._settings())

    # --------------------------------------------------------------------------- export
    def gallery_png(self) -> bytes:
        """The gallery (or the single pattern when no gallery ran) as PNG bytes, as displayed
        (``fm.gallery_png()[:4] == b"\\x89PNG"``)."""
        return self.panels.png(self.stretch)

    def save_gallery(self, path) -> str:
        """Write :meth:`gallery_png` to ``path``; return the path.

        Examples
        --------
        >>> fm.save_gallery("block2_conv1.png")      # doctest: +SKIP
        'block2_conv1.png'
        """
        with open(path, "wb") as fh:
            fh.write(self.gallery_png())
        return str(path)

    def _animated_display(self):
        """Export hook: the display whose frames make the run's GIF/WebP."""
        return self.gallery if self.mode == "gallery" else self.pattern
