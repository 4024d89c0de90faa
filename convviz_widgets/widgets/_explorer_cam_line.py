"""The Explorer's Grad-CAM line: where the selected channel stands among the Grad-CAM weights of
the shown class, and the trust panel's verdict on the shown map. Both are about one class's map,
so the Explorer shows the line on the Grad-CAM page only, where that class is named."""

from __future__ import annotations

import html

import ipywidgets as w
import numpy as np

from .. import compute
from ._gradcam_trust import area_text
from ..i18n import method_label, tr


class CAMLine(w.VBox):
    """The rank line and the trust line (each empty when there is nothing to say)."""

    def __init__(self, lang: str):
        self.lang = lang
        self.rank = w.HTML(layout=w.Layout(min_height="1.4em"))
        self.trust = w.HTML()
        self.rank.add_class("convviz-gradcam-rank")
        self.trust.add_class("convviz-gradcam-trust-line")
        super().__init__([self.rank, self.trust])
        self.add_class("convviz-gradcam-status")

    def show(self, on: bool) -> None:
        self.layout.display = None if on else "none"

    def show_trust(self, t: dict | None) -> None:
        """The trust panel scored the shown map (``t``, its ``trust``), or a new map cleared it."""
        if t is None:
            self.trust.value = ""
            return
        m = t["result"].method
        parts = [method_label(m, compute.cam_methods().get(m, m), self.lang)] + [
            area_text(t[k], self.lang) for k in ("deletion", "insertion")]
        self.trust.value = ("<span class='convviz-explorer-trust'>" +
                            html.escape(" · ".join(parts)) + "</span>")

    def show_rank(self, res, layer: str, f: int, target_name) -> None:
        """Where channel ``f`` of ``layer`` stands among the weights of Grad-CAM result ``res``
        (``target_name(target)`` names its class)."""
        if res is None or res.weights is None:
            self.rank.value = ""
            return
        if res.layer != layer:
            self.rank.value = html.escape(tr("ex.rank_other", self.lang, gl=res.layer))
            return
        weights = np.asarray(res.weights).reshape(-1)
        if f >= weights.size:
            self.rank.value = ""
            return
        order = np.argsort(-weights, kind="stable")  # rank 1 = largest positive weight
        rank = int(np.flatnonzero(order == f)[0]) + 1
        self.rank.value = "<span class='convviz-rank'>" + html.escape(tr(
            "ex.rank", self.lang, cls=target_name(res.target), path=res.layer, ch=f,
            wt=float(weights[f]), rank=rank, n=weights.size)) + "</span>"
