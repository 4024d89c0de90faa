"""``ActivationViewer``: every channel a layer produces for an image, as a clickable grid."""

from __future__ import annotations

import html
import math

import ipywidgets as w
import numpy as np
import traitlets

from ..compute import conv_layers
from ._activation_frame import (NORMALIZE_ALIASES, Frame, FrameCache, codes_on, tile_lines,
                                values_caption)
from ._activation_images import ImageMenu, append_images, show_fed
from ._base import LayerViewer, check_in_layer
from ..i18n import tr
from ._view_error import ViewError
from ._grid import PAGE_SIZE, ChannelGrid, grid_palette, page_tiles, plan_grid, resample_indices
from ._images import ImageList, check_image_index, images_or_demo, numbered_names
from ._pixels import SEQUENTIAL_COLORMAPS, lut, lut_bytes, to_rgb_u8
from ._raster import RasterView, exact_bytes
from ._scales import SCALES, ScaleBar, scale_name, scale_options

#: Display size budget of the enlarged channel and of the input image, in CSS pixels.
_ENLARGED_PX = 256
#: Narrowest width of the input/selected-channel column, in CSS pixels (room for the colour bar).
_SIDE_MIN_PX = 300
#: Larger maps are subsampled before sending (a fully convolutional model on a big picture).
_MAX_SEND_SIDE = 512


class ActivationViewer(LayerViewer):
    """Browse the feature maps an image produces in every layer of a Keras convnet.

    Controls: an image selector (the images given, the bundled demo scenes by default, and an
    upload button for your own picture), a layer dropdown, a channel slider, a colormap and a
    scale (the lessons' named scales; a colour bar names the one shown and its limits). Views:
    every channel of the layer as a tile grid (lossless; blank channels crossed out in red; the
    selected channel outlined; hover a tile for its range, click it to select it, both
    hit-tested in the browser; layers with more than 256 channels are paged), the selected
    channel enlarged with its value range (hover shows values), the layer's sparsity (share of
    channels that are blank for this image) and the input image as it was fed to the model.

    All model work goes through :func:`convviz_widgets.compute.activations`, which runs one
    forward pass per image and caches every layer, so switching layer, channel, colormap or
    normalisation never re-runs the model.

    Parameters
    ----------
    model : keras.Model
        Any built model: sequential, functional, nested or subclassed.
    images : array-like or list, optional
        ``(n, h, w, c)``, one ``(h, w, c)`` image or a list of images of any sizes (uint8, or
        float in [0, 1]). Default: the bundled demo scenes if available.
    preprocess : callable, optional
        Maps display images (float32 tensor in [0, 1]) to model input, e.g.
        ``lambda x: keras.applications.vgg16.preprocess_input(x * 255)``.
    layer : str or keras layer, optional
        Initial layer; default: the first layer with a spatial output.
    filter_index : int
        Initial channel.
    colormap : str
        Any matplotlib colormap; the menu offers viridis, magma, inferno, plasma, cividis, gray…
    normalize : {"channel", "layer"} or str
        The older name of ``scale``: ``"channel"`` is ``"per_slice"``, ``"layer"`` is
        ``"shared"``; a scale name is taken as it is.
    scale : str, optional
        How values become colours (:data:`convviz_widgets.display.SCALES`; default from
        ``normalize``, i.e. ``"per_slice"``): ``"standardize"`` is the Chollet lessons'
        ``(v − mean)/std × 64 + 128``, ``"shared"`` one range for the layer so channels compare.
        The grid and the enlarged channel are the pixels
        :func:`convviz_widgets.plotting.plot_activation_grid` draws for the same scale.
    image_labels : list of str, optional
        Names for the image selector.

    Attributes
    ----------
    layer : str
        Path of the shown layer; settable.
    scale : str
        The scale; settable. ``normalize`` reads and sets it by its older names.
    filter_index : int
        Selected channel; settable; follows the slider and clicks on the grid.
    images : list of ndarray
        The images to choose from; settable (the selection resets to the first).
    image_index : int
        The shown image; settable.
    canvas : ChannelGrid
        The channel grid component (an anywidget raster; see ``widgets/_grid.py``): its
        ``selected`` tile is the channel's place on the shown page.
    image_menu : ImageMenu
        The image chooser component (menu and Upload button).
    grid_image : ndarray or None
        The RGB page last sent to the grid, at data resolution (before the browser's zoom).

    Examples
    --------
    >>> import convviz_widgets as cv
    >>> viewer = cv.ActivationViewer(cv.demo_model())               # doctest: +SKIP
    >>> viewer.layer = "block2_conv1"; viewer.filter_index = 3      # doctest: +SKIP
    >>> viewer                                                       # doctest: +SKIP
    """

    images = ImageList()
    image_index = traitlets.Int(0)
    colormap = traitlets.Unicode("viridis")
    scale = traitlets.Enum(tuple(SCALES), default_value="per_slice")
    page = traitlets.Int(0)

    def __init__(self, model, images=None, preprocess=None, layer=None, filter_index: int = 0,
                 colormap: str = "viridis", normalize: str = "channel", image_labels=None,
                 scale: str | None = None, **kwargs):
        super().__init__(model, **kwargs)
        infos = conv_layers(model, kind="spatial")
        if not infos:
            raise ValueError(
                f"Model {getattr(model, 'name', '')!r} has no layer with a spatial output "
                "(batch, height, width, channels); there are no feature maps to show.")
        self._layers = {i.path: i for i in infos}
        self.preprocess = preprocess
        #: The frames shown lately (bounded), computed once while the weights stay.
        self.frames = FrameCache(model)
        self._frame: Frame | None = None
        self._grid_state: dict = {}  # what the grid's page shows: key, first channel, blanks

        images, names = images_or_demo(images, image_labels, self.lang)
        self.image_menu = ImageMenu(names, self.lang)
        self.image_menu.on_pictures(self.add_images, self._show_error)
        # The base hides these two with controls=False.
        self._image_dd, self._upload = self.image_menu.dropdown, self.image_menu.upload

        self._make_layer_controls(infos, "channel")
        self._cmap_dd = w.Dropdown(options=list(SEQUENTIAL_COLORMAPS), description=tr("ui.colormap", self.lang),
                                   style={"description_width": "initial"},
                                   layout=w.Layout(width="220px"))
        self._scale_dd = w.Dropdown(options=scale_options(self.lang), description=tr("ui.scale", self.lang),
                                    layout=w.Layout(width="340px"))
        self._page_dd = w.Dropdown(description=tr("ui.page", self.lang), layout=w.Layout(width="260px"))
        self._sparsity = w.HTML()
        self.canvas = ChannelGrid(lang=self.lang)
        self.canvas.observe(self._on_grid_selected, "selected")
        self.enlarged = RasterView(lang=self.lang, tile_label="", colorbar=False, gap=0,
                                   value_unit=tr("hover.activation", self.lang))
        self.scale_bar = ScaleBar()  # names the scale; ends: the enlarged channel's limits
        self.input_view = RasterView(lang=self.lang, tile_label="", gap=0,
                                     title=tr("ui.input", self.lang))
        # Stable DOM classes: for user CSS and for the browser tests' selectors.
        self.canvas.add_class("convviz-grid")
        self.enlarged.add_class("convviz-enlarged")
        self.input_view.add_class("convviz-input")
        self.scale_bar.add_class("convviz-activation-scale")
        self._sparsity.add_class("convviz-sparsity")

        self._bind(self._image_dd, "image_index")
        self._bind(self._layer_dd, "layer")
        self._bind(self._slider, "filter_index")
        self._bind(self._cmap_dd, "colormap")
        self._bind(self._scale_dd, "scale")
        self._bind(self._page_dd, "page")

        grid_box = w.VBox([w.HTML(tr("av.grid_head", self.lang)), self.canvas])
        # The input and the selected channel sit in a column of fixed width, set from the
        # pictures' sizes (which change with the image or layer, never with the channel). Sized
        # by its content it grew with the caption's length, and the row wrapped it under the
        # grid (off-screen) for some channels and not for others.
        side = w.VBox([self.input_view, self.enlarged, self.scale_bar],
                      layout=w.Layout(width=f"{_SIDE_MIN_PX}px", flex="0 0 auto"))
        side.add_class("convviz-activation-side")
        self._side = side
        self.children = [
            self.image_menu,
            w.HBox([self._layer_dd, self._slider]),
            w.HBox([self._cmap_dd, self._scale_dd, self._page_dd],
                   layout=w.Layout(flex_flow="row wrap")),
            self._sparsity,
            w.HBox([grid_box, side], layout=w.Layout(flex_flow="row wrap")),
            self._status,
        ]
        self.add_class("convviz-activation-viewer")
        self._built()

        with self._suppressed():
            self.colormap = colormap
            self.scale = scale if scale is not None else NORMALIZE_ALIASES.get(normalize,
                                                                                normalize)
            self.layer = infos[0].path if layer is None else layer
            self.images = images if images is not None else []
            self.filter_index = filter_index
        if len(self.image_menu.names) != len(self.images):
            self.image_menu.names = numbered_names(self.lang, 0, len(self.images))
        self._render("init", {})

    # -- helpers ----------------------------------------------------------------------------
    def _count(self, path=None) -> int:
        return int(self._layers[path or self.layer].output_shape[-1])

    def _pages(self) -> int:
        return max(1, math.ceil(self.channels / PAGE_SIZE))

    @property
    def normalize(self) -> str:
        """The scale by the older names: ``"channel"`` (per_slice), ``"layer"`` (shared), or
        the scale's own name; settable likewise."""
        older = {v: k for k, v in NORMALIZE_ALIASES.items()}
        return older.get(self.scale, self.scale)

    @normalize.setter
    def normalize(self, value: str) -> None:
        scale = NORMALIZE_ALIASES.get(value, value)
        if scale not in SCALES:
            raise ViewError("av_normalize", scales=list(SCALES), value=value)
        self.scale = scale

    def frame(self, index: int | None = None, path: str | None = None) -> Frame:
        """Activations of image ``index`` at layer ``path`` (defaults: the shown ones)."""
        index = self.image_index if index is None else index
        return self.frames.frame(self.images, index, path or self.layer, self.preprocess,
                                 self.input_size)

    @property
    def grid_image(self) -> np.ndarray | None:
        """The page last sent to the grid as ``(H, W, 3)`` uint8 RGB at data resolution."""
        page = self.canvas.page_image
        return None if page is None else grid_palette(lut(self.colormap))[page]

    @property
    def channel(self) -> np.ndarray:
        """The selected channel's activation map ``(h, w)`` float32, as compute returned it."""
        return self.frame().a[..., self.filter_index]

    # -- validation -------------------------------------------------------------------------
    @traitlets.validate("image_index")
    def _validate_image_index(self, proposal):
        return check_image_index(proposal["value"], len(self.images))

    @traitlets.validate("page")
    def _validate_page(self, proposal):
        return check_in_layer("page", proposal["value"], self._pages(), self.layer, "pages",
                              size=PAGE_SIZE)

    @traitlets.validate("colormap")
    def _validate_colormap(self, proposal):
        try:
            lut_bytes(proposal["value"])
        except ValueError as exc:
            raise traitlets.TraitError(str(exc)) from None
        return proposal["value"]

    # -- observers --------------------------------------------------------------------------
    @traitlets.observe("images")
    def _on_images(self, change):
        if self._suppress:
            return
        n = len(change["new"])
        old_names = list(self.image_menu.names)
        if len(old_names) != n:
            self.image_menu.names = numbered_names(self.lang, 0, n)
        self.frames.clear()
        with self._suppressed():
            old_index = self.image_index
            self.image_index = 0
        try:
            self._render("images", {"images": change["old"], "image_index": old_index})
        except Exception:
            # The transaction put the old images back; their labels and the image menu must
            # follow, or the menu keeps one option per *new* image and the next action fails
            # with a TraitError instead of showing anything.
            self.image_menu.names = old_names
            self._sync_controls()
            raise

    @traitlets.observe("image_index")
    def _on_image_index(self, change):
        self._render("image", {"image_index": change["old"]})

    @traitlets.observe("layer")
    def _on_layer(self, change):
        with self._suppressed():
            old_page = self.page
            self.page = 0  # the new layer may have fewer pages; _prepare picks the right one
        self._render("layer", {"layer": change["old"], "page": old_page})

    @traitlets.observe("filter_index")
    def _on_filter(self, change):
        self._render("filter", {"filter_index": change["old"]})

    @traitlets.observe("page")
    def _on_page(self, change):
        if self._suppress:
            return
        # Turning the page selects the first channel on it, so outline and enlarged view agree.
        f = change["new"] * PAGE_SIZE
        self._render("page", {"page": change["old"]}, filter_index=f)

    @traitlets.observe("colormap", "scale")
    def _on_look(self, change):
        self._render(change["name"], {change["name"]: change["old"]})

    # -- rendering --------------------------------------------------------------------------
    def _render(self, what: str, reverts: dict, **overrides) -> None:
        if self._suppress or self._defer_render():
            return
        self._sync_controls()
        if not self.images:
            self._show_empty()
            return
        state = {"image_index": self.image_index, "layer": self.layer,
                 "filter_index": self.filter_index, "colormap": self.colormap,
                 "scale": self.scale}
        state.update(overrides)
        self._transaction(what, reverts, lambda: self._prepare(state), self._apply)

    def _refresh(self) -> None:
        self._render("refresh", {})

    def _show_empty(self) -> None:
        self._sparsity.value = f"<i>{html.escape(tr('ui.no_image', self.lang))}</i>"
        self._grid_state = {}
        self.canvas.clear()

    def _prepare(self, s: dict) -> dict:
        """Compute everything the new state shows; touches no widget (so failures are clean)."""
        fr = self.frame(s["image_index"], s["layer"])
        h, w, c = fr.a.shape
        f = min(s["filter_index"], c - 1)
        page = f // PAGE_SIZE
        lo, hi = fr.limits(s["scale"])
        p = {"state": dict(s, filter_index=f, page=page), "frame": fr}

        grid_key = (s["image_index"], s["layer"], id(fr), page, s["scale"])
        if grid_key != self._grid_state.get("key"):
            start, stop = page * PAGE_SIZE, min(c, (page + 1) * PAGE_SIZE)
            layout = plan_grid(stop - start, h, w)
            ri = resample_indices(h, layout.th)
            ci = resample_indices(w, layout.tw)
            small = fr.a[ri][:, ci][..., start:stop]  # (th, tw, n): resample before quantising
            codes = codes_on(small, lo[start:stop], hi[start:stop])
            p["grid"] = {"key": grid_key, "layout": layout, "start": start,
                         "tiles": page_tiles(codes, layout),
                         "blank": [int(i) for i in np.flatnonzero(fr.blank[start:stop])]}
        elif s["colormap"] != self._grid_state.get("colormap"):
            p["recolor"] = True  # same indices, new palette

        e = fr.a[..., f]
        step = max(1, math.ceil(max(h, w) / _MAX_SEND_SIDE))
        e = e[::step, ::step]
        p["enlarged"] = {"codes": codes_on(e, lo[f], hi[f]), "exact": exact_bytes(e),
                         "lo": float(lo[f]),
                         "hi": float(hi[f]),
                         "zoom": int(np.clip(_ENLARGED_PX // max(e.shape), 1, 32)),
                         "blank": bool(fr.blank[f])}
        # The fed image is a new array on every compute call; the source image identifies it.
        img_key = (s["image_index"], id(self.images[s["image_index"]]))
        if img_key != getattr(self, "_input_key", None):
            img = fr.image[::max(1, math.ceil(max(fr.image.shape[:2]) / _MAX_SEND_SIDE))]
            p["input"] = {"key": img_key, "u8": to_rgb_u8(img),
                          "zoom": int(np.clip(_ENLARGED_PX // max(img.shape[:2]), 1, 8))}
        return p

    def _apply(self, p: dict) -> int:
        s = p["state"]
        fr: Frame = p["frame"]
        with self._suppressed():  # set only when clamped or turned: each set validates again
            if self.filter_index != s["filter_index"]:
                self.filter_index = s["filter_index"]
            if self.page != s["page"]:
                self.page = s["page"]
        self._sync_controls()
        sent = 0
        if "input" in p:
            inp = p["input"]
            sent += show_fed(self.input_view, inp["u8"], inp["zoom"], fr.resized_from, self.lang)
            self._input_key = inp["key"]
        self._frame = fr
        if "grid" in p:
            g = p["grid"]
            self._grid_state = {"key": g["key"], "start": g["start"], "blank": g["blank"],
                                "colormap": s["colormap"]}
            start = g["start"]
            sent += self.canvas.show_page(
                g["tiles"], g["layout"], grid_palette(lut(s["colormap"])), marked=g["blank"],
                selected=s["filter_index"] - start,
                tile_info=tile_lines(fr, start, g["layout"].n, self.lang))
        else:
            if p.get("recolor"):
                self._grid_state["colormap"] = s["colormap"]
                sent += self.canvas.set_palette(grid_palette(lut(s["colormap"])))
            # One small trait: the browser moves the outline on its own layer.
            self.canvas.select(s["filter_index"] - self._grid_state.get("start", 0))
        en = p["enlarged"]
        c = fr.a.shape[-1]
        self._fit_side(en)
        blank = tr("av.blank", self.lang) if en["blank"] else ""
        self.enlarged.set_tiles(
            en["codes"], vmin=en["lo"], vmax=en["hi"], zoom=en["zoom"],
            lut=lut_bytes(s["colormap"]), values=en["exact"],
            title=tr("av.channel", self.lang, f=s["filter_index"], c=c) + blank,
            caption=values_caption(fr, s["layer"], s["filter_index"], s["scale"],
                                   self.lang))
        self.scale_bar.show(s["colormap"], s["scale"], en["lo"], en["hi"], self.lang,
                            one_tile=True)
        sent += en["codes"].nbytes + len(en["exact"])
        n_blank = int(fr.blank.sum())
        self._sparsity.value = (
            "<span class='convviz-sparsity'>"
            + tr("av.sparsity", self.lang, layer=s["layer"], n=n_blank, c=c,
                 p=f"{fr.blank_fraction:.0%}", h=fr.a.shape[0], w=fr.a.shape[1])
            + "</span>")
        return sent

    def _export_labels(self) -> dict:
        """Model · layer · channel f of c; the channel's real range and the image; the colour
        bar of the enlarged channel (its window), named by the scale."""
        labels = super()._export_labels()
        if self._frame is None:
            return labels
        c = self._frame.a.shape[-1]
        labels["title"] = " · ".join([getattr(self.model, "name", "model"), self.layer,
                                      tr("av.channel", self.lang, f=self.filter_index, c=c)])
        names = self.image_names
        image = names[self.image_index] if self.image_index < len(names) else ""
        labels["subtitle"] = self.enlarged.caption + (
            " · " + tr("ex.image", self.lang, name=image) if image else "")
        labels["colorbar"] = self._colour_bar_of(
            self.enlarged, f"{tr('hover.activation', self.lang)} — "
                           f"{scale_name(self.scale, self.lang)}")
        return labels

    def _fit_side(self, en: dict) -> None:
        """The side column as wide as its widest picture (input or enlarged channel): a
        function of image and layer only, so choosing another channel moves nothing."""
        widths = [_SIDE_MIN_PX]
        h, wd = en["codes"].shape[:2]
        widths.append(wd * en["zoom"] + 16)
        n, ih, iw, _c = self.input_view.shape
        if n:
            widths.append(iw * max(1, self.input_view.zoom) + 16)
        px = f"{max(widths)}px"
        if self._side.layout.width != px:
            self._side.layout.width = px

    def _on_grid_selected(self, change) -> None:
        """A click on a tile (the grid set its ``selected``): select that channel."""
        if change["new"] < 0 or self._syncing or self._suppress:
            return
        try:
            self.filter_index = self._grid_state.get("start", 0) + change["new"]
        except Exception as exc:  # noqa: BLE001 - a click must never raise into the comm
            self._show_error(exc)

    def _export_leaf(self, widget):
        """Export hook: the grid exports as the page last sent (:attr:`grid_image`, data
        resolution, the grid's own gaps), not through the generic raster layout."""
        if widget is self.canvas:
            return self.grid_image
        return super()._export_leaf(widget)

    # -- images -----------------------------------------------------------------------------
    @property
    def image_names(self) -> list[str]:
        """The image menu's entries, one per image (a copy)."""
        return list(self.image_menu.names)

    def add_images(self, images, names=None) -> None:
        """Append ``images`` (named ``names`` in the menu) and show the last one.

        If one cannot be shown, nothing changes and the error is raised (and shown).

        Examples
        --------
        >>> av.add_images([photo], ["my photo"])      # doctest: +SKIP
        """
        append_images(self, images, names)

    # -- controls ---------------------------------------------------------------------------
    def _sync_controls(self) -> None:
        with self._quiet():
            self.image_menu.index = self.image_index
            n = self._sync_layer_controls()
            if n is not None:
                pages = self._pages()
                options = tuple((tr("av.page", self.lang, a=k * PAGE_SIZE,
                                    b=min(n, (k + 1) * PAGE_SIZE) - 1), k)
                                for k in range(pages))
                if tuple(self._page_dd.options) != options:
                    self._page_dd.options = options
                self._page_dd.value = min(self.page, pages - 1)
                self._page_dd.layout.display = None if pages > 1 else "none"
            if self.colormap not in self._cmap_dd.options:
                self._cmap_dd.options = list(self._cmap_dd.options) + [self.colormap]
            self._cmap_dd.value = self.colormap
            self._scale_dd.value = self.scale

