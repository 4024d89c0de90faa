"""``GradCAMViewer``: why did the model say what it said? Grad-CAM family with an overlay view.

All model work goes through :mod:`convviz_widgets.compute.cam` (which caches the feature map of
each image, so a class switch re-runs only the head of the model); the overlay is an anywidget
view (``js/src/overlay.js``) that applies opacity and colormap in the browser. Components talk
to it through traits and callbacks: image chooser and names (:mod:`._gradcam_inputs`), target
picker and overlays (:mod:`._gradcam_display`), trust panel (:mod:`._gradcam_trust`), best/worst
gallery (:mod:`._gradcam_gallery`), and the job bar that runs their jobs (:mod:`._gradcam_tasks`).
"""

from __future__ import annotations

from typing import Callable

import ipywidgets as w
import numpy as np
import traitlets

from ..compute.cam import get_method
from ._base import View
from ._gradcam_display import (TargetPicker, check_method, make_overlays, map_labels,
                               method_menu, show_maps)
from ._gradcam_explain import Subjects, model_and_images
from ._gradcam_gallery import BestWorstGallery
from ._gradcam_inputs import ImageChooser, ImageNames, check_labels
from ._gradcam_tasks import JobBar
from ._gradcam_trust import TRUST_STEPS, TrustPanel
from ..i18n import tr
from ._images import ImageList, check_image_index
from ._overlay import OVERLAY_COLORMAPS, OverlayView
from ._targets import to_compute

__all__ = ["GradCAMViewer", "OverlayView", "OVERLAY_COLORMAPS"]


class GradCAMViewer(View):
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

    The *trust panel* scores the shown map (:meth:`check_faithfulness`), on request or for
    every map (``trust_auto``).

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
    compare, compare_preprocess, compare_output : optional
        A second model to explain side by side, its preprocessing (default: ``preprocess``)
        and output (default: ``output`` when it has several).
    names : tuple of str
        Titles of the two overlays.
    layer, method, target, trust_auto : optional
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
    target : int, None, callable or Region
        Explained class; ``None`` (or ``"top-1"``) means the top-1 prediction — for an
        image-shaped output the predicted foreground; a callable explains its score; a
        :class:`~convviz_widgets.compute.Region` a region of an image-shaped output; settable.
    images : list of ndarray
        The images to choose from.
    result, compare_result : CAMResult or None
        What is shown (for notebooks and tests).
    trust : dict or None
        The trust panel's scores of :attr:`result` (see :meth:`check_faithfulness`); ``None``
        until the shown map is scored.
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

    _unsuitable = "layer_not_spatial"
    images = ImageList()
    image_index = traitlets.Int(0)
    method = traitlets.Unicode("gradcam")
    target = traitlets.Any(None, allow_none=True)
    busy = traitlets.Bool(False)
    result = traitlets.Any(None)
    compare_result = traitlets.Any(None)
    trust = traitlets.Any(None, allow_none=True)
    trust_auto = traitlets.Bool(False)
    #: Steps of the trust panel's deletion and insertion curves (33 images each, one batch).
    trust_steps = TRUST_STEPS

    def __init__(self, model=None, images=None, *, labels=None, class_names=None,
                 preprocess: Callable | None = None, compare=None,
                 compare_preprocess: Callable | None = None,
                 names: tuple[str, str] | None = None, layer=None, method: str = "gradcam",
                 target=None, top_k: int = 5, colormap: str = "jet",
                 signed_colormap: str = "RdBu_r", trust_auto: bool = False,
                 opacity: float = 0.5, size: int = 288, image_labels=None, lang: str = "en",
                 output=None, compare_output=None, controls: bool = True, **kwargs):
        model, images, labels, class_names = model_and_images(model, images, labels,
                                                              class_names, output, target)
        super().__init__(model, lang=lang, controls=controls, **kwargs)
        self._setup(class_names, target, preprocess, output, compare, compare_preprocess,
                    compare_output)
        self.top_k = int(top_k)
        self.trust_auto = bool(trust_auto)
        self._colormaps = {False: colormap, True: signed_colormap}
        self.top: object | None = None
        self.naming = ImageNames(labels, image_labels, self.targets.name, self.lang)
        self.labels = self.naming.labels
        names = names or (getattr(model, "name", "model"),
                          getattr(compare, "name", "compare") if compare is not None else "")
        self._build(names, layer, colormap, signed_colormap, opacity, size)

        with self._suppressed():
            self.images = images if images is not None else []
            self.layer = self._subjects.main.default if layer is None else layer
            self.method = method
            self.target = target
        check_labels(self.labels, len(self.images))
        self._refresh_images()
        self._render("init", {})

    # -- construction -------------------------------------------------------------------------
    def _setup(self, class_names, target, preprocess, output, compare, compare_preprocess,
               compare_output) -> None:
        """What the viewer explains: the models, the output's classes (or regions), the layers
        to choose (:class:`._gradcam_explain.Subjects`)."""
        self._subjects = s = Subjects.of(self.model, preprocess, output, self.input_size, compare,
                                         compare_preprocess, compare_output, target, class_names,
                                         self.lang)
        self.preprocess, self.output, self.compare_model = preprocess, output, compare
        self.compare_preprocess = preprocess if compare_preprocess is None else compare_preprocess
        self.compare_output = getattr(s.compared, "output", compare_output)
        self._layers, self.targets = s.layers, s.targets
        self.class_names, self.region_mode = s.targets.class_names, s.targets.region_mode

    def _build(self, names, layer, colormap, signed_colormap, opacity, size) -> None:
        """The components and the layout."""
        self.chooser = ImageChooser(self.lang, lambda i: self._set_from_ui("image_index", i),
                                    self._add_uploads, self._show_error)
        self.thumbnails = self.chooser.thumbnails
        self._make_layer_controls(self._layers.values(), layer_width=340,
                                  style={"description_width": "initial"})
        self._bind(self._layer_dd, "layer")
        self._method_dd = method_menu(self.lang)
        self._bind(self._method_dd, "method")
        self.picker = TargetPicker(self.lang, self.region_mode,
                                   lambda c: self._set_from_ui("target", to_compute(c)),
                                   lambda *box: self._safe(lambda: self.set_region_box(*box)))
        self.jobs = JobBar(("cam", "gallery", "trust"), self._show_error, self.lang)
        traitlets.dlink((self.jobs, "busy"), (self, "busy"))

        overlays = make_overlays(names[:1 if self.compare_model is None else 2], size, opacity,
                                 colormap, signed_colormap, self.lang, f"gradcam-{id(self)}")
        self.overlay, self.compare_overlay = (overlays + [None])[:2]

        self.trust_panel = TrustPanel(self.lang, lambda: self._safe(self.check_faithfulness),
                                      self.targets.name)
        traitlets.link((self, "trust_auto"), (self.trust_panel, "auto"))
        traitlets.dlink((self.trust_panel, "trust"), (self, "trust"))
        children = [
            w.HTML(tr("gc.head", self.lang)),
            self.chooser,
            w.HBox([self._layer_dd, self._method_dd, self.picker.menu],
                   layout=w.Layout(flex_flow="row wrap")),
            w.HBox(overlays + [self.picker],
                   layout=w.Layout(flex_flow="row wrap", align_items="flex-start")),
            self.picker.box_bar,
            self.jobs,
            self._status,
            self.trust_panel,
        ]
        g = self.best_worst = None if self.labels is None else BestWorstGallery(
            self.lang, names, self.compare_model is not None,
            lambda: self._safe(self.find_best_and_worst),
            lambda i: self._set_from_ui("image_index", i))
        # Its rasters and captions, public (None without labels).
        self.gallery_best, self.gallery_worst, self.gallery_captions, \
            self.compare_gallery_best, self.compare_gallery_worst = \
            (g.best, g.worst, g.captions, g.compare_best, g.compare_worst) if g is not None \
            else (None,) * 5
        self.children = children + ([g] if g is not None else [])
        self.add_class("convviz-gradcam-viewer")
        self._built()

    def _own_controls(self) -> list:
        """``controls=False`` hides the layer menu, the image menu and Upload."""
        chooser = getattr(self, "chooser", None)
        return [c for c in (getattr(self, "_layer_dd", None),
                            chooser and chooser.bar) if c is not None]

    # -- public methods -----------------------------------------------------------------------
    @property
    def gallery(self) -> dict | None:
        """What the best/worst gallery shows: ``{"best", "worst": image indices, "ranking",
        "by", "areas", "method"}`` (plus ``"compare"``); None until ranked."""
        return None if self.best_worst is None else self.best_worst.gallery

    @property
    def worker_stats(self) -> dict:
        """How many heatmap requests were submitted, started, dropped unstarted, failed."""
        return self.jobs.runners["cam"].stats

    def cancel(self) -> None:
        """Stop a running long heatmap, gallery or faithfulness computation (the previous view
        stays)."""
        self.jobs.cancel()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until no computation runs or waits (for scripts and tests); False on timeout."""
        return self.jobs.wait(timeout)

    def target_name(self, target) -> str:
        """What the views call ``target`` (a class index, a Region, a callable), in the view's
        language: ``"not star"``, ``"region: foreground (812 px)"``…"""
        return self.targets.name(target)

    def set_region_box(self, y0: int, x0: int, y1: int, x1: int) -> None:
        """Explain a box of the output (what drawing a box on the image does).

        Parameters
        ----------
        y0, x0, y1, x1 : int
            Corners in *image* pixels (the shown image), end exclusive; converted to the
            output's pixels.

        Examples
        --------
        >>> v = cv.GradCAMViewer(unet, images)        # doctest: +SKIP
        >>> v.set_region_box(10, 10, 40, 60)          # doctest: +SKIP
        """
        self.target = self.targets.box_region(self._image(self.image_index).shape[:2],
                                              y0, x0, y1, x1)

    def check_faithfulness(self, wait: bool = False, steps: int | None = None) -> None:
        """Score the shown map: deletion and insertion curves against a random map.

        With a comparison model (``compare=``) its map is scored too, on its own model, and
        both rows of curves and areas are shown. Runs in a worker thread (progress and
        Cancel); the result lands in :attr:`trust` (``{"deletion": FaithfulnessResult,
        "insertion": FaithfulnessResult, "result": the CAMResult scored, "steps": int}``, plus
        ``"compare"``: the same three keys for the comparison map). ``wait=True`` blocks until
        done.
        """
        job = self.trust_panel.job(
            [(None, self._subjects.main, self.result),
             ("compare", self._subjects.compared, self.compare_result)],
            lambda: self._image(self.image_index), int(steps or self.trust_steps),
            lambda: (self.result, self.compare_result),
            (self.overlay.title, getattr(self.compare_overlay, "title", "")),
            lambda: self._show_error(None))
        if job is None:
            return
        self._run_job("trust", {}, *job)
        if wait:
            self.wait()

    def find_best_and_worst(self, n: int = 4, wait: bool = False, by: str | None = None) -> None:
        """Rank the labelled images and show the ``n`` best and ``n`` worst, with heatmaps.

        Every map is drawn with the viewer's current method (its name is in the gallery's
        titles). ``by="confidence"`` (the menu's default): the surest correct predictions and the
        worst mistakes. ``by="deletion"``: the maps whose
        deletion area (:func:`convviz_widgets.faithfulness`, 16 steps, the predicted class) is
        lowest (most faithful) and highest. A comparison model with the same classes is ranked
        too and shown beside. Runs in the worker thread (progress and Cancel); ``wait=True``
        blocks until done.
        """
        if self.labels is None:
            raise ValueError("The gallery needs labels: GradCAMViewer(model, images, "
                             "labels=...).")
        labelled = [self._image(i) for i in range(min(len(self.images), len(self.labels)))]
        self._run_job("gallery", {}, *self.best_worst.job(
            self._subjects.main, self._subjects.compared if self._subjects.same_classes
            else None, self.layer,
            labelled, self.labels[:len(labelled)], n, by, self.method,
            (self._colormaps[False], self._colormaps[True], self.overlay.opacity),
            (self.naming.label_name, self.targets.name, getattr(self.compare_model, "name", "")),
            lambda: self._show_error(None)))
        if wait:
            self.wait()

    # -- export -----------------------------------------------------------------------------
    def _export_excluded(self) -> list:
        """The image picker and the best/worst galleries are controls, not the figure."""
        return [self.thumbnails] + (self.best_worst.rasters if self.best_worst else [])

    def _export_labels(self) -> dict:
        labels = super()._export_labels()
        r = self.result
        if r is None:
            return labels
        names = self.naming.names(len(self.images))
        return map_labels(labels, r, self.overlay, getattr(self.model, "name", "model"),
                          self.targets.name(r.target), names[self.image_index]
                          if self.image_index < len(names) else "", self.lang)

    # -- names and images ---------------------------------------------------------------------
    def _image(self, i: int) -> np.ndarray:
        return self.naming.image(self.images, i)

    def _refresh_images(self) -> None:
        self.chooser.set_images(list(self.images), self.naming.names(len(self.images)))

    def _add_uploads(self, decoded: list) -> None:
        """The chooser's uploads join the images; the last one is shown."""
        self.naming.add_uploads(len(self.images), [name for name, _ in decoded])
        with self._suppressed():
            self.images = list(self.images) + [im for _, im in decoded]
        self._refresh_images()
        self._set_from_ui("image_index", len(self.images) - 1)

    def _sync_controls(self) -> None:
        if self.region_mode and self.images:
            self.picker.fit_box(*self._image(self.image_index).shape[:2])
        self.chooser.show(self.image_index if self.images else None)
        with self._quiet():
            self._layer_dd.value = self.layer
            self._method_dd.value = self.method
        r = self.result
        shown = r.target if r is not None and not callable(r.target) else None
        self.picker.show(self.targets.options(self.target), self.targets.choice(self.target),
                         shown)

    # -- validation -------------------------------------------------------------------------
    @traitlets.validate("method")
    def _validate_method(self, proposal):
        return check_method(proposal["value"])

    @traitlets.validate("target")
    def _validate_target(self, proposal):
        return self.targets.check(proposal["value"])

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
        if change["new"] and self.result is not None and self.trust is None:
            self._safe(self.check_faithfulness)

    @traitlets.observe("images")
    def _on_images(self, change):
        if self._suppress:
            return
        with self._suppressed():
            self.image_index = 0
        self._applied_state = None  # the old state's image index means another image now
        self._refresh_images()
        self._render("images", {})

    # -- computing --------------------------------------------------------------------------
    def _state(self) -> dict:
        return {"image_index": self.image_index, "layer": self.layer, "method": self.method,
                "target": self.target}

    def _run_job(self, kind: str, reverts: dict, prepare, apply) -> None:
        """``apply(prepare(cancel_event, on_step))`` in the background; a failure or Cancel
        puts the traits back and says so (a failure's error replaces the note)."""
        def revert():
            self._revert(reverts)
            self._show_note(tr("gc.cancelled", self.lang))

        # Said first: a job failing at once must replace "computing…" with its error, not after.
        self._show_note(tr("ui.computing", self.lang))
        self.jobs.run(kind, prepare, apply, revert)

    def _render(self, what: str, reverts: dict) -> None:
        if self._suppress or self._defer_render():
            return
        self._sync_controls()
        if not self.images:
            self._show_note(tr("ui.no_image", self.lang))
            return
        state = self._state()
        if get_method(state["method"]).long_running:
            self._run_job("cam", reverts, lambda ev, step: self._prepare(state, step, ev),
                          self._apply)
            return
        # A quick method replaces any long computation still running or waiting: that one
        # must not draw over this view when it ends.
        self.jobs.supersede("cam")
        self._transaction(what, reverts, lambda: self._prepare(state), self._apply)

    def _refresh(self) -> None:
        self._render("refresh", {})

    def warm(self, cancel=None) -> None:
        """Compute and cache what the current state shows, drawing nothing (warm-up)."""
        self._prepare(self._state(), cancel=cancel)

    def _prepare(self, s: dict, on_step=None, cancel=None) -> dict:
        """Compute everything the new state shows; touches no widget (so failures are clean)."""
        return self._subjects.explain(self._image(s["image_index"]), s, top_k=self.top_k,
                                      on_step=on_step, cancel=cancel,
                                      ranked=self.targets.index is not None
                                      and not self.region_mode)

    def _apply(self, p: dict) -> int:
        r = p["result"]
        sent = show_maps(self.overlay, self.compare_overlay, p, self.targets.name, self.lang)
        if "compare" in p:
            self.compare_result = p["compare"]
        self.top = p["top"]
        self.result = r
        self._applied_state = dict(p["state"])
        self.picker.show_answer(r.target, p["top"], self.targets.name)
        self._sync_controls()
        self._show_error(None)
        if self.trust_panel.map_changed(r):  # scored at once with trust_auto
            self.check_faithfulness()
        return sent
