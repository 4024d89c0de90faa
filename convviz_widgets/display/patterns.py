"""How a view marks an optimised pattern that is not a final pattern: the words and the hatch.

A maximisation result says per row whether it is ``"done"``, ``"unfinished"`` (a cancel stopped
it: the picture is whatever the ascent had reached) or ``"dead"`` (the filter never fired: the
picture is only its starting texture); see ``MaximizeResult.status``. Shown like a finished
pattern, either tells a student something false, so the widget gallery and the static figures
both mark them, with the catalogue's words (``pattern.status_<status>`` in
:mod:`convviz_widgets.i18n`) and, for unfinished tiles, diagonal stripes over the picture.
"""

from __future__ import annotations

import numpy as np

from ..i18n import check_lang, tr

__all__ = ["PATTERN_STATUS", "status_text", "hatch_tiles", "saturated_share"]

#: The row statuses a view marks (words on or under the tile: ``pattern.status_<status>``).
PATTERN_STATUS = ("unfinished", "dead")


def status_text(status: str, lang: str = "en") -> str:
    """The words for a row status in ``lang`` ("" for a finished row).

    Examples
    --------
    >>> status_text("dead"), status_text("unfinished", "es"), status_text("done")
    ('dead filter: never fires', 'sin terminar', '')
    """
    check_lang(lang)
    status = str(status)
    return tr(f"pattern.status_{status}", lang) if status in PATTERN_STATUS else ""


def hatch_tiles(tiles: np.ndarray, which, period: int = 8, value: float = 0.5) -> np.ndarray:
    """Diagonal stripes over the tiles ``which`` (bool ``(n,)``): "this is not a result".

    Parameters
    ----------
    tiles : ndarray
        ``(n, h, w)`` or ``(n, h, w, c)`` display values (float in [0, 1] or uint8).
    which : array of bool
        ``(n,)``: the tiles to hatch.
    period : int
        Stripe spacing in data pixels (a quarter of it is painted).
    value : float
        Stripe value on the [0, 1] scale (uint8 tiles get ``round(value * 255)``).

    Returns
    -------
    ndarray
        A copy of ``tiles``, same dtype.

    Examples
    --------
    >>> t = hatch_tiles(np.zeros((2, 8, 8)), [True, False])
    >>> float(t[0].max()), float(t[1].max())
    (0.5, 0.0)
    """
    out = np.array(tiles, copy=True)
    which = np.asarray(which, bool)
    if not which.any():
        return out
    h, w = out.shape[1:3]
    y, x = np.mgrid[:h, :w]
    period = max(2, int(min(period, max(h, w) // 3 or 2)))
    stripe = ((x + y) % period) < max(1, period // 4)  # (h, w)
    v = np.round(value * 255) if out.dtype == np.uint8 else value
    mask = stripe if out.ndim == 3 else stripe[..., None]
    for k in np.flatnonzero(which):
        out[k] = np.where(mask, np.asarray(v, out.dtype), out[k])
    return out


def saturated_share(tiles: np.ndarray, lo: float = 0.02, hi: float = 0.98) -> np.ndarray:
    """Per tile, the share of pixels whose every channel is ≤ ``lo`` or every channel ≥ ``hi``
    (pure black or pure white areas: clipped, no structure left).

    Parameters
    ----------
    tiles : ndarray
        ``(n, h, w)`` or ``(n, h, w, c)`` display values in [0, 1].

    Returns
    -------
    ndarray
        ``(n,)`` float in [0, 1].

    Examples
    --------
    >>> t = np.array([[[0.0, 0.5], [1.0, 0.5]]])
    >>> saturated_share(t).tolist()
    [0.5]
    """
    x = np.asarray(tiles, np.float32)
    if x.ndim == 3:
        x = x[..., None]  # (n, h, w) -> (n, h, w, 1)
    sat = np.all(x <= lo, axis=-1) | np.all(x >= hi, axis=-1)  # (n, h, w)
    return sat.reshape(len(x), -1).mean(axis=1) if len(x) else np.zeros(0)
