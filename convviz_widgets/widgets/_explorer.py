"""The linked Explorer: a View of pages, all linked to one Selection (layer, channel, image,
target); only the page shown computes and draws."""

from __future__ import annotations

import html

import ipywidgets as w
import traitlets

from ..compute import check_input_size, conv_layers, model_layers
from ..compute.progress import Cancelled
from .._demo import demo_model
from .._demo_examples import demo_dataset
from ._activation_viewer import ActivationViewer
from ._base import LayerViewer, check_in_layer
from ._channel_card import ChannelCard
from ._deepdream_view import DeepDreamViewer
from ._errors import error_html
from ._examples_source import ExampleSource
from ._explorer_cam_line import CAMLine
from ._filter_maximizer import FilterMaximizer
from ._gradcam_viewer import GradCAMViewer
from ..i18n import check_lang, tr
from ._kernel_viewer import KernelViewer
from ._model_table import summary_html
from ._pages import PageSwitcher
from ._publish_panel import PublishPanel
from ._selection import Link, Links, Selection
from ._targets import early_layer_note
from ._upload import decode_uploads, image_chooser
from ._warming import PageWarmer


class Explorer(LayerViewer):
    """Kernels · Activations · Patterns · Grad-CAM, linked, plus a model summary.

    One layer dropdown, one filter slider and one image selection drive all the pages through
    one :class:`Selection` (:attr:`selection`). Selecting a channel anywhere (the slider, a tile
    of the activation grid, a row of the kernel matrix) selects it everywhere: its kernel, its
    activation map, its maximised pattern, and its rank among the Grad-CAM channel weights for
    the current class. Only the page shown computes and draws; a page catches up when it is
    shown (see :attr:`View.active`).

    Parameters
    ----------
    model : keras.Model, optional
        Any built image model; default: the bundled demo model.
    images : array-like or list, optional
        Images to explore; default: the bundled demo scenes.
    class_names : list of str, optional
        Output class names (default: the demo model's, else ``class k``).
    preprocess : callable, optional
        Display images in [0, 1] → model input, with TF ops.
    lang : {"en", "es", "pt"}
        Language of the labels.
    labels : array-like, optional
        Class labels of ``images`` for Grad-CAM's best/worst gallery.
    data : optional
        A data set for the Channel page to mine for each channel's strongest images (array,
        list of images, folder, list of files or ``tf.data.Dataset``); default for the demo
        model: its 2,000 generated scenes, cached after the first use.
    data_labels : array-like, optional
        Labels of ``data`` (a folder's class subfolders give them without this).
    examples : DatasetExamples or dict, optional
        Dataset examples already mined (``{layer path: DatasetExamples}``).
    input_size : (int, int), optional
        Run every image at this ``(height, width)`` on every page, instead of the model's own
        size rule (see :class:`~convviz_widgets.widgets.View`).
    controls : bool
        Show the shared image bar, layer menu and filter slider (see :class:`View`).
    warm : bool
        After the notebook cell that built the Explorer has run, compute the heavy pages'
        first view in the background (Grad-CAM of the first image, the Patterns page's
        compiled step), drawing nothing, so their first visit does not wait; and again after
        each layer change, once the user settled on a layer (see :attr:`warmer`; in a script,
        ``ex.warmer.start()``).

    Attributes
    ----------
    layer : str
        The shared layer path; settable (a unique name or layer object is accepted).
    filter_index : int
        The shared filter/channel; settable.
    image_index : int
        The shared image; settable.
    selection : Selection
        What the pages show (layer, channel, images, image, target); the pages are linked to
        it, see :attr:`links`.
    links : Links
        The table of declared links between :attr:`selection` and the pages.
    kernels, activations, patterns, gradcam : widgets
        The four linked views (a :class:`KernelViewer`, :class:`ActivationViewer`,
        :class:`FilterMaximizer` and :class:`GradCAMViewer`).
    dream : DeepDreamViewer
        The DeepDream page: it follows the shared image; its layers are its own.
    card : ChannelCard
        The Channel page: the selected channel's kernel, map, pattern, dataset examples
        (a click on one makes its image the current image), firing rate and Grad-CAM rank.
    warmer : PageWarmer
        The background warming of the hidden heavy pages: ``warming``, ``warmed`` (page keys
        ``"grad_cam"``, ``"patterns"``), ``stats``, ``delay`` (seconds without a layer change
        before warming again), ``start()``, ``cancel()``, ``wait()``.
    tabs : PageSwitcher
        The pages (Kernels, Activations, Patterns, Grad-CAM, Channel, DeepDream, Model, Publish):
        ``ex.tabs.selected_index = 3`` shows Grad-CAM, as a click on its button does.

    Examples
    --------
    >>> import convviz_widgets as cv
    >>> ex = cv.Explorer()                        # doctest: +SKIP
    >>> ex.layer = "block2_conv1"; ex.filter_index = 7   # doctest: +SKIP
    >>> ex                                        # doctest: +SKIP
    """

    image_index = traitlets.Int(0)
    _unsuitable = "layer_not_explorable"

    def __init__(self, model=None, images=None, class_names=None, preprocess=None, lang="en",
                 labels=None, data=None, data_labels=None, examples=None, input_size=None,
                 controls=True, warm=True, **kwargs):
        demo = model is None and data is None and examples is None
        if model is None:
            model = demo_model()
        self.selection = Selection()
        self.lang = lang = check_lang(lang)  # the controls below are built in it
        size = None if input_size is None else check_input_size(input_size)
        infos = conv_layers(model, kind="all")
        if not infos:
            raise ValueError(f"Model {getattr(model, 'name', '')!r} has no convolution or "
                             "feature-map layer to explore.")

        # The pages. Only the first is shown: the others are built inactive and compute
        # nothing until they are shown (the Explorer is drawn without waiting for Grad-CAM, a
        # pattern compile or the Channel page's mining).
        common = dict(preprocess=preprocess, lang=lang, controls=False, input_size=size)
        self.kernels = KernelViewer(model, lang=lang, controls=False, input_size=size)
        self.activations = ActivationViewer(model, images, active=False, **common)
        self.patterns = FilterMaximizer(model, active=False, **common)
        self.gradcam = GradCAMViewer(model, images, labels=labels, class_names=class_names,
                                     active=False, **common)
        # The Grad-CAM viewer resolved the names (one sigmoid name = its positive class): every
        # page names a class the way it does.
        names = list(self.gradcam.class_names) or None
        source = ExampleSource(model, data, labels=data_labels,
                               class_names=names if class_names is not None else None,
                               examples=examples, preprocess=preprocess, demo=demo,
                               input_size=size)
        self.card = ChannelCard(model, source=source, class_names=names, active=False,
                                **common)
        self.patterns.class_names = names
        self.dream = DeepDreamViewer(model, self.activations.images,
                                     image_labels=self.activations.image_names,
                                     active=False, **common)
        # (title, view): the page table. A further page is one row here plus its links below.
        pages = [("page.kernels", self.kernels), ("page.activations", self.activations),
                 ("page.patterns", self.patterns), ("page.grad_cam", self.gradcam),
                 ("page.channel", self.card), ("page.deepdream", self.dream)]
        # The Publish page builds the model's static site (cv.publish) over the data the
        # Channel page mines: the data given, or the bundled scenes (made only on Build).
        if data is not None:
            site_data, site_labels = data, data_labels
        elif demo:
            site_data, site_labels = demo_dataset, None
        else:
            site_data, site_labels = None, None
        self.publisher = PublishPanel(model, site_data, lang=lang, class_names=names,
                                      preprocess=preprocess, labels=site_labels,
                                      input_size=size)
        # Warmed in the background once drawn, and again after a layer change (once the user
        # settled on a layer and the visible page's work is over); a page shown meanwhile
        # waits for its own step.
        self.warmer = PageWarmer([("grad_cam", self._warm_gradcam),
                                  ("patterns", self._warm_patterns)],
                                 idle=self._visible_idle, auto=warm)
        self._notes = {v: w.HTML() for _, v in pages}
        for note in self._notes.values():
            note.add_class("convviz-page-note")  # the line above a page (role for tests, CSS)
        # None: a page that is no view (the Model table, the Publish panel).
        self._page_views = [v for _, v in pages] + [None, None]
        self.tabs = PageSwitcher(
            [w.VBox([self._notes[v], v]) for _, v in pages] +
            [w.HTML(summary_html(model_layers(model), lang)), self.publisher],
            titles=[tr(t, lang) for t, _ in pages] + [tr("page.model", lang),
                                                      tr("page.publish", lang)])

        # The shared controls.
        self._make_layer_controls(infos, slider_label="filter", layer_width=480,
                                  slider_width=440)
        self._image_dd, self._upload = image_chooser(lang)
        self._image_note = w.HTML()
        # Grad-CAM's rank of the channel and the trust verdict (on the Grad-CAM page only).
        self._cam_line = CAMLine(lang)
        # The Explorer's own widget opens after its pages and controls, as a container made
        # of them: a front end restoring the widgets after a page reload meets every child
        # before the box that lists it.
        super().__init__(model, lang=lang, controls=controls, input_size=size, **kwargs)
        self._layers = {i.path: i for i in infos}
        self.children = [w.HBox([self._image_dd, self._upload, self._image_note]),
                         w.HBox([self._layer_dd, self._slider]), self._status,
                         self._cam_line, self.tabs]
        self.add_class("convviz-explorer")

        # The links: the selection drives each page over its public traits. A LayerViewer
        # follows the channel while it shows the selected layer, and writes a click back.
        sel = self.selection
        layered = (self.kernels, self.activations, self.patterns, self.card)

        def shows(view):
            return lambda path: view.can_show(path)

        def on_layer(view):
            return lambda _: view.layer == sel.layer

        table = [Link("layer", v, "layer", when=shows(v))
                 for v in (self.kernels, self.activations, self.patterns, self.gradcam, self.card)]
        table += [Link("channel", v, "filter_index", back=True, when=on_layer(v))
                  for v in layered]
        table += [
            # The image list is the Activations page's (an upload or a picked dataset patch is
            # added there); Grad-CAM and DeepDream show the same list.
            Link("images", self.activations, "images", back=True, transform=list),
            Link("image_names", self.activations, "images", back=True,
                 transform=lambda _: list(self.activations.image_names)),
            Link("images", self.gradcam, "images", transform=list),
            Link("images", self.dream, apply=lambda imgs: self.dream.set_images(
                imgs, list(self.activations.image_names), sel.image_index)),
            Link("image_index", self.activations, "image_index", back=True),
            Link("image_index", self.gradcam, "image_index",
                 when=lambda k: k < len(self.gradcam.images)),
            Link("image_index", self.dream, "image_index",
                 when=lambda k: k < len(self.dream.images)),
            Link("image", self.card, "image", when=lambda im: im is not None),
            Link("target", self.gradcam, "target", back=True),
        ]
        self.links = Links(sel, table, failed=self._page_failed, skipped=self._page_skipped,
                           followed=self._page_followed)
        sel.images = list(self.activations.images)
        sel.image_names = list(self.activations.image_names)
        sel.target = self.gradcam.target
        traitlets.link((self, "filter_index"), (sel, "channel"))
        traitlets.link((self, "image_index"), (sel, "image_index"))
        sel.observe(lambda c: self._image_menu(), ["images", "image_names", "image_index"])
        sel.observe(lambda c: self._update_rank(), ["channel"])
        # After the pages followed a new layer (observers run in the order they were added):
        # the rank line must not keep saying "Grad-CAM explains another layer".
        self.observe(lambda c: self._update_rank(), ["layer"])

        self._bind(self._layer_dd, "layer")
        self._bind(self._slider, "filter_index")
        self._bind(self._image_dd, "image_index")
        self._upload.observe(self._on_upload, "value")
        self.gradcam.observe(lambda c: self._update_rank(), names=["result"])
        self.gradcam.observe(lambda c: self._cam_line.show_trust(c["new"]), names=["trust"])
        self.card.observe(self._from_card, names=["picked"])
        self.tabs.observe(self._show_page, names=["selected_index"])
        self._image_menu()
        self._show_page()

        # A fresh Explorer opens on the first conv layer for kernels and activations;
        # Grad-CAM there is speckle: its page starts at its own layer (the last conv) and
        # follows the shared layer from the first change on.
        first = next((i.path for i in infos if i.has_kernel), infos[0].path)
        gradcam_layer = self.gradcam.layer
        self.layer = first
        if gradcam_layer:
            self.gradcam.layer = gradcam_layer
            self._notes[self.gradcam].value = ""
        self._apply_controls()
        if warm:
            self.warmer.after_cell()

    # -- the pages: only the one shown is active ---------------------------------------------
    @traitlets.observe("active")
    def _show_page(self, change=None) -> None:
        shown = self.tabs.selected_index
        if self.active and self._page_views[shown] is not None:  # a page that computes
            key = {self.gradcam: "grad_cam", self.patterns: "patterns"}.get(
                self._page_views[shown], "other")
            self.warmer.visit(key, settle=key == "grad_cam")
        for k, view in enumerate(self._page_views):
            if view is not None:
                view.active = self.active and k == shown
        self._cam_line.show(self._page_views[shown] is self.gradcam)

    def _warm_gradcam(self, job) -> None:
        """Grad-CAM of the page's current state, computed and cached, not drawn. Twice: the
        first call captures the map (and caches it), so the page shown later finds it cached
        and runs the head alone — a function of its own, traced by the second call."""
        view = self.gradcam
        for _ in range(2):
            if job.cancelled:
                raise Cancelled()
            if view.active or not view.images:
                return
            view.warm(cancel=job.cancel_event)

    def _visible_idle(self, timeout: float) -> bool:
        """Whether the visible page's own work (its jobs, the Patterns page's compile) is over."""
        view = self.visible_view
        if view is None:
            return True
        return view.wait(timeout) and (view is not self.patterns or view.wait_warmup(timeout))

    def _warm_patterns(self, job) -> None:
        """The Patterns page's compiled step (its own background compile), not drawn."""
        view = self.patterns
        if view.active:
            return
        view.prewarm()
        while not view.wait_warmup(0.2):
            if job.cancelled:
                raise Cancelled()

    def _page_failed(self, link, exc) -> None:
        if link.view in self._notes:
            self._notes[link.view].value = error_html(exc, self.lang)
        else:
            self._image_note.value = error_html(exc, self.lang)

    def _page_skipped(self, link, value) -> None:
        if link.name == "layer":
            view = link.view
            key = "ex.no_kernel" if view is self.kernels else "ex.no_map"
            self._notes[view].value = ("<span style='color:#555'>" + html.escape(
                tr(key, self.lang, path=value, shown=view.layer)) + "</span>")

    def _page_followed(self, link) -> None:
        if link.name != "layer":
            return
        note = ""
        if link.view is self.gradcam:
            early = early_layer_note(self.model, self.selection.layer, self.lang)
            note = ("<span class='convviz-gradcam-early' style='color:#8a5a00'>" +
                    html.escape(early) + "</span>") if early else ""
        self._notes[link.view].value = note

    # -- export: the visible page's view ------------------------------------------------------
    @property
    def visible_view(self):
        """The view on the page shown now (``None`` on the Model and Publish pages)."""
        return self._page_views[self.tabs.selected_index]

    def _export_view(self):
        view = self.visible_view
        if view is None:
            titles = self.tabs.titles
            raise ValueError(tr("ex.export_no_view", self.lang,
                                page=titles[self.tabs.selected_index], first=titles[0]))
        return view

    def export_figure(self):
        """What the visible page's view shows, as ``(H, W, 3)`` uint8 (see ``View``).

        Raises
        ------
        ValueError
            The Model page is shown (a table, not a figure), or the view shows nothing yet.
        """
        return self._export_view().export_figure()

    def export_png(self) -> bytes:
        """A PNG of the visible page's view: what it sent to the browser, as on screen.

        Raises
        ------
        ValueError
            The Model page is shown: select a view's page first.

        Examples
        --------
        >>> ex = cv.Explorer()                              # doctest: +SKIP
        >>> ex.tabs.selected_index = 3                      # the Grad-CAM page  # doctest: +SKIP
        >>> ex.export_png()[:4]                             # doctest: +SKIP
        b'\\x89PNG'
        """
        return self._export_view().export_png()

    def export_filename(self, ext: str = "png") -> str:
        """The visible view's file name: model, layer and settings (see ``View``)."""
        return self._export_view().export_filename(ext)

    def save_png(self, path=None) -> str:
        """Write :meth:`export_png` to ``path`` (default: :meth:`export_filename`); return it.

        Examples
        --------
        >>> ex.save_png()                                   # doctest: +SKIP
        'demo_block1_conv1_filter0.png'
        """
        return self._export_view().save_png(self.export_filename() if path is None else path)

    # -- the shared state ---------------------------------------------------------------------
    @staticmethod
    def _label(info) -> str:
        shape = "×".join("?" if d is None else str(d) for d in info.output_shape[1:])
        kind = "conv" if info.has_kernel else info.class_name
        return f"{info.path}  ({kind}, {shape})"

    def _count(self, path: str | None = None) -> int:
        info = self._layers[path or self.layer]
        if info.is_spatial and info.output_shape[-1]:
            return int(info.output_shape[-1])
        return int(info.kernel_shape[-1])

    @traitlets.observe("layer")
    def _on_layer(self, change):
        # The channel count is decided here, once per layer, for the selection and the slider.
        n = self.channels
        f = min(self.filter_index, n - 1)
        self.selection.channels = n
        self._sync_controls()
        self.selection.layer = change["new"]
        self.filter_index = f
        # Pages that kept another layer meanwhile get the channel even when it did not change.
        self.links.push_all("channel")
        # The visible page has followed: the hidden heavy pages are warmed for the new layer.
        self.warmer.changed()

    @traitlets.observe("filter_index")
    def _on_filter(self, change):
        self._sync_controls()

    @traitlets.validate("image_index")
    def _validate_image_index(self, proposal):
        n = len(self.selection.images)
        return check_in_layer("image_index", proposal["value"], max(n, 1), "images", "images") \
            if n else 0

    def _sync_controls(self) -> None:
        with self._quiet():
            self._sync_layer_controls()

    def _image_menu(self) -> None:
        sel = self.selection
        options = tuple((n, i) for i, n in enumerate(sel.image_names)) or \
            ((tr("ui.no_image_option", self.lang), 0),)
        with self._quiet():
            if tuple(self._image_dd.options) != options:
                self._image_dd.options = options
            self._image_dd.value = min(sel.image_index, len(options) - 1)

    def _on_upload(self, change):
        if not change["new"]:
            return
        try:
            decoded = decode_uploads(change["new"])
            self.activations.add_images([im for _, im in decoded],
                                        [tr("ui.upload_n", self.lang, name=name) for name, _ in decoded])
            self._image_note.value = ""
        except Exception as exc:  # noqa: BLE001 - shown next to the button; the old view stays
            self._image_note.value = error_html(exc, self.lang)
        finally:
            self._upload.clear()

    def _from_card(self, change):
        """A dataset patch was clicked: its image becomes the current image of every page."""
        if change["new"] < 0:
            return
        name = self.card.picked_name
        names = self.activations.image_names
        try:
            if name in names:
                self.image_index = names.index(name)
            else:
                self.activations.add_images([self.card.image], [name])
            self._image_note.value = ""
        except Exception as exc:  # noqa: BLE001 - shown next to the image menu
            self._image_note.value = error_html(exc, self.lang)

    def _update_rank(self) -> None:
        """Where the selected channel stands among the Grad-CAM weights of the shown class."""
        self._cam_line.show_rank(self.gradcam.result, self.layer, self.filter_index,
                                 self.gradcam.target_name)
