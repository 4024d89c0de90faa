"""``KernelViewer``: the learned weights of every convolution layer, one filter at a time."""

from __future__ import annotations

import math
from collections import OrderedDict

import ipywidgets as w
import numpy as np
import traitlets

from ..compute import access, conv_layers, kernels, weights_identity
from ..compute.kernels import stats_of_kernel
from ._base import LayerViewer
from ..i18n import tr
from ._view_error import ViewError
from ..display import is_diverging, range_text
from ._pixels import DIVERGING_COLORMAPS, lut_bytes, quantize, scale_codes, symmetric_limit
from ._raster import RasterView, exact_bytes
from ._scales import SCALES, ScaleBar, scale_label, scale_options
from ._fit import FIT_BUTTONS

#: The kernel viewer's colour tables: the diverging maps (zero in the middle) and grey, the 000
#: handout's way of showing kernels (on "shared [min, max]": black = min, white = max).
KERNEL_COLORMAPS = DIVERGING_COLORMAPS + ("gray",)


def slice_labels(cin: int, cols: int, lang: str = "en") -> tuple[str, list[str]]:
    """What tells the slices apart: a caption saying their order, and one hover line each.

    Examples
    --------
    >>> slice_labels(3, 3)[0]
    'left to right: input channel 0 = R (red), 1 = G (green), 2 = B (blue)'
    >>> slice_labels(3, 3, "es")[1]
    ['canal de entrada 0 (R)', 'canal de entrada 1 (G)', 'canal de entrada 2 (B)']
    >>> slice_labels(16, 4)[0]
    'input channels 0–15, row by row from the top left, 4 per row; hover a slice for its channel'
    """
    if cin == 3:
        return (tr("kv.rgb_order", lang),
                [tr("kv.slice_info_rgb", lang, c=c, name="RGB"[c]) for c in range(3)])
    info = [tr("kv.slice_info", lang, c=c) for c in range(cin)]
    if cin == 1:
        return tr("kv.one_channel", lang), info
    if cols >= cin:
        return tr("kv.row_order", lang, last=cin - 1), info
    return tr("kv.grid_order", lang, last=cin - 1, cols=cols), info
#: The old two-way scale menu's values: both are the symmetric scale, over the filter or layer.
_LEGACY_SCALES = ("filter", "layer")

#: Layers whose weights are kept after leaving them (a VGG16 block5 kernel is 9.4 MB).
_KEEP_LAYERS = 3


class _LayerWeights:
    """One layer's kernel, its statistics and its filters × channels overview."""

    def __init__(self, kernel: np.ndarray, stats):
        self.kernel = kernel  # (kh, kw, cin, cout)
        self.stats = stats
        kh, kw, cin, cout = kernel.shape
        # One pixel per kernel slice: the slice's largest-magnitude weight, sign kept, so the
        # overview uses the same zero-centred colours as the slices. A 512×512 layer becomes
        # 256 kB instead of 9 MB of floats.
        flat = kernel.reshape(kh * kw, cin, cout)  # (kh*kw, cin, cout)
        hi, lo = flat.max(axis=0), flat.min(axis=0)  # (cin, cout) each; two cheap reductions
        self.overview = np.where(-lo > hi, lo, hi).T  # (cout, cin)
        self.limit = symmetric_limit(stats.vmin, stats.vmax)


class KernelViewer(LayerViewer):
    """Browse the kernels of a Keras convnet: layer dropdown, filter slider, shared-scale views.

    Shows the selected filter's input-channel slices on one zero-centred diverging scale (sign
    is visible: red positive, blue negative with ``RdBu_r``), an RGB composite when the filter
    reads three channels (a first layer's colour detectors), the whole layer as a filters ×
    input-channels matrix with dead filters flagged, and a stats line. Clicking a row of the
    matrix selects that filter.

    Parameters
    ----------
    model : keras.Model
        Any built model: sequential, functional, nested or subclassed.
    layer : str or keras layer, optional
        Initial layer (path, unique name or object); default: the first convolution layer.
    filter_index : int
        Initial filter.
    colormap : str
        A diverging matplotlib colormap (applied in the browser; changing it sends 768 bytes).
    scale : str
        How weights become colours (:data:`convviz_widgets.display.SCALES`): ``"symmetric"``
        (default: zero in the middle, ``±max|w|``), ``"shared"`` ([min, max]: the 000 handout,
        with ``colormap="gray"``), ``"per_slice"`` (each slice on its own [min, max]: the 001
        handout), ``"standardize"``, ``"stretch"`` or ``"raw"``. The older ``"filter"`` and
        ``"layer"`` still work: symmetric over the filter or the layer.
    scale_over : {"filter", "layer"}
        Where the one-range scales (symmetric, shared) take their range: the selected filter's
        weights, or the whole layer's (to compare filters).

    Attributes
    ----------
    layer : str
        Path of the shown layer; settable (the view follows).
    filter_index : int
        Selected filter; settable, moves with the slider and with clicks on the matrix.
    colormap, scale, scale_over : str
        As the parameters; settable. A colour bar under the slices names the scale and its
        limits; the slices are the pixels :func:`convviz_widgets.plotting.plot_filter_slices`
        draws for the same scale.

    Raises
    ------
    ValueError
        The model has no layer with a 2-D convolution kernel.

    Examples
    --------
    >>> import convviz_widgets as cv
    >>> viewer = cv.KernelViewer(cv.demo_model())        # doctest: +SKIP
    >>> viewer.layer = "block2_conv1"; viewer.filter_index = 5   # doctest: +SKIP
    >>> viewer                                            # doctest: +SKIP
    """

    colormap = traitlets.Unicode("RdBu_r")
    scale = traitlets.Unicode("symmetric")
    scale_over = traitlets.Enum(_LEGACY_SCALES, default_value="filter")

    def __init__(self, model, layer=None, filter_index: int = 0, colormap: str = "RdBu_r",
                 scale: str = "symmetric", scale_over: str = "filter", **kwargs):
        super().__init__(model, **kwargs)
        infos = conv_layers(model, kind="kernel")
        if not infos:
            raise ValueError(
                f"Model {getattr(model, 'name', '')!r} has no layer with a 2-D convolution kernel "
                "(Conv2D, Conv2DTranspose, DepthwiseConv2D, SeparableConv2D), so there are no "
                "kernels to show.")
        self._layers = {i.path: i for i in infos}
        # path -> (weights identity, _LayerWeights), most recently used last
        self._weights: OrderedDict[str, tuple] = OrderedDict()
        # (scale, lo, hi, centred) of the slices on screen, for the colour bar
        self._shown_scale = None

        self._make_layer_controls(infos, "filter")
        # "initial": the label keeps its full width in every language ("mapa de color").
        self._cmap_dd = w.Dropdown(options=list(KERNEL_COLORMAPS), description=tr("ui.colormap", self.lang),
                                   style={"description_width": "initial"},
                                   layout=w.Layout(width="220px"))
        self._scale_dd = w.Dropdown(options=scale_options(self.lang), description=tr("ui.scale", self.lang),
                                    layout=w.Layout(width="340px"))
        self._scale_tb = w.ToggleButtons(options=[(tr("ui.filter_scale", self.lang), "filter"),
                                                  (tr("ui.layer_scale", self.lang), "layer")],
                                         style=FIT_BUTTONS)
        self.scale_bar = ScaleBar()
        self.scale_bar.add_class("convviz-kernel-scale")
        self._stats = w.HTML()
        # A wide gap and a grey frame per slice: 3×3 slices of a diverging map (zero is white)
        # tiled 4 px apart on light grey read as one noisy picture.
        cin = tr("ui.input_channel", self.lang)
        self.slices = RasterView(lang=self.lang, tile_label=cin, colorbar=False, gap=7,
                                 frame="#777", background="#fafafa",
                                 value_unit=tr("hover.weight", self.lang))
        self.composite = RasterView(lang=self.lang, tile_label="", gap=0)
        self.overview = RasterView(lang=self.lang, labels=["", tr("ui.filter", self.lang), cin],
                                   colorbar=True,
                                   margin=8, gap=0,
                                   value_unit=tr("hover.kernel_max", self.lang))
        self.overview.on_click(self._on_overview_click)
        self.slices.add_class("convviz-slices")
        self.composite.add_class("convviz-composite")
        self.overview.add_class("convviz-overview")

        self._bind(self._layer_dd, "layer")
        self._bind(self._slider, "filter_index")
        self._bind(self._cmap_dd, "colormap")
        self._bind(self._scale_dd, "scale")
        self._bind(self._scale_tb, "scale_over")

        self.children = [
            w.HBox([self._layer_dd, self._slider]),
            w.HBox([self._cmap_dd, self._scale_dd, self._scale_tb],
                   layout=w.Layout(flex_flow="row wrap")),
            self._stats,
            w.HBox([w.VBox([self.slices, self.scale_bar]), self.composite],
                   layout=w.Layout(flex_flow="row wrap")),
            self.overview,
            self._status,
        ]
        self.add_class("convviz-kernel-viewer")
        self._built()

        with self._suppressed():
            self.colormap = colormap
            self.scale = scale
            if scale not in _LEGACY_SCALES:
                self.scale_over = scale_over
            self.layer = infos[0].path if layer is None else layer
            self.filter_index = filter_index
        self._transaction("init", {}, lambda: self._prepare_layer(self.layer, self.filter_index),
                          self._apply_layer)

    # -- helpers ----------------------------------------------------------------------------
    @staticmethod
    def _label(info) -> str:
        kh, kw, cin, cout = info.kernel_shape
        # A SeparableConv2D shows its effective kernel (depthwise ∘ pointwise): say so.
        kind = ", depthwise∘pointwise" if info.class_name == "SeparableConv2D" else ""
        return f"{info.path}  ({kh}×{kw}, {cin}→{cout}{kind})"

    def _count(self, path=None) -> int:
        return int(self._layers[path or self.layer].kernel_shape[-1])

    def _layer_weights(self, path: str) -> _LayerWeights:
        # The layer's weights identity (compute's one staleness rule) is read on every use, so
        # kernels after fit / set_weights are never the ones kept from before — also for a
        # layer left and come back to. One layer's variables: microseconds to milliseconds.
        ident = weights_identity(access(self.model).layer(path))
        held = self._weights.get(path)
        if held is not None and held[0] == ident:
            self._weights.move_to_end(path)
            return held[1]
        # kernel_stats(model, path) would read the weights a second time; the statistics of
        # the array we already hold are the same computation.
        kernel = kernels(self.model, path)
        data = _LayerWeights(kernel, stats_of_kernel(kernel))
        self._weights[path] = (ident, data)
        self._weights.move_to_end(path)
        while len(self._weights) > _KEEP_LAYERS:
            self._weights.popitem(last=False)
        return data

    def refresh(self) -> None:
        """Redraw from the current weights (changed weights are noticed anyway on the next
        layer or filter change; this redraws without one)."""
        self._weights.clear()
        self._transaction("refresh", {}, lambda: self._prepare_layer(self.layer, self.filter_index),
                          self._apply_layer)

    def _refresh(self) -> None:
        # Shown again: the layer's matrix and the filter as the traits are now.
        self._sync_controls()
        self._transaction("refresh", {}, lambda: self._prepare_layer(self.layer, self.filter_index),
                          self._apply_layer)

    @property
    def kernel(self) -> np.ndarray:
        """The shown layer's kernel ``(kh, kw, cin, cout)`` as returned by compute."""
        return self._layer_weights(self.layer).kernel

    # -- observers --------------------------------------------------------------------------
    @traitlets.validate("colormap")
    def _validate_colormap(self, proposal):
        name = proposal["value"]
        try:
            lut_bytes(name)
        except ValueError as exc:
            raise traitlets.TraitError(str(exc)) from None
        return name

    @traitlets.observe("layer")
    def _on_layer(self, change):
        self._sync_controls()
        f = min(self.filter_index, self.channels - 1)
        self._transaction("layer", {"layer": change["old"]},
                          lambda: self._prepare_layer(change["new"], f), self._apply_layer)

    @traitlets.observe("filter_index")
    def _on_filter(self, change):
        self._sync_controls()
        self._transaction("filter", {"filter_index": change["old"]},
                          lambda: self._prepare_filter(self.layer, change["new"]),
                          self._apply_filter)

    @traitlets.validate("scale")
    def _validate_scale(self, proposal):
        value = proposal["value"]
        if value in _LEGACY_SCALES:
            # The old menu's "filter"/"layer": symmetric limits over the filter or the layer.
            self.scale_over = value
            return "symmetric"
        if value not in SCALES:
            raise ViewError("kv_scale", value=value, scales=list(SCALES))
        return value

    @traitlets.observe("scale", "scale_over")
    def _on_scale(self, change):
        self._sync_controls()
        self._transaction(change["name"], {change["name"]: change["old"]},
                          lambda: self._prepare_filter(self.layer, self.filter_index),
                          self._apply_filter)

    @traitlets.observe("colormap")
    def _on_colormap(self, change):
        self._sync_controls()
        if self._suppress:
            return
        lut = lut_bytes(change["new"])
        if is_diverging(change["old"]) != is_diverging(change["new"]) and \
                self.scale != "symmetric":
            # Diverging maps take a window centred on 0, the others the scale's own: the
            # slices' values change, not only their colours (the apply sends the new table).
            self.overview.lut = lut
            self._transaction("colormap", {"colormap": change["old"]},
                              lambda: self._prepare_filter(self.layer, self.filter_index),
                              self._apply_filter)
            return
        # Browser-side recolouring: only the 768-byte table travels.
        self.slices.lut = lut
        self.overview.lut = lut
        held = self._shown_scale
        if held is not None:
            self.scale_bar.show(change["new"], *held[:3], self.lang, centred=held[3])
        self.last_update = {"what": "colormap", "ms": 0.0, "bytes": 2 * len(lut)}

    def _on_overview_click(self, tile, y, x) -> None:
        try:
            self.filter_index = int(y)
        except Exception as exc:  # noqa: BLE001 - a click must never raise into the comm
            self._show_error(exc)

    def _sync_controls(self) -> None:
        with self._quiet():
            self._sync_layer_controls()
            if self.colormap not in self._cmap_dd.options:
                self._cmap_dd.options = list(self._cmap_dd.options) + [self.colormap]
            self._cmap_dd.value = self.colormap
            self._scale_dd.value = self.scale
            self._scale_tb.value = self.scale_over
            # filter/layer range matters to the one-range scales only
            self._scale_tb.disabled = self.scale not in ("symmetric", "shared")

    # -- prepare (compute + pixels) and apply (send) ----------------------------------------
    def _prepare_filter(self, path: str, f: int) -> dict:
        data = self._layer_weights(path)
        kh, kw, cin, cout = data.kernel.shape
        lim = float(data.stats.max_abs[f]) if self.scale_over == "filter" else data.limit
        tiles = np.moveaxis(data.kernel[:, :, :, f], -1, 0)  # (kh, kw, cin) -> (cin, kh, kw)
        # The same limits plot_filter_slices(shared_scale=scale_over) takes, so the same pixels.
        limits = {}
        if self.scale_over == "layer" and self.scale == "symmetric":
            limits = {"vmax": data.limit}
        elif self.scale_over == "layer" and self.scale == "shared":
            limits = {"vmin": float(data.stats.vmin), "vmax": float(data.stats.vmax)}
        # A diverging map's white must mean 0: its window is made symmetric (display rule).
        codes, scaled = scale_codes(tiles, self.scale, flat=0.5,
                                    centre_zero=is_diverging(self.colormap), **limits)
        cols = cin if cin <= 8 else min(32, math.ceil(math.sqrt(cin)))
        target = 48 if cin <= 8 else max(12, min(48, 480 // cols))
        zoom = max(2, target // max(kh, kw))
        out = {"f": f, "path": path, "codes": codes, "exact": exact_bytes(tiles), "lim": lim,
               "scale": self.scale, "lo": scaled.lo, "hi": scaled.hi, "cols": cols, "zoom": zoom,
               "centred": scaled.centred,
               "composite": None, "stats": self._stats_html(path, data, f, lim, self.lang)}
        if cin == 3:
            # Zero maps to mid-grey, so a colour the filter prefers shows as that colour.
            rgb = 0.5 + data.kernel[:, :, :, f] / (2 * lim) if lim > 0 else \
                np.full((kh, kw, 3), 0.5, np.float32)
            out["composite"] = quantize(rgb, 0.0, 1.0)
            out["composite_zoom"] = max(4, 96 // max(kh, kw))
        return out

    def _export_labels(self) -> dict:
        """Model · layer · filter f; the filter's real weight range; the slices' colour bar."""
        labels = super()._export_labels()
        f = self.filter_index
        labels["title"] = " · ".join([getattr(self.model, "name", "model"), self.layer,
                                      tr("ex.filter", self.lang, f=f)])
        if self._shown_scale is not None:
            k = kernels(self.model, self.layer)[..., f]
            rt = range_text(k, self.slices.vmin, self.slices.vmax)
            text = tr("av.values", self.lang, layer=self.layer, lo=rt.lo, hi=rt.hi)
            if rt.window_differs and int(self.slices.shape[0]):
                text += tr("av.shown", self.lang, lo=rt.shown_lo, hi=rt.shown_hi)
            labels["subtitle"] = text
            labels["colorbar"] = self._colour_bar_of(
                self.slices, f"{tr('hover.weight', self.lang)} — "
                             f"{scale_label(*self._shown_scale[:3], self.lang, centred=self._shown_scale[3])}")
        return labels

    def _apply_filter(self, p: dict) -> int:
        with self._suppressed():
            self.filter_index = p["f"]
        self._sync_controls()
        one = p["scale"] in ("symmetric", "shared", "raw") and len(p["lo"])
        order, info = slice_labels(p["codes"].shape[0], p["cols"], self.lang)
        self.slices.set_tiles(
            p["codes"], vmin=float(p["lo"][0]) if one else 0.0,
            vmax=float(p["hi"][0]) if one else 1.0, stacked=True, columns=p["cols"],
            zoom=p["zoom"], lut=lut_bytes(self.colormap), values=p["exact"],
            title=tr("kv.slices_on", self.lang, f=p["f"], n=p["codes"].shape[0]),
            caption=order, tile_info=info)
        self._shown_scale = (p["scale"], p["lo"], p["hi"], p["centred"])
        self.scale_bar.show(self.colormap, *self._shown_scale[:3], self.lang,
                            centred=p["centred"])
        sent = p["codes"].nbytes + len(p["exact"])
        if p["composite"] is not None:
            self.composite.set_tiles(p["composite"], vmin=-p["lim"], vmax=p["lim"],
                                     zoom=p["composite_zoom"],
                                     title=tr("ui.rgb_composite", self.lang))
            self.composite.layout.display = None
            sent += p["composite"].nbytes
        else:
            self.composite.layout.display = "none"
        self.overview.selected_row = p["f"]
        self._stats.value = p["stats"]
        return sent

    def _prepare_layer(self, path: str, f: int) -> dict:
        data = self._layer_weights(path)
        cout, cin = data.overview.shape
        p = self._prepare_filter(path, f)
        p["overview"] = quantize(data.overview, -data.limit, data.limit, flat=128)
        p["overview_exact"] = exact_bytes(data.overview)
        p["overview_lim"] = data.limit
        p["zy"] = int(np.clip(384 // cout, 1, 12))
        p["zx"] = int(np.clip(512 // cin, 1, 24))
        p["dead"] = [int(i) for i in np.flatnonzero(data.stats.dead)]
        return p

    def _apply_layer(self, p: dict) -> int:
        sent = self._apply_filter(p)
        self.overview.set_tiles(
            p["overview"], vmin=-p["overview_lim"], vmax=p["overview_lim"], zoom=p["zy"],
            zoom_x=p["zx"], lut=lut_bytes(self.colormap), row_marks=p["dead"],
            values=p["overview_exact"],
            selected_row=p["f"],
            title=tr("kv.overview", self.lang, path=p["path"], cout=p["overview"].shape[0],
                     cin=p["overview"].shape[1]),
            caption=tr("kv.overview_caption", self.lang))
        return sent + p["overview"].nbytes + len(p["overview_exact"])

    @staticmethod
    def _stats_html(path, data: _LayerWeights, f: int, lim: float, lang: str = "en") -> str:
        s = data.stats
        cout = len(s.norms)
        dead = int(s.dead.sum())
        flag = f" <b style='color:#b00020'>{tr('ui.dead', lang)}</b>" if s.dead[f] else ""
        return ("<span class='convviz-stats'>"
                + tr("kv.stats", lang, f=f, flag=flag, norm=f"{float(s.norms[f]):.4g}",
                     mx=f"{float(s.max_abs[f]):.3g}", dead=dead, cout=cout,
                     frac=f"{s.dead_fraction:.0%}", lo=f"{s.vmin:.3g}", hi=f"{s.vmax:.3g}")
                + "</span>")
