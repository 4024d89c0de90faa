"""The best/worst predictions section of :class:`GradCAMViewer` (a mixin: it uses the viewer's
model, images, labels, tasks and status line).

Ranked by confidence (the lesson's gallery: the surest correct predictions, the worst mistakes)
or by the faithfulness of the maps (deletion area: lowest first). With a comparison model both
models are ranked on the same labelled images and shown side by side, as the Chollet lesson
compares its data-augmentation model with the full one.
"""

from __future__ import annotations

import html

import ipywidgets as w
import numpy as np

from ._gradcam_display import heat_for_display
from ._i18n import method_label, register, tr
from ._overlay import _rgb_u8
from ._raster import RasterView
from ._fit import fit_layout

register({
    "gc_rank_by": ("rank by", "ordenar por", "ordenar por"),
    "gc_rank_confidence": ("confidence", "confianza", "confiança"),
    "gc_rank_deletion": ("deletion area (faithfulness)", "área de borrado (fidelidad)",
                         "área de remoção (fidelidade)"),
    "gc_best_del": ("most faithful maps (lowest deletion area, {m})",
                    "mapas más fieles (menor área de borrado, {m})",
                    "mapas mais fiéis (menor área de remoção, {m})"),
    "gc_worst_del": ("least faithful maps (highest deletion area, {m})",
                     "mapas menos fieles (mayor área de borrado, {m})",
                     "mapas menos fiéis (maior área de remoção, {m})"),
    "gc_del_short": ("deletion {a}", "borrado {a}", "remoção {a}"),
    "gc_other_labels": ("{name} has another set of classes: it is not ranked on these labels.",
                        "{name} tiene otras clases: no se ordena con estas etiquetas.",
                        "{name} tem outras classes: não é ordenado com estes rótulos."),
})

#: Gallery tiles are this many pixels on their longer side, this many apart.
_GALLERY_TILE = 96
_GALLERY_GAP = 14
#: Steps of the deletion curve when the gallery ranks by faithfulness (one batch per image).
_GALLERY_STEPS = 16
_RANKINGS = ("confidence", "deletion")


class GalleryMixin:
    """Rank the labelled images and show the most confident correct predictions and the worst
    mistakes (or the most and least faithful maps), each with its heatmap, for the viewer's
    model and its comparison model; a click opens the image in the viewer."""

    def _gallery_column(self, key: str, title: str) -> tuple[dict, w.Widget]:
        """One model's best and worst rasters with their caption rows."""
        rank = tr("rank_axis", self.lang)
        views = {"title": w.HTML(f"<b>{html.escape(title)}</b>"), "name": title,
                 "captions": {}}
        rows = [views["title"]]
        for which in ("best", "worst"):
            view = RasterView(gap=_GALLERY_GAP, title=tr(f"gc_{which}_title", self.lang),
                              labels=[rank, "y", "x"], background="#ffffff")
            view.add_class(f"convviz-gallery-{which}" if key == "main"
                           else f"convviz-gallery-compare-{which}")
            view.layout.display = "none"  # shown once there is something to show
            view.on_click(lambda t, y, x, k=key, wh=which: self._open_gallery(wh, t, k))
            # One caption under each thumbnail: a row of boxes as wide as the tiles, with the
            # raster's gap between them (the raster draws no text).
            cap = w.HTML("")
            cap.add_class(f"convviz-gallery-{which}-captions" if key == "main"
                          else f"convviz-gallery-compare-{which}-captions")
            views[which], views["captions"][which] = view, cap
            rows += [view, cap]
        views["title"].layout.display = "none" if self.compare_model is None else ""
        return views, w.VBox(rows, layout=w.Layout(margin="0 24px 0 0"))

    def _build_gallery_section(self, names=("", "")) -> w.Widget:
        self._gallery_btn = w.Button(description="Find best & worst predictions",
                                     button_style="primary", layout=fit_layout())
        self._gallery_btn.on_click(lambda _b: self._safe(self.find_best_and_worst))
        self._gallery_rank_dd = w.Dropdown(
            options=[(tr(f"gc_rank_{k}", self.lang), k) for k in _RANKINGS],
            description=tr("gc_rank_by", self.lang), style={"description_width": "initial"},
            layout=w.Layout(width="300px"))
        self._gallery_views, columns = {}, []
        for key, title in (("main", names[0]), ("compare", names[1])):
            if key == "compare" and self.compare_model is None:
                continue
            self._gallery_views[key], column = self._gallery_column(key, title)
            columns.append(column)
        main = self._gallery_views["main"]
        self.gallery_best, self.gallery_worst = main["best"], main["worst"]
        self.gallery_captions = main["captions"]
        other = self._gallery_views.get("compare", {})
        self.compare_gallery_best = other.get("best")
        self.compare_gallery_worst = other.get("worst")
        self._gallery_info = w.HTML("")
        return w.VBox([w.HTML(tr("gc_gallery_head", self.lang)),
                       w.HBox([self._gallery_btn, self._gallery_rank_dd]),
                       w.HBox(columns, layout=w.Layout(flex_flow="row wrap",
                                                       align_items="flex-start")),
                       self._gallery_info])

    def _tile_captions(self, captions: list[str], tile_width: int) -> str:
        cells = "".join(
            f"<div class='convviz-gallery-caption' style='width:{tile_width}px;flex:none;"
            f"overflow-wrap:anywhere'>{html.escape(c)}</div>" for c in captions)
        return (f"<div style='display:flex;gap:{_GALLERY_GAP}px;font-size:11px;"
                f"line-height:1.25;color:#444;margin-top:-4px'>{cells}</div>")

    def _predicted_name(self, rank, i: int) -> str:
        pred = rank.predicted[i]
        if np.ndim(pred):  # multi-label: the units said to be present
            present = [self._class_name(int(k)) for k in np.flatnonzero(pred)]
            return "+".join(present) if present else "—"
        return self._class_name(int(pred))

    def _open_gallery(self, which: str, tile: int, key: str = "main") -> None:
        g = self.gallery or {}
        items = (g if key == "main" else g.get("compare") or {}).get(which, [])
        if 0 <= tile < len(items):
            self._set_from_ui("image_index", int(items[tile]))

    def _gallery_models(self, state: dict) -> list[tuple]:
        """``(key, model, preprocess, output, layer)`` of each model the gallery ranks."""
        specs = [("main", self.model, self.preprocess, self.output, state["layer"])]
        if self.compare_model is not None and \
                self._n_classes(self.compare_model, self.compare_output) == \
                len(self.class_names):
            layer = state["layer"] if state["layer"] in self._compare_layers else \
                self._compare_default
            specs.append(("compare", self.compare_model, self.compare_preprocess,
                          self.compare_output, layer))
        return specs

    def find_best_and_worst(self, n: int = 4, wait: bool = False, by: str | None = None) -> None:
        """Rank the labelled images and show the ``n`` best and ``n`` worst, with heatmaps.

        Every map is drawn with the viewer's current method (its name is in the gallery's
        titles). ``by="confidence"`` (the menu's default): the surest correct predictions and the
        worst mistakes. ``by="deletion"``: the maps whose
        deletion area (:func:`convviz_widgets.faithfulness`, 16 steps, the predicted class) is
        lowest (most faithful) and highest. A comparison model with the same classes is ranked
        too and shown beside. Runs in the worker thread (progress and Cancel); ``wait=True``
        blocks until done.
        """
        if self.labels is None:
            raise ValueError("The gallery needs labels: GradCAMViewer(model, images, "
                             "labels=...).")
        by = self._gallery_rank_dd.value if by is None else by
        if by not in _RANKINGS:
            raise ValueError(f"by must be one of {list(_RANKINGS)}, not {by!r}.")
        with self._quiet():
            self._gallery_rank_dd.value = by
        labelled = [self._image(i) for i in range(min(len(self.images), len(self.labels)))]
        labels = self.labels[:len(labelled)]
        state = self._state()
        look = (self._colormaps[False], self._colormaps[True], self.overlay.opacity)
        specs = self._gallery_models(state)
        method = state["method"]  # both rankings show the maps the viewer shows
        per_model = 2 * n + (len(labelled) if by == "deletion" else 0)
        total = per_model * len(specs)

        def prepare(event, on_step):
            from ..compute import faithfulness
            from ..compute.cam import CAMCancelled, get_method, gradcam, rank_predictions, \
                reads_layer

            done = [0]
            # gradcam refuses a layer= that a pixel method cannot read.
            uses_layer = reads_layer(get_method(method))

            def tick():
                if event.is_set():
                    raise CAMCancelled("gallery cancelled")
                done[0] += 1
                on_step(done[0], total)

            out = {"by": by, "method": method}
            for key, model, prep, output, layer in specs:
                # The forced size is the viewer's model's; a comparison model keeps its own.
                size = self.input_size if model is self.model else None
                rank = rank_predictions(model, labelled, labels, preprocess=prep,
                                        output=output, input_size=size)

                def explain(i):
                    # The predicted class (multi-label: the unit the model is surest is present).
                    return gradcam(model, labelled[i], target=int(rank.explain[i]),
                                   layer=layer if uses_layer else None, method=method,
                                   preprocess=prep, output=output, cancel=event,
                                   input_size=size)

                maps, areas = {}, None
                if by == "deletion":
                    areas = np.empty(len(labelled), np.float64)
                    for i in range(len(labelled)):
                        maps[i] = explain(i)
                        areas[i] = faithfulness(model, labelled[i], maps[i], maps[i].target,
                                                steps=_GALLERY_STEPS, preprocess=prep,
                                                output=output, cancel=event,
                                                input_size=size).area
                        tick()
                    order = np.argsort(areas, kind="stable")
                    best, worst = order[:n], order[::-1][:n]
                else:
                    best, worst = rank.best[:n], rank.worst[:n]
                tiles = {"best": [], "worst": []}
                for which, chosen in (("best", best), ("worst", worst)):
                    for i in chosen:
                        r = maps[int(i)] if int(i) in maps else explain(int(i))
                        tiles[which].append((int(i), self._gallery_tile(r, look)))
                        tick()
                out[key] = {"rank": rank, "tiles": tiles, "areas": areas,
                            "best": [int(i) for i in best], "worst": [int(i) for i in worst]}
            return out

        def apply(p):
            main = p["main"]
            self.gallery = {"best": main["best"], "worst": main["worst"],
                            "ranking": main["rank"], "by": p["by"], "areas": main["areas"],
                            "method": p["method"]}
            if "compare" in p:
                c = p["compare"]
                self.gallery["compare"] = {"best": c["best"], "worst": c["worst"],
                                           "ranking": c["rank"], "areas": c["areas"]}
            info = []
            for key, views in self._gallery_views.items():
                if key not in p:
                    info.append(tr("gc_other_labels", self.lang,
                                   name=getattr(self.compare_model, "name", "")))
                    continue
                self._fill_gallery(views, p[key], p["by"], p["method"])
                rank = p[key]["rank"]
                wrong = int((~rank.correct).sum())
                mistakes = tr("gc_mistake_1" if wrong == 1 else "gc_mistakes", self.lang,
                              k=wrong)
                text = tr("gc_accuracy", self.lang, n=len(rank.correct),
                          acc=f"{rank.accuracy:.0%}", m=mistakes)
                if len(self._gallery_views) > 1:
                    text = f"{views['name']}: {text}"
                info.append(text)
            self._gallery_info.value = "<small>" + "<br>".join(
                html.escape(t) for t in info) + "</small>"
            self._show_error(None)

        self._start_worker(self._gallery_task, {}, prepare, apply)
        if wait:
            self.wait()

    @staticmethod
    def _gallery_tile(r, look) -> np.ndarray:
        """A map over its image, ``_GALLERY_TILE`` pixels on the longer side, uint8 RGB."""
        from ..compute import prepare_images
        from ..compute.cam import overlay

        rgb = overlay(heat_for_display(r), r.image, look[bool(r.signed)], look[2])
        h, w_ = rgb.shape[:2]
        scale = _GALLERY_TILE / max(h, w_)
        th, tw = max(1, round(h * scale)), max(1, round(w_ * scale))
        return _rgb_u8(prepare_images(rgb, (None, th, tw, 3)).images[0])

    def _fill_gallery(self, views: dict, part: dict, by: str, method: str) -> None:
        from ..compute.cam import cam_methods

        rank, areas = part["rank"], part["areas"]
        label = method_label(method, cam_methods().get(method, method), self.lang)
        for which in ("best", "worst"):
            view, cap = views[which], views["captions"][which]
            view.title = tr(f"gc_{which}_del", self.lang, m=label) if by == "deletion" else \
                f"{tr(f'gc_{which}_title', self.lang)} · {label}"
            items = part["tiles"][which]
            if not items:
                view.set_tiles(np.full((1, 8, 8, 3), 255, np.uint8),
                               caption=tr("(none)", self.lang))
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
                text = (f"{k + 1}. {tr('image', self.lang)} {i}: {self._label_name(i)} → "
                        f"{self._predicted_name(rank, i)} ({float(rank.confidence[i]):.0%})")
                if areas is not None:
                    text += " · " + tr("gc_del_short", self.lang, a=f"{areas[i]:.2f}")
                captions.append(text)
            view.set_tiles(stack, columns=len(items), zoom=1, caption="")
            cap.value = self._tile_captions(captions, tw)
            view.layout.display = ""
