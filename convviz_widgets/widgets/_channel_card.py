"""``ChannelCard``: everything about one channel on one card.

Its kernel, its feature map on the current image, its optimised pattern, the patches of a data
set that excite it most (click one: that image becomes the current image), how often it fires
on that data, and where it ranks among the Grad-CAM weights of the current image's predicted
class. The two slow parts (the optimised pattern, mining the data set) run in the background;
everything else is shown at once.
"""

from __future__ import annotations

import html
import threading

import ipywidgets as w
import numpy as np
import traitlets

from .. import display
from .. import compute
from ..compute import activations, conv_layers, kernels, split_images
from ..compute.maximize import pattern_size
from ..datasets import CLASS_NAMES
from ..display.scaling import scale_tiles
from .._demo import demo_images, demo_model
from ._base import LayerViewer
from ._examples_source import ExampleSource
from ._targets import class_names_for, target_label
from ..i18n import tr
from ._view_error import ViewError
from ._images import model_input_shape
from ._overlay import OverlayView
from ._placeholder import placeholder_pixels
from ._pixels import lut_bytes, quantize, to_rgb_u8
from ._raster import RasterView
from ._jobs import JobRunner, wait_all

#: Display size of the kernel / map / pattern panels (CSS pixels, about).
_PANEL_PX = 192
#: Input slices of a kernel shown at most (a deep layer reads hundreds).
_MAX_SLICES = 64


class ChannelCard(LayerViewer):
    """One channel of a layer: kernel, feature map, pattern, dataset examples, firing, rank.

    Parameters
    ----------
    model : keras.Model, optional
        Any style (sequential, functional, nested, subclassed, grayscale). Default: the
        bundled demo model, mined over the demo's 2,000 generated scenes (cached on disk after
        the first use, see :func:`convviz_widgets.demo_dataset_examples`).
    data : optional
        The data set to mine: an array or list of images, a folder (class subfolders give
        labels), a list of files or a ``tf.data.Dataset``. Mined once, all layers in one pass,
        in the background.
    labels, class_names : optional
        Labels of ``data`` and names of the classes (also used for the predicted class).
    examples : DatasetExamples or dict, optional
        Summaries already mined (e.g. loaded with ``DatasetExamples.load``).
    image : array-like, optional
        The current image (default: the first demo scene for the demo model).
    layer, filter_index : optional
        The channel shown.
    preprocess : callable, optional
        Display images -> model input, as everywhere in the package.
    source : ExampleSource, optional
        A shared source of examples instead of ``data``/``examples`` (how the Explorer and
        the browser hand theirs over, so a data set is mined once).
    active : bool
        Initial :attr:`active`.
    steps : int, optional
        Optimisation steps of the pattern (default: :func:`convviz_widgets.maximize`'s, whose
        cache the Explorer's Patterns page shares).
    lang : {"en", "es", "pt"}
    controls : bool
        Show the card's own layer menu and channel slider.

    Attributes
    ----------
    layer : str
        Path of the layer; settable.
    filter_index : int
        The channel; settable.
    image : ndarray or None
        The current image (a display image); settable. A click on a dataset patch sets it.
    picked : int
        Data-set index of the patch clicked last (-1 before any click). A container (the
        Explorer) observes it to make that image its current image; ``picked_name`` is that
        image's name (file name or ``#index``, and class).
    active : bool
        Whether the card is on screen (see :class:`View`). A container that hides it sets
        False: nothing is computed or drawn until it is shown again.
    examples : DatasetExamples or None
        The summary of the current layer, once mined.
    kernel_view, pattern_view, examples_view : RasterView
    map_view : OverlayView

    Examples
    --------
    >>> import convviz_widgets as cv
    >>> card = cv.ChannelCard()                                       # doctest: +SKIP
    >>> card.layer, card.filter_index = "block3_conv1", 12            # doctest: +SKIP
    >>> card                                                          # doctest: +SKIP
    """

    image = traitlets.Any(None, allow_none=True)
    picked = traitlets.Int(-1)

    def __init__(self, model=None, data=None, *, labels=None, class_names=None, examples=None,
                 image=None, layer=None, filter_index: int = 0, preprocess=None, source=None,
                 active: bool = True, steps: int | None = None, **kwargs):
        demo = model is None
        if demo:
            model = demo_model()
        super().__init__(model, **kwargs)
        infos = [i for i in conv_layers(model, kind="spatial") if not i.is_container]
        if not infos:
            raise ValueError(f"Model {getattr(model, 'name', '')!r} has no layer with a feature "
                             "map (batch, height, width, channels): it has no channel to show.")
        self._layers = {i.path: i for i in infos}
        self.preprocess = preprocess
        self.steps = steps
        self.source = source if source is not None else ExampleSource(
            model, data, labels=labels, class_names=class_names, examples=examples,
            preprocess=preprocess, demo=demo and data is None and examples is None,
            input_size=self.input_size)
        if class_names is None and (demo or self.source.demo):
            class_names = list(CLASS_NAMES)
        # The same naming as every view: one name for one sigmoid unit is its positive class.
        self.class_names = list(class_names) if class_names is not None else None
        if class_names is not None:
            try:
                self.class_names = class_names_for(model, class_names, None, self.lang)
            except ValueError:
                pass  # names of the data's labels, not of the model's classes: kept as given
        self.examples = None
        # Two runners: mining a dataset (long, once per layer) and the channel's details (rank,
        # pattern; the newest channel wins) must not cancel each other.
        self._detail_jobs = JobRunner("convviz-card-detail")
        self._mine_jobs = JobRunner("convviz-card-mine", on_progress=self._on_mine_progress)
        self._mining = False
        self._mine_lock = threading.Lock()
        self.picked_name = ""  # menu name of the image picked last
        self._on_mined: list = []  # callbacks waiting for the examples (see on_examples)
        self._patterns: dict = {}  # (layer, f) -> (image, activation), the card's own memo

        self._make_layer_controls(infos, "channel", layer_width=420, slider_width=400)
        self._head = w.HTML()
        self._fires = w.HTML(layout=w.Layout(min_height="1.4em"))
        self._rank_line = w.HTML(layout=w.Layout(min_height="1.4em"))
        self._kernel_note = w.HTML()
        self.kernel_view = RasterView(lang=self.lang, tile_label=tr("cc.slice", self.lang),
                                      lut=lut_bytes("RdBu_r"), colorbar=True, columns=8,
                                      value_unit=tr("hover.weight", self.lang))
        self.map_view = OverlayView(lang=self.lang, width=_PANEL_PX, title=tr("cc.map", self.lang),
                                    opacity_label=tr("ui.opacity", self.lang),
                                    heat_label=tr("cc.map", self.lang), controls=False)
        self.pattern_view = RasterView(lang=self.lang, tile_label="", gap=0,
                                       title=tr("cc.pattern", self.lang))
        self.examples_view = RasterView(lang=self.lang, tile_label="", frame="#888", gap=3)
        self._progress = w.FloatProgress(min=0.0, max=1.0, layout=w.Layout(width="300px",
                                                                           display="none"))
        self._examples_note = w.HTML()
        # Role classes: for user CSS, the browser tests and the widget tests' driver.
        for view, cls in ((self.kernel_view, "kernel"), (self.map_view, "map"),
                          (self.pattern_view, "pattern"), (self.examples_view, "examples"),
                          (self._head, "head"), (self._fires, "fires"),
                          (self._rank_line, "rank-line"), (self._kernel_note, "kernel-note"),
                          (self._examples_note, "examples-note")):
            view.add_class(f"convviz-card-{cls}")
        self.examples_view.on_click(self._on_patch_click)

        self._bind(self._layer_dd, "layer")
        self._bind(self._slider, "filter_index")
        panels = w.HBox([w.VBox([self._kernel_note, self.kernel_view]), self.map_view,
                         self.pattern_view], layout=w.Layout(flex_flow="row wrap",
                                                             align_items="flex-start"))
        self.children = [w.HBox([self._layer_dd, self._slider]), self._head, self._fires,
                         self._rank_line, panels, self._progress, self._examples_note,
                         self.examples_view, self._status]
        self.add_class("convviz-channel-card")
        self._built()

        if image is None and demo:
            image = demo_images().images[0]
        with self._suppressed():
            self.active = active
            self.image = image
            self.layer = infos[-1].path if layer is None else layer
            self.filter_index = filter_index
        self._render("init", {})

    # -- traits -------------------------------------------------------------------------------
    def _count(self, path=None) -> int:
        return int(self._layers[path or self.layer].channels)

    @traitlets.validate("image")
    def _validate_image(self, proposal):
        value = proposal["value"]
        if value is None:
            return None
        try:
            # The package's one image rule: a path is read, (1, h, w, c) is one picture.
            images = split_images(value, model_input_shape(self))
        except (ValueError, TypeError, OSError) as exc:
            raise traitlets.TraitError(str(exc)) from exc
        if len(images) != 1 or images[0].size == 0:
            raise ViewError("cc_one_image", n=len(images))
        return images[0]

    @traitlets.observe("layer", "filter_index", "image")
    def _on_change(self, change):
        if change["name"] == "layer" and self.filter_index >= self.channels:
            with self._suppressed():
                self.filter_index = 0
        self._render(change["name"], {change["name"]: change["old"]})

    def _sync_controls(self) -> None:
        with self._quiet():
            self._sync_layer_controls()

    # -- rendering ----------------------------------------------------------------------------
    def _render(self, what: str, reverts: dict) -> None:
        # Hidden: no map, no pattern, no mining until shown (then one _refresh).
        if self._suppress or self._defer_render():
            return
        state = {"layer": self.layer, "filter_index": int(self.filter_index), "image": self.image}
        self._transaction(what, reverts, lambda: self._prepare(state), self._apply)
        self._applied_state = dict(state)
        self._sync_controls()
        self._start_background()

    def _prepare(self, s: dict) -> dict:
        """Everything that is quick: kernel slices, the map on the image, the examples."""
        path, f = s["layer"], s["filter_index"]
        info = self._layers[path]
        p = {"layer": path, "f": f, "kernel": None, "map": None}
        if info.has_kernel:
            k = kernels(self.model, path)[..., f]  # (kh, kw, cin)
            tiles = np.moveaxis(k, -1, 0)[:_MAX_SLICES]  # (n, kh, kw)
            sc = scale_tiles(tiles[None], "symmetric", flat=0.5)  # one group: signs comparable
            p["kernel"] = (quantize(sc.values[0]), float(sc.lo[0]), float(sc.hi[0]),
                           len(tiles), k.shape[-1])
        if s["image"] is not None:
            acts = activations(self.model, s["image"], [path], self.preprocess,
                               input_size=self.input_size)
            m = np.asarray(acts[path][0][..., f], np.float32)  # (h, w)
            r, c = np.unravel_index(int(np.argmax(m)), m.shape)
            pos = np.maximum(m, 0.0)
            heat = scale_tiles(pos[None], "per_slice", flat=0.0).values[0]
            p["map"] = (acts.images[0], heat, float(m.max()), int(r), int(c))
        p["examples"] = self.source.get(path)
        return p

    def _apply(self, p: dict) -> int:
        lang, path, f = self.lang, p["layer"], p["f"]
        sent = 0
        self._head.value = f"<b>{html.escape(tr('cc.head', lang, layer=path, f=f))}</b>"
        if p["kernel"] is not None:
            codes, lo, hi, n, m = p["kernel"]
            kh, kw = codes.shape[1:]
            zoom = max(2, min(16, 24 // max(kh, kw)))
            title = tr("cc.kernel", lang, n=n) if n == m else \
                tr("cc.kernel_some", lang, n=n, m=m)
            self.kernel_view.set_tiles(codes, lo, hi, stacked=True, zoom=zoom,
                                       columns=min(8, n), title=title)
            self.kernel_view.layout.display = None
            self._kernel_note.value = ""
            sent += codes.nbytes
        else:
            self.kernel_view.layout.display = "none"
            self._kernel_note.value = html.escape(tr("cc.no_kernel", lang, layer=path))
        if p["map"] is not None:
            image, heat, top, r, c = p["map"]
            cap = tr("cc.map_max", lang, v=f"{top:.3g}", r=r, c=c) if top > 0 else \
                tr("cc.map_silent", lang)
            sent += self.map_view.set_overlay(image, heat, caption=cap)
            self.map_view.layout.display = None
        else:
            self.map_view.layout.display = "none"
            self._show_note(tr("cc.no_image", lang))
        self._show_pattern(path, f)
        self._show_examples(p["examples"])
        return sent

    def _show_pattern(self, path: str, f: int) -> None:
        h, w_ = self.model_input_hw
        zoom = max(1, _PANEL_PX // max(h, w_))
        got = self._patterns.get((path, f))
        if got is None:
            # Until the pattern arrives the panel says so inside it (not a flat grey square).
            wait = tr("cc.pattern_wait", self.lang)
            self.pattern_view.set_tiles(placeholder_pixels(h * zoom, w_ * zoom, wait), zoom=1,
                                        caption=wait)
        else:
            image, act = got
            # Shown the lesson's way, as the maximizer's gallery and the figures show patterns
            # (display.deprocess_tiles): a raw [0, 1] pattern is often clipped black and white.
            shown = display.deprocess_tiles(np.asarray(image)[None])[0]
            self.pattern_view.set_tiles(to_rgb_u8(shown)[None], zoom=zoom,
                                        caption=tr("cc.pattern_act", self.lang, v=f"{act:.3g}"))

    @property
    def model_input_hw(self) -> tuple[int, int]:
        """The pattern's size: the model's input size (128 for fully convolutional models)."""
        return pattern_size(self.model, None) if self.input_size is None else self.input_size

    def _show_examples(self, ex) -> None:
        lang = self.lang
        self.examples = ex
        if ex is None:
            self.examples_view.layout.display = "none"
            self._fires.value = ""
            self._examples_note.value = html.escape(tr(self.source.note_key(self.layer), lang))
            return
        row = ex.row(self.filter_index)
        valid = ex.index[row] >= 0
        n = int(valid.sum())
        self._examples_note.value = html.escape(tr("cc.examples", lang, k=n,
                                                   n=f"{ex.n_images:,}"))
        if getattr(ex, "global_context", False):  # say what a patch leaves out
            self._examples_note.value += "<br><i>" + html.escape(tr("cc.global", lang)) + "</i>"
        if n:
            patches = ex.patches[row][valid]
            self.examples_view.set_tiles(patches, 0.0, 255.0, columns=n, zoom=2,
                                         caption=self._classes_of(ex, row))
            self.examples_view.layout.display = None
        else:
            self.examples_view.layout.display = "none"
        if ex.fired[row] == 0:
            text = tr("cc.never", lang, n=f"{ex.n_images:,}")
            self._fires.value = f"<b style='color:#b00'>{html.escape(text)}</b>"
        else:
            rate = f"{100 * ex.firing_rate[row]:.0f}%"
            self._fires.value = html.escape(tr("cc.fires", lang, p=rate, n=f"{ex.n_images:,}"))

    def _classes_of(self, ex, row: int) -> str:
        """``top 9 by class: 7 circle, 2 star`` (empty without labels)."""
        if not (ex.labels[row] >= 0).any():
            return ""
        hist = ex.histogram(row)
        names = ex.class_names or self.class_names or []
        parts = [f"{int(hist[c])} {names[c] if c < len(names) else c}"
                 for c in np.argsort(-hist, kind="stable") if hist[c]]
        return tr("cc.classes", self.lang, k=int(hist.sum()), h=", ".join(parts))

    # -- background: pattern, rank, mining ------------------------------------------------------
    def _start_background(self) -> None:
        with self._mine_lock:
            start = self.examples is None and self.source.can_mine(self.layer) and \
                not self._mining
            self._mining = self._mining or start
        if start:
            self._progress.layout.display = None
            self._mine_jobs.start(self._mine)
        self._rank_line.value = ""
        if self._defer_render():  # pattern and rank wait until the card is shown
            return
        state = (self.layer, int(self.filter_index), self.image)
        self._detail_jobs.start(lambda job: self._details(job, *state))

    def _refresh(self) -> None:
        self._render("refresh", {})

    def _mine(self, job) -> None:
        try:
            self.source.mine(on_step=lambda d, t: job.on_step(d, t or d),
                             cancel=job.cancel_event)
        except Exception as exc:  # noqa: BLE001 - shown in the card; the rest keeps working
            self._show_error(exc, "")
        finally:
            with self._mine_lock:
                self._mining = False
                waiting, self._on_mined = self._on_mined, []
            self._progress.layout.display = "none"
        if job.current:
            self._show_examples(self.source.get(self.layer))
        for callback in waiting:
            callback()

    def on_examples(self, callback) -> None:
        """Call ``callback()`` when the running mining ends (at once if the current layer is
        already mined; never if there is nothing to mine)."""
        with self._mine_lock:
            if self._mining:
                self._on_mined.append(callback)
                return
        if self.source.get(self.layer) is not None:
            callback()

    def _on_mine_progress(self, fraction: float) -> None:
        self._progress.value = fraction

    def _details(self, job, path: str, f: int, image) -> None:
        """Grad-CAM rank (quick), then the optimised pattern (slow, once per channel)."""
        if image is not None:
            text = self._rank_text(path, f, image)
            if not job.current:
                return
            self._rank_line.value = text
        if (path, f) in self._patterns:
            return
        try:
            res = compute.maximize(self.model, path, [f], preprocess=self.preprocess,
                                   steps=self.steps, cancel=job.cancel_event,
                                   input_size=self.input_size)
        except Exception as exc:  # noqa: BLE001 - shown; kernel, map and examples stay
            if job.current:
                self._show_error(exc, "")
            return
        if len(res.filters) and not res.cancelled:
            self._patterns[(path, f)] = (res.images[0], float(res.activation[0]))
        if job.current and (self.layer, int(self.filter_index)) == (path, f):
            self._show_pattern(path, f)

    def _rank_text(self, path: str, f: int, image) -> str:
        try:
            res = compute.gradcam(self.model, image, layer=path, preprocess=self.preprocess,
                                  input_size=self.input_size)
            weights = np.asarray(res.weights).reshape(-1)
            if f >= weights.size:
                raise ValueError(f"Grad-CAM gave {weights.size} weights for {path!r}.")
        except Exception as exc:  # noqa: BLE001 - e.g. a model without class scores
            why = str(exc).split("\n")[0][:160]
            return "<span style='color:#555'>" + html.escape(
                tr("cc.rank_none", self.lang, why=why)) + "</span>"
        order = np.argsort(-weights, kind="stable")  # rank 1 = largest positive weight
        rank = int(np.flatnonzero(order == f)[0]) + 1
        cls = target_label(res.target, self.class_names, self.lang)
        return "<span class='convviz-card-rank'>" + html.escape(tr(
            "cc.rank", self.lang, cls=cls, rank=rank, n=weights.size,
            wt=f"{float(weights[f]):.3g}")) + "</span>"

    def _on_patch_click(self, tile: int, y: int, x: int) -> None:
        self._safe(lambda: self.pick(tile))

    def pick(self, rank: int) -> None:
        """Make example ``rank`` (0 = strongest) of the current channel the current image,
        as a click on its patch does."""
        ex = self.examples
        if ex is None:
            raise ViewError("cc_no_examples")
        row = ex.row(self.filter_index)
        valid = np.flatnonzero(ex.index[row] >= 0)
        if not 0 <= rank < len(valid):
            raise ViewError("cc_pick_range", n=len(valid), last=len(valid) - 1)
        slot = int(valid[rank])
        image = self.source.image(ex, row, slot)
        self.picked_name = self.source.name(ex, row, slot)
        self.picked = -1  # so that picking the same image again is a change too
        self.image = image
        self.picked = int(ex.index[row, slot])
        self._show_note(tr("cc.picked", self.lang, name=self.picked_name))

    def wait(self, timeout: float | None = None) -> bool:
        """Block until mining, the rank and the pattern are done; False on timeout."""
        return wait_all([self._mine_jobs, self._detail_jobs], timeout)
