"""Float arrays to display pixels: quantisation to uint8 and colormap lookup tables.

This is the only arithmetic the widgets do on model outputs, and it is display arithmetic:
mapping a value range onto 0..255 and 0..255 onto colours. Everything about *what* the values
are (activations, kernels, statistics) comes from :mod:`convviz_widgets.compute`.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

#: Sequential maps offered for feature maps (first one is the default).
SEQUENTIAL_COLORMAPS = ("viridis", "magma", "inferno", "plasma", "cividis", "gray", "hot")
#: Diverging maps offered for kernels: zero sits in the middle of each.
DIVERGING_COLORMAPS = ("RdBu_r", "seismic", "coolwarm", "bwr", "PiYG", "PuOr_r")


@lru_cache(maxsize=64)
def _lut_cached(name: str) -> bytes:
    import matplotlib  # deferred: only the first colormap lookup pays the import

    try:
        cmap = matplotlib.colormaps[name]
    except KeyError:
        raise ValueError(
            f"Unknown colormap {name!r}; use one of {list(SEQUENTIAL_COLORMAPS)} or "
            f"{list(DIVERGING_COLORMAPS)} (any matplotlib colormap name works).") from None
    rgba = cmap(np.linspace(0.0, 1.0, 256))  # (256, 4) floats in [0, 1]
    return np.ascontiguousarray(np.round(rgba[:, :3] * 255).astype(np.uint8)).tobytes()


def lut(name: str) -> np.ndarray:
    """The ``(256, 3)`` uint8 RGB lookup table of a matplotlib colormap.

    Parameters
    ----------
    name : str
        A matplotlib colormap name, e.g. ``"viridis"`` or ``"RdBu_r"``.

    Returns
    -------
    ndarray
        ``(256, 3)`` uint8; row ``k`` is the colour of quantised value ``k``.

    Examples
    --------
    >>> lut("gray")[[0, 255]].tolist()
    [[0, 0, 0], [255, 255, 255]]
    """
    return np.frombuffer(_lut_cached(name), np.uint8).reshape(256, 3)


def lut_bytes(name: str) -> bytes:
    """:func:`lut` as the 768 raw bytes the browser view reads.

    Examples
    --------
    >>> len(lut_bytes("magma"))
    768
    """
    return _lut_cached(name)


def quantize(values: np.ndarray, lo, hi, flat: int = 0) -> np.ndarray:
    """Map ``[lo, hi]`` linearly onto ``0..255`` (rounded, clipped).

    Parameters
    ----------
    values : ndarray
        Any shape, float.
    lo, hi : float or ndarray
        The value range; arrays broadcast against ``values`` (e.g. per-channel ranges of shape
        ``(c,)`` against ``(h, w, c)``).
    flat : int
        Byte used where ``hi <= lo`` (a constant channel): 0 puts it at the bottom of a
        sequential map, 128 at the neutral centre of a diverging one.

    Returns
    -------
    ndarray
        uint8, same shape as ``values``; ``round((v - lo) / (hi - lo) * 255)``.

    Examples
    --------
    >>> quantize(np.array([0.0, 0.5, 1.0]), 0.0, 1.0).tolist()
    [0, 128, 255]
    >>> quantize(np.zeros(2), 0.0, 0.0, flat=128).tolist()
    [128, 128]
    """
    v = np.asarray(values, dtype=np.float32)
    lo = np.asarray(lo, dtype=np.float32)
    hi = np.asarray(hi, dtype=np.float32)
    span = hi - lo
    ok = span > 0
    scale = np.where(ok, 255.0 / np.where(ok, span, 1.0), 0.0).astype(np.float32)
    out = np.clip((v - lo) * scale + 0.5, 0.0, 255.0).astype(np.uint8)
    if not np.all(ok):
        out = np.where(np.broadcast_to(ok, out.shape), out, np.uint8(flat)).astype(np.uint8)
    return out


def symmetric_limit(*values: float) -> float:
    """Largest absolute value among ``values`` (the half-width of a zero-centred scale).

    Examples
    --------
    >>> symmetric_limit(-0.3, 0.2)
    0.3
    """
    return float(max((abs(float(v)) for v in values), default=0.0))


def to_rgb_u8(image: np.ndarray) -> np.ndarray:
    """A display image in [0, 1] (``(h, w)`` or ``(h, w, c)``) as uint8 of the same shape.

    Examples
    --------
    >>> to_rgb_u8(np.array([[0.0, 1.0]])).tolist()
    [[0, 255]]
    """
    return quantize(image, 0.0, 1.0)
