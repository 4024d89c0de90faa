"""ConvStepViewer: one first-layer output value taken apart, on every model style.

The numbers the view shows are checked against the model's own layer output (from
compute.activations, a separate forward pass), and the patch against the image pixels.
"""

from __future__ import annotations

import keras
import numpy as np
import pytest
import traitlets
from keras import layers

import convviz_widgets as cv
from convviz_widgets.widgets import ConvStepViewer

from _driver import Driver
from conftest import random_images

FIRST = {"sequential": "conv_a", "functional": "stem", "nested": "vgg16/block1_conv1",
         "subclassed": "block1/conv1", "grayscale": "dconv64"}


def click(view, y, x):
    """What the browser sends when the feature map is clicked at data pixel (y, x)."""
    Driver(view).click_tile("convviz-step-map", 0, y=y, x=x)


def pixels(view):
    n, h, w, c = view.shape
    return np.frombuffer(view.tiles.tobytes(), np.uint8).reshape(n, h, w, c)


def test_every_model_style_matches_the_layer_output(models, style):
    model = models[style]
    images = random_images(model, 2, seed=11)
    view = ConvStepViewer(model, images, filter_index=1)
    assert view.layer == FIRST[style] and Driver(view).options("convviz-layer") == [FIRST[style]]
    out = cv.activations(model, images[0], view.layer)[view.layer][0]  # (h', w', c)
    h, w = out.shape[:2]
    for y, x in [(0, 0), (h - 1, w - 1), (h // 2, w // 3)]:
        click(view, y, x)
        u = view.unit
        assert view.position == (y, x) == u.position
        assert u.output == pytest.approx(out[y, x, 1], abs=1e-5)
        assert u.activation == pytest.approx(out[y, x, 1], abs=1e-4)
        assert u.pre_activation == pytest.approx(float(u.products.sum()) + u.bias, abs=1e-5)
        # The patch is the image itself (first layer, no preprocessing) with zeros outside.
        img = images[0]
        for i, r in enumerate(u.rows):
            for j, c in enumerate(u.cols):
                want = img[r, c] if r >= 0 and c >= 0 else np.zeros(img.shape[-1])
                np.testing.assert_allclose(u.patch[i, j], want, rtol=1e-6, atol=1e-7)
        # The view shows these numbers: slices per input channel and the arithmetic written out.
        cin = img.shape[-1]
        assert pixels(view.patch_view).shape[:1] == (cin,)
        exact = np.frombuffer(view.product_view.values, np.float32).reshape(cin, *u.kernel.shape[:2])
        np.testing.assert_array_equal(exact, np.moveaxis(u.products, -1, 0))
        text = Driver(view).control("convviz-step-numbers").value
        assert f"{u.output + 0.0:.4g}".replace("-", "−") in text and "✓" in text
        # The clicked unit is marked on the map; the window framed on the image.
        assert tuple(pixels(view.map_view)[0, y, x]) == (255, 0, 255)
    assert view.last_update["what"] == "position"


def test_padding_strides_and_dilation():
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((11, 9, 3)),
                              layers.Conv2D(4, 3, strides=2, padding="same", dilation_rate=1,
                                            activation="tanh", name="strided"),
                              layers.Conv2D(2, 3, name="deeper")])
    dil = keras.Sequential([keras.Input((12, 10, 1)),
                            layers.Conv2D(3, 3, padding="same", dilation_rate=2,
                                          activation="sigmoid", name="dilated")])
    for m, name in ((model, "strided"), (dil, "dilated")):
        x = np.random.default_rng(2).random(m.input_shape[1:]).astype(np.float32)
        out = np.asarray(m.get_layer(name)(x[None]))[0]
        view = ConvStepViewer(m, [x], filter_index=1)
        assert Driver(view).options("convviz-layer") == [name]  # "deeper" does not read the image
        for y in range(out.shape[0]):
            for xx in range(out.shape[1]):
                view.position = (y, xx)
                assert view.unit.activation == pytest.approx(out[y, xx, 1], abs=1e-5)
        view.position = (0, 0)
        assert view.unit.padded_taps > 0
        assert "read 0" in Driver(view).control("convviz-step-numbers").value
        assert "padding 'same'" in Driver(view).control("convviz-step-geometry").value
    assert "dilation 2×2" in Driver(view).control("convviz-step-geometry").value


def test_errors_keep_the_view(models):
    model = models["sequential"]
    view = ConvStepViewer(model, random_images(model, 1), filter_index=2, position=(3, 4))
    assert view.position == (3, 4)
    before = Driver(view).control("convviz-step-numbers").value
    with pytest.raises(ValueError, match="outside"):
        view.position = (999, 0)
    assert view.position == (3, 4) and Driver(view).control("convviz-step-numbers").value == before
    assert "outside" in Driver(view).status()
    with pytest.raises(traitlets.TraitError, match="use 0 to 4"):
        view.filter_index = 9
    with pytest.raises(traitlets.TraitError, match="does not read the image"):
        view.layer = "conv_b"
    click(view, 999, 999)  # a click out of range is shown, never raised into the comm
    assert "outside" in Driver(view).status() and view.position == (3, 4)
    plain = keras.Sequential([keras.Input((8, 8, 3)), layers.Rescaling(2.0),
                              layers.Conv2D(2, 3, name="c")])
    with pytest.raises(ValueError, match="conv_arithmetic"):
        ConvStepViewer(plain, [np.zeros((8, 8, 3), np.float32)])


def test_changes_follow_weights_images_and_layers(models):
    model = models["functional"]
    imgs = random_images(model, 2, seed=4)
    view = ConvStepViewer(model, imgs, position=(5, 6))
    first = view.unit.output
    view.image_index = 1
    assert view.unit.output == pytest.approx(
        cv.activations(model, imgs[1], "stem")["stem"][0, 5, 6, 0], abs=1e-5)
    layer = model.get_layer("stem")
    old = layer.get_weights()
    try:
        layer.set_weights([w * 2 for w in old])
        view.image_index = 0  # a kept pass is not served after the weights changed
        fresh = cv.conv_arithmetic(model, imgs[0], "stem", 0, (5, 6))  # its own forward pass
        assert view.unit.pre_activation == pytest.approx(fresh.pre_activation, abs=1e-5)
        assert view.unit.bias == pytest.approx(2 * old[1][0])
        assert view.unit.output != pytest.approx(first)
    finally:
        layer.set_weights(old)
    view.images = imgs[:1]
    assert view.image_index == 0 and len(Driver(view).options("convviz-image")) == 1
    view.add_images([imgs[1]], ["mine"])
    assert view.image_index == 1 and view.image_names == ["image 0", "mine"]
    assert view.unit.output == pytest.approx(
        cv.activations(model, imgs[1], "stem")["stem"][0, 5, 6, 0], abs=1e-5)


def test_default_images_and_top_level_export():
    view = cv.ConvStepViewer(cv.demo_model(), filter_index=4)
    assert view.layer == "block1_conv1" and len(view.images) > 1
    acts = cv.activations(cv.demo_model(), view.images[0], "block1_conv1")["block1_conv1"][0]
    assert view.unit.position == np.unravel_index(np.argmax(acts[..., 4]), acts.shape[:2])
    assert "ConvStepViewer" in cv.__all__ and "ConvStepViewer" in dir(cv)


@pytest.mark.parametrize("lang,word", [("es", "sesgo"), ("pt", "viés")])
def test_labels_in_the_view_language(models, lang, word):
    model = models["grayscale"]
    view = ConvStepViewer(model, random_images(model, 1), lang=lang)
    assert word in Driver(view).control("convviz-step-numbers").value and "bias" not in Driver(view).control("convviz-step-numbers").value
    assert Driver(view).control("convviz-layer").description in ("capa", "camada")
