"""Figures of filter patterns (maximisation results): galleries, method comparison, raw values.

A gallery is one mosaic image with text labels, not one axes per tile: 256 axes take matplotlib
seconds, one image milliseconds. Contrast stretching is for display only; the result's images stay
the exact inputs the model saw.
"""

from __future__ import annotations

from typing import Mapping, Sequence

import matplotlib
import numpy as np
from matplotlib.figure import Figure

from .. import display
from ._common import BAR_LABEL_PT, _figure


def stretch_patterns(images: np.ndarray, stretch: bool = True) -> np.ndarray:
    """Display copies of ``(n, H, W, C)`` patterns: ``(n, H, W, 3)`` or ``(n, H, W)`` in [0, 1].

    ``stretch`` shows each tile the way the lesson's ``deprocess_image`` does: centred,
    scaled to a standard deviation of 0.1 around 0.5, clipped
    (:func:`convviz_widgets.display.deprocess_tiles`; the widget does the same). The naive
    recipe's patterns differ from grey by a few levels, the regularised ones can reach black
    and white: both come out well exposed. Three or more channels
    show the first three as RGB; one or two channels their mean as grey.

    Examples
    --------
    >>> stretch_patterns(np.full((2, 4, 4, 1), 0.5)).shape
    (2, 4, 4)
    """
    x = np.asarray(images, np.float32)
    x = x[..., :3] if x.shape[-1] >= 3 else x.mean(axis=-1)
    return display.deprocess_tiles(x) if stretch else np.clip(x, 0.0, 1.0)


def _status_of(result) -> np.ndarray | None:
    status = getattr(result, "status", None)
    return None if status is None else np.asarray(status)


def _marked(tiles, status):
    """Unfinished tiles hatched (the widget's rule, display.hatch_tiles)."""
    if status is None:
        return tiles
    return display.hatch_tiles(tiles, status == "unfinished")


def _tile_labels(result, status, lang: str) -> list:
    """``filter · activation`` per tile, plus the words of a row that is not a finished
    pattern (a cancelled row, a filter that never fired)."""
    out = []
    for k, (f, a) in enumerate(zip(result.filters, result.activation)):
        words = display.status_text(status[k], lang) if status is not None else ""
        out.append(f"{int(f)} · {a:.3g}" + (f"\n{words}" if words else ""))
    return out


def _draw(ax, tiles, cols, pad, labels: Sequence[str] | None, fontsize: float,
          colormap: str = "gray", status=None) -> None:
    n, h, w = tiles.shape[:3]
    if tiles.ndim == 3:  # one channel: coloured by ``colormap``, the gaps left white
        grid = display.mosaic(tiles, cols, pad, fill=np.nan)
        cmap = matplotlib.colormaps[colormap].with_extremes(bad="white")
    else:
        grid, cmap = display.mosaic(tiles, cols, pad, fill=1.0), None
    ax.imshow(grid, cmap=cmap, vmin=0.0, vmax=1.0, interpolation="nearest")
    ax.set_axis_off()
    if labels:
        for k, text in enumerate(labels):
            r, c = divmod(k, cols)
            # A tile that is not a finished pattern is labelled on red, so it reads as a
            # warning and not as one more pattern.
            marked = status is not None and status[k] != "done"
            ax.text(c * (w + pad) + 1, r * (h + pad) + 1, text, fontsize=fontsize, va="top",
                    ha="left", color="white",
                    bbox=dict(boxstyle="square,pad=0.1", fc="#b00000" if marked else "black",
                              alpha=0.8 if marked else 0.55, lw=0))


def plot_maximize_gallery(result, *, columns: int | None = None, stretch: bool = True,
                          labels: bool = True, title: str | None = None,
                          tile_inches: float = 1.1, colormap: str = "gray",
                          lang: str = "en") -> Figure:
    """A layer's filter patterns as a tile grid.

    Rows that are not finished patterns say so: a row a cancel interrupted is hatched and
    labelled "not finished", a filter that never fired "dead filter: never fires" (see
    ``MaximizeResult.status``), both on a red label.

    Parameters
    ----------
    result : MaximizeResult
        From :func:`convviz_widgets.maximize`.
    columns : int, optional
        Tiles per row (default: about square, at most 16).
    stretch : bool
        Stretch each tile's contrast for display.
    labels : bool
        Write ``filter · activation`` on each tile.
    title : str, optional
        Default: the layer, method and steps.
    tile_inches : float
        Size of one tile in the figure.
    colormap : str
        Colour table of one-channel (grayscale-model) patterns: ``"gray"``, or ``"viridis"``
        as the U-Net lesson's ``imshow`` draws them. Colour patterns ignore it.
    lang : {"en", "es", "pt"}
        Language of the status words on marked tiles.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import convviz_widgets as cv
    >>> res = cv.maximize(cv.demo_model(), "block2_conv1", range(16))   # doctest: +SKIP
    >>> fig = plot_maximize_gallery(res)                                # doctest: +SKIP
    >>> fig.savefig("block2_conv1.png")                                 # doctest: +SKIP
    """
    n = len(result.filters)
    if n == 0:
        raise ValueError("The result has no patterns (a run cancelled before it started).")
    status = _status_of(result)
    tiles = _marked(stretch_patterns(result.images, stretch), status)
    h, w = tiles.shape[1:3]
    cols = columns or display.grid_columns(n, h, w)
    rows = -(-n // cols)
    fig = Figure(figsize=(cols * tile_inches * w / max(h, w) + 0.2,
                          rows * tile_inches * h / max(h, w) + 0.5), layout="constrained")
    ax = fig.add_subplot()
    if status is not None and not labels:
        # Marked rows keep their words even without the value labels.
        text = [display.status_text(st, lang) for st in status]
    else:
        text = _tile_labels(result, status, lang) if labels else None
    _draw(ax, tiles, cols, max(1, h // 32), text, fontsize=max(5.0, 7.0 * tile_inches / 1.1),
          colormap=colormap, status=status)
    fig.suptitle(title or f"{result.layer} — {result.method}, {result.steps} steps "
                          f"(label: filter · mean activation)", fontsize=9)
    return fig


def plot_maximize_comparison(results: Mapping[str, object], *, stretch: bool = True,
                             labels: bool = True, title: str | None = None,
                             tile_inches: float = 1.1, lang: str = "en") -> Figure:
    """Patterns of the same filters by several methods: one row of tiles per method.

    Parameters
    ----------
    results : mapping of str to MaximizeResult
        E.g. ``{"naive": naive_result, "regularized": reg_result}``; all for the same filters.
    stretch, labels, title, tile_inches, lang :
        As in :func:`plot_maximize_gallery` (unfinished and dead rows are marked the same way).

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> fs = [0, 3, 5, 8]                                                          # doctest: +SKIP
    >>> fig = plot_maximize_comparison({                                           # doctest: +SKIP
    ...     "naive": cv.maximize(model, "block3_conv1", fs, method="naive"),
    ...     "regularized": cv.maximize(model, "block3_conv1", fs)})
    """
    items = list(results.items())
    if not items:
        raise ValueError("Pass at least one result, e.g. {'regularized': res}.")
    n = max(len(r.filters) for _, r in items)
    h, w = items[0][1].images.shape[1:3]
    fig = Figure(figsize=(n * tile_inches * w / max(h, w) + 1.2,
                          len(items) * (tile_inches * h / max(h, w) + 0.25) + 0.4),
                 layout="constrained")
    axes = fig.subplots(len(items), 1, squeeze=False)[:, 0]
    for ax, (name, res) in zip(axes, items):
        status = _status_of(res)
        tiles = _marked(stretch_patterns(res.images, stretch), status)
        if status is not None and not labels:
            text = [display.status_text(st, lang) for st in status]
        else:
            text = _tile_labels(res, status, lang) if labels else None
        _draw(ax, tiles, max(1, len(res.filters)), max(1, h // 32), text,
              fontsize=max(5.0, 7.0 * tile_inches / 1.1), status=status)
        ax.set_axis_on()
        ax.set_xticks([])
        ax.set_yticks([])
        for s in ax.spines.values():
            s.set_visible(False)
        ax.set_ylabel(f"{name}\n{res.steps} steps", fontsize=8)
    fig.suptitle(title or f"{items[0][1].layer} (label: filter · mean activation)", fontsize=9)
    return fig


def plot_raw_pattern(result, row: int = 0, *, cmap: str = "viridis",
                     inches: float = 4.0) -> Figure:
    """One pattern's raw values with a colour bar, as the U-Net lesson draws its result.

    For ``maximize(..., space="model")`` the values are the optimised model input itself
    (``result.raw``, unclipped: about ±12 after the lesson's 20 steps of size 1.0); otherwise
    the display image. Grayscale and multi-channel patterns show their channel mean.

    Examples
    --------
    >>> res = cv.maximize(unet, "dconv64", 0, method="naive", init="uniform",
    ...                   space="model", steps=20)                        # doctest: +SKIP
    >>> fig = plot_raw_pattern(res)                                        # doctest: +SKIP
    """
    if not len(result.filters):
        raise ValueError("The result has no patterns (a run cancelled before it started).")
    raw = getattr(result, "raw", None)
    values = np.asarray(result.images if raw is None else raw, np.float32)[int(row)]
    h, w = values.shape[:2]
    fig = _figure(inches * w / max(h, w) + 1.0, inches * h / max(h, w))
    ax = fig.add_subplot()
    # The bar spans the values' own [min, max] (every channel), the range a student prints with
    # res.raw.min(), res.raw.max(); the mean of several channels alone spans less.
    lo, hi = float(values.min()), float(values.max())
    if hi <= lo:
        lo, hi = lo - 1.0, hi + 1.0
    shown = values.mean(axis=-1)
    im = ax.imshow(shown, cmap=cmap, vmin=lo, vmax=hi, interpolation="nearest")
    what = "model input (raw)" if raw is not None else "display value"
    if values.shape[-1] > 1:
        what += f", mean of {values.shape[-1]} channels"
    # Two short lines: one long line ran past the bar's ends at a readable size.
    fig.colorbar(im, ax=ax, shrink=0.85).set_label(
        f"{what}\nbar: [{lo:.3g}, {hi:.3g}], all values' range", fontsize=BAR_LABEL_PT)
    ax.grid(True, alpha=0.3)
    ax.set_title(f"{result.layer} · {int(result.filters[row])} — {result.steps} steps",
                 fontsize=9)
    return fig
