"""Headless tests of KernelViewer and ActivationViewer: traits, buffers, callbacks.

No browser here: the widgets' synced traits (and the grid page kept in Python) are what the
browser would receive. Expected pixels are computed in this file from
:mod:`convviz_widgets.compute` output with the test's own quantisation, not the widgets'.
The real-browser counterpart is tests/browser/test_views_browser.py.
"""

from __future__ import annotations

import io
import pathlib
import re
import sys
import types

import ipywidgets as ipw
import numpy as np
import pytest
import traitlets

from convviz_widgets import compute
from convviz_widgets.widgets import ActivationViewer, ConvStepViewer, KernelViewer
from convviz_widgets.widgets import _base
from convviz_widgets.widgets._grid import PAGE_SIZE, compose_page
from convviz_widgets.widgets._upload import ImageUpload

from _driver import Driver
from conftest import STYLES, input_hw

WIDGETS_DIR = pathlib.Path(__file__).resolve().parent.parent / "convviz_widgets" / "widgets"


# -- oracles --------------------------------------------------------------------------------

def codes(values, lo, hi, flat=0):
    """round((v - lo) / (hi - lo) * 255), the documented quantisation."""
    values = np.asarray(values, np.float64)
    if hi <= lo:
        return np.full(values.shape, flat, np.uint8)
    return np.clip(np.floor((values - lo) / (hi - lo) * 255 + 0.5), 0, 255).astype(np.uint8)


def entries(values, lo, hi, flat=0):
    """min(floor((v - lo) / (hi - lo) * 256), 255): the colour-table entry matplotlib picks,
    which the scaled views send so that plotting and the view are the same pixels."""
    values = np.asarray(values, np.float64)
    if hi <= lo:
        return np.full(values.shape, flat, np.uint8)
    return np.clip(np.floor((values - lo) / (hi - lo) * 256), 0, 255).astype(np.uint8)


def assert_close_codes(actual, expected, what=""):
    """Equal up to one step (float32 vs float64 rounding at .5 boundaries)."""
    diff = np.abs(actual.astype(int) - expected.astype(int))
    assert diff.max() <= 1, f"{what}: max code difference {diff.max()}"
    assert (diff == 0).mean() > 0.98, f"{what}: only {(diff == 0).mean():.1%} exact"


def raster(view) -> np.ndarray:
    n, h, w, c = view.shape
    assert view.tiles.size == n * h * w * c
    return np.frombuffer(view.tiles.tobytes(), np.uint8).reshape(n, h, w, c)


def images_for(model, n=2, seed=0, scale=(1.25, 0.8)):
    """Non-square pictures of another size than the model input (the viewer resizes)."""
    h, w, c = input_hw(model)
    hh, ww = int(h * scale[0]) + 1, int(w * scale[1]) + 1
    return np.random.default_rng(seed).random((n, hh, ww, c)).astype(np.float32)


def check_kernel_view(kv: KernelViewer, model) -> None:
    w = compute.kernels(model, kv.layer)  # (kh, kw, cin, cout)
    kh, kw, cin, cout = w.shape
    f = kv.filter_index
    wf = w[..., f]
    lim = float(np.abs(wf).max())
    got = raster(kv.slices)
    assert got.shape == (cin, kh, kw, 1)
    want = entries(np.moveaxis(wf, -1, 0), -lim, lim, flat=128)
    assert_close_codes(got[..., 0], want, f"slices of {kv.layer}[{f}]")
    assert kv.slices.vmin == pytest.approx(-lim) and kv.slices.vmax == pytest.approx(lim)
    ov = raster(kv.overview)
    assert ov.shape == (1, cout, cin, 1)
    assert kv.overview.selected_row == f
    stats = compute.kernel_stats(model, kv.layer)
    assert kv.overview.row_marks == [int(i) for i in np.flatnonzero(stats.dead)]
    assert Driver(kv).top("convviz-channel") == cout - 1 and Driver(kv).control("convviz-channel").value == f
    if cin == 3:
        comp = raster(kv.composite)
        assert comp.shape == (1, kh, kw, 3)
        assert_close_codes(comp[0], codes(0.5 + wf / (2 * lim), 0, 1), "RGB composite")
        assert kv.composite.layout.display != "none"
    else:
        assert kv.composite.layout.display == "none"


def check_activation_view(av: ActivationViewer, model) -> None:
    acts = compute.activations(model, av.images[av.image_index], [av.layer],
                               preprocess=av.preprocess)
    a = acts[av.layer][0]  # (h, w, c)
    h, w, c = a.shape
    f = av.filter_index
    ch = a[..., f]
    if av.normalize == "channel":
        lo, hi = float(ch.min()), float(ch.max())
    else:
        lo, hi = float(a.min()), float(a.max())
    got = raster(av.enlarged)
    assert got.shape[1:3] == ch.shape or max(h, w) > 512
    assert_close_codes(got[0, ..., 0], entries(ch, lo, hi), f"enlarged {av.layer}[{f}]")
    if av.enlarged.values:  # small maps also carry exact float32 values for hovering
        exact = np.frombuffer(av.enlarged.values, np.float32).reshape(ch.shape)
        np.testing.assert_array_equal(exact, ch)
    assert av.enlarged.vmin == pytest.approx(lo, rel=1e-5, abs=1e-6)
    assert av.enlarged.vmax == pytest.approx(hi, rel=1e-5, abs=1e-6)
    # Grid: the right page, sized as planned, with compute's blank channels marked.
    page = f // PAGE_SIZE
    start, stop = page * PAGE_SIZE, min(c, (page + 1) * PAGE_SIZE)
    layout = av.canvas.grid_layout
    assert layout.n == stop - start and av.page == page
    img = av.grid_image
    assert img.shape == (layout.data_height, layout.data_width, 3)
    assert (av.canvas.width, av.canvas.height) == (layout.width, layout.height)
    blank = acts.stats(av.layer).blank[0]
    assert av.canvas.marked == [int(i) for i in np.flatnonzero(blank[start:stop])]
    assert f"{int(blank.sum())} of {c} channels blank" in Driver(av).html("convviz-sparsity")
    # The input panel shows what was fed to the model.
    fed = raster(av.input_view)
    assert fed.shape[1:3] == acts.images.shape[1:3]
    assert Driver(av).top("convviz-channel") == c - 1 and Driver(av).control("convviz-channel").value == f


# -- every model style ------------------------------------------------------------------------

def test_kernel_viewer_every_style_every_layer(models, style):
    model = models[style]
    kv = KernelViewer(model)
    paths = [i.path for i in compute.conv_layers(model, kind="kernel")]
    assert Driver(kv).options("convviz-layer") == paths
    for path in paths:
        kv.layer = path
        check_kernel_view(kv, model)
        kv.filter_index = compute.resolve_layer(model, path).kernel_shape[-1] - 1
        check_kernel_view(kv, model)


def test_activation_viewer_every_style_every_layer(models, style):
    model = models[style]
    av = ActivationViewer(model, images_for(model))
    paths = [i.path for i in compute.conv_layers(model, kind="spatial")]
    assert Driver(av).options("convviz-layer") == paths
    for path in paths:
        av.layer = path
        check_activation_view(av, model)
        av.filter_index = Driver(av).top("convviz-channel")
        check_activation_view(av, model)
    av.image_index = 1
    check_activation_view(av, model)
    av.normalize = "layer"
    check_activation_view(av, model)


def test_grayscale_model_with_gray_and_rgb_pictures(models):
    model = models["grayscale"]
    h, w, _ = input_hw(model)
    rng = np.random.default_rng(3)
    gray = rng.random((h + 7, w - 5)).astype(np.float32)       # (h, w): no channel axis
    rgb = (rng.random((h - 3, w + 9, 3)) * 255).astype(np.uint8)  # converted by compute
    av = ActivationViewer(model, [gray, rgb], layer="dconv128", filter_index=6)
    check_activation_view(av, model)
    assert av.input_view.shape[-1] == 1  # shown as grey, the way the model saw it
    av.image_index = 1
    check_activation_view(av, model)


def test_nested_paths_and_layer_objects(models):
    model = models["nested"]
    kv = KernelViewer(model, layer="block2_conv1")  # unique name -> path
    assert kv.layer == "vgg16/block2_conv1"
    kv.layer = model.layers[0].get_layer("block1_conv2")  # layer object -> path
    assert kv.layer == "vgg16/block1_conv2"
    check_kernel_view(kv, model)
    av = ActivationViewer(model, images_for(model, n=1), layer="vgg16/block2_pool")
    assert av.layer == "vgg16/block2_pool"
    check_activation_view(av, model)


# -- traits set from Python, validation, errors ----------------------------------------------

def test_invalid_values_raise_and_keep_state(models):
    model = models["sequential"]
    kv = KernelViewer(model, layer="conv_b", filter_index=4)
    before = (kv.layer, kv.filter_index, kv.slices.tiles.tobytes(), kv.overview.tiles.tobytes())
    with pytest.raises(traitlets.TraitError, match="conv_a"):
        kv.layer = "pool_a"  # no kernel: the message lists the valid layers
    with pytest.raises(traitlets.TraitError, match="No layer"):
        kv.layer = "conv_z"
    with pytest.raises(traitlets.TraitError, match="use 0 to 6"):
        kv.filter_index = 7
    with pytest.raises(traitlets.TraitError):
        kv.colormap = "not-a-colormap"
    assert (kv.layer, kv.filter_index, kv.slices.tiles.tobytes(), kv.overview.tiles.tobytes()) == before

    av = ActivationViewer(model, images_for(model), layer="conv_a", filter_index=2)
    before = (av.layer, av.filter_index, av.enlarged.tiles.tobytes(), av.grid_image.tobytes())
    with pytest.raises(traitlets.TraitError, match="cannot be shown"):
        av.layer = "predictions"
    with pytest.raises(traitlets.TraitError, match="out of range"):
        av.filter_index = 5
    with pytest.raises(traitlets.TraitError, match="out of range"):
        av.image_index = 2
    with pytest.raises(traitlets.TraitError, match=r"\(h, w, 3\)"):
        av.images = [np.zeros((4, 5, 2))]
    with pytest.raises(traitlets.TraitError):
        av.normalize = "image"
    assert (av.layer, av.filter_index, av.enlarged.tiles.tobytes(), av.grid_image.tobytes()) == before
    assert len(av.images) == 2


def _bright_fails(x):
    """A preprocess that refuses bright pictures when run eagerly (compute checks it so)."""
    if hasattr(x, "numpy") and float(np.asarray(x).mean()) > 0.9:
        raise RuntimeError("too bright")
    return x


def test_compute_errors_are_shown_and_the_previous_view_kept(models):
    model = models["functional"]
    dark, bright = images_for(model, n=1, seed=1)[0] * 0.5, np.ones(images_for(model)[0].shape)
    av = ActivationViewer(model, [dark, bright], preprocess=_bright_fails, layer="last_conv")
    check_activation_view(av, model)
    shown = (av.enlarged.tiles.tobytes(), av.grid_image.tobytes(), av.input_view.tiles.tobytes())
    # From Python: the error propagates, the trait is restored.
    with pytest.raises(ValueError, match="too bright"):
        av.image_index = 1
    assert av.image_index == 0 and "too bright" in Driver(av).status()
    assert (av.enlarged.tiles.tobytes(), av.grid_image.tobytes(), av.input_view.tiles.tobytes()) == shown
    # From the dropdown: nothing raises into the comm, the control snaps back.
    Driver(av).set("convviz-image", 1)
    assert av.image_index == 0 and Driver(av).control("convviz-image").value == 0
    assert "too bright" in Driver(av).status() and "previous view is kept" in Driver(av).status()
    assert (av.enlarged.tiles.tobytes(), av.grid_image.tobytes(), av.input_view.tiles.tobytes()) == shown
    # A good change clears the message.
    av.filter_index = 3
    assert Driver(av).status() == ""


def test_fifty_rapid_changes_end_in_the_right_state(models):
    model = models["nested"]
    kv = KernelViewer(model)
    av = ActivationViewer(model, images_for(model))
    rng = np.random.default_rng(7)
    kpaths = [i.path for i in compute.conv_layers(model, kind="kernel")]
    apaths = [i.path for i in compute.conv_layers(model, kind="spatial")]
    for _ in range(50):
        p = kpaths[rng.integers(len(kpaths))]
        kv.layer = p
        f = int(rng.integers(Driver(kv).top("convviz-channel") + 1))  # its filters
        kv.filter_index = f
        q = apaths[rng.integers(len(apaths))]
        av.layer = q
        g = int(rng.integers(Driver(av).top("convviz-channel") + 1))  # its channels
        av.filter_index = g
        av.image_index = int(rng.integers(2))
    assert (kv.layer, kv.filter_index) == (p, f)
    assert (av.layer, av.filter_index) == (q, g)
    check_kernel_view(kv, model)
    check_activation_view(av, model)
    # The same through the controls, as a dragged slider would deliver them.
    for k in range(50):
        Driver(av).control("convviz-channel").value = k % (Driver(av).top("convviz-channel") + 1)
    assert av.filter_index == 49 % (Driver(av).top("convviz-channel") + 1)
    check_activation_view(av, model)


def test_layer_change_clamps_the_filter_index(models):
    model = models["nested"]
    kv = KernelViewer(model, layer="conv2d", filter_index=5)  # 6 filters
    kv.layer = "vgg16/block1_conv1"  # 5 filters
    assert kv.filter_index == 4 and Driver(kv).control("convviz-channel").value == 4
    check_kernel_view(kv, model)


# -- clicks, paging, colormaps -------------------------------------------------------------

def _wide_model():
    import keras

    keras.utils.set_random_seed(11)
    inp = keras.Input((13, 17, 3))
    x = keras.layers.Conv2D(7, 3, padding="same", activation="relu", name="c7")(inp)
    x = keras.layers.Conv2D(300, 3, padding="same", activation="relu", name="c300")(x)
    x = keras.layers.Conv2D(512, 3, padding="same", name="c512")(x)
    x = keras.layers.Conv2D(512, 1, name="d512")(x)
    return keras.Model(inp, keras.layers.GlobalAveragePooling2D()(x), name="wide")


@pytest.fixture(scope="module")
def wide():
    return _wide_model()


def test_tile_click_selects_channel_and_pages(wide):
    av = ActivationViewer(wide, np.random.default_rng(0).random((1, 13, 17, 3)), layer="c300")
    pages = Driver(av).control("page", ipw.Dropdown)
    assert pages.layout.display != "none" and len(pages.options) == 2
    av.filter_index = 280
    assert av.page == 1 and av.canvas.grid_layout.n == 300 - PAGE_SIZE
    check_activation_view(av, wide)
    # What raster.js sends for a click: (tile, data row, data column) of the page.
    Driver(av).click_tile("convviz-grid", 10, y=1, x=2)
    assert av.filter_index == PAGE_SIZE + 10
    assert Driver(av).control("convviz-channel").value == PAGE_SIZE + 10
    Driver(av).click_tile("convviz-grid", 60)  # empty slot
    assert av.filter_index == PAGE_SIZE + 10
    av.page = 0  # turning the page selects its first channel
    assert av.filter_index == 0 and av.canvas.grid_layout.n == PAGE_SIZE
    check_activation_view(av, wide)
    av.layer = "c7"
    assert pages.layout.display == "none" and av.page == 0
    check_activation_view(av, wide)


def test_overview_row_click_selects_filter(wide):
    kv = KernelViewer(wide, layer="c300")
    Driver(kv).click_tile("convviz-overview", 0, y=123, x=2)
    assert kv.filter_index == 123 and Driver(kv).control("convviz-channel").value == 123
    check_kernel_view(kv, wide)
    Driver(kv).click_tile("convviz-overview", 0, y=999)
    assert kv.filter_index == 123 and "out of range" in Driver(kv).status()


def test_large_kernel_layer_is_aggregated(wide):
    kv = KernelViewer(wide, layer="c512")  # (3, 3, 300, 512): 1.4 M weights
    assert kv.overview.shape == [1, 512, 300, 1]  # one byte per kernel slice
    assert kv.last_update["bytes"] < 200_000
    kv.filter_index = 17
    # A filter change sends only its slices: codes plus float32 values for exact hovering.
    assert kv.last_update["bytes"] == 300 * 9 * (1 + 4)
    check_kernel_view(kv, wide)
    # The overview's pixel is the slice's largest-magnitude weight, sign kept.
    w = compute.kernels(wide, "c512")
    flat = w.reshape(9, 300, 512)
    pick = np.take_along_axis(flat, np.abs(flat).argmax(0)[None], 0)[0].T  # (512, 300)
    lim = float(np.abs(w).max())
    assert_close_codes(raster(kv.overview)[0, ..., 0], codes(pick, -lim, lim, 128), "overview")


def test_colormap_changes_send_only_a_lookup_table(models):
    from convviz_widgets.widgets import lut

    model = models["sequential"]
    kv = KernelViewer(model)
    data = kv.slices.tiles.tobytes()
    Driver(kv).set("colormap", "seismic", ipw.Dropdown)
    assert kv.colormap == "seismic" and kv.slices.tiles.tobytes() == data
    assert kv.slices.lut == lut("seismic").tobytes() == kv.overview.lut
    assert kv.last_update["bytes"] == 2 * 768

    av = ActivationViewer(model, images_for(model))
    data, tiles = av.enlarged.tiles.tobytes(), av.canvas.tiles
    av.colormap = "magma"
    assert av.enlarged.tiles.tobytes() == data and av.enlarged.lut == lut("magma").tobytes()
    assert av.canvas.tiles is tiles  # the grid is re-coloured, its tiles not sent again
    # Every grid pixel is the gap grey or a magma colour.
    allowed = {tuple(c) for c in lut("magma")} | {(232, 232, 232)}
    assert {tuple(p) for p in av.grid_image.reshape(-1, 3)} <= allowed
    av.colormap = "gray"
    g = av.grid_image
    assert (g[..., 0] == g[..., 1]).all() and (g[..., 1] == g[..., 2]).all()


def test_scale_toggle_uses_layer_range(models):
    model = models["functional"]
    kv = KernelViewer(model, layer="last_conv", filter_index=3)
    kv.scale = "layer"
    s = compute.kernel_stats(model, "last_conv")
    lim = max(abs(s.vmin), abs(s.vmax))
    assert kv.slices.vmax == pytest.approx(lim)
    wf = compute.kernels(model, "last_conv")[..., 3]
    assert_close_codes(raster(kv.slices)[..., 0],
                       entries(np.moveaxis(wf, -1, 0), -lim, lim, 128), "layer scale")
    assert (kv.scale, kv.scale_over) == ("symmetric", "layer")


# -- images: default, upload, replacement ----------------------------------------------------

def _png(h=20, w=30, mode="RGBA") -> bytes:
    from PIL import Image

    arr = (np.random.default_rng(5).random((h, w, len(mode))) * 255).astype(np.uint8)
    buf = io.BytesIO()
    Image.fromarray(arr, mode).save(buf, "PNG")
    return buf.getvalue()


def test_upload_both_ipywidgets_formats(models):
    model = models["sequential"]
    av = ActivationViewer(model, images_for(model, n=1))
    png = _png()
    # ipywidgets 8: a tuple of dicts with a memoryview.
    d = Driver(av)
    upload = d.control(ImageUpload)
    # What an ipywidgets 8 front end sends: a list of dicts with the content.
    upload.set_state({"value": [{"name": "cat.png", "type": "image/png", "size": len(png),
                                 "content": memoryview(png), "last_modified": 0}]})
    assert len(av.images) == 2 and av.image_index == 1 and av.images[1].shape == (20, 30, 3)
    assert d.labels("convviz-image")[-1] == "upload: cat.png"
    check_activation_view(av, model)
    # What an ipywidgets 7 front end sends: metadata and data lists.
    upload.set_state({"metadata": [{"name": "dog.png", "type": "image/png",
                                    "size": len(png)}], "data": [png]})
    assert len(av.images) == 3 and av.image_index == 2
    # Garbage: the error is shown, nothing else changes.
    shown = av.enlarged.tiles.tobytes()
    upload.set_state({"value": [{"name": "x.png", "type": "image/png", "size": 12,
                                 "content": memoryview(b"not an image"), "last_modified": 0}]})
    assert len(av.images) == 3 and av.image_index == 2 and av.enlarged.tiles.tobytes() == shown
    assert "x.png" in d.status()
    # The real control, in the installed ipywidgets' own format: the same path runs.
    import datetime

    import ipywidgets

    if int(ipywidgets.__version__.split(".")[0]) >= 8:
        upload.value = ({"name": "p.png", "type": "image/png", "size": len(png),
                             "content": memoryview(png),
                             "last_modified": datetime.datetime.now(datetime.timezone.utc)},)
    else:  # read-only there: the front end sets it
        upload.set_trait("value", {"p.png": {"metadata": {"name": "p.png"},
                                                 "content": png}})
    assert len(av.images) == 4 and av.image_index == 3


def test_images_trait_replaced_from_python(models):
    model = models["subclassed"]
    av = ActivationViewer(model, images_for(model, n=3), layer="block2/conv2")
    av.image_index = 2
    av.images = images_for(model, n=1, seed=9)[0]  # one (h, w, c) image
    assert len(av.images) == 1 and av.image_index == 0
    assert Driver(av).labels("convviz-image") == ["image 0"]
    check_activation_view(av, model)


def test_no_images_shows_a_hint(models):
    av = ActivationViewer(models["sequential"], [])
    assert "Upload" in Driver(av).html("convviz-sparsity") and av.grid_image is None
    av.layer = "conv_b"  # still navigable
    av.images = images_for(models["sequential"], n=1)
    check_activation_view(av, models["sequential"])


def test_default_images_come_from_the_demo_when_present(models, monkeypatch):
    h, w, c = input_hw(models["sequential"])
    scenes = types.SimpleNamespace(images=np.random.default_rng(0).random((2, h, w, c)),
                                   labels=np.array([1, 0]), class_names=["disc", "bar"])
    # The views read the demo through the name their module imported at its top.
    monkeypatch.setattr("convviz_widgets.widgets._images.demo_images", lambda: scenes)
    av = ActivationViewer(models["sequential"])
    assert len(av.images) == 2
    assert Driver(av).labels("convviz-image") == ["scene 0: bar", "scene 1: disc"]


# -- reload, Colab, boundary -----------------------------------------------------------------

def test_the_grid_page_lives_in_synced_state(models):
    """A browser that (re)connects draws the grid from the model state; the kernel sends nothing.

    (The ipycanvas grid kept no pixels and had to be replayed on every client_ready.)
    """
    av = ActivationViewer(models["sequential"], images_for(models["sequential"]))
    state = av.canvas.get_state()
    layout = av.canvas.grid_layout
    wire = state["tiles"]  # one array trait: {dtype, shape, bytes}
    n, th, tw = wire["shape"]
    assert wire["dtype"] == "uint8" and (n, th, tw) == (layout.n, layout.th, layout.tw)
    tiles = np.frombuffer(wire["bytes"], np.uint8).reshape(n, th, tw)
    # The export's page is composed from exactly the tiles the browser has.
    palette = np.frombuffer(state["lut"], np.uint8).reshape(256, 3)
    np.testing.assert_array_equal(av.grid_image, palette[compose_page(tiles, layout)])
    assert len(state["tile_info"]) == n and state["marked"] == av.canvas.marked


def test_colab_custom_widget_manager_is_enabled(models, monkeypatch):
    calls = []
    google = types.ModuleType("google")
    colab = types.ModuleType("google.colab")
    output = types.ModuleType("google.colab.output")
    output.enable_custom_widget_manager = lambda: calls.append("on")
    colab.output = output
    google.colab = colab
    monkeypatch.setitem(sys.modules, "google", google)
    monkeypatch.setitem(sys.modules, "google.colab", colab)
    monkeypatch.setitem(sys.modules, "google.colab.output", output)
    monkeypatch.setattr(_base, "_COLAB_DONE", False)
    KernelViewer(models["sequential"])
    assert "on" in calls


def test_widgets_do_no_tensor_math():
    """The boundary: widgets import neither TensorFlow nor Keras (compute does the math)."""
    pattern = re.compile(r"^\s*(import|from)\s+(tensorflow|keras)\b", re.M)
    for path in WIDGETS_DIR.glob("_*.py"):
        assert not pattern.search(path.read_text()), f"{path.name} imports TF/Keras"


def test_binary_traits_are_bytes_not_base64(models):
    av = ActivationViewer(models["sequential"], images_for(models["sequential"]))
    state = av.enlarged.get_state()
    assert isinstance(state["tiles"]["bytes"], (bytes, memoryview))
    assert av.enlarged.trait_metadata("tiles", "sync") is True
    assert isinstance(state["lut"], (bytes, memoryview))
    assert isinstance(av.enlarged.traits()["lut"], traitlets.Bytes)


@pytest.mark.parametrize("name", sorted(STYLES))
def test_viewers_construct_with_defaults(models, name):
    """Construction alone (no arguments but the model) works for every style."""
    KernelViewer(models[name])
    ActivationViewer(models[name], images_for(models[name], n=1))
    ConvStepViewer(models[name], images_for(models[name], n=1))


@pytest.mark.parametrize("module", ["_grid", "_images", "_raster", "_upload", "_scales",
                                    "_maximizer_objectives", "_fit", "_placeholder", "_view_error",
                                    "_kernel_viewer", "_jobs", "_run_panel",
                                    "_maximizer_display", "_maximizer_runs", "_gradcam_inputs",
                                    "_warming"])
def test_docstring_examples(module):
    import doctest
    import importlib

    mod = importlib.import_module(f"convviz_widgets.widgets.{module}")
    result = doctest.testmod(mod, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0 and result.attempted > 0
