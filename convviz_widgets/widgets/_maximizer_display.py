"""What the FilterMaximizer shows and exports: contrast-stretched uint8 tiles, the gallery
grid, ``gallery_png``, and the :class:`PatternPanels` component (the two displays and their
rows; the view's Export buttons are the generic ones of every view)."""

from __future__ import annotations

import io

import ipywidgets as w
import numpy as np
from PIL import Image

from .. import display
from ._maximizer_objectives import value_key
from ..i18n import tr
from ._pixels import quantize
from ._placeholder import placeholder_pixels
from ._raster import RasterView
from ._view_error import ViewError


#: Display size budgets (CSS pixels) of the big pattern and of one gallery tile.
_BIG_PX = 256
_TILE_PX = 80


def display_pixels(images: np.ndarray, stretch: bool = True) -> np.ndarray:
    """``(n, H, W, C)`` display images in [0, 1] → uint8 tiles ``(n, H, W, 1 or 3)``.

    ``stretch`` shows each tile the way the lesson's ``deprocess_image`` does (the rule of
    :func:`convviz_widgets.display.deprocess_tiles`, shared with the static figures):
    centred, scaled to a standard deviation of 0.1 around mid-grey, clipped. Patterns of the
    naive recipe differ from grey by a few levels and would look uniformly grey otherwise, and
    a percentile stretch would turn the regularised ones into black-and-white blobs. A
    constant tile (a filter whose chunk has not started) stays mid-grey. Three or
    more channels show the first three as RGB; one or two channels show their mean as grey.

    Examples
    --------
    >>> display_pixels(np.full((2, 4, 5, 3), 0.5, np.float32)).shape
    (2, 4, 5, 3)
    >>> int(display_pixels(np.full((1, 2, 2, 1), 0.5, np.float32))[0, 0, 0, 0])
    128
    """
    x = np.asarray(images, np.float32)
    x = x[..., :3] if x.shape[-1] >= 3 else x.mean(axis=-1, keepdims=True)
    return quantize(display.deprocess_tiles(x) if stretch else x, 0.0, 1.0)


def status_words(status: str, lang: str = "en") -> str:
    """What a tile of row status ``status`` is called in ``lang`` ("" for a finished one).

    Examples
    --------
    >>> status_words("dead", "pt"), status_words("done")
    ('filtro morto: nunca dispara', '')
    """
    return display.status_text(status, lang)  # one rule, shared with the static figures


def marked_pixels(tiles: np.ndarray, status) -> np.ndarray:
    """uint8 display tiles with the unfinished ones hatched (``status``: one word per tile, as
    ``MaximizeResult.status``; ``None``: nothing to mark).

    Examples
    --------
    >>> t = marked_pixels(np.zeros((2, 8, 8, 1), np.uint8), ["unfinished", "done"])
    >>> int(t[0].max()), int(t[1].max())
    (128, 0)
    """
    if status is None:
        return tiles
    return display.hatch_tiles(tiles, np.asarray(status) == "unfinished")


def status_caption(filters, status, lang: str = "en") -> str:
    """``"dead filter: never fires: 0, 6 · not finished: 12"`` for the marked rows ("" if
    none), naming each row by its filter.

    Examples
    --------
    >>> status_caption([3, 4, 5], ["dead", "done", "unfinished"])
    'dead filter: never fires: 3 · not finished: 5'
    """
    if status is None:
        return ""
    status = np.asarray(status)
    parts = []
    for kind in ("dead", "unfinished"):
        rows = np.flatnonzero(status == kind)
        if rows.size:
            names = ", ".join(str(int(filters[r])) for r in rows[:12])
            parts.append(f"{status_words(kind, lang)}: {names}{' …' if rows.size > 12 else ''}")
    return " · ".join(parts)


def _grid_columns(n: int, h: int, w: int) -> int:
    return display.grid_columns(n, h, w)


def grid_image(tiles: np.ndarray, columns: int, gap: int = 2, background: int = 232) -> np.ndarray:
    """Lay out uint8 tiles ``(n, h, w, c)`` in a grid ``columns`` wide: ``(H, W, c)`` uint8.

    Examples
    --------
    >>> grid_image(np.zeros((5, 4, 6, 3), np.uint8), columns=4).shape
    (10, 30, 3)
    """
    return display.mosaic(np.asarray(tiles, np.uint8), columns, pad=gap, fill=background)


def gallery_png(images: np.ndarray, status=None, stretch: bool = True) -> bytes:
    """Patterns ``(n, H, W, C)`` in [0, 1] as one PNG grid, as displayed (stretched, unfinished
    rows hatched).

    Examples
    --------
    >>> gallery_png(np.full((3, 8, 8, 3), 0.5, np.float32))[:4]
    b'\\x89PNG'
    """
    tiles = marked_pixels(display_pixels(images, stretch), status)
    grid = grid_image(tiles, _grid_columns(*tiles.shape[:3]))
    mode = "L" if grid.shape[-1] == 1 else "RGB"
    buf = io.BytesIO()
    Image.fromarray(grid[..., 0] if mode == "L" else grid, mode).save(buf, "PNG")
    return buf.getvalue()


class PatternPanels(w.HBox):
    """The FilterMaximizer's two displays (the big pattern and the gallery) and the rows they
    show: a component the view composes and exports from.

    Attributes
    ----------
    pattern, gallery : RasterView
    shown : dict
        filter -> (image, activation) of the current settings.
    row_status : dict
        filter -> status word ("done", "unfinished", "dead").
    gallery_filters, gallery_images, gallery_status
        The gallery's rows (``gallery_images`` None before a gallery ran).
    """

    def __init__(self, lang: str = "en"):
        self.lang = lang
        self.pattern = RasterView(lang=lang, tile_label="", gap=0)
        self.gallery = RasterView(lang=lang, tile_label=tr("ui.filter", lang), gap=3)
        self.pattern.add_class("convviz-maximizer-pattern")
        self.gallery.add_class("convviz-maximizer-gallery")
        super().__init__([self.pattern, self.gallery],
                         layout=w.Layout(flex_flow="row wrap", align_items="flex-start"))
        self.clear()

    def clear(self) -> None:
        """Forget every row (the settings changed)."""
        self.shown: dict = {}
        self.row_status: dict = {}
        self.gallery_filters = np.zeros((0,), np.int64)
        self.gallery_images: np.ndarray | None = None
        # Rows that are not finished patterns (cancelled mid-way, or a filter that never
        # fired): the gallery's per row, the single view's per filter.
        self.gallery_status: np.ndarray | None = None

    def keep(self, filters, images, activation, status) -> None:
        """Remember finished (or cached) rows per filter."""
        for f, image, act, st in zip(filters, images, activation, status):
            self.shown[int(f)] = (image, float(act))
            self.row_status[int(f)] = str(st)

    def keep_gallery(self, filters, images, status=None) -> None:
        """Remember the gallery's rows: their filters, images and status words (None while a run
        is going)."""
        self.gallery_filters, self.gallery_images, self.gallery_status = filters, images, status

    def draw_gallery(self, images, filters, selected: int, title: str, what, caption: str = "",
                     status=None, stretch: bool = True) -> None:
        """Draw the gallery; ``status`` (one word per row, as ``MaximizeResult.status``) marks
        the rows that are not finished patterns: unfinished ones hatched, dead filters crossed
        out, both named in the caption and in each tile's hover line (``what(f)`` names a
        row)."""
        n, h, w_, _ = images.shape
        sel = np.flatnonzero(filters == selected)
        marks = status_caption(filters, status, self.lang)
        info = []
        if marks:
            info = [what(int(f)) + (f" · {status_words(st, self.lang)}" if st != "done" else "")
                    for f, st in zip(filters, status)]
        self.gallery.set_tiles(
            marked_pixels(display_pixels(images, stretch), status),
            columns=_grid_columns(n, h, w_), zoom=max(1, _TILE_PX // max(h, w_)),
            selected=int(sel[0]) if sel.size else -1, title=title,
            marked=[int(k) for k in np.flatnonzero(np.asarray(status) == "dead")]
            if status is not None else [],
            tile_info=info,
            caption=caption or (marks + " · " if marks else "") + tr("fm.click_tile", self.lang))

    def select(self, f: int) -> None:
        """Outline filter ``f``'s tile in the gallery (none if it is not there)."""
        hit = np.flatnonzero(self.gallery_filters == f)
        self.gallery.selected = int(hit[0]) if hit.size else -1

    def png(self, stretch: bool = True) -> bytes:
        """The gallery (or the single patterns when no gallery ran) as PNG bytes."""
        status = None
        if self.gallery_images is not None and len(self.gallery_filters):
            images, status = self.gallery_images, self.gallery_status
        elif self.shown:
            images = np.stack([self.shown[f][0] for f in sorted(self.shown)])
        else:
            raise ViewError("fm_export_empty")
        return gallery_png(images, status, stretch)

    # -- the big pattern ------------------------------------------------------------------
    def show_waiting(self, hw, what: str) -> None:
        """The pattern panel before a run: its size ``hw``, grey, saying what Run will compute."""
        h, w_ = hw
        zoom = max(1, _BIG_PX // max(h, w_))
        text = tr("fm.press_run", self.lang, what=what)
        self.pattern.set_tiles(placeholder_pixels(h * zoom, w_ * zoom, text), zoom=1,
                               title=text, caption="")

    def show_row(self, f: int, name: str, objective: str, hw, stretch: bool) -> bool:
        """Show the kept row of filter ``f`` large, titled ``name`` with its value (worded for
        ``objective``) and status; False when no row of ``f`` is kept."""
        if f not in self.shown:
            return False
        image, act = self.shown[f]
        state = self.row_status.get(f, "done")
        words = status_words(state, self.lang)
        self.pattern.set_tiles(marked_pixels(display_pixels(image[None], stretch), [state]),
                               zoom=max(1, _BIG_PX // max(hw)),
                               title=name + (f" — {words}" if words else ""),
                               caption=tr(value_key(objective), self.lang, m=f"{act:.4g}")
                               + (f" · {words}" if words else ""))
        return True

    def show_frame(self, image, name: str, objective: str, value: float, fraction: float,
                   stretch: bool) -> None:
        """A frame of a run in progress: the pattern ``(H, W, C)`` so far, large."""
        h, w_ = image.shape[:2]
        self.pattern.set_tiles(display_pixels(image[None], stretch),
                               zoom=max(1, _BIG_PX // max(h, w_)), title=name,
                               caption=tr(value_key(objective), self.lang, m=f"{value:.4g}")
                               + tr("fm.at", self.lang, p=f"{fraction:.0%}"))


def run_summary(res, what: str, lang: str) -> str:
    """The run panel's last line: what ran, how long, the mean value (or how far a cancelled
    run got), and how many rows came from the cache."""
    if res.cancelled:
        return tr("fm.cancelled", lang, what=what, k=int(res.complete.sum()),
                  sec=f"{res.seconds:.1f}")
    cached = int(res.from_cache.sum())
    note = tr("fm.from_cache", lang, k=cached) if cached else ""
    mean = float(np.mean(res.activation)) if len(res) else 0.0
    return tr(value_key(res.objective_name, done=True), lang, what=what,
              sec=f"{res.seconds:.2f}", note=note, m=f"{mean:.4g}")
