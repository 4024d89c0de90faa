"""The trust panel of :class:`GradCAMViewer`, a component: can the shown map be trusted?

Deletion and insertion curves of the current map against a random map
(:func:`convviz_widgets.compute.faithfulness`, Petsiuk et al. 2018) — and, with a comparison
model, of its map too, each model on its own row — computed by :func:`score_maps` in the
viewer's worker thread with its progress bar and Cancel, drawn by :class:`TrustPanel` as a small
inline SVG (no matplotlib in the live view: the curves are 33 points each, a polyline is all
they need) with the areas as text.
"""

from __future__ import annotations

import html

import ipywidgets as w
import numpy as np
import traitlets

# ``compute.faithfulness`` is looked up when called: the tests put a held or slow one in place.
from .. import compute
from ..i18n import method_label, tr
from ._fit import fit_layout

#: Size of one curve plot in CSS pixels, and its margins (left, right, top, bottom).
_PLOT_W, _PLOT_H = 250, 150
_MARGIN = (34, 8, 18, 28)
_COLOURS = {"deletion": "#c0392b", "insertion": "#1f6fb2"}


def _points(fr: np.ndarray, values: np.ndarray, top: float) -> str:
    """SVG polyline points of a curve in the plot box (y from 0 to ``top``)."""
    left, right, up, down = _MARGIN
    iw, ih = _PLOT_W - left - right, _PLOT_H - up - down
    xs = left + np.asarray(fr, np.float64) * iw
    ys = up + ih * (1.0 - np.clip(np.asarray(values, np.float64) / top, 0.0, 1.0))
    return " ".join(f"{x:.1f},{y:.1f}" for x, y in zip(xs, ys))


def curve_svg(result, lang: str = "en", ylabel: str | None = None) -> str:
    """One deletion or insertion curve and its random baseline as an inline SVG string.

    Parameters
    ----------
    result : FaithfulnessResult
    lang : str
    ylabel : str, optional
        The y axis label (default: "probability").

    Examples
    --------
    >>> from convviz_widgets.compute import FaithfulnessResult
    >>> fr = np.linspace(0, 1, 3, dtype=np.float32)
    >>> r = FaithfulnessResult("deletion", fr, np.array([1, .2, 0], np.float32), .35,
    ...                        np.array([1, .8, .1], np.float32), .67, 0)
    >>> svg = curve_svg(r)
    >>> svg.startswith("<svg") and svg.count("<polyline") == 2
    True
    """
    left, right, up, down = _MARGIN
    top = max(1.0, float(np.nanmax(np.concatenate([result.curve, result.random_curve]))))
    colour = _COLOURS.get(result.kind, "#333")
    x0, x1, y0, y1 = left, _PLOT_W - right, up, _PLOT_H - down
    kind = tr(f"tr.{result.kind}", lang)
    label = html.escape(ylabel or tr("tr.y_prob", lang))
    parts = [
        f"<svg xmlns='http://www.w3.org/2000/svg' width='{_PLOT_W}' height='{_PLOT_H}' "
        f"class='convviz-trust-curve' data-kind='{result.kind}' "
        "style='font:10px sans-serif;background:#fff'>",
        f"<text x='{x0}' y='12' font-weight='600'>{html.escape(kind)}</text>",
        f"<line x1='{x0}' y1='{y1}' x2='{x1}' y2='{y1}' stroke='#888'/>",
        f"<line x1='{x0}' y1='{y0}' x2='{x0}' y2='{y1}' stroke='#888'/>",
        f"<text x='{x0 - 4}' y='{y0 + 4}' text-anchor='end'>{top:.3g}</text>",
        f"<text x='{x0 - 4}' y='{y1}' text-anchor='end'>0</text>",
        f"<text x='{x0}' y='{y1 + 12}'>0</text>",
        f"<text x='{x1}' y='{y1 + 12}' text-anchor='end'>1</text>",
        f"<text x='{(x0 + x1) / 2}' y='{_PLOT_H - 3}' text-anchor='middle'>"
        f"{html.escape(tr('tr.x', lang))}</text>",
        f"<text x='10' y='{(y0 + y1) / 2}' text-anchor='middle' "
        f"transform='rotate(-90 10 {(y0 + y1) / 2})'>{label}</text>",
        f"<polyline class='cv-random' fill='none' stroke='#777' stroke-width='1.5' "
        f"stroke-dasharray='4 3' points='{_points(result.fractions, result.random_curve, top)}'>"
        f"<title>{html.escape(tr('tr.random', lang))}</title></polyline>",
        f"<polyline class='cv-map' fill='none' stroke='{colour}' stroke-width='2' "
        f"points='{_points(result.fractions, result.curve, top)}'>"
        f"<title>{html.escape(tr('tr.this_map', lang))}</title></polyline>",
        "</svg>",
    ]
    return "".join(parts)


def area_text(result, lang: str = "en") -> str:
    """``"deletion area 0.12 vs random 0.31 ± 0.02 (5 random maps) (better than random)"``.

    "Better" only when the gap beats the spread of the random maps (see
    :attr:`~convviz_widgets.compute.FaithfulnessResult.better_than_random`); a gap inside it is
    called what it is.

    Examples
    --------
    >>> from convviz_widgets.compute import FaithfulnessResult
    >>> fr = np.linspace(0, 1, 3, dtype=np.float32)
    >>> r = FaithfulnessResult("deletion", fr, fr, .12, fr, .31, 0, np.array([.3, .31, .32]))
    >>> area_text(r)
    'deletion area 0.120 vs random 0.310 ± 0.010 (3 random maps) (better than random)'
    >>> r = FaithfulnessResult("deletion", fr, fr, .029, fr, .032, 0, np.array([.02, .032, .044]))
    >>> area_text(r)
    'deletion area 0.029 vs random 0.032 ± 0.012 (3 random maps) (within the spread of random \
maps: not better than random)'
    """
    n = 0 if result.random_areas is None else len(result.random_areas)
    if result.better_than_random:
        verdict = tr("tr.better", lang)
    else:
        verdict = tr("tr.within" if 0 < result.gap <= 2 * result.random_spread
                     else "tr.not_better", lang)
    spread = tr("tr.spread", lang, s=f"{result.random_spread:.3f}", n=n) if n > 1 else ""
    return (tr("tr.area", lang, kind=tr(f"tr.{result.kind}", lang), a=f"{result.area:.3f}",
               r=f"{result.random_area:.3f}") + spread + f" ({verdict})")


#: Below this probability the explained class is one the model does not see in the image.
IMPROBABLE = 0.05


def improbable_text(result, class_name: str, lang: str = "en") -> str:
    """A warning when the explained class is improbable (p < 5 %), else ``""``.

    Examples
    --------
    >>> from convviz_widgets.compute import FaithfulnessResult
    >>> c = np.array([0.003, 0.001, 0.0], np.float32)
    >>> r = FaithfulnessResult("deletion", c, c, .001, c, .001, 2)
    >>> improbable_text(r, "cat")[:40]
    '⚠ The model gives “cat” p = 0.3 % on thi'
    """
    p = result.target_probability
    if p is None or p >= IMPROBABLE:
        return ""
    return tr("tr.improbable", lang, c=class_name, p=f"{100 * p:.2g} %")


def scorable(r) -> bool:
    """A map the trust panel can score: computed on a finite image, finite everywhere."""
    return r is not None and r.flag != "nonfinite_input" and bool(np.isfinite(r.heatmap).all())


#: Steps of the deletion and insertion curves (33 images each, one batch).
TRUST_STEPS = 32


def score_maps(jobs: list, image, steps: int, cancel=None, on_step=None) -> dict:
    """Deletion and insertion of each ``(key, explained, result)`` of ``jobs`` on ``image``
    (``key`` None for the viewer's own map, ``"compare"`` for the comparison model's;
    ``explained``: the model's :class:`._gradcam_explain.Explained`): what
    :attr:`TrustPanel.trust` holds."""
    total = 2 * len(jobs)
    out = {"result": jobs[0][2], "steps": steps}
    k = 0
    for key, m, res in jobs:
        part = out if key is None else out.setdefault(key, {"result": res})
        for kind in ("deletion", "insertion"):
            part[kind] = compute.faithfulness(
                m.model, image, res.heatmap, res.target, kind=kind, steps=steps,
                preprocess=m.preprocess, output=m.output, cancel=cancel, input_size=m.input_size,
                on_step=None if on_step is None else
                (lambda d, t, k=k: on_step(k * t + d, total * t)))
            k += 1
    return out


class TrustPanel(w.VBox):
    """Deletion/insertion faithfulness of the shown map: a button, "for every new map", the
    curves and the areas.

    Parameters
    ----------
    lang : str
    on_check : callable
        ``on_check()``: the user asked to score the shown map.
    name_of : callable
        ``name_of(target)``: what a target is called (class name, region…).

    Attributes
    ----------
    trust : dict or None
        The scores shown (see :meth:`GradCAMViewer.check_faithfulness`); None when stale.
    auto : bool
        Score every new map (the checkbox).

    Examples
    --------
    >>> panel = TrustPanel("en", print, str)
    >>> panel.stale(); panel.trust is None
    True
    """

    trust = traitlets.Any(None, allow_none=True)
    auto = traitlets.Bool(False)

    def __init__(self, lang: str, on_check, name_of):
        self.lang, self._name_of = lang, name_of
        run = w.Button(description=tr("tr.run", lang), button_style="info",
                       layout=fit_layout(min_width="200px"))
        run.on_click(lambda _b: on_check())
        run.add_class("convviz-trust-run")
        auto = w.Checkbox(value=False, description=tr("tr.auto", lang), indent=False,
                          layout=w.Layout(width="220px"))
        auto.add_class("convviz-trust-auto")
        traitlets.link((auto, "value"), (self, "auto"))
        self.plot = w.HTML("")
        self.plot.add_class("convviz-trust-plot")
        self.text = w.HTML("")
        self.text.add_class("convviz-trust-text")
        super().__init__([w.HTML(f"<div style='line-height:1.35'>{tr('tr.head', lang)}</div>"),
                          w.HBox([run, auto]), self.plot, self.text],
                         layout=w.Layout(max_width="560px"))
        self.add_class("convviz-trust")

    def job(self, maps: list, image, steps: int, shown, titles: tuple[str, str], on_shown):
        """The scoring of the shown maps as a job for the viewer's job bar: ``(prepare, apply)``
        (see :meth:`._gradcam_tasks.JobBar.run`), or None — and it says so — when the viewer's
        own map is not scorable.

        ``maps``: ``(key, explained, result)`` as :func:`score_maps` takes them, the viewer's
        own first (a comparison map that is not scorable is left out); ``image()``: the shown
        image; ``shown()``: the ``(result, compare_result)`` shown when the scores arrive —
        scores of a map no longer shown are dropped; ``on_shown()`` after the scores are shown.
        """
        if not scorable(maps[0][2]):
            self.no_map()
            return None
        jobs = [m for k, m in enumerate(maps) if k == 0 or scorable(m[2])]
        img = image()

        def apply(p):
            result, compare_result = shown()
            if p["result"] is not result or (
                    "compare" in p and p["compare"]["result"] is not compare_result):
                return  # the map changed while it was scored: these numbers are not its own
            self.show(p, titles)
            on_shown()

        return (lambda cancel, on_step: score_maps(jobs, img, steps, cancel, on_step)), apply

    def map_changed(self, result) -> bool:
        """``result`` is shown: unless the scores are its own they go stale; True when it is to
        be scored now (:attr:`auto`)."""
        if self.trust is not None and self.trust.get("result") is result:
            return False
        self.stale(say_press=not self.auto)
        return self.auto

    def stale(self, say_press: bool = True) -> None:
        """A new map is shown: the old scores no longer describe it (``say_press``: ask for a
        check; off while a check of every new map is about to start)."""
        self.trust = None
        self.plot.value = ""
        if say_press:
            self.text.value = f"<small>{html.escape(tr('tr.stale', self.lang))}</small>"

    def no_map(self) -> None:
        self.text.value = f"<small>{html.escape(tr('tr.no_map', self.lang))}</small>"

    def show(self, p: dict, names: tuple[str, str]) -> None:
        """Curves and areas of ``p``: one row per model (the comparison model's under its name
        ``names[1]``, its classes ``convviz-trust-compare-*``)."""
        rows = [("", names[0], p)]
        if "compare" in p:
            rows.append(("compare-", names[1], p["compare"]))
        plots, texts = [], []
        for prefix, name, part in rows:
            plot, text = self._row(part, p["steps"], prefix)
            heading = f"<div style='font-weight:600'>{html.escape(name)}</div>" \
                if len(rows) > 1 else ""
            plots.append(f"<div class='convviz-trust-{prefix}row'>{heading}{plot}</div>")
            texts.append(f"<div style='margin-bottom:4px'>{heading}{text}</div>")
        self.plot.value = "".join(plots)
        self.text.value = "".join(texts)
        self.trust = p

    def _row(self, part: dict, steps: int, prefix: str) -> tuple[str, str]:
        """One model's two curves (HTML) and its area lines (HTML)."""
        r = part["result"]
        ylabel = tr("tr.y_score" if callable(r.target) else "tr.y_prob", self.lang)
        plot = ("<div style='display:flex;gap:10px;flex-wrap:wrap'>" +
                "".join(curve_svg(part[kind], self.lang, ylabel)
                        for kind in ("deletion", "insertion")) + "</div>")
        what = tr("tr.for", self.lang,
                  m=method_label(r.method, compute.cam_methods().get(r.method, r.method),
                                 self.lang),
                  c=self._name_of(r.target), s=steps)
        lines = [area_text(part[kind], self.lang) for kind in ("deletion", "insertion")]
        warn = improbable_text(part["deletion"], self._name_of(r.target), self.lang)
        warn_html = (f"<div class='convviz-trust-{prefix}improbable' style='color:#a15c00'>"
                     f"{html.escape(warn)}</div>") if warn else ""
        text = ("<div style='font-size:12px'>" + warn_html +
                "".join(f"<div class='convviz-trust-{prefix}{kind}'>{html.escape(line)}</div>"
                        for kind, line in zip(("deletion", "insertion"), lines)) +
                f"<div style='color:#666'>{html.escape(what)}</div></div>")
        return plot, text
