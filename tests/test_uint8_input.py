"""Models whose ``Input`` is uint8 (``keras.Input(..., dtype="uint8")`` then ``Rescaling``).

Keras casts what such a model is called with to uint8, and a cast to an integer has no gradient:
before the fix every gradient method saw zeros, top-k read a black image (p = 0.5 / 0.5) and the
maximizer crashed on a ``None`` gradient. The model is now fed float32 0–255 values it takes as
they are (``_model_trace.float_feed``); these tests check every entry point against the model's
own ``predict`` on the same uint8 image.
"""

from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf
from keras import layers

import convviz_widgets as cv
from convviz_widgets.compute._access import access
from convviz_widgets.compute._model_trace import float_feed

H, W = 20, 28  # non-square on purpose


def _body(x):
    x = layers.Rescaling(1 / 255.0, name="scale")(x)
    x = layers.Conv2D(6, 3, activation="relu", padding="same", name="conv1")(x)
    x = layers.MaxPooling2D(name="pool")(x)
    x = layers.Conv2D(5, 3, activation="relu", padding="same", name="conv2")(x)
    return layers.GlobalAveragePooling2D(name="gap")(x)


def make_uint8(style: str, head: str):
    """A uint8-input model; ``head`` is ``"sigmoid"`` (one unit) or ``"softmax"`` (3 classes)."""
    keras.utils.set_random_seed(7)
    units, act = (1, "sigmoid") if head == "sigmoid" else (3, "softmax")
    if style == "sequential":
        return keras.Sequential([
            keras.Input((H, W, 3), dtype="uint8"),
            layers.Rescaling(1 / 255.0, name="scale"),
            layers.Conv2D(6, 3, activation="relu", padding="same", name="conv1"),
            layers.MaxPooling2D(name="pool"),
            layers.Conv2D(5, 3, activation="relu", padding="same", name="conv2"),
            layers.GlobalAveragePooling2D(name="gap"),
            layers.Dense(units, activation=act, name="head"),
        ], name=f"u8_seq_{head}")
    inp = keras.Input((H, W, 3), dtype="uint8")
    out = layers.Dense(units, activation=act, name="head")(_body(inp))
    return keras.Model(inp, out, name=f"u8_func_{head}")


CASES = [("sequential", "sigmoid"), ("functional", "softmax"),
         ("sequential", "softmax"), ("functional", "sigmoid")]


@pytest.fixture(scope="module", params=CASES, ids=["-".join(c) for c in CASES])
def u8(request):
    model = make_uint8(*request.param)
    img = (np.random.default_rng(11).random((H, W, 3)) * 255).astype(np.uint8)
    return model, img, request.param[1]


def test_the_model_takes_floats_and_still_casts_when_called_itself(u8):
    model, img, _ = u8
    assert float_feed(access(model))
    # the temporary float feed is undone: Keras still casts what the user calls it with
    assert model.inputs[0].dtype == "uint8"
    x = tf.constant(img[None].astype(np.float32))
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = model(x)
    assert tape.gradient(y, x) is None


def test_top_predictions_equal_model_predict(u8):
    model, img, head = u8
    p = model.predict(img[None], verbose=0)[0]
    probs = np.array([1 - p[0], p[0]]) if head == "sigmoid" else p
    top = cv.top_predictions(model, img)
    np.testing.assert_allclose(top.probabilities, probs[top.indices], rtol=1e-5, atol=1e-6)
    assert top.indices[0] == int(np.argmax(probs))
    # the same picture as floats in [0, 1] is the same model input
    top01 = cv.top_predictions(model, img / 255.0)
    np.testing.assert_allclose(top01.probabilities, top.probabilities, rtol=1e-5, atol=1e-6)


def test_gradcam_and_every_cam_method_give_a_map(u8):
    model, img, _ = u8
    p = model.predict(img[None], verbose=0)[0]
    for method in cv.cam_methods():
        meth = cv.compute.cam.get_method(method)
        layer = "conv2" if cv.compute.cam.reads_layer(meth) else None  # pixel methods: none
        r = cv.gradcam(model, img, method=method, layer=layer, cache=False)
        assert r.flag is None, (method, r.flag)
        assert np.isfinite(r.heatmap).all() and r.heatmap.std() > 1e-4, method
        assert r.heatmap.shape == (H, W)
        if r.probability is not None:  # the probability the explained class really has
            probs = np.array([1 - p[0], p[0]]) if p.shape == (1,) else p
            assert r.probability == pytest.approx(float(probs[r.target]), rel=1e-5), method


def _float_twin(model):
    """The same network with a float32 ``Input`` (fed the same 0–255 values)."""
    inp = keras.Input((H, W, 3))
    x = inp
    for layer in model.layers:  # a functional model lists its InputLayer, a Sequential not
        if isinstance(layer, keras.layers.InputLayer):
            continue
        x = layer.__class__.from_config(layer.get_config())(x)
    twin = keras.Model(inp, x)
    twin.set_weights(model.get_weights())
    return twin


def test_pixel_methods_have_a_gradient(u8):
    model, img, _ = u8
    for method in ("saliency", "integrated_gradients", "gradient_x_input", "smoothgrad"):
        r = cv.gradcam(model, img, method=method, cache=False)
        assert r.flag is None and np.abs(r.heatmap).max() > 0, method
    # The gradient is the one a float model gets: the same network with a float Input, fed
    # the same pixels, gives the same saliency map (its preprocess scales to 0-255 likewise).
    twin = _float_twin(model)
    mine = cv.gradcam(model, img, method="saliency", cache=False)
    ref = cv.gradcam(twin, img, method="saliency", preprocess=lambda x: x * 255.0, cache=False)
    assert mine.target == ref.target
    np.testing.assert_allclose(mine.heatmap, ref.heatmap, rtol=1e-4, atol=1e-5)
    assert mine.score == pytest.approx(ref.score, rel=1e-5)


def test_faithfulness_runs_on_the_model_scores(u8):
    model, img, _ = u8
    r = cv.gradcam(model, img, layer="conv2", cache=False)
    f = cv.faithfulness(model, img, r.heatmap, target=r.target, steps=6)
    assert np.isfinite(f.curve).all()
    # the first point is the model's score on the untouched image
    assert f.curve[0] == pytest.approx(r.probability, rel=1e-4) or \
        f.curve[0] == pytest.approx(r.score, rel=1e-4)


def test_maximize_runs_and_raises_its_objective(u8):
    model, _, _ = u8
    res = cv.maximize(model, "conv2", [0, 1], steps=25, cache=False)
    assert res.images.shape == (2, H, W, 3)
    assert np.isfinite(res.history).all()
    assert (res.history[-1] > res.history[0]).any()
    assert res.activation.max() > 0


def test_maximize_a_class_runs(u8):
    model, _, head = u8
    res = cv.maximize(model, objective="class", filters=[0], steps=20, cache=False)
    assert np.isfinite(res.history).all() and res.history[-1, 0] > res.history[0, 0]


def test_deepdream_raises_its_score(u8):
    model, img, _ = u8
    d = cv.deepdream(model, img, ["conv2"], octaves=1, steps=8)
    assert d.images.shape == (1, H, W, 3)
    assert d.score[0] > d.start_score[0]


def test_dataset_examples_scores_equal_activations(u8):
    model, _, _ = u8
    data = (np.random.default_rng(5).random((6, H, W, 3)) * 255).astype(np.uint8)
    ex = cv.dataset_examples(model, "conv2", data, k=2)
    acts = cv.activations(model, data, "conv2", cache=False)["conv2"]  # (n, h, w, c)
    best = acts.max(axis=(1, 2))  # (n, c)
    for row, c in enumerate(ex.channels):
        np.testing.assert_allclose(ex.scores[row], np.sort(best[:, c])[::-1][:2], rtol=1e-4,
                                   atol=1e-6)


def test_gradcam_viewer_shows_the_models_probability():
    from convviz_widgets.widgets._gradcam_viewer import GradCAMViewer

    model = make_uint8("sequential", "sigmoid")
    img = (np.random.default_rng(11).random((1, H, W, 3)) * 255).astype(np.uint8)
    v = GradCAMViewer(model, img)
    try:
        p = float(model.predict(img, verbose=0)[0, 0])
        assert v.result.flag is None and v.result.heatmap.std() > 1e-4
        shown = sorted(float(x) for x in v.top.probabilities)
        np.testing.assert_allclose(shown, sorted([p, 1 - p]), rtol=1e-5)
        assert f"p = {100 * max(p, 1 - p):.1f}%" in v.overlay.caption
    finally:
        v.cancel()
        v.wait(10)


def test_a_model_that_needs_integers_keeps_getting_them():
    """A first layer with integer semantics (convert_image_dtype scales uint8 only) fails the
    check: the model is fed integers, as before, and its activations stay right."""
    inp = keras.Input((H, W, 3), dtype="uint8")
    x = layers.Lambda(lambda t: tf.image.convert_image_dtype(t, tf.float32), name="to01")(inp)
    x = layers.Conv2D(4, 3, name="conv")(x)
    model = keras.Model(inp, x)
    assert not float_feed(access(model))
    img = (np.random.default_rng(3).random((1, H, W, 3)) * 255).astype(np.uint8)
    a = cv.activations(model, img, ["to01", "conv"], cache=False)
    np.testing.assert_allclose(a["to01"], img / 255.0, atol=1e-6)
    np.testing.assert_allclose(a["conv"], model(img).numpy(), rtol=1e-5, atol=1e-6)
