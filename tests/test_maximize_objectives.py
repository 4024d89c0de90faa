"""The objectives of maximize on every model style: neuron (centre or a chosen position),
negative channel, class logit / Dense unit (a one-unit sigmoid: class 1 = logit, 0 = -logit),
diversity; the starting images and the unclipped model-space mode of the U-Net lesson; and the
class-visualisation quality on the demo model."""

import numpy as np
import pytest

import keras
import tensorflow as tf
from keras import layers

import convviz_widgets as cv
from convviz_widgets.compute import activations
from convviz_widgets.compute.maximize import OBJECTIVES, maximize, negative, neuron
from convviz_widgets.compute.maximize.objectives import gram_similarity

from conftest import input_hw
from test_maximize import LAYER
#: Steps of the naive recipe with a larger step size: small models climb in a few steps.
NAIVE = dict(method="naive", lr=0.05, cache=False)


def layer_maps(model, images, layer):
    """``(n, h, w, c)`` of ``layer`` through the activations module (another code path)."""
    return next(iter(activations(model, images, [layer], cache=False).values()))


# ------------------------------------------------------------------------------- neuron
def test_neuron_centre_and_position_every_style(models, style):
    model, layer = models[style], LAYER[style]
    res = maximize(model, layer, [0, 2], objective="neuron", steps=4, **NAIVE)
    maps = layer_maps(model, res.images, layer)
    h, w = maps.shape[1:3]
    np.testing.assert_allclose(res.objective, maps[[0, 1], h // 2, w // 2, [0, 2]],
                               rtol=1e-4, atol=1e-5)
    # A clicked point given as fractions of the map (the widget's way) and in map units.
    at = maximize(model, layer, [1], objective=neuron(layer, y=0.0, x=1.0, fraction=True),
                  steps=4, **NAIVE)
    np.testing.assert_allclose(at.objective, layer_maps(model, at.images, layer)[0, 0, w - 1, 1],
                               rtol=1e-4, atol=1e-5)
    one = maximize(model, layer, [1], objective=neuron(layer, y=1, x=2), steps=4, **NAIVE)
    np.testing.assert_allclose(one.objective, layer_maps(model, one.images, layer)[0, 1, 2, 1],
                               rtol=1e-4, atol=1e-5)
    # The report stays the filter's mean activation, whatever the objective.
    np.testing.assert_allclose(res.activation, maps[[0, 1], ..., [0, 2]].mean(axis=(1, 2)),
                               rtol=1e-4, atol=1e-5)


# ----------------------------------------------------------------------------- negative
def test_negative_reads_the_pre_activation_of_a_conv(models):
    model = models["sequential"]
    res = maximize(model, "conv_b", [0, 3], objective="negative", steps=6, **NAIVE)
    # conv_b is Conv2D(relu) after pool_a: its pre-activation in plain TF.
    x = layer_maps(model, res.images, "pool_a")
    conv = model.get_layer("conv_b")
    z = tf.nn.conv2d(x, conv.kernel, 1, "VALID").numpy() + conv.bias.numpy()
    np.testing.assert_allclose(res.objective, -z[..., [0, 3]][[0, 1], ..., [0, 1]].mean(
        axis=(1, 2)), rtol=1e-4, atol=1e-5)
    assert (res.objective > 0).all()  # the filter is pushed below zero: mostly off
    on = maximize(model, "conv_b", [0, 3], steps=6, **NAIVE)
    assert (res.activation <= on.activation).all() and res.activation.sum() < on.activation.sum()


def test_negative_every_style_climbs(models, style):
    model, layer = models[style], LAYER[style]
    short = maximize(model, layer, [1], objective="negative", steps=1, **NAIVE)
    long = maximize(model, layer, [1], objective="negative", steps=12, **NAIVE)
    assert long.objective[0] > short.objective[0]
    assert long.objective_name == "negative"
    named = maximize(model, layer, [1], objective=negative(layer), steps=1, **NAIVE)
    assert named.objective_name == "negative"
    custom = maximize(model, layer, [1], objective=negative(layer) + negative(layer, 0),
                      steps=1, **NAIVE)
    assert custom.objective_name == "custom"


# -------------------------------------------------------------------------- class / unit
def test_class_logits_every_style(models, style):
    model = models[style]
    res = maximize(model, None, None, objective="class", steps=10, seed=1, **NAIVE)
    out = np.asarray(model(res.images), np.float64)
    if style in ("functional", "subclassed"):  # linear outputs: the logit is the output
        np.testing.assert_allclose(res.objective, out[np.arange(len(res)), res.filters],
                                   rtol=1e-4, atol=1e-4)
        assert res.filters.tolist() == list(range(out.shape[1]))
    elif style == "sequential":  # softmax: the logit from the pooled conv_b maps, in numpy
        assert res.filters.tolist() == [0, 1, 2, 3]
        dense = model.get_layer("predictions")
        z = layer_maps(model, res.images, "conv_b").mean(axis=(1, 2)) @ dense.kernel.numpy() \
            + dense.bias.numpy()
        np.testing.assert_allclose(res.objective, z[np.arange(4), res.filters], rtol=1e-4,
                                   atol=1e-5)
    elif style == "nested":  # one sigmoid unit: class 1 is its logit, class 0 minus it
        assert res.filters.tolist() == [0, 1]
        p = np.clip(out[:, 0], 1e-7, 1 - 1e-7)
        z = np.log(p / (1 - p))
        np.testing.assert_allclose(res.objective, [-z[0], z[1]], rtol=1e-3, atol=1e-3)
    else:  # grayscale U-Net: a sigmoid map, class 1 raises it, class 0 lowers it
        assert res.filters.tolist() == [0, 1]
        start = maximize(model, None, None, objective="class", steps=1, seed=1, **NAIVE)
        before = np.asarray(model(start.images)).mean(axis=(1, 2, 3))
        after = out.mean(axis=(1, 2, 3))
        assert after[1] > before[1] and after[0] < before[0]
    assert res.objective_name == "class" and res.layer == "<logits>"
    # The output layer by name means its classes too.
    final = {"sequential": "predictions", "functional": "logits", "nested": "dense_1",
             "subclassed": "head", "grayscale": "final_conv1"}[style]
    named = maximize(model, final, [1], objective="class", steps=10, seed=1, **NAIVE)
    np.testing.assert_allclose(named.objective, res.objective[1], rtol=1e-5)


def test_one_unit_sigmoid_classifier_classes_are_plus_and_minus_logit():
    keras.utils.set_random_seed(7)
    model = keras.Sequential([keras.Input((24, 32, 3)),
                              layers.Conv2D(4, 3, activation="relu", name="conv"),
                              layers.GlobalAveragePooling2D(),
                              layers.Dense(1, activation="sigmoid", name="out")])
    res = maximize(model, None, [0, 1], objective="class", steps=20, **NAIVE)
    p = np.asarray(model(res.images))[:, 0].astype(np.float64)
    z = np.log(p / (1 - p))
    np.testing.assert_allclose(res.objective, [-z[0], z[1]], rtol=1e-3, atol=1e-4)
    assert p[1] > 0.5 > p[0]  # "yes" and "no" patterns
    with pytest.raises(ValueError, match="out of range"):
        maximize(model, None, [2], objective="class", steps=1, **NAIVE)


def test_dense_unit_and_non_map_layers(models):
    model = models["nested"]
    res = maximize(model, "dense", [0, 5], objective="class", steps=6, **NAIVE)
    assert res.layer == "dense" and res.filters.tolist() == [0, 5]
    # Independently: the flattened pooled map through the Dense kernel, then its ReLU.
    x = layer_maps(model, res.images, "max_pooling2d").reshape(2, -1)
    dense = model.get_layer("dense")
    units = np.maximum(x @ dense.kernel.numpy() + dense.bias.numpy(), 0.0)
    np.testing.assert_allclose(res.objective, units[[0, 1], [0, 5]], rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(res.activation, res.objective, rtol=1e-6)
    # A channel objective still says what to do with a Dense layer.
    with pytest.raises(ValueError, match="not a feature map"):
        maximize(model, "dense", [0], steps=1, **NAIVE)
    with pytest.raises(ValueError, match="needs a layer"):
        maximize(model, None, [0], objective="neuron", steps=1, **NAIVE)
    with pytest.raises(ValueError, match="Unknown objective"):
        maximize(model, "dense", [0], objective="logit", steps=1, **NAIVE)
    assert OBJECTIVES == ("channel", "neuron", "negative", "class", "diversity")


# ----------------------------------------------------------------------------- diversity
def test_diversity_every_style(models, style):
    model, layer = models[style], LAYER[style]
    kw = dict(objective="diversity", n_patterns=3, steps=12, cache=False)
    same = maximize(model, layer, [1], diversity_weight=0.0, **kw)
    apart = maximize(model, layer, [1], diversity_weight=4.0, **kw)
    h, w, c = input_hw(model)
    assert apart.images.shape == (3, h, w, c) and apart.filters.tolist() == [1, 1, 1]
    assert apart.objective_name == "diversity" and apart.complete.all()

    def similarity(res):
        return float(gram_similarity(tf.constant(layer_maps(model, res.images, layer))).numpy()
                     .mean())

    assert similarity(apart) < similarity(same)
    # The three rows started differently (each its own random start).
    assert np.abs(same.images[0] - same.images[1]).max() > 1e-3


def test_gram_similarity_is_cosine_of_gram_matrices():
    f = np.random.default_rng(0).random((3, 4, 5, 6)).astype(np.float32)
    g = np.einsum("nhwc,nhwd->ncd", f, f).reshape(3, -1)
    g /= np.linalg.norm(g, axis=1, keepdims=True)
    cos = g @ g.T
    want = (cos.sum(axis=1) - np.diag(cos)) / 2
    np.testing.assert_allclose(gram_similarity(tf.constant(f)).numpy(), want, rtol=1e-5)


# ------------------------------------------------------------------- start and model space
def test_init_uniform_image_and_model_space(models):
    model = models["grayscale"]  # the U-Net lesson: grayscale, fully convolutional
    h, w, c = input_hw(model)
    one = maximize(model, "dconv64", [0], method="naive", steps=1, lr=1e-6, init="uniform",
                   cache=False)
    assert one.images.std() > 0.2  # U(0, 1), not grey plus a little noise
    start = np.linspace(0, 1, h * w, dtype=np.float32).reshape(h, w, 1)
    given = maximize(model, "dconv64", [0], method="naive", steps=1, lr=1e-6, init=start,
                     cache=False)
    np.testing.assert_allclose(given.images[0], start, atol=1e-5)

    # Model space: 20 steps of size 1.0 on the raw input from uniform noise, no clipping.
    raw = maximize(model, "dconv64", [0, 1], method="naive", steps=20, init="uniform",
                   space="model", cache=False)
    assert raw.raw.shape == (2, h, w, c) and raw.raw.dtype == np.float32
    assert raw.raw.max() > 1.5 or raw.raw.min() < -0.5  # far outside [0, 1]
    assert 0.0 <= raw.images.min() and raw.images.max() <= 1.0
    # The result contract in model space: the raw values are what the model saw.
    sub = keras.Model(model.inputs[0], model.get_layer("dconv64").output)  # any values
    maps = np.asarray(sub(raw.raw))
    np.testing.assert_allclose(raw.activation, maps[[0, 1], ..., [0, 1]].mean(axis=(1, 2)),
                               rtol=1e-4, atol=1e-4)
    # The lesson's figure: the raw values with a colour bar in their own units.
    from convviz_widgets import plotting

    fig = plotting.plot_raw_pattern(raw, 1)
    image, bar = fig.axes[0].images[0], fig.axes[1]
    np.testing.assert_allclose(image.get_array(), raw.raw[1].mean(axis=-1), rtol=1e-6)
    assert image.get_clim() == (float(raw.raw[1].min()), float(raw.raw[1].max()))
    assert "raw" in bar.get_ylabel()
    # Display space stays the default and clipped.
    clipped = maximize(model, "dconv64", [0], method="naive", steps=20, lr=1.0, cache=False)
    assert clipped.raw is None and clipped.images.max() <= 1.0
    with pytest.raises(ValueError, match="preprocess"):
        maximize(model, "dconv64", [0], method="naive", space="model", preprocess=lambda x: x,
                 steps=1)
    with pytest.raises(ValueError, match="bounded"):
        maximize(model, "dconv64", [0], space="model", param="fourier", steps=1)
    with pytest.raises(ValueError, match="init must be"):
        maximize(model, "dconv64", [0], init="zeros", steps=1)


# ------------------------------------------------------------------- class visualisation
def test_demo_class_patterns_are_classified_as_their_class():
    model = cv.demo_model()
    res = maximize(model, None, None, objective="class", steps=40, cache=False)
    p = np.asarray(model(res.images))
    assert res.filters.tolist() == [0, 1, 2, 3, 4]
    assert (p[np.arange(5), res.filters] >= 0.9).all(), np.round(p, 3)
