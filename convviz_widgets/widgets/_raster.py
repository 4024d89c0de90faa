"""``RasterView``: a small anywidget that shows uint8 tiles, coloured in the browser."""

from __future__ import annotations

import pathlib
from typing import Callable

import anywidget
import numpy as np
import traitlets

from ..i18n import tr
from ._late_bytes import BytesAfterOpen
from ._pixels import lut_bytes

_STATIC = pathlib.Path(__file__).parent.parent / "static"
#: The empty stack a raster starts from (and shows after ``clear``): nothing to draw.
_EMPTY = np.zeros((0, 0, 0), np.uint8)
_EMPTY.flags.writeable = False
#: Rasters with at most this many values also send them as float32 (64 kB) for exact hovering.
EXACT_HOVER_LIMIT = 16_384


def exact_bytes(values: np.ndarray, limit: int = EXACT_HOVER_LIMIT) -> bytes:
    """float32 bytes of ``values`` for exact hover read-outs, or ``b""`` when too many.

    Examples
    --------
    >>> len(exact_bytes(np.zeros((3, 3)))), exact_bytes(np.zeros(10**5))
    (36, b'')
    """
    arr = np.asarray(values, np.float32)
    return np.ascontiguousarray(arr).tobytes() if arr.size <= limit else b""


def tiles_to_json(value: np.ndarray, _widget=None) -> dict:
    """The wire form of a tile stack: ``{dtype, shape, bytes}``, the bytes one binary buffer.

    Examples
    --------
    >>> msg = tiles_to_json(np.zeros((2, 3, 4), np.uint8))
    >>> msg["dtype"], msg["shape"], len(msg["bytes"])
    ('uint8', [2, 3, 4], 24)
    """
    arr = np.ascontiguousarray(value)
    return {"dtype": str(arr.dtype), "shape": [int(d) for d in arr.shape],
            "bytes": memoryview(arr.reshape(-1))}


def tiles_from_json(value, _widget=None) -> np.ndarray:
    """Inverse of :func:`tiles_to_json` (a front end that sends the stack back)."""
    if not value:
        return _EMPTY
    return np.frombuffer(bytes(value["bytes"]), value["dtype"]).reshape(value["shape"])


class TileStack(traitlets.TraitType):
    """A read-only uint8 stack of tiles, ``(n, h, w)`` (one channel) or ``(n, h, w, 3|4)``,
    synced as one ``{dtype, shape, bytes}`` value: shape and pixels always travel together,
    in one binary buffer.

    The value is a read-only copy (the caller's array may change later without the front end
    knowing); assigning an equal stack sends nothing.
    """

    default_value = _EMPTY
    info_text = "a uint8 array (n, h, w) or (n, h, w, 3|4)"

    def validate(self, obj, value):
        arr = np.asarray(value)
        if arr.dtype != np.uint8:
            raise traitlets.TraitError(
                f"Raster tiles must be uint8, got {arr.dtype}; quantise them first "
                "(convviz_widgets.display.quantize or np.uint8 codes).")
        if arr.ndim == 4 and arr.shape[-1] == 1:
            arr = arr[..., 0]
        if arr.ndim not in (3, 4) or (arr.ndim == 4 and arr.shape[-1] not in (3, 4)):
            raise traitlets.TraitError(
                f"Raster tiles are (n, h, w) or (n, h, w, 3|4), got shape {arr.shape}; "
                "use RasterView.set_tiles for a single picture.")
        if arr.flags.writeable or not arr.flags.c_contiguous:
            arr = np.array(arr, np.uint8, order="C")
            arr.flags.writeable = False
        return arr

    def set(self, obj, value):
        new = self._validate(obj, value)
        old = getattr(obj, self.name)
        if old.shape == new.shape and np.array_equal(old, new):
            return  # the same pictures: no message
        super().set(obj, new)


class RasterView(BytesAfterOpen, anywidget.AnyWidget):
    """Tiles of uint8 pixels, nearest-neighbour upscaled, with hover values and click events.

    One-channel data is coloured in the browser through :attr:`lut`, so changing the colormap
    sends 768 bytes and nothing else. Pixels travel as a binary buffer (never base64).

    Parameters
    ----------
    lang : {"en", "es", "pt"}
        The language of the hover words this view is built with: row, column and value
        (``"row 3, col 4 · value 0.83"``, ``"fila 3, columna 4 · valor 0,83"``) unless
        ``labels`` / ``value_label`` are given.
    tile_label : str
        The hover line's word for a tile (``""``: the tile's number alone); ignored when
        ``labels`` is given.
    **kwargs
        Any trait below.

    Attributes
    ----------
    tiles : ndarray
        The pictures, uint8 ``(n, h, w)`` (one channel, coloured by :attr:`lut`) or
        ``(n, h, w, 3|4)`` (RGB, RGBA); read-only. One synced value ``{dtype, shape, bytes}``;
        :attr:`shape` and :attr:`pixels` read it as ``(n, h, w, c)``.
    columns : int
        Tiles per row.
    zoom, zoom_x : int
        Display pixels per data pixel, vertically and horizontally (``zoom_x`` 0: same as zoom).
    vmin, vmax : float
        The values that bytes 0 and 255 stand for (shown on hover and on the colour bar).
    selected : int
        Tile to outline, -1 for none. ``selected_row``: data row to outline in a single tile.
    marked : list of int
        Tiles crossed out in red (e.g. blank channels). ``row_marks``: rows flagged in the left
        margin (e.g. dead filters), which needs ``margin > 0``.
    pad : int
        Display pixels of background around all tiles.
    tile_info : list of str
        One hover line per tile (shown instead of the pixel read-out when it has ``n`` entries):
        for views whose tiles stand for something described in words, like a channel's range.
    frame : str
        CSS colour of a 1-px frame drawn in the gap around every tile ("" for none; needs
        ``gap >= 2``), so that small adjacent tiles read as separate pictures.
    labels : list of str
        The hover line's words for tile, row and column (``"row 3, col 4 · ..."``); by default
        ``tile_label`` and the row and column words in ``lang``.
    value_label, value_unit : str
        The hover line's word for a one-channel value and what it is (``"value 0.83
        (activation)"``); a colour picture reads ``"R 14 G 202 B 242"`` (the bytes shown).
    values : bytes
        Optional float32 values of one-channel data, for exact hover read-outs; sent only for
        small rasters (see :func:`exact_bytes`; pass ``values=`` to :meth:`set_tiles`), else hover
        shows the dequantised value.

    Examples
    --------
    >>> import numpy as np
    >>> view = RasterView()
    >>> view.set_tiles(np.zeros((4, 3, 5), np.uint8), vmin=-1.0, vmax=1.0)
    >>> view.shape, view.tiles.shape
    ([4, 3, 5, 1], (4, 3, 5))
    """

    _esm = _STATIC / "raster.js"

    tiles = TileStack().tag(sync=True, buffers=True, to_json=tiles_to_json,
                            from_json=tiles_from_json)
    columns = traitlets.Int(1).tag(sync=True)
    zoom = traitlets.Int(1).tag(sync=True)
    zoom_x = traitlets.Int(0).tag(sync=True)
    gap = traitlets.Int(2).tag(sync=True)
    margin = traitlets.Int(0).tag(sync=True)
    lut = traitlets.Bytes(lut_bytes("gray")).tag(sync=True)
    vmin = traitlets.Float(0.0).tag(sync=True)
    vmax = traitlets.Float(1.0).tag(sync=True)
    selected = traitlets.Int(-1).tag(sync=True)
    selected_row = traitlets.Int(-1).tag(sync=True)
    marked = traitlets.List(traitlets.Int()).tag(sync=True)
    row_marks = traitlets.List(traitlets.Int()).tag(sync=True)
    labels = traitlets.List(traitlets.Unicode(),
                            default_value=["tile", "row", "col"]).tag(sync=True)
    value_label = traitlets.Unicode("value").tag(sync=True)
    value_unit = traitlets.Unicode("").tag(sync=True)
    title = traitlets.Unicode("").tag(sync=True)
    caption = traitlets.Unicode("").tag(sync=True)
    colorbar = traitlets.Bool(False).tag(sync=True)
    background = traitlets.Unicode("#e8e8e8").tag(sync=True)
    frame = traitlets.Unicode("").tag(sync=True)
    values = traitlets.Bytes(b"").tag(sync=True)
    pad = traitlets.Int(0).tag(sync=True)
    tile_info = traitlets.List(traitlets.Unicode()).tag(sync=True)

    def __init__(self, lang: str = "en", tile_label: str = "tile", **kwargs):
        kwargs.setdefault("labels", [tile_label, tr("hover.row", lang), tr("hover.col", lang)])
        kwargs.setdefault("value_label", tr("hover.value", lang))
        super().__init__(**kwargs)
        self._click_callbacks: list[Callable[[int, int, int], None]] = []
        self.on_msg(self._on_custom_msg)

    def on_click(self, callback: Callable[[int, int, int], None]) -> None:
        """Call ``callback(tile, y, x)`` (data coordinates) when the user clicks a tile."""
        self._click_callbacks.append(callback)

    def _on_custom_msg(self, _widget, content, _buffers) -> None:
        if not isinstance(content, dict) or content.get("event") != "click":
            return
        try:
            tile, y, x = int(content["tile"]), int(content["y"]), int(content["x"])
        except (KeyError, TypeError, ValueError):
            return
        for cb in list(self._click_callbacks):
            cb(tile, y, x)

    @property
    def shape(self) -> list[int]:
        """``[n, h, w, c]`` of :attr:`tiles` (``c`` 1 for one-channel tiles)."""
        t = self.tiles
        return [int(d) for d in t.shape] + ([1] if t.ndim == 3 else [])

    @property
    def pixels(self) -> np.ndarray:
        """The current tiles as ``(n, h, w, c)`` uint8 (a copy)."""
        return self.tiles.reshape(self.shape).copy()

    def set_tiles(self, tiles: np.ndarray, vmin: float = 0.0, vmax: float = 1.0, *,
                  stacked: bool = False, **traits) -> None:
        """Replace the pixels in one state message.

        Parameters
        ----------
        tiles : ndarray
            uint8, ``(h, w)``, ``(h, w, c)`` with c in 3/4 (one image), ``(n, h, w)`` or
            ``(n, h, w, c)``.
        vmin, vmax : float
            What bytes 0 and 255 stand for.
        stacked : bool
            Read a 3-D array as ``(n, h, w)`` grey tiles even when its last axis is 3 or 4.
        **traits
            Other traits to change in the same message (``columns``, ``zoom``, ``title``, ...).
        """
        arr = np.asarray(tiles)
        if arr.dtype != np.uint8:
            raise TypeError(f"RasterView pixels must be uint8, got {arr.dtype}; see quantize().")
        if arr.ndim == 2:
            arr = arr[None, :, :, None]  # (h, w) -> (1, h, w, 1)
        elif arr.ndim == 3:
            # (h, w, 3|4) is one colour image; anything else is a stack of grey tiles.
            arr = arr[None] if arr.shape[-1] in (3, 4) and not stacked else arr[..., None]
        if arr.ndim != 4 or arr.shape[-1] not in (1, 3, 4):
            raise ValueError(f"Cannot show pixels of shape {np.shape(tiles)}.")
        traits.setdefault("values", b"")
        with self.hold_sync():  # one message; the tiles last, so their observers see the rest
            self.vmin = float(vmin)
            self.vmax = float(vmax)
            for name, value in traits.items():
                setattr(self, name, value)
            self.tiles = arr
