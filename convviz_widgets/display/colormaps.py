"""Colour lookup tables: 256 RGB entries per matplotlib colormap, cached as bytes.

The browser views receive these 768 bytes and colour quantised values themselves, so a colormap
change costs no kernel round trip; the static figures use the same table through
:func:`apply_lut`, so both show the same colour for the same byte.
"""

from __future__ import annotations

from functools import lru_cache

import matplotlib
import numpy as np

#: Sequential maps offered for feature maps and heatmaps (the first is the default).
SEQUENTIAL_COLORMAPS = ("viridis", "magma", "inferno", "plasma", "cividis", "gray", "hot")
#: Diverging maps offered for signed values such as kernel weights: zero sits in the middle.
DIVERGING_COLORMAPS = ("RdBu_r", "seismic", "coolwarm", "bwr", "PiYG", "PuOr_r")
#: matplotlib's diverging maps (and their ``_r`` reverses): their middle colour means zero.
_DIVERGING_NAMES = frozenset({"RdBu", "RdGy", "PiYG", "PRGn", "BrBG", "PuOr", "RdYlBu", "RdYlGn",
                              "Spectral", "coolwarm", "bwr", "seismic", "berlin", "managua",
                              "vanimo"})


def is_diverging(name: str) -> bool:
    """True for a diverging colormap, whose neutral middle colour must stand for zero.

    A picture on such a map needs a window symmetric around 0 (``[-m, m]``); with any other
    window the white (or grey) middle lands on a value that is not zero and reads as "no
    weight" where there is one (see ``centre_zero`` of :func:`.scaling.tile_limits`).

    Examples
    --------
    >>> is_diverging("RdBu_r"), is_diverging("seismic"), is_diverging("gray")
    (True, True, False)
    """
    name = str(name)
    return name in DIVERGING_COLORMAPS or name.removesuffix("_r") in _DIVERGING_NAMES


@lru_cache(maxsize=64)
def _lut_cached(name: str) -> bytes:
    try:
        cmap = matplotlib.colormaps[name]
    except KeyError:
        raise ValueError(
            f"Unknown colormap {name!r}; use one of {list(SEQUENTIAL_COLORMAPS)} or "
            f"{list(DIVERGING_COLORMAPS)} (any matplotlib colormap name works).") from None
    # matplotlib's own byte table (it truncates v·255): a figure saved by matplotlib and a
    # live view coloured in the browser then agree to the last bit, not to one level.
    rgba = cmap(np.linspace(0.0, 1.0, 256), bytes=True)  # (256, 4) uint8
    return np.ascontiguousarray(rgba[:, :3]).tobytes()


def lut(name: str) -> np.ndarray:
    """The ``(256, 3)`` uint8 RGB lookup table of a matplotlib colormap.

    Parameters
    ----------
    name : str
        A matplotlib colormap name, e.g. ``"viridis"`` or ``"RdBu_r"``.

    Returns
    -------
    ndarray
        ``(256, 3)`` uint8, read-only; row ``k`` is the colour of quantised value ``k``.

    Examples
    --------
    >>> lut("gray")[[0, 255]].tolist()
    [[0, 0, 0], [255, 255, 255]]
    """
    return np.frombuffer(_lut_cached(name), np.uint8).reshape(256, 3)


def lut_bytes(name: str) -> bytes:
    """:func:`lut` as the 768 raw bytes the browser views read.

    Examples
    --------
    >>> len(lut_bytes("magma"))
    768
    """
    return _lut_cached(name)


def apply_lut(codes: np.ndarray, name: str) -> np.ndarray:
    """Colour quantised values: uint8 ``(...)`` -> uint8 RGB ``(..., 3)`` through :func:`lut`.

    Examples
    --------
    >>> apply_lut(np.array([[0, 255]], np.uint8), "gray").tolist()
    [[[0, 0, 0], [255, 255, 255]]]
    """
    codes = np.asarray(codes)
    if codes.dtype != np.uint8:
        raise TypeError(f"apply_lut takes uint8 codes (see quantize), got {codes.dtype}.")
    return lut(name)[codes]
