"""One rule and one message wherever images are taken (bug 8).

* an MNIST-style ``(n, h, w)`` stack is n grayscale images for a grayscale model, and an
  ambiguity (named as such) for a colour model — never "Images have 28 channels";
* image files (``str``, ``pathlib.Path``, lists and arrays of them) are read wherever images
  are taken, in compute and in the views;
* a channels-first model gets one error saying it is not supported and how to rebuild it;
* compute's messages reach a view's error line in the view's language.
"""

from __future__ import annotations

import pathlib
import string

import keras
import numpy as np
import pytest
from keras import layers
from PIL import Image

import convviz_widgets as cv
from convviz_widgets.compute import MESSAGES, InputError, split_images
from convviz_widgets.widgets._errors import short_message
from convviz_widgets.i18n import tr

from _driver import Driver
from conftest import make_sequential

GH, GW = 28, 24  # a non-square grayscale model


@pytest.fixture(scope="module")
def gray():
    keras.utils.set_random_seed(4)
    return keras.Sequential([
        keras.Input((GH, GW, 1)),
        layers.Conv2D(4, 3, activation="relu", padding="same", name="conv"),
        layers.GlobalAveragePooling2D(name="gap"),
        layers.Dense(10, activation="softmax", name="digits"),
    ], name="mnistish")


@pytest.fixture(scope="module")
def rgb():
    return make_sequential()  # (40, 56, 3)


@pytest.fixture(scope="module")
def stack():
    return np.random.default_rng(0).random((5, GH, GW)).astype(np.float32)


@pytest.fixture()
def photo(tmp_path, rgb):
    """A PNG file of the RGB model's size, and the pixels it holds."""
    h, w = rgb.inputs[0].shape[1:3]
    pixels = (np.random.default_rng(1).random((h, w, 3)) * 255).astype(np.uint8)
    path = tmp_path / "photo.png"
    Image.fromarray(pixels).save(path)
    return path, pixels


# ------------------------------------------------------------------- (n, h, w) stacks
def test_a_stack_is_n_grayscale_images_for_a_grayscale_model(gray, stack):
    a = cv.activations(gray, stack, "conv", cache=False)
    assert a["conv"].shape == (5, GH, GW, 4)
    ref = cv.activations(gray, stack[..., None], "conv", cache=False)
    np.testing.assert_array_equal(a["conv"], ref["conv"])
    top = cv.top_predictions(gray, stack[2])  # one (h, w) image of the stack
    np.testing.assert_allclose(top.probabilities[0],
                               gray.predict(stack[2][None, ..., None], verbose=0).max(),
                               rtol=1e-5)
    # gradcam explains one image: a stack says it is a batch, in images, not channels
    with pytest.raises(ValueError, match="explains one image, got a batch of 5"):
        cv.gradcam(gray, stack)
    assert cv.gradcam(gray, stack[:1]).heatmap.shape == (GH, GW)


def test_a_stack_for_a_colour_model_says_both_readings(rgb, stack):
    for call in (lambda: cv.activations(rgb, stack), lambda: cv.top_predictions(rgb, stack),
                 lambda: cv.gradcam(rgb, stack)):
        with pytest.raises(InputError) as info:
            call()
        msg = str(info.value)
        assert "5 grayscale images of 28×24" in msg and "images[..., None]" in msg
        assert "model reads 3 channels" in msg and "Images have" not in msg
    # what the message says to do works
    assert cv.activations(rgb, stack[..., None], "conv_a", cache=False)["conv_a"].shape[0] == 5


def test_split_images_is_the_one_rule(stack):
    assert [a.shape for a in split_images(stack, (None, GH, GW, 1))] == [(GH, GW, 1)] * 5
    assert [a.shape for a in split_images(stack[0])] == [(GH, GW, 1)]
    assert [a.shape for a in split_images(np.zeros((3, 4, 3)))] == [(3, 4, 3)]
    with pytest.raises(InputError, match="channels-first"):
        split_images(np.zeros((3, 20, 24)), (None, 20, 24, 3))


# ------------------------------------------------------------------------------ paths
def test_paths_are_read_by_every_entry_point(rgb, photo):
    path, pixels = photo
    ref = cv.activations(rgb, pixels, "conv_a", cache=False)["conv_a"]
    for given in (str(path), path, [path], [str(path), path], np.array([str(path)])):
        got = cv.activations(rgb, given, "conv_a", cache=False)["conv_a"]
        assert got.shape[0] == (2 if isinstance(given, list) and len(given) == 2 else 1)
        np.testing.assert_allclose(got[:1], ref, rtol=1e-5, atol=1e-6)
    top, top_ref = cv.top_predictions(rgb, path), cv.top_predictions(rgb, pixels)
    np.testing.assert_array_equal(top.indices, top_ref.indices)
    cam, cam_ref = cv.gradcam(rgb, str(path), cache=False), cv.gradcam(rgb, pixels, cache=False)
    np.testing.assert_allclose(cam.heatmap, cam_ref.heatmap, rtol=1e-5, atol=1e-6)
    sal = cv.gradcam(rgb, path, method="saliency", cache=False)
    assert sal.flag is None and sal.heatmap.shape == pixels.shape[:2]
    f = cv.faithfulness(rgb, path, cam.heatmap, target=cam.target, steps=4)
    assert np.isfinite(f.curve).all()
    dream = cv.deepdream(rgb, path, ["conv_b"], octaves=1, steps=2)
    assert dream.images.shape == (1,) + pixels.shape


def test_a_missing_file_says_where_it_looked(rgb, tmp_path):
    with pytest.raises(FileNotFoundError, match="nope.png"):
        cv.activations(rgb, tmp_path / "nope.png")


def test_views_take_paths(rgb, photo):
    path, pixels = photo
    av = cv.ActivationViewer(rgb, [path, str(path)])
    assert len(av.images) == 2
    np.testing.assert_allclose(np.asarray(av.images[0], np.float32), pixels / 255.0, atol=1e-6)
    av.add_images(path)  # one path, not a list of its characters
    assert len(av.images) == 3 and av.image_index == 2
    gv = cv.GradCAMViewer(rgb, path)
    try:
        assert len(gv.images) == 1 and gv.result.heatmap.shape == pixels.shape[:2]
    finally:
        gv.cancel()
        gv.wait(10)


# ------------------------------------------------------------------- view error line
def test_a_view_shows_the_message_in_its_language_and_stays_usable(rgb, stack):
    av = cv.ActivationViewer(rgb, np.random.default_rng(2).random((2, 40, 56, 3)), lang="es")
    with pytest.raises(InputError):
        av.add_images(stack)
    line = Driver(av).control("convviz-status").value
    assert "5 imágenes en escala de grises" in line and "images[..., None]" in line
    assert "grayscale" not in line.split("<details")[0]  # no English in the visible sentence
    assert len(av.images) == 2 and len(av.image_names) == 2
    av.image_index = 1  # still usable
    assert av.image_index == 1 and av.last_update["what"]
    av.add_images(stack[..., None][:1])  # the fix the message names
    assert len(av.images) == 3


def test_a_grayscale_views_takes_the_stack(gray, stack):
    av = cv.ActivationViewer(gray, stack)
    assert len(av.images) == 5 and av.images[0].shape == (GH, GW, 1)


# --------------------------------------------------------------- channels-first models
@pytest.fixture(scope="module")
def channels_first():
    before = keras.config.image_data_format()
    keras.config.set_image_data_format("channels_first")
    try:
        return keras.Sequential([
            keras.Input((3, 32, 40)),
            layers.Conv2D(4, 3, name="conv"),
            layers.GlobalAveragePooling2D(name="gap"),
            layers.Dense(2, name="logits"),
        ], name="nchw")
    finally:
        keras.config.set_image_data_format(before)


def test_a_channels_first_model_gets_one_clear_error(channels_first):
    img = np.random.default_rng(0).random((32, 40, 3)).astype(np.float32)
    for call in (lambda: cv.conv_layers(channels_first),
                 lambda: cv.activations(channels_first, img),
                 lambda: cv.gradcam(channels_first, img),
                 lambda: cv.maximize(channels_first, "conv", [0], steps=2),
                 lambda: cv.ActivationViewer(channels_first, img)):
        with pytest.raises(ValueError) as info:
            call()
        msg = str(info.value)
        assert "channels-first" in msg and "'conv'" in msg and "(3, 32, 40)" in msg
        assert "set_weights" in msg and "Permute" in msg
        assert "reads 40 channels" not in msg


# ------------------------------------------------------------------------- the catalogue
def _fields(text):
    return sorted(f for _, f, _, _ in string.Formatter().parse(text) if f)


@pytest.mark.parametrize("key", sorted(MESSAGES))
def test_every_compute_message_has_es_and_pt_text(key):
    short_message(ValueError("x"), "es")  # imports the view-side table
    en = MESSAGES[key]
    assert tr(f"err.{key}") == en
    for lang in ("es", "pt"):
        text = tr(f"err.{key}", lang)
        assert text != en and _fields(text) == _fields(en), (key, lang)
