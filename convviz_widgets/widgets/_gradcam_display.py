"""How :class:`GradCAMViewer` shows a result and picks its target.

:func:`show_map` draws a result on an overlay with its caption (:func:`show_maps` those of a
state) (signed maps on a diverging
colormap centred on 0). :class:`TargetPicker` is the component that chooses what is explained:
the class (or region) menu, the buttons of the top predictions and, for an image-shaped output,
the box sliders. Its choice is typed (:data:`._targets.TOP_1`, a class index, a callable, a
:class:`~convviz_widgets.compute.Region`), not a menu code. :func:`method_menu` and
:func:`check_method` are the method menu and what it accepts, :func:`make_overlays` makes the
overlay views, :func:`map_labels` names an exported one.
"""

from __future__ import annotations

import html

import ipywidgets as w
import numpy as np
import traitlets

from .. import compute
from ..compute.cam import get_method, reads_layer
from ..plotting import ColourBar
from ..i18n import method_label, tr
from ._fit import fit_layout
from ._overlay import OverlayView
from ._targets import TOP_1, flag_text, flat_warning, is_flat, region_text


def heat_for_display(r) -> np.ndarray:
    """A result's map in [0, 1] as the overlay codes it: signed maps in [-1, 1] are moved to
    [0, 1] so that 0 lands in the middle of a diverging colormap (byte 127.5)."""
    return (np.asarray(r.heatmap, np.float32) + 1.0) * 0.5 if r.signed else r.heatmap


def caption(r, name_of, lang: str, top=None, try_layer=None) -> str:
    """The overlay's caption of result ``r``: class · p · score · method @ layer · what the
    model says, and why a blank map is blank (with a layer to try)."""
    parts = [name_of(r.target)]
    if r.probability is not None:
        parts.append(f"p = {r.probability:.1%}")
    if np.isfinite(r.score):
        parts.append(tr("gc.score", lang, v=f"{r.score:.3g}"))
    label = method_label(r.method, compute.cam_methods().get(r.method, r.method), lang)
    # A pixel attribution's "layer" is the model input: say where it lives instead.
    where = r.layer if reads_layer(r.method) else tr("gc.pixel_level", lang)
    parts.append(f"{label} @ {where}")
    if top is not None and len(top.indices):
        parts.append(tr("gc.says", lang, c=name_of(int(top.indices[0]))))
    text = " · ".join(parts)
    # A blank map must say so, why, and which layer to try (not a flat square).
    warning = flat_warning(r, try_layer, lang)
    if warning:
        text += f" — {warning}"
    elif r.flag:
        text += " — " + flag_text(r, lang)
    return text


def show_maps(overlay, compare_overlay, p: dict, name_of, lang: str) -> int:
    """Draw the maps of an :meth:`._gradcam_explain.Subjects.explain` payload ``p``: the main one
    (with its hint of a better layer) and the comparison model's, when it was explained.
    Returns the bytes sent."""
    sent = show_map(overlay, p["result"], name_of, lang, None, p.get("try_layer"))
    if "compare" in p:
        sent += show_map(compare_overlay, p["compare"], name_of, lang, p.get("compare_top"))
    return sent


def show_map(view, r, name_of, lang: str, top=None, try_layer=None) -> int:
    """Draw ``r`` on the overlay ``view``: unsigned maps in [0, 1] as they are; signed ones in
    [-1, 1] on a diverging colormap with 0 at its middle, with their scale so that the hover
    reads the map's own values (score per pixel). Which colormap the browser shows is its own
    business: a pick of the user's stays while it suits the kind of map. Returns bytes sent."""
    text = caption(r, name_of, lang, top, try_layer)
    if r.signed:
        text += " · " + tr("gc.signed", lang)
    label = tr("gc.heat_signed" if r.signed else "ui.heat", lang)
    scale = float(r.details.get("scale", 1.0)) if r.signed else 1.0
    return view.set_overlay(r.image, r.heatmap, signed=bool(r.signed), scale=scale,
                            caption=text, flagged=is_flat(r), heat_label=label)


def map_labels(labels: dict, r, overlay, model_name: str, class_name: str, image_name: str,
               lang: str) -> dict:
    """An exported overlay's labels: model · class (p) · method @ layer; the overlay's caption
    and image; the heat colour bar in the map's units (0 … 1, or ±scale for a signed map)."""
    if r.probability is not None:
        class_name += f" (p = {r.probability:.1%})"
    method = method_label(r.method, compute.cam_methods().get(r.method, r.method), lang)
    labels["title"] = " · ".join([model_name, class_name, f"{method} @ {r.layer}"])
    labels["subtitle"] = overlay.caption + (
        " · " + tr("ex.image", lang, name=image_name) if image_name else "")
    names = list(overlay.colormaps)
    k = names.index(overlay.shown_colormap) if overlay.shown_colormap in names else 0
    colors = np.frombuffer(overlay.luts, np.uint8)[k * 768:(k + 1) * 768].reshape(256, 3)
    labels["colorbar"] = ColourBar(colors, (0 - overlay.value_zero) * overlay.value_step,
                                   (255 - overlay.value_zero) * overlay.value_step,
                                   overlay.heat_label)
    return labels


def method_menu(lang: str) -> w.Dropdown:
    """The method dropdown: every registered method (``cv.cam_methods()``), named in ``lang``."""
    menu = w.Dropdown(options=[(method_label(name, label, lang), name)
                               for name, label in compute.cam_methods().items()],
                      description=tr("ui.method", lang), style={"description_width": "initial"},
                      layout=w.Layout(width="250px"))
    menu.add_class("convviz-gradcam-method")
    return menu


def check_method(name) -> str:
    """The registered name of method ``name`` (what the method trait holds); a TraitError
    naming the registered ones otherwise."""
    try:
        return get_method(name).name
    except ValueError as exc:
        raise traitlets.TraitError(str(exc)) from None


def make_overlays(titles, size: int, opacity: float, colormap: str, signed_colormap: str,
                  lang: str, group: str) -> list:
    """One :class:`OverlayView` per title (the main model's, then the comparison model's),
    linked by ``group`` so they move together."""
    words = {"opacity_label": tr("ui.opacity", lang), "heat_label": tr("ui.heat", lang),
             "colormap": colormap, "signed_colormap": signed_colormap}
    views = [OverlayView(lang=lang, width=int(size), opacity=float(opacity), title=title,
                         group=group, **words) for title in titles]
    for view, role in zip(views, ("main", "compare")):
        view.add_class(f"convviz-gradcam-{role}")
    return views


def target_options(class_names, region_mode: bool, extra: list, lang: str, name_of) -> list:
    """The picker menu: ``(label, choice)`` pairs.

    Classes: top-1, then each extra choice (a callable target once given), then every class.
    An image-shaped output: the predicted foreground (top-1's counterpart), the background,
    the whole output, then the extra regions (a drawn box, a given mask, a callable).
    """
    def label(choice):
        if isinstance(choice, compute.Region):
            return tr("tg.mask", lang) if choice.kind == "mask" else region_text(choice, lang)
        return tr("gc.custom", lang, name=name_of(choice))

    if region_mode:
        head = [(tr("tg.foreground", lang), TOP_1),
                (tr("tg.background", lang), compute.Region(kind="background")),
                (tr("tg.all", lang), compute.Region(kind="all"))]
        return head + [(label(c), c) for c in extra]
    return [(tr("ui.top_1_prediction", lang), TOP_1)] + [(label(c), c) for c in extra] + \
        [(n, i) for i, n in enumerate(class_names)]


class TargetPicker(w.VBox):
    """Choose what is explained: a class menu (or region menu), the top predictions as
    buttons, and for an image-shaped output a box of rows × columns.

    The picker's body is the "top predictions" column; :attr:`menu` and :attr:`box_bar` are
    placed by the view (beside the layer menu, under the overlays).

    Parameters
    ----------
    lang : str
    region_mode : bool
        The model's output is an image: the choices are regions, not classes.
    on_choose : callable
        ``on_choose(choice)``: the user picked ``choice`` (TOP_1, a class index, a callable or a
        Region) from the menu or a button.
    on_box : callable
        ``on_box(y0, x0, y1, x1)``: the user asked for the sliders' box (image pixels, end
        exclusive).

    Attributes
    ----------
    choice : TOP_1, int, callable or Region
        The choice shown (set by :meth:`show`).

    Examples
    --------
    >>> p = TargetPicker("en", False, print, print)
    >>> p.show([("top-1 prediction", TOP_1), ("cat", 0)], 0)
    >>> p.menu.value
    0
    """

    choice = traitlets.Any(TOP_1)

    def __init__(self, lang: str, region_mode: bool, on_choose, on_box):
        self.lang, self.region_mode = lang, bool(region_mode)
        self._following = False  # the menu follows show(): its observer must not call back
        self._on_choose = on_choose
        wide = {"description_width": "initial"}
        self.menu = w.Dropdown(options=[], description=tr("tg.region_menu", lang)
                               if region_mode else tr("ui.class", lang), style=wide,
                               layout=w.Layout(width="240px"))
        self.menu.add_class("convviz-target")
        self.menu.observe(self._menu_moved, "value")
        self.top_list = w.VBox(layout=w.Layout(min_width="220px"))
        self._top_key = None
        self._buttons: list[tuple[int, w.Button]] = []
        # The box of a region target (image-shaped outputs only): rows and columns of the
        # shown image, explained on a click (a drag of the sliders must not run a CAM per step).
        self.rows = w.IntRangeSlider(description=tr("tg.rows", lang), min=0, max=1,
                                     value=(0, 1), continuous_update=False, style=wide,
                                     layout=w.Layout(width="300px"))
        self.cols = w.IntRangeSlider(description=tr("tg.cols", lang), min=0, max=1,
                                     value=(0, 1), continuous_update=False, style=wide,
                                     layout=w.Layout(width="300px"))
        box_button = w.Button(description=tr("tg.explain_box", lang), layout=fit_layout())
        box_button.add_class("convviz-region-box")
        box_button.on_click(lambda _b: on_box(self.rows.value[0], self.cols.value[0],
                                              self.rows.value[1] + 1, self.cols.value[1] + 1))
        self.box_bar = w.HBox([self.rows, self.cols, box_button],
                              layout=w.Layout(flex_flow="row wrap",
                                              display="" if region_mode else "none"))
        head = tr("tg.region_head" if region_mode else "ui.top_predictions", lang)
        super().__init__([w.HTML(f"<b>{head}</b>"), self.top_list])

    def _menu_moved(self, change) -> None:
        if not self._following:
            self._on_choose(change["new"])

    def show(self, options: list, choice, shown_class=None) -> None:
        """Offer ``options`` (``(label, choice)`` pairs), show ``choice`` as chosen and light
        the button of ``shown_class`` (the class the shown map explains)."""
        self._following = True
        try:
            if [o[0] for o in self.menu.options] != [o[0] for o in options] or \
                    [o[1] for o in self.menu.options] != [o[1] for o in options]:
                self.menu.options = options
            self.menu.value = choice
        finally:
            self._following = False
        self.choice = choice
        for cls, button in self._buttons:
            button.button_style = "info" if shown_class is not None and cls == shown_class \
                else ""

    def fit_box(self, h: int, w_: int) -> None:
        """Sliders over an ``h × w_`` image (a middle box to start with)."""
        for slider, n in ((self.rows, h), (self.cols, w_)):
            if slider.max != n - 1:
                slider.max = n - 1
                slider.value = (n // 4, (3 * n) // 4)

    def show_top(self, top, name_of) -> None:
        """The top predictions as buttons (click one to explain it); ``None``: no prediction."""
        key = None if top is None else (tuple(top.indices.tolist()),
                                        tuple(np.round(top.probabilities, 6).tolist()))
        if key is not None and key == self._top_key:
            return  # same image and predictions: keep the buttons, only the highlight moves
        self._top_key = key
        if top is None:
            self._buttons = []
            self.top_list.children = [w.HTML(f"<i>{tr('gc.no_prediction', self.lang)}</i>")]
            return
        buttons = []
        for idx, val, prob in zip(top.indices, top.values, top.probabilities):
            idx = int(idx)
            shown = f"{float(prob):.1%}" if 0.0 <= float(prob) <= 1.0 else f"{float(val):.3g}"
            b = w.Button(description=f"{name_of(idx)}  {shown}",
                         tooltip=tr("gc.explain", self.lang, i=idx, name=name_of(idx)),
                         layout=fit_layout(min_width="210px"))  # a long class name widens it
            b.on_click(lambda _b, k=idx: self._on_choose(k))
            b.add_class("convviz-topk")
            buttons.append((idx, b))
        self._buttons = buttons
        self.top_list.children = [b for _, b in buttons]

    def show_answer(self, target, top, name_of) -> None:
        """What the shown map answers: its region (region mode), else the top predictions."""
        if self.region_mode:
            self.show_region(name_of(target), getattr(target, "channel", 0))
        else:
            self.show_top(top, name_of)

    def show_region(self, what: str, channel: int) -> None:
        """A per-pixel output has no class list: say which region is explained."""
        self._top_key = None
        self._buttons = []
        shown = w.HTML(f"<span class='convviz-region'>{html.escape(what)}</span>")
        shown.add_class("convviz-region")
        self.top_list.children = [
            shown,
            w.HTML("<small style='color:#555;line-height:1.3;display:block'>" + html.escape(
                tr("tg.region_note", self.lang, ch=channel)) + "</small>",
                layout=w.Layout(max_width="260px"))]
