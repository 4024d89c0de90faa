"""The best/worst predictions section of :class:`GradCAMViewer` (a mixin: it uses the viewer's
model, images, labels, tasks and status line)."""

from __future__ import annotations

import html

import ipywidgets as w
import numpy as np

from ._i18n import tr
from ._overlay import _rgb_u8
from ._raster import RasterView

#: Gallery tiles are this many pixels on their longer side, this many apart.
_GALLERY_TILE = 96
_GALLERY_GAP = 14


class GalleryMixin:
    """Rank the labelled images and show the most confident correct predictions and the worst
    mistakes, each with its heatmap; a click opens the image in the viewer."""

    def _build_gallery_section(self) -> w.Widget:
        self._gallery_btn = w.Button(description="Find best & worst predictions",
                                     button_style="primary", layout=w.Layout(width="260px"))
        self._gallery_btn.on_click(lambda _b: self._safe(self.find_best_and_worst))
        rank = tr("rank_axis", self.lang)
        self.gallery_best = RasterView(gap=_GALLERY_GAP, title=tr("gc_best_title", self.lang),
                                       labels=[rank, "y", "x"],
                                       background="#ffffff")
        self.gallery_worst = RasterView(gap=_GALLERY_GAP, title=tr("gc_worst_title", self.lang),
                                        labels=[rank, "y", "x"], background="#ffffff")
        self.gallery_best.add_class("convviz-gallery-best")
        self.gallery_worst.add_class("convviz-gallery-worst")
        # One caption under each thumbnail: a row of boxes as wide as the tiles, with the
        # raster's gap between them (the raster draws no text).
        self.gallery_captions = {"best": w.HTML(""), "worst": w.HTML("")}
        rows = []
        for which, view in (("best", self.gallery_best), ("worst", self.gallery_worst)):
            view.layout.display = "none"  # shown once there is something to show
            self.gallery_captions[which].add_class(f"convviz-gallery-{which}-captions")
            rows += [view, self.gallery_captions[which]]
        self.gallery_best.on_click(lambda t, y, x: self._open_gallery("best", t))
        self.gallery_worst.on_click(lambda t, y, x: self._open_gallery("worst", t))
        self._gallery_info = w.HTML("")
        return w.VBox([w.HTML(tr("gc_gallery_head", self.lang)), self._gallery_btn] + rows +
                      [self._gallery_info])

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

    def _open_gallery(self, which: str, tile: int) -> None:
        g = self.gallery or {}
        items = g.get(which, [])
        if 0 <= tile < len(items):
            self._set_from_ui("image_index", int(items[tile]))

    def find_best_and_worst(self, n: int = 4, wait: bool = False) -> None:
        """Rank the labelled images and show the ``n`` best and ``n`` worst, with heatmaps.

        Runs in the worker thread (progress and Cancel); ``wait=True`` blocks until done.
        """
        if self.labels is None:
            raise ValueError("The gallery needs labels: GradCAMViewer(model, images, "
                             "labels=...).")
        labelled = [self._image(i) for i in range(min(len(self.images), len(self.labels)))]
        labels = self.labels[:len(labelled)]
        state = self._state()
        look = (self.overlay.colormap, self.overlay.opacity)

        def prepare(event, on_step):
            from ..compute import prepare_images
            from ..compute.cam import CAMCancelled, gradcam, overlay, rank_predictions

            rank = rank_predictions(self.model, labelled, labels, preprocess=self.preprocess,
                                    output=self.output)
            best, worst = rank.best[:n], rank.worst[:n]
            chosen = [("best", int(i)) for i in best] + [("worst", int(i)) for i in worst]
            tiles = {"best": [], "worst": []}
            for k, (which, i) in enumerate(chosen):
                if event.is_set():
                    raise CAMCancelled("gallery cancelled")
                # The predicted class (multi-label: the unit the model is surest is present).
                r = gradcam(self.model, labelled[i], target=int(rank.explain[i]),
                            layer=state["layer"], method="gradcam", preprocess=self.preprocess,
                            output=self.output)
                rgb = overlay(r.heatmap, r.image, look[0], look[1])
                h, w_ = rgb.shape[:2]
                scale = _GALLERY_TILE / max(h, w_)
                th, tw = max(1, round(h * scale)), max(1, round(w_ * scale))
                small = prepare_images(rgb, (None, th, tw, 3)).images[0]
                tiles[which].append((i, _rgb_u8(small)))
                on_step(k + 1, len(chosen))
            return {"rank": rank, "tiles": tiles, "best": [int(i) for i in best],
                    "worst": [int(i) for i in worst]}

        def apply(p):
            self.gallery = {"best": p["best"], "worst": p["worst"], "ranking": p["rank"]}
            rank = p["rank"]
            rows = []
            for which, view in (("best", self.gallery_best), ("worst", self.gallery_worst)):
                items = p["tiles"][which]
                if not items:
                    view.set_tiles(np.full((1, 8, 8, 3), 255, np.uint8),
                                   caption=tr("(none)", self.lang))
                    self.gallery_captions[which].value = ""
                    view.layout.display = ""
                    continue
                th = max(t.shape[0] for _, t in items)
                tw = max(t.shape[1] for _, t in items)
                stack = np.full((len(items), th, tw, 3), 255, np.uint8)
                for k, (_, t) in enumerate(items):
                    stack[k, :t.shape[0], :t.shape[1]] = t
                captions = [f"{k + 1}. {tr('image', self.lang)} {i}: {self._label_name(i)} → "
                            f"{self._predicted_name(rank, i)} "
                            f"({float(rank.confidence[i]):.0%})" for k, (i, _) in
                            enumerate(items)]
                view.set_tiles(stack, columns=len(items), zoom=1, caption="")
                self.gallery_captions[which].value = self._tile_captions(captions, tw)
                view.layout.display = ""
                rows.append(which)
            wrong = int((~rank.correct).sum())
            mistakes = tr("gc_mistake_1" if wrong == 1 else "gc_mistakes", self.lang, k=wrong)
            self._gallery_info.value = "<small>" + html.escape(tr(
                "gc_accuracy", self.lang, n=len(rank.correct), acc=f"{rank.accuracy:.0%}",
                m=mistakes)) + "</small>"
            self._show_error(None)

        self._start_worker(self._gallery_task, {}, prepare, apply)
        if wait:
            self.wait()
