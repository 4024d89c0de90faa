"""Receptive fields derived from the layers equal the gradient support of single units."""

import keras
import numpy as np
import pytest
import tensorflow as tf
from keras import layers

import convviz_widgets as cv
from convviz_widgets.compute import access, run_model

from conftest import input_hw

LAYER_OF = {"sequential": "conv_b", "functional": "last_conv", "nested": "vgg16/block2_conv1",
            "subclassed": "block2/conv2", "grayscale": "uconv128"}


def support_box(model, path, y, x, seeds=(0, 1, 2)):
    """Bounding box of the input pixels whose gradient is non-zero for output (y, x)."""
    acc = access(model)
    h, w, c = input_hw(model)  # a subclassed model that takes any size: its built size
    mask = np.zeros((h, w), bool)
    for seed in seeds:
        inp = tf.constant(np.random.default_rng(seed).normal(size=(1, h, w, c)), tf.float32)
        with tf.GradientTape() as tape:
            tape.watch(inp)
            _, got = run_model(acc, inp, [path])
            unit = tf.reduce_sum(got[path][0, y, x, :])
        g = tape.gradient(unit, inp).numpy()[0]
        mask |= np.abs(g).sum(axis=-1) > 0
    rows, cols = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
    return int(rows[0]), int(rows[-1]), int(cols[0]), int(cols[-1])


def linear_zoo():
    """Every spatial rule, linear activations so that no path is cut off by a ReLU."""
    keras.utils.set_random_seed(0)
    inp = keras.Input((37, 30, 2))
    a = layers.Conv2D(3, 3, strides=2, padding="same", name="s2")(inp)
    a = layers.Conv2D(3, (3, 2), dilation_rate=(2, 1), padding="valid", name="dil")(a)
    a = layers.AveragePooling2D(2, padding="same", name="avg")(a)
    a = layers.ZeroPadding2D(((1, 0), (2, 1)), name="zpad")(a)
    b = layers.Conv2D(3, 5, padding="same", name="wide")(a)
    m = layers.Add(name="add")([a, b])
    m = layers.UpSampling2D(2, name="up")(m)
    m = layers.Cropping2D(((1, 1), (0, 2)), name="crop")(m)
    m = layers.Conv2DTranspose(2, 3, strides=2, padding="same", name="tconv")(m)
    m = layers.SeparableConv2D(2, 3, padding="valid", name="sep")(m)
    out = layers.GlobalAveragePooling2D()(m)
    return keras.Model(inp, out, name="zoo")


@pytest.mark.parametrize("path", ["s2", "dil", "avg", "zpad", "wide", "add", "up", "crop",
                                  "tconv", "sep"])
def test_equals_the_gradient_support_on_linear_models(path):
    model = linear_zoo()
    rf = cv.receptive_field(model, path)
    oh, ow = rf.rows.shape[0], rf.cols.shape[0]
    for y, x in [(0, 0), (oh // 2, ow // 3), (oh - 1, ow - 1)]:
        t, b, l, r = rf.box(y, x)
        if t > b or l > r:  # a padded border position reads no pixel at all
            continue
        assert support_box(model, path, y, x) == (t, b, l, r), (path, y, x)


def test_every_model_style_contains_the_gradient_support(models, style):
    """With ReLUs and max pooling some taps get no gradient, so the support is inside the
    derived field; on the plain convolution chains it fills it."""
    model = models[style]
    path = LAYER_OF[style]
    rf = cv.receptive_field(model, path)
    oh, ow = rf.rows.shape[0], rf.cols.shape[0]
    for y, x in [(0, 0), (oh // 2, ow // 2), (oh - 1, ow - 1)]:
        t, b, l, r = rf.box(y, x)
        st, sb, sl, sr = support_box(model, path, y, x)
        assert t <= st and sb <= b and l <= sl and sr <= r, (style, (y, x))


def test_demo_model_sizes_follow_the_vgg_arithmetic():
    model = cv.demo_model()
    assert cv.receptive_field(model, "block1_conv1").size == (3, 3)
    assert cv.receptive_field(model, "block1_pool").size == (6, 6)
    assert cv.receptive_field(model, "block2_conv1").size == (10, 10)


def test_any_size_models_need_a_size_and_raw_resizes_are_refused():
    keras.utils.set_random_seed(0)
    fcn = keras.Sequential([keras.Input((None, None, 1)), layers.Conv2D(2, 3, name="c")])
    with pytest.raises(ValueError, match="input_size"):
        cv.receptive_field(fcn, "c")
    assert cv.receptive_field(fcn, "c", input_size=(9, 7)).rows.shape == (7, 2)

    class RawPool(keras.Model):
        def __init__(self):
            super().__init__()
            self.c1 = layers.Conv2D(2, 3, name="c1")
            self.c2 = layers.Conv2D(2, 3, name="c2")

        def call(self, x):
            return self.c2(tf.nn.max_pool2d(self.c1(x), 2, 2, "VALID"))

    m = RawPool()
    m(np.zeros((1, 16, 16, 1), np.float32))
    with pytest.raises(ValueError, match="MaxPool"):
        cv.receptive_field(m, "c2")
