"""DeepDreamViewer without a browser: a run on every model style, frames streaming into the
after panel, Cancel, bad input shown in the view, the Explorer's DeepDream page."""

import datetime
import io
import threading

import ipywidgets
import numpy as np
import pytest
import traitlets
from PIL import Image

import convviz_widgets as cv
from convviz_widgets.widgets._export import raster_rgb
from convviz_widgets.widgets._explorer import Explorer

from _driver import Driver
from conftest import input_hw, make_functional, random_images

TIMEOUT = 120


def _png_bytes(h=30, w=44):
    rng = np.random.default_rng(3)
    buf = io.BytesIO()
    Image.fromarray((rng.random((h, w, 3)) * 255).astype(np.uint8), "RGB").save(buf, "PNG")
    return buf.getvalue()


def _upload(view, name, content):
    """What a user's upload does to the real control, in the installed ipywidgets' format."""
    if int(ipywidgets.__version__.split(".")[0]) >= 8:
        Driver(view).control("Upload").value = ({"name": name, "type": "image/png", "size": len(content),
                               "content": memoryview(content),
                               "last_modified": datetime.datetime.now(datetime.timezone.utc)},)
    else:  # read-only there: the front end sets it
        Driver(view).control("Upload").set_trait("value", {name: {"metadata": {"name": name},
                                                "content": content}})


def run_and_wait(dv):
    Driver(dv).click("convviz-run")
    assert dv.wait(TIMEOUT), "the dream did not finish"
    assert not dv.running


def test_run_on_every_model_style(models, style):
    model = models[style]
    dv = cv.DeepDreamViewer(model, random_images(model, 2), octaves=2, steps=3,
                            frame_interval=0.0)
    h, w, c = input_hw(model)
    assert dv.layers and dv.layer == dv.layers[0]
    assert dv.before.shape == [1, h, w, 3 if c == 3 else 1]  # grey stays grey
    data = []
    dv.after.observe(lambda ch: data.append(ch["new"]), "tiles")
    run_and_wait(dv)
    assert dv.error == "" and Driver(dv).status() == ""
    res = dv.result
    assert not res.cancelled and res.images.shape == (1, h, w, c)
    assert float(res.score[0]) > float(res.start_score[0])  # the layers' activations grew
    # One frame per step (frame_interval 0) plus each octave's final image (the progress
    # protocol's extra on_frame), and the result: each reached the panel.
    assert dv.frames_shown == 2 * (3 + 1) and len(data) == 2 * (3 + 1) + 1
    assert dv.after.shape == dv.before.shape
    d = Driver(dv)
    assert dv.progress == 1.0 and d.control("convviz-run").disabled is False
    assert d.control("convviz-cancel").disabled
    assert "score" in dv.run_panel.message
    # The after panel shows the result (in display bytes), not the before image.
    assert dv.after.tiles.tobytes() != dv.before.tiles.tobytes()


def test_several_layers_and_settings_reach_compute(models):
    model = models["functional"]
    dv = cv.DeepDreamViewer(model, random_images(model, 1), steps=2, octaves=1)
    Driver(dv).set("layers", ("shared", "last_conv"))  # the multi-select, as a user picks
    Driver(dv).set("steps", 4)
    Driver(dv).set("step size", 0.02)
    Driver(dv).set("octaves", 2)
    assert dv.layers == ["shared", "last_conv"] and dv.layer == "shared"
    assert (dv.steps, dv.step_size, dv.octaves) == (4, 0.02, 2)
    run_and_wait(dv)
    assert dv.result.history.shape == (2 * 4, 1)
    assert dv.export_filename("gif") == "func_shared_last_conv_oct2_steps4_lr0.02.gif"
    dv.layer = "stem"  # the one-layer trait every view has: selects just that layer
    assert dv.layers == ["stem"] and Driver(dv).control("layers").value == ("stem",)


def test_cancel_keeps_the_view_usable():
    model = make_functional()
    dv = cv.DeepDreamViewer(model, random_images(model, 1), octaves=1, steps=5000,
                            frame_interval=0.0)
    first = threading.Event()
    dv.observe(lambda ch: first.set() if ch["new"] >= 1 else None, "frames_shown")
    Driver(dv).click("convviz-run")
    assert first.wait(TIMEOUT), "no frame arrived"
    assert dv.running and Driver(dv).control("convviz-run").disabled
    assert not Driver(dv).control("convviz-cancel").disabled
    Driver(dv).click("convviz-cancel")
    assert dv.wait(TIMEOUT)
    assert not dv.running and dv.result.cancelled
    steps_run = int(np.isfinite(dv.result.history).sum())  # steps not run are NaN
    assert 1 <= steps_run < 5000 and "Cancelled" in dv.run_panel.message
    assert Driver(dv).control("steps").value == 5000  # the control shows the setting, not a clamped one
    assert dv.after.caption.startswith(f"step {steps_run} of 5000")
    # Still usable: a short run completes.
    dv.steps = 3
    run_and_wait(dv)
    assert not dv.result.cancelled and dv.error == ""


def test_no_layer_selected_is_a_clear_error_and_the_view_stays_usable(models):
    model = models["sequential"]
    dv = cv.DeepDreamViewer(model, random_images(model, 1), octaves=1, steps=2)
    Driver(dv).set("layers", ())
    assert dv.layers == []
    Driver(dv).click("convviz-run")
    assert "No layer is selected" in Driver(dv).status() and "layer" in dv.error
    assert not dv.running and dv.result is None
    with pytest.raises(traitlets.TraitError, match="cannot be shown by DeepDreamViewer"):
        dv.layers = ["gap"]  # no feature map to amplify
    with pytest.raises(traitlets.TraitError, match="conv_a"):
        dv.layers = ["nope"]
    for name, bad in (("octaves", 0), ("octaves", 9), ("steps", 0), ("step_size", 0.0),
                      ("step_size", 2.0), ("octave_scale", 1.0)):
        with pytest.raises(traitlets.TraitError, match=name):
            setattr(dv, name, bad)
    Driver(dv).set("layers", ("conv_b",))
    run_and_wait(dv)
    assert dv.result is not None and dv.error == "" and Driver(dv).status() == ""


def test_upload_of_a_picture_and_of_a_non_image(models):
    model = models["grayscale"]
    dv = cv.DeepDreamViewer(model, random_images(model, 1), octaves=1, steps=2)
    before = dv.before.tiles.tobytes()
    _upload(dv, "notes.png", b"this is not a picture")
    assert "notes.png" in Driver(dv).status() and len(dv.images) == 1
    assert dv.before.tiles.tobytes() == before  # nothing else changed
    _upload(dv, "photo.png", _png_bytes())
    assert len(dv.images) == 2 and dv.image_index == 1 and Driver(dv).status() == ""
    assert Driver(dv).labels("image")[-1] == "upload: photo.png"
    h, w, _ = input_hw(model)
    assert dv.before.shape == [1, h, w, 1]  # the colour photo, as the grey model sees it
    run_and_wait(dv)
    assert dv.result.images.shape == (1, h, w, 1) and dv.error == ""


def test_fully_convolutional_model_dreams_at_the_image_size_capped():
    import keras

    inp = keras.Input((None, None, 3))
    x = keras.layers.Conv2D(4, 3, padding="same", activation="relu", name="c1")(inp)
    x = keras.layers.Conv2D(4, 3, padding="same", activation="relu", name="c2")(x)
    model = keras.Model(inp, x, name="fcn")
    photo = np.random.default_rng(0).random((90, 300, 3)).astype(np.float32)
    dv = cv.DeepDreamViewer(model, [photo], octaves=1, steps=2, max_side=120)
    assert dv.before.shape == [1, 36, 120, 3]
    run_and_wait(dv)
    assert dv.result.images.shape == (1, 36, 120, 3)


def test_frames_make_the_animation(models):
    model = models["sequential"]
    dv = cv.DeepDreamViewer(model, random_images(model, 1), octaves=2, steps=4,
                            frame_interval=0.0)
    with pytest.raises(ValueError, match="No frames"):
        dv.export_animation("gif")
    run_and_wait(dv)
    frames = dv.recorded_frames
    assert len(frames) >= 2 * 4  # each step's frame (the last may equal the final image)
    assert np.array_equal(frames[-1], raster_rgb(dv.after))  # it ends on what is shown
    for fmt in ("gif", "webp"):
        im = Image.open(io.BytesIO(dv.export_animation(fmt)))
        assert im.format == fmt.upper() and im.n_frames == len(frames)
        assert im.size == (frames[0].shape[1], frames[0].shape[0])
    d = Driver(dv)
    d.click("Export GIF")
    links = [x.value for x in d.find(ipywidgets.HTML) if "download=" in x.value]
    assert len(links) == 1 and "seq_conv_b_oct2_steps4_lr0.01.gif" in links[0]


def test_explorer_dream_page_follows_the_shared_image(models):
    model = models["nested"]
    ex = Explorer(model, random_images(model, 3, seed=2), class_names=["no", "yes"])
    assert ex.dream in [p.children[1] for p in ex.tabs.pages if hasattr(p, "children")
                        and len(p.children) > 1]
    assert len(ex.dream.images) == 3 and Driver(ex.dream).control("image", ipywidgets.Dropdown).layout.display == "none"
    ex.image_index = 2
    assert ex.dream.image_index == 2
    shown = ex.dream.before.pixels
    expected = ex.activations.images[2]
    assert shown.shape[1:3] == expected.shape[:2]
    # An upload in the Explorer's image bar reaches the DeepDream page.
    _upload(ex, "cat.png", _png_bytes())
    assert len(ex.dream.images) == 4 and ex.dream.image_index == 3
    assert ex.dream.image_names[-1] == ex.activations.image_names[-1]
    ex.dream.steps, ex.dream.octaves = 2, 1
    ex.dream.run()
    assert ex.dream.wait(TIMEOUT) and ex.dream.result is not None and ex.dream.error == ""
    ex.gradcam.cancel()
