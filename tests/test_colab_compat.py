"""What Colab needs, headless: ``cv.load_image`` for files from Colab's file pane, the Upload
button in both ipywidgets wire formats, and the Explorer's page switcher (no ipywidgets.Tab).

The same paths run under the emulated Colab front end in tests/colab/ (browser marker).
"""

from __future__ import annotations

import http.server
import io
import socket
import threading

import numpy as np
import pytest
from PIL import Image

import convviz_widgets as cv
from convviz_widgets.widgets import ActivationViewer, GradCAMViewer
from convviz_widgets.widgets._base import INT_SLIDER_CONTINUOUS
from convviz_widgets.widgets._images import uploaded_files
from convviz_widgets.widgets._pages import PageSwitcher
from convviz_widgets.widgets._upload import ImageUpload, value_from_v7, value_from_v8

from _driver import Driver, RecordingComm
from conftest import STYLES, input_hw
from test_widgets_views import check_activation_view


def _photo(h=30, w=44) -> np.ndarray:
    """A smooth non-square RGB picture (JPEG keeps it close)."""
    y, x = np.mgrid[0:h, 0:w]
    return np.stack([x * 255 // (w - 1), y * 255 // (h - 1),
                     np.full((h, w), 128)], -1).astype(np.uint8)


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    d = tmp_path_factory.mktemp("pictures")
    rgb = _photo()
    Image.fromarray(rgb).save(d / "photo.jpg", quality=95)
    Image.fromarray(rgb).save(d / "photo.png")
    Image.fromarray(rgb[..., 0]).save(d / "gray.png")
    rgba = np.dstack([rgb, np.where(np.arange(44) < 22, 255, 0)[None, :].repeat(30, 0)])
    Image.fromarray(rgba.astype(np.uint8), "RGBA").save(d / "rgba.png")
    g16 = (np.arange(30 * 44).reshape(30, 44) * 49).astype(np.uint16)  # up to 64631
    Image.fromarray(g16).save(d / "gray16.png")
    # A camera picture stored sideways, with EXIF orientation 6 ("rotate 90° clockwise").
    exif = Image.Exif()
    exif[0x0112] = 6
    Image.fromarray(rgb).save(d / "sideways.jpg", quality=95, exif=exif)
    (d / "notes.txt").write_text("not a picture")
    return d, rgb, g16


# -- load_image -------------------------------------------------------------------------------

def test_load_image_jpg_and_png(files):
    d, rgb, _ = files
    png = cv.load_image(d / "photo.png")
    assert png.dtype == np.float32 and png.shape == (30, 44, 3) and png.flags.c_contiguous
    np.testing.assert_allclose(png, rgb / 255.0, atol=1e-6)
    jpg = cv.load_image(str(d / "photo.jpg"))
    assert jpg.shape == (30, 44, 3) and np.abs(jpg - rgb / 255.0).mean() < 0.02
    assert 0.0 <= jpg.min() and jpg.max() <= 1.0


def test_load_image_gray_8_and_16_bit(files):
    d, rgb, g16 = files
    gray = cv.load_image(d / "gray.png")
    assert gray.shape == (30, 44, 1)
    np.testing.assert_allclose(gray[..., 0], rgb[..., 0] / 255.0, atol=1e-6)
    deep = cv.load_image(d / "gray16.png")
    assert deep.shape == (30, 44, 1) and deep.dtype == np.float32
    # 16-bit precision is kept (an 8-bit path would lose the low byte).
    np.testing.assert_allclose(deep[..., 0], g16 / 65535.0, atol=1e-6)


def test_load_image_rgba_is_composited_on_white(files):
    d, rgb, _ = files
    img = cv.load_image(d / "rgba.png")
    assert img.shape == (30, 44, 3)
    np.testing.assert_allclose(img[:, :22], rgb[:, :22] / 255.0, atol=1e-6)  # opaque half
    assert np.all(img[:, 22:] == 1.0)  # transparent half: white


def test_load_image_applies_exif_orientation(files):
    d, _, _ = files
    assert cv.load_image(d / "sideways.jpg").shape == (44, 30, 3)


def test_load_image_bytes_file_object_and_size(files):
    d, _, _ = files
    data = (d / "photo.png").read_bytes()
    a = cv.load_image(data)
    with open(d / "photo.png", "rb") as fh:
        b = cv.load_image(fh)
    np.testing.assert_array_equal(a, b)
    assert cv.load_image(memoryview(data)).shape == (30, 44, 3)
    assert cv.load_image(data, size=22).shape == (15, 22, 3)  # longest side, aspect kept
    assert cv.load_image(data, size=(64, 48)).shape == (64, 48, 3)
    small = cv.load_image(d / "gray16.png", size=11)
    assert small.shape == (8, 11, 1) and 0 <= small.min() and small.max() <= 1
    # Resizing a sideways photo: size is the longest side after rotation.
    assert cv.load_image(d / "sideways.jpg", size=22).shape == (22, 15, 3)


def test_load_image_errors_say_what_to_do(files, tmp_path):
    d, _, _ = files
    with pytest.raises(FileNotFoundError, match=r"does not exist.*(/content|file pane)"):
        cv.load_image(tmp_path / "nope.jpg")
    with pytest.raises(FileNotFoundError, match="is a folder"):
        cv.load_image(tmp_path)
    with pytest.raises(ValueError, match="not a picture Pillow can read"):
        cv.load_image(d / "notes.txt")
    with pytest.raises(ValueError, match="truncated or damaged"):
        cv.load_image((d / "photo.jpg").read_bytes()[:300])
    with pytest.raises(ValueError, match="size must"):
        cv.load_image(d / "photo.png", size=0)
    with pytest.raises(ValueError, match="size must"):
        cv.load_image(d / "photo.png", size="big")
    with pytest.raises(TypeError, match="path, a URL, bytes"):
        cv.load_image(np.zeros((3, 3)))
    with open(d / "notes.txt") as text:
        with pytest.raises(TypeError, match="binary mode"):
            cv.load_image(text)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_load_image_from_url_on_localhost(files):
    """The URL path, served from this machine (no network)."""
    d, rgb, _ = files

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *a, **k):
            super().__init__(*a, directory=str(d), **k)

        def log_message(self, *a):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Quiet)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/photo.png"
        np.testing.assert_allclose(cv.load_image(url), rgb / 255.0, atol=1e-6)
        with pytest.raises(OSError, match="Could not download.*pass its path"):
            cv.load_image(f"http://127.0.0.1:{server.server_address[1]}/missing.png")
    finally:
        server.shutdown()
        server.server_close()
    with pytest.raises(OSError, match="Could not download"):
        cv.load_image(f"http://127.0.0.1:{_free_port()}/photo.png")


@pytest.mark.parametrize("name", sorted(STYLES))
def test_loaded_images_go_through_the_views(models, files, name):
    """A file read with load_image (colour and grayscale, any size) feeds every view that
    takes images, on every model style."""
    d, _, _ = files
    model = models[name]
    h, w, _ = input_hw(model)
    imgs = [cv.load_image(d / "photo.jpg", size=(h + 7, w + 3)), cv.load_image(d / "gray.png")]
    av = ActivationViewer(model, imgs)
    check_activation_view(av, model)
    av.image_index = 1
    check_activation_view(av, model)
    gc = GradCAMViewer(model, imgs)
    assert gc.wait(120) and gc.result is not None
    # The heatmap is at the resolution of the picture as passed (before the model's resize).
    assert gc.result.heatmap.shape == (h + 7, w + 3)
    gc.image_index = 1
    assert gc.wait(120) and gc.result.heatmap.shape == (30, 44)
    gc.cancel()


# -- the Upload button: both wire formats -------------------------------------------------------

def _png(h=24, w=36) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(_photo(h, w)).save(buf, "PNG")
    return buf.getvalue()


def _v8_message(png: bytes, name="mine.png") -> dict:
    """What an ipywidgets 8 front end (Colab's included) sends when a file is picked."""
    return {"content": {"data": {
        "method": "update",
        "state": {"value": [{"name": name, "type": "image/png", "size": len(png),
                             "last_modified": 1_700_000_000_000}], "error": ""},
        "buffer_paths": [["value", 0, "content"]]}},
        "buffers": [memoryview(png)]}


def _v7_message(png: bytes, name="mine.png") -> dict:
    """What an ipywidgets 7 front end sends: ``metadata`` + ``data`` + ``_counter``."""
    return {"content": {"data": {
        "method": "update",
        "state": {"metadata": [{"name": name, "type": "image/png", "size": len(png),
                                "lastModified": 1_700_000_000_000}],
                  "data": [None], "_counter": 1},
        "buffer_paths": [["data", 0]]}},
        "buffers": [memoryview(png)]}


@pytest.mark.parametrize("fmt", ["v8", "v7"])
def test_upload_button_takes_both_wire_formats(fmt):
    png = _png()
    up = ImageUpload(accept="image/*")
    Driver.receive(up, (_v8_message if fmt == "v8" else _v7_message)(png))
    assert uploaded_files(up.value) == [("mine.png", png)]


def test_upload_on_an_ipywidgets7_kernel():
    """On ipywidgets 7 `value` is an unsynced dict computed from `data`/`metadata`, so the
    kernel drops an 8 front end's `value` (Colab's case); ImageUpload turns it into 7's own
    `{name: {metadata, content}}`. Modelled here by giving `value` 7's trait."""
    import traitlets

    class SevenStyle(ImageUpload):
        value = traitlets.Dict(read_only=True)  # as in ipywidgets 7.7: not synced

    png = _png()
    up = SevenStyle(accept="image/*")
    assert "value" not in up.keys
    seen = []
    up.observe(lambda c: seen.append(c["new"]), "value")
    Driver.receive(up, _v8_message(png, "phone.png"))
    assert isinstance(seen[-1], dict) and uploaded_files(seen[-1]) == [("phone.png", png)]
    assert seen[-1]["phone.png"]["metadata"]["size"] == len(png)


def test_format_conversions_round_trip():
    png = _png()
    v8 = value_from_v7([{"name": "a.png", "type": "image/png", "size": len(png)}], [png])
    v7 = value_from_v8(v8)
    assert uploaded_files(v8) == uploaded_files(v7) == [("a.png", png)]
    assert value_from_v8([{"name": "x"}, "junk"]) == {}
    assert value_from_v7([{"name": "x"}], [None]) == ()


@pytest.mark.parametrize("fmt", ["v8", "v7"])
@pytest.mark.parametrize("view", ["activations", "gradcam", "explorer"])
def test_views_take_an_upload_from_the_wire(models, fmt, view):
    model = models["functional"]
    h, w, _ = input_hw(model)
    imgs = [cv.load_image(_png(h, w))]
    png = _png(h + 10, w - 6)
    msg = (_v8_message if fmt == "v8" else _v7_message)(png)
    if view == "explorer":
        ex = cv.Explorer(model, imgs)
        d = Driver(ex)
        d.receive(d.control("convviz-upload"), msg)  # the comm message Colab sends
        assert len(ex.activations.images) == 2 and ex.image_index == 1
        assert len(ex.gradcam.images) == 2 and ex.gradcam.image_index == 1
        assert d.labels("convviz-image")[-1] == "upload: mine.png"
        assert d.control("convviz-image").value == 1
        ex.gradcam.cancel()
    elif view == "activations":
        av = ActivationViewer(model, imgs)
        d = Driver(av)
        d.receive(d.control("convviz-upload"), msg)  # the comm message Colab sends
        assert len(av.images) == 2 and av.image_index == 1
        assert d.labels("convviz-image")[-1] == "upload: mine.png"
        check_activation_view(av, model)
    else:
        gc = GradCAMViewer(model, imgs)
        Driver.receive(Driver(gc).control("convviz-upload"), msg)  # the comm message Colab sends
        assert len(gc.images) == 2 and gc.image_index == 1
        assert gc.wait(120) and gc.result is not None
        gc.cancel()


# -- page switcher and sliders ------------------------------------------------------------------

def test_page_switcher_shows_one_page():
    import ipywidgets as w

    pages = [w.HTML("a"), w.HTML("b"), w.VBox([w.HTML("c")], layout=w.Layout(display="flex"))]
    ps = PageSwitcher(pages, titles=["A", "B"])
    assert ps.titles == ("A", "B", "page 3") and ps.bar.value == 0
    assert [h.layout.display for h in ps.holders] == [None, "none", "none"]
    ps.bar.value = 2  # what a click on the third button does
    assert ps.selected_index == 2
    assert [h.layout.display for h in ps.holders] == ["none", "none", None]
    ps.selected_index = 1
    assert ps.bar.value == 1 and [h.layout.display for h in ps.holders] == ["none", None, "none"]
    assert pages[2].layout.display == "flex"  # the caller's own layout is never touched
    ps.set_title(2, "C")
    assert ps.get_title(2) == "C" and ps.bar.value == 1
    assert [label for label, _ in ps.bar.options] == ["A", "B", "C"]
    with pytest.raises(Exception, match="use 0 to 2"):
        ps.selected_index = 3
    assert ps.selected_index == 1
    with pytest.raises(ValueError, match="at least one page"):
        PageSwitcher([])


def test_explorer_has_no_tab_widget(models):
    """Colab's front end cannot draw an ipywidgets 7 Tab/Accordion/Stack: none in any view."""
    import ipywidgets as w

    model = models["sequential"]
    ex = cv.Explorer(model, [cv.load_image(_png(*input_hw(model)[:2]))])
    banned = tuple(getattr(w, n) for n in ("Tab", "Accordion", "Stack") if hasattr(w, n))
    stack, seen = [ex], set()
    while stack:
        wd = stack.pop()
        if id(wd) in seen:
            continue
        seen.add(id(wd))
        assert not isinstance(wd, banned), type(wd)
        stack.extend(getattr(wd, "children", ()) or ())
    assert len(seen) > 50
    ex.gradcam.cancel()


def test_int_sliders_follow_the_kernel_ipywidgets(models):
    import ipywidgets as w

    assert INT_SLIDER_CONTINUOUS is (int(w.__version__.split(".")[0]) >= 8)
    model = models["sequential"]
    ex = cv.Explorer(model, [cv.load_image(_png(*input_hw(model)[:2]))])
    # The filter/channel sliders (the shared one, each page's own) and the Patterns gallery
    # range. (The Grad-CAM region's rows/columns sliders move on release, by design.)
    d = Driver(ex)
    sliders = d.find("convviz-channel") + d.find("gallery", w.IntRangeSlider)
    assert len(sliders) >= 5
    assert all(s.continuous_update is INT_SLIDER_CONTINUOUS for s in sliders)
    ex.gradcam.cancel()


# -- binary traits travel after the comm open ---------------------------------------------------

@pytest.mark.parametrize("kind", ["raster", "overlay"])
def test_anywidgets_open_without_buffers_and_send_bytes_next(monkeypatch, kind):
    """Colab's manager cannot take a comm that opens with binary buffers in a frame made
    earlier: our anywidgets open without them and send their Bytes traits in the next update."""
    import comm as comm_pkg

    from convviz_widgets.widgets._raster import RasterView
    from convviz_widgets.widgets._gradcam_viewer import OverlayView

    log: list = []
    monkeypatch.setattr(comm_pkg, "create_comm", lambda **kw: RecordingComm(log, **kw))
    view = RasterView(title="t") if kind == "raster" else OverlayView()
    binary = type(view)._binary_traits()
    assert binary and set(binary) <= {"tiles", "lut", "values", "image", "heatmap", "luts"}
    mine = [entry[1:] for entry in log if entry[0] is view.comm]  # not its Layout's comm
    kind0, opened, open_buffers = mine[0]
    assert kind0 == "open" and open_buffers == [] and opened["buffer_paths"] == []
    assert not set(binary) & set(opened["state"])
    kind1, update, buffers = mine[1]
    assert kind1 == "send" and update["method"] == "update"
    # (ipywidgets lifts bytes out of the state into buffer_paths + buffers)
    assert {p[0] for p in update["buffer_paths"]} == set(binary) and len(buffers) == len(binary)
    # Everything else (a reload's request_state) still gets the whole state, bytes included.
    assert set(binary) <= set(view.get_state())
