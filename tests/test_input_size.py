"""The one input-size rule: a subclassed model built once on a batch is probed for other sizes;
``input_size=`` forces a size on every entry point."""

import keras
import numpy as np
import pytest
import tensorflow as tf
from keras import layers

import convviz_widgets as cv
from convviz_widgets.compute import access

from _any_size import edge_sum, edges, image  # noqa: F401 - fixtures


class FixedHead(keras.Model):
    """Subclassed, built on 32×40, with a Flatten + Dense head: it truly needs that size."""

    def __init__(self):
        super().__init__(name="fixed")
        self.c1 = layers.Conv2D(4, 3, padding="same", activation="relu", name="c1")
        self.flat = layers.Flatten(name="flat")
        self.head = layers.Dense(3, activation="softmax", name="head")
        self(np.zeros((1, 32, 40, 3), np.float32))

    def call(self, x):
        return self.head(self.flat(self.c1(x)))


def test_fully_convolutional_subclassed_model_runs_each_image_at_its_size(edges, image):
    acc = access(edges)
    assert acc.input_shape == (None, None, None, 3)  # the probe found it takes any size
    assert acc.built_size == (64, 64)
    acts = cv.activations(edges, image, ["c1", "c2", "fuse"])
    assert acts.resized_from is None
    assert acts["c1"].shape == (1, 70, 90, 6)
    assert acts["c2"].shape == (1, 35, 45, 5)
    own = edges(image[None]).numpy()  # what the model itself gives
    assert acts["fuse"].shape == own.shape == (1, 70, 90, 1)
    np.testing.assert_allclose(acts["fuse"], own, rtol=1e-5, atol=1e-6)


def test_gradcam_of_an_edge_map_at_the_images_size(edges, image):
    r = cv.gradcam(edges, image, target=edge_sum, layer="c2")
    assert r.heatmap.shape == (70, 90)
    assert r.cam.shape == (35, 45)
    # The score is the model's own output on the un-resized image.
    assert np.isclose(r.score, float(edge_sum(edges(image[None]))[0]), rtol=1e-5)
    px = cv.gradcam(edges, image, target=edge_sum, method="gradient_x_input")
    assert px.heatmap.shape == (70, 90) and px.cam.shape[:2] == (70, 90)


def test_a_model_that_needs_its_size_is_still_resized():
    keras.utils.set_random_seed(2)
    fixed = FixedHead()
    acc = access(fixed)
    assert acc.input_shape == (None, 32, 40, 3)  # the probe at another size failed
    img = np.random.default_rng(1).random((70, 90, 3)).astype(np.float32)
    acts = cv.activations(fixed, img, ["c1"])
    assert acts["c1"].shape == (1, 32, 40, 4) and acts.resized_from == (70, 90)
    top = cv.top_predictions(fixed, img, k=3)
    assert np.isclose(top.probabilities.sum(), 1.0, atol=1e-5)
    assert cv.gradcam(fixed, img, layer="c1").heatmap.shape == (70, 90)


def test_input_size_forces_that_size_everywhere(edges, image):
    size = (48, 80)
    acts = cv.activations(edges, image, ["c1", "c2", "fuse"], input_size=size)
    assert acts["c1"].shape == (1, 48, 80, 6) and acts["c2"].shape == (1, 24, 40, 5)
    assert acts.resized_from == (70, 90)
    r = cv.gradcam(edges, image, target=edge_sum, layer="c2", input_size=size)
    assert r.cam.shape == (24, 40) and r.heatmap.shape == (70, 90)
    ex = cv.dataset_examples(edges, "c2", np.stack([image] * 3), k=2, input_size=size)
    assert ex.box[..., 1].max() < 48 and ex.box[..., 3].max() < 80
    assert cv.receptive_field(edges, "c2", input_size=size).rows.shape == (24, 2)
    res = cv.maximize(edges, "c2", [0], steps=2, input_size=size, cache=False)
    assert res.images.shape == (1, 48, 80, 3)
    dream = cv.deepdream(edges, image, "c2", octaves=1, steps=2, input_size=size)
    assert dream.images.shape[1:3] == size
    unit = cv.conv_arithmetic(edges, image, "c1", 0, input_size=size)
    assert unit.image.shape[:2] == size
    # A fixed-size classifier forced to run at another size fails in the model, loudly.
    keras.utils.set_random_seed(2)
    with pytest.raises(Exception):
        cv.activations(FixedHead(), image, ["c1"], input_size=size)


def test_defaults_that_need_one_size_use_the_built_size(edges, image):
    rf = cv.receptive_field(edges, "c2")
    assert rf.input_size == (64, 64) and rf.rows.shape == (32, 2)
    # Dataset examples need no one size: each image runs at its own (patches are its windows).
    ex = cv.dataset_examples(edges, "c1", np.stack([image] * 2), k=1)
    assert (ex.image_size[:, 0] == image.shape[:2]).all()
    res = cv.maximize(edges, "c1", [0], steps=2, cache=False)
    assert res.images.shape[1:3] == (64, 64)


def test_bad_input_size_says_what_to_pass(edges, image):
    with pytest.raises(ValueError, match="input_size must be"):
        cv.activations(edges, image, ["c1"], input_size=(0, 5))
    with pytest.raises(ValueError, match="input_size must be"):
        cv.gradcam(edges, image, target=edge_sum, input_size="big")


def test_the_probe_is_cached_per_weights(edges, monkeypatch):
    acc = access(edges)
    calls = []
    original = type(acc)._probe_any_size
    monkeypatch.setattr(type(acc), "_probe_any_size",
                        staticmethod(lambda m, s: calls.append(1) or original(m, s)))
    for _ in range(3):
        assert acc.input_shape[1] is None
    assert calls == []  # answered once, at the first use


def test_handout_figures_take_input_size(edges, image):
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    from convviz_widgets import plotting

    fig = plotting.plot_channel(edges, image, "c2", 1, input_size=(48, 80))
    shown = [im.get_array().shape[:2] for ax in fig.axes for im in ax.get_images()]
    assert (24, 40) in shown  # the map of the 48×80 run
    plt.close(fig)
    fig = plotting.plot_conv_arithmetic(edges, image, "c1", 0, input_size=(48, 80))
    plt.close(fig)


def test_images_of_other_shapes_with_the_same_values_are_cached_apart(edges):
    """A cached result is keyed by the prepared image's shape as well as its bytes: a black
    32×64 frame and a black 64×32 one have the same bytes, and the second was served the
    first one's maps (a model taking any size runs each at its own size)."""
    wide, tall = np.zeros((32, 64, 3), np.float32), np.zeros((64, 32, 3), np.float32)
    assert cv.activations(edges, wide, ["c1"])["c1"].shape == (1, 32, 64, 6)
    assert cv.activations(edges, tall, ["c1"])["c1"].shape == (1, 64, 32, 6)
    # The same frame forced to two sizes: the same rule.
    a = cv.activations(edges, wide, ["c2"], input_size=(48, 16))["c2"]
    b = cv.activations(edges, wide, ["c2"], input_size=(16, 48))["c2"]
    assert a.shape == (1, 24, 8, 5) and b.shape == (1, 8, 24, 5)
