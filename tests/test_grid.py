"""The activation channel grid (``ChannelGrid``): what the browser receives and what a click does.

The grid is a component (an anywidget raster with public traits): the page's tiles, the
blank-channel crosses, the outline and one hover line per tile are model state, and the only
pointer message is a click as ``(tile, y, x)``. These tests drive it the way the browser does
(the raster's custom ``click`` message) and the views through their controls (``tests/_driver``)
on every model style;
``tests/browser/test_grid_geometry_browser.py`` runs the bundled JavaScript hit-test itself.
"""

from __future__ import annotations

import json

import keras
import numpy as np
import pytest
import traitlets

from convviz_widgets import compute
from convviz_widgets.widgets import ActivationViewer
from convviz_widgets.widgets._grid import (PAGE_SIZE, ChannelGrid, compose_page, grid_palette,
                                           page_tiles, palette_index, plan_grid,
                                           resample_indices)
from convviz_widgets.widgets._pixels import lut, lut_bytes
from convviz_widgets.widgets._raster import RasterView, tiles_from_json, tiles_to_json

from _driver import Driver, RecordingComm, walk
from conftest import random_images


def click(grid: ChannelGrid, tile: int, dy: float = 0.5, dx: float = 0.5) -> None:
    """The message raster.js sends for a click inside ``tile`` (at a fraction of the tile)."""
    layout = grid.grid_layout
    grid._handle_custom_msg({"event": "click", "tile": tile, "y": int(dy * layout.th),
                             "x": int(dx * layout.tw)}, [])


def tiles_sent(grid: ChannelGrid) -> np.ndarray:
    """The grid's tile trait as the front end receives it: ``{dtype, shape, bytes}``."""
    wire = grid.get_state("tiles")["tiles"]
    assert wire["dtype"] == "uint8" and len(wire["shape"]) == 3  # (n, th, tw) palette indices
    return np.frombuffer(wire["bytes"], np.uint8).reshape(wire["shape"])


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
        grid = av.canvas
        layout = grid.grid_layout
        # The tiles are the layer's maps, one per channel of the page, resampled to the tile
        # size: nothing composed in Python (the browser lays them out).
        assert tiles_sent(grid).shape == (layout.n, layout.th, layout.tw)
        assert layout.n == min(PAGE_SIZE, info.output_shape[-1])
        # The page exported is those tiles in the grid's columns, coloured by the palette.
        np.testing.assert_array_equal(
            av.grid_image, grid_palette(lut(av.colormap))[compose_page(tiles_sent(grid), layout)])
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
    n = av.canvas.grid_layout.n
    target = n - 1 if av.filter_index != n - 1 else 0
    click(av.canvas, target, dy=0.9, dx=0.1)
    assert av.filter_index == target and Driver(av).control("convviz-channel").value == target
    assert av.canvas.selected == target
    # The enlarged view follows.
    assert av.enlarged.title.startswith(f"channel {target} ")


def test_a_click_outside_the_page_changes_nothing(models):
    av = ActivationViewer(models["functional"], random_images(models["functional"], n=1))
    av.filter_index = 1
    tiles = av.canvas.tiles
    n = av.canvas.grid_layout.n
    av.canvas._handle_custom_msg({"event": "click", "tile": n, "y": 0, "x": 0}, [])  # stale
    av.canvas._handle_custom_msg({"event": "click", "tile": "nan?"}, [])  # malformed: ignored
    assert av.filter_index == 1 and av.canvas.tiles is tiles


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
    assert av.canvas.grid_layout.n == 300 - PAGE_SIZE and len(av.canvas.tile_info) == 44
    assert av.canvas.tile_info[5].startswith(f"channel {PAGE_SIZE + 5}:")
    click(av.canvas, 5)
    assert av.filter_index == PAGE_SIZE + 5 and av.canvas.selected == 5


def test_empty_viewer_clears_the_grid(models):
    av = ActivationViewer(models["sequential"], random_images(models["sequential"], n=1))
    av.images = []
    assert av.canvas.shape == [0, 0, 0, 1] and av.canvas.tiles.size == 0
    assert (av.canvas.width, av.canvas.height) == (0, 0) and av.canvas.marked == []


@pytest.mark.parametrize("n,h,w", [(1, 1, 1), (7, 5, 3), (64, 14, 14), (256, 28, 20)])
def test_show_page_round_trips_any_layout(n, h, w):
    layout = plan_grid(n, h, w)
    codes = np.random.default_rng(n).integers(0, 256, (h, w, n), dtype=np.uint8)
    grid = ChannelGrid()
    sent = grid.show_page(page_tiles(codes, layout), layout, grid_palette(lut("gray")),
                          marked=[0], selected=n)
    assert sent == n * layout.th * layout.tw == grid.tiles.nbytes
    assert grid.selected == -1  # out of the page: no outline
    # Each tile sent is its map, resampled to the layout's tile size, as palette entries.
    small = codes[resample_indices(h, layout.th)][:, resample_indices(w, layout.tw)]
    np.testing.assert_array_equal(tiles_sent(grid), palette_index(np.moveaxis(small, -1, 0)))
    with pytest.raises(ValueError, match="palette"):
        grid.set_palette(np.zeros((10, 3), np.uint8))
    assert grid.set_palette(grid_palette(lut("viridis"))) == 768
    assert grid.lut != lut_bytes("viridis")  # entry 0 is the background grey, not the colormap


def test_show_page_refuses_tiles_of_another_layout():
    layout = plan_grid(4, 6, 6)
    with pytest.raises(ValueError, match="do not match the layout"):
        ChannelGrid().show_page(np.zeros((3, 6, 6), np.uint8), layout, grid_palette(lut("gray")))


def test_a_click_sets_the_grid_selected_trait_without_a_host():
    """The grid is a component: a click selects its tile on its own, a view only observes."""
    layout = plan_grid(6, 4, 5)
    grid = ChannelGrid()
    grid.show_page(page_tiles(np.zeros((4, 5, 6), np.uint8), layout), layout,
                   grid_palette(lut("gray")), selected=0)
    seen = []
    grid.observe(lambda ch: seen.append(ch["new"]), "selected")
    click(grid, 4)
    assert grid.selected == 4 and seen == [4]


def record_messages(view) -> list:
    """Every state message the kernel sends for the widgets of ``view``:
    ``(widget class, traits, bytes)`` (JSON state plus binary buffers)."""
    log = []
    for wd in walk(view):
        def send(msg, buffers=None, _wd=wd, _send=wd._send):
            state = msg.get("state", {})
            nbytes = len(json.dumps(state, default=str)) + sum(len(b) for b in buffers or [])
            log.append((type(_wd).__name__, sorted(state), nbytes))
            return _send(msg, buffers)
        wd._send = send
    return log


@pytest.mark.parametrize("how", ["slider", "click"])
def test_a_selection_move_sends_one_small_grid_message(models, how):
    """Moving the selection (slider or click) never resends the tiles: the grid gets one
    message with its ``selected`` trait, a few bytes; the browser moves the outline alone."""
    model = models["nested"]
    av = ActivationViewer(model, random_images(model, n=1))
    tiles = av.canvas.tiles
    log = record_messages(av)
    if how == "slider":
        Driver(av).set("convviz-channel", 2)
    else:
        click(av.canvas, 2)
    assert av.filter_index == 2 and av.canvas.selected == 2 and av.canvas.tiles is tiles
    grid = [entry for entry in log if entry[0] == "ChannelGrid"]
    assert [traits for _, traits, _ in grid] == [["selected"]]
    assert grid[0][2] < 64


def count_changes(widget, name: str) -> list:
    """Every value ``widget.name`` takes from now on (what the kernel would sync)."""
    seen: list = []
    widget.observe(lambda ch: seen.append(ch["new"]), name)
    return seen


@pytest.mark.parametrize("how", ["slider", "click", "trait"])
def test_a_selection_move_never_resends_the_tiles(models, how):
    """The tile trait is the grid's only large value: moving the selection (a slider step, a
    click on a tile, the view's channel trait) changes it zero times, ``selected`` once."""
    model = models["functional"]
    av = ActivationViewer(model, random_images(model, n=1))
    tiles, selected = count_changes(av.canvas, "tiles"), count_changes(av.canvas, "selected")
    for k in (1, 2, 3):
        if how == "slider":
            Driver(av).set("convviz-channel", k)
        elif how == "click":
            click(av.canvas, k)
        else:
            av.filter_index = k
    assert av.filter_index == 3 and selected == [1, 2, 3] and tiles == []


def test_the_explorer_moves_the_grid_outline_without_resending_tiles(models):
    """In the Explorer a channel-slider step reaches the shown grid as one ``selected``
    change; the tile trait does not change at all (the browser redraws the outline only)."""
    from convviz_widgets.widgets._explorer import Explorer
    from convviz_widgets.i18n import tr

    model = models["functional"]
    ex = Explorer(model, random_images(model, 1))
    ex.tabs.selected_index = ex.tabs.titles.index(tr("page.activations", ex.lang))
    grid = ex.activations.canvas
    assert grid.tiles.size > 0  # the page is drawn (it is shown)
    tiles, selected = count_changes(grid, "tiles"), count_changes(grid, "selected")
    log = record_messages(grid)
    slider = Driver(ex).control("convviz-channel", shown_only=True)
    slider.value = 2
    slider.value = 1
    assert grid.selected == 1 and selected == [2, 1] and tiles == []
    assert all(traits == ["selected"] and nbytes < 64 for _, traits, nbytes in log)


def test_the_tiles_travel_as_one_array_value():
    """``{dtype, shape, bytes}``: the bytes are one binary buffer (never base64 text), the shape
    travels with them (one message can never pair new pixels with an old shape)."""
    from ipywidgets.widgets.widget import _remove_buffers

    view = RasterView()
    rgb = np.arange(2 * 3 * 4 * 3, dtype=np.uint8).reshape(2, 3, 4, 3)
    view.set_tiles(rgb, stacked=True)
    state, paths, buffers = _remove_buffers(view.get_state("tiles"))
    assert state == {"tiles": {"dtype": "uint8", "shape": [2, 3, 4, 3]}}
    assert paths == [["tiles", "bytes"]] and bytes(buffers[0]) == rgb.tobytes()
    grey = np.zeros((5, 2, 3), np.uint8)
    view.set_tiles(grey, stacked=True)
    assert view.get_state("tiles")["tiles"]["shape"] == [5, 2, 3] and view.shape == [5, 2, 3, 1]
    # What the front end would send back reads as the same stack.
    assert np.array_equal(tiles_from_json(tiles_to_json(view.tiles)), grey)


def test_the_tile_trait_is_a_read_only_copy_and_says_what_it_takes():
    view = RasterView()
    mine = np.zeros((2, 3, 3), np.uint8)
    view.tiles = mine
    mine[:] = 9  # the caller's array changes later: the widget's value does not
    assert view.tiles.max() == 0 and not view.tiles.flags.writeable
    with pytest.raises(ValueError):
        view.tiles[0, 0, 0] = 1
    with pytest.raises(traitlets.TraitError, match="must be uint8.*quantise"):
        view.tiles = np.zeros((2, 3, 3), np.float32)
    with pytest.raises(traitlets.TraitError, match=r"\(n, h, w\) or \(n, h, w, 3\|4\)"):
        view.tiles = np.zeros((3, 3), np.uint8)
    seen = count_changes(view, "tiles")
    view.tiles = np.zeros((2, 3, 3), np.uint8)  # equal pictures: nothing to send
    view.tiles = np.ones((2, 3, 3), np.uint8)
    assert len(seen) == 1


def test_the_tiles_open_the_comm_late_like_every_binary_trait(monkeypatch):
    """Colab's manager fails a comm that opens with buffers: a grid created with its tiles opens
    without them and sends them in the very next message, in one buffer (``BytesAfterOpen``)."""
    import comm as comm_pkg

    log: list = []
    monkeypatch.setattr(comm_pkg, "create_comm", lambda **kw: RecordingComm(log, **kw))
    pixels = np.arange(2 * 3 * 5, dtype=np.uint8).reshape(2, 3, 5)
    grid = ChannelGrid(tiles=pixels)
    mine = [entry[2:] for entry in log if entry[0] is grid.comm]
    (opened, open_buffers), (update, buffers) = mine[:2]
    assert "tiles" not in opened["state"] and open_buffers == [] and opened["buffer_paths"] == []
    assert update["state"]["tiles"] == {"dtype": "uint8", "shape": [2, 3, 5]}
    at = update["buffer_paths"].index(["tiles", "bytes"])
    assert bytes(buffers[at]) == pixels.tobytes()
