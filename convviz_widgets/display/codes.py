"""Scaled values to colour-table indices, by the rule matplotlib's colormaps use.

A live view sends one byte per pixel and colours it in the browser through a 256-entry table
(:func:`.colormaps.lut`); :mod:`convviz_widgets.plotting` hands floats to matplotlib, which picks
entry ``floor(v · 256)`` (the top value kept in the last entry). Using that same rule for the
bytes makes a static figure and a live view of the same data the same pixels, not pixels one
table step apart.
"""

from __future__ import annotations

import numpy as np

from .scaling import Scaled, scale_tiles

#: Entries in a colour table (matplotlib's default ``N`` and :func:`.colormaps.lut`'s length).
_N = 256


def colour_index(values: np.ndarray) -> np.ndarray:
    """Values in [0, 1] -> the uint8 colour-table entry matplotlib draws them with.

    Parameters
    ----------
    values : ndarray
        Any shape, float in [0, 1] (outside is clipped; NaN becomes entry 0).

    Returns
    -------
    ndarray
        uint8, same shape: ``min(floor(v * 256), 255)``.

    Examples
    --------
    >>> colour_index(np.array([0.0, 0.1, 0.5, 1.0])).tolist()
    [0, 25, 128, 255]
    """
    v = np.asarray(values, np.float32) * np.float32(_N)  # float32, as matplotlib's own maths
    v = np.nan_to_num(v, nan=0.0)
    return np.clip(v, 0, _N - 1).astype(np.uint8)


def scale_codes(tiles: np.ndarray, scale: str, *, vmin=None, vmax=None,
                flat: float = 0.0, centre_zero: bool = False) -> tuple[np.ndarray, Scaled]:
    """Tiles on a named scale as colour-table bytes, with the :class:`.scaling.Scaled` record.

    Parameters
    ----------
    tiles : ndarray
        ``(n, ...)``, one tile per index of axis 0.
    scale, vmin, vmax, flat, centre_zero
        As in :func:`.scaling.scale_tiles`.

    Returns
    -------
    codes : ndarray
        uint8, the shape of ``tiles``.
    scaled : Scaled
        The range each tile was mapped from, and the colour-bar label.

    Examples
    --------
    >>> codes, s = scale_codes(np.array([[0.0, 2.0]]), "shared")
    >>> codes.tolist(), s.label()
    ([[0, 255]], 'shared: [0, 2]')
    """
    scaled = scale_tiles(tiles, scale, vmin=vmin, vmax=vmax, flat=flat, centre_zero=centre_zero)
    return colour_index(scaled.values), scaled
