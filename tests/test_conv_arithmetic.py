"""One convolution output taken apart (patch × filter + bias): equal to what the layer produced,
on every model style and on strided, dilated, padded and bias-free convolutions."""

import keras
import numpy as np
import pytest
from keras import layers

import convviz_widgets as cv

from conftest import random_images, suptitle

LAYER_OF = {"sequential": "conv_b", "functional": "last_conv", "nested": "vgg16/block2_conv1",
            "subclassed": "block2/conv2", "grayscale": "dconv64"}


def test_every_model_style(models, style):
    model = models[style]
    path = LAYER_OF[style]
    x = random_images(model, 1, seed=7)[0]
    acts = cv.activations(model, x, path)[path][0]
    for pos in [(0, 0), (acts.shape[0] - 1, acts.shape[1] - 1), (2, 3)]:
        unit = cv.conv_arithmetic(model, x, path, 1, pos)
        assert unit.products.shape == unit.patch.shape == unit.kernel.shape
        assert unit.pre_activation == pytest.approx(unit.products.sum() + unit.bias, abs=1e-5)
        # The subclassed model's block output is pre-ReLU (the ReLU is a raw op in call()).
        assert unit.output == pytest.approx(acts[pos + (1,)], abs=1e-4)
        assert unit.activation == pytest.approx(unit.output, abs=1e-4)
        np.testing.assert_allclose(unit.channel_sums, unit.products.sum(axis=(0, 1)), rtol=1e-6)


def test_first_layer_reads_the_image_pixels(models):
    model = models["grayscale"]
    x = random_images(model, 1, seed=2)[0]
    unit = cv.conv_arithmetic(model, x, "dconv64", 2, (5, 9))
    assert unit.reads_image
    np.testing.assert_array_equal(unit.rows, [4, 5, 6])
    np.testing.assert_array_equal(unit.cols, [8, 9, 10])
    np.testing.assert_allclose(unit.patch[..., 0], x[4:7, 8:11, 0], rtol=1e-6)
    corner = cv.conv_arithmetic(model, x, "dconv64", 2, (0, 0))
    assert corner.rows[0] == -1 and corner.cols[0] == -1  # 'same' padding reads zeros
    assert np.all(corner.patch[0] == 0) and np.all(corner.patch[:, 0] == 0)
    assert not cv.conv_arithmetic(model, x, "dconv128", 0, (1, 1)).reads_image


@pytest.mark.parametrize("kw", [
    dict(strides=2, padding="same"), dict(strides=2, padding="valid"),
    dict(dilation_rate=2, padding="same"), dict(dilation_rate=(2, 3), padding="valid"),
    dict(strides=(1, 3), padding="same", use_bias=False), dict(kernel_size=(2, 4), strides=2,
                                                               padding="same")])
def test_geometry_matches_the_layer(kw):
    """Even and odd sizes, asymmetric kernels: 'same' puts the extra padding at the end."""
    keras.utils.set_random_seed(0)
    kw = {"kernel_size": 3, **kw}
    model = keras.Sequential([keras.Input((13, 10, 3)),
                              layers.Conv2D(5, activation="tanh", name="c", **kw)])
    x = np.random.default_rng(1).random((13, 10, 3)).astype(np.float32)
    out = np.asarray(model(x[None]))[0]
    for r in range(out.shape[0]):
        for c in range(out.shape[1]):
            unit = cv.conv_arithmetic(model, x, "c", 4, (r, c))
            assert unit.activation == pytest.approx(out[r, c, 4], abs=1e-5), (r, c)


def test_default_position_is_the_channel_maximum(models):
    model = models["sequential"]
    x = random_images(model, 1, seed=3)[0]
    acts = cv.activations(model, x, "conv_a")["conv_a"][0, :, :, 4]
    unit = cv.conv_arithmetic(model, x, "conv_a", 4)
    assert unit.position == np.unravel_index(np.argmax(acts), acts.shape)


def test_clear_errors(models):
    model = models["sequential"]
    x = random_images(model, 1)[0]
    with pytest.raises(ValueError, match="plain Conv2D.*conv_a"):
        cv.conv_arithmetic(model, x, "pool_a", 0)
    with pytest.raises(ValueError, match="outside"):
        cv.conv_arithmetic(model, x, "conv_a", 0, (999, 0))
    with pytest.raises(ValueError, match="use 0 to 4"):
        cv.conv_arithmetic(model, x, "conv_a", 9, (0, 0))
    dw = keras.Sequential([keras.Input((8, 8, 3)), layers.DepthwiseConv2D(3, name="dw")])
    with pytest.raises(ValueError, match="DepthwiseConv2D"):
        cv.conv_arithmetic(dw, np.zeros((8, 8, 3), np.float32), "dw", 0)


def test_static_figure_shows_the_same_numbers(models):
    import matplotlib

    matplotlib.use("Agg")
    from convviz_widgets import plotting

    model = models["sequential"]
    x = random_images(model, 1, seed=5)[0]
    fig = plotting.plot_conv_arithmetic(model, x, "conv_a", 2, (4, 6))
    unit = cv.conv_arithmetic(model, x, "conv_a", 2, (4, 6))
    assert f"{unit.pre_activation:.4g}" in suptitle(fig)
    # the third row of the first channel column holds the products of channel 0
    product_axes = [a for a in fig.axes if a.get_xlabel().startswith("Σ")]
    assert len(product_axes) == 3  # three input channels
    np.testing.assert_allclose(np.asarray(product_axes[0].images[0].get_array()),
                               unit.products[..., 0])
    assert len(fig.axes[0].patches) == 1  # the window on the image


def test_reading_the_image_the_layer_alone_gives_the_models_numbers(models, style):
    """conv_units(reads_image=True) calls only the layer; it must agree with the full pass."""
    model = models[style]
    path = [i.path for i in cv.compute.image_conv_layers(model)][0]
    x = random_images(model, 1, seed=9)[0]
    fast = cv.compute.conv_units(model, x, path, reads_image=True)
    full = cv.compute.conv_units(model, x, path)
    assert full.reads_image and fast.reads_image
    np.testing.assert_allclose(fast.output, full.output, rtol=1e-5, atol=1e-5)
    np.testing.assert_array_equal(fast.layer_input, full.layer_input)
