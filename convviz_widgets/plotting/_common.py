"""What the figure modules share: the figure factory, a tile mosaic with its colour bar, frames."""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from .. import display


def _figure(width: float, height: float) -> Figure:
    return Figure(figsize=(max(width, 2.0), max(height, 1.5)), layout="constrained")


#: Points of a colour bar's (rotated) caption: 7 pt came out about 7 px high on a notebook's
#: 72-dpi-ish figure, too small to read; 9 pt is the figures' smallest text.
BAR_LABEL_PT = 9


def _show_tiles(fig, ax, tiles: np.ndarray, cols: int, scale: str, cmap: str, *, vmin=None,
                vmax=None, flat: float = 0.0, label: str = "value"):
    """Draw ``(n, h, w)`` tiles as one mosaic on a named scale (see :mod:`.display.scaling`).

    On a scale that is one range for all tiles (symmetric, shared, raw) the image holds the
    values themselves and the colour bar is in their units; on a per-tile scale it holds each
    tile's values mapped to [0, 1] and the colour bar says so.
    """
    # A diverging map's middle colour must be 0: the same window rule as the live views.
    scaled = display.scale_tiles(tiles, scale, vmin=vmin, vmax=vmax, flat=flat,
                                 centre_zero=display.is_diverging(cmap))
    if scaled.shared and scale != "standardize":
        img = display.mosaic(tiles, cols)
        lo, hi = float(scaled.lo[0]), float(scaled.hi[0])
        if hi <= lo:  # a constant group: any non-empty range draws it in one colour
            lo, hi = lo - 1.0, hi + 1.0
    else:
        img, lo, hi = display.mosaic(scaled.values, cols), 0.0, 1.0
    im = ax.imshow(img, cmap=cmap, vmin=lo, vmax=hi, interpolation="nearest")
    bar = fig.colorbar(im, ax=ax, shrink=0.8)
    # Two lines: at a readable size one line ran past the ends of a short bar.
    bar.set_label(f"{label}\n{scaled.label()}", fontsize=BAR_LABEL_PT)
    return im, scaled


def _rect(xy, width, height, color):
    return Rectangle(xy, width, height, fill=False, edgecolor=color, linewidth=1.5)
