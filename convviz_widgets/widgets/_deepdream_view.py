"""``DeepDreamViewer``: amplify what chosen layers see in a photo, and watch it happen.

The dream is computed by :func:`convviz_widgets.compute.deepdream` in a worker thread (the
:class:`._run_panel.RunPanel` component over the views' one :class:`._jobs.JobRunner`); its
frames arrive through the progress protocol of :mod:`convviz_widgets.compute.progress`
(throttled by the runner) and stream into the *after* panel, beside the untouched *before* image. This module only turns float images into display
bytes.
"""

from __future__ import annotations

import ipywidgets as w
import numpy as np
import traitlets

from .. import compute
from ..compute import access, conv_layers, prepare_images
from ._base import View
from ..i18n import tr
from ._view_error import ViewError
from ._placeholder import placeholder_pixels
from ._images import ImageList, check_image_index, images_or_demo, numbered_names
from ._maximizer_display import display_pixels
from ._raster import RasterView
from ._run_panel import RunPanel
from ._upload import image_chooser

__all__ = ["DeepDreamViewer"]

#: Seconds between two frames pushed to the browser while dreaming (~10 a second).
FRAME_INTERVAL = 0.1


#: Display budget (CSS pixels) of the before and after panels.
_PANEL_PX = 256
#: Largest settings the controls offer (the traits refuse more, so a control never shows a
#: clamped value): 8 octaves at 1.4 already shrink the image 15 times.
_LIMITS = {"octaves": 8, "steps": 100_000, "step_size": 1.0}
#: Longest side a fully convolutional model dreams at: a phone photo is shrunk to it (a dream
#: at 1024 pixels takes minutes on a CPU).
MAX_SIDE = 256


class DeepDreamViewer(View):
    """DeepDream on the current or an uploaded image: before and after, frames as they come.

    Choose an image (the menu, or Upload), one or more layers whose activations are
    amplified, the number of octaves (scales, smallest first), steps per octave and the step
    size; *Run* dreams in a worker thread while the *after* panel shows the image as it
    changes, and *Cancel* stops within one step (the dream so far stays). The buttons below
    export the shown panels as a PNG, and the run's frames as an animated GIF or WebP.

    Parameters
    ----------
    model : keras.Model
        Any built image model: sequential, functional, nested or subclassed, RGB or grayscale.
    images : array-like or list, optional
        ``(n, h, w, c)``, one image, or a list of images (uint8 or float in [0, 1]); default:
        the bundled demo scenes.
    layers : list of str, optional
        Initial layers; default: a convolution layer two thirds of the way into the model.
    octaves, steps, step_size : optional
        Initial settings (3 octaves, 20 steps, 0.01 per step).
    preprocess : callable, optional
        Display images in [0, 1] → model input, with TF ops.
    max_side : int
        Longest side a fully convolutional model dreams at (fixed-size models use their own).
    lang : {"en", "es", "pt"}
    controls : bool
        Show the image menu and Upload (a container with its own image bar passes False).

    Attributes
    ----------
    images : list of ndarray
    image_index : int
    layers : list of str
        The selected layer paths (settable; ``layer`` is the first of them).
    octaves, steps, step_size, octave_scale : settings
    running : bool
    progress : float
    frames_shown : int
        Frames pushed to the after panel during the current run.
    result : DreamResult or None
    error : str
        The last error ("" when none), also shown in the widget.
    before, after : RasterView
        The two panels.

    Examples
    --------
    >>> import convviz_widgets as cv
    >>> dv = cv.DeepDreamViewer(cv.demo_model(), steps=10)     # doctest: +SKIP
    >>> dv.layers = ["block3_conv1"]; dv.run(); dv.wait()       # doctest: +SKIP
    >>> dv.save_animation("dream.gif")                          # doctest: +SKIP
    'dream.gif'
    """

    images = ImageList()
    image_index = traitlets.Int(0)
    layers = traitlets.List(traitlets.Unicode())
    octaves = traitlets.Int(3)
    steps = traitlets.Int(20)
    step_size = traitlets.Float(0.01)
    octave_scale = traitlets.Float(1.4)
    running = traitlets.Bool(False)
    progress = traitlets.Float(0.0)
    frames_shown = traitlets.Int(0)
    result = traitlets.Any(None)
    error = traitlets.Unicode("")

    def __init__(self, model, images=None, *, layers=None, octaves: int = 3, steps: int = 20,
                 step_size: float = 0.01, preprocess=None, image_labels=None,
                 max_side: int = MAX_SIDE, frame_interval: float = FRAME_INTERVAL, **kwargs):
        super().__init__(model, **kwargs)
        self.preprocess = preprocess
        self.max_side = int(max_side)
        self.frame_interval = float(frame_interval)
        acc = access(model)
        self._input_shape = acc.at_size(self.input_size).input_shape
        infos = [i for i in conv_layers(model, "spatial") if not i.is_container]
        if not infos:
            raise ValueError(f"Model {getattr(model, 'name', '')!r} has no layer with a feature "
                             "map (batch, height, width, channels): there is nothing to dream "
                             "with.")
        self._layers = {i.path: i for i in infos}

        images, self._labels = images_or_demo(images, image_labels, self.lang)

        self._image_dd, self._upload = image_chooser(self.lang)
        self._upload.on_pictures(self._add_uploads, self._set_error)
        self._layers_sel = w.SelectMultiple(options=[(self._label(i), i.path) for i in infos],
                                            description=tr("ui.layers", self.lang), rows=min(6, len(infos)),
                                            layout=w.Layout(width="460px"))
        self._octaves_box = w.BoundedIntText(min=1, max=_LIMITS["octaves"], description=tr("ui.octaves", self.lang),
                                             layout=w.Layout(width="160px"))
        self._steps_box = w.BoundedIntText(min=1, max=_LIMITS["steps"], description=tr("ui.steps", self.lang),
                                           layout=w.Layout(width="160px"))
        self._lr_box = w.BoundedFloatText(min=0.0, max=_LIMITS["step_size"], step=0.005,
                                          description=tr("ui.step_size", self.lang),
                                          style={"description_width": "initial"},
                                          layout=w.Layout(width="180px"))
        # Run / Cancel / progress over one job runner: a Run while one is going cancels it,
        # and of many quick Runs only the last is started.
        self.run_panel = RunPanel("convviz-deepdream", on_run=self._run_clicked,
                                  on_error=self._set_error, idle_key="dd.cancelled_early",
                                  lang=self.lang, frame_interval=frame_interval)
        for name in ("running", "progress", "frames_shown"):
            traitlets.dlink((self.run_panel, name), (self, name))
        self.before = RasterView(lang=self.lang, tile_label="", gap=0)
        self.after = RasterView(lang=self.lang, tile_label="", gap=0)
        self.before.add_class("convviz-dream-before")
        self.after.add_class("convviz-dream-after")

        self._bind(self._image_dd, "image_index")
        self._bind(self._layers_sel, "layers", list)
        for control, trait in ((self._octaves_box, "octaves"), (self._steps_box, "steps"),
                               (self._lr_box, "step_size")):
            self._bind(control, trait)

        self.children = [
            w.HBox([self._image_dd, self._upload]),
            self._layers_sel,
            w.HBox([self._octaves_box, self._steps_box, self._lr_box]),
            self.run_panel,
            w.HBox([self.before, self.after], layout=w.Layout(flex_flow="row wrap",
                                                              align_items="flex-start")),
            self._status,
        ]
        self.add_class("convviz-deepdream")

        self._before_px: np.ndarray | None = None
        self._built()

        with self._suppressed():
            self.images = images if images is not None else []
            self.octaves = int(octaves)
            self.steps = int(steps)
            self.step_size = float(step_size)
            self.layers = list(layers) if layers is not None else [self._default_layer(infos)]
        if len(self._labels) != len(self.images):
            self._labels = numbered_names(self.lang, 0, len(self.images))
        self._sync_controls()
        self._show_before()

    # ------------------------------------------------------------------------------ helpers
    def _set_error(self, exc: BaseException | None) -> None:
        self.error = "" if exc is None else f"{type(exc).__name__}: {exc}"
        self._show_error(exc)

    @staticmethod
    def _default_layer(infos) -> str:
        # Two thirds of the way in, as cv.deepdream chooses: deep enough for parts of objects,
        # not so deep that the receptive fields swallow the whole image.
        convs = [i.path for i in infos if i.has_kernel] or [i.path for i in infos]
        return convs[min(len(convs) - 1, (2 * len(convs)) // 3)]

    @property
    def image_names(self) -> list[str]:
        """The image menu's entries (a copy)."""
        return list(self._labels)

    def _sync_controls(self) -> None:
        with self._quiet():
            options = tuple((n, i) for i, n in enumerate(self._labels))
            if tuple(self._image_dd.options) != options:
                self._image_dd.options = options
            if self.images:
                self._image_dd.value = self.image_index
            self._layers_sel.value = tuple(self.layers)
            self._octaves_box.value = int(self.octaves)
            self._steps_box.value = int(self.steps)
            self._lr_box.value = float(self.step_size)

    # --------------------------------------------------------------------------- validation
    @traitlets.validate("image_index")
    def _validate_image_index(self, proposal):
        return check_image_index(proposal["value"], len(self.images))

    @traitlets.validate("layers")
    def _validate_layers(self, proposal):
        out = []
        for value in proposal["value"]:
            path = self._check_layer(value)
            if path not in out:
                out.append(path)
        return out

    @traitlets.validate("octaves", "steps")
    def _validate_counts(self, proposal):
        v = int(proposal["value"])
        name = proposal["trait"].name
        top = _LIMITS[name]
        if not 1 <= v <= top:
            raise ViewError("dd_count", name=name, top=top, v=v)
        return v

    @traitlets.validate("step_size", "octave_scale")
    def _validate_positive(self, proposal):
        v = float(proposal["value"])
        name = proposal["trait"].name
        low, top = (1.0, 4.0) if name == "octave_scale" else (0.0, _LIMITS[name])
        if not (np.isfinite(v) and low < v <= top):
            raise ViewError("dd_positive", name=name, low=f"{low:g}", top=f"{top:g}", v=v)
        return v

    # ---------------------------------------------------------------------------- observers
    @traitlets.observe("layers")
    def _on_layers(self, change):
        first = change["new"][0] if change["new"] else ""
        if first and self.layer != first:
            with self._suppressed():
                self.layer = first
        self._sync_controls()

    @traitlets.observe("layer")
    def _on_layer(self, change):
        # Setting the one ``layer`` (as for every view) selects just that layer.
        if change["new"] and change["new"] not in self.layers:
            self.layers = [change["new"]]

    @traitlets.observe("octaves", "steps", "step_size")
    def _on_setting(self, change):
        self._sync_controls()

    @traitlets.observe("images")
    def _on_images(self, change):
        n = len(change["new"])
        if len(self._labels) > n:
            self._labels = self._labels[:n]
        self._labels += numbered_names(self.lang, len(self._labels), n - len(self._labels))
        if self.image_index >= n:
            with self._suppressed():
                self.image_index = max(0, n - 1)
        if not self._suppress and not self._defer_render():
            self._sync_controls()
            self._show_before()

    @traitlets.observe("image_index")
    def _on_image_index(self, change):
        if self.running:
            self.cancel()  # a dream belongs to its image
        if not self._suppress and not self._defer_render():
            self._sync_controls()
            self._show_before()

    def _refresh(self) -> None:
        self._sync_controls()
        self._show_before()

    def add_images(self, images, names=None) -> None:
        """Append ``images`` (named ``names`` in the menu) and show the last one.

        Examples
        --------
        >>> dv.add_images([photo], ["my photo"])      # doctest: +SKIP
        """
        images = list(images)
        if names is None:
            names = numbered_names(self.lang, len(self.images), len(images))
        new = list(self.images) + images  # validated before anything changes
        with self._suppressed():
            self.images = new
            self._labels = self._labels[:len(new) - len(images)] + [str(n) for n in names]
            self.image_index = len(new) - 1
        self._sync_controls()
        self._show_before()

    def set_images(self, images, names=None, index: int = 0) -> None:
        """Replace the images (named ``names`` in the menu) and show image ``index``.

        A container that owns the image choice (the Explorer) keeps this view on its images
        with it.

        Examples
        --------
        >>> dv.set_images(scenes, ["a", "b"], index=1)      # doctest: +SKIP
        """
        images = ImageList().validate(self, images)
        n = len(images)
        labels = [str(x) for x in (names or [])][:n]
        labels += numbered_names(self.lang, len(labels), n - len(labels))
        with self._suppressed():
            self.images = images
            self._labels = labels
            self.image_index = min(max(0, int(index)), max(0, n - 1))
        self._sync_controls()
        self._show_before()

    def _add_uploads(self, pictures) -> None:
        self.add_images([im for _, im in pictures],
                        [tr("ui.upload_n", self.lang, name=name) for name, _ in pictures])
        self._set_error(None)

    # ------------------------------------------------------------------------------ drawing
    def _dream_input(self) -> np.ndarray:
        """The current image as the model will dream on it: ``(h, w, c)`` float in [0, 1] at
        the model's size (fixed-size models) or shrunk to :attr:`max_side`, in the model's
        channels (a colour photo becomes grey for a grayscale model)."""
        if not self.images:
            raise ValueError(tr("dd.no_image", self.lang))
        image = self.images[self.image_index]
        _, mh, mw, c = self._input_shape
        if mh is None or mw is None:
            h, w_ = image.shape[:2]
            scale = min(1.0, self.max_side / max(h, w_))
            mh, mw = max(8, round(h * scale)), max(8, round(w_ * scale))
        return prepare_images(image, (None, mh, mw, c)).images[0]

    def _zoom(self, h: int, w_: int) -> int:
        return max(1, _PANEL_PX // max(h, w_))

    def _show_before(self) -> None:
        self.result = None
        try:
            x = self._dream_input()
        except Exception as exc:  # noqa: BLE001 - an unreadable image is shown, not raised
            self._before_px = None
            # Small panels that say there is no picture (the error line says why).
            empty = placeholder_pixels(48, 160, tr("ui.no_image_option", self.lang))
            self.before.set_tiles(empty, zoom=1, title="", caption="")
            self.after.set_tiles(empty, zoom=1, title="", caption="")
            self._set_error(exc)
            return
        px = display_pixels(x[None], stretch=False)[0]
        self._before_px = px
        zoom = self._zoom(*px.shape[:2])
        name = self._labels[self.image_index] if self.image_index < len(self._labels) else ""
        self.before.set_tiles(px[None], zoom=zoom,
                              title=tr("dd.before", self.lang, name=name), caption="")
        # The after panel, until Run: the before panel's size, saying what to do.
        waiting = placeholder_pixels(px.shape[0] * zoom, px.shape[1] * zoom,
                                     tr("dd.press_run", self.lang))
        self.after.set_tiles(waiting, zoom=1,
                             title=tr("dd.after", self.lang, layers=", ".join(self.layers)),
                             caption=tr("dd.press_run", self.lang))

    def _frame_pixels(self, image: np.ndarray) -> np.ndarray:
        """A dream frame as display bytes at the before image's size (earlier octaves are
        smaller: nearest-neighbour enlarged, so the panel keeps its size)."""
        px = display_pixels(np.asarray(image)[None], stretch=False)[0]
        if self._before_px is not None and px.shape[:2] != self._before_px.shape[:2]:
            H, W = self._before_px.shape[:2]
            h, w_ = px.shape[:2]
            px = px[(np.arange(H) * h) // H][:, (np.arange(W) * w_) // W]
        return px

    # ------------------------------------------------------------------------------ running
    def _settings(self) -> dict:
        # deepdream refuses arguments that cannot act: octave_scale needs 2+ octaves, and a
        # dream (no random start, no random transforms) has no seed.
        return dict(layers=list(self.layers), octaves=int(self.octaves),
                    octave_scale=float(self.octave_scale) if int(self.octaves) > 1 else None,
                    steps=int(self.steps), lr=float(self.step_size), preprocess=self.preprocess)

    def run(self) -> None:
        """Start dreaming on the current image in a worker thread (returns at once).

        A run in progress is cancelled first. :meth:`wait` blocks until it is over.

        Raises
        ------
        ValueError
            No layer is selected, or there is no image (also shown in the widget).
        """
        if not self.layers:
            raise ValueError(tr("dd.no_layer", self.lang))
        x = self._dream_input()
        self._show_before()
        settings = self._settings()
        layers = settings.pop("layers")
        self._set_error(None)
        # The job is the compute progress protocol: deepdream stops at its next step on Cancel
        # and its frames reach _on_frame throttled by the runner (no other throttle).
        self.run_panel.start(
            lambda job: compute.deepdream(self.model, x, layers, cancel=job.cancel_event,
                                          on_step=job, input_size=self.input_size, **settings),
            tr("dd.running", self.lang, octaves=settings["octaves"], steps=settings["steps"]),
            on_frame=self._on_frame, on_done=self._finish)

    def _run_clicked(self) -> None:
        try:
            self.run()
        except Exception as exc:  # noqa: BLE001 - a click must never raise into the comm
            self._set_error(exc)

    def cancel(self) -> None:
        """Stop the run before its next step (the dream so far stays shown)."""
        self.run_panel.cancel()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the current run is over; False on timeout."""
        return self.run_panel.wait(timeout)

    @property
    def seconds_running(self) -> float:
        """Seconds since the current (or last) Run was pressed."""
        return self.run_panel.seconds_running

    def _finish(self, res) -> None:
        """The current run returned (finished or cancelled): its last image and message."""
        done = int(np.isfinite(res.history[:, 0]).sum()) if res.history.size else 0
        self._show_frame(res.images[0], done, int(self.octaves) * int(self.steps),
                         float(res.score[0]))
        self.result = res
        sec = f"{self.seconds_running:.1f}"
        info = tr("dd.cancelled", self.lang, sec=sec) if res.cancelled else \
            tr("dd.done", self.lang, sec=sec, a=f"{float(res.start_score[0]):.4g}",
               b=f"{float(res.score[0]):.4g}")
        self.run_panel.end(info, res.cancelled)

    def _on_frame(self, done, total, images, scores) -> None:
        score = float(np.asarray(scores).reshape(-1)[0]) if np.size(scores) else np.nan
        self._show_frame(np.asarray(images)[0], int(done), int(total or 1), score)

    def _show_frame(self, image, done: int, total: int, score: float) -> None:
        px = self._frame_pixels(image)
        # The placeholder before the run was drawn at zoom 1: frames use the before panel's.
        self.after.set_tiles(px[None], zoom=self._zoom(*px.shape[:2]),
                             caption=tr("dd.at", self.lang, done=done, total=total,
                                        s=f"{score:.4g}"))

    # ------------------------------------------------------------------------------- export
    def _animated_display(self):
        return self.after

    def _export_settings(self) -> list:
        extra = [p.rsplit("/", 1)[-1] for p in self.layers[1:]]
        return extra + [f"oct{self.octaves}", f"steps{self.steps}", f"lr{self.step_size:g}"]
