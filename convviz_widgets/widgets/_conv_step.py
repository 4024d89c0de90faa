"""``ConvStepViewer``: how one value of a first-layer feature map is computed from the pixels.

The lessons draw an RGB volume times a volumetric filter; this view does it on the model at
hand: click a value of a feature map and see the input patch under the filter (one slice per
input channel), the filter's slices, their element-wise products, the sums per channel, the
bias, the pre-activation and the activation. The arithmetic is :mod:`..compute.conv_arithmetic`
(checked there against the layer's own output, and shown here next to it); this module only
turns its numbers into pixels and text.
"""

from __future__ import annotations

import html
import math
from collections import OrderedDict

import ipywidgets as w
import numpy as np
import traitlets

from .. import compute
from ..compute import weights_identity
from ._activation_images import ImageMenu, append_images
from ._base import LayerViewer
from ..i18n import tr
from ._images import ImageList, check_image_index, images_or_demo, numbered_names
from ._pixels import apply_lut, lut_bytes, scale_codes, to_rgb_u8
from ._raster import RasterView, exact_bytes
from ._scales import ScaleBar

#: (image, layer) forward passes kept: a click on the map only takes a kept pass apart.
_KEEP_PASSES = 4
#: Kernels up to this many taps per slice get their numbers written out (7×7).
_MAX_TABLE_TAPS = 49
#: Display size budget of the image and of the feature map, in CSS pixels.
_PANEL_PX = 256
#: The clicked unit on the map and the window on the image.
_MARK = np.array([255, 0, 255], np.uint8)
_FRAME = np.array([255, 212, 0], np.uint8)


def _num(v: float) -> str:
    # + 0.0 turns -0.0 (a padded zero times a negative weight) into 0: "−0" reads as a bug.
    return f"{float(v) + 0.0:.4g}".replace("-", "−")


def _channel_names(cin: int, lang: str) -> list[str]:
    if cin == 3:
        return ["R", "G", "B"]
    if cin == 1:
        return [tr("cs.grey", lang)]
    return [tr("cs.channel", lang, k=k) for k in range(cin)]


class ConvStepViewer(LayerViewer):
    """Click a value of a first-layer feature map and see how the layer computed it.

    For a unit ``(row, col)`` of channel ``filter_index`` of a convolution that reads the image
    itself (a plain ``Conv2D`` whose input is the model input, also a nested backbone's first
    convolution, also on grayscale input) the view shows: the image with the window the unit
    reads, the input patch (one slice per input channel, zeros where the window leaves the
    image under ``same`` padding), the filter's slices, their element-wise products, the sum
    per input channel, the total plus the bias (the pre-activation), the layer's activation
    function of it, and — as a check — the value the layer itself output there. Strides and
    dilation are taken into account (the frame on the image shows the window's extent).

    Parameters
    ----------
    model : keras.Model
        Any built model: sequential, functional, nested or subclassed.
    images : array-like or list, optional
        As in :class:`ActivationViewer`; default: the bundled demo scenes.
    preprocess : callable, optional
        Display images -> model input (TF ops).
    layer : str or keras layer, optional
        A convolution that reads the image; default: the first one.
    filter_index : int
        The output channel.
    position : (int, int), optional
        ``(row, col)`` of the unit; default: where the channel is largest.
    image_labels : list of str, optional
    lang, controls
        As in :class:`View`.

    Attributes
    ----------
    layer, filter_index, image_index, images
        Settable, as in the other views; ``add_images(images, names)`` appends pictures (the
        upload button does too) and shows the last one.
    position : (int, int)
        The unit taken apart; settable, and set by clicking the feature map.
    unit : ConvArithmetic
        The numbers shown (from :func:`convviz_widgets.compute.conv_arithmetic`'s machinery).

    Raises
    ------
    ValueError
        The model has no plain ``Conv2D`` that reads the image.

    Examples
    --------
    >>> import convviz_widgets as cv
    >>> view = cv.ConvStepViewer(cv.demo_model(), filter_index=4)     # doctest: +SKIP
    >>> view.position = (20, 30)                                      # doctest: +SKIP
    >>> view.unit.pre_activation                                      # doctest: +SKIP
    """

    images = ImageList()
    image_index = traitlets.Int(0)
    position = traitlets.Tuple(traitlets.Int(), traitlets.Int(), default_value=(0, 0))
    _unsuitable = "layer_not_pixels"

    def __init__(self, model, images=None, preprocess=None, layer=None, filter_index: int = 0,
                 position=None, image_labels=None, **kwargs):
        super().__init__(model, **kwargs)
        infos = compute.image_conv_layers(model, preprocess)
        if not infos:
            raise ValueError(tr("cs.none", self.lang, name=getattr(model, "name", "")))
        self._layers = {i.path: i for i in infos}
        self.preprocess = preprocess
        self._passes: OrderedDict[tuple, object] = OrderedDict()
        self.unit = None
        images, names = images_or_demo(images, image_labels, self.lang)
        self.image_menu = ImageMenu(names, self.lang)
        self.image_menu.on_pictures(self.add_images, self._show_error)
        # The base hides these two with controls=False.
        self._image_dd, self._upload = self.image_menu.dropdown, self.image_menu.upload

        self._make_layer_controls(infos, "filter", layer_width=420, slider_width=360)
        cin_label = tr("cs.in_channel", self.lang)
        self.image_view = RasterView(lang=self.lang, tile_label="", gap=0)
        self.map_view = RasterView(lang=self.lang, tile_label="", gap=0)
        self.map_view.on_click(self._on_map_click)
        self.map_bar = ScaleBar()
        small = dict(lang=self.lang, tile_label=cin_label, gap=8, frame="#777",
                     background="#fafafa")
        self.patch_view = RasterView(**small)
        self.kernel_view = RasterView(**small)
        self.product_view = RasterView(**small)
        self.patch_bar, self.kernel_bar, self.product_bar = ScaleBar(), ScaleBar(), ScaleBar()
        self._geometry = w.HTML()
        self._numbers = w.HTML()
        for view, cls in ((self.image_view, "convviz-step-image"),
                          (self.map_view, "convviz-step-map"),
                          (self.patch_view, "convviz-step-patch"),
                          (self.kernel_view, "convviz-step-kernel"),
                          (self.product_view, "convviz-step-products"),
                          (self._numbers, "convviz-step-numbers"),
                          (self._geometry, "convviz-step-geometry")):
            view.add_class(cls)

        self._bind(self._image_dd, "image_index")
        self._bind(self._layer_dd, "layer")
        self._bind(self._slider, "filter_index")

        column = dict(layout=w.Layout(margin="0 16px 0 0"))
        self.children = [
            w.HBox([self.image_menu, self._layer_dd, self._slider],
                   layout=w.Layout(flex_flow="row wrap")),
            self._geometry,
            w.HBox([w.VBox([self.image_view], **column),
                    w.VBox([self.map_view, self.map_bar], **column)],
                   layout=w.Layout(flex_flow="row wrap")),
            w.HBox([w.VBox([self.patch_view, self.patch_bar], **column),
                    w.VBox([self.kernel_view, self.kernel_bar], **column),
                    w.VBox([self.product_view, self.product_bar], **column)],
                   layout=w.Layout(flex_flow="row wrap")),
            self._numbers,
            self._status,
        ]
        self.add_class("convviz-conv-step")
        self._built()

        with self._suppressed():
            self.layer = infos[0].path if layer is None else layer
            self.images = images if images is not None else []
            self.filter_index = filter_index
            if position is not None:
                self.position = tuple(int(v) for v in position)
        if len(self.image_menu.names) != len(self.images):
            self.image_menu.names = numbered_names(self.lang, 0, len(self.images))
        self._render("init", {}, position=None if position is None else self.position)

    # -- helpers ----------------------------------------------------------------------------
    def _count(self, path=None) -> int:
        return int(self._layers[path or self.layer].output_shape[-1])

    def _units(self, index: int, path: str):
        """The kept forward pass of image ``index`` through ``path`` (run it if not kept)."""
        key = (index, id(self.images[index]), path)
        held = self._passes.get(key)
        ident = weights_identity(self.model)  # after fit / set_weights: run again
        if held is not None and held[0] == ident:
            self._passes.move_to_end(key)
            return held[1]
        # The menu holds only layers that read the model input (image_conv_layers), so the
        # layer alone is run on it: no pass through the rest of the network.
        units = compute.conv_units(self.model, self.images[index], path, self.preprocess,
                                   reads_image=True, input_size=self.input_size)
        self._passes[key] = (ident, units)
        while len(self._passes) > _KEEP_PASSES:
            self._passes.popitem(last=False)
        return units

    # -- validation and observers -----------------------------------------------------------
    @traitlets.validate("image_index")
    def _validate_image_index(self, proposal):
        return check_image_index(proposal["value"], len(self.images))

    @traitlets.observe("images")
    def _on_images(self, change):
        if self._suppress:
            return
        if len(self.image_menu.names) != len(change["new"]):
            self.image_menu.names = numbered_names(self.lang, 0, len(change["new"]))
        self._passes.clear()
        with self._suppressed():
            old_index, self.image_index = self.image_index, 0
        self._render("images", {"images": change["old"], "image_index": old_index})

    @traitlets.observe("image_index", "filter_index", "position")
    def _on_change(self, change):
        self._render(change["name"], {change["name"]: change["old"]})

    @traitlets.observe("layer")
    def _on_layer(self, change):
        # Another layer has another output size: its own strongest unit, not a stale position.
        self._render("layer", {"layer": change["old"], "position": self.position}, position=None)

    def _on_map_click(self, tile, y, x) -> None:
        try:
            self.position = (int(y), int(x))
        except Exception as exc:  # noqa: BLE001 - a click must never raise into the comm
            self._show_error(exc)

    # -- rendering --------------------------------------------------------------------------
    def _render(self, what: str, reverts: dict, **overrides) -> None:
        if self._suppress:
            return
        self._sync_controls()
        if not self.images:
            self._numbers.value = f"<i>{html.escape(tr('ui.no_image', self.lang))}</i>"
            return
        state = {"image_index": self.image_index, "layer": self.layer,
                 "filter_index": self.filter_index, "position": self.position}
        state.update(overrides)
        self._transaction(what, reverts, lambda: self._prepare(state), self._apply)

    def _prepare(self, s: dict) -> dict:
        """Everything the new state shows; touches no widget (a failure leaves the view)."""
        units = self._units(s["image_index"], s["layer"])
        unit = units.unit(s["filter_index"], s["position"])
        fmap = units.output[..., unit.filter_index]  # (h', w')
        map_codes, map_scaled = scale_codes(fmap[None], "per_slice")
        map_rgb = apply_lut(map_codes[0], "viridis")
        r, c = unit.position
        map_rgb[r, c] = _MARK
        img = to_rgb_u8(unit.image).copy()
        if img.shape[-1] == 1:
            img = np.repeat(img, 3, axis=-1)
        _frame_window(img, unit.rows, unit.cols)
        slices = [np.moveaxis(a, -1, 0) for a in (unit.patch, unit.kernel, unit.products)]
        coded = [scale_codes(slices[0], "shared", flat=0.5),
                 scale_codes(slices[1], "symmetric", flat=0.5),
                 scale_codes(slices[2], "symmetric", flat=0.5)]
        return {"state": dict(s, position=unit.position), "unit": unit, "map": map_rgb,
                "map_range": (map_scaled.lo, map_scaled.hi), "map_shape": fmap.shape,
                "image": img, "slices": slices, "coded": coded}

    def _apply(self, p: dict) -> int:
        s, unit = p["state"], p["unit"]
        with self._suppressed():
            self.position = s["position"]
        self.unit = unit
        self._sync_controls()
        lang = self.lang
        (r, c), f = unit.position, unit.filter_index
        h, wd = p["map_shape"]
        self.map_view.set_tiles(
            p["map"], zoom=int(np.clip(_PANEL_PX // max(h, wd), 1, 16)),
            title=tr("cs.map", lang, f=f, path=unit.layer, h=h, w=wd),
            caption=tr("cs.map_caption", lang, r=r, c=c, v=_num(unit.output)))
        self.map_bar.show("viridis", "per_slice", *p["map_range"], lang, one_tile=True)
        img = p["image"]
        self.image_view.set_tiles(img, zoom=int(np.clip(_PANEL_PX // max(img.shape[:2]), 1, 8)),
                                  caption=tr("cs.image", lang, r=r, c=c))
        cin, kh, kw = p["slices"][0].shape
        zoom = max(4, 120 // max(kh, kw))
        names = _channel_names(cin, lang)
        sent = img.nbytes + p["map"].nbytes
        titles = (tr("cs.patch", lang), tr("cs.kernel", lang, f=f), tr("cs.products", lang))
        views = ((self.patch_view, self.patch_bar, "gray", "shared"),
                 (self.kernel_view, self.kernel_bar, "RdBu_r", "symmetric"),
                 (self.product_view, self.product_bar, "RdBu_r", "symmetric"))
        for (view, bar, cmap, scale), title, values, (codes, scaled) in zip(
                views, titles, p["slices"], p["coded"]):
            view.set_tiles(codes, vmin=float(scaled.lo[0]), vmax=float(scaled.hi[0]),
                           stacked=True, columns=min(cin, 8), zoom=zoom, lut=lut_bytes(cmap),
                           values=exact_bytes(values), title=title,
                           caption="  ·  ".join(names[:8]) + (" …" if cin > 8 else ""))
            bar.show(cmap, scale, scaled.lo, scaled.hi, lang)
            sent += codes.nbytes
        s_ = unit.strides
        self._geometry.value = (
            "<span class='convviz-step-geometry'>" + html.escape(tr(
                "cs.geometry", lang, n=cin, path=unit.layer, kh=kh, kw=kw, cin=cin,
                s=f"{s_[0]}×{s_[1]}", d=f"{unit.dilation[0]}×{unit.dilation[1]}",
                p=unit.padding), quote=False) + "</span>")
        self._numbers.value = _numbers_html(unit, names, lang)
        return sent

    @property
    def image_names(self) -> list[str]:
        """The image menu's entries, one per image (a copy)."""
        return list(self.image_menu.names)

    def add_images(self, images, names=None) -> None:
        """Append ``images`` (named ``names`` in the menu) and show the last one.

        If one cannot be shown, nothing changes and the error is raised (and shown).
        """
        append_images(self, images, names)

    def _sync_controls(self) -> None:
        with self._quiet():
            self.image_menu.index = self.image_index
            self._sync_layer_controls()


def _frame_window(img: np.ndarray, rows: np.ndarray, cols: np.ndarray) -> None:
    """Draw a frame just outside the window's extent (in place; padding taps excluded)."""
    inside_r, inside_c = rows[rows >= 0], cols[cols >= 0]
    if not len(inside_r) or not len(inside_c):
        return
    h, w = img.shape[:2]
    top, bottom = int(inside_r.min()) - 1, int(inside_r.max()) + 1
    left, right = int(inside_c.min()) - 1, int(inside_c.max()) + 1
    rr = np.arange(max(top, 0), min(bottom, h - 1) + 1)
    cc = np.arange(max(left, 0), min(right, w - 1) + 1)
    for y in (top, bottom):
        if 0 <= y < h:
            img[y, cc] = _FRAME
    for x in (left, right):
        if 0 <= x < w:
            img[rr, x] = _FRAME


def _numbers_html(unit, names: list[str], lang: str) -> str:
    """The arithmetic written out: per input channel the products (patch × weight on hover
    of each cell), their sum; then the total, the bias, the activation and the check."""
    kh, kw, cin = unit.patch.shape
    parts = ["<div class='convviz-step-numbers' style='font-size:12px'>"]
    if unit.padded_taps:
        note = tr("cs.padding", lang, n=unit.padded_taps)
        parts.append(f"<div>{html.escape(note, quote=False)}</div>")
    if kh * kw <= _MAX_TABLE_TAPS:
        parts.append("<div style='display:flex;flex-wrap:wrap;gap:14px'>")
        for k in range(min(cin, 8)):
            parts.append("<table style='border-collapse:collapse'>")
            for i in range(kh):
                cells = []
                for j in range(kw):
                    padded = unit.rows[i] < 0 or unit.cols[j] < 0
                    style = "color:#999;font-style:italic;" if padded else ""
                    tip = f"{_num(unit.patch[i, j, k])} × {_num(unit.kernel[i, j, k])}"
                    cells.append(f"<td title='{html.escape(tip)}' style='{style}padding:1px 4px;"
                                 f"border:1px solid #ddd;text-align:right'>"
                                 f"{html.escape(tip)}<br>= {_num(unit.products[i, j, k])}</td>")
                parts.append("<tr>" + "".join(cells) + "</tr>")
            cap = tr("cs.slice_sum", lang, ch=names[k], s=_num(unit.channel_sums[k]))
            parts.append(f"<caption style='caption-side:bottom'>{html.escape(cap)}</caption>"
                         "</table>")
        parts.append("</div>")
    else:
        parts.append(f"<div>{html.escape(tr('cs.big', lang, n=kh * kw))}</div>")
    terms = " + ".join(f"Σ {n}" for n in names[:8]) + (" + …" if cin > 8 else "")
    terms = f"({terms})" if cin > 1 else ""
    ok = math.isclose(unit.activation, unit.output, rel_tol=1e-4, abs_tol=1e-4)
    mark = "✓" if ok else "≠"
    for line in (tr("cs.total", lang, terms=terms, s=_num(unit.products_total)),
                 tr("cs.bias", lang, b=_num(unit.bias), z=_num(unit.pre_activation)),
                 tr("cs.act", lang, fn=unit.activation_name, z=_num(unit.pre_activation),
                    a=_num(unit.activation)),
                 tr("cs.check", lang, r=unit.position[0], c=unit.position[1],
                    f=unit.filter_index, o=_num(unit.output), mark=mark)):
        parts.append(f"<div class='cv-line'>{html.escape(line, quote=False)}</div>")
    parts.append("</div>")
    return "".join(parts)
