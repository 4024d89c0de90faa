"""How values become brightness: the named scales of the lessons, and quantisation to bytes.

Every scale is a per-tile linear map ``[lo, hi] -> [0, 1]`` followed by clipping; scales differ
only in how ``lo`` and ``hi`` are chosen. That makes the colour bar exact for every scale (it is
labelled from the same ``lo``/``hi``), and lets the widgets send bytes while the static figures
send floats of the same mapping.

The scales (a "tile" is one slice, channel or pattern; the "group" is all tiles shown together):

============== ================================================================================
``symmetric``  zero in the middle, ``±max|v|`` over the group: the sign of a weight is visible
``shared``     ``[min, max]`` over the group: tiles compare with each other (the 000 handout's
               kernel slices of one filter)
``per_slice``  each tile on its own ``[min, max]``: structure of weak tiles visible, magnitudes
               not comparable (the 001 handout's per-slice normalisation)
``standardize`` each tile ``(v - mean) / std * 64 + 128`` on 0..255, clipped (the Chollet
               lessons' feature-map display)
``stretch``    each tile's 0.5-99.5 percentile range: faint optimised patterns become visible
``raw``        the values as they are on ``[vmin, vmax]`` (default ``[0, 1]``)
============== ================================================================================
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: Scale names and what each does (the views offer these; the colour bar says which is used).
SCALES = {
    "symmetric": "zero in the middle, ±max|value| of all tiles",
    "shared": "[min, max] of all tiles",
    "per_slice": "each tile on its own [min, max]",
    "standardize": "each tile (v − mean)/std × 64 + 128, clipped (Chollet)",
    "stretch": "each tile's 0.5–99.5 percentile range",
    "raw": "values as they are on [vmin, vmax]",
}
_PER_TILE = ("per_slice", "standardize", "stretch")
#: Older names of two scales that the activation views and figures still accept
#: (``normalize="channel"`` / ``"layer"``); one table for both.
NORMALIZE_ALIASES = {"channel": "per_slice", "layer": "shared"}
#: The Chollet lessons' feature-map display: std units × 64 around grey 128 on 0..255.
_STD_GAIN, _STD_MID, _STD_EPS = 64.0, 128.0, 1e-5


@dataclass(frozen=True)
class Scaled:
    """Tiles mapped to [0, 1] and the value range each tile was mapped from.

    Attributes
    ----------
    values : ndarray
        float32 in [0, 1], the shape of the input tiles.
    lo, hi : ndarray
        ``(n,)``: tile ``k``'s value shown as 0 and as 1 (equal for a flat tile).
    scale : str
        The scale's name (a key of :data:`SCALES`).
    centred : bool
        The windows were widened to be symmetric around 0 (a diverging colour table): the
        ends are then not the data's [min, max], and the label says so.
    """

    values: np.ndarray
    lo: np.ndarray
    hi: np.ndarray
    scale: str
    centred: bool = False

    @property
    def shared(self) -> bool:
        """True when every tile has the same range, so one colour bar describes them all."""
        return bool(np.all(self.lo == self.lo[0]) and np.all(self.hi == self.hi[0]))

    def label(self) -> str:
        """A colour-bar caption naming the scale and, where shared, its range.

        Examples
        --------
        >>> scale_tiles(np.array([[[-1.0, 2.0]]]), "symmetric").label()
        'symmetric: [-2, 2]'
        """
        name = f"{self.scale}, centred on 0" if self.centred and self.scale != "symmetric" \
            else self.scale
        if len(self.lo) and self.shared:
            return f"{name}: [{self.lo[0]:.3g}, {self.hi[0]:.3g}]"
        return f"{name}: {SCALES[self.scale]}"


def _check(scale: str) -> str:
    if scale not in SCALES:
        raise ValueError(f"Unknown scale {scale!r}; use one of {list(SCALES)}.")
    return scale


def tile_limits(tiles: np.ndarray, scale: str = "shared", *, vmin=None, vmax=None,
                percentiles=(0.5, 99.5), centre_zero: bool = False
                ) -> tuple[np.ndarray, np.ndarray]:
    """``(lo, hi)``, each ``(n,)``: the value range each of ``n`` tiles is shown on.

    Parameters
    ----------
    tiles : ndarray
        ``(n, ...)``: axis 0 indexes tiles; every other axis belongs to one tile.
    scale : str
        A key of :data:`SCALES`.
    vmin, vmax : float, optional
        Fix the range of ``shared``/``raw`` (``raw`` defaults to ``[0, 1]``); ``symmetric``
        takes ``vmax`` as its half-width. Per-tile scales ignore them.
    percentiles : (float, float)
        The ``stretch`` scale's range.
    centre_zero : bool
        For a diverging colour table (:func:`.colormaps.is_diverging`): widen each window to
        ``[-m, m]``, ``m = max(|lo|, |hi|)``, so the map's neutral middle is exactly 0.
        ``shared`` then keeps its span over the group and ``per_slice`` its own per tile.

    Examples
    --------
    >>> [v.tolist() for v in tile_limits(np.array([[-0.1, 0.3]]), "shared", centre_zero=True)]
    [[-0.30000001192092896], [0.30000001192092896]]
    >>> lo, hi = tile_limits(np.array([[0.0, 1.0], [2.0, 6.0]]), "per_slice")
    >>> lo.tolist(), hi.tolist()
    ([0.0, 2.0], [1.0, 6.0])
    >>> [v.tolist() for v in tile_limits(np.array([[-1.0, 3.0]]), "symmetric")]
    [[-3.0], [3.0]]
    """
    _check(scale)
    x = np.asarray(tiles, np.float32)
    n = x.shape[0]
    flat = x.reshape(n, -1)  # (n, pixels of one tile)
    if n == 0 or flat.shape[1] == 0:
        return np.zeros(n, np.float32), np.zeros(n, np.float32)
    if scale == "symmetric":
        m = float(np.abs(flat).max()) if vmax is None else abs(float(vmax))
        lo, hi = np.full(n, -m), np.full(n, m)
    elif scale == "shared":
        lo = np.full(n, flat.min() if vmin is None else vmin)
        hi = np.full(n, flat.max() if vmax is None else vmax)
    elif scale == "raw":
        lo = np.full(n, 0.0 if vmin is None else vmin)
        hi = np.full(n, 1.0 if vmax is None else vmax)
    elif scale == "per_slice":
        lo, hi = flat.min(axis=1), flat.max(axis=1)
    elif scale == "standardize":
        mean = flat.mean(axis=1, dtype=np.float64)
        std = flat.std(axis=1, dtype=np.float64) + _STD_EPS
        # v -> ((v - mean)/std * 64 + 128) / 255 is linear: 0 at mean - 2 std, 1 at mean + 127/64 std.
        lo = mean - _STD_MID / _STD_GAIN * std
        hi = mean + (255.0 - _STD_MID) / _STD_GAIN * std
    else:  # stretch
        lo = np.percentile(flat, percentiles[0], axis=1)
        hi = np.percentile(flat, percentiles[1], axis=1)
    if centre_zero:
        m = np.maximum(np.abs(np.asarray(lo, np.float64)), np.abs(np.asarray(hi, np.float64)))
        lo, hi = -m, m
    return np.asarray(lo, np.float32), np.asarray(hi, np.float32)


def _per_tile(a: np.ndarray, ndim: int) -> np.ndarray:
    return a.reshape((-1,) + (1,) * (ndim - 1))  # (n,) -> (n, 1, ...) to broadcast over a tile


def scale_tiles(tiles: np.ndarray, scale: str = "shared", *, vmin=None, vmax=None,
                flat: float = 0.0, centre_zero: bool = False) -> Scaled:
    """Map tiles to [0, 1] by a named scale (see the module docs).

    Parameters
    ----------
    tiles : ndarray
        ``(n, ...)`` values, one tile per index of axis 0.
    scale, vmin, vmax, centre_zero
        As in :func:`tile_limits`.
    flat : float
        Shown where a tile's range is empty (a constant tile): 0 puts it at the bottom of a
        sequential map, 0.5 at the neutral middle of a diverging map or of a grey pattern.

    Returns
    -------
    Scaled

    Examples
    --------
    >>> s = scale_tiles(np.array([[[0.0, 5.0]], [[1.0, 1.0]]]), "per_slice", flat=0.5)
    >>> s.values.tolist()
    [[[0.0, 1.0]], [[0.5, 0.5]]]
    >>> v = scale_tiles(np.array([[1.0, 3.0]]), "standardize").values   # mean 2, std 1
    >>> np.round(v * 255).tolist()
    [[64.0, 192.0]]
    """
    x = np.asarray(tiles, np.float32)
    lo, hi = tile_limits(x, scale, vmin=vmin, vmax=vmax, centre_zero=centre_zero)
    span = hi - lo
    ok = span > 0
    lo_b, span_b, ok_b = (_per_tile(a, x.ndim) for a in (lo, np.where(ok, span, 1.0), ok))
    values = np.where(ok_b, np.clip((x - lo_b) / span_b, 0.0, 1.0), np.float32(flat))
    return Scaled(values.astype(np.float32), lo, hi, scale, bool(centre_zero))


def stretch_tiles(tiles: np.ndarray) -> np.ndarray:
    """Each tile's 0.5-99.5 percentile range onto [0, 1]; flat tiles mid-grey.

    Optimised patterns of the naive recipe differ from grey by a few levels and would look
    uniformly grey otherwise; this is for display only (the model saw the unstretched image).

    Examples
    --------
    >>> stretch_tiles(np.full((1, 2, 2), 0.3)).tolist()
    [[[0.5, 0.5], [0.5, 0.5]]]
    """
    return scale_tiles(tiles, "stretch", flat=0.5).values


def quantize(values: np.ndarray, lo=0.0, hi=1.0, flat: int = 0) -> np.ndarray:
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


#: Standard deviation of a deprocessed pattern: the lesson's ``deprocess_image`` (DLwP 5.4,
#: handout 002) maps every pattern to mean 0.5 and std 0.1, so about 4.9 standard deviations
#: fit on either side before clipping; a well-exposed picture, never saturated blobs.
PATTERN_STD = 0.1


def deprocess_tiles(tiles: np.ndarray, std: float = PATTERN_STD) -> np.ndarray:
    """The lesson's ``deprocess_image``, per tile: centred, scaled to ``std``, at 0.5, clipped.

    Each tile (axis 0; all its channels together, so the colour balance is kept) gets
    ``(x - mean) / (std(x) + 1e-5) * std + 0.5``, clipped to [0, 1]. Optimised patterns
    span anything from a few grey levels (the naive recipe) to black-and-white blobs (a
    sigmoid parameterisation driven into saturation); both come out well exposed, with the
    filter's structure and no clipped areas. A percentile stretch instead pushes the top and
    bottom of every tile to pure black and white. A constant tile stays mid-grey. For display
    only: the model saw the unprocessed image.

    Parameters
    ----------
    tiles : ndarray
        ``(n, ...)`` float values, one tile per index of axis 0.
    std : float
        Target standard deviation (0.1: the lesson's).

    Returns
    -------
    ndarray
        float32, same shape, in [0, 1].

    Examples
    --------
    >>> t = deprocess_tiles(np.array([[[0.0, 1.0], [0.0, 1.0]], [[0.3, 0.3], [0.3, 0.3]]]))
    >>> np.round(t.astype(float), 3).tolist()
    [[[0.4, 0.6], [0.4, 0.6]], [[0.5, 0.5], [0.5, 0.5]]]
    """
    x = np.asarray(tiles, np.float32)
    if x.shape[0] == 0:
        return x.copy()
    axes = tuple(range(1, x.ndim))
    centred = x - x.mean(axis=axes, keepdims=True)
    sd = centred.std(axis=axes, keepdims=True)
    # A (numerically) constant tile has no structure to show: mid-grey, not amplified noise.
    flat = sd <= 1e-6 * np.maximum(1.0, np.abs(x).max(axis=axes, keepdims=True))
    out = np.where(flat, 0.5, centred / (sd + 1e-5) * np.float32(std) + 0.5)
    return np.clip(out, 0.0, 1.0).astype(np.float32)
