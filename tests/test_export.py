"""Export of every view: the PNG is what the view shows (the bytes its displays sent, laid out
as the front end draws them), animations have one frame per recorded frame, files are named by
model, layer and settings."""

import io

import ipywidgets as ipw
import numpy as np
import pytest

from convviz_widgets.widgets._grid import ChannelGrid
from PIL import Image

import convviz_widgets as cv
from convviz_widgets.widgets import OverlayView, RasterView
from convviz_widgets.widgets._export import (PANEL_GAP, compose, export_name, overlay_rgb,
                                             raster_rgb)

from _driver import Driver, classes_of
from conftest import random_images


def _decode(png: bytes) -> np.ndarray:
    im = Image.open(io.BytesIO(png))
    assert im.format == "PNG"
    return np.asarray(im.convert("RGB"))


def _contains(big: np.ndarray, small: np.ndarray) -> bool:
    """Whether ``small`` appears pixel for pixel somewhere in ``big``."""
    h, w = small.shape[:2]
    H, W = big.shape[:2]
    if h > H or w > W:
        return False
    ys, xs = np.nonzero(np.all(big[:H - h + 1, :W - w + 1] == small[0, 0], axis=-1))
    return any(np.array_equal(big[y:y + h, x:x + w], small) for y, x in zip(ys, xs))


def _not_figure(wd) -> bool:
    """A display that is a control, not the figure: Grad-CAM's image picker (thumbnails) and
    its best/worst galleries (found by their CSS roles)."""
    return any(c == "convviz-gradcam-thumbs" or c.startswith("convviz-gallery-")
               for c in classes_of(wd))


def _displays(view):
    """The visible displays of a view that show something (pickers and galleries excluded)."""
    out, stack = [], [view]
    while stack:
        wd = stack.pop()
        if getattr(getattr(wd, "layout", None), "display", None) == "none" or _not_figure(wd):
            continue
        if isinstance(wd, ChannelGrid):  # its own layout: exported as the page it sent
            out.append(view.grid_image)
        elif isinstance(wd, RasterView) and wd.shape[0] > 0:
            out.append(raster_rgb(wd))
        elif isinstance(wd, OverlayView) and wd.image_shape[0] > 0:
            out.append(overlay_rgb(wd))
        stack.extend(getattr(wd, "children", ()) or ())
    return out


def check_export(view, tmp_path) -> np.ndarray:
    """PNG decodes, holds the figure 1:1 under its title (also a tEXt chunk) and every shown
    display; save_png and the button. Returns the figure's pixels (without the labels)."""
    png = view.export_png()
    labelled = _decode(png)
    body = view.export_figure()
    assert _contains(labelled, body), "the view's pixels are not in the export 1:1"
    assert labelled.shape[0] > body.shape[0]  # a title above (and a bar below) the pixels
    title = Image.open(io.BytesIO(png)).text["Title"]
    assert getattr(view.model, "name", "") in title
    pixels = body
    shown = _displays(view)
    assert shown, "the view shows nothing"
    for raster in shown:
        assert _contains(pixels, raster), "a shown display is missing from the export"
    path = tmp_path / view.export_filename()
    assert view.save_png(path) == str(path) and path.read_bytes() == png
    d = Driver(view)
    d.click("Export PNG")
    links = [h.value for h in d.find(ipw.HTML, shown_only=True) if "download=" in h.value]
    assert len(links) == 1 and view.export_filename() in links[0]
    return pixels


# -- the pixel rules ----------------------------------------------------------------------------
def test_raster_layout_follows_the_front_end():
    v = RasterView(gap=3, margin=2, background="#102030")
    tiles = np.array([[[0, 255]], [[128, 64]], [[1, 2]]], np.uint8)  # 3 tiles of 1×2
    v.set_tiles(tiles, columns=2, zoom=2, zoom_x=3, stacked=True)
    out = raster_rgb(v)
    # 2 rows of 2-px-high tiles, 2 columns of 6-px-wide tiles, 3-px gaps, 2-px margin.
    assert out.shape == (2 * 2 + 3, 2 + 2 * 6 + 3, 3)
    bg = [16, 32, 48]
    assert out[0, 0].tolist() == bg and out[2, 5].tolist() == bg  # margin; gap row
    assert out[0, 2].tolist() == [0, 0, 0] and out[1, 7].tolist() == [255, 255, 255]
    assert out[0, 2 + 6 + 3].tolist() == [128] * 3 and out[5, 2].tolist() == [1] * 3
    assert out[5, 2 + 6 + 3].tolist() == bg  # the empty cell of the last row
    # A one-channel tile is coloured by the view's colour table, as in the browser.
    from convviz_widgets.widgets import lut

    v.lut = lut("viridis").tobytes()
    assert raster_rgb(v)[0, 2].tolist() == lut("viridis")[0].tolist()


def test_overlay_blend_at_the_python_opacity():
    v = OverlayView(opacity=0.0, colormap="gray", width=6)
    img = np.zeros((4, 6, 3), np.float32)
    v.set_overlay(img, np.ones((2, 3), np.float32))
    assert overlay_rgb(v).max() == 0
    v.opacity = 1.0
    assert overlay_rgb(v).min() == 255 and overlay_rgb(v).shape == (4, 6, 3)
    v.width = 19  # drawn 19 CSS pixels wide: enlarged 3 times, pixelated
    assert overlay_rgb(v).shape == (12, 18, 3)


def test_compose_and_names():
    a, b = np.zeros((2, 3, 3), np.uint8), np.full((4, 1, 3), 7, np.uint8)
    row = compose([a, b])
    assert row.shape == (4, 3 + PANEL_GAP + 1, 3) and row[3, 0].tolist() == [255] * 3
    assert compose([a, b], "column").shape == (2 + PANEL_GAP + 4, 3, 3)
    assert export_name("m", "vgg16/block1 conv", "lr0.01") == "m_vgg16_block1_conv_lr0.01.png"


# -- every view ---------------------------------------------------------------------------------
def test_kernel_viewer_export(models, tmp_path):
    kv = cv.KernelViewer(models["nested"], layer="vgg16/block2_conv1", filter_index=3)
    check_export(kv, tmp_path)
    assert kv.export_filename() == "transfer_vgg16_block2_conv1_filter3.png"


@pytest.mark.parametrize("style", ["sequential", "grayscale"])
def test_activation_viewer_export(models, style, tmp_path):
    model = models[style]
    av = cv.ActivationViewer(model, random_images(model, 2))
    pixels = check_export(av, tmp_path)
    assert _contains(pixels, av.grid_image)  # the channel grid, through its hook


def test_filter_maximizer_export_and_animation(models, tmp_path):
    model = models["subclassed"]
    fm = cv.FilterMaximizer(model, steps=6, prewarm=False, frame_interval=0.0)
    fm.mode = "gallery"
    fm.seed = 11  # a setting of its own: no result cached by another test
    fm.run()
    assert fm.wait(120)
    check_export(fm, tmp_path)
    frames = fm.recorded_frames
    assert len(frames) >= 6 and np.array_equal(frames[-1], raster_rgb(fm.gallery))
    gif = Image.open(io.BytesIO(fm.export_animation("gif")))
    assert gif.n_frames == len(frames) and gif.size == frames[0].shape[1::-1]


def test_gradcam_viewer_export(models, tmp_path):
    model = models["functional"]
    gc = cv.GradCAMViewer(model, random_images(model, 2))
    pixels = check_export(gc, tmp_path)
    assert _contains(pixels, overlay_rgb(gc.overlay))
    assert not _contains(pixels, raster_rgb(gc.thumbnails))  # the image picker is a control
    with pytest.raises(ValueError, match="no optimisation"):
        gc.export_animation()
    gc.cancel()


def test_deepdream_export_is_before_and_after_side_by_side(models, tmp_path):
    model = models["grayscale"]
    dv = cv.DeepDreamViewer(model, random_images(model, 1), octaves=1, steps=3)
    dv.run()
    assert dv.wait(120)
    pixels = check_export(dv, tmp_path)  # the figure without its labels
    h, w = dv.before.shape[1:3]
    z = dv.before.zoom
    assert pixels.shape == (h * z, 2 * w * z + PANEL_GAP, 3)
    after = dv.after.pixels[0, ..., 0]  # grey bytes, as sent, shown through the view's LUT
    table = np.frombuffer(dv.after.lut, np.uint8).reshape(256, 3)
    assert np.array_equal(pixels[::z, w * z + PANEL_GAP::z], table[after])


@pytest.mark.parametrize("module", ["_export", "_upload"])
def test_docstring_examples(module):
    import doctest
    import importlib

    mod = importlib.import_module(f"convviz_widgets.widgets.{module}")
    result = doctest.testmod(mod, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0 and result.attempted > 0


def test_explorer_exports_the_visible_page(models, tmp_path, monkeypatch):
    """Bug 10: the README says every view has export_png / save_png; the Explorer's export is
    the view on the page shown now, and the Model page (a table) says what to do instead."""
    from convviz_widgets.widgets._explorer import Explorer

    model = models["nested"]
    ex = Explorer(model, random_images(model, 2, seed=1), class_names=["no", "yes"])
    seen = {}
    for k, view in enumerate([ex.kernels, ex.activations, ex.patterns, ex.gradcam, ex.card,
                              ex.dream]):
        ex.tabs.selected_index = k
        assert ex.visible_view is view
        png = ex.export_png()
        pixels = _decode(png)
        # The labelled figure of the view shown (title, range, colour bar over its pixels).
        assert png == view.export_png()
        assert np.array_equal(ex.export_figure(), view.export_figure())
        assert _contains(pixels, view.export_figure())
        for raster in _displays(view):
            assert _contains(pixels, raster), (k, "a shown display is missing from the export")
        path = tmp_path / f"page{k}.png"
        assert ex.save_png(path) == str(path) and path.read_bytes() == png
        seen[k] = pixels.shape
    # Pages export different figures, named by model, layer and the page's own settings.
    assert len(set(seen.values())) > 3, seen
    ex.tabs.selected_index = 3
    assert ex.export_filename() == ex.gradcam.export_filename()
    assert "method" in ex.export_filename()
    monkeypatch.chdir(tmp_path)  # save_png() with no path writes beside the notebook
    default = ex.save_png()
    assert default == ex.gradcam.export_filename()
    assert _decode((tmp_path / default).read_bytes()).shape == seen[3]
    ex.tabs.selected_index = ex.tabs.titles.index("Model")  # a table, no figure
    assert ex.visible_view is None
    with pytest.raises(ValueError, match=r"selected_index = 0"):
        ex.export_png()


def test_explorer_export_error_in_the_explorer_language(models):
    from convviz_widgets.widgets._explorer import Explorer

    model = models["functional"]
    for lang, word in (("es", "página"), ("pt", "página")):
        ex = Explorer(model, random_images(model, 1, seed=0), lang=lang)
        ex.tabs.selected_index = len(ex.tabs.titles) - 1  # the Publish page: no figure
        with pytest.raises(ValueError) as err:
            ex.save_png("never.png")
        text = str(err.value)
        assert word in text and "table, not" not in text and ex.tabs.titles[0] in text
