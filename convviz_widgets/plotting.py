"""Static matplotlib figures of the same views as the widgets, for handouts, PDFs and docs.

Scales, colour tables and mosaics come from :mod:`convviz_widgets.display`, the module the widgets
use too, so a figure shows the pixels the live view shows.

Every function calls :mod:`convviz_widgets.compute` (never the model directly) and returns a
:class:`matplotlib.figure.Figure` without showing it. Large grids are drawn as one mosaic image
instead of one axes per tile: 512 axes take matplotlib seconds, one image takes milliseconds.
"""

from __future__ import annotations

from typing import Callable, Mapping, Sequence

import numpy as np
from matplotlib.figure import Figure

from . import compute, display


def _figure(width: float, height: float) -> Figure:
    return Figure(figsize=(max(width, 2.0), max(height, 1.5)), layout="constrained")


#: The activation grid's older names for two scales.
_NORMALIZE_ALIASES = {"channel": "per_slice", "layer": "shared"}


def _show_tiles(fig, ax, tiles: np.ndarray, cols: int, scale: str, cmap: str, *, vmin=None,
                vmax=None, flat: float = 0.0, label: str = "value"):
    """Draw ``(n, h, w)`` tiles as one mosaic on a named scale (see :mod:`.display.scaling`).

    On a scale that is one range for all tiles (symmetric, shared, raw) the image holds the
    values themselves and the colour bar is in their units; on a per-tile scale it holds each
    tile's values mapped to [0, 1] and the colour bar says so.
    """
    scaled = display.scale_tiles(tiles, scale, vmin=vmin, vmax=vmax, flat=flat)
    if scaled.shared and scale != "standardize":
        img = display.mosaic(tiles, cols)
        lo, hi = float(scaled.lo[0]), float(scaled.hi[0])
        if hi <= lo:  # a constant group: any non-empty range draws it in one colour
            lo, hi = lo - 1.0, hi + 1.0
    else:
        img, lo, hi = display.mosaic(scaled.values, cols), 0.0, 1.0
    im = ax.imshow(img, cmap=cmap, vmin=lo, vmax=hi, interpolation="nearest")
    bar = fig.colorbar(im, ax=ax, shrink=0.8)
    bar.set_label(f"{label} — {scaled.label()}", fontsize=7)
    return im, scaled


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
    fig = _figure(0.45 * cols + 1.6, 0.45 * (-(-tiles.shape[0] // cols)) + 0.6)
    ax = fig.add_subplot()
    _show_tiles(fig, ax, tiles, cols, scale, cmap, vmin=vmin, vmax=vmax, flat=0.5,
                label="weight")
    ax.set_axis_off()
    stats = compute.stats_of_kernel(w)
    dead = " — DEAD (all weights ~0)" if stats.dead[idx] else ""
    ax.set_title(f"{info.path} filter {idx}: {tiles.shape[0]} input channels, "
                 f"{w.shape[0]}×{w.shape[1]}, norm {stats.norms[idx]:.3g}{dead}", fontsize=9)
    return fig


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
    ax.set_xlabel(f"input channel 0..{nc - 1}" + (f" of {cin}" if nc < cin else ""))
    ax.set_title(f"{info.path}: {cout} filters × {cin} channels"
                 f"{' (first shown)' if nf < cout or nc < cin else ''}; "
                 f"dead filters {int(stats.dead.sum())} ({stats.dead_fraction:.0%})", fontsize=9)
    return fig


def _rect(xy, width, height, color):
    from matplotlib.patches import Rectangle

    return Rectangle(xy, width, height, fill=False, edgecolor=color, linewidth=1.5)


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


def normalize_channels(a: np.ndarray, mode: str = "channel") -> np.ndarray:
    """Scale ``(h, w, c)`` feature maps to [0, 1] per channel or over the whole layer.

    ``mode`` is ``"channel"`` (each channel its own [min, max]), ``"layer"`` (one range), or any
    scale of :mod:`convviz_widgets.display.scaling` (e.g. ``"standardize"``, the Chollet
    lessons' display). A constant channel (blank: ≤ 0 everywhere) maps to 0 rather than being
    stretched from noise.

    Examples
    --------
    >>> float(normalize_channels(np.arange(8.0).reshape(2, 2, 2)).max())
    1.0
    """
    scale = _scale_name(mode)
    tiles = np.moveaxis(np.asarray(a, np.float32), -1, 0)  # (h, w, c) -> (c, h, w)
    return np.moveaxis(display.scale_tiles(tiles, scale).values, 0, -1)


def _scale_name(mode: str) -> str:
    scale = _NORMALIZE_ALIASES.get(mode, mode)
    if scale not in display.SCALES:
        raise ValueError(f"normalisation must be 'channel', 'layer' or one of "
                         f"{list(display.SCALES)}, not {mode!r}.")
    return scale


def plot_activation_grid(model, image, layer, *, cols: int = 16, normalize: str = "channel",
                         cmap: str = "viridis", max_channels: int | None = None,
                         preprocess: Callable | None = None) -> Figure:
    """Every channel of a layer's feature maps for one image, blank channels crossed out.

    ``normalize``: ``"channel"`` (each channel on its own range), ``"layer"`` (one range for
    the layer, so channels compare), or a scale name such as ``"standardize"`` (the Chollet
    lessons' ``(v - mean)/std × 64 + 128``, with ``cmap="viridis"``).

    Examples
    --------
    >>> import convviz_widgets as cv
    >>> scenes = cv.demo_images()                                               # doctest: +SKIP
    >>> fig = cv.plotting.plot_activation_grid(cv.demo_model(), scenes.images[0],
    ...                                        "block2_conv1")                   # doctest: +SKIP
    """
    scale = _scale_name(normalize)
    acts = compute.activations(model, image, layer, preprocess=preprocess)
    path = next(iter(acts))
    a = acts[path][0]  # (h, w, c)
    stats = acts.stats(path)
    c = a.shape[-1] if max_channels is None else min(max_channels, a.shape[-1])
    tiles = np.moveaxis(a[..., :c], -1, 0)  # (h, w, c) -> (c, h, w)
    cols = min(cols, c)
    rows = -(-c // cols)
    h, w = a.shape[:2]
    fig = _figure(0.7 * cols + 1.0, 0.7 * rows * h / w + 0.6)
    ax = fig.add_subplot()
    # The grid always shows [0, 1] of its scale: the layer range is data-dependent per image.
    scaled = display.scale_tiles(tiles, scale)
    im = ax.imshow(display.mosaic(scaled.values, cols), cmap=cmap, vmin=0, vmax=1,
                   interpolation="nearest")
    fig.colorbar(im, ax=ax, shrink=0.8).set_label(f"activation — {scaled.label()}", fontsize=7)
    for k in np.flatnonzero(stats.blank[0, :c]):
        y, x = display.tile_origin(int(k), cols, h, w)
        ax.plot([x - 0.5, x + w - 0.5], [y - 0.5, y + h - 0.5], color="red", lw=0.8)
        ax.plot([x - 0.5, x + w - 0.5], [y + h - 0.5, y - 0.5], color="red", lw=0.8)
    ax.set_axis_off()
    ax.set_title(f"{path}: {a.shape[-1]} channels, {h}×{w}; blank "
                 f"{int(stats.blank[0].sum())} ({stats.blank_fraction[0]:.0%}); "
                 f"{normalize} normalisation", fontsize=9)
    return fig


def plot_channel(model, image, layer, channel: int, *, cmap: str = "viridis",
                 scale: str | None = None, preprocess: Callable | None = None) -> Figure:
    """One channel's feature map enlarged beside the input image, with a colour bar.

    ``scale=None`` shows the values as they are (colour bar in activation units); a scale name
    (e.g. ``"standardize"``, the Chollet lessons' display) maps them first.

    Examples
    --------
    >>> import convviz_widgets as cv
    >>> fig = cv.plotting.plot_channel(cv.demo_model(), cv.demo_images().images[0],
    ...                                "block1_conv1", 3)                       # doctest: +SKIP
    """
    acts = compute.activations(model, image, layer, preprocess=preprocess)
    path = next(iter(acts))
    info = compute.resolve_layer(model, path)
    ch = int(compute.check_filters(info, channel, acts[path].shape[-1])[0])
    a = acts[path][0, :, :, ch]
    fig = _figure(7, 3.2)
    ax0, ax1 = fig.subplots(1, 2)
    shown = acts.images[0]
    ax0.imshow(shown[..., 0] if shown.shape[-1] == 1 else shown, cmap="gray", vmin=0, vmax=1)
    ax0.set_title("input", fontsize=9)
    ax0.set_axis_off()
    if scale is None:
        im = ax1.imshow(a, cmap=cmap, interpolation="nearest")
    else:
        scaled = display.scale_tiles(a[None], _scale_name(scale))
        im = ax1.imshow(scaled.values[0], cmap=cmap, vmin=0, vmax=1, interpolation="nearest")
    ax1.set_title(f"{path} channel {ch}: [{a.min():.3g}, {a.max():.3g}]"
                  + (" — blank" if a.max() <= 0 else ""), fontsize=9)
    ax1.set_axis_off()
    bar = fig.colorbar(im, ax=ax1, shrink=0.85)
    if scale is not None:
        bar.set_label(scaled.label(), fontsize=7)
    return fig


def plot_sparsity(model, images, *, preprocess: Callable | None = None) -> Figure:
    """Share of blank channels per spatial layer, in depth order (deeper layers are sparser).

    Examples
    --------
    >>> import convviz_widgets as cv
    >>> fig = cv.plotting.plot_sparsity(cv.demo_model(), cv.demo_images().images[:8])  # doctest: +SKIP
    """
    acts = compute.activations(model, images, None, preprocess=preprocess)
    sp = acts.sparsity()
    fig = _figure(max(4, 0.45 * len(sp) + 1), 3)
    ax = fig.add_subplot()
    ax.bar(range(len(sp)), [100 * v for v in sp.values()], color="#4477aa")
    ax.set_xticks(range(len(sp)), list(sp), rotation=60, ha="right", fontsize=7)
    ax.set_ylabel("blank channels (%)")
    ax.set_title(f"Sparsity by layer over {acts.images.shape[0]} image(s)", fontsize=9)
    return fig


# Filter patterns (maximisation results). A gallery is one mosaic image with text labels, not one
# axes per tile: 256 axes take matplotlib seconds, one image milliseconds. Contrast stretching is
# for display only; the result's images stay the exact inputs the model saw.

def stretch_patterns(images: np.ndarray, stretch: bool = True) -> np.ndarray:
    """Display copies of ``(n, H, W, C)`` patterns: ``(n, H, W, 3)`` or ``(n, H, W)`` in [0, 1].

    ``stretch`` maps each tile's 0.5–99.5 percentile range onto [0, 1] (the naive recipe's
    patterns differ from grey by a few levels; the widget does the same). Three or more channels
    show the first three as RGB; one or two channels their mean as grey.

    Examples
    --------
    >>> stretch_patterns(np.full((2, 4, 4, 1), 0.5)).shape
    (2, 4, 4)
    """
    x = np.asarray(images, np.float32)
    x = x[..., :3] if x.shape[-1] >= 3 else x.mean(axis=-1)
    return display.stretch_tiles(x) if stretch else np.clip(x, 0.0, 1.0)


def _draw(ax, tiles, cols, pad, labels: Sequence[str] | None, fontsize: float) -> None:
    n, h, w = tiles.shape[:3]
    grid = display.mosaic(tiles, cols, pad, fill=1.0)
    ax.imshow(grid, cmap="gray" if grid.ndim == 2 else None, vmin=0.0, vmax=1.0,
              interpolation="nearest")
    ax.set_axis_off()
    if labels:
        for k, text in enumerate(labels):
            r, c = divmod(k, cols)
            ax.text(c * (w + pad) + 1, r * (h + pad) + 1, text, fontsize=fontsize, va="top",
                    ha="left", color="white",
                    bbox=dict(boxstyle="square,pad=0.1", fc="black", alpha=0.55, lw=0))


def plot_maximize_gallery(result, *, columns: int | None = None, stretch: bool = True,
                          labels: bool = True, title: str | None = None,
                          tile_inches: float = 1.1) -> Figure:
    """A layer's filter patterns as a tile grid.

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
    tiles = stretch_patterns(result.images, stretch)
    h, w = tiles.shape[1:3]
    cols = columns or display.grid_columns(n, h, w)
    rows = -(-n // cols)
    fig = Figure(figsize=(cols * tile_inches * w / max(h, w) + 0.2,
                          rows * tile_inches * h / max(h, w) + 0.5), layout="constrained")
    ax = fig.add_subplot()
    text = [f"{int(f)} · {a:.3g}" for f, a in zip(result.filters, result.activation)] \
        if labels else None
    _draw(ax, tiles, cols, max(1, h // 32), text, fontsize=max(5.0, 7.0 * tile_inches / 1.1))
    fig.suptitle(title or f"{result.layer} — {result.method}, {result.steps} steps "
                          f"(label: filter · mean activation)", fontsize=9)
    return fig


def plot_maximize_comparison(results: Mapping[str, object], *, stretch: bool = True,
                             labels: bool = True, title: str | None = None,
                             tile_inches: float = 1.1) -> Figure:
    """Patterns of the same filters by several methods: one row of tiles per method.

    Parameters
    ----------
    results : mapping of str to MaximizeResult
        E.g. ``{"naive": naive_result, "regularized": reg_result}``; all for the same filters.
    stretch, labels, title, tile_inches :
        As in :func:`plot_maximize_gallery`.

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
        tiles = stretch_patterns(res.images, stretch)
        text = [f"{int(f)} · {a:.3g}" for f, a in zip(res.filters, res.activation)] \
            if labels else None
        _draw(ax, tiles, max(1, len(res.filters)), max(1, h // 32), text,
              fontsize=max(5.0, 7.0 * tile_inches / 1.1))
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
    im = ax.imshow(values.mean(axis=-1), cmap=cmap, interpolation="nearest")
    fig.colorbar(im, ax=ax, shrink=0.85).set_label(
        "model input (raw, unclipped)" if raw is not None else "display value", fontsize=7)
    ax.grid(True, alpha=0.3)
    ax.set_title(f"{result.layer} · {int(result.filters[row])} — {result.steps} steps",
                 fontsize=9)
    return fig


def plot_conv_arithmetic(model, image, layer, filter_index: int, position=None, *,
                         max_channels: int = 6, numbers: bool = True,
                         preprocess: Callable | None = None) -> Figure:
    """How one output value of a convolution is computed, drawn as the lessons draw it.

    Left: the image with the window the unit reads (for a first layer). Then, per input channel,
    the input patch, the filter slice and their products (numbers written in the cells when
    ``numbers``), and below, the sum per channel; the title adds them up with the bias and the
    activation and names the value the layer produced.

    Examples
    --------
    >>> import convviz_widgets as cv
    >>> fig = cv.plotting.plot_conv_arithmetic(cv.demo_model(), cv.demo_images().images[0],
    ...                                        "block1_conv1", 3, (20, 30))   # doctest: +SKIP
    """
    u = compute.conv_arithmetic(model, image, layer, filter_index, position,
                                preprocess=preprocess)
    kh, kw, cin = u.patch.shape
    m = min(cin, max_channels)
    fig = _figure(1.3 * m + 2.6, 4.4)
    grid = fig.add_gridspec(3, m + 1, width_ratios=[1.8] + [1] * m)
    ax = fig.add_subplot(grid[:, 0])
    shown = display.as_display_rgb(u.image)
    ax.imshow(shown, interpolation="nearest")
    if u.reads_image:
        r0, c0 = u.rows[u.rows >= 0], u.cols[u.cols >= 0]
        if len(r0) and len(c0):
            ax.add_patch(_rect((c0.min() - 0.5, r0.min() - 0.5), c0.max() - c0.min() + 1,
                               r0.max() - r0.min() + 1, "red"))
        ax.set_title("input: the window", fontsize=8)
    else:
        ax.set_title(f"input image ({u.layer} reads\nan inner feature map)", fontsize=8)
    ax.set_axis_off()
    limit_w = float(np.abs(u.kernel).max()) or 1.0
    limit_p = float(np.abs(u.products).max()) or 1.0
    rows = [("patch", u.patch, "gray", None), ("filter", u.kernel, "RdBu_r", limit_w),
            ("product", u.products, "RdBu_r", limit_p)]
    for j in range(m):
        for i, (name, arr, cmap, lim) in enumerate(rows):
            a = fig.add_subplot(grid[i, j + 1])
            sl = arr[..., j]
            if lim is None:  # the input on one range for every channel, as the model sees it
                a.imshow(sl, cmap=cmap, vmin=float(u.patch.min()), vmax=float(u.patch.max()),
                         interpolation="nearest")
            else:
                a.imshow(sl, cmap=cmap, vmin=-lim, vmax=lim, interpolation="nearest")
            if numbers and kh * kw <= 25:
                for (y, x), v in np.ndenumerate(sl):
                    a.text(x, y, f"{v:.2g}", ha="center", va="center", fontsize=5.5,
                           color="black", bbox=dict(boxstyle="square,pad=0.05", fc="white",
                                                    alpha=0.6, lw=0))
            a.set_xticks([])
            a.set_yticks([])
            if j == 0:
                a.set_ylabel(name, fontsize=8)
            if i == 0:
                a.set_title(f"channel {j}", fontsize=8)
            if i == 2:
                a.set_xlabel(f"Σ = {u.channel_sums[j]:.3g}", fontsize=8)
    rest = float(u.channel_sums[m:].sum()) if cin > m else None
    more = f" + {cin - m} more channels ({rest:.3g})" if rest is not None else ""
    fig.suptitle(f"{u.layer} filter {u.filter_index} at {u.position}:\n"
                 f"Σ channels {float(u.channel_sums.sum()):.4g}{more and ' incl.' + more}"
                 f" + bias {u.bias:.3g} = {u.pre_activation:.4g} → activation "
                 f"{u.activation:.4g} (the layer output {u.output:.4g})", fontsize=9)
    return fig


def plot_dataset_examples(examples, channels=None, *, patterns=None, max_channels: int = 8,
                          tile_inches: float = 0.8) -> Figure:
    """Each channel's top dataset patches in a row, its optimised pattern first if given.

    The two halves of "what does this filter respond to?" side by side (Distill's *Feature
    Visualization*): a row per channel — the pattern from :func:`convviz_widgets.maximize`, then
    the receptive-field patches of the images that excite the channel most, best first. The row
    label gives the firing rate and, with labels, the most common class among the top images.

    Parameters
    ----------
    examples : DatasetExamples
        From :func:`convviz_widgets.dataset_examples`.
    channels : sequence of int, optional
        Channels to show (default: the first ``max_channels`` summarised).
    patterns : MaximizeResult or ndarray, optional
        Optimised patterns of the same channels (a result whose ``filters`` include them, or an
        array ``(len(channels), H, W, C)`` in [0, 1]).

    Examples
    --------
    >>> ex = cv.dataset_examples(model, "block3_conv1", scenes.images, labels=scenes.labels)  # doctest: +SKIP
    >>> fig = cv.plotting.plot_dataset_examples(ex, [0, 5, 9],
    ...                                         patterns=cv.maximize(model, "block3_conv1", [0, 5, 9]))  # doctest: +SKIP
    """
    chans = list(examples.channels[:max_channels]) if channels is None else [int(c) for c in
                                                                            channels]
    rows = [examples.row(c) for c in chans]
    k = examples.k
    pat = None
    if patterns is not None:
        if hasattr(patterns, "filters"):
            where = {int(f): i for i, f in enumerate(patterns.filters)}
            missing = [c for c in chans if c not in where]
            if missing:
                raise ValueError(f"The maximisation result has no pattern for channels {missing}; "
                                 f"run cv.maximize(model, {examples.layer!r}, {chans}).")
            pat = stretch_patterns(np.asarray(patterns.images)[[where[c] for c in chans]])
        else:
            pat = stretch_patterns(np.asarray(patterns, np.float32))
    cols = k + (1 if pat is not None else 0)
    fig = Figure(figsize=(cols * tile_inches + 1.6, len(rows) * tile_inches + 0.6),
                 layout="constrained")
    axes = fig.subplots(len(rows), cols, squeeze=False)
    names = examples.class_names
    for i, (c, r) in enumerate(zip(chans, rows)):
        j0 = 0
        if pat is not None:
            img = pat[i]
            axes[i, 0].imshow(img, cmap="gray" if img.ndim == 2 else None, vmin=0, vmax=1)
            if i == 0:
                axes[i, 0].set_title("pattern", fontsize=7)
            j0 = 1
        for j in range(k):
            ax = axes[i, j0 + j]
            if examples.index[r, j] >= 0:
                p = examples.patches[r, j]
                ax.imshow(p[..., 0] if p.shape[-1] == 1 else p, cmap="gray", vmin=0, vmax=255)
                ax.set_title(f"{examples.scores[r, j]:.3g}", fontsize=6)
        label = f"ch {c}\nfires {examples.firing_rate[r]:.0%}"
        if (examples.labels[r] >= 0).any():
            h = examples.histogram(r)
            top = int(np.argmax(h))
            label += f"\n{names[top] if names else top} {h[top]}/{h.sum()}"
        axes[i, 0].set_ylabel(label, fontsize=7, rotation=0, ha="right", va="center")
    for ax in axes.ravel():
        ax.set_xticks([])
        ax.set_yticks([])
    fig.suptitle(f"{examples.layer}: top {k} of {examples.n_images} images per channel "
                 f"({examples.score_kind} score; receptive-field patches)", fontsize=9)
    return fig


# -- DeepDream (issue 17) ------------------------------------------------------------------------
# In its own module (this one is long); re-exported here, where handouts look for figures.
from ._plotting_dream import plot_deepdream  # noqa: E402, F401
