"""The attribution family (issue 16): more CAMs, pixel-level methods, faithfulness, sanity check.

Every method against an independent oracle where one exists, on every model style, and the
trust measures on the demo scenes (numbers are printed; run with -s to see them).
"""

from __future__ import annotations

import threading
import warnings
from pathlib import Path

import keras
import numpy as np
import pytest
import tensorflow as tf
from keras import layers

from conftest import STYLES, input_hw, make_functional, random_images

import convviz_widgets as cv
from convviz_widgets.compute import access
from convviz_widgets.compute.cam import (CAMCancelled, IntegratedGradients, SmoothGrad,
                                         UnguidedReLUWarning, blur, cam_methods, get_method,
                                         gradcam)
from convviz_widgets.compute import backend, run_model
from convviz_widgets.compute.cam._pool_gradient import pool_wrappers
from convviz_widgets.compute.cam.eigencam import first_component
from convviz_widgets.compute.trust import clone_model, spearman

CAMS = ["layercam", "hirescam", "xgradcam", "eigencam"]
PIXEL = ["saliency", "smoothgrad", "gradient_x_input", "integrated_gradients",
         "guided_backprop", "guided_gradcam"]
SIGNED = {"gradient_x_input", "integrated_gradients"}
# Calling a Keras sub-model with a bare tensor makes Keras warn about the input structure.
pytestmark = pytest.mark.filterwarnings("ignore:The structure of `inputs`")
DEMO_MODEL_FILE = Path(__file__).parent.parent / "convviz_widgets" / "data" / "demo_model.keras"


def quiet(fn, *args, **kwargs):
    """Call without the (tested elsewhere) warning about raw ReLUs of the subclassed model."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UnguidedReLUWarning)
        return fn(*args, **kwargs)


@pytest.fixture(scope="module")
def demo():
    assert DEMO_MODEL_FILE.exists(), "the bundled demo model is missing"
    return cv.demo_model(), cv.demo_images()


def test_every_method_is_registered():
    names = list(cam_methods())
    assert names[:3] == ["gradcam", "gradcam++", "scorecam"]
    assert set(CAMS + PIXEL) <= set(names)
    assert cv.cam_methods() == cam_methods()


# ----------------------------------------------------------------------------- CAM oracles
def features_and_grads(model, layer, image, score_of):
    """The plain recipe: a Keras sub-model to (A, output), a tape, the gradient of the score."""
    sub = keras.Model(model.inputs, [model.get_layer(layer).output, model.outputs[0]])
    with tf.GradientTape() as tape:
        a, y = sub(tf.constant(image[None]))
        score = score_of(model, a, y)
    return a[0].numpy().astype(np.float64), tape.gradient(score, a)[0].numpy().astype(np.float64)


def logit(c):
    return lambda model, a, y: y[:, c]


def demo_logit(c):
    """The demo model ends in Dense(softmax): its logit is GAP(A) @ kernel + bias."""
    def score(model, a, y):
        dense = model.get_layer("predictions")
        return (tf.reduce_mean(a, axis=[1, 2]) @ dense.kernel + dense.bias)[:, c]
    return score


ORACLES = {
    "layercam": lambda a, g: (np.maximum(g, 0) * a).sum(-1),
    "hirescam": lambda a, g: (g * a).sum(-1),
    "xgradcam": lambda a, g: (a * np.divide((g * a).sum((0, 1)), a.sum((0, 1)),
                                             out=np.zeros(a.shape[-1]),
                                             where=a.sum((0, 1)) != 0)).sum(-1),
}


@pytest.mark.parametrize("method", list(ORACLES))
def test_cams_equal_plain_oracles(method, demo):
    cases = [(make_functional(), "last_conv", logit, random_images(make_functional(), 2, 5), 3)]
    model, scenes = demo
    cases.append((model, "block3_conv2", demo_logit, scenes.images[:2], 5))
    for m, layer, score_of, images, n_cls in cases:
        for image in images:
            for c in range(n_cls):
                r = gradcam(m, image, target=c, method=method, cache=False)
                a, g = features_and_grads(m, layer, image, score_of(c))
                want = np.maximum(ORACLES[method](a, g), 0)
                assert r.layer == layer
                np.testing.assert_allclose(r.cam, want, rtol=2e-3, atol=2e-5 * max(want.max(), 1))


def test_eigencam_is_the_first_principal_component(demo):
    model, scenes = demo
    sub = keras.Model(model.inputs, model.get_layer("block3_conv2").output)
    for image in scenes.images[:4]:
        a = sub(image[None]).numpy()[0].astype(np.float64)
        h, w, c = a.shape
        x = a.reshape(-1, c) - a.reshape(-1, c).mean(axis=0)
        _, _, vt = np.linalg.svd(x)
        proj = (x @ vt[0]).reshape(h, w)
        # The documented sign rule: positively correlated with the mean activation.
        if np.corrcoef(proj.ravel(), a.mean(-1).ravel())[0, 1] < 0:
            proj = -proj
        r0, r1 = gradcam(model, image, target=[0, 3], method="eigencam", cache=False)
        np.testing.assert_allclose(r0.cam, np.maximum(proj, 0), rtol=1e-3,
                                   atol=1e-5 * np.abs(proj).max())
        np.testing.assert_allclose(r0.heatmap, r1.heatmap)  # class-agnostic
        assert abs(np.linalg.norm(r0.weights) - 1) < 1e-5
    v, p = first_component(np.zeros((3, 4, 2)))
    assert not p.any() and not v.any()  # a constant map has no direction


# -------------------------------------------------------------------------- pixel oracles
def test_saliency_and_gradient_x_input_equal_a_gradient_tape():
    model = make_functional()
    for seed, c in ((0, 0), (1, 2)):
        image = random_images(model, 1, seed)[0]
        x = tf.constant(image[None])
        with tf.GradientTape() as tape:
            tape.watch(x)
            score = model(x)[:, c]
        g = tape.gradient(score, x)[0].numpy()
        r = gradcam(model, image, target=c, method="saliency")
        np.testing.assert_allclose(r.cam, np.abs(g).max(-1), rtol=1e-4, atol=1e-7)
        assert r.layer == "input" and r.weights.shape == (0,) and not r.signed
        q = gradcam(model, image, target=c, method="gradient_x_input")
        want = (g * image).sum(-1)
        np.testing.assert_allclose(q.cam, want, rtol=1e-4, atol=1e-6 * np.abs(want).max())
        np.testing.assert_allclose(q.heatmap, want / np.abs(want).max(), atol=1e-5)
        assert q.signed and q.heatmap.min() < 0 < q.heatmap.max()


def test_smoothgrad_with_sigma_0_is_saliency(models, style):
    model = models[style]
    image = random_images(model, 1, seed=2)[0]
    s = gradcam(model, image, target=0, method="saliency")
    sg = gradcam(model, image, target=0, method=SmoothGrad(samples=5, sigma=0.0))
    np.testing.assert_allclose(sg.cam, s.cam, rtol=1e-5, atol=1e-8)
    noisy = gradcam(model, image, target=0, method=SmoothGrad(samples=6, sigma=0.2))
    again = gradcam(model, image, target=0, method=SmoothGrad(samples=6, sigma=0.2))
    np.testing.assert_array_equal(noisy.heatmap, again.heatmap)  # seeded
    assert not np.allclose(noisy.cam, s.cam)


def test_integrated_gradients_completeness_at_64_steps(demo):
    """Sum of attributions = F(x) - F(baseline) within 1 % with the midpoint rule."""
    model, scenes = demo
    gaps = []
    for i in range(0, 50, 5):
        image, label = scenes.images[i], int(scenes.labels[i])
        for baseline in ("black", "blur"):
            r = gradcam(model, image, target=label,
                        method=IntegratedGradients(steps=64, baseline=baseline))
            d = r.details
            assert d["score"] == pytest.approx(r.score)
            assert d["completeness_gap"] < 0.01, (i, baseline, d)
            gaps.append(d["completeness_gap"])
    # A given image as the baseline; resized like the image.
    other = scenes.images[1][::2, ::2]
    r = gradcam(model, scenes.images[0], target=int(scenes.labels[0]),
                method=IntegratedGradients(steps=64, baseline=other))
    assert r.details["completeness_gap"] < 0.01
    print(f"IG completeness gap at 64 steps: max {max(gaps):.2%}, mean {np.mean(gaps):.2%}")


def test_integrated_gradients_arguments():
    with pytest.raises(ValueError, match="baseline"):
        IntegratedGradients(baseline="grey")
    with pytest.raises(ValueError, match="steps"):
        IntegratedGradients(steps=0)
    with pytest.raises(ValueError, match="samples"):
        SmoothGrad(samples=0)


# -------------------------------------------------------------------------- guided backprop
def guided_model():
    """A small model with every kind of ReLU the override must reach: Conv2D(activation=relu)
    inside a nested backbone, a capped ReLU layer, an Activation("relu") layer, a Dense relu."""
    keras.utils.set_random_seed(11)
    inner = keras.Sequential([
        keras.Input((18, 26, 3)),
        layers.Conv2D(4, 3, activation="relu", padding="same", name="c1"),
        layers.Conv2D(5, 3, padding="same", name="c2"),
        layers.ReLU(max_value=0.5, name="r2")], name="inner")  # a capped ReLU, like ReLU6
    inp = keras.Input((18, 26, 3))
    x = inner(inp)
    x = layers.Conv2D(6, 3, name="c3")(x)
    x = layers.Activation("relu", name="a3")(x)
    x = layers.GlobalAveragePooling2D(name="gap")(x)
    x = layers.Dense(8, activation="relu", name="d1")(x)
    return keras.Model(inp, layers.Dense(3, name="logits")(x), name="guided")


@tf.custom_gradient
def oracle_guided_relu(x):
    def grad(dy):
        return tf.where(tf.logical_and(x > 0, dy > 0), dy, tf.zeros_like(dy))
    return tf.nn.relu(x), grad


@tf.custom_gradient
def oracle_guided_relu_capped(x):
    def grad(dy):
        return tf.where(tf.logical_and(tf.logical_and(x > 0, x < 0.5), dy > 0), dy,
                        tf.zeros_like(dy))
    return tf.clip_by_value(x, 0.0, 0.5), grad


def hand_built(model):
    """The same network written with raw TF ops and the oracle's guided ReLU."""
    inner = model.get_layer("inner")
    c1, c2 = inner.get_layer("c1"), inner.get_layer("c2")
    c3, d1, out = model.get_layer("c3"), model.get_layer("d1"), model.get_layer("logits")

    def f(x):
        x = oracle_guided_relu(tf.nn.conv2d(x, c1.kernel, 1, "SAME") + c1.bias)
        x = oracle_guided_relu_capped(tf.nn.conv2d(x, c2.kernel, 1, "SAME") + c2.bias)
        x = oracle_guided_relu(tf.nn.conv2d(x, c3.kernel, 1, "VALID") + c3.bias)
        x = tf.reduce_mean(x, axis=[1, 2])
        x = oracle_guided_relu(x @ d1.kernel + d1.bias)
        return x @ out.kernel + out.bias

    return f


def test_guided_backprop_equals_an_independent_custom_gradient():
    model = guided_model()
    f = hand_built(model)
    for seed in range(3):
        image = random_images(model, 1, seed)[0]
        x = tf.constant(image[None])
        np.testing.assert_allclose(f(x).numpy(), model(x).numpy(), rtol=1e-4, atol=1e-5)
        for c in range(3):
            with tf.GradientTape() as tape:
                tape.watch(x)
                s = f(x)[:, c]
            g = tape.gradient(s, x)[0].numpy()
            with warnings.catch_warnings():
                warnings.simplefilter("error", UnguidedReLUWarning)  # every ReLU reached
                r = gradcam(model, image, target=c, method="guided_backprop")
            np.testing.assert_allclose(r.cam, np.abs(g).max(-1), rtol=1e-4,
                                       atol=1e-6 * np.abs(g).max())
            assert r.details["unguided_relus"] == 0
            plain = gradcam(model, image, target=c, method="saliency")
            assert not np.allclose(plain.cam, r.cam)  # the override changed something
    # The override is gone afterwards: the model's own gradient is the plain one again.
    assert model.get_layer("a3").activation is keras.activations.relu
    assert "call" not in vars(model.get_layer("inner").get_layer("r2"))


def test_guided_gradcam_is_guided_backprop_times_gradcam():
    model = guided_model()
    image = random_images(model, 1, 4)[0]
    gb = gradcam(model, image, target=1, method="guided_backprop")
    cam = gradcam(model, image, target=1, method="gradcam")
    ggc = gradcam(model, image, target=1, method="guided_gradcam")
    assert ggc.layer == cam.layer == "a3"
    want = gb.cam * cam.heatmap
    np.testing.assert_allclose(ggc.cam, want, rtol=1e-4, atol=1e-7 * want.max())


def test_raw_relu_in_a_subclassed_call_cannot_be_guided(models):
    model = models["subclassed"]  # call() applies tf.nn.relu twice between its blocks
    image = random_images(model, 1, 3)[0]
    with pytest.warns(UnguidedReLUWarning, match=r"2 ReLU op\(s\).*tf.nn.relu"):
        r = gradcam(model, image, target=0, method="guided_backprop")
    assert r.details["unguided_relus"] == 2 and r.flag is None
    # Without any layer ReLU to override, the "guided" map is the plain gradient: say so, not
    # silently pretend.
    np.testing.assert_allclose(r.cam, gradcam(model, image, target=0, method="saliency").cam,
                               rtol=1e-5, atol=1e-8)


def test_guided_reaches_relus_inside_a_nested_backbone(models):
    model = models["nested"]
    image = random_images(model, 1, 3)[0]
    with warnings.catch_warnings():
        warnings.simplefilter("error", UnguidedReLUWarning)
        r = gradcam(model, image, target=1, method="guided_backprop")
    assert not np.allclose(r.cam, gradcam(model, image, target=1, method="saliency").cam)


# ------------------------------------------------------------------------- every model style
@pytest.mark.parametrize("method", CAMS + PIXEL)
def test_every_method_on_every_style(models, style, method):
    model = models[style]
    h, w, c = input_hw(model)
    big = np.random.default_rng(7).random((h + 9, w * 2 - 5, c)).astype(np.float32)
    # batch_size acts only for methods that run the model many times (others refuse it)
    kw = {"batch_size": 8} if get_method(method).long_running else {}
    r = quiet(gradcam, model, big, method=method, **kw)
    assert r.heatmap.shape == big.shape[:2] and r.heatmap.dtype == np.float32
    assert np.isfinite(r.heatmap).all() and r.method == method
    if method in SIGNED:
        assert r.signed and -1.0 <= r.heatmap.min() and r.heatmap.max() <= 1.0
        assert np.abs(r.heatmap).max() == pytest.approx(1.0)
    else:
        assert not r.signed and 0.0 <= r.heatmap.min() and r.heatmap.max() <= 1.0
    if method in PIXEL and method != "guided_gradcam":
        # At the model input: its fixed size, or the image's own for a model taking any size
        # (the subclassed model is fully convolutional, found by a probe).
        fixed = access(model).input_shape[1] is not None
        assert r.layer == "input" and r.cam.shape == ((h, w) if fixed else big.shape[:2])
    else:
        assert r.layer == cv.compute.cam.default_layer(model)
    if method != "eigencam" or style != "grayscale":
        assert r.flag is None, r.reason
    # Same targets as Grad-CAM: a list is the same as separate calls; a callable works.
    rs = quiet(gradcam, model, big, target=[0, None], method=method)
    np.testing.assert_allclose(rs[0].heatmap, quiet(gradcam, model, big, target=0,
                                                    method=method).heatmap, atol=1e-5)
    if style == "grayscale":
        # an image-shaped output: target=None is the predicted-foreground region; a list
        # keeps class indices (one sigmoid channel: 0 and 1), None there the top one
        assert isinstance(r.target, cv.Region) and r.target.kind == "foreground"
        assert rs[1].target in (0, 1)  # one sigmoid channel read as two classes
    else:
        assert rs[1].target == r.target
    f = quiet(gradcam, model, big, target=lambda y: tf.reduce_mean(y, axis=list(
        range(1, len(y.shape)))), method=method)
    assert f.heatmap.shape == big.shape[:2] and np.isfinite(f.heatmap).all()


@pytest.mark.parametrize("method", CAMS + PIXEL)
def test_one_unit_sigmoid_is_two_classes(models, method):
    model = models["nested"]  # ends in Dense(1, activation="sigmoid")
    image = random_images(model, 1, 12)[0]
    r0, r1 = gradcam(model, image, target=[0, 1], method=method)
    p = float(model(image[None]).numpy()[0, 0])
    assert r1.probability == pytest.approx(p, rel=1e-5)
    assert r0.probability == pytest.approx(1 - p, rel=1e-5, abs=1e-6)
    assert r0.score == pytest.approx(-r1.score, rel=1e-5, abs=1e-6)
    if method in SIGNED:  # class 0 is explained by -z: the signed map flips
        np.testing.assert_allclose(r0.heatmap, -r1.heatmap, atol=1e-5)
    elif method in ("saliency", "smoothgrad"):  # magnitudes do not see the sign
        np.testing.assert_allclose(r0.heatmap, r1.heatmap, atol=1e-5)
    assert gradcam(model, image, method=method).target == int(p > 0.5)


def test_preprocess_is_differentiated_like_a_layer_in_the_model(models):
    """Gradients are with respect to the display image: preprocess = a Rescaling layer."""
    model = models["functional"]
    h, w, c = input_hw(model)
    wrapped = keras.Sequential([keras.Input((h, w, c)), layers.Rescaling(2.0, offset=-1.0),
                                model])
    image = random_images(model, 1, 8)[0]
    for method in ("saliency", "gradient_x_input", "integrated_gradients"):
        a = gradcam(model, image, target=1, method=method, preprocess=lambda x: x * 2.0 - 1.0)
        b = gradcam(wrapped, image, target=1, method=method)
        np.testing.assert_allclose(a.cam, b.cam, rtol=1e-4, atol=1e-6 * np.abs(b.cam).max())


@pytest.mark.parametrize("method", PIXEL)
def test_nan_and_constant_images_are_flagged(models, method):
    model = models["sequential"]
    h, w, c = input_hw(model)
    nan = random_images(model, 1, 1)[0]
    nan[2, 3, 1] = np.nan
    r = gradcam(model, nan, method=method)
    assert r.flag == "nonfinite_input" and not r.heatmap.any()
    r = gradcam(model, np.full((h, w, c), 0.3, np.float32), method=method)
    assert r.flag == "constant_input" and not r.heatmap.any() and np.isfinite(r.score)


def test_pixel_methods_progress_and_cancel(models):
    model = models["grayscale"]
    image = random_images(model, 1, 4)[0]
    steps = []
    gradcam(model, image, method=SmoothGrad(samples=5), batch_size=2,
            on_step=lambda done, total: steps.append((done, total)))
    assert steps == [(1, 3), (2, 3), (3, 3)]
    with pytest.raises(CAMCancelled):
        gradcam(model, image, method=IntegratedGradients(steps=8), batch_size=2,
                on_step=lambda done, total: done < 2)
    event = threading.Event()
    event.set()
    with pytest.raises(CAMCancelled):
        gradcam(model, image, method="smoothgrad", cancel=event)


def test_blur_keeps_the_mean_and_removes_detail():
    x = np.random.default_rng(0).random((1, 30, 44, 3)).astype(np.float32)
    y = blur(x)
    assert y.shape == x.shape
    assert abs(float(y.mean() - x.mean())) < 0.01 and y.std() < 0.5 * x.std()
    np.testing.assert_array_equal(blur(x, 0), x)


# ------------------------------------------------------------------------------ faithfulness
def test_deletion_area_of_gradcam_is_below_random_on_the_demo_scenes(demo):
    """With the default blurred baseline Grad-CAM deletes the evidence much faster than a random
    map. Black deletion is printed for comparison: scattered black pixels are far from the
    training scenes, so random black deletion drops as fast (see faithfulness's docstring)."""
    model, scenes = demo
    rows = {"blur": [], "black": []}
    for image, label in zip(scenes.images, scenes.labels):
        r = gradcam(model, image, target=int(label))
        for baseline in rows:
            f = cv.faithfulness(model, image, r, int(label), steps=16, baseline=baseline)
            assert f.curve.shape == f.random_curve.shape == (17,)
            assert f.curve[0] == pytest.approx(r.probability, rel=1e-4)
            assert f.fractions[0] == 0 and f.fractions[-1] == 1
            rows[baseline].append((f.area, f.random_area))
    for baseline, v in rows.items():
        v = np.array(v)
        print(f"deletion ({baseline}) area, Grad-CAM {v[:, 0].mean():.3f} vs random "
              f"{v[:, 1].mean():.3f}; better on {(v[:, 0] < v[:, 1]).mean():.0%} of {len(v)}")
    blurred = np.array(rows["blur"])
    assert blurred[:, 0].mean() < 0.6 * blurred[:, 1].mean()
    assert (blurred[:, 0] < blurred[:, 1]).mean() >= 0.9
    assert cv.faithfulness(model, scenes.images[0], r, int(scenes.labels[0]), steps=4).area == \
        pytest.approx(cv.faithfulness(model, scenes.images[0], r, int(scenes.labels[0]),
                                      steps=4, baseline="blur").area)  # blur is the default


def test_insertion_curve_and_options(demo):
    model, scenes = demo
    image, label = scenes.images[3], int(scenes.labels[3])
    r = gradcam(model, image, target=label)
    ins = cv.faithfulness(model, image, r.heatmap, label, kind="insertion", steps=10)
    # Insertion starts from the blurred image and ends at the image itself.
    full = float(model(image[None]).numpy()[0, label])
    assert ins.curve[-1] == pytest.approx(full, rel=1e-4)
    start = float(model(blur(image[None])).numpy()[0, label])
    assert ins.curve[0] == pytest.approx(start, rel=1e-4, abs=1e-6)
    # "better" only beyond the spread of the 5 random maps (issue 23): a gap of chance size is not
    assert len(ins.random_areas) == 5 and ins.random_area == pytest.approx(ins.random_areas.mean())
    assert ins.better_than_random == (ins.area - ins.random_area > 2 * ins.random_spread
                                      and ins.area > ins.random_areas.max())
    d = cv.faithfulness(model, image, r, label, steps=4)
    assert d.curve[-1] == pytest.approx(start, rel=1e-4, abs=1e-6)
    black = cv.faithfulness(model, image, r, label, baseline="black", steps=4)
    assert black.curve[-1] == pytest.approx(float(model(np.zeros_like(image)[None]).numpy()[
        0, label]), rel=1e-4, abs=1e-6)
    # Batched: 33 images in 2 forward batches of 32, for the map and each of the 5 random
    # maps; progress and cancel.
    seen = []
    cv.faithfulness(model, image, r, label, steps=32,
                    on_step=lambda done, total: seen.append((done, total)))
    assert seen == [(i, 12) for i in range(1, 13)]
    with pytest.raises(CAMCancelled):
        cv.faithfulness(model, image, r, label, on_step=lambda done, total: False)
    with pytest.raises(ValueError, match="kind"):
        cv.faithfulness(model, image, r, label, kind="removal")


def test_faithfulness_on_every_style(models, style):
    model = models[style]
    image = random_images(model, 1, 2)[0]
    r = gradcam(model, image)
    f = cv.faithfulness(model, image, r, r.target, steps=6)
    assert np.isfinite(f.curve).all() and np.isfinite(f.area)
    g = cv.faithfulness(model, image, r, lambda y: tf.reduce_mean(
        y, axis=list(range(1, len(y.shape)))), steps=6)
    assert np.isfinite(g.curve).all()


# ------------------------------------------------------------------------------ sanity check
def test_spearman():
    assert spearman([1, 2, 3, 4], [2, 4, 6, 9]) == pytest.approx(1.0)
    assert spearman([1, 2, 3], [3, 2, 1]) == pytest.approx(-1.0)
    assert spearman([0, 0, 0], [1, 2, 3]) == 0.0


def test_sanity_check_gradcam_moves_guided_backprop_does_not(demo):
    model, scenes = demo
    before = [w.copy() for w in model.get_weights()]
    table = {}
    for method in ("gradcam", "guided_backprop"):
        rho = []
        for i in (0, 11, 22, 33):
            s = cv.sanity_check(model, scenes.images[i], method, int(scenes.labels[i]))
            assert [p for p, _ in s.steps][0] == "predictions"
            rho.append(s.correlations)
        table[method] = np.mean(rho, axis=0)
        print(method, [f"{p}: {c:.2f}" for (p, _), c in zip(s.steps, table[method])])
    for w0, w1 in zip(before, model.get_weights()):
        np.testing.assert_array_equal(w0, w1)  # the user's model is never touched
    # Randomising the top layers moves Grad-CAM's map; guided backprop stays alike.
    assert np.abs(table["gradcam"][:2]).mean() < 0.5
    assert table["guided_backprop"][:2].mean() > 0.7


def test_sanity_check_clones_every_style(models, style):
    model = models[style]
    image = random_images(model, 1, 5)[0]
    before = [w.copy() for w in model.get_weights()]
    clone = clone_model(model)
    assert clone is not model
    for w0, w1 in zip(before, clone.get_weights()):
        np.testing.assert_array_equal(w0, w1)
    s = quiet(cv.sanity_check, model, image, "gradcam", layers=None)
    assert len(s.steps) == sum(1 for p in access(model).paths
                               if access(model).layer(p).weights and
                               not access(model).infos()[p].is_container)
    assert all(np.isfinite(c) for _, c in s.steps)
    for w0, w1 in zip(before, model.get_weights()):
        np.testing.assert_array_equal(w0, w1)
    steps = []
    quiet(cv.sanity_check, model, image, "saliency", layers=s.steps and [s.steps[0][0]],
          on_step=lambda d, t: steps.append((d, t)))
    assert steps == [(1, 1)]
    with pytest.raises(CAMCancelled):
        cv.sanity_check(model, image, "gradcam", on_step=lambda d, t: False)


@pytest.mark.parametrize("module", ["convviz_widgets.compute.cam.eigencam",
                                    "convviz_widgets.compute.cam._pixel",
                                    "convviz_widgets.compute.trust"])
def test_docstring_examples(module):
    import doctest
    import importlib

    result = doctest.testmod(importlib.import_module(module),
                             optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0 and result.attempted > 0


def test_max_pool_gradient_by_argmax_equals_the_backends_own():
    """The argmax one-hot gradient of a tiling MaxPooling2D (JAX's fast path, see
    cam/_pool_gradient.py) is the backend's own max-pooling gradient, odd sizes included (the
    row and column no window covers get zero)."""
    model = keras.Sequential([keras.Input((17, 15, 3)), layers.Conv2D(4, 3, name="c"),
                              layers.MaxPooling2D(name="p"), layers.MaxPooling2D(3, name="p3"),
                              layers.Flatten(), layers.Dense(2, name="d")])
    acc = access(model)
    wrappers = pool_wrappers(acc)
    assert sorted(wrappers) == ["p", "p3"]
    x = np.random.default_rng(0).random((2, 17, 15, 3)).astype(np.float32)

    def score(wrap):
        return lambda v: keras.ops.sum(run_model(acc, v, (), wrap_calls=wrap)[0][:, 1])

    plain = backend.to_numpy(backend.value_and_grad(score(None), x)[1])
    fast = backend.to_numpy(backend.value_and_grad(score(wrappers), x)[1])
    assert np.abs(plain).max() > 0
    np.testing.assert_allclose(fast, plain, rtol=1e-5, atol=1e-6)
