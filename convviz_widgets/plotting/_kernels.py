"""Figures of a layer's weights: one filter's slices, the filters × channels matrix, RGB filters."""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from .. import compute, display
from ._common import _figure, _rect, _show_tiles


def plot_filter_slices(model, layer, filter_index: int, *, cols: int = 16, cmap: str = "RdBu_r",
                       scale: str = "symmetric", shared_scale: str = "filter", vmin=None,
                       vmax=None) -> Figure:
    """One filter's input-channel slices in a grid, on a named scale.

    The lesson's ``plot_conv_weight``: a ``(kh, kw)`` slice for every input channel the filter
    reads, unused cells blank. The default scale is symmetric around zero so the sign of a weight
    is visible (red positive, blue negative with the default map); the handouts' own scales are
    ``scale="shared"`` (the filter's [min, max], with ``cmap="gray"``: the 000 handout) and
    ``scale="per_slice"`` (each slice normalised on its own: the 001 handout).

    Parameters
    ----------
    model, layer
        A built Keras model and a convolution layer (path, name or object).
    filter_index : int
        Which filter (output channel).
    cols : int
        Grid width.
    cmap : str
        A matplotlib colormap (diverging for the symmetric scale).
    scale : str
        ``"symmetric"``, ``"shared"``, ``"per_slice"``, ``"standardize"`` or ``"raw"`` (see
        :mod:`convviz_widgets.display.scaling`).
    shared_scale : {"filter", "layer"}
        For the symmetric and shared scales: limits from this filter's weights, or from the whole
        layer's (to compare filters).
    vmin, vmax : float, optional
        Fix the limits (``vmax`` alone is the symmetric half-width).

    Examples
    --------
    >>> import convviz_widgets as cv
    >>> fig = cv.plotting.plot_filter_slices(cv.demo_model(), "block1_conv2", 0)  # doctest: +SKIP
    >>> fig = cv.plotting.plot_filter_slices(cv.demo_model(), "block1_conv2", 0,
    ...                                      scale="per_slice", cmap="gray")    # doctest: +SKIP
    """
    if shared_scale not in ("filter", "layer"):
        raise ValueError(f"shared_scale must be 'filter' or 'layer', not {shared_scale!r}.")
    info = compute.resolve_layer(model, layer)
    w = compute.kernels(model, layer)
    idx = int(compute.check_filters(info, filter_index, w.shape[-1])[0])
    f = w[..., idx]  # (kh, kw, cin)
    tiles = np.moveaxis(f, -1, 0)  # (kh, kw, cin) -> (cin, kh, kw)
    if shared_scale == "layer" and vmin is None and vmax is None:
        if scale == "symmetric":
            vmax = float(np.abs(w).max())
        elif scale == "shared":
            vmin, vmax = float(w.min()), float(w.max())
    cols = min(cols, tiles.shape[0])
    # At least 4 × 2.4 inches: the title and the colour bar's caption must fit a 3-slice filter.
    fig = _figure(max(4.0, 0.45 * cols + 1.6), max(2.4, 0.45 * (-(-tiles.shape[0] // cols)) + 0.9))
    ax = fig.add_subplot()
    _show_tiles(fig, ax, tiles, cols, scale, cmap, vmin=vmin, vmax=vmax, flat=0.5,
                label="weight")
    ax.set_axis_off()
    _label_slices(ax, tiles.shape[0], cols, w.shape[0], w.shape[1])
    stats = compute.stats_of_kernel(w)
    dead = " — DEAD (all weights ~0)" if stats.dead[idx] else ""
    ax.set_title(f"{info.path} filter {idx}:\n{tiles.shape[0]} input channels, "
                 f"{w.shape[0]}×{w.shape[1]}, norm {stats.norms[idx]:.3g}{dead}", fontsize=9,
                 pad=14)
    return fig


def _label_slices(ax, cin: int, cols: int, kh: int, kw: int) -> None:
    """Name each slice's input channel: R/G/B for an RGB input, else its number (above the
    first row's slices, and at the left of each further row)."""
    names = list("RGB") if cin == 3 else [str(c) for c in range(cin)]
    for k in range(cin):
        y, x = display.tile_origin(k, cols, kh, kw)
        if k < cols:  # first row: above the slice
            ax.text(x + (kw - 1) / 2, -0.7, names[k], ha="center", va="bottom", fontsize=8)
        elif k % cols == 0:  # first slice of a further row: its number at the left
            ax.text(-0.8, y + (kh - 1) / 2, names[k], ha="right", va="center", fontsize=8)


def plot_kernel_matrix(model, layer, *, max_filters: int = 32, max_channels: int = 32,
                       cmap: str = "RdBu_r", scale: str = "symmetric") -> Figure:
    """The filters × input-channels matrix of a layer's kernels, dead filters marked.

    Row ``f`` shows filter ``f``'s slices for input channels ``0 .. max_channels-1``; by default
    on one symmetric scale for the whole layer (``scale`` takes the names of
    :func:`plot_filter_slices`). Dead filters (all weights ~0) get a red frame.

    Examples
    --------
    >>> import convviz_widgets as cv
    >>> fig = cv.plotting.plot_kernel_matrix(cv.demo_model(), "block2_conv1")  # doctest: +SKIP
    """
    info = compute.resolve_layer(model, layer)
    w = compute.kernels(model, layer)
    kh, kw, cin, cout = w.shape
    nf, nc = min(cout, max_filters), min(cin, max_channels)
    # (kh, kw, cin, cout) -> (nf, nc, kh, kw): row-major tiles, one row per filter
    tiles = np.transpose(w[:, :, :nc, :nf], (3, 2, 0, 1)).reshape(nf * nc, kh, kw)
    limit = {"vmax": float(np.abs(w).max())} if scale == "symmetric" else \
        {"vmin": float(w.min()), "vmax": float(w.max())} if scale == "shared" else {}
    fig = _figure(0.3 * nc + 1.9, 0.3 * nf + 0.8)
    ax = fig.add_subplot()
    _show_tiles(fig, ax, tiles, nc, scale, cmap, flat=0.5, label="weight", **limit)
    img_width = nc * (kw + 1) - 1
    stats = compute.stats_of_kernel(w)
    for f in np.flatnonzero(stats.dead[:nf]):
        y, _ = display.tile_origin(int(f) * nc, nc, kh, kw)
        ax.add_patch(_rect((-0.5, y - 0.5), img_width, kh, "red"))
    ax.set_xticks([])
    ax.set_yticks([(kh + 1) * f + (kh - 1) / 2 for f in range(nf)], [str(f) for f in range(nf)],
                  fontsize=6)
    ax.set_ylabel("filter")
    ax.set_xlabel(f"input channel 0–{nc - 1}" + (f" of {cin}" if nc < cin else ""))
    ax.set_title(f"{info.path}: {matrix_title(nf, cout, nc, cin)}; "
                 f"dead filters {int(stats.dead.sum())} ({stats.dead_fraction:.0%})", fontsize=9)
    return fig


def matrix_title(shown_filters: int, filters: int, shown_channels: int, channels: int) -> str:
    """What a filters × channels matrix shows, counted as drawn: rows, then columns.

    A title "32 filters × 16 channels (first shown)" over 24 rows said the layer's size, not
    the picture's; this names the rows and columns on the page and, apart, what is left out.

    Examples
    --------
    >>> matrix_title(24, 24, 16, 16)
    '24 filters (rows) × 16 input channels (columns)'
    >>> matrix_title(32, 64, 32, 128)
    'filters 0–31 of 64 (rows) × input channels 0–31 of 128 (columns)'
    """
    rows = f"{filters} filters" if shown_filters >= filters else \
        f"filters 0–{shown_filters - 1} of {filters}"
    cols = f"{channels} input channels" if shown_channels >= channels else \
        f"input channels 0–{shown_channels - 1} of {channels}"
    return f"{rows} (rows) × {cols} (columns)"


def rgb_filters(w: np.ndarray) -> np.ndarray:
    """First-layer RGB kernels ``(kh, kw, 3, cout)`` as displayable ``(cout, kh, kw, 3)`` in [0, 1].

    One scale for all filters (centred on 0.5 = zero weight), so colours compare across filters.
    """
    if w.shape[2] != 3:
        raise ValueError(f"RGB composites need a layer reading 3 channels, this one reads "
                         f"{w.shape[2]}; use plot_filter_slices instead.")
    limit = np.abs(w).max() or 1.0
    return np.clip(np.moveaxis(w, -1, 0) / (2 * limit) + 0.5, 0, 1)  # (cout, kh, kw, 3)


def plot_rgb_filters(model, layer, *, cols: int = 16) -> Figure:
    """First-layer filters as small RGB images (what colour/edge each filter looks for).

    Examples
    --------
    >>> import convviz_widgets as cv
    >>> fig = cv.plotting.plot_rgb_filters(cv.demo_model(), "block1_conv1")  # doctest: +SKIP
    """
    info = compute.resolve_layer(model, layer)
    tiles = rgb_filters(compute.kernels(model, layer))
    img = display.mosaic(tiles, cols, fill=1.0)
    rows = -(-tiles.shape[0] // cols)
    fig = _figure(0.5 * min(cols, len(tiles)) + 0.4, 0.5 * rows + 0.5)
    ax = fig.add_subplot()
    ax.imshow(img, interpolation="nearest")
    ax.set_axis_off()
    ax.set_title(f"{info.path}: {tiles.shape[0]} filters as RGB (grey = 0)", fontsize=9)
    return fig
