"""Arguments that cannot act raise instead of silently doing nothing (bug 9).

Each case was a run that looked fine and ignored what the user asked for: four "diverse"
patterns with similarity 1.000, a dead hidden Dense unit that never moved, a layer= a pixel
method never reads... Each now raises a message naming what would act, or (Dense units) acts.
"""

from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf
from keras import layers

import convviz_widgets as cv
from convviz_widgets.compute import InputError
from convviz_widgets.widgets._errors import short_message

from conftest import make_sequential, random_images


@pytest.fixture(scope="module")
def seq():
    return make_sequential()  # conv_a, pool_a, conv_b, gap, predictions (softmax)


@pytest.fixture(scope="module")
def dense_model():
    """A hidden ReLU Dense unit (3) that is off for every image at the start."""
    keras.utils.set_random_seed(0)
    m = keras.Sequential([
        keras.Input((16, 20, 3)),
        layers.Conv2D(4, 3, activation="relu", name="conv"),
        layers.Flatten(name="flat"),
        layers.Dense(6, activation="relu", name="dense"),
        layers.Dense(3, activation="softmax", name="out"),
    ], name="dense_head")
    d = m.get_layer("dense")
    k, b = d.get_weights()
    b[3] = -5.0  # far below anything the conv features can add on a grey start
    d.set_weights([k, b])
    return m


# ---------------------------------------------------------------------------- maximize
@pytest.mark.parametrize("kw", [{"n_patterns": 3}, {"diversity_weight": 2.0},
                                {"n_patterns": 3, "diversity_weight": 2.0}])
def test_diversity_arguments_need_objective_diversity(seq, kw):
    with pytest.raises(InputError, match='only act with objective="diversity".*\'channel\''):
        cv.maximize(seq, "conv_b", [0], steps=2, cache=False, **kw)
    with pytest.raises(InputError, match="objective=\"diversity\""):
        cv.maximize(seq, "conv_b", [0], steps=2, cache=False, objective="neuron", **kw)


def test_diversity_arguments_act_with_objective_diversity(seq):
    r = cv.maximize(seq, "conv_b", [1], steps=3, objective="diversity", n_patterns=3,
                    diversity_weight=1.0)
    assert len(r.images) == 3 and (r.filters == 1).all()


def test_cache_dir_that_stores_nothing_raises(seq, tmp_path):
    with pytest.raises(InputError, match="cache=False"):
        cv.maximize(seq, "conv_b", [0], steps=2, cache=False, cache_dir=tmp_path)
    with pytest.raises(InputError, match="diversity runs are never cached"):
        cv.maximize(seq, "conv_b", [0], steps=2, objective="diversity", cache_dir=tmp_path)
    assert not list(tmp_path.iterdir())


def _dense_pre(model, images):
    """The hidden Dense layer's pre-activation, computed independently of the package."""
    flat = keras.Model(model.inputs, model.get_layer("flat").output)([images]).numpy()
    k, b = model.get_layer("dense").get_weights()
    return flat @ k + b


def test_a_dead_hidden_dense_unit_makes_progress(dense_model):
    grey = np.full((1, 16, 20, 3), 0.5, np.float32)
    assert _dense_pre(dense_model, grey)[0, 3] < -1.0  # dead at the start: ReLU output 0
    r = cv.maximize(dense_model, "dense", [3], objective="class", steps=40, cache=False)
    # it climbs the unit's pre-activation (before this fix: 0 at every step, no gradient)
    assert r.history[-1, 0] > r.history[0, 0] + 0.3
    assert r.history[0, 0] < 0
    np.testing.assert_allclose(r.objective[0], _dense_pre(dense_model, r.images)[0, 3],
                               rtol=1e-4, atol=1e-4)


def test_a_dense_layer_without_objective_class_says_so(dense_model):
    with pytest.raises(InputError, match=r"Dense layer of 6 units.*objective=\"class\""):
        cv.maximize(dense_model, "dense", [3], steps=2)


# ---------------------------------------------------------------------------- deepdream
def test_deepdream_refuses_what_it_cannot_use(seq):
    img = random_images(seq, 1)[0]
    from convviz_widgets.compute.maximize import deepdream_objective

    obj = deepdream_objective("conv_b")
    with pytest.raises(InputError, match="layers= or objective=, not both"):
        cv.deepdream(seq, img, ["conv_a"], objective=obj, steps=1)
    with pytest.raises(InputError, match="octave_scale only acts with several octaves"):
        cv.deepdream(seq, img, "conv_b", octaves=1, octave_scale=2.0, steps=1)
    with pytest.raises(InputError, match="seed would change nothing"):
        cv.deepdream(seq, img, "conv_b", octaves=1, steps=1, seed=3)
    # what acts still runs: an objective alone, octave_scale with two octaves
    assert cv.deepdream(seq, img, objective=obj, octaves=1, steps=1).images.shape[0] == 1
    r = cv.deepdream(seq, img, "conv_b", octaves=2, octave_scale=1.2, steps=1)
    assert len(r.octave_sizes) == 2


# ------------------------------------------------------------------------------ gradcam
def test_layer_for_a_pixel_method_raises(seq):
    img = random_images(seq, 1)[0]
    for method in ("saliency", "smoothgrad", "gradient_x_input", "integrated_gradients",
                   "guided_backprop"):
        with pytest.raises(InputError, match=f"'{method}' attributes the input's pixels"):
            cv.gradcam(seq, img, layer="conv_a", method=method)
    with pytest.raises(InputError, match="reads no layer"):
        cv.sanity_check(seq, img, method="saliency", layer="conv_a")
    # methods that read a layer take it
    assert cv.gradcam(seq, img, layer="conv_a", method="guided_gradcam").heatmap.shape == \
        img.shape[:2]
    assert cv.gradcam(seq, img, layer="conv_a").layer == "conv_a"


def test_batch_size_for_a_one_pass_method_raises(seq):
    img = random_images(seq, 1)[0]
    for method in ("gradcam", "gradcam++", "saliency", "guided_gradcam"):
        with pytest.raises(InputError, match="batch_size only acts.*scorecam"):
            cv.gradcam(seq, img, method=method, batch_size=4)
    a = cv.gradcam(seq, img, method="scorecam", batch_size=3, cache=False)
    b = cv.gradcam(seq, img, method="scorecam", cache=False)
    np.testing.assert_allclose(a.heatmap, b.heatmap, rtol=1e-4, atol=1e-5)


def test_blur_sigma_with_a_black_baseline_raises(seq):
    img = random_images(seq, 1)[0]
    heat = cv.gradcam(seq, img).heatmap
    with pytest.raises(InputError, match="blur_sigma only acts with baseline=\"blur\""):
        cv.faithfulness(seq, img, heat, baseline="black", blur_sigma=2.0, steps=2)
    a = cv.faithfulness(seq, img, heat, blur_sigma=0.5, steps=2)
    b = cv.faithfulness(seq, img, heat, blur_sigma=8.0, steps=2)
    assert not np.allclose(a.curve, b.curve)  # where it acts, it changes the curve


# --------------------------------------------------------------------- dataset_examples
def test_labels_with_a_dataset_raise(seq):
    imgs = random_images(seq, 4)
    ds = tf.data.Dataset.from_tensor_slices(imgs).batch(2)
    with pytest.raises(InputError, match="tf.data.Dataset gives its labels itself"):
        cv.dataset_examples(seq, "conv_b", ds, k=2, labels=[0, 1, 2, 3])
    ex = cv.dataset_examples(seq, "conv_b", tf.data.Dataset.from_tensor_slices(
        (imgs, np.array([0, 1, 2, 3]))).batch(2), k=2)
    assert (ex.labels >= 0).all()


def test_dataset_examples_read_a_grayscale_stack_as_images():
    keras.utils.set_random_seed(3)
    gray = keras.Sequential([keras.Input((12, 10, 1)),
                             layers.Conv2D(3, 3, activation="relu", name="conv")])
    stack = np.random.default_rng(0).random((6, 12, 10)).astype(np.float32)
    ex = cv.dataset_examples(gray, "conv", stack, k=2)
    ref = cv.dataset_examples(gray, "conv", stack[..., None], k=2)
    np.testing.assert_array_equal(ex.index, ref.index)
    assert ex.n_images == ref.n_images == 6  # six images, not one


# ------------------------------------------------------------------------------- i18n
def test_the_messages_reach_a_view_in_its_language(seq):
    with pytest.raises(InputError) as info:
        cv.maximize(seq, "conv_b", [0], steps=2, n_patterns=3)
    es, pt = short_message(info.value, "es"), short_message(info.value, "pt")
    assert "solo actúan con objective=\"diversity\"" in es
    assert "só atuam com objective=\"diversity\"" in pt
    assert short_message(info.value, "en") == str(info.value)
