"""Grad-CAM family: oracle, every model style, targets, degenerate inputs, sanity checks."""

from __future__ import annotations

import threading
from pathlib import Path

import keras
import numpy as np
import pytest
import tensorflow as tf
from keras import layers

from conftest import STYLES, input_hw, make_backbone, make_functional, make_sequential, \
    random_images

from convviz_widgets.compute import access, prepare_images
from convviz_widgets.compute.cam import (CAMCancelled, CAMMethod, CAMResult, cam_methods,
                                         colorize, default_layer, gradcam, overlay,
                                         rank_predictions, register, top_predictions,
                                         unregister)
from convviz_widgets.compute.cam import _engine

DEFAULT_LAYERS = {
    "sequential": "conv_b",
    "functional": "last_conv",
    "nested": "conv2d",
    "subclassed": "block2/conv2",
    "grayscale": "uconv64",
}

DEMO_MODEL_FILE = Path(__file__).parent.parent / "convviz_widgets" / "data" / "demo_model.keras"


def corr(a, b) -> float:
    a, b = np.ravel(a).astype(np.float64), np.ravel(b).astype(np.float64)
    if a.std() == 0 or b.std() == 0:
        return float(np.allclose(a, b))
    return float(np.corrcoef(a, b)[0, 1])


def rank_corr(a, b) -> float:
    """Spearman correlation (ties broken by order; maps here are continuous)."""
    ra = np.argsort(np.argsort(np.ravel(a), kind="stable"), kind="stable")
    rb = np.argsort(np.argsort(np.ravel(b), kind="stable"), kind="stable")
    return corr(ra, rb)


# ------------------------------------------------------------------------------------- oracle
def oracle_gradcam(model, layer_name, image, class_index, dense_logits=None):
    """Grad-CAM as published, written the plain way: a keras sub-model to (A, output), a
    GradientTape, GAP of the gradients as weights, ReLU of the weighted channel sum.

    ``dense_logits=(features_layer, dense_layer)`` takes the score before a Dense softmax:
    ``features @ kernel + bias``.
    """
    out_layer = dense_logits[0] if dense_logits else model.layers[-1].name
    sub = keras.Model(model.inputs, [model.get_layer(layer_name).output,
                                     model.get_layer(out_layer).output])
    x = tf.constant(image[None])
    with tf.GradientTape() as tape:
        a, y = sub(x)
        if dense_logits:
            dense = model.get_layer(dense_logits[1])
            y = y @ dense.kernel + dense.bias
        score = y[:, class_index]
    g = tape.gradient(score, a)[0].numpy()           # (h, w, c)
    w = g.mean(axis=(0, 1))                          # (c,)
    cam = np.maximum(np.tensordot(a[0].numpy(), w, axes=([2], [0])), 0)  # (h, w)
    return cam, w, float(score[0])


def test_oracle_functional():
    model = make_functional()
    for seed in range(3):
        image = random_images(model, 1, seed=seed)[0]
        for c in range(3):
            r = gradcam(model, image, target=c, cache=False)
            cam, w, score = oracle_gradcam(model, "last_conv", image, c)
            assert r.cam.shape == cam.shape
            assert corr(r.cam, cam) >= 0.99
            np.testing.assert_allclose(r.weights, w, rtol=1e-3, atol=1e-7)
            assert r.score == pytest.approx(score, rel=1e-4, abs=1e-6)


def test_softmax_output_is_explained_through_logits():
    """A Dense(softmax) head: the score is the Dense layer's pre-activation (documented)."""
    model = make_sequential()
    dense = model.get_layer("predictions")
    image = random_images(model, 1, seed=7)[0]
    probs = model(image[None]).numpy()[0]
    for c in range(4):
        r = gradcam(model, image, target=c)
        cam, w, score = oracle_gradcam(model, "conv_b", image, c,
                                       dense_logits=("gap", "predictions"))
        assert r.score == pytest.approx(score, rel=1e-4, abs=1e-6)
        assert r.probability == pytest.approx(float(probs[c]), rel=1e-5)
        assert corr(r.cam, cam) >= 0.99
    # The model itself is untouched afterwards (the softmax was only removed while tracing).
    assert dense.activation is keras.activations.softmax
    np.testing.assert_allclose(model(image[None]).numpy()[0], probs, rtol=1e-6)


# ------------------------------------------------------------------------------- model styles
def test_every_style(models, style):
    model = models[style]
    h, w, c = input_hw(model)
    image = random_images(model, 1, seed=1)[0]
    r = gradcam(model, image)
    assert isinstance(r, CAMResult)
    assert r.layer == DEFAULT_LAYERS[style] == default_layer(model)
    assert r.heatmap.shape == (h, w) and r.heatmap.dtype == np.float32
    assert np.isfinite(r.heatmap).all()
    assert 0.0 <= r.heatmap.min() and r.heatmap.max() <= 1.0
    assert r.flag is None and r.heatmap.max() == pytest.approx(1.0)
    channels = access(model).infos()[r.layer].output_shape[-1]
    assert r.weights.shape == (channels,)
    assert r.cam.ndim == 2 and np.isfinite(r.score)
    assert r.image.shape == (h, w, c)


def test_heatmap_at_the_resolution_of_the_image_as_passed(models, style):
    model = models[style]
    h, w, c = input_hw(model)
    big = np.random.default_rng(3).integers(0, 256, (h * 2 + 3, w + 17, c), dtype=np.uint8)
    r = gradcam(model, big)
    assert r.heatmap.shape == big.shape[:2]
    assert r.image.shape == big.shape
    np.testing.assert_allclose(r.image, big / 255.0, atol=1e-6)


def test_grayscale_image_into_rgb_model(models):
    model = models["sequential"]
    gray = np.random.default_rng(0).random((33, 47)).astype(np.float32)
    r = gradcam(model, gray)
    assert r.heatmap.shape == (33, 47)


def test_layer_inside_nested_backbone(models):
    model = models["nested"]
    r = gradcam(model, random_images(model, 1)[0], layer="vgg16/block2_conv1")
    assert r.layer == "vgg16/block2_conv1" and r.cam.shape == (75, 75)
    assert r.flag is None


def test_default_layer_searches_the_nested_backbone():
    """Backbone followed directly by the classifier: the default lives inside the backbone."""
    base = make_backbone(48, 64)
    model = keras.Sequential([base, layers.GlobalAveragePooling2D(name="gap"),
                              layers.Dense(3, activation="softmax", name="out")], name="tl")
    model.build((None, 48, 64, 3))
    # Trailing pooling skipped: the last convolution gives the sharper map.
    assert default_layer(model) == "vgg16/block2_conv1"
    r = gradcam(model, random_images(model, 1)[0])
    assert r.layer == "vgg16/block2_conv1" and r.heatmap.shape == (48, 64)


def test_non_spatial_layer_is_a_clear_error(models):
    with pytest.raises(ValueError, match="feature map"):
        gradcam(models["sequential"], random_images(models["sequential"], 1)[0], layer="gap")
    with pytest.raises(ValueError, match="Did you mean"):
        gradcam(models["sequential"], random_images(models["sequential"], 1)[0], layer="conv_bb")


def test_batch_of_several_images_is_refused(models):
    with pytest.raises(ValueError, match="one image"):
        gradcam(models["sequential"], random_images(models["sequential"], 2))


# ------------------------------------------------------------------------------------ targets
@pytest.mark.parametrize("name", ["sequential", "functional", "subclassed"])
@pytest.mark.parametrize("method", ["gradcam", "gradcam++"])
def test_list_targets_equal_separate_calls(models, name, method):
    model = models[name]
    image = random_images(model, 1, seed=5)[0]
    targets = [2, 0, None, 1]
    together = gradcam(model, image, target=targets, method=method)
    assert isinstance(together, list) and len(together) == len(targets)
    for t, r in zip(targets, together):
        alone = gradcam(model, image, target=t, method=method, cache=False)
        assert r.target == alone.target
        np.testing.assert_allclose(r.heatmap, alone.heatmap, atol=1e-5)
        np.testing.assert_allclose(r.weights, alone.weights, rtol=1e-4, atol=1e-7)
        assert r.score == pytest.approx(alone.score, rel=1e-5, abs=1e-7)


def test_list_targets_on_unet_with_skip_connections(models):
    """The head after `conv512` also needs the encoder's skip outputs: they are recomputed."""
    model = models["grayscale"]
    image = random_images(model, 1)[0]
    both = gradcam(model, image, target=[0, 0], layer="conv512")
    alone = gradcam(model, image, target=0, layer="conv512", cache=False)
    for r in both:
        np.testing.assert_allclose(r.heatmap, alone.heatmap, atol=1e-5)


def test_top1_is_the_argmax(models):
    model = models["functional"]
    image = random_images(model, 1, seed=2)[0]
    r = gradcam(model, image)
    assert r.target == int(np.argmax(model(image[None]).numpy()[0]))


def test_callable_target_equals_class_index_on_logits(models):
    model = models["functional"]  # raw logits: the callable sees the same output
    image = random_images(model, 1, seed=4)[0]
    by_index = gradcam(model, image, target=1)
    by_fn = gradcam(model, image, target=lambda y: y[:, 1])
    np.testing.assert_allclose(by_fn.heatmap, by_index.heatmap, atol=1e-5)
    assert by_fn.probability is None and callable(by_fn.target)


def test_callable_target_on_a_masked_region_of_the_unet(models):
    model = models["grayscale"]
    h, w, _ = input_hw(model)
    image = random_images(model, 1, seed=6)[0]
    mask = np.zeros((1, h, w, 1), np.float32)
    mask[:, 5:25, 4:20] = 1.0
    r = gradcam(model, image, target=lambda y: tf.reduce_sum(y * mask, axis=[1, 2, 3]),
                layer="conv512")
    assert r.heatmap.shape == (h, w) and r.flag is None
    assert r.score == pytest.approx(float((model(image[None]).numpy() * mask).sum()), rel=1e-4)
    # The explained region shows more evidence than the rest of the image.
    assert r.heatmap[mask[0, ..., 0] > 0].mean() > r.heatmap[mask[0, ..., 0] == 0].mean()


def test_callable_target_for_a_regression_output(models):
    model = models["nested"]  # one sigmoid unit
    image = random_images(model, 1)[0]
    r = gradcam(model, image, target=lambda y: y[:, 0])
    assert r.flag is None and r.score == pytest.approx(float(model(image[None])[0, 0]), rel=1e-5)


@pytest.mark.parametrize("bad, err, match", [
    (5, ValueError, "0 to 3"),
    (-1, ValueError, "0 to 3"),
    (4, ValueError, "4 classes"),
    ([1, 9], ValueError, "0 to 3"),
    ([], ValueError, "empty"),
    (1.5, TypeError, "class index"),
    ("cat", TypeError, "class index"),
])
def test_bad_targets(models, bad, err, match):
    model = models["sequential"]
    with pytest.raises(err, match=match):
        gradcam(model, random_images(model, 1)[0], target=bad)


def test_bad_target_on_a_single_unit_output(models):
    # One sigmoid unit is two classes (0 and 1); one unit without a sigmoid is one score.
    model = models["nested"]
    with pytest.raises(ValueError, match="read as two classes: 0"):
        gradcam(model, random_images(model, 1)[0], target=2)
    keras.utils.set_random_seed(9)
    linear = keras.Sequential([keras.Input((20, 24, 3)), layers.Conv2D(4, 3, name="c"),
                               layers.GlobalAveragePooling2D(), layers.Dense(1, name="reg")])
    with pytest.raises(ValueError, match="only index is 0"):
        gradcam(linear, random_images(linear, 1)[0], target=1)


def test_bad_callable_targets(models):
    model = models["functional"]
    image = random_images(model, 1)[0]
    with pytest.raises(ValueError, match="one score per sample"):
        gradcam(model, image, target=lambda y: tf.stack([y, y], axis=1))
    with pytest.raises(ValueError, match="TensorFlow/Keras ops"):
        gradcam(model, image, target=lambda y: float(np.asarray(y).sum()))


# --------------------------------------------------------------------------- degenerate inputs
@pytest.mark.parametrize("method", ["gradcam", "gradcam++", "scorecam"])
def test_nan_and_constant_images_are_defined_and_do_not_poison(models, style, method):
    model = models[style]
    h, w, c = input_hw(model)
    image = random_images(model, 1, seed=9)[0]
    before = gradcam(model, image, method=method)
    nan = image.copy()
    nan[1, 2, 0] = np.nan
    r = gradcam(model, nan, method=method)
    assert r.flag == "nonfinite_input" and r.degenerate and r.reason
    assert r.heatmap.shape == (h, w) and not r.heatmap.any()
    inf = image.copy()
    inf[0, 0] = np.inf
    assert gradcam(model, inf, method=method, target=[0, 0])[1].flag == "nonfinite_input"
    const = np.full((h, w, c), 0.4, np.float32)
    r = gradcam(model, const, method=method)
    assert r.flag == "constant_input" and not r.heatmap.any() and np.isfinite(r.heatmap).all()
    assert np.isfinite(r.score)
    after = gradcam(model, image, method=method)
    np.testing.assert_allclose(after.heatmap, before.heatmap, atol=1e-6)
    assert after.flag == before.flag


def test_no_positive_evidence_is_flagged():
    """A layer whose every channel lowers the score: zeros and a flag, never a division by 0."""

    @register
    class Negative(CAMMethod):
        name, label = "negative-test", "Negative"

        def channel_weights(self, ctx):
            return -np.abs(ctx.gradients.mean(axis=(1, 2))) - 1.0

    try:
        model = make_sequential()
        r = gradcam(model, random_images(model, 1)[0], method="negative-test")
        assert r.flag == "no_positive_evidence" and not r.heatmap.any()
    finally:
        unregister("negative-test")


# ----------------------------------------------------------------------- caching: head only
def test_class_switch_reuses_the_captured_activation(models, monkeypatch):
    model = models["sequential"]
    image = random_images(model, 1, seed=11)[0]
    gradcam(model, image, target=0)
    calls = []
    real = _engine._capture_fn

    def spy(*args, **kwargs):
        calls.append(args[1])
        return real(*args, **kwargs)

    monkeypatch.setattr(_engine, "_capture_fn", spy)
    for t in (1, 2, 3):
        gradcam(model, image, target=t)
    gradcam(model, image, target=[0, 1], method="gradcam++")
    assert calls == []                      # no forward pass up to the layer
    gradcam(model, image, layer="conv_a")   # another layer: one new capture
    assert calls == ["conv_a"]


def test_fresh_pass_equals_the_cached_head(models, style):
    """A new image is captured and explained in one pass (the head watched as the model runs);
    a cached map runs the head alone. Both give the same scores, probabilities, weights and map,
    and the one pass returns the model's real output (probabilities, not the logits it explains)."""
    model = models[style]
    image = random_images(model, 1, seed=13)[0]
    fresh = gradcam(model, image, target=[None, 0], cache=False)
    gradcam(model, image)  # fills the cache
    cached = gradcam(model, image, target=[None, 0])
    for f, c in zip(fresh, cached):
        assert f.target == c.target
        np.testing.assert_allclose(f.score, c.score, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(f.probability, c.probability, rtol=1e-5, atol=1e-7)
        np.testing.assert_allclose(f.weights, c.weights, rtol=1e-4, atol=1e-7)
        np.testing.assert_allclose(f.heatmap, c.heatmap, atol=1e-5)
    acc = access(model)
    x = prepare_images(image, acc.input_shape).images[:1]
    _, plain = _engine._capture_fn(acc, default_layer(model), None)(tf.constant(x))  # no head
    np.testing.assert_allclose(_engine.model_output(model, image), plain[0].numpy()[0],
                               rtol=1e-5, atol=1e-6)


def test_head_step_does_not_read_the_image_before_the_layer(models):
    """The head is run by replacing the layer's output: a garbage image with the cached feature
    map gives the same scores, i.e. the part before the layer is not part of the computation."""
    model = models["sequential"]
    acc = access(model)
    meta = _engine._meta(acc)
    image = random_images(model, 1, seed=12)[0][None]
    a, _ = _engine._activation_for(acc, "conv_b", image, None)
    head = _engine._head_fn(acc, "conv_b", None, meta, 0)
    t = tf.constant(np.array([0, 2], np.int32))
    s1, _, g1 = head(tf.constant(image), tf.constant(a), t)
    s2, _, g2 = head(tf.constant(np.full_like(image, np.nan)), tf.constant(a), t)
    np.testing.assert_array_equal(s1.numpy(), s2.numpy())
    np.testing.assert_array_equal(g1.numpy(), g2.numpy())


def test_preprocess_equals_a_rescaling_layer_in_the_model():
    keras.utils.set_random_seed(8)
    inner = [layers.Conv2D(5, 3, activation="relu", name="c1"), layers.Conv2D(7, 3, name="c2"),
             layers.GlobalAveragePooling2D(), layers.Dense(3)]
    with_layer = keras.Sequential([keras.Input((20, 28, 3)), layers.Rescaling(2.0, -1.0)] + inner)
    without = keras.Sequential([keras.Input((20, 28, 3))] + inner)
    image = np.random.default_rng(1).random((20, 28, 3)).astype(np.float32)
    a = gradcam(with_layer, image, target=2, layer="c2")
    b = gradcam(without, image, target=2, layer="c2", preprocess=lambda x: x * 2.0 - 1.0)
    np.testing.assert_allclose(a.heatmap, b.heatmap, atol=1e-5)
    with pytest.raises(ValueError, match="preprocess"):
        gradcam(without, image, preprocess=lambda x: x[:, :5])


# -------------------------------------------------------------------------- Score-CAM / ++
def test_methods_are_registered():
    names = cam_methods()
    assert list(names)[:3] == ["gradcam", "gradcam++", "scorecam"]
    assert names["scorecam"] == "Score-CAM"


@pytest.mark.parametrize("method", ["gradcam++", "scorecam"])
def test_other_methods_every_style(models, style, method):
    model = models[style]
    r = gradcam(model, random_images(model, 1, seed=2)[0], method=method)
    assert r.method == method and r.heatmap.shape == input_hw(model)[:2]
    assert np.isfinite(r.heatmap).all() and 0 <= r.heatmap.min() and r.heatmap.max() <= 1
    assert np.isfinite(r.weights).all()


def test_scorecam_weights_follow_the_paper(models):
    """Weights are the softmax over channels of the class probability of channel-masked images."""
    model = models["functional"]
    image = random_images(model, 1, seed=3)[0]
    r = gradcam(model, image, target=1, method="scorecam")
    a, _ = _engine._activation_for(access(model), "last_conv", image[None], None)
    masked = []
    for k in range(a.shape[-1]):
        up = tf.image.resize(a[0, ..., k:k + 1][None], image.shape[:2]).numpy()[0]
        span = up.max() - up.min()
        m = (up - up.min()) / span if span > 0 else np.zeros_like(up)
        masked.append(image * m)
    p = tf.nn.softmax(model(np.stack(masked))).numpy()[:, 1]  # logits -> probabilities
    want = np.exp(p - p.max()) / np.exp(p - p.max()).sum()
    np.testing.assert_allclose(r.weights, want, rtol=1e-4)


def test_scorecam_progress_and_cancel(models):
    model = models["grayscale"]
    image = random_images(model, 1, seed=4)[0]
    steps = []
    gradcam(model, image, method="scorecam", batch_size=2, cache=False,
            on_step=lambda done, total: steps.append((done, total)))
    total = -(-5 // 2)  # uconv64 has 5 channels, 2 per batch
    assert steps == [(i, total) for i in range(1, total + 1)]
    with pytest.raises(CAMCancelled):
        gradcam(model, image, method="scorecam", batch_size=2, cache=False,
                on_step=lambda done, total: done < 2)
    event = threading.Event()
    event.set()
    with pytest.raises(CAMCancelled):
        gradcam(model, image, method="scorecam", cancel=event, cache=False)
    # A cancelled run leaves nothing behind.
    assert gradcam(model, image, method="scorecam").flag is None


def test_scorecam_class_switch_reuses_masked_passes(models, monkeypatch):
    model = models["sequential"]
    image = random_images(model, 1, seed=13)[0]
    gradcam(model, image, target=0, method="scorecam")
    calls = []
    real = _engine._masked_fn
    monkeypatch.setattr(_engine, "_masked_fn", lambda *a: calls.append(1) or real(*a))
    r = gradcam(model, image, target=2, method="scorecam")
    assert calls == [] and r.target == 2


# ------------------------------------------------------------------------ overlay & helpers
def test_overlay():
    image = np.random.default_rng(0).random((6, 9, 3)).astype(np.float32)
    heat = np.linspace(0, 1, 54, dtype=np.float32).reshape(6, 9)
    np.testing.assert_allclose(overlay(heat, image, opacity=0.0), image, atol=1e-6)
    np.testing.assert_allclose(overlay(heat, image, "inferno", 1.0), colorize(heat, "inferno"))
    half = overlay(heat, image, "viridis", 0.5)
    np.testing.assert_allclose(half, 0.5 * image + 0.5 * colorize(heat, "viridis"), atol=1e-6)
    assert overlay(heat[::2, ::3], image).shape == (6, 9, 3)          # heatmap resized
    assert overlay(heat, (image[..., 0] * 255).astype(np.uint8)).shape == (6, 9, 3)  # grey
    jet = colorize(np.array([[0.0, 1.0]]), "jet")[0]
    assert jet[0, 2] > 0.4 and jet[1, 0] > 0.4        # jet: blue at 0, red at 1
    with pytest.raises(ValueError, match="colormap"):
        overlay(heat, image, "no-such-map")
    with pytest.raises(ValueError, match="opacity"):
        overlay(heat, image, opacity=2)


def test_top_predictions_and_ranking(models):
    model = models["sequential"]
    images = random_images(model, 6, seed=0)
    probs = model(images).numpy()
    top = top_predictions(model, images[0], k=3)
    np.testing.assert_array_equal(top.indices, np.argsort(-probs[0])[:3])
    np.testing.assert_allclose(top.probabilities, np.sort(probs[0])[::-1][:3], rtol=1e-5)
    labels = np.array([0, 1, 2, 3, 0, 1])
    r = rank_predictions(model, images, labels)
    assert set(r.best) | set(r.worst) == set(range(6))
    np.testing.assert_array_equal(r.predicted, probs.argmax(1))
    if len(r.best) > 1:
        assert (np.diff(r.confidence[r.best]) <= 0).all()
    with pytest.raises(ValueError, match="labels"):
        rank_predictions(model, images, labels[:3])


def test_compute_does_not_import_widget_libraries():
    """The boundary, checked on the source: no module of compute/cam imports a widget library
    or the widgets package (importing the subpackage at run time would also run the top-level
    package, which loads the widgets, so a sys.modules probe cannot tell)."""
    import ast

    import convviz_widgets.compute.cam as pkg

    banned = {"ipywidgets", "anywidget", "ipycanvas", "traitlets", "IPython", "ipykernel", "comm"}
    for path in Path(pkg.__file__).parent.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [("." * node.level) + (node.module or "")]
            else:
                continue
            for name in names:
                assert name.split(".")[0] not in banned, f"{path.name} imports {name}"
                assert "widgets" not in name.lstrip(".").split("."), f"{path.name} imports {name}"


# ---------------------------------------------------------------- quality on the demo scenes
@pytest.fixture(scope="module")
def demo():
    assert DEMO_MODEL_FILE.exists(), (
        "the bundled demo model is missing: run python -m convviz_widgets.datasets.train")
    from convviz_widgets._demo import demo_images, demo_model

    return demo_model(), demo_images()


def dilate(mask: np.ndarray, r: int) -> np.ndarray:
    """Binary dilation by a (2r+1) square, numpy only."""
    out = mask.copy()
    padded = np.pad(mask, r)
    h, w = mask.shape
    for dy in range(2 * r + 1):
        for dx in range(2 * r + 1):
            out |= padded[dy:dy + h, dx:dx + w]
    return out


def pointing_game(model, scenes, method="gradcam", tolerance=None) -> float:
    hits = 0
    for image, label, mask in zip(scenes.images, scenes.labels, scenes.masks):
        r = gradcam(model, image, target=int(label), method=method)
        r_tol = tolerance if tolerance is not None else max(1, round(0.05 * min(mask.shape)))
        y, x = np.unravel_index(np.argmax(r.heatmap), r.heatmap.shape)
        hits += bool(dilate(mask, r_tol)[y, x])
    return hits / len(scenes.images)


def test_pointing_game_gradcam(demo):
    model, scenes = demo
    score = pointing_game(model, scenes, "gradcam")
    print(f"pointing game (Grad-CAM): {score:.1%} of {len(scenes.images)} scenes")
    assert score >= 0.85


@pytest.mark.parametrize("method, floor", [("gradcam++", 0.8), ("scorecam", 0.8)])
def test_other_methods_localise_on_demo_scenes(demo, method, floor):
    model, scenes = demo
    score = pointing_game(model, scenes, method)
    print(f"pointing game ({method}): {score:.1%}")
    assert score >= floor


def test_parameter_randomisation_sanity_check(demo):
    """Adebayo et al. 2018: re-initialising the top layers must change the explanations."""
    model, scenes = demo
    layer = default_layer(model)
    randomised = keras.models.clone_model(model)
    randomised.set_weights(model.get_weights())
    acc = access(model)
    order = [p for p in _engine._meta(acc).order if not acc.infos()[p].is_container]
    # "Top layers": the last convolution at or below the explained layer and everything above
    # it (the cascading randomisation of the paper, stopped after the last conv block).
    start = max(i for i, p in enumerate(order[:order.index(layer) + 1])
                if acc.infos()[p].has_kernel)
    rng = np.random.default_rng(0)
    for path in order[start:]:
        lyr = access(randomised).layer(path)
        lyr.set_weights([rng.normal(0, np.std(w) + 1e-3, w.shape).astype(w.dtype)
                         if w.ndim > 1 else w for w in lyr.get_weights()])
    rhos, same = [], []
    for image, label in zip(scenes.images, scenes.labels):
        a = gradcam(model, image, target=int(label))
        b = gradcam(randomised, image, target=int(label))
        # |Spearman| as in Adebayo et al.: a sign flip of the map would still be "the same".
        rhos.append(abs(rank_corr(a.cam, b.cam)) if b.flag is None else 0.0)
        same.append(rank_corr(a.cam, gradcam(model, image, target=int(label)).cam))
    mean = float(np.mean(rhos))
    print(f"sanity check: randomised {order[start:]}; mean |rank correlation| {mean:.3f}")
    assert np.mean(same) > 0.99  # the reference: the unchanged model agrees with itself
    assert mean < 0.5


# ------------------------------------------------- issue 11: sigmoid, multi-output, Softmax, 1x1
# Calling a wrapper around a nested functional model with a bare tensor makes Keras warn about
# the input structure; harmless here.
_structure_warning = pytest.mark.filterwarnings("ignore:The structure of `inputs`")

def wrapped(style, head, name="wrapped"):
    """The style's model nested as one layer of a functional model with a new ``head``
    (``head(features) -> output``); a spatial output is averaged first."""
    base = STYLES[style]()
    h, w, c = input_hw(base)
    inp = keras.Input((h, w, c))
    y = base(inp)
    if len(y.shape) == 4:
        y = layers.GlobalAveragePooling2D(name="w_gap")(y)
    return keras.Model(inp, head(y), name=f"{style}_{name}"), base


def logits_of(model, images, dense_name):
    """Pre-activation of the named Dense layer, computed with Keras directly."""
    dense = model.get_layer(dense_name)
    feats = keras.Model(model.inputs, dense.input)(images).numpy()
    return feats @ dense.kernel.numpy() + dense.bias.numpy()


def chollet_cats_vs_dogs(seed=0):
    """The lessons' binary classifier (Chollet 5.4): four conv/pool blocks at 150x150,
    Flatten, Dense(512), Dense(1, sigmoid)."""
    keras.utils.set_random_seed(seed)
    return keras.Sequential([
        keras.Input((150, 150, 3)),
        layers.Conv2D(32, 3, activation="relu", name="conv2d"),
        layers.MaxPooling2D(2, name="max_pooling2d"),
        layers.Conv2D(64, 3, activation="relu", name="conv2d_1"),
        layers.MaxPooling2D(2, name="max_pooling2d_1"),
        layers.Conv2D(128, 3, activation="relu", name="conv2d_2"),
        layers.MaxPooling2D(2, name="max_pooling2d_2"),
        layers.Conv2D(128, 3, activation="relu", name="conv2d_3"),
        layers.MaxPooling2D(2, name="max_pooling2d_3"),
        layers.Flatten(name="flatten"),
        layers.Dense(512, activation="relu", name="dense"),
        layers.Dense(1, activation="sigmoid", name="dense_1"),
    ], name="cats_vs_dogs")


@pytest.fixture(scope="module")
def cats_dogs():
    """Trained a little on generated scenes relabelled to two classes, and its bias centred so
    that both classes are predicted on the test images (a few steps alone may predict one)."""
    from convviz_widgets.datasets import make_shapes

    model = chollet_cats_vs_dogs()
    data = make_shapes(40, seed=3, size=(150, 150))
    y = (data.labels % 2).astype(np.float32)  # two classes out of the shapes
    model.compile(optimizer=keras.optimizers.RMSprop(1e-4), loss="binary_crossentropy")
    model.fit(data.images[:32], y[:32], batch_size=16, epochs=1, verbose=0)
    test = data.images[32:]
    z = logits_of(model, test, "dense_1")[:, 0]
    dense = model.get_layer("dense_1")
    dense.bias.assign(dense.bias.numpy() - np.median(z) + 1e-3)
    return model, test, (data.labels[32:] % 2).astype(np.int64)


@_structure_warning
def test_binary_sigmoid_is_two_classes_and_matches_an_independent_gradient_tape(cats_dogs):
    model, images, _ = cats_dogs
    assert default_layer(model) == "conv2d_3"
    p = model(images).numpy()[:, 0]
    z = logits_of(model, images, "dense_1")[:, 0]
    assert (p > 0.5).any() and (p < 0.5).any()
    for i, image in enumerate(images[:4]):
        r0, r1 = gradcam(model, image, target=[0, 1])
        assert r1.probability == pytest.approx(p[i], rel=1e-5)
        assert r0.probability == pytest.approx(1 - p[i], rel=1e-5, abs=1e-6)
        assert r1.score == pytest.approx(z[i], rel=1e-4, abs=1e-5)
        assert r0.score == pytest.approx(-z[i], rel=1e-4, abs=1e-5)
        # The plain recipe: sub-model to (A, features), logit = features @ kernel + bias,
        # class 1 explained by the logit and class 0 by its negative.
        sub = keras.Model(model.inputs, [model.get_layer("conv2d_3").output,
                                         model.get_layer("dense").output])
        dense = model.get_layer("dense_1")
        for sign, r in ((-1.0, r0), (1.0, r1)):
            with tf.GradientTape() as tape:
                a, f = sub(tf.constant(image[None]))
                score = sign * (f @ dense.kernel + dense.bias)[:, 0]
            g = tape.gradient(score, a)[0].numpy()
            w = g.mean(axis=(0, 1))
            cam = np.maximum(np.tensordot(a[0].numpy(), w, axes=([2], [0])), 0)
            np.testing.assert_allclose(r.weights, w, rtol=1e-3, atol=1e-6)
            np.testing.assert_allclose(r.cam, cam, rtol=1e-3, atol=1e-5 * max(cam.max(), 1))
        # The default explains the predicted class, not always the positive unit.
        assert gradcam(model, image).target == int(p[i] > 0.5)


@_structure_warning
def test_binary_predictions_ranking_and_labels(cats_dogs):
    model, images, labels = cats_dogs
    p = model(images).numpy()[:, 0]
    top = top_predictions(model, images[0], k=5)
    assert list(top.indices) == ([1, 0] if p[0] > 0.5 else [0, 1])
    np.testing.assert_allclose(np.sort(top.probabilities), np.sort([p[0], 1 - p[0]]), rtol=1e-5)
    r = rank_predictions(model, images, labels)
    np.testing.assert_array_equal(r.predicted, (p > 0.5).astype(int))
    np.testing.assert_allclose(r.true_probability, np.where(labels == 1, p, 1 - p), rtol=1e-5)
    assert r.accuracy == pytest.approx(float(((p > 0.5) == labels).mean()))
    with pytest.raises(ValueError, match="one sigmoid unit"):
        rank_predictions(model, images, labels + 1)


@_structure_warning
def test_binary_sigmoid_every_style(style):
    model, _ = wrapped(style, lambda y: layers.Dense(1, activation="sigmoid", name="bin")(y),
                       "binary")
    images = random_images(model, 3, seed=21)
    p = model(images).numpy()[:, 0]
    z = logits_of(model, images, "bin")[:, 0]
    for i, image in enumerate(images):
        r0, r1 = gradcam(model, image, target=[0, 1])
        assert (r0.score, r1.score) == (pytest.approx(-z[i], rel=1e-4, abs=1e-5),
                                        pytest.approx(z[i], rel=1e-4, abs=1e-5))
        assert r0.probability + r1.probability == pytest.approx(1.0, abs=1e-6)
        assert r1.probability == pytest.approx(p[i], rel=1e-5)
        np.testing.assert_allclose(r0.weights, -r1.weights, rtol=1e-5, atol=1e-7)
        assert gradcam(model, image).target == int(p[i] > 0.5)
        top = top_predictions(model, image)
        assert top.indices[0] == int(p[i] > 0.5) and len(top.indices) == 2
    labels = (p > 0.5).astype(int)
    assert rank_predictions(model, images, labels).accuracy == 1.0
    # Score-CAM scores masked images by each class's probability: p for 1, 1 - p for 0.
    s0, s1 = gradcam(model, images[0], target=[0, 1], method="scorecam")
    assert s1.probability == pytest.approx(p[0], rel=1e-5)
    assert s0.probability == pytest.approx(1 - p[0], rel=1e-5, abs=1e-6)
    if s1.weights.size > 1:  # a softmax over one channel is 1 for either class
        # Raising p lowers 1 - p: the channel that helps class 1 most cannot help class 0 most.
        assert np.argmax(s0.weights) != np.argmax(s1.weights) or \
            np.allclose(s0.weights, s0.weights[0])


@_structure_warning
def test_multilabel_sigmoid_units_are_each_their_own_yes_no(style):
    model, _ = wrapped(style, lambda y: layers.Dense(3, activation="sigmoid", name="tags")(y),
                       "multilabel")
    images = random_images(model, 3, seed=22)
    p = model(images).numpy()
    z = logits_of(model, images, "tags")
    top = top_predictions(model, images[0], k=3)
    # Each unit's own probability: not a softmax across units (they need not sum to 1).
    np.testing.assert_allclose(top.probabilities, np.sort(p[0])[::-1], rtol=1e-5)
    rs = gradcam(model, images[0], target=[0, 1, 2])
    for u, r in enumerate(rs):
        assert r.score == pytest.approx(z[0, u], rel=1e-4, abs=1e-5)
        assert r.probability == pytest.approx(p[0, u], rel=1e-5)
    multi_hot = (p > 0.5).astype(int)
    multi_hot[0, 0] = 1 - multi_hot[0, 0]  # one wrong unit makes image 0 a mistake
    r = rank_predictions(model, images, multi_hot)
    assert r.predicted.shape == (3, 3) and list(r.correct) == [False, True, True]
    assert r.worst[0] == 0
    np.testing.assert_array_equal(r.explain, p.argmax(axis=1))


def two_heads(y):
    return [layers.Dense(4, name="first")(y), layers.Dense(3, activation="softmax",
                                                          name="second")(y)]


@_structure_warning
def test_multi_output_choose_by_index_or_name(style):
    model, _ = wrapped(style, two_heads, "two_heads")
    image = random_images(model, 1, seed=23)[0]
    z2 = logits_of(model, image[None], "second")[0]
    probs2 = model(image[None])[1].numpy()[0]
    with pytest.raises(ValueError, match=r"2 outputs \['first', 'second'\].*output=0"):
        gradcam(model, image)
    by_index = gradcam(model, image, target=2, output=1)
    by_name = gradcam(model, image, target=2, output="second")
    assert by_index.score == pytest.approx(z2[2], rel=1e-4, abs=1e-5)
    assert by_index.probability == pytest.approx(probs2[2], rel=1e-5)
    np.testing.assert_array_equal(by_index.weights, by_name.weights)
    assert gradcam(model, image, output=1).target == int(probs2.argmax())
    # A callable on the second output, chosen by output= or indexed inside the callable.
    fn_one = lambda y: y[:, 2]  # noqa: E731
    fn_all = lambda ys: ys[1][:, 2]  # noqa: E731
    a = gradcam(model, image, target=fn_one, output="second")
    b = gradcam(model, image, target=fn_all)
    assert a.score == pytest.approx(probs2[2], rel=1e-5) and b.score == pytest.approx(a.score)
    np.testing.assert_allclose(a.weights, b.weights, rtol=1e-5, atol=1e-8)
    top = top_predictions(model, image, output=1)
    np.testing.assert_allclose(top.probabilities, np.sort(probs2)[::-1], rtol=1e-5)
    # Score-CAM with the same callable, over all outputs, runs the masked images through it.
    sc = gradcam(model, image, target=fn_all, method="scorecam")
    sc_one = gradcam(model, image, target=fn_one, output=1, method="scorecam")
    np.testing.assert_allclose(sc.weights, sc_one.weights, rtol=1e-5, atol=1e-7)
    with pytest.raises(ValueError, match="no output named 'third'"):
        gradcam(model, image, output="third")
    with pytest.raises(ValueError, match="out of range"):
        gradcam(model, image, output=2)


@_structure_warning
def test_dict_outputs(style):
    model, _ = wrapped(style, lambda y: {"tags": layers.Dense(3, activation="sigmoid",
                                                               name="tags")(y),
                                          "kind": layers.Dense(5, name="kind")(y)}, "dict")
    image = random_images(model, 1, seed=24)[0]
    out = model(image[None])
    r = gradcam(model, image, output="kind", target=4)
    assert r.score == pytest.approx(float(out["kind"][0, 4]), rel=1e-4, abs=1e-5)
    assert gradcam(model, image, output="tags", target=1).probability == \
        pytest.approx(float(out["tags"][0, 1]), rel=1e-5)
    fn = lambda ys: ys["kind"][:, 4]  # noqa: E731
    np.testing.assert_allclose(gradcam(model, image, target=fn).weights, r.weights, rtol=1e-5,
                               atol=1e-8)


@_structure_warning
def test_softmax_layer_after_logits_is_not_softmaxed_again(style):
    model, _ = wrapped(style, lambda y: layers.Softmax(name="probs")(
        layers.Dense(5, name="logits")(y)), "softmax_layer")
    images = random_images(model, 2, seed=25)
    probs = model(images).numpy()
    z = logits_of(model, images, "logits")
    top = top_predictions(model, images[0], k=5)
    np.testing.assert_allclose(top.probabilities, np.sort(probs[0])[::-1], rtol=1e-5)
    for c in range(5):
        r = gradcam(model, images[0], target=c)
        assert r.probability == pytest.approx(probs[0, c], rel=1e-5)
        assert r.score == pytest.approx(z[0, c], rel=1e-4, abs=1e-5)  # explained by the logit
    r = rank_predictions(model, images, probs.argmax(1))
    np.testing.assert_allclose(r.confidence, probs.max(1), rtol=1e-5)


def test_subclassed_softmax_inside_call_is_not_softmaxed_again():
    class Probs(keras.Model):
        def __init__(self):
            super().__init__(name="probs_sub")
            self.conv = layers.Conv2D(4, 3, name="c")
            self.head = layers.Dense(3, name="h")

        def call(self, x):
            return tf.nn.softmax(self.head(tf.reduce_mean(self.conv(x), axis=[1, 2])))

    keras.utils.set_random_seed(6)
    model = Probs()
    model(np.zeros((1, 24, 20, 3), np.float32))
    image = random_images(model, 1, seed=26)[0]
    probs = model(image[None]).numpy()[0]
    top = top_predictions(model, image, k=3)
    np.testing.assert_allclose(top.probabilities, np.sort(probs)[::-1], rtol=1e-5)


def one_by_one_head(y):
    """A MobileNetV3-like head: 1x1 map, 1x1 convolution 'logits', flatten, softmax layer."""
    y = layers.Reshape((1, 1, y.shape[-1]), name="as_map")(y)
    y = layers.Conv2D(6, 1, name="logits")(y)
    return layers.Activation("softmax", name="predictions")(layers.Flatten(name="flat")(y))


@_structure_warning
def test_a_1x1_map_is_never_the_default_layer(style):
    model, base = wrapped(style, one_by_one_head, "one_by_one")
    path = default_layer(model)
    shape = access(model).infos()[path].output_shape
    assert not (shape[1] == 1 and shape[2] == 1)
    if style != "grayscale":  # the U-Net's own output map is what its wrapper averages
        assert path == f"{base.name}/{DEFAULT_LAYERS[style]}"
    # Random weights: some class may have no positive evidence, but the map is never constant.
    rs = gradcam(model, random_images(model, 1, seed=27)[0], target=list(range(6)))
    assert any(r.flag is None and r.heatmap.std() > 0 for r in rs)


def test_mobilenet_v3_default_layer_is_not_the_1x1_logits():
    keras.utils.set_random_seed(0)
    model = keras.applications.MobileNetV3Small(weights=None, input_shape=(96, 96, 3))
    path = default_layer(model)
    assert path != "logits" and access(model).infos()[path].output_shape[1:3] == (3, 3)
    image = random_images(model, 1, seed=28)[0]
    r = gradcam(model, image)
    assert r.layer == path and r.flag is None and r.heatmap.std() > 0
    # Its head ends in an Activation("softmax") layer: probabilities as the model gives them.
    probs = model(image[None]).numpy()[0]
    assert r.probability == pytest.approx(float(probs.max()), rel=1e-4)


def test_only_1x1_maps_is_a_clear_error():
    inp = keras.Input((1, 1, 3))
    model = keras.Model(inp, layers.Flatten()(layers.Conv2D(2, 1, name="c")(inp)))
    with pytest.raises(ValueError, match="larger than 1x1.*layer="):
        default_layer(model)


# ------------------------------------------------------------- one pass: CAM and prediction
@pytest.mark.parametrize("method", ["gradcam", "scorecam", "saliency"])
def test_gradcam_with_predictions_equals_the_two_calls(models, style, method):
    from convviz_widgets.compute.cam import gradcam_with_predictions

    model = models[style]
    image = random_images(model, 1, seed=7)[0]
    output = 0 if style != "grayscale" else None
    both = gradcam_with_predictions(model, image, method=method, k=2, output=output)
    cam, top = both
    alone = gradcam(model, image, method=method, output=output)
    ref = top_predictions(model, image, k=2, output=output)
    np.testing.assert_allclose(cam.heatmap, alone.heatmap, atol=1e-5)
    assert cam.target == alone.target
    np.testing.assert_array_equal(top.indices, ref.indices)
    np.testing.assert_allclose(top.probabilities, ref.probabilities, rtol=1e-5, atol=1e-6)
    # a list of targets comes back as a list, the ranking once
    cams, top2 = gradcam_with_predictions(model, image, target=[0, None], method=method, k=2,
                                          output=output)
    assert isinstance(cams, list) and len(cams) == 2
    np.testing.assert_array_equal(top2.indices, ref.indices)


def test_gradcam_with_predictions_on_a_nan_image_has_no_ranking(models):
    from convviz_widgets.compute.cam import gradcam_with_predictions

    model = models["sequential"]
    image = np.full(random_images(model, 1)[0].shape, np.nan, np.float32)
    cam, top = gradcam_with_predictions(model, image)
    assert cam.flag == "nonfinite_input" and top is None


def test_output_info_and_output_index_are_public(models, style):
    from convviz_widgets.compute import output_index, output_info

    model = models[style]
    infos = output_info(model)
    assert len(infos) >= 1 and all(o.kind in ("softmax", "binary", "multilabel", "scores")
                                   for o in infos)
    assert output_index(model, infos[0].name if len(infos) > 1 else None) == 0
    n = infos[0].num_classes
    assert n == top_predictions(model, random_images(model, 1)[0], k=99,
                                output=0 if len(infos) > 1 else None).indices.size
    with pytest.raises(ValueError, match="no output named"):
        output_index(model, "no-such-output")


def _head_spy(monkeypatch):
    calls = []
    real = _engine._head_fn
    monkeypatch.setattr(_engine, "_head_fn",
                        lambda *a, **k: calls.append(a[1]) or real(*a, **k))
    return calls


@pytest.mark.parametrize("name", ["nested", "sequential", "functional"])
def test_class_switch_is_the_backward_pass_alone(models, name, monkeypatch):
    """After a fresh image, another class runs neither the capture nor the head's forward pass
    (TensorFlow: the pruned backward graph; JAX/PyTorch: the kept pullback), and its maps,
    weights and scores are those of a fresh pass: a Flatten + Dense chain with max pooling and a
    sigmoid unit (nested), GAP + softmax (sequential), GAP + logits after a concatenation."""
    model = models[name]
    image = random_images(model, 1, seed=21)[0]
    gradcam(model, image)
    calls = _head_spy(monkeypatch)
    switched = gradcam(model, image, target=[1, 0, None])
    assert calls == []
    fresh = gradcam(model, image, target=[1, 0, None], cache=False)
    for s, f in zip(switched, fresh):
        assert s.target == f.target
        np.testing.assert_array_equal(s.heatmap, f.heatmap)
        np.testing.assert_array_equal(s.weights, f.weights)
        assert s.score == f.score


def test_class_switch_when_the_head_state_is_too_large(monkeypatch):
    """A layer whose head keeps more than a few of its maps (one channel, then a wide
    convolution) keeps no backward graph on TensorFlow: the switch runs the head again, with
    the same result as a fresh pass."""
    keras.utils.set_random_seed(6)
    model = keras.Sequential([
        keras.Input((20, 20, 3)),
        layers.Conv2D(1, 3, activation="relu", padding="same", name="narrow"),
        layers.Conv2D(32, 3, activation="relu", padding="same", name="wide"),
        layers.GlobalAveragePooling2D(name="gap"),
        layers.Dense(4, name="logits"),
    ], name="narrow_wide")
    image = random_images(model, 1, seed=22)[0]
    gradcam(model, image, layer="narrow")
    calls = _head_spy(monkeypatch)
    switched = gradcam(model, image, layer="narrow", target=2)
    assert calls == ["narrow"]
    fresh = gradcam(model, image, layer="narrow", target=2, cache=False)
    np.testing.assert_array_equal(switched.heatmap, fresh.heatmap)
    np.testing.assert_array_equal(switched.weights, fresh.weights)


@pytest.mark.parametrize("name", ["sequential", "functional"])
def test_class_switch_checks_the_weights_after_its_backward_pass(models, name):
    """The kept backward pass reads the weights identity in its own compiled call and its
    result is used only if the weights are those it was kept with: after an in-place write
    the switch is the new weights' result, and after the old weights are put back the old
    one's, each equal to a fresh pass."""
    model = models[name]
    image = random_images(model, 1, seed=23)[0]
    gradcam(model, image)
    before = gradcam(model, image, target=1)
    kernel = [layer for layer in model.layers if layer.weights][-1].weights[0]
    old = kernel.numpy()
    try:
        for value, same in ((old * 2.0, False), (old, True)):
            kernel.assign(value)
            switched = gradcam(model, image, target=1)
            fresh = gradcam(model, image, target=1, cache=False)
            assert switched.score == fresh.score and (switched.score == before.score) is same
            np.testing.assert_array_equal(switched.heatmap, fresh.heatmap)
            np.testing.assert_array_equal(switched.weights, fresh.weights)
    finally:
        kernel.assign(old)


def test_class_switch_after_one_unit_is_negated_equals_a_fresh_pass():
    """Negating a unit (its 45 kernel values and its bias: an even number of sign flips) is a
    change of the weights the identity must see: each sign flip was ±2**31 in both of its
    wrapping sums, so an even number of them cancelled, and the class switch (and the cached
    map) served the result of the old weights."""
    model = make_sequential()
    image = random_images(model, 1, seed=29)[0]
    conv = model.get_layer("conv_b")
    kernel, bias = conv.kernel.numpy(), conv.bias.numpy()
    gradcam(model, image)
    before = gradcam(model, image, target=1)
    k, b = kernel.copy(), bias.copy()
    for unit in range(k.shape[-1]):
        k[..., unit] *= -1
        b[unit] *= -1
        conv.kernel.assign(k)
        conv.bias.assign(b)
        switched = gradcam(model, image, target=1)
        fresh = gradcam(model, image, target=1, cache=False)
        assert switched.score == fresh.score, unit
        np.testing.assert_array_equal(switched.heatmap, fresh.heatmap)
        k[..., unit] *= -1  # back, for the next unit alone
        b[unit] *= -1
    conv.kernel.assign(kernel)
    conv.bias.assign(bias)
    back = gradcam(model, image, target=1)
    assert back.score == before.score
    np.testing.assert_array_equal(back.heatmap, before.heatmap)
