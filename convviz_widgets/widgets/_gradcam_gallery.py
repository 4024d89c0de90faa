"""The best/worst predictions section of :class:`GradCAMViewer`, a component: the ranking is
computed by :func:`rank_and_explain` (in the viewer's worker thread) and shown by
:class:`BestWorstGallery`, which tells the view through callbacks when the user asks for a
ranking or opens an image.

Ranked by confidence (the lesson's gallery: the surest correct predictions, the worst mistakes)
or by the faithfulness of the maps (deletion area: lowest first). With a comparison model both
models are ranked on the same labelled images and shown side by side, as the Chollet lesson
compares its data-augmentation model with the full one.
"""

from __future__ import annotations

import html

import ipywidgets as w
import numpy as np
import traitlets

# Looked up when called, not bound here: the fault tests put failing or slow ones in place.
from .. import compute
from ..compute import cam, prepare_images
from ..compute.cam import get_method, reads_layer
from ._gradcam_display import heat_for_display
from ..i18n import method_label, tr
from ._overlay import _rgb_u8
from ._raster import RasterView
from ._fit import fit_layout

#: Gallery tiles are this many pixels on their longer side, this many apart.
_GALLERY_TILE = 96
_GALLERY_GAP = 14
#: Steps of the deletion curve when the gallery ranks by faithfulness (one batch per image).
_GALLERY_STEPS = 16
RANKINGS = ("confidence", "deletion")




def gallery_tile(r, look) -> np.ndarray:
    """A map over its image, ``_GALLERY_TILE`` pixels on the longer side, uint8 RGB.

    ``look`` is ``(unsigned colormap, signed colormap, opacity)``.
    """
    rgb = compute.overlay(heat_for_display(r), r.image, look[bool(r.signed)], look[2])
    h, w_ = rgb.shape[:2]
    scale = _GALLERY_TILE / max(h, w_)
    th, tw = max(1, round(h * scale)), max(1, round(w_ * scale))
    return _rgb_u8(prepare_images(rgb, (None, th, tw, 3)).images[0])


def rank_and_explain(specs: list, images: list, labels, n: int, by: str, method: str,
                     uses_layer: bool, look, cancel, on_step) -> dict:
    """Rank labelled ``images`` for each ``(key, explained, layer)`` of ``specs`` (``explained``:
    the model's :class:`._gradcam_explain.Explained`) and draw the maps of the ``n`` best and
    ``n`` worst.

    ``by="confidence"``: the surest correct predictions and the worst mistakes;
    ``by="deletion"``: the lowest and highest deletion areas (16 steps, predicted class).
    Returns ``{"by", "method", key: {"rank", "tiles", "areas", "best", "worst"}}``.
    """
    total = (2 * n + (len(images) if by == "deletion" else 0)) * len(specs)
    done = [0]

    def tick():
        if cancel.is_set():
            raise compute.CAMCancelled("gallery cancelled")
        done[0] += 1
        on_step(done[0], total)

    out = {"by": by, "method": method}
    for key, m, layer in specs:
        model, prep, output, size = m.model, m.preprocess, m.output, m.input_size
        rank = cam.rank_predictions(model, images, labels, preprocess=prep, output=output,
                                    input_size=size)

        def explain(i, model=model, prep=prep, output=output, layer=layer, size=size,
                    rank=rank):
            # The predicted class (multi-label: the unit the model is surest is present).
            return cam.gradcam(model, images[i], target=int(rank.explain[i]),
                               layer=layer if uses_layer else None, method=method,
                               preprocess=prep, output=output, cancel=cancel, input_size=size)

        maps, areas = {}, None
        if by == "deletion":
            areas = np.empty(len(images), np.float64)
            for i in range(len(images)):
                maps[i] = explain(i)
                areas[i] = compute.faithfulness(model, images[i], maps[i], maps[i].target,
                                        steps=_GALLERY_STEPS, preprocess=prep, output=output,
                                        cancel=cancel, input_size=size).area
                tick()
            order = np.argsort(areas, kind="stable")
            best, worst = order[:n], order[::-1][:n]
        else:
            best, worst = rank.best[:n], rank.worst[:n]
        tiles = {"best": [], "worst": []}
        for which, chosen in (("best", best), ("worst", worst)):
            for i in chosen:
                r = maps[int(i)] if int(i) in maps else explain(int(i))
                tiles[which].append((int(i), gallery_tile(r, look)))
                tick()
        out[key] = {"rank": rank, "tiles": tiles, "areas": areas,
                    "best": [int(i) for i in best], "worst": [int(i) for i in worst]}
    return out


class BestWorstGallery(w.VBox):
    """The best and worst predictions of labelled images, each with its heatmap, for one model
    and optionally a comparison model beside it; a click on a tile opens that image.

    Parameters
    ----------
    lang : str
    names : (str, str)
        Titles of the two models' columns.
    with_compare : bool
        Show a column for the comparison model.
    on_find : callable
        ``on_find()``: the user pressed "Find best & worst predictions".
    on_open : callable
        ``on_open(image_index)``: the user clicked a tile.

    Attributes
    ----------
    by : str
        The ranking (``"confidence"`` or ``"deletion"``), the menu's value.
    gallery : dict or None
        What is shown (see :attr:`GradCAMViewer.gallery`).
    best, worst, captions, compare_best, compare_worst
        The rasters and caption rows.

    Examples
    --------
    >>> g = BestWorstGallery("en", ("a", ""), False, print, print)
    >>> g.by
    'confidence'
    """

    by = traitlets.Unicode(RANKINGS[0])
    gallery = traitlets.Any(None, allow_none=True)

    def __init__(self, lang: str, names, with_compare: bool, on_find, on_open):
        self.lang = lang
        self._on_open = on_open
        find = w.Button(description=tr("ui.find_best_worst_predictions", lang), button_style="primary",
                        layout=fit_layout())
        find.add_class("convviz-gallery-find")
        find.on_click(lambda _b: on_find())
        rank_by = w.Dropdown(options=[(tr(f"gc.rank_{k}", lang), k) for k in RANKINGS],
                             description=tr("gc.rank_by", lang),
                             style={"description_width": "initial"},
                             layout=w.Layout(width="300px"))
        rank_by.add_class("convviz-gallery-rank")
        traitlets.link((rank_by, "value"), (self, "by"))
        self._columns, columns = {}, []
        for key, title in (("main", names[0]), ("compare", names[1])):
            if key == "main" or with_compare:
                self._columns[key], column = self._column(key, title, with_compare)
                columns.append(column)
        main, other = self._columns["main"], self._columns.get("compare", {})
        self.best, self.worst, self.captions = main["best"], main["worst"], main["captions"]
        self.compare_best, self.compare_worst = other.get("best"), other.get("worst")
        self.info = w.HTML("")
        self.info.add_class("convviz-gallery-info")
        super().__init__([w.HTML(tr("gc.gallery_head", lang)), w.HBox([find, rank_by]),
                          w.HBox(columns, layout=w.Layout(flex_flow="row wrap",
                                                          align_items="flex-start")),
                          self.info])

    def job(self, main, compared, layer: str, images: list, labels, n: int, by: str | None,
            method: str, look, names: tuple, on_shown):
        """The ranking as a job for the viewer's job bar: ``(prepare, apply)`` (see
        :meth:`._gradcam_tasks.JobBar.run`).

        ``main`` and ``compared`` (None: not ranked) are the models'
        :class:`._gradcam_explain.Explained`, both explained at the viewer's ``layer`` (the
        comparison model at its own layer of that name); ``by`` None keeps the menu's ranking,
        another one is checked and set in the menu; ``images``, ``labels``, ``n``, ``method``
        and ``look`` as :func:`rank_and_explain` takes them; ``names``: ``(label_name,
        class_name, compare_name)`` as :meth:`show` takes them; ``on_shown()`` after it showed.
        """
        by = self.by if by is None else by
        if by not in RANKINGS:
            raise ValueError(f"by must be one of {list(RANKINGS)}, not {by!r}.")
        self.by = by
        uses_layer = reads_layer(get_method(method))  # gradcam refuses a layer= it cannot read
        specs = [("main", main, layer)]
        if compared is not None:
            specs.append(("compare", compared, compared.layer_for(layer)))

        def apply(p):
            self.show(p, *names)
            on_shown()

        return (lambda cancel, on_step: rank_and_explain(
            specs, images, labels, n, by, method, uses_layer, look, cancel, on_step)), apply

    @property
    def rasters(self) -> list:
        """Every best/worst raster (controls, not part of an exported figure)."""
        return [c[k] for c in self._columns.values() for k in ("best", "worst")]

    def _column(self, key: str, title: str, with_compare: bool) -> tuple[dict, w.Widget]:
        """One model's best and worst rasters with their caption rows."""
        rank = tr("ui.rank_axis", self.lang)
        views = {"title": w.HTML(f"<b>{html.escape(title)}</b>"), "name": title,
                 "captions": {}}
        rows = [views["title"]]
        for which in ("best", "worst"):
            view = RasterView(gap=_GALLERY_GAP, title=tr(f"gc.{which}_title", self.lang),
                              lang=self.lang, tile_label=rank, background="#ffffff")
            view.add_class(f"convviz-gallery-{which}" if key == "main"
                           else f"convviz-gallery-compare-{which}")
            view.layout.display = "none"  # shown once there is something to show
            view.on_click(lambda t, y, x, k=key, wh=which: self._open(wh, t, k))
            # One caption under each thumbnail: a row of boxes as wide as the tiles, with the
            # raster's gap between them (the raster draws no text).
            cap = w.HTML("")
            cap.add_class(f"convviz-gallery-{which}-captions" if key == "main"
                          else f"convviz-gallery-compare-{which}-captions")
            views[which], views["captions"][which] = view, cap
            rows += [view, cap]
        views["title"].layout.display = "" if with_compare else "none"
        return views, w.VBox(rows, layout=w.Layout(margin="0 24px 0 0"))

    def _open(self, which: str, tile: int, key: str = "main") -> None:
        g = self.gallery or {}
        items = (g if key == "main" else g.get("compare") or {}).get(which, [])
        if 0 <= tile < len(items):
            self._on_open(int(items[tile]))

    def show(self, p: dict, label_name, class_name, compare_name: str) -> None:
        """Show a :func:`rank_and_explain` payload; ``label_name(i)`` names image ``i``'s true
        label, ``class_name(k)`` class ``k``."""
        main = p["main"]
        gallery = {"best": main["best"], "worst": main["worst"], "ranking": main["rank"],
                   "by": p["by"], "areas": main["areas"], "method": p["method"]}
        if "compare" in p:
            c = p["compare"]
            gallery["compare"] = {"best": c["best"], "worst": c["worst"],
                                  "ranking": c["rank"], "areas": c["areas"]}
        info = []
        for key, views in self._columns.items():
            if key not in p:
                info.append(tr("gc.other_labels", self.lang, name=compare_name))
                continue
            self._fill(views, p[key], p["by"], p["method"], label_name, class_name)
            rank = p[key]["rank"]
            wrong = int((~rank.correct).sum())
            mistakes = tr("gc.mistakes", self.lang, n=wrong)
            text = tr("gc.accuracy", self.lang, n=len(rank.correct),
                      acc=f"{rank.accuracy:.0%}", m=mistakes)
            if len(self._columns) > 1:
                text = f"{views['name']}: {text}"
            info.append(text)
        self.info.value = "<small>" + "<br>".join(html.escape(t) for t in info) + "</small>"
        self.gallery = gallery

    def _tile_captions(self, captions: list[str], tile_width: int) -> str:
        cells = "".join(
            f"<div class='convviz-gallery-caption' style='width:{tile_width}px;flex:none;"
            f"overflow-wrap:anywhere'>{html.escape(c)}</div>" for c in captions)
        return (f"<div style='display:flex;gap:{_GALLERY_GAP}px;font-size:11px;"
                f"line-height:1.25;color:#444;margin-top:-4px'>{cells}</div>")

    def _fill(self, views: dict, part: dict, by: str, method: str, label_name,
              class_name) -> None:
        rank, areas = part["rank"], part["areas"]
        label = method_label(method, compute.cam_methods().get(method, method), self.lang)
        for which in ("best", "worst"):
            view, cap = views[which], views["captions"][which]
            view.title = tr(f"gc.{which}_del", self.lang, m=label) if by == "deletion" else \
                f"{tr(f'gc.{which}_title', self.lang)} · {label}"
            items = part["tiles"][which]
            if not items:
                view.set_tiles(np.full((1, 8, 8, 3), 255, np.uint8),
                               caption=tr("ui.none_option", self.lang))
                cap.value = ""
                view.layout.display = ""
                continue
            th = max(t.shape[0] for _, t in items)
            tw = max(t.shape[1] for _, t in items)
            stack = np.full((len(items), th, tw, 3), 255, np.uint8)
            for k, (_, t) in enumerate(items):
                stack[k, :t.shape[0], :t.shape[1]] = t
            captions = []
            for k, (i, _) in enumerate(items):
                pred = rank.predicted[i]
                if np.ndim(pred):  # multi-label: the units said to be present
                    present = [class_name(int(u)) for u in np.flatnonzero(pred)]
                    predicted = "+".join(present) if present else "—"
                else:
                    predicted = class_name(int(pred))
                text = (f"{k + 1}. {tr('ui.image', self.lang)} {i}: {label_name(i)} → "
                        f"{predicted} ({float(rank.confidence[i]):.0%})")
                if areas is not None:
                    text += " · " + tr("gc.del_short", self.lang, a=f"{areas[i]:.2f}")
                captions.append(text)
            view.set_tiles(stack, columns=len(items), zoom=1, caption="")
            cap.value = self._tile_captions(captions, tw)
            view.layout.display = ""
