"""Figures of feature maps: the activation grid, one channel, sparsity by layer."""

from __future__ import annotations

from typing import Callable

import numpy as np
from matplotlib.figure import Figure

from .. import compute, display
from ._common import BAR_LABEL_PT, _figure


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
    scale = display.NORMALIZE_ALIASES.get(mode, mode)
    if scale not in display.SCALES:
        raise ValueError(f"normalisation must be 'channel', 'layer' or one of "
                         f"{list(display.SCALES)}, not {mode!r}.")
    return scale


def plot_activation_grid(model, image, layer, *, cols: int = 16, normalize: str = "channel",
                         cmap: str = "viridis", max_channels: int | None = None,
                         preprocess: Callable | None = None, input_size=None) -> Figure:
    """Every channel of a layer's feature maps for one image, blank channels crossed out.

    ``normalize``: ``"channel"`` (each channel on its own range), ``"layer"`` (one range for
    the layer, so channels compare), or a scale name such as ``"standardize"`` (the Chollet
    lessons' ``(v - mean)/std × 64 + 128``, with ``cmap="viridis"``).

    ``input_size=(height, width)`` runs the image at that size (as for
    :func:`convviz_widgets.activations`).

    Examples
    --------
    >>> import convviz_widgets as cv
    >>> scenes = cv.demo_images()                                               # doctest: +SKIP
    >>> fig = cv.plotting.plot_activation_grid(cv.demo_model(), scenes.images[0],
    ...                                        "block2_conv1")                   # doctest: +SKIP
    """
    scale = _scale_name(normalize)
    acts = compute.activations(model, image, layer, preprocess=preprocess, input_size=input_size)
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
    fig.colorbar(im, ax=ax, shrink=0.8).set_label(f"activation — {scaled.label()}",
                                                  fontsize=BAR_LABEL_PT)
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
                 scale: str | None = None, preprocess: Callable | None = None,
                 input_size=None) -> Figure:
    """One channel's feature map enlarged beside the input image, with a colour bar.

    ``scale=None`` shows the values as they are (colour bar in activation units); a scale name
    (e.g. ``"standardize"``, the Chollet lessons' display) maps them first.

    ``input_size=(height, width)`` runs the image at that size (as for
    :func:`convviz_widgets.activations`).

    Examples
    --------
    >>> import convviz_widgets as cv
    >>> fig = cv.plotting.plot_channel(cv.demo_model(), cv.demo_images().images[0],
    ...                                "block1_conv1", 3)                       # doctest: +SKIP
    """
    acts = compute.activations(model, image, layer, preprocess=preprocess, input_size=input_size)
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
        rt = display.range_text(a)
    else:
        scaled = display.scale_tiles(a[None], _scale_name(scale))
        im = ax1.imshow(scaled.values[0], cmap=cmap, vmin=0, vmax=1, interpolation="nearest")
        # The title gives the data's own range and the window the colours span, apart (the
        # live view's caption follows the same rule, display.range_text).
        rt = display.range_text(a, scaled.lo[0], scaled.hi[0])
    ax1.set_title(f"{path} channel {ch}: {rt.english()}"
                  + (" — blank" if a.max() <= 0 else ""), fontsize=9)
    ax1.set_axis_off()
    bar = fig.colorbar(im, ax=ax1, shrink=0.85)
    if scale is not None:
        bar.set_label(scaled.label(), fontsize=BAR_LABEL_PT)
    return fig


def plot_sparsity(model, images, *, preprocess: Callable | None = None,
                  input_size=None) -> Figure:
    """Share of blank channels per spatial layer, in depth order (deeper layers are sparser).

    ``input_size=(height, width)`` runs the image at that size (as for
    :func:`convviz_widgets.activations`).

    Examples
    --------
    >>> import convviz_widgets as cv
    >>> fig = cv.plotting.plot_sparsity(cv.demo_model(), cv.demo_images().images[:8])  # doctest: +SKIP
    """
    acts = compute.activations(model, images, None, preprocess=preprocess, input_size=input_size)
    sp = acts.sparsity()
    fig = _figure(max(4, 0.45 * len(sp) + 1), 3)
    ax = fig.add_subplot()
    ax.bar(range(len(sp)), [100 * v for v in sp.values()], color="#4477aa")
    ax.set_xticks(range(len(sp)), list(sp), rotation=60, ha="right", fontsize=7)
    ax.set_ylabel("blank channels (%)")
    ax.set_title(f"Sparsity by layer over {acts.images.shape[0]} image(s)", fontsize=9)
    return fig


# Filter patterns (maximisation results). A gallery is one mosaic image with text labels, not one
