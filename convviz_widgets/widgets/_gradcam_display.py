"""How :class:`GradCAMViewer` shows a result (a mixin): the overlay with its caption (signed maps
on a diverging colormap centred on 0) and the buttons of the top predictions."""

from __future__ import annotations

import html

import ipywidgets as w
import numpy as np

from ._i18n import method_label, register, tr
from ._fit import fit_layout
from ._targets import flag_text, flat_warning, is_flat

register({
    "gc_signed": ("signed: the middle colour is 0, below it lowers the score, above raises it",
                  "con signo: el color central es 0, por debajo baja la puntuación, por "
                  "encima la sube",
                  "com sinal: a cor central é 0, abaixo dela baixa a pontuação, acima aumenta"),
    "gc_heat_signed": ("attribution", "atribución", "atribuição"),
    "gc_pixel_level": ("pixel level", "nivel de píxel", "nível de pixel"),
})


def heat_for_display(r) -> np.ndarray:
    """A result's map in [0, 1] as the overlay codes it: signed maps in [-1, 1] are moved to
    [0, 1] so that 0 lands in the middle of a diverging colormap (byte 127.5)."""
    return (np.asarray(r.heatmap, np.float32) + 1.0) * 0.5 if r.signed else r.heatmap


class DisplayMixin:
    """The overlay and the top-k buttons of the viewer's current result."""

    def _is_shown_class(self, cls) -> bool:
        r = self.result
        return r is not None and cls is not None and r.target == cls

    def _caption(self, r, top=None) -> tuple[str, bool]:
        from ..compute.cam import cam_methods, reads_layer

        name = self._class_name(r.target)
        parts = [f"{name}"]
        if r.probability is not None:
            parts.append(f"p = {r.probability:.1%}")
        if np.isfinite(r.score):
            parts.append(tr("gc_score", self.lang, v=f"{r.score:.3g}"))
        label = method_label(r.method, cam_methods().get(r.method, r.method), self.lang)
        # A pixel attribution's "layer" is the model input: say where it lives instead.
        where = r.layer if reads_layer(r.method) else tr("gc_pixel_level", self.lang)
        parts.append(f"{label} @ {where}")
        if top is not None and len(top.indices):
            parts.append(tr("gc_says", self.lang, c=self._class_name(int(top.indices[0]))))
        text = " · ".join(parts)
        # A blank map must say so, why, and which layer to try (not a flat square).
        warning = flat_warning(r, getattr(self, "_try_layer", None), self.lang)
        if warning:
            text += f" — {warning}"
        elif r.flag:
            text += " — " + flag_text(r, self.lang)
        return text, is_flat(r)

    def _show_map(self, view, r, top=None) -> int:
        """Draw ``r`` on ``view``: unsigned maps in [0, 1] as they are; signed ones in [-1, 1]
        on a diverging colormap with 0 at its middle, with their scale so that the hover reads
        the map's own values (score per pixel). Which colormap the browser shows is its own
        business: a pick of the user's stays while it suits the kind of map."""
        caption, flagged = self._caption(r, top)
        if r.signed:
            caption += " · " + tr("gc_signed", self.lang)
        label = tr("gc_heat_signed" if r.signed else "heat", self.lang)
        scale = float(r.details.get("scale", 1.0)) if r.signed else 1.0
        return view.set_overlay(r.image, r.heatmap, signed=bool(r.signed), scale=scale,
                                caption=caption, flagged=flagged, heat_label=label)

    def _build_topk(self, top) -> None:
        if getattr(self, "region_mode", False):
            # A per-pixel output has no class list: say which region is explained.
            self._topk_key = None
            self._topk_buttons = []
            r = self.result
            what = self._class_name(r.target) if r is not None else ""
            ch = getattr(getattr(r, "target", None), "channel", 0) if r is not None else 0
            self._topk_box.children = [
                w.HTML(f"<span class='convviz-region'>{html.escape(what)}</span>"),
                w.HTML("<small style='color:#555;line-height:1.3;display:block'>" + html.escape(
                    tr("tg:region_note", self.lang, ch=ch)) + "</small>",
                    layout=w.Layout(max_width="260px"))]
            return
        key = None if top is None else (tuple(top.indices.tolist()),
                                         tuple(np.round(top.probabilities, 6).tolist()))
        if key is not None and key == getattr(self, "_topk_key", None):
            return  # same image and predictions: keep the buttons, only the highlight moves
        self._topk_key = key
        buttons = []
        if top is None:
            self._topk_buttons = []
            self._topk_box.children = [w.HTML(f"<i>{tr('gc_no_prediction', self.lang)}</i>")]
            return
        for idx, val, prob in zip(top.indices, top.values, top.probabilities):
            idx = int(idx)
            shown = f"{float(prob):.1%}" if 0.0 <= float(prob) <= 1.0 else f"{float(val):.3g}"
            b = w.Button(description=f"{self._class_name(idx)}  {shown}",
                         tooltip=tr("gc_explain", self.lang, i=idx, name=self._class_name(idx)),
                         layout=fit_layout(min_width="210px"))  # a long class name widens it
            b._cv_class = idx
            b.on_click(lambda _b, k=idx: self._set_from_ui("target", k))
            b.add_class("convviz-topk")
            buttons.append(b)
        self._topk_buttons = buttons
        self._topk_box.children = buttons
