"""The activation channel grid: geometry, the tiles of a page, and the widget that shows it.

Tiles travel at *data* resolution (one pixel per resampled feature-map pixel) and are upscaled
in the browser by an integer zoom with smoothing off, so a layer of 512 channels of 14×14
travels as ~100k bytes instead of the ~500k pixels it covers on screen, and no value is blurred.
:class:`ChannelGrid` is the anywidget raster (``raster.js``) laid out by :class:`GridLayout`:
the tiles travel once as one array trait of palette indices ``(n, th, tw)`` (``{dtype, shape,
bytes}``, one binary buffer), and placing them (columns, gaps), hover, hit-testing, the
selection outline and the blank-channel crosses happen in the browser (see
docs/architecture.md, "Front end", for why this is not ipycanvas). The page is composed into
one picture only for export (:func:`compose_page`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ._raster import RasterView

#: Tiles on one page; layers with more channels get a page selector (never one giant canvas).
PAGE_SIZE = 256
#: Display budget of the grid canvas in CSS pixels.
MAX_WIDTH = 640
MAX_HEIGHT = 640
#: Budget of one page's tiles in data pixels (before the browser's zoom): ~0.2 MP (200 kB of
#: palette indices) bounds what a layer change of VGG16's block1 (64 maps of 224×224) sends.
MAX_DATA_PIXELS = 200_000
#: Grey of the gaps and of empty slots in the last row (palette entry 0).
BACKGROUND = 232
_BACKGROUND_CSS = f"#{BACKGROUND:02x}{BACKGROUND:02x}{BACKGROUND:02x}"


@dataclass(frozen=True)
class GridLayout:
    """Where each tile of one page goes.

    Attributes
    ----------
    n : int
        Tiles on this page.
    cols, rows : int
        Grid size in tiles.
    th, tw : int
        Tile size in data pixels (the feature map resampled to this size).
    zoom : int
        Display pixels per data pixel.
    gap : int
        Data pixels between tiles (and around the grid).
    """

    n: int
    cols: int
    rows: int
    th: int
    tw: int
    zoom: int
    gap: int = 1

    @property
    def data_width(self) -> int:
        """Width of the laid-out page in data pixels."""
        return self.cols * (self.tw + self.gap) + self.gap

    @property
    def data_height(self) -> int:
        """Height of the laid-out page in data pixels."""
        return self.rows * (self.th + self.gap) + self.gap

    @property
    def width(self) -> int:
        """Canvas width in display pixels."""
        return self.data_width * self.zoom

    @property
    def height(self) -> int:
        """Canvas height in display pixels."""
        return self.data_height * self.zoom

    def tile_rect(self, i: int) -> tuple[int, int, int, int]:
        """``(x, y, w, h)`` of tile ``i`` in display pixels."""
        r, c = divmod(i, self.cols)
        x = (self.gap + c * (self.tw + self.gap)) * self.zoom
        y = (self.gap + r * (self.th + self.gap)) * self.zoom
        return x, y, self.tw * self.zoom, self.th * self.zoom

    def tile_at(self, x: float, y: float) -> int | None:
        """Tile index under display pixel ``(x, y)``, or None over a gap or an empty slot."""
        dx, dy = x / self.zoom - self.gap, y / self.zoom - self.gap
        if dx < 0 or dy < 0:
            return None
        c, ox = divmod(dx, self.tw + self.gap)
        r, oy = divmod(dy, self.th + self.gap)
        if c >= self.cols or ox >= self.tw or oy >= self.th:
            return None
        i = int(r) * self.cols + int(c)
        return i if i < self.n else None


def plan_grid(n: int, h: int, w: int, max_width: int = MAX_WIDTH,
              max_height: int = MAX_HEIGHT, max_pixels: int = MAX_DATA_PIXELS) -> GridLayout:
    """Choose columns, tile size and zoom for ``n`` maps of ``h × w``.

    The grid is roughly square on screen, tiles keep the maps' aspect ratio, small maps are
    upscaled by an integer factor (at most 64, enough to make a 1×1 map visible) and large
    ones are downsampled so the page fits ``max_width × max_height`` and ``max_pixels`` data
    pixels.

    Examples
    --------
    >>> g = plan_grid(64, 7, 7)
    >>> g.cols, g.rows, (g.th, g.tw), g.width <= MAX_WIDTH
    (8, 8, (14, 14), True)
    >>> plan_grid(16, 224, 224).tw < 224
    True
    """
    if n < 1 or h < 1 or w < 1:
        raise ValueError(f"Cannot lay out {n} tiles of {h}×{w}.")
    aspect = h / w
    # Square on screen: cols * w ≈ rows * h with rows = n / cols  =>  cols ≈ sqrt(n * h / w).
    cols = int(min(n, max(1, round(math.sqrt(n * aspect)))))
    rows = math.ceil(n / cols)
    # Tiny maps (1×1 … 7×7) are first repeated to >= 8 data pixels, so the 1-pixel gap stays
    # thin next to the tile after the browser's zoom.
    rep = max(1, math.ceil(8 / min(h, w)))
    th, tw = h * rep, w * rep

    def dims(th_, tw_):
        return cols * (tw_ + 1) + 1, rows * (th_ + 1) + 1

    dw, dh = dims(th, tw)
    shrink = min(1.0, max_width / dw, max_height / dh, math.sqrt(max_pixels / (dw * dh)))
    if shrink < 1:
        # Downsample the maps: big maps become thumbnails (the enlarged view has full detail),
        # which bounds the bytes a layer change sends and the browser's draw.
        tw = max(2, int((dw * shrink - 1) / cols) - 1)
        th = max(2, int(round(tw * aspect)))
        if rows * (th + 1) + 1 > dh * shrink:
            th = max(2, int((dh * shrink - 1) / rows) - 1)
            tw = max(2, int(round(th / aspect)))
        dw, dh = dims(th, tw)
    zoom = max(1, min(64, int(min(max_width / dw, max_height / dh))))
    return GridLayout(n=n, cols=cols, rows=rows, th=th, tw=tw, zoom=zoom)


def resample_indices(src: int, dst: int) -> np.ndarray:
    """Nearest-neighbour source indices (pixel centres) to resample ``src`` samples to ``dst``.

    Examples
    --------
    >>> resample_indices(4, 2).tolist()
    [1, 3]
    """
    return np.minimum(((np.arange(dst) + 0.5) * src / dst).astype(np.intp), src - 1)


def grid_palette(colors: np.ndarray) -> np.ndarray:
    """The 256-entry palette of a composed grid: entry 0 the gap grey, 1..255 the colormap.

    The colormap's 256 colours are sampled at 255 levels (entry ``k`` shows code
    ``round((k - 1) * 255 / 254)``) so the background fits in the same byte.

    Parameters
    ----------
    colors : ndarray
        ``(256, 3)`` uint8 colormap.

    Returns
    -------
    ndarray
        ``(256, 3)`` uint8.
    """
    pal = np.empty((256, 3), np.uint8)
    pal[0] = BACKGROUND
    pal[1:] = colors[(np.arange(255) * 255 + 127) // 254]
    return pal


def palette_index(codes: np.ndarray) -> np.ndarray:
    """Map quantised codes 0..255 onto palette entries 1..255 (see :func:`grid_palette`).

    Examples
    --------
    >>> palette_index(np.array([0, 128, 255], np.uint8)).tolist()
    [1, 128, 255]
    """
    return (1 + (codes.astype(np.uint16) * 254 + 127) // 255).astype(np.uint8)


def page_tiles(codes: np.ndarray, layout: GridLayout) -> np.ndarray:
    """The tiles of one page as the grid sends them: ``(n, th, tw)`` palette indices.

    Parameters
    ----------
    codes : ndarray
        ``(h, w, n)`` uint8 quantised maps of one page, channels last as compute returns them
        (resampled to ``layout.th × layout.tw`` here if needed).
    layout : GridLayout
        From :func:`plan_grid` for ``(n, h, w)``.

    Returns
    -------
    ndarray
        ``(n, th, tw)`` uint8 indices into :func:`grid_palette`. Indices are a quarter of the
        bytes of RGBA, stay lossless, and let a colormap change reuse them with a new palette
        (768 bytes). The browser lays the tiles out (columns, gaps): no composed page travels.

    Examples
    --------
    >>> g = plan_grid(3, 8, 8)
    >>> page_tiles(np.zeros((8, 8, 3), np.uint8), g).shape
    (3, 8, 8)
    """
    h, w, n = codes.shape
    if n != layout.n:
        raise ValueError(f"Layout is for {layout.n} tiles, got {n}.")
    ri = resample_indices(h, layout.th)
    ci = resample_indices(w, layout.tw)
    small = codes if (h, w) == (layout.th, layout.tw) else codes[ri][:, ci]  # (th, tw, n)
    return np.ascontiguousarray(palette_index(np.moveaxis(small, -1, 0)))


def compose_page(tiles: np.ndarray, layout: GridLayout) -> np.ndarray:
    """One picture of a page at data resolution (for export): tiles in the grid's columns with
    ``layout.gap`` pixels of palette entry 0 between and around them.

    Examples
    --------
    >>> g = plan_grid(3, 8, 8)
    >>> tiles = page_tiles(np.arange(192, dtype=np.uint8).reshape(8, 8, 3), g)
    >>> compose_page(tiles, g).shape == (g.data_height, g.data_width)
    True
    """
    n, th, tw = tiles.shape
    if (n, th, tw) != (layout.n, layout.th, layout.tw):
        raise ValueError(f"Tiles {tiles.shape} do not match the layout "
                         f"({layout.n}, {layout.th}, {layout.tw}).")
    g = layout.gap
    cells = np.zeros((layout.rows * layout.cols, th + g, tw + g), np.uint8)
    cells[:n, :th, :tw] = tiles
    # (rows*cols, th+g, tw+g) -> (rows, th+g, cols, tw+g) -> rows of pixels
    cells = cells.reshape(layout.rows, layout.cols, th + g, tw + g)
    body = cells.transpose(0, 2, 1, 3).reshape(layout.rows * (th + g), layout.cols * (tw + g))
    out = np.zeros((layout.data_height, layout.data_width), np.uint8)
    out[g:, g:] = body
    return out


class ChannelGrid(RasterView):
    """The channel grid component: one page of tiles, laid out, hovered, hit-tested and
    outlined in the browser.

    A :class:`RasterView` whose pixels are ``(n, th, tw)`` indices into :func:`grid_palette`
    (one binary buffer; the browser places them ``columns`` per row with a data pixel of
    background between and around them, ``zoom`` display pixels per data pixel) and whose hover
    line describes the tile under the pointer (:attr:`tile_info`) without a kernel round trip.

    A click arrives as ``(tile, y, x)`` and sets :attr:`selected`; a view links its channel to
    that trait (observe it, and set it back with :meth:`select`). Moving the selection changes
    only :attr:`selected`: the browser redraws the outline on its own layer, never the tiles.

    Attributes
    ----------
    selected : int
        The outlined tile of the page, -1 for none; set by a click or by :meth:`select`.
    grid_layout : GridLayout or None
        The geometry of the page shown (what :func:`plan_grid` chose), None when empty.

    Examples
    --------
    >>> g = plan_grid(4, 3, 3)
    >>> grid = ChannelGrid()
    >>> palette = np.zeros((256, 3), np.uint8)
    >>> grid.show_page(page_tiles(np.zeros((3, 3, 4), np.uint8), g), g, palette, marked=[2])
    324
    >>> (grid.width, grid.height) == (g.width, g.height), grid.shape[0], grid.marked
    (True, 4, [2])
    """

    def __init__(self, **kwargs):
        kwargs.setdefault("background", _BACKGROUND_CSS)
        super().__init__(**kwargs)
        self.grid_layout: GridLayout | None = None
        self.on_click(self._clicked_tile)

    @property
    def width(self) -> int:
        """Canvas width in display pixels (0 when empty)."""
        return self.grid_layout.width if self.grid_layout else 0

    @property
    def height(self) -> int:
        """Canvas height in display pixels (0 when empty)."""
        return self.grid_layout.height if self.grid_layout else 0

    @property
    def page_image(self) -> np.ndarray | None:
        """The page as one ``(H, W)`` picture of palette indices at data resolution (for
        export), or None when empty."""
        if self.grid_layout is None:
            return None
        return compose_page(self.tiles, self.grid_layout)

    def show_page(self, tiles: np.ndarray, layout: GridLayout, palette: np.ndarray, *,
                  marked=(), selected: int = -1, tile_info=()) -> int:
        """Show one page in one state message; return the pixel bytes sent.

        Parameters
        ----------
        tiles : ndarray
            ``(layout.n, layout.th, layout.tw)`` uint8 from :func:`page_tiles`.
        layout : GridLayout
            The page's geometry.
        palette : ndarray
            ``(256, 3)`` uint8 from :func:`grid_palette` (sent as the 768-byte LUT).
        marked : sequence of int
            Tiles to cross out (blank channels).
        selected : int
            Tile to outline, -1 for none.
        tile_info : sequence of str
            One hover line per tile, or empty.
        """
        tiles = np.asarray(tiles)
        if tiles.shape != (layout.n, layout.th, layout.tw):
            raise ValueError(f"Tiles {tiles.shape} do not match the layout "
                             f"({layout.n}, {layout.th}, {layout.tw}).")
        self.grid_layout = layout
        px = layout.gap * layout.zoom
        self.set_tiles(tiles, 0.0, 255.0, stacked=True, columns=layout.cols, zoom=layout.zoom,
                       zoom_x=0, gap=px, pad=px, lut=_lut(palette), marked=list(marked),
                       selected=self._tile(selected), tile_info=list(tile_info))
        return int(tiles.nbytes)

    def set_palette(self, palette: np.ndarray) -> int:
        """Recolour the page: only the 768-byte LUT travels. Returns the bytes sent."""
        self.lut = _lut(palette)
        return len(self.lut)

    def select(self, tile: int) -> None:
        """Outline ``tile`` (-1 or out of the page: no outline)."""
        self.selected = self._tile(tile)

    def clear(self) -> None:
        """Show nothing (no image)."""
        self.grid_layout = None
        with self.hold_sync():
            self.tiles = np.zeros((0, 0, 0), np.uint8)
            self.marked = []
            self.tile_info = []
            self.selected = -1

    def _tile(self, i: int) -> int:
        n = self.grid_layout.n if self.grid_layout else 0
        return int(i) if 0 <= i < n else -1

    def _clicked_tile(self, tile: int, y: int, x: int) -> None:
        if self.grid_layout is not None and 0 <= tile < self.grid_layout.n:
            self.selected = tile


def _lut(palette: np.ndarray) -> bytes:
    pal = np.ascontiguousarray(palette, np.uint8)
    if pal.shape != (256, 3):
        raise ValueError(f"A grid palette is (256, 3) uint8, got {pal.shape}.")
    return pal.tobytes()
