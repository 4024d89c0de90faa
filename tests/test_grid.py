"""The activation channel grid (``ChannelGrid``): what the browser receives and what a click does.

The grid is the anywidget raster: the page, the blank-channel crosses, the outline and one hover
line per tile are model state, and the only pointer message is a click. These tests drive it
the way the browser does (the raster's custom ``click`` message) on every model style;
``tests/browser/test_grid_geometry_browser.py`` runs the bundled JavaScript hit-test itself.
"""

from __future__ import annotations

import keras
import numpy as np
import pytest

from convviz_widgets import compute
from convviz_widgets.widgets import ActivationViewer
from convviz_widgets.widgets._grid import (PAGE_SIZE, ChannelGrid, compose_grid, grid_palette,
                                           palette_index, plan_grid, resample_indices,
                                           split_grid)
from convviz_widgets.widgets._pixels import lut, lut_bytes

from conftest import random_images


def click(grid: ChannelGrid, tile: int, dy: float = 0.5, dx: float = 0.5) -> None:
    """The message raster.js sends for a click inside ``tile`` (at a fraction of the tile)."""
    layout = grid.grid_layout
    grid._handle_custom_msg({"event": "click", "tile": tile, "y": int(dy * layout.th),
                             "x": int(dx * layout.tw)}, [])


def tiles_sent(grid: ChannelGrid) -> np.ndarray:
    n, h, w, c = grid.shape
    assert c == 1
    return np.frombuffer(grid.data, np.uint8).reshape(n, h, w)


def dead_channel_model(dead=(1, 4)):
    """Conv layer of 6 channels on a non-square input; only the ``dead`` ones never exceed 0."""
    inp = keras.Input((11, 17, 3))
    x = keras.layers.Conv2D(6, 3, activation="relu", name="conv")(inp)
    x = keras.layers.Conv2D(4, 3, activation="relu", name="conv2")(x)
    model = keras.Model(inp, keras.layers.GlobalAveragePooling2D()(x), name="dead")
    kernel, bias = model.get_layer("conv").get_weights()
    # Non-negative weights and bias: the other channels are > 0 on any picture in [0, 1].
    kernel, bias = np.abs(kernel), np.full_like(bias, 0.5)
    for ch in dead:
        kernel[..., ch] = 0.0
        bias[ch] = -1.0
    model.get_layer("conv").set_weights([kernel, bias])
    return model


def test_grid_state_is_the_page_every_style(models, style):
    model = models[style]
    av = ActivationViewer(model, random_images(model, n=1))
    for info in compute.conv_layers(model, kind="spatial")[:3]:
        av.layer = info.path
        grid, layout = av.canvas, av._grid_layout
        # The tiles are the composed page's tiles; geometry and size follow the layout.
        np.testing.assert_array_equal(tiles_sent(grid), split_grid(av._grid_index, layout))
        assert (grid.columns, grid.zoom, grid.gap, grid.pad) == (
            layout.cols, layout.zoom, layout.zoom, layout.zoom)
        assert (grid.width, grid.height) == (layout.width, layout.height)
        assert grid.lut == grid_palette(lut(av.colormap)).tobytes()
        # Blank channels (compute's rule) are the crossed tiles; one hover line per tile.
        blank = compute.activations(model, av.frame().image, [info.path]).stats(info.path).blank[0]
        assert grid.marked == [int(i) for i in np.flatnonzero(blank[:layout.n])]
        assert len(grid.tile_info) == layout.n
        assert grid.tile_info[0].startswith("channel 0:")


def test_click_message_selects_the_channel_every_style(models, style):
    model = models[style]
    av = ActivationViewer(model, random_images(model, n=1))
    n = av._grid_layout.n
    target = n - 1 if av.filter_index != n - 1 else 0
    click(av.canvas, target, dy=0.9, dx=0.1)
    assert av.filter_index == target and av._slider.value == target
    assert av.canvas.selected == target
    # The enlarged view follows.
    assert av.enlarged.title.startswith(f"channel {target} ")


def test_a_click_outside_the_page_changes_nothing(models):
    av = ActivationViewer(models["functional"], random_images(models["functional"], n=1))
    av.filter_index = 1
    data = av.canvas.data
    n = av._grid_layout.n
    av.canvas._handle_custom_msg({"event": "click", "tile": n, "y": 0, "x": 0}, [])  # stale
    av.canvas._handle_custom_msg({"event": "click", "tile": "nan?"}, [])  # malformed: ignored
    assert av.filter_index == 1 and av.canvas.data == data


def test_blank_channels_are_crossed_and_described():
    model = dead_channel_model()
    av = ActivationViewer(model, np.random.default_rng(1).random((1, 13, 9, 3)), layer="conv")
    assert av.canvas.marked == [1, 4]
    assert [i for i, line in enumerate(av.canvas.tile_info) if line.endswith("· blank")] == [1, 4]
    es = ActivationViewer(model, np.random.default_rng(1).random((1, 13, 9, 3)), layer="conv",
                          lang="es")
    assert es.canvas.marked == [1, 4] and "blank" not in " ".join(es.canvas.tile_info)
    # A click on a crossed tile still selects it (a blank channel is worth looking at).
    click(av.canvas, 4)
    assert av.filter_index == 4 and av.canvas.selected == 4


def test_colormap_change_sends_only_the_palette():
    av = ActivationViewer(dead_channel_model(), np.random.default_rng(1).random((1, 13, 9, 3)))
    changed = []
    av.canvas.observe(lambda ch: changed.append(ch["name"]), names=traitlets_names(av.canvas))
    av.colormap = "magma"
    assert changed == ["lut"]
    assert av.canvas.lut == grid_palette(lut("magma")).tobytes()
    changed.clear()
    av.filter_index = 3  # a channel change moves the outline only
    assert changed == ["selected"] and av.canvas.selected == 3


def traitlets_names(widget) -> list[str]:
    return [name for name in widget.trait_names(sync=True) if not name.startswith("_")]


def test_click_on_the_second_page():
    inp = keras.Input((9, 13, 3))
    x = keras.layers.Conv2D(300, 3, activation="relu", name="c300")(inp)
    model = keras.Model(inp, keras.layers.GlobalAveragePooling2D()(x))
    av = ActivationViewer(model, np.random.default_rng(0).random((1, 9, 13, 3)))
    av.page = 1
    assert av._grid_layout.n == 300 - PAGE_SIZE and len(av.canvas.tile_info) == 44
    assert av.canvas.tile_info[5].startswith(f"channel {PAGE_SIZE + 5}:")
    click(av.canvas, 5)
    assert av.filter_index == PAGE_SIZE + 5 and av.canvas.selected == 5


def test_empty_viewer_clears_the_grid(models):
    av = ActivationViewer(models["sequential"], random_images(models["sequential"], n=1))
    av.images = []
    assert av.canvas.shape == [0, 0, 0, 1] and av.canvas.data == b""
    assert (av.canvas.width, av.canvas.height) == (0, 0) and av.canvas.marked == []


@pytest.mark.parametrize("n,h,w", [(1, 1, 1), (7, 5, 3), (64, 14, 14), (256, 28, 20)])
def test_show_page_round_trips_any_layout(n, h, w):
    layout = plan_grid(n, h, w)
    codes = np.random.default_rng(n).integers(0, 256, (h, w, n), dtype=np.uint8)
    index = compose_grid(codes, layout)
    grid = ChannelGrid()
    sent = grid.show_page(index, layout, grid_palette(lut("gray")), marked=[0], selected=n)
    assert sent == n * layout.th * layout.tw == len(grid.data)
    assert grid.selected == -1  # out of the page: no outline
    # Each tile sent is its map, resampled to the layout's tile size, as palette entries.
    small = codes[resample_indices(h, layout.th)][:, resample_indices(w, layout.tw)]
    np.testing.assert_array_equal(tiles_sent(grid), palette_index(np.moveaxis(small, -1, 0)))
    with pytest.raises(ValueError, match="palette"):
        grid.set_palette(np.zeros((10, 3), np.uint8))
    assert grid.set_palette(grid_palette(lut("viridis"))) == 768
    assert grid.lut != lut_bytes("viridis")  # entry 0 is the background grey, not the colormap
