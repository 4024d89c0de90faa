"""Models that take any input size ``(None, None, C)``, shared by the tests of every entry point
(model access, dataset examples, input size, views) so there is one definition of each."""
import warnings

import keras
import numpy as np
import pytest
import tensorflow as tf
from keras import layers


def fcn_layers():
    """Conv/pool stack that keeps 'same' padding: every map is the input size over 1, 2, 4."""
    return [layers.Conv2D(4, 3, padding="same", activation="relu", name="c1"),
            layers.MaxPooling2D(name="p1"),
            layers.Conv2D(5, 3, padding="same", activation="relu", name="c2"),
            layers.MaxPooling2D(name="p2"),
            layers.Conv2D(6, 3, padding="same", name="c3")]


def strided_fcn_layers():
    """A stack with a 'valid' conv and a stride: map sizes are not a plain division of the input."""
    return [layers.Conv2D(4, 3, padding="same", activation="relu", name="c1"),
            layers.MaxPooling2D(name="p1"),
            layers.Conv2D(5, 3, padding="valid", activation="relu", name="c2"),
            layers.Conv2D(3, 3, strides=2, padding="same", name="c3")]


class SubFCN(keras.Model):
    """Subclassed: ``call`` chains the layers; built on ``(None, None, None, 3)``."""

    def __init__(self, make_layers=fcn_layers):
        super().__init__(name="sub_fcn")
        self.body = make_layers()

    def call(self, x):
        for layer in self.body:
            x = layer(x)
        return x


def fcn_model(style: str, make_layers=fcn_layers, seed: int = 3):
    """An any-size model of ``style`` (sequential, functional, nested, subclassed)."""
    keras.utils.set_random_seed(seed)
    if style == "sequential":
        return keras.Sequential([keras.Input((None, None, 3))] + make_layers())
    if style == "functional":
        inp = keras.Input((None, None, 3))
        x = inp
        for layer in make_layers():
            x = layer(x)
        return keras.Model(inp, x)
    if style == "nested":
        inner = keras.Sequential([keras.Input((None, None, 3))] + make_layers(), name="fcn")
        inp = keras.Input((None, None, 3))
        return keras.Model(inp, layers.Conv2D(2, 1, name="head")(inner(inp)))
    m = SubFCN(make_layers)
    with warnings.catch_warnings():  # Keras: "no build() of its own" — none is needed here
        warnings.simplefilter("ignore", UserWarning)
        m.build((None, None, None, 3))  # a call would fix the size the package reads
    return m


class EdgeNet(keras.Model):
    """HED-style edge detector: side outputs at two scales, upsampled to the input and fused.
    Its constructor calls it on zeros(1, 64, 64, 3), as many do before ``load_weights``."""

    def __init__(self):
        super().__init__(name="edges")
        self.c1 = layers.Conv2D(6, 3, padding="same", activation="relu", name="c1")
        self.p1 = layers.MaxPooling2D(2, name="p1")
        self.c2 = layers.Conv2D(5, 3, padding="same", activation="relu", name="c2")
        self.s1 = layers.Conv2D(1, 1, name="side1")
        self.s2 = layers.Conv2D(1, 1, name="side2")
        self.fuse = layers.Conv2D(1, 1, activation="sigmoid", name="fuse")
        self(np.zeros((1, 64, 64, 3), np.float32))

    def call(self, x):
        a = self.c1(x)
        b = self.c2(self.p1(a))
        s2 = tf.image.resize(self.s2(b), tf.shape(x)[1:3])
        return self.fuse(tf.concat([self.s1(a), s2], axis=-1))


def edge_sum(y):
    """A scalar target per sample for the edge map (mean edge strength)."""
    return tf.reduce_mean(y, axis=(1, 2, 3))


@pytest.fixture(scope="module")
def edges():
    keras.utils.set_random_seed(1)
    return EdgeNet()


@pytest.fixture(scope="module")
def image():
    """A 70×90 image: not the 64×64 EdgeNet was called on."""
    return np.random.default_rng(0).random((70, 90, 3)).astype(np.float32)
