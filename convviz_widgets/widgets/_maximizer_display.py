"""What the FilterMaximizer shows and exports: contrast-stretched uint8 tiles, the gallery
grid, and ``gallery_png`` (the view's Export buttons are the generic ones of every view)."""

from __future__ import annotations

import io

import numpy as np

from .. import display
from ._i18n import register, tr
from ._pixels import quantize

# The words that mark a tile that is not a finished pattern (one table, shared with the static
# figures: convviz_widgets.display.PATTERN_STATUS).
register({f"fm_status:{k}": v for k, v in display.PATTERN_STATUS.items()})

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
    return tr(f"fm_status:{status}", lang) if status in display.PATTERN_STATUS else ""


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


class ExportMixin:
    """``gallery_png`` / ``save_gallery`` / the Export PNG link of :class:`FilterMaximizer`."""

    def gallery_png(self) -> bytes:
        """The gallery (or the single pattern when no gallery ran) as PNG bytes, as displayed.

        Examples
        --------
        >>> png = fm.gallery_png()          # doctest: +SKIP
        >>> png[:4]                          # doctest: +SKIP
        b'\\x89PNG'
        """
        from PIL import Image

        status = None
        if self._gallery_images is not None and len(self._gallery_filters):
            images, status = self._gallery_images, self._gallery_status
        elif self._shown:
            fs = sorted(self._shown)
            images = np.stack([self._shown[f][0] for f in fs])
        else:
            raise ValueError("Nothing to export yet: press Run first.")
        tiles = marked_pixels(display_pixels(images, self.stretch), status)
        grid = grid_image(tiles, _grid_columns(*tiles.shape[:3]))
        mode = "L" if grid.shape[-1] == 1 else "RGB"
        buf = io.BytesIO()
        Image.fromarray(grid[..., 0] if mode == "L" else grid, mode).save(buf, "PNG")
        return buf.getvalue()

    def save_gallery(self, path) -> str:
        """Write :meth:`gallery_png` to ``path``; return the path.

        Examples
        --------
        >>> fm.save_gallery("block2_conv1.png")      # doctest: +SKIP
        'block2_conv1.png'
        """
        with open(path, "wb") as fh:
            fh.write(self.gallery_png())
        return str(path)

    def _export_link(self) -> None:
        # The Export PNG button: the generic export of every view (pattern and gallery as
        # shown; see _export_view.Exportable), with its download link.
        self._offer("png")
