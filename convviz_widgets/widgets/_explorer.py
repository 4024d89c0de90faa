"""The linked Explorer: the four views behind one layer dropdown, one filter slider, one image."""

from __future__ import annotations

import html

import ipywidgets as w
import numpy as np
import traitlets

from ._activation_viewer import ActivationViewer
from ._channel_card import ChannelCard
from ._examples_source import ExampleSource
from ._base import (INT_SLIDER_CONTINUOUS, LayerViewer, check_in_layer, enable_colab_widgets,
                    set_slider)
from ._errors import error_html
from ._i18n import check_lang, register, tr, translate_tree
from ._targets import early_layer_note
from ._upload import decode_uploads, image_chooser
from ._kernel_viewer import KernelViewer
from ._pages import PageSwitcher
from ._filter_maximizer import FilterMaximizer
from ._gradcam_viewer import GradCAMViewer
from ._deepdream_view import DeepDreamViewer


def _shape_text(shape) -> str:
    return "(" + ", ".join("None" if d is None else str(d) for d in shape) + ")"


def summary_html(infos, lang: str = "en") -> str:
    """A ``model.summary()``-like table; nested models fold open with ``<details>``.

    Pure HTML (no script), so it renders the same in every front end, Colab included.
    """
    rows: list[str] = []
    open_blocks: list[int] = []  # depths of <details> blocks currently open

    def close_to(depth):
        while open_blocks and open_blocks[-1] >= depth:
            rows.append("</table></details>")
            open_blocks.pop()

    head = tr("summary_head", lang).split(" · ")
    header = "".join(f"<th style='text-align:left;padding:2px 10px'>{h}</th>" for h in head)
    rows.append(f"<table style='border-collapse:collapse;font-family:monospace;font-size:12px'>"
                f"<tr>{header}</tr>")
    for info in infos:
        close_to(info.depth + 1)
        cells = (f"<td style='padding:1px 10px'>{html.escape(info.name)}</td>"
                 f"<td style='padding:1px 10px'>{info.class_name}</td>"
                 f"<td style='padding:1px 10px'>{_shape_text(info.output_shape)}</td>"
                 f"<td style='padding:1px 10px;text-align:right'>{info.params:,}</td>")
        if info.is_container:
            rows.append(
                f"<tr><td colspan='4'><details class='convviz-nested' "
                f"style='margin-left:{12 * info.depth}px'><summary><b>"
                f"{html.escape(info.path)}</b> ({info.class_name}, "
                f"{_shape_text(info.output_shape)}, {info.params:,} {tr('params', lang)})</summary>"
                f"<table style='border-collapse:collapse;margin-left:16px'>")
            open_blocks.append(info.depth + 1)
        else:
            rows.append(f"<tr>{cells}</tr>")
    close_to(0)
    rows.append("</table>")
    total = sum(i.params for i in infos if i.depth == 0)
    rows.append("<div style='font-family:monospace;font-size:12px'>"
                f"{tr('total_params', lang, n=f'{total:,}')}</div>")
    return "".join(rows)

register({
    "ex_export_no_view": (
        "The {page} page shows a table, not a figure: select a view's page first "
        "(ex.tabs.selected_index = 0 for {first}), then export it.",
        "La página {page} muestra una tabla, no una figura: elija antes la página de una vista "
        "(ex.tabs.selected_index = 0 para {first}) y expórtela.",
        "A página {page} mostra uma tabela, não uma figura: escolha antes a página de uma "
        "visualização (ex.tabs.selected_index = 0 para {first}) e exporte-a."),
})


class Explorer(w.VBox):
    """Kernels · Activations · Patterns · Grad-CAM, linked, plus a model summary.

    One layer dropdown, one filter slider and one image selection drive all four views.
    Selecting a channel anywhere (the slider, a tile of the activation grid, a row of the
    kernel matrix) selects it everywhere: its kernel, its activation map, its maximised pattern,
    and its rank among the Grad-CAM channel weights for the current class.

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

    Attributes
    ----------
    layer : str
        The shared layer path; settable.
    filter_index : int
        The shared filter/channel; settable.
    image_index : int
        The shared image; settable.
    kernels, activations, patterns, gradcam : widgets
        The four linked views (a :class:`KernelViewer`, :class:`ActivationViewer`,
        :class:`FilterMaximizer` and :class:`GradCAMViewer`).
    dream : DeepDreamViewer
        The DeepDream page: it follows the shared image; its layers are its own.
    card : ChannelCard
        The Channel page: the selected channel's kernel, map, pattern, dataset examples
        (a click on one makes its image the current image), firing rate and Grad-CAM rank.
    tabs : PageSwitcher
        The pages (Kernels, Activations, Patterns, Grad-CAM, Model): ``ex.tabs.selected_index
        = 3`` shows Grad-CAM, as a click on its button does.

    Examples
    --------
    >>> import convviz_widgets as cv
    >>> ex = cv.Explorer()                        # doctest: +SKIP
    >>> ex.layer = "block2_conv1"; ex.filter_index = 7   # doctest: +SKIP
    >>> ex                                        # doctest: +SKIP
    """

    layer = traitlets.Unicode("")
    filter_index = traitlets.Int(0)
    image_index = traitlets.Int(0)

    def __init__(self, model=None, images=None, class_names=None, preprocess=None, lang="en",
                 labels=None, data=None, data_labels=None, examples=None, input_size=None,
                 **kwargs):
        from ..compute import check_input_size

        enable_colab_widgets()
        self.lang = check_lang(lang)
        #: ``(height, width)`` every page runs the images at, or None (the model's own rule).
        self.input_size = None if input_size is None else check_input_size(input_size)
        size = self.input_size
        demo = model is None and data is None and examples is None
        if model is None:
            from .._demo import demo_model

            model = demo_model()
        self.model = model
        from ..compute import conv_layers, model_layers

        infos = conv_layers(model, kind="all")
        if not infos:
            raise ValueError(f"Model {getattr(model, 'name', '')!r} has no convolution or "
                             "feature-map layer to explore.")
        self._infos = {i.path: i for i in infos}
        self._guard = 0
        self._initial_layer = False

        lang = self.lang  # the views write their headings and stats lines in it too
        # The views keep their own controls for standalone use; here one set drives them all
        # (controls=False), through their public traits.
        self.kernels = KernelViewer(model, lang=lang, controls=False, input_size=size)
        self.activations = ActivationViewer(model, images, preprocess=preprocess, lang=lang,
                                            controls=False, input_size=size)
        self.patterns = FilterMaximizer(model, preprocess=preprocess, lang=lang, controls=False,
                                        input_size=size)
        self.gradcam = GradCAMViewer(model, images if images is not None else None,
                                     labels=labels, class_names=class_names,
                                     preprocess=preprocess, lang=lang, controls=False,
                                     input_size=size)
        source = ExampleSource(model, data, labels=data_labels, class_names=list(
            self.gradcam.class_names) if class_names is not None else None,
                               examples=examples, preprocess=preprocess, demo=demo,
                               input_size=size)
        # The Grad-CAM viewer resolved the names (one sigmoid name = its positive class): every
        # page names a class the way it does.
        self.card = ChannelCard(model, source=source, class_names=list(
            self.gradcam.class_names) if self.gradcam.class_names else None,
            preprocess=preprocess, lang=lang, controls=False, active=False, input_size=size)
        self.patterns.class_names = list(self.gradcam.class_names) or None
        # (page title, view) — a further view is one more entry here (built with
        # controls=False); the layer, filter and image links below find it through its traits.
        pages_of = [("Kernels", self.kernels), ("Activations", self.activations),
                    ("Patterns", self.patterns), ("Grad-CAM", self.gradcam),
                    ("Channel", self.card)]
        views = tuple(v for _, v in pages_of)
        self._views = views
        self._filter_views = tuple(v for v in views if isinstance(v, LayerViewer))

        self._layer_dd = w.Dropdown(options=[(self._label(i), i.path) for i in infos],
                                    description="layer", layout=w.Layout(width="480px"))
        self._slider = w.IntSlider(min=0, max=0, description="filter",
                                   continuous_update=INT_SLIDER_CONTINUOUS,
                                   layout=w.Layout(width="440px"))
        # The shared image selection: the activation viewer's images (an upload is added to
        # them with add_images and reaches Grad-CAM through the images trait).
        self._image_dd, self._upload = image_chooser()
        self._upload.observe(self._on_upload, "value")
        self._image_dd.observe(lambda c: self._set_image(c["new"]), "value")
        self._image_note = w.HTML()
        image_bar = w.HBox([self._image_dd, self._upload, self._image_note])
        self._rank = w.HTML(layout=w.Layout(min_height="1.4em"))
        self._notes = {v: w.HTML() for v in views}
        pages = [w.VBox([self._notes[v], v]) for v in views]
        # DeepDream: its own layer selection (several layers at once), the shared image.
        self.dream = DeepDreamViewer(model, self.activations.images,
                                     image_labels=self.activations.image_names,
                                     preprocess=preprocess, lang=lang, controls=False,
                                     input_size=size)
        self._dream_note = w.HTML()
        extra_pages = [("DeepDream", w.VBox([self._dream_note, self.dream]))]
        pages += [page for _, page in extra_pages]
        self._summary = w.HTML(summary_html(model_layers(model), self.lang))
        pages.append(self._summary)
        # Our own page switcher, not ipywidgets.Tab: Colab's front end cannot draw a Tab of an
        # ipywidgets 7 kernel (see _pages.py).
        self.tabs = PageSwitcher(pages, titles=[tr(t, self.lang) for t, _ in pages_of] +
                                 [tr(t, self.lang) for t, _ in extra_pages] +
                                 [tr("Model", self.lang)])
        # The view on each page, in page order (None: the Model page is a table): what the
        # export methods below export.
        self._page_views = list(views) + [self.dream, None]
        super().__init__(**kwargs)
        # The Grad-CAM trust panel's verdict, seen from every page (its gradcam.trust trait).
        self._trust_line = w.HTML()
        # Grad-CAM's rank of the channel and the trust verdict are about one class's map: they
        # are shown on the Grad-CAM page only, where that class is named. On the Kernels page
        # they meant nothing, and on the Channel page they contradicted the card's own rank
        # (computed for the predicted class while this line followed the Grad-CAM page's class).
        self._gradcam_status = w.VBox([self._rank, self._trust_line])
        self._gradcam_status.add_class("convviz-gradcam-status")
        self._gradcam_page = views.index(self.gradcam)
        self.children = [image_bar, w.HBox([self._layer_dd, self._slider]),
                         self._gradcam_status, self.tabs]
        self.add_class("convviz-explorer")

        self._layer_dd.observe(lambda c: self._set("layer", c["new"]), "value")
        self._slider.observe(lambda c: self._set("filter_index", c["new"]), "value")
        for view in self._filter_views:
            view.observe(self._from_view, names=["filter_index", "layer"])
        self.activations.observe(self._from_images, names=["image_index", "images"])
        self.activations.observe(self._to_dream, names=["image_index", "images"])
        self.gradcam.observe(self._from_gradcam, names=["result"])
        self.gradcam.observe(self._from_trust, names=["trust"])
        self.card.observe(self._from_card, names=["picked"])
        card_page = len(pages_of) - 1
        self.tabs.observe(lambda c: setattr(self.card, "active", c["new"] == card_page),
                          names=["selected_index"])
        self.tabs.observe(self._show_gradcam_status, names=["selected_index"])
        self._show_gradcam_status()

        first = next((i.path for i in infos if i.has_kernel), infos[0].path)
        self._sync_image_menu()
        self.image_index = self.activations.image_index
        self._card_image()
        self._initial_layer = True
        try:
            self.layer = first
        finally:
            self._initial_layer = False
        translate_tree(self, self.lang)

    # -- export: the visible page's view ------------------------------------------------------
    @property
    def visible_view(self):
        """The view on the page shown now (``None`` on the Model page, a table)."""
        return self._page_views[self.tabs.selected_index]

    def _export_view(self):
        view = self.visible_view
        if view is None:
            titles = self.tabs.titles
            raise ValueError(tr("ex_export_no_view", self.lang,
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

    # -- helpers ------------------------------------------------------------------------------
    @staticmethod
    def _label(info) -> str:
        shape = "×".join("?" if d is None else str(d) for d in info.output_shape[1:])
        kind = "conv" if info.has_kernel else info.class_name
        return f"{info.path}  ({kind}, {shape})"

    def _channels(self, path: str) -> int:
        info = self._infos[path]
        if info.is_spatial and info.output_shape[-1]:
            return int(info.output_shape[-1])
        return int(info.kernel_shape[-1])

    def _set(self, name, value):
        if not self._guard:
            setattr(self, name, value)

    # -- shared state -> views ----------------------------------------------------------------
    @traitlets.validate("layer")
    def _validate_layer(self, proposal):
        from ..compute import resolve_layer

        value = proposal["value"]
        path = value if value in self._infos else resolve_layer(self.model, value).path
        if path not in self._infos:
            raise traitlets.TraitError(
                f"Layer {path!r} has neither a kernel nor a feature map to explore; choose one "
                f"of {list(self._infos)[:8]}.")
        return path

    @traitlets.validate("filter_index")
    def _validate_filter(self, proposal):
        n = self._channels(self.layer) if self.layer else 1
        return check_in_layer("filter_index", proposal["value"], n, self.layer, "channels")

    @traitlets.observe("layer")
    def _on_layer(self, change):
        path = change["new"]
        n = self._channels(path)
        self._guard += 1
        try:
            self._layer_dd.value = path
            f = min(self.filter_index, n - 1)
            set_slider(self._slider, f, n - 1)
        finally:
            self._guard -= 1
        for view in self._views:
            note = self._notes[view]
            if view is self.gradcam and self._initial_layer:
                # A fresh Explorer opens on the first conv layer for kernels and activations;
                # Grad-CAM there is speckle. Its page starts at its own layer (the last conv).
                note.value = ""
                continue
            if view is self.gradcam and view.can_show(path):
                try:
                    view.layer = path
                    early = early_layer_note(self.model, path, self.lang)
                    note.value = ("<span class='convviz-gradcam-early' style='color:#8a5a00'>" +
                                  html.escape(early) + "</span>") if early else ""
                except Exception as exc:  # noqa: BLE001 - shown in the tab, the rest goes on
                    note.value = error_html(exc, self.lang)
                continue
            if view.can_show(path):
                try:
                    view.layer = path
                    note.value = ""
                except Exception as exc:  # noqa: BLE001 - shown in the tab, the rest goes on
                    note.value = error_html(exc, self.lang)
            else:
                key = "no_kernel" if view is self.kernels else "no_map"
                note.value = ("<span style='color:#555'>" + html.escape(
                    tr(key, self.lang, path=path, shown=view.layer)) + "</span>")
        if self.filter_index != f:
            self.filter_index = f
        else:
            self._push_filter(f)

    @traitlets.observe("filter_index")
    def _on_filter(self, change):
        self._guard += 1
        try:
            self._slider.value = change["new"]
        finally:
            self._guard -= 1
        self._push_filter(change["new"])

    def _push_filter(self, f: int) -> None:
        for view in self._filter_views:
            if view.layer == self.layer and view.filter_index != f:
                try:
                    view.filter_index = f
                except Exception as exc:  # noqa: BLE001
                    self._notes[view].value = error_html(exc, self.lang)
        self._update_rank()

    def _sync_image_menu(self) -> None:
        names = self.activations.image_names
        options = tuple((n, i) for i, n in enumerate(names)) or ((tr("(no image)", self.lang), 0),)
        self._guard += 1
        try:
            if tuple(self._image_dd.options) != options:
                self._image_dd.options = options
            self._image_dd.value = min(self.activations.image_index, len(options) - 1)
        finally:
            self._guard -= 1

    def _on_upload(self, change):
        if not change["new"]:
            return
        try:
            decoded = decode_uploads(change["new"])
            self.activations.add_images([im for _, im in decoded],
                                        [tr("upload_n", self.lang, name=name) for name, _ in decoded])
            self._image_note.value = ""
        except Exception as exc:  # noqa: BLE001 - shown next to the button; the old view stays
            self._image_note.value = error_html(exc, self.lang)
        finally:
            self._upload.clear()

    @traitlets.observe("image_index")
    def _on_image(self, change):
        try:
            if self.activations.image_index != change["new"]:
                self.activations.image_index = change["new"]
            if self.gradcam.image_index != change["new"] and \
                    change["new"] < len(self.gradcam.images):
                self.gradcam.image_index = change["new"]
            self._card_image()
        except Exception:
            self.image_index = change["old"]  # the views keep their image; so does the menu
            raise
        finally:
            self._sync_image_menu()

    def _set_image(self, index) -> None:
        """The image menu: a failure is shown, never raised into the comm."""
        if self._guard:
            return
        try:
            self.image_index = index
            self._image_note.value = ""
        except Exception as exc:  # noqa: BLE001 - shown next to the menu
            self._image_note.value = error_html(exc, self.lang)

    # -- views -> shared state ----------------------------------------------------------------
    def _from_view(self, change):
        view = change["owner"]
        if self._guard or view.layer != self.layer and change["name"] == "filter_index":
            return
        if change["name"] == "layer" and change["new"] != self.layer:
            self.layer = change["new"]
        elif change["name"] == "filter_index" and change["new"] != self.filter_index:
            self.filter_index = change["new"]

    def _from_images(self, change):
        if change["name"] == "images":
            # An upload in the shared image bar reaches Grad-CAM too.
            self.gradcam.images = list(self.activations.images)
            self.gradcam.image_index = self.activations.image_index
            self._sync_image_menu()
            return
        self._sync_image_menu()
        if change["new"] != self.image_index:
            self.image_index = change["new"]

    def _to_dream(self, change):
        """The DeepDream page dreams on the shared image (the activation viewer's choice)."""
        source, dream = self.activations, self.dream
        try:
            if change["name"] == "images":
                dream.set_images(source.images, source.image_names, source.image_index)
            elif dream.image_index != change["new"]:
                dream.image_index = change["new"]
            self._dream_note.value = ""
        except Exception as exc:  # noqa: BLE001 - shown on the page, the rest goes on
            self._dream_note.value = error_html(exc, self.lang)

    def _card_image(self) -> None:
        images = self.activations.images
        idx = self.activations.image_index
        if 0 <= idx < len(images):
            self.card.image = images[idx]

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

    def _show_gradcam_status(self, change=None) -> None:
        on = self.tabs.selected_index == self._gradcam_page
        self._gradcam_status.layout.display = None if on else "none"

    def _from_gradcam(self, change):
        self._update_rank()

    def _from_trust(self, change):
        """The trust panel scored the shown map (or a new map cleared it)."""
        from ..compute.cam import cam_methods
        from ._gradcam_trust import area_text
        from ._i18n import method_label

        t = change["new"]
        if t is None:
            self._trust_line.value = ""
            return
        m = t["result"].method
        parts = [method_label(m, cam_methods().get(m, m), self.lang)] + [
            area_text(t[k], self.lang) for k in ("deletion", "insertion")]
        self._trust_line.value = ("<span class='convviz-explorer-trust'>" +
                                  html.escape(" · ".join(parts)) + "</span>")

    def _update_rank(self) -> None:
        """Where the selected channel stands among the Grad-CAM weights of the shown class."""
        res = self.gradcam.result
        if res is None or res.weights is None:
            self._rank.value = ""
            return
        if res.layer != self.layer:
            self._rank.value = html.escape(tr("rank_other", self.lang, gl=res.layer))
            return
        weights = np.asarray(res.weights).reshape(-1)
        f = self.filter_index
        if f >= weights.size:
            self._rank.value = ""
            return
        order = np.argsort(-weights, kind="stable")  # rank 1 = largest positive weight
        rank = int(np.flatnonzero(order == f)[0]) + 1
        cls = self.gradcam.target_name(res.target)
        self._rank.value = "<span class='convviz-rank'>" + html.escape(tr(
            "rank", self.lang, cls=cls, path=res.layer, ch=f, wt=float(weights[f]), rank=rank,
            n=weights.size)) + "</span>"
