"""Static matplotlib figures of the same views as the widgets, for handouts, PDFs and docs.

Every function calls :mod:`convviz_widgets.compute` (never the model directly) and returns a
:class:`matplotlib.figure.Figure` without showing it. Large grids are drawn as one mosaic image
instead of one axes per tile: 512 axes take matplotlib seconds, one image takes milliseconds.
"""

from __future__ import annotations

from typing import Callable

import numpy as np
from matplotlib.figure import Figure

from . import compute


def mosaic(tiles: np.ndarray, cols: int, pad: int = 1, fill: float = np.nan) -> np.ndarray:
    """Arrange ``(n, h, w)`` or ``(n, h, w, 3)`` tiles in a grid ``cols`` wide.

    Unused cells and the ``pad`` pixels between tiles hold ``fill`` (NaN draws as blank with
    ``imshow``), so a partial last row stays visibly empty.

    Examples
    --------
    >>> mosaic(np.ones((5, 2, 3)), cols=4).shape
    (5, 15)
    """
    n, h, w = tiles.shape[:3]
    cols = max(1, min(cols, n))
    rows = -(-n // cols)
    extra = tiles.shape[3:]
    out = np.full((rows * (h + pad) - pad, cols * (w + pad) - pad) + extra, fill, np.float32)
    for k in range(n):
        r, c = divmod(k, cols)
        out[r * (h + pad):r * (h + pad) + h, c * (w + pad):c * (w + pad) + w] = tiles[k]
    return out


def _cell_origin(k: int, cols: int, h: int, w: int, pad: int = 1) -> tuple[int, int]:
    r, c = divmod(k, cols)
    return r * (h + pad), c * (w + pad)


def _figure(width: float, height: float) -> Figure:
    return Figure(figsize=(max(width, 2.0), max(height, 1.5)), layout="constrained")


def _symmetric(limit: float) -> tuple[float, float]:
    limit = float(limit) if limit > 0 else 1.0
    return -limit, limit


def plot_filter_slices(model, layer, filter_index: int, *, cols: int = 16, cmap: str = "RdBu_r",
                       shared_scale: str = "filter") -> Figure:
    """One filter's input-channel slices, all on one shared colour scale.

    The lesson's ``plot_conv_weight``: a ``(kh, kw)`` slice for every input channel the filter
    reads, in a grid, unused cells blank. The colour scale is symmetric around zero so the sign of
    a weight is visible (red positive, blue negative with the default map).

    Parameters
    ----------
    model, layer
        A built Keras model and a convolution layer (path, name or object).
    filter_index : int
        Which filter (output channel).
    cols : int
        Grid width.
    cmap : str
        A diverging matplotlib colormap.
    shared_scale : {"filter", "layer"}
        Scale limits from this filter's weights or from the whole layer's (to compare filters).

    Examples
    --------
    >>> import convviz_widgets as cv
    >>> fig = cv.plotting.plot_filter_slices(cv.demo_model(), "block1_conv2", 0)  # doctest: +SKIP
    """
    info = compute.resolve_layer(model, layer)
    w = compute.kernels(model, layer)
    idx = int(compute._model_access.check_filters(info, filter_index, w.shape[-1])[0])
    f = w[..., idx]  # (kh, kw, cin)
    tiles = np.moveaxis(f, -1, 0)  # (cin, kh, kw)
    limit = np.abs(f).max() if shared_scale == "filter" else np.abs(w).max()
    vmin, vmax = _symmetric(limit)
    cols = min(cols, tiles.shape[0])
    img = mosaic(tiles, cols)
    fig = _figure(0.45 * cols + 1.2, 0.45 * (-(-tiles.shape[0] // cols)) + 0.6)
    ax = fig.add_subplot()
    im = ax.imshow(img, cmap=cmap, vmin=vmin, vmax=vmax, interpolation="nearest")
    ax.set_axis_off()
    stats = compute.stats_of_kernel(w)
    dead = " — DEAD (all weights ~0)" if stats.dead[idx] else ""
    ax.set_title(f"{info.path} filter {idx}: {tiles.shape[0]} input channels, "
                 f"{w.shape[0]}×{w.shape[1]}, norm {stats.norms[idx]:.3g}{dead}", fontsize=9)
    fig.colorbar(im, ax=ax, shrink=0.8, label="weight")
    return fig


def plot_kernel_matrix(model, layer, *, max_filters: int = 32, max_channels: int = 32,
                       cmap: str = "RdBu_r") -> Figure:
    """The filters × input-channels matrix of a layer's kernels, dead filters marked.

    Row ``f`` shows filter ``f``'s slices for input channels ``0 .. max_channels-1`` on one scale
    for the whole layer. Dead filters (all weights ~0) get a red frame and label.

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
    img = mosaic(tiles, nc)
    vmin, vmax = _symmetric(np.abs(w).max())
    fig = _figure(0.3 * nc + 1.5, 0.3 * nf + 0.8)
    ax = fig.add_subplot()
    im = ax.imshow(img, cmap=cmap, vmin=vmin, vmax=vmax, interpolation="nearest")
    stats = compute.stats_of_kernel(w)
    for f in np.flatnonzero(stats.dead[:nf]):
        y, _ = _cell_origin(int(f) * nc, nc, kh, kw)
        ax.add_patch(_rect((-0.5, y - 0.5), img.shape[1], kh, "red"))
    ax.set_xticks([])
    ax.set_yticks([(kh + 1) * f + (kh - 1) / 2 for f in range(nf)], [str(f) for f in range(nf)],
                  fontsize=6)
    ax.set_ylabel("filter")
    ax.set_xlabel(f"input channel 0..{nc - 1}" + (f" of {cin}" if nc < cin else ""))
    ax.set_title(f"{info.path}: {cout} filters × {cin} channels"
                 f"{' (first shown)' if nf < cout or nc < cin else ''}; "
                 f"dead filters {int(stats.dead.sum())} ({stats.dead_fraction:.0%})", fontsize=9)
    fig.colorbar(im, ax=ax, shrink=0.8, label="weight")
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
    img = mosaic(tiles, cols, fill=1.0)
    rows = -(-tiles.shape[0] // cols)
    fig = _figure(0.5 * min(cols, len(tiles)) + 0.4, 0.5 * rows + 0.5)
    ax = fig.add_subplot()
    ax.imshow(img, interpolation="nearest")
    ax.set_axis_off()
    ax.set_title(f"{info.path}: {tiles.shape[0]} filters as RGB (grey = 0)", fontsize=9)
    return fig


def normalize_channels(a: np.ndarray, mode: str = "channel") -> np.ndarray:
    """Scale ``(h, w, c)`` feature maps to [0, 1] per channel or over the whole layer.

    Blank channels (≤ 0 everywhere) map to 0 rather than being stretched from noise.

    Examples
    --------
    >>> normalize_channels(np.arange(8.0).reshape(2, 2, 2)).max()
    1.0
    """
    if mode not in ("channel", "layer"):
        raise ValueError(f"normalisation must be 'channel' or 'layer', not {mode!r}.")
    axes = (0, 1) if mode == "channel" else None
    lo = a.min(axis=axes, keepdims=mode == "channel")
    hi = a.max(axis=axes, keepdims=mode == "channel")
    span = np.where(hi - lo > 0, hi - lo, 1.0)
    return np.clip((a - lo) / span, 0, 1).astype(np.float32)


def plot_activation_grid(model, image, layer, *, cols: int = 16, normalize: str = "channel",
                         cmap: str = "viridis", max_channels: int | None = None,
                         preprocess: Callable | None = None) -> Figure:
    """Every channel of a layer's feature maps for one image, blank channels crossed out.

    Examples
    --------
    >>> import convviz_widgets as cv
    >>> scenes = cv.demo_images()                                               # doctest: +SKIP
    >>> fig = cv.plotting.plot_activation_grid(cv.demo_model(), scenes.images[0],
    ...                                        "block2_conv1")                   # doctest: +SKIP
    """
    acts = compute.activations(model, image, layer, preprocess=preprocess)
    path = next(iter(acts))
    a = acts[path][0]  # (h, w, c)
    stats = acts.stats(path)
    c = a.shape[-1] if max_channels is None else min(max_channels, a.shape[-1])
    tiles = np.moveaxis(normalize_channels(a, normalize)[..., :c], -1, 0)  # (c, h, w)
    cols = min(cols, c)
    img = mosaic(tiles, cols)
    rows = -(-c // cols)
    h, w = a.shape[:2]
    fig = _figure(0.7 * cols + 0.4, 0.7 * rows * h / w + 0.6)
    ax = fig.add_subplot()
    ax.imshow(img, cmap=cmap, vmin=0, vmax=1, interpolation="nearest")
    for k in np.flatnonzero(stats.blank[0, :c]):
        y, x = _cell_origin(int(k), cols, h, w)
        ax.plot([x - 0.5, x + w - 0.5], [y - 0.5, y + h - 0.5], color="red", lw=0.8)
        ax.plot([x - 0.5, x + w - 0.5], [y + h - 0.5, y - 0.5], color="red", lw=0.8)
    ax.set_axis_off()
    ax.set_title(f"{path}: {a.shape[-1]} channels, {h}×{w}; blank "
                 f"{int(stats.blank[0].sum())} ({stats.blank_fraction[0]:.0%}); "
                 f"{normalize} normalisation", fontsize=9)
    return fig


def plot_channel(model, image, layer, channel: int, *, cmap: str = "viridis",
                 preprocess: Callable | None = None) -> Figure:
    """One channel's feature map enlarged beside the input image, with a colour bar.

    Examples
    --------
    >>> import convviz_widgets as cv
    >>> fig = cv.plotting.plot_channel(cv.demo_model(), cv.demo_images().images[0],
    ...                                "block1_conv1", 3)                       # doctest: +SKIP
    """
    acts = compute.activations(model, image, layer, preprocess=preprocess)
    path = next(iter(acts))
    info = compute.resolve_layer(model, path)
    ch = int(compute._model_access.check_filters(info, channel, acts[path].shape[-1])[0])
    a = acts[path][0, :, :, ch]
    fig = _figure(7, 3.2)
    ax0, ax1 = fig.subplots(1, 2)
    shown = acts.images[0]
    ax0.imshow(shown[..., 0] if shown.shape[-1] == 1 else shown, cmap="gray", vmin=0, vmax=1)
    ax0.set_title("input", fontsize=9)
    ax0.set_axis_off()
    im = ax1.imshow(a, cmap=cmap, interpolation="nearest")
    ax1.set_title(f"{path} channel {ch}: [{a.min():.3g}, {a.max():.3g}]"
                  + (" — blank" if a.max() <= 0 else ""), fontsize=9)
    ax1.set_axis_off()
    fig.colorbar(im, ax=ax1, shrink=0.85)
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
