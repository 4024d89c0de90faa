"""``GradCAMViewer``: why did the model say what it said? Grad-CAM family with an overlay view.

All model work goes through :mod:`convviz_widgets.compute.cam` (which caches the feature map of
each image, so a class switch re-runs only the head of the model); this module only turns its
float arrays into uint8 pixels and lays out controls. The overlay itself is an anywidget view
(``js/src/overlay.js``): image and heatmap on layered canvases, opacity and colormap applied in the
browser without a kernel round trip.
"""

from __future__ import annotations

import threading
from typing import Callable

import ipywidgets as w
import numpy as np
import traitlets

from ._base import View
from ._fit import fit_layout
from ._targets import class_names_for
from ._gradcam_display import DisplayMixin
from ._gradcam_gallery import GalleryMixin
from ._gradcam_inputs import InputsMixin
from ._gradcam_tasks import TasksMixin
from ._gradcam_trust import TrustMixin
from ._i18n import method_label, tr
from ._images import ImageList, check_image_index
from ._overlay import OVERLAY_COLORMAPS, OverlayView
from ._upload import ImageUpload
from ._raster import RasterView
from ._task import BackgroundTask
from ._fit import fit_layout

__all__ = ["GradCAMViewer", "OverlayView", "OVERLAY_COLORMAPS"]


#: Name of the bundled demo model (``convviz_widgets.datasets.train.build_model``).
_DEMO_MODEL_NAME = "shapes_vgg"


def _demo():
    """``(demo_model function, demo scenes)`` or ``(None, None)`` when the demo is not there."""
    try:
        from .._demo import demo_images, demo_model
    except ImportError:
        return None, None
    try:
        return demo_model, demo_images()
    except Exception:  # noqa: BLE001 - a missing data file must not break the viewer
        return demo_model, None


class GradCAMViewer(InputsMixin, DisplayMixin, GalleryMixin, TrustMixin, TasksMixin,
                    View):
    """See which regions of an image drove a Keras model's prediction, for any class.

    Controls: an image selector (thumbnails and a menu of the images given, the bundled demo
    scenes by default, plus Upload for your own picture), the model's top-k predictions with
    class names (click one to explain it), a class menu for any other class, a layer dropdown
    and a method dropdown listing every registered method (``cv.cam_methods()``: the CAM
    family and the pixel-level attributions). Signed maps (gradient × input, integrated
    gradients) are drawn on a diverging colormap centred on 0; pixel-level maps come at the
    image's resolution. The heatmap overlay has its own opacity slider and colormap menu that
    act in the browser; hovering shows the heatmap value (for a signed map, its value in the
    map's own units: negative where the pixel lowers the score).

    The *trust panel* scores the shown map: deletion and insertion curves and their areas
    against a random map (:func:`convviz_widgets.faithfulness`), on request or for every map
    (``trust_auto``).

    With ``compare=other_model`` the second model is explained side by side on the same image,
    the same class and (when it exists there) the same layer — e.g. a model trained with data
    augmentation against one without. With labels (``labels=``, or the demo scenes' own) the
    *Best and worst predictions* section ranks the labelled images and shows the most confident
    correct predictions and the worst mistakes, each with its heatmap; click one to open it.

    Quick methods are computed directly (a class switch re-runs only the model's head); long
    ones (Score-CAM, SmoothGrad, integrated gradients), the gallery and the trust panel run in
    worker threads with a progress bar and Cancel. Errors are shown inside the widget and the
    previous view stays.

    Parameters
    ----------
    model : keras.Model, optional
        Any built image model (sequential, functional, nested, subclassed). Default: the
        bundled demo model.
    images : array-like or list, optional
        ``(n, h, w, c)``, one image, or a list of images of any sizes (uint8, or float in
        [0, 1]). Default: the demo scenes. Images larger than 1024 pixels on their longer side
        are explained and shown at that size, as uploads are (the browser gets ~3 MB, not 48 MB,
        for a 12-megapixel photo); ``cv.gradcam`` works at any size.
    labels : array-like, optional
        ``(n,)`` class labels of ``images``, for the best/worst gallery (``(n, units)`` 0/1 for
        a multi-label sigmoid output).
    class_names : list of str, optional
        Names of the output classes. Default: the demo model's names for the demo model,
        otherwise ``"class 0"``, ``"class 1"``… A model ending in one sigmoid unit has two
        classes, 0 (probability ``1 - p``) and 1 (``p``): ``class_names=["cat", "dog"]``.
    output : int or str, optional
        For a model with several outputs, the one to explain (index or name).
    preprocess : callable, optional
        Display images (float32 tensor in [0, 1]) to model input, e.g.
        ``lambda x: keras.applications.vgg16.preprocess_input(x * 255)``.
    compare : keras.Model, optional
        A second model to explain side by side.
    compare_preprocess : callable, optional
        Its preprocessing (default: ``preprocess``).
    names : tuple of str
        Titles of the two overlays.
    compare_output : int or str, optional
        The output of ``compare`` to explain (default: ``output`` when it has several).
    layer, method, target : optional
        Initial values of the traits below; ``target`` may be a callable scoring the model
        output (see :func:`convviz_widgets.gradcam`), shown as "custom" in the class menu.
    top_k : int
        Number of predictions listed.
    colormap : str
        Initial overlay colormap of unsigned maps (any matplotlib name).
    signed_colormap : str
        Colormap of signed maps (a diverging one: 0 sits in its middle). Switching between
        signed and unsigned methods keeps a colormap picked in the overlay's menu while it is
        of the right kind (diverging for signed maps, sequential for the others).
    trust_auto : bool
        Score every new map in the trust panel (initial value of the trait).
    opacity : float
        Initial overlay opacity.
    size : int
        Display width of the overlay in CSS pixels.

    Attributes
    ----------
    image_index : int
        The shown image; settable. Changing it explains the new image's top-1 class.
    layer : str
        Path of the explained layer; settable (a path, unique name or layer object).
    method : str
        Registered CAM method name (``"gradcam"``, ``"gradcam++"``, ``"scorecam"``); settable.
    target : int, None or callable
        Explained class; ``None`` means the top-1 prediction; a callable explains its score;
        settable.
    images : list of ndarray
        The images to choose from.
    result, compare_result : CAMResult or None
        What is shown (for notebooks and tests).
    trust : dict or None
        The trust panel's scores of :attr:`result`: ``{"deletion": FaithfulnessResult,
        "insertion": FaithfulnessResult, "result": CAMResult, "steps": int}``; ``None`` until
        the shown map is scored.
    trust_auto : bool
        Score every new map at once (in the worker thread); settable.
    busy : bool
        True while a worker thread computes.
    overlay, compare_overlay : OverlayView
        The browser views.

    Examples
    --------
    >>> import convviz_widgets as cv
    >>> viewer = cv.GradCAMViewer()                                   # doctest: +SKIP
    >>> viewer.target = 2; viewer.method = "gradcam++"                # doctest: +SKIP
    >>> cv.GradCAMViewer(model_aug, images, compare=model_plain)      # doctest: +SKIP
    """

    _unsuitable = "has no spatial output to explain"
    images = ImageList()
    image_index = traitlets.Int(0)
    method = traitlets.Unicode("gradcam")
    target = traitlets.Any(None, allow_none=True)
    busy = traitlets.Bool(False)
    result = traitlets.Any(None)
    compare_result = traitlets.Any(None)
    trust = traitlets.Any(None, allow_none=True)
    trust_auto = traitlets.Bool(False)

    def __init__(self, model=None, images=None, *, labels=None, class_names=None,
                 preprocess: Callable | None = None, compare=None,
                 compare_preprocess: Callable | None = None,
                 names: tuple[str, str] | None = None, layer=None, method: str = "gradcam",
                 target=None, top_k: int = 5, colormap: str = "jet",
                 signed_colormap: str = "RdBu_r", trust_auto: bool = False,
                 opacity: float = 0.5, size: int = 288, image_labels=None, lang: str = "en",
                 output=None, compare_output=None, controls: bool = True, **kwargs):
        from ..compute import conv_layers, image_shaped, output_info
        from ..compute.cam import cam_methods, default_layer

        demo_model, scenes = _demo()
        is_demo = model is None
        if model is None:
            if demo_model is None:
                raise ValueError("No model given and the bundled demo model is not available; "
                                 "pass a Keras model: GradCAMViewer(model, images).")
            model = demo_model()
        uses_scenes = images is None and scenes is not None
        if uses_scenes:
            images = scenes.images
            labels = scenes.labels if labels is None else labels
        super().__init__(model, lang=lang, controls=controls, **kwargs)
        self.output = output
        self._custom_target = target if callable(target) else None
        # Which output is explained (None: all of them, for a callable target); a wrong choice
        # fails here with the list of outputs.
        self._oi = self._output_of(model, output, callable(target))
        self.compare_output = compare_output
        if compare is not None and compare_output is None and \
                self._output_of(compare, None, True) is None:
            self.compare_output = output  # a multi-output comparison model: the same choice
        self.preprocess = preprocess
        self.compare_model = compare
        self.compare_preprocess = compare_preprocess if compare_preprocess is not None \
            else preprocess
        self.top_k = int(top_k)
        self.trust_auto = bool(trust_auto)
        self._colormaps = {False: colormap, True: signed_colormap}
        self._capped_cache: dict[int, tuple] = {}
        # Long maps, the best/worst gallery and the trust panel run in coalescing workers: a
        # newer request of the same kind cancels the running one and replaces the waiting one.
        self._busy_lock = threading.Lock()
        self._cam_task = BackgroundTask("convviz-gradcam", on_progress=self._on_progress,
                                        on_idle=self._on_worker_idle)
        self._gallery_task = BackgroundTask("convviz-gradcam-gallery",
                                            on_progress=self._on_progress,
                                            on_idle=self._on_worker_idle)
        self.top: object | None = None
        self.gallery: dict | None = None

        self._layers = {i.path: i for i in conv_layers(model, kind="spatial")
                        if not i.is_container}
        if not self._layers:
            raise ValueError(f"Model {model.name!r} has no layer with a spatial output "
                             "(batch, height, width, channels); Grad-CAM needs one.")
        self._default_layer = default_layer(model)
        n_classes = self._n_classes(model, self.output, callable(target))
        # The demo's class names for the demo model (passed explicitly or by default) or for a
        # model shown on the demo scenes with as many classes.
        looks_demo = is_demo or uses_scenes or getattr(model, "name", "") == _DEMO_MODEL_NAME
        if class_names is None and scenes is not None and looks_demo and \
                n_classes == len(scenes.class_names):
            class_names = list(scenes.class_names)
        # One rule for every name a class gets (compute.class_labels): one name for a single
        # sigmoid unit is its positive class; a wrong count is refused with what to pass.
        self.class_names = class_names_for(model, class_names, self._oi if self._oi is not None
                                           else output, self.lang) \
            if self._oi is not None or class_names is None else [str(c) for c in class_names]
        # An image-shaped output (U-Net, segmentation) has no classes: its targets are regions.
        self.region_mode = self._oi is not None and image_shaped(output_info(model)[self._oi])
        self._box_region = None
        self._try_layer = None
        self.labels = None
        if labels is not None:
            lab = np.asarray(labels).astype(np.int64)
            # (n, units) 0/1 for a multi-label output; class indices otherwise.
            self.labels = lab if lab.ndim == 2 else lab.ravel()
        names = names or (getattr(model, "name", "model"),
                          getattr(compare, "name", "compare") if compare is not None else "")

        # -- controls ------------------------------------------------------------------------
        wide = {"description_width": "initial"}
        self._image_dd = w.Dropdown(description="image", style=wide,
                                    layout=w.Layout(width="260px"))
        self._upload = ImageUpload(accept="image/*", multiple=False, description="Upload",
                                   layout=fit_layout())
        self._upload.observe(self._on_upload, "value")
        self.thumbnails = RasterView(gap=3, labels=[tr("image", self.lang), "y", "x"],
                                     background="#ffffff")
        self.thumbnails.add_class("convviz-gradcam-thumbs")
        self.thumbnails.on_click(lambda tile, y, x: self._set_from_ui("image_index", tile))
        self._make_layer_controls(self._layers.values(), layer_width=340, style=wide)
        self._method_dd = w.Dropdown(options=[(method_label(name, label, self.lang), name)
                                              for name, label in cam_methods().items()],
                                     description="method", style=wide,
                                     layout=w.Layout(width="250px"))
        self._method_dd.add_class("convviz-gradcam-method")
        self._class_dd = w.Dropdown(options=self._class_options(), description=tr(
                                        "tg:region_menu", self.lang) if self.region_mode
                                    else "class",
                                    style=wide, layout=w.Layout(width="240px"))
        self._topk_box = w.VBox(layout=w.Layout(min_width="220px"))
        self._topk_buttons: list[w.Button] = []
        self._progress = w.FloatProgress(value=0.0, min=0.0, max=1.0, description="",
                                         layout=w.Layout(width="220px", visibility="hidden"))
        self._cancel_btn = w.Button(description="Cancel", button_style="warning",
                                    layout=fit_layout(visibility="hidden"))
        self._cancel_btn.on_click(lambda _b: self.cancel())

        words = {"opacity_label": tr("opacity", self.lang), "heat_label": tr("heat", self.lang)}
        words.update(colormap=colormap, signed_colormap=signed_colormap)
        self.overlay = OverlayView(width=int(size), opacity=float(opacity), title=names[0],
                                   group=f"gradcam-{id(self)}", **words)
        self.overlay.add_class("convviz-gradcam-main")
        views = [self.overlay]
        self.compare_overlay = None
        if compare is not None:
            self._compare_layers = {i.path for i in conv_layers(compare, kind="spatial")}
            self._compare_default = default_layer(compare)
            self.compare_overlay = OverlayView(width=int(size), opacity=float(opacity),
                                               title=names[1], group=f"gradcam-{id(self)}",
                                               **words)
            self.compare_overlay.add_class("convviz-gradcam-compare")
            views.append(self.compare_overlay)

        for control, trait in ((self._image_dd, "image_index"), (self._layer_dd, "layer"),
                               (self._method_dd, "method")):
            self._bind(control, trait)
        # The class menu's -1 is "top-1 prediction" (None), -2 the custom callable.
        self._bind(self._class_dd, "target", self._target_of_menu)

        # The box of a region target (image-shaped outputs only): rows and columns of the
        # shown image, explained on a click (a drag of the sliders must not run a CAM per step).
        self._box_rows = w.IntRangeSlider(description=tr("tg:rows", self.lang), min=0, max=1,
                                          value=(0, 1), continuous_update=False,
                                          style=wide, layout=w.Layout(width="300px"))
        self._box_cols = w.IntRangeSlider(description=tr("tg:cols", self.lang), min=0, max=1,
                                          value=(0, 1), continuous_update=False,
                                          style=wide, layout=w.Layout(width="300px"))
        self._box_btn = w.Button(description=tr("tg:explain_box", self.lang),
                                 layout=fit_layout())
        self._box_btn.add_class("convviz-region-box")
        self._box_btn.on_click(lambda _b: self._safe_box())
        self._box_bar = w.HBox([self._box_rows, self._box_cols, self._box_btn],
                               layout=w.Layout(flex_flow="row wrap",
                                               display="" if self.region_mode else "none"))
        children = [
            w.HTML(tr("gc_head", self.lang)),
            w.HBox([self._image_dd, self._upload]),
            self.thumbnails,
            w.HBox([self._layer_dd, self._method_dd, self._class_dd],
                   layout=w.Layout(flex_flow="row wrap")),
            w.HBox(views + [w.VBox([w.HTML("<b>" + tr("tg:region_head" if self.region_mode
                                                      else "top predictions", self.lang) +
                                           "</b>"),
                                    self._topk_box])],
                   layout=w.Layout(flex_flow="row wrap", align_items="flex-start")),
            self._box_bar,
            w.HBox([self._progress, self._cancel_btn]),
            self._status,
            self._build_trust_section(),
        ]
        self.gallery_best = self.gallery_worst = None
        if self.labels is not None:
            children.append(self._build_gallery_section(names))
        self.children = children
        self.add_class("convviz-gradcam-viewer")
        self._built()

        self._image_labels = list(image_labels) if image_labels is not None else None
        with self._suppressed():
            self.images = images if images is not None else []
            self.layer = self._default_layer if layer is None else layer
            self.method = method
            self.target = target
        if self.labels is not None and len(self.labels) > len(self.images):
            raise ValueError(f"Got {len(self.labels)} labels for {len(self.images)} images; "
                             "pass one label per image.")
        self._refresh_image_menu()
        self._render("init", {})

    # -- export -----------------------------------------------------------------------------
    def _export_excluded(self) -> list:
        """The image picker and the best/worst galleries are controls, not the figure."""
        out = [self.thumbnails]
        for views in getattr(self, "_gallery_views", {}).values():
            out += [views.get("best"), views.get("worst")]
        return out

    def _export_labels(self) -> dict:
        """Model · class (p) · method @ layer; the overlay's caption and image; the heat
        colour bar in the map's units (0 … 1, or ±scale for a signed map)."""
        from ..compute.cam import cam_methods
        from ..plotting import ColourBar

        labels = super()._export_labels()
        r = self.result
        if r is None:
            return labels
        cls = self._class_name(r.target)
        if r.probability is not None:
            cls += f" (p = {r.probability:.1%})"
        method = method_label(r.method, cam_methods().get(r.method, r.method), self.lang)
        labels["title"] = " · ".join([getattr(self.model, "name", "model"), cls,
                                      f"{method} @ {r.layer}"])
        names = self._image_names()
        image = names[self.image_index] if self.image_index < len(names) else ""
        labels["subtitle"] = self.overlay.caption + (
            " · " + tr("ex:image", self.lang, name=image) if image else "")
        ov = self.overlay
        cmap = ov.shown_colormap
        names_c = list(ov.colormaps)
        k = names_c.index(cmap) if cmap in names_c else 0
        colors = np.frombuffer(ov.luts, np.uint8)[k * 768:(k + 1) * 768].reshape(256, 3)
        labels["colorbar"] = ColourBar(colors, (0 - ov.value_zero) * ov.value_step,
                                       (255 - ov.value_zero) * ov.value_step, ov.heat_label)
        return labels

    # -- helpers ----------------------------------------------------------------------------
    def _safe_box(self) -> None:
        """The 'explain box' button: the sliders' box; a failure is shown, never raised."""
        try:
            (y0, y1), (x0, x1) = self._box_rows.value, self._box_cols.value
            self.set_region_box(y0, x0, y1 + 1, x1 + 1)
        except Exception as exc:  # noqa: BLE001 - shown in the view
            self._show_error(exc)

    def _sync_box_sliders(self) -> None:
        if not (self.region_mode and self.images):
            return
        h, w_ = self._image(self.image_index).shape[:2]
        for slider, n in ((self._box_rows, h), (self._box_cols, w_)):
            if slider.max != n - 1:
                slider.max = n - 1
                slider.value = (n // 4, (3 * n) // 4)

    def _sync_controls(self) -> None:
        self._sync_box_sliders()
        with self._quiet():
            names = self._image_names()
            if len(self._image_dd.options) != len(names):
                self._image_dd.options = [(n, i) for i, n in enumerate(names)]
            if self.images:
                self._image_dd.value = self.image_index
            self._layer_dd.value = self.layer
            self._method_dd.value = self.method
            if self._custom_target is not None and \
                    not any(v == -2 for _, v in self._class_dd.options):
                self._class_dd.options = self._class_options()
            if self.region_mode:
                options = self._class_options()
                if tuple(self._class_dd.options) != tuple(options):
                    self._class_dd.options = options
            self._class_dd.value = self._menu_value(self.target)
        self.thumbnails.selected = self.image_index if self.images else -1
        for k, b in enumerate(self._topk_buttons):
            b.button_style = "info" if self._is_shown_class(getattr(b, "_cv_class", None)) else ""

    # -- validation -------------------------------------------------------------------------
    @traitlets.validate("method")
    def _validate_method(self, proposal):
        from ..compute.cam import get_method

        try:
            return get_method(proposal["value"]).name
        except ValueError as exc:
            raise traitlets.TraitError(str(exc)) from None

    @traitlets.validate("target")
    def _validate_target(self, proposal):
        from ..compute import Region

        value = proposal["value"]
        if isinstance(value, Region):
            if not self.region_mode:
                raise traitlets.TraitError(
                    f"A Region explains an image-shaped output; model {self.model.name!r} "
                    "outputs classes here: pass a class index or None (top-1).")
            if value.kind == "box":
                self._box_region = value
            return value
        if self.region_mode and value is not None and not callable(value):
            raise traitlets.TraitError(
                f"The output of model {self.model.name!r} is an image: there is no class "
                f"{value!r} to explain. Pass a region: cv.Region() (the predicted foreground),"
                " cv.Region(kind='background'), cv.Region(box=(y0, x0, y1, x1)) or "
                "cv.Region(mask=...).")
        if callable(value):
            self._custom_target = value
            return value
        if value is None or value == -1:
            return None
        if self._oi is None:
            raise traitlets.TraitError(
                f"Model {self.model.name!r} has several outputs and the viewer explains a "
                "callable target over all of them; to pick a class, create the viewer with "
                "output= (an index or name).")
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
            raise traitlets.TraitError(f"target must be a class index, None (top-1) or a "
                                       f"callable, got {value!r}.")
        n = len(self.class_names)
        if not 0 <= int(value) < n:
            raise traitlets.TraitError(f"target {value} is out of range: the model has {n} "
                                       f"classes, use 0 to {n - 1} (or None for the top-1).")
        return int(value)

    @traitlets.validate("image_index")
    def _validate_image_index(self, proposal):
        return check_image_index(proposal["value"], len(self.images))

    # -- observers --------------------------------------------------------------------------
    @traitlets.observe("image_index")
    def _on_image(self, change):
        if self._suppress:
            return
        old_target = self.target
        with self._suppressed():
            self.target = None  # a new image: explain what the model says about it
        self._render("image", {"image_index": change["old"], "target": old_target})

    @traitlets.observe("layer", "method", "target")
    def _on_choice(self, change):
        self._render(change["name"], {change["name"]: change["old"]})

    @traitlets.observe("trust_auto")
    def _trust_auto_changed(self, change):
        self._on_trust_auto(change)

    @traitlets.observe("images")
    def _on_images(self, change):
        if self._suppress:
            return
        with self._suppressed():
            self.image_index = 0
        self._applied_state = None  # the old state's image index means another image now
        self._refresh_image_menu()
        self._render("images", {})

    # -- computing --------------------------------------------------------------------------
    def _state(self) -> dict:
        return {"image_index": self.image_index, "layer": self.layer, "method": self.method,
                "target": self.target}

    def _render(self, what: str, reverts: dict) -> None:
        from ..compute.cam import get_method

        if self._suppress or self._defer_render():
            return
        self._sync_controls()
        if not self.images:
            self._show_note(tr("no_image", self.lang))
            return
        state = self._state()
        if get_method(state["method"]).long_running:
            self._start_worker(self._cam_task, reverts,
                               lambda ev, step: self._prepare(state, step, ev), self._apply)
            return
        # A quick method replaces any long computation still running or waiting: that one
        # must not draw over this view when it ends.
        self._cam_task.cancel(supersede=True)
        self._on_worker_idle()
        self._transaction(what, reverts, lambda: self._prepare(state), self._apply)

    def _refresh(self) -> None:
        self._render("refresh", {})

    def _prepare(self, s: dict, on_step=None, cancel=None) -> dict:
        """Compute everything the new state shows; touches no widget (so failures are clean)."""
        from ..compute.cam import get_method, gradcam, reads_layer, top_predictions

        image = self._image(s["image_index"])
        # gradcam refuses a layer= the method cannot read (pixel methods): pass it only when read.
        uses_layer = reads_layer(get_method(s["method"]))
        result = gradcam(self.model, image, target=s["target"],
                         layer=s["layer"] if uses_layer else None,
                         method=s["method"], preprocess=self.preprocess, on_step=on_step,
                         cancel=cancel, output=self.output, input_size=self.input_size)
        from ._targets import is_flat

        try_layer = None
        if is_flat(result) and result.flag not in ("nonfinite_input", "constant_input",
                                                    "empty_region", "nonfinite_map"):
            from ..compute import layer_to_try

            # A blank map says nothing; name a layer where this target's map is not blank.
            try_layer = layer_to_try(self.model, image, target=result.target,
                                           method=s["method"], preprocess=self.preprocess,
                                           exclude=[result.layer], output=self.output)
        if result.flag == "nonfinite_input" or self._oi is None or self.region_mode:
            # The model was not run on a NaN image, or a callable explains all outputs at
            # once: there is no one list of classes to rank.
            top = None
        else:
            # The same cached forward pass as the heatmap's: no second model run.
            top = top_predictions(self.model, image, k=self.top_k, preprocess=self.preprocess,
                                  layer=s["layer"], output=self.output,
                                  input_size=self.input_size)
        payload = {"state": s, "top": top, "result": result, "try_layer": try_layer}
        if self.compare_model is not None:
            layer = s["layer"] if s["layer"] in self._compare_layers else self._compare_default
            target = result.target
            if not callable(target) and self._n_classes(
                    self.compare_model, self.compare_output) != len(self.class_names):
                target = None  # another label space: explain its own top class
            rc = gradcam(self.compare_model, image, target=target,
                         layer=layer if uses_layer else None,
                         method=s["method"], preprocess=self.compare_preprocess,
                         on_step=on_step, cancel=cancel, output=self.compare_output)
            payload["compare"] = rc
            if rc.flag != "nonfinite_input" and \
                    self._output_of(self.compare_model, self.compare_output, True) is not None:
                payload["compare_top"] = top_predictions(self.compare_model, image, k=1,
                                                         preprocess=self.compare_preprocess,
                                                         layer=layer,
                                                         output=self.compare_output)
        return payload

    def _apply(self, p: dict) -> int:
        r = p["result"]
        self._try_layer = p.get("try_layer")
        sent = self._show_map(self.overlay, r)
        if "compare" in p:
            rc = p["compare"]
            sent += self._show_map(self.compare_overlay, rc, p.get("compare_top"))
            self.compare_result = rc
        self.top = p["top"]
        self.result = r
        self._applied_state = dict(p["state"])
        self._build_topk(p["top"])
        self._sync_controls()
        self._show_error(None)
        self._trust_after_map()
        return sent
