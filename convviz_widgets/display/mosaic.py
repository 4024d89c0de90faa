"""One tile mosaic for every grid: kernels' slices, feature maps, pattern galleries."""

from __future__ import annotations

import math

import numpy as np


def grid_columns(n: int, h: int = 1, w: int = 1, max_cols: int = 16) -> int:
    """Columns for ``n`` tiles of ``h × w`` so the whole grid is roughly square.

    Examples
    --------
    >>> grid_columns(64, 8, 8)
    8
    >>> grid_columns(3, 10, 10)
    2
    """
    return int(max(1, min(n, max_cols, math.ceil(math.sqrt(n * h / max(w, 1))))))


def tile_origin(k: int, cols: int, h: int, w: int, pad: int = 1) -> tuple[int, int]:
    """``(row, col)`` pixel of tile ``k``'s top-left corner in a :func:`mosaic`.

    Examples
    --------
    >>> tile_origin(5, 4, 3, 2, pad=1)
    (4, 3)
    """
    r, c = divmod(int(k), int(cols))
    return r * (h + pad), c * (w + pad)


def mosaic(tiles: np.ndarray, cols: int, pad: int = 1, fill=np.nan) -> np.ndarray:
    """Arrange ``(n, h, w)`` or ``(n, h, w, c)`` tiles in a grid ``cols`` wide.

    The ``pad`` pixels between tiles and the unused cells of the last row hold ``fill``, so a
    partial row stays visibly empty (NaN draws as blank in matplotlib; the widgets use a grey
    byte). The result keeps the tiles' dtype unless ``fill`` is NaN, which needs floats.

    Parameters
    ----------
    tiles : ndarray
        ``(n, h, w)`` or ``(n, h, w, c)``.
    cols : int
        Grid width in tiles (clipped to ``1..n``).
    pad : int
        Pixels between neighbouring tiles (none around the grid).
    fill : scalar
        Value of the gaps and empty cells.

    Returns
    -------
    ndarray
        ``(rows*(h+pad)-pad, cols*(w+pad)-pad[, c])``.

    Examples
    --------
    >>> mosaic(np.ones((5, 2, 3)), cols=4).shape
    (5, 15)
    >>> mosaic(np.zeros((2, 1, 1, 3), np.uint8), cols=2, fill=200)[0, 1].tolist()
    [200, 200, 200]
    """
    tiles = np.asarray(tiles)
    n, h, w = tiles.shape[:3]
    cols = max(1, min(int(cols), n))
    rows = -(-n // cols)
    dtype = tiles.dtype
    if isinstance(fill, float) and math.isnan(fill) and dtype.kind != "f":
        dtype = np.dtype(np.float32)
    out = np.full((rows * (h + pad) - pad, cols * (w + pad) - pad) + tiles.shape[3:], fill, dtype)
    for k in range(n):
        y, x = tile_origin(k, cols, h, w, pad)
        out[y:y + h, x:x + w] = tiles[k]
    return out
