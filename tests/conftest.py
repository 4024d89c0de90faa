"""Shared fixtures: one small model of every style the package must handle.

Inputs are non-square and channel counts odd (5, 7, 3) so that a transposed axis cannot pass
unnoticed.
"""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np
import pytest
# Imported now, on the main thread, before any view starts a background compile: otherwise
# hypothesis' pytest plugin imports it at session end, pytest's assertion rewriter parses it
# while a view's job thread parses a function for tf.function (autograph), and CPython 3.11's
# ast is not thread-safe ("SystemError: AST constructor recursion depth mismatch", seen here
# on a run of tests/test_explorer_channels.py alone).
import hypothesis  # noqa: F401

import keras
import tensorflow as tf
from keras import layers

H, W = 40, 56  # non-square on purpose


def suptitle(fig) -> str:
    """A matplotlib figure's suptitle text, through public API (``Figure.get_suptitle`` came
    in matplotlib 3.8; before it the suptitle is the figure-level text made first)."""
    get = getattr(fig, "get_suptitle", None)
    if get is not None:
        return get()
    return fig.texts[0].get_text() if fig.texts else ""


def make_sequential(h=H, w=W, c=3):
    keras.utils.set_random_seed(1)
    return keras.Sequential([
        keras.Input((h, w, c)),
        layers.Conv2D(5, 3, activation="relu", padding="same", name="conv_a"),
        layers.MaxPooling2D(name="pool_a"),
        layers.Conv2D(7, 3, activation="relu", name="conv_b"),
        layers.GlobalAveragePooling2D(name="gap"),
        layers.Dense(4, activation="softmax", name="predictions"),
    ], name="seq")


def make_functional(h=H, w=W, c=3):
    """Two branches and a layer called twice (shared weights)."""
    keras.utils.set_random_seed(2)
    inp = keras.Input((h, w, c))
    x = layers.Conv2D(5, 3, activation="relu", padding="same", name="stem")(inp)
    shared = layers.Conv2D(5, 3, padding="same", activation="relu", name="shared")
    a = shared(x)
    b = shared(layers.Conv2D(5, 1, name="side")(x))
    x = layers.Concatenate(name="concat")([a, b])
    x = layers.Conv2D(7, 3, activation="relu", padding="same", name="last_conv")(x)
    x = layers.GlobalAveragePooling2D(name="gap")(x)
    out = layers.Dense(3, name="logits")(x)
    return keras.Model(inp, out, name="func")


def make_backbone(h=150, w=150, c=3):
    """A VGG-style backbone, named like keras.applications.VGG16, used as one layer."""
    keras.utils.set_random_seed(3)
    return keras.Sequential([
        keras.Input((h, w, c)),
        layers.Conv2D(5, 3, activation="relu", padding="same", name="block1_conv1"),
        layers.Conv2D(5, 3, activation="relu", padding="same", name="block1_conv2"),
        layers.MaxPooling2D(name="block1_pool"),
        layers.Conv2D(7, 3, activation="relu", padding="same", name="block2_conv1"),
        layers.MaxPooling2D(name="block2_pool"),
    ], name="vgg16")


def make_nested(h=150, w=150, c=3):
    """Transfer learning as in the lessons: the backbone nested as one layer of a Sequential,
    built with model.build (Keras 3 Sequential without an Input)."""
    base = make_backbone(h, w, c)
    base.trainable = False
    model = keras.Sequential([
        base,
        layers.Conv2D(6, 3, activation="relu", name="conv2d"),
        layers.MaxPooling2D(name="max_pooling2d"),
        layers.Flatten(name="flatten"),
        layers.Dense(8, activation="relu", name="dense"),
        layers.Dense(1, activation="sigmoid", name="dense_1"),
    ], name="transfer")
    model.build((None, h, w, c))
    return model


class Subclassed(keras.Model):
    """call() chains nested Sequential blocks with raw TF ops in between (no symbolic graph)."""

    def __init__(self, n_classes=3, **kw):
        super().__init__(**kw)
        self.block1 = keras.Sequential([
            layers.Conv2D(5, 3, padding="same", name="conv1"),
            layers.MaxPooling2D(name="pool1")], name="block1")
        self.block2 = keras.Sequential([
            layers.Conv2D(7, 3, padding="same", name="conv2")], name="block2")
        self.head = layers.Dense(n_classes, name="head")

    def call(self, x, training=False):
        x = tf.nn.relu(self.block1(x)) * 1.5
        x = self.block2(x - 0.1)
        x = tf.nn.relu(x)
        return self.head(tf.reduce_mean(x, axis=[1, 2]))


def make_subclassed(h=H, w=W, c=3):
    keras.utils.set_random_seed(4)
    m = Subclassed(name="sub")
    m(np.zeros((1, h, w, c), np.float32))  # builds it
    return m


def make_unet(h=64, w=48, c=1):
    """A grayscale U-Net (BatchNorm, skip concatenations, upsampling), like the lesson's."""
    keras.utils.set_random_seed(5)
    inp = keras.Input((h, w, c))
    d1 = layers.Conv2D(5, 3, padding="same", activation="relu", name="dconv64")(inp)
    d1 = layers.BatchNormalization(name="conv64_1")(d1)
    p1 = layers.MaxPooling2D(name="pool1")(d1)
    d2 = layers.Conv2D(7, 3, padding="same", activation="relu", name="dconv128")(p1)
    d2 = layers.BatchNormalization(name="conv128_1")(d2)
    p2 = layers.MaxPooling2D(name="code")(d2)
    mid = layers.Conv2D(9, 3, padding="same", activation="relu", name="conv512")(p2)
    u2 = layers.UpSampling2D(name="up2")(mid)
    u2 = layers.Concatenate(name="cat2")([u2, d2])
    u2 = layers.Conv2D(7, 3, padding="same", activation="relu", name="uconv128")(u2)
    u1 = layers.UpSampling2D(name="up1")(u2)
    u1 = layers.Concatenate(name="cat1")([u1, d1])
    u1 = layers.Conv2D(5, 3, padding="same", activation="relu", name="uconv64")(u1)
    out = layers.Conv2D(1, 1, activation="sigmoid", name="final_conv1")(u1)
    return keras.Model(inp, out, name="unet")


STYLES = {
    "sequential": make_sequential,
    "functional": make_functional,
    "nested": make_nested,
    "subclassed": make_subclassed,
    "grayscale": make_unet,
}


@pytest.fixture(scope="session")
def models():
    """{style: model}, built once per session."""
    return {name: make() for name, make in STYLES.items()}


@pytest.fixture(params=list(STYLES))
def style(request):
    return request.param


def input_hw(model):
    from convviz_widgets.compute import access

    acc = access(model)
    s = acc.input_shape
    if s[1] is None and acc.built_size:  # a subclassed model that takes any size
        return (*acc.built_size, s[3])
    return s[1], s[2], s[3]


def random_images(model, n=2, seed=0):
    h, w, c = input_hw(model)
    return np.random.default_rng(seed).random((n, h, w, c)).astype(np.float32)


# Test modules that exercise compute/ (TensorFlow kernels and gradients) without a browser or a
# notebook server. CI runs them a second time with TensorFlow's default oneDNN setting, so the code
# paths of both kinds of CPU are tested on every run (the first pass has oneDNN off).
COMPUTE_MODULES = {"test_attribution_pipeline", "test_import_cycles", "test_model_access", "test_kernels_activations", "test_gradcam",
                   "test_maximize", "test_model_zoo", "test_robustness", "test_properties",
                   "test_conv_arithmetic", "test_receptive_field", "test_dataset_examples",
                   "test_maximize_selected", "test_attribution", "test_doctests", "test_progress",
                   "test_maximize_objectives", "test_identity_fingerprint",
                   "test_preprocess_state"}


def pytest_collection_modifyitems(config, items):
    for item in items:
        if item.module.__name__.rsplit(".", 1)[-1] in COMPUTE_MODULES:
            item.add_marker(pytest.mark.compute)


def two_blocks_with_a_conv_each():
    """Two nested blocks (``b1``, ``b2``), each with a layer named ``conv``: the name alone is
    ambiguous, the paths ``b1/conv`` and ``b2/conv`` are not."""
    def block(name):
        return keras.Sequential([keras.Input((16, 20, 3)),
                                 layers.Conv2D(3, 3, padding="same", name="conv")], name=name)

    inp = keras.Input((16, 20, 3))
    return keras.Model(inp, block("b2")(block("b1")(inp)))
