"""The lessons' named scales in KernelViewer and ActivationViewer.

Each scale is checked against a straightforward numpy version written here, and the live view
against :mod:`convviz_widgets.plotting`: the same grid drawn both ways must be the same RGB
pixels (the view's bytes through its colour table vs matplotlib's colouring of the figure's
image), on every model style.
"""

from __future__ import annotations

import numpy as np
import pytest
import traitlets

from convviz_widgets import compute, plotting
from convviz_widgets.display import SCALES, lut, tile_origin
from convviz_widgets.widgets import ActivationViewer, KernelViewer
from convviz_widgets.widgets._grid import grid_palette, palette_index
from convviz_widgets.widgets._scales import scale_name

from _driver import Driver
from conftest import random_images

SCALE_NAMES = list(SCALES)


def numpy_limits(tiles: np.ndarray, scale: str):
    """(lo, hi) per tile, from the lessons' own recipes."""
    t = np.asarray(tiles, np.float64).reshape(len(tiles), -1)
    n = len(t)
    if scale == "symmetric":
        m = np.abs(t).max()
        return np.full(n, -m), np.full(n, m)
    if scale == "shared":
        return np.full(n, t.min()), np.full(n, t.max())
    if scale == "raw":
        return np.zeros(n), np.ones(n)
    if scale == "per_slice":  # img -= img.min(); img /= img.max()
        return t.min(1), t.max(1)
    if scale == "standardize":  # (x - mean) / std * 64 + 128 on 0..255
        mean, std = t.mean(1), t.std(1) + 1e-5
        return mean - 2 * std, mean + 127 / 64 * std
    return np.percentile(t, 0.5, axis=1), np.percentile(t, 99.5, axis=1)


def centred(lo, hi):
    """A diverging map's window: widened to [-m, m] around 0 (issue 23: its white must be 0)."""
    m = np.maximum(np.abs(lo), np.abs(hi))
    return -m, m


def shown_rgb(view, colormap) -> np.ndarray:
    """The view's tiles ``(n, h, w, 3)`` as the browser colours them."""
    n, h, w, _ = view.shape
    codes = np.frombuffer(view.tiles.tobytes(), np.uint8).reshape(n, h, w)
    return lut(colormap)[codes]


def figure_rgb(fig) -> np.ndarray:
    """The figure's mosaic image coloured as matplotlib draws it, ``(H, W, 3)`` uint8."""
    im = [ax for ax in fig.axes if ax.images][0].images[0]
    return im.to_rgba(im.get_array(), bytes=True)[..., :3]


def figure_entries(fig) -> np.ndarray:
    """Which of its 256 colour-table entries matplotlib picks for each pixel of the figure's
    image: recoloured with a table whose entry ``k`` has red byte ``k``."""
    from matplotlib.colors import ListedColormap

    im = [ax for ax in fig.axes if ax.images][0].images[0]
    red = np.minimum((np.arange(256) + 0.5) / 255, 1.0)  # bytes: trunc(k + 0.5) = k
    probe = ListedColormap(np.stack([red, np.zeros(256), np.zeros(256)], axis=1), N=256)
    old = im.get_cmap()
    im.set_cmap(probe)
    try:
        return im.to_rgba(im.get_array(), bytes=True)[..., 0]
    finally:
        im.set_cmap(old)


def tiles_of(img: np.ndarray, n: int, cols: int, h: int, w: int) -> np.ndarray:
    out = []
    for k in range(n):
        y, x = tile_origin(k, cols, h, w)
        out.append(img[y:y + h, x:x + w])
    return np.stack(out)


@pytest.mark.parametrize("scale", SCALE_NAMES)
def test_kernel_viewer_scales_match_numpy_and_plotting(models, style, scale):
    model = models[style]
    kv = KernelViewer(model)
    layer = kv.layer
    f = 0
    kv.scale = scale
    w = compute.kernels(model, layer)[..., f]  # (kh, kw, cin)
    tiles = np.moveaxis(w, -1, 0)
    lo, hi = numpy_limits(tiles, scale)
    assert kv.colormap == "RdBu_r"  # diverging: every scale's window is centred on 0
    lo, hi = centred(lo, hi)
    got = np.frombuffer(kv.slices.tiles.tobytes(), np.uint8).reshape(tiles.shape)
    span = np.where(hi > lo, hi - lo, 1.0)[:, None, None]
    v = np.clip((tiles - lo[:, None, None]) / span, 0, 1)
    want = np.where((hi > lo)[:, None, None], np.minimum(np.floor(v * 256), 255), 128)
    assert np.abs(got.astype(int) - want).max() <= 1, scale
    assert (got == want).mean() > 0.97
    # The same pixels as the handout figure drawn by plotting.
    fig = plotting.plot_filter_slices(model, layer, f, scale=scale, cmap=kv.colormap)
    cin, kh, kw = tiles.shape
    from_fig = tiles_of(figure_rgb(fig), cin, min(16, cin), kh, kw)
    np.testing.assert_array_equal(shown_rgb(kv.slices, kv.colormap), from_fig)
    # The colour bar names the scale, with its limits where one range holds.
    bar = kv.scale_bar.value
    assert scale_name(scale) in bar
    if scale in ("symmetric", "shared", "raw"):
        assert f"{lo[0]:.3g}".replace("-", "−") in bar and f"{hi[0]:.3g}" in bar


def test_kernel_viewer_layer_range_matches_plotting(models):
    model = models["functional"]
    kv = KernelViewer(model, layer="last_conv", filter_index=2, scale="shared",
                      scale_over="layer", colormap="RdBu")
    fig = plotting.plot_filter_slices(model, "last_conv", 2, scale="shared",
                                      shared_scale="layer", cmap="RdBu")
    w = compute.kernels(model, "last_conv")
    # RdBu is diverging: the layer's [min, max] widened to ±max|w| around 0.
    m = float(np.abs(w).max())
    assert kv.scale_bar.value.count(f"{-m:.3g}".replace("-", "−")) == 2  # end + caption
    cin, kh, kw = w.shape[2], w.shape[0], w.shape[1]
    np.testing.assert_array_equal(shown_rgb(kv.slices, "RdBu"),
                                  tiles_of(figure_rgb(fig), cin, cin, kh, kw))


def test_kernel_viewer_old_scale_names_and_errors(models):
    kv = KernelViewer(models["sequential"], scale="layer")
    assert (kv.scale, kv.scale_over) == ("symmetric", "layer")
    kv.scale = "filter"
    assert (kv.scale, kv.scale_over) == ("symmetric", "filter")
    with pytest.raises(traitlets.TraitError, match="Unknown scale 'zscore'"):
        kv.scale = "zscore"
    assert kv.scale == "symmetric"
    Driver(kv).menu("per_slice").value = "per_slice"  # the menu
    assert kv.scale == "per_slice" and "per slice" in kv.scale_bar.value


@pytest.mark.parametrize("scale", SCALE_NAMES)
def test_activation_viewer_scales_match_numpy_and_plotting(models, style, scale):
    model = models[style]
    image = random_images(model, n=1, seed=3)[0]
    av = ActivationViewer(model, [image])
    av.scale = scale
    layer = av.layer
    a = compute.activations(model, image, [layer])[layer][0]  # (h, w, c)
    tiles = np.moveaxis(a, -1, 0)
    lo, hi = numpy_limits(tiles, scale)
    f = av.filter_index
    np.testing.assert_allclose([av.enlarged.vmin, av.enlarged.vmax], [lo[f], hi[f]],
                               rtol=1e-4, atol=1e-5)
    c, h, w = tiles.shape
    fig = plotting.plot_activation_grid(model, image, layer, normalize=scale, cmap=av.colormap,
                                        cols=c)
    from_fig = tiles_of(figure_rgb(fig), c, c, h, w)  # (c, h, w, 3)
    # The enlarged channel: every pixel as in the figure.
    np.testing.assert_array_equal(shown_rgb(av.enlarged, av.colormap)[0], from_fig[f])
    # The grid: each tile is the channel resampled (nearest, pixel centres) to the tile size,
    # drawn through the grid's palette, which keeps one of its 256 entries for the gap colour
    # and so shows the colour table at 255 levels: the figure's colour-table entry of each
    # pixel, through that palette, is what the grid must show.
    table = lut(av.colormap)
    fig_entries = tiles_of(figure_entries(fig), c, c, h, w)  # (c, h, w)
    palette = grid_palette(table)
    lay = av.canvas.grid_layout
    grid = av.grid_image
    ri = np.minimum(((np.arange(lay.th) + 0.5) * h / lay.th).astype(int), h - 1)
    ci = np.minimum(((np.arange(lay.tw) + 0.5) * w / lay.tw).astype(int), w - 1)
    for k in range(min(c, lay.n)):
        want = palette[palette_index(fig_entries[k][ri][:, ci].astype(np.uint8))]
        np.testing.assert_array_equal(_data_tile(grid, lay, k), want, err_msg=f"tile {k}")
    assert "convviz-scalebar" in av.scale_bar.value


def _data_tile(grid, lay, k):
    """Tile ``k`` of the grid page at data resolution (the layout's own tile rectangle)."""
    x, y, tw, th = lay.tile_rect(k)
    z = lay.zoom
    return grid[y // z:y // z + lay.th, x // z:x // z + lay.tw]


def test_activation_normalize_is_the_old_name_of_scale(models):
    model = models["sequential"]
    av = ActivationViewer(model, random_images(model, 1), normalize="layer")
    assert av.scale == "shared" and av.normalize == "layer"
    av.normalize = "standardize"
    assert av.scale == "standardize" and av.normalize == "standardize"
    av.normalize = "channel"
    assert av.scale == "per_slice"
    with pytest.raises(traitlets.TraitError, match="normalize must be"):
        av.normalize = "image"
    Driver(av).menu("stretch").value = "stretch"
    assert av.scale == "stretch" and "0.5" in av.scale_bar.value


@pytest.mark.parametrize("lang,word", [("es", "estandarizar"), ("pt", "padronizar")])
def test_scale_menu_and_bar_are_translated(models, lang, word):
    model = models["grayscale"]
    av = ActivationViewer(model, random_images(model, 1), lang=lang, scale="standardize")
    assert word in av.scale_bar.value
    assert word in dict((v, k) for k, v in Driver(av).menu("standardize").options)["standardize"]
