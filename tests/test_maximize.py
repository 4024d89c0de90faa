"""Filter maximisation and DeepDream: shapes for every model style, the naive recipe against an
independent implementation, the result contract (images reproduce the activation), determinism,
cancel, frames, cache, errors, and "optimisation beats data" on the demo model."""

import threading
import time
from pathlib import Path

import numpy as np
import pytest

import keras
import tensorflow as tf
from keras import layers

from convviz_widgets.compute import access, activations
from convviz_widgets.compute.progress import Progress
from convviz_widgets.compute.maximize import (Blur, DreamResult, Jitter, MaximizeResult, Pixels,
                                              channel, deepdream, maximize, neuron,
                                              standard_transforms, total_variation)
from convviz_widgets.compute import preprocess_key
from convviz_widgets.compute.maximize.param import Fourier
from convviz_widgets.compute.maximize.transforms import Affine

from conftest import input_hw, make_sequential, random_images

DEMO_MODEL_FILE = Path(__file__).parent.parent / "convviz_widgets" / "data" / "demo_model.keras"

#: A layer with a kernel and a feature map in every fixture model (nested: inside the backbone).
LAYER = {
    "sequential": "conv_b",
    "functional": "last_conv",
    "nested": "vgg16/block2_conv1",
    "subclassed": "block2/conv2",
    "grayscale": "uconv128",
}


def channel_means(model, images, layer, preprocess=None):
    """``(n, c)`` mean activation per channel, through the activations module (another code
    path than the optimiser: eager capture, its own image preparation)."""
    acts = activations(model, images, [layer], preprocess=preprocess, cache=False)
    return next(iter(acts.values())).mean(axis=(1, 2), dtype=np.float64)


# ------------------------------------------------------------------------------ every style
@pytest.mark.parametrize("method", ["regularized", "naive"])
def test_every_style_shapes_range_and_contract(models, style, method):
    model = models[style]
    h, w, c = input_hw(model)
    res = maximize(model, LAYER[style], [0, 2], steps=6, method=method, cache=False)
    assert isinstance(res, MaximizeResult)
    assert res.images.shape == (2, h, w, c) and res.images.dtype == np.float32
    assert res.activation.shape == (2,) and res.history.shape == (6, 2)
    assert 0.0 <= res.images.min() and res.images.max() <= 1.0
    assert res.filters.tolist() == [0, 2] and res.complete.all() and not res.cancelled
    # The result contract: the images *are* what the model saw.
    means = channel_means(model, res.images, LAYER[style])
    np.testing.assert_allclose(means[[0, 1], [0, 2]], res.activation, rtol=1e-4, atol=1e-5)


def test_images_reproduce_activation_with_preprocess(models):
    model = models["functional"]
    pp = lambda x: x * 2.0 - 1.0  # noqa: E731 - a typical [-1, 1] model scaling
    res = maximize(model, "last_conv", [1, 4], steps=10, preprocess=pp, cache=False)
    means = channel_means(model, res.images, "last_conv", preprocess=pp)
    np.testing.assert_allclose(means[[0, 1], [1, 4]], res.activation, rtol=1e-4, atol=1e-5)


def test_layer_object_and_unique_name(models):
    model = models["nested"]
    inner = model.get_layer("vgg16").get_layer("block1_conv2")
    a = maximize(model, inner, 1, steps=3, cache=False)
    b = maximize(model, "block1_conv2", 1, steps=3, cache=False)
    assert a.layer == b.layer == "vgg16/block1_conv2"
    np.testing.assert_array_equal(a.images, b.images)


def test_grayscale_unet(models):
    model = models["grayscale"]
    res = maximize(model, "uconv128", [0, 3, 6], steps=20, cache=False)
    assert res.images.shape == (3, 64, 48, 1)
    start = maximize(model, "uconv128", [0, 3, 6], steps=1, lr=0.0, cache=False)
    alive = start.activation > 0
    assert np.all(res.activation[alive] > start.activation[alive])


def fully_convolutional(c=5):
    keras.utils.set_random_seed(7)
    inp = keras.Input((None, None, c))
    x = layers.Conv2D(6, 3, padding="same", activation="relu", name="c1")(inp)
    x = layers.MaxPooling2D(name="p1")(x)
    x = layers.Conv2D(9, 3, padding="same", name="c2")(x)
    x = layers.BatchNormalization(name="bn")(x)
    x = layers.Activation("relu", name="c2_relu")(x)
    return keras.Model(inp, layers.GlobalAveragePooling2D()(x), name="fcn")


def test_any_size_for_fully_convolutional_and_odd_channels():
    model = fully_convolutional(c=5)
    res = maximize(model, "c2_relu", [0, 8], size=(24, 40), steps=5, cache=False)
    assert res.images.shape == (2, 24, 40, 5)
    res = maximize(model, "c2_relu", 1, steps=2, cache=False)
    assert res.images.shape == (1, 128, 128, 5)  # the default size
    means = channel_means(model, res.images, "c2_relu")
    np.testing.assert_allclose(means[0, 1], res.activation[0], rtol=1e-4, atol=1e-5)


# ------------------------------------------------------------------------ the naive recipe
def naive_reference(model, layer_name, f, steps, seed=0, step=1.0 / 255.0):
    """The lesson's recipe written out plainly, eagerly, on a Keras sub-model."""
    sub = keras.Model(model.inputs, model.get_layer(layer_name).output)
    h, w, c = model.inputs[0].shape[1:]
    rng = np.random.default_rng([seed, f])
    # Grey plus small noise (the lesson: random() * 20 + 128 on 0..255), centred on grey.
    x = np.clip(0.5 + (10.0 / 255.0) * rng.uniform(-1.0, 1.0, (h, w, c)), 0, 1)
    x = tf.constant(x[None].astype(np.float32))
    for _ in range(steps):
        with tf.GradientTape() as tape:
            tape.watch(x)
            loss = tf.reduce_mean(sub(x)[..., f])
        g = tape.gradient(loss, x)
        g = g / (tf.sqrt(tf.reduce_mean(tf.square(g))) + 1e-5)
        x = tf.clip_by_value(x + step * g, 0.0, 1.0)
    return x.numpy()[0], float(tf.reduce_mean(sub(x)[..., f]))


def test_naive_matches_independent_implementation(models):
    model = models["sequential"]
    res = maximize(model, "conv_b", [0, 2], steps=5, method="naive", cache=False)
    for row, f in enumerate([0, 2]):
        image, act = naive_reference(model, "conv_b", f, steps=5)
        np.testing.assert_allclose(res.images[row], image, atol=2e-5)
        assert res.activation[row] == pytest.approx(act, rel=1e-4, abs=1e-6)


def test_naive_starts_from_grey_plus_small_noise(models):
    res = maximize(models["sequential"], "conv_b", [0, 1], steps=1, method="naive", lr=0.0,
                   cache=False)
    assert np.abs(res.images - 0.5).max() <= 10.0 / 255.0 + 1e-6
    assert res.images.std() > 0.005


@pytest.mark.parametrize("method", ["regularized", "naive"])
def test_activation_increases(models, method):
    model = models["functional"]
    filters = list(range(7))
    start = maximize(model, "last_conv", filters, steps=1, method=method, lr=0.0, cache=False)
    res = maximize(model, "last_conv", filters, steps=40, method=method, cache=False)
    alive = start.activation > 1e-4
    assert alive.sum() >= 2
    assert np.all(res.activation[alive] > start.activation[alive])
    assert np.all(res.activation >= start.activation - 1e-6)


# --------------------------------------------------------------------------- determinism
def test_deterministic_for_a_seed_and_batch_independent(models):
    model = models["sequential"]
    a = maximize(model, "conv_b", [1, 3, 5], steps=8, seed=3, cache=False)
    b = maximize(model, "conv_b", [1, 3, 5], steps=8, seed=3, cache=False)
    np.testing.assert_array_equal(a.images, b.images)
    np.testing.assert_array_equal(a.history, b.history)
    c = maximize(model, "conv_b", [1, 3, 5], steps=8, seed=4, cache=False)
    assert np.abs(a.images - c.images).max() > 1e-3
    # A filter's pattern does not depend on the batch it shared (chunked one by one here).
    d = maximize(model, "conv_b", [5, 3], steps=8, seed=3, cache=False, batch_size=1)
    np.testing.assert_allclose(d.images[0], a.images[2], atol=1e-5)
    np.testing.assert_allclose(d.images[1], a.images[1], atol=1e-5)


# ---------------------------------------------------------------------- frames and cancel
def test_on_step_frames(models):
    model = models["functional"]
    calls, frames, ends = [], [], []

    class Watch(Progress):
        def on_begin(self, total):
            calls.append(("begin", total))

        def on_step(self, done, total):
            calls.append((done, total))

        def on_frame(self, done, total, images, scores):
            frames.append((done, images.copy(), scores.copy()))

        def on_end(self, done, total, cancelled):
            ends.append((done, total, cancelled))

    res = maximize(model, "last_conv", [0, 1, 2, 3, 4], steps=4, on_step=Watch(), batch_size=2,
                   cache=False)
    assert calls[0] == ("begin", 12)
    assert calls[1:] == [(i, 12) for i in range(1, 13)]  # 3 chunks × 4 steps
    assert ends == [(12, 12, False)]
    h, w, ch = input_hw(model)
    # One frame per step, plus one per chunk with its final images.
    assert len(frames) == 12 + 3
    assert frames[0][1].shape == (5, h, w, ch) and frames[0][2].shape == (5,)
    # While chunk 1 runs, filters of chunk 2 are still the grey placeholder.
    assert np.all(frames[0][1][4] == 0.5) and np.isnan(frames[0][2][4])
    assert not np.all(frames[-1][1][4] == 0.5)
    # Frames are the images the steps saw: they change from step to step.
    assert np.abs(frames[1][1][0] - frames[0][1][0]).max() > 0
    np.testing.assert_allclose(frames[-2][2][4], res.history[-1, 4], rtol=1e-6)
    # The last frame is the result itself.
    np.testing.assert_array_equal(frames[-1][1], res.images)

    # A plain callable gets (done, total) only.
    seen = []
    maximize(model, "last_conv", [0, 1], steps=3, cache=False,
             on_step=lambda done, total: seen.append((done, total)))
    assert seen == [(1, 3), (2, 3), (3, 3)]


def test_cancel_from_on_step_and_event(models):
    model = models["sequential"]
    res = maximize(model, "conv_b", [0, 1, 2, 3], steps=50, batch_size=2, cache=False,
                   on_step=lambda done, total: done < 3)
    assert res.cancelled and res.filters.tolist() == [0, 1]
    assert not res.complete.any()
    assert np.isnan(res.history[3:]).all() and not np.isnan(res.history[:3]).any()
    # The partial images still honour the contract.
    means = channel_means(model, res.images, "conv_b")
    np.testing.assert_allclose(means[[0, 1], [0, 1]], res.activation, rtol=1e-4, atol=1e-5)

    ev = threading.Event()
    steps_seen = []

    def on_step(done, total):
        steps_seen.append(done)
        if done == 5:
            threading.Thread(target=ev.set).start()
            time.sleep(0.05)  # the other thread has set it before the next step

    res = maximize(model, "conv_b", [0, 1], steps=500, cancel=ev, on_step=on_step, cache=False)
    assert res.cancelled and max(steps_seen) == 5  # stopped before the next step

    ev = threading.Event()
    ev.set()
    res = maximize(model, "conv_b", [0, 1], steps=5, cancel=ev, cache=False)
    assert res.cancelled and len(res) == 0 and res.images.shape[0] == 0


# ------------------------------------------------------------------------------- caching
def test_memory_and_disk_cache(models, tmp_path):
    model = make_sequential()  # own instance: the test changes its weights
    acc = access(model)
    first = maximize(model, "conv_b", [0, 1], steps=12, cache_dir=tmp_path)
    assert not first.from_cache.any()
    assert len(list(tmp_path.glob("*.npz"))) == 2

    again = maximize(model, "conv_b", [1, 0, 2], steps=12, cache_dir=tmp_path)
    assert again.from_cache.tolist() == [True, True, False]
    np.testing.assert_array_equal(again.image(0), first.image(0))
    np.testing.assert_array_equal(again.history[:, 0], first.history[:, 1])

    acc.cache.clear()  # a new kernel: only the disk is left
    steps = []  # served from the disk: not one optimisation step runs
    disk = maximize(model, "conv_b", [0, 1], steps=12, cache_dir=tmp_path,
                    on_step=lambda *a: steps.append(a))
    assert disk.from_cache.all() and steps == []
    np.testing.assert_array_equal(disk.images, first.images)

    assert not maximize(model, "conv_b", [0], steps=12, seed=1).from_cache.any()
    assert not maximize(model, "conv_b", [0], steps=13).from_cache.any()
    assert not maximize(model, "conv_b", [0], steps=12, method="naive").from_cache.any()
    # Changed weights (set_weights is not counted by the optimizer) invalidate the results.
    weights = model.get_weights()
    model.set_weights([w_ * 1.01 for w_ in weights])
    assert not maximize(model, "conv_b", [0, 1], steps=12, cache_dir=tmp_path).from_cache.any()


def test_preprocess_fingerprint_follows_code_and_captured_values():
    assert preprocess_key(lambda x: x * 2.0) == preprocess_key(lambda x: x * 2.0)
    assert preprocess_key(lambda x: x * 2.0) != preprocess_key(lambda x: x * 3.0)

    def scaler(k):
        return lambda x: x * k

    assert preprocess_key(scaler(2.0)) == preprocess_key(scaler(2.0))
    assert preprocess_key(scaler(2.0)) != preprocess_key(scaler(3.0))


def test_cancelled_rows_are_not_cached(models):
    model = models["subclassed"]
    maximize(model, "block2/conv2", [0], steps=30, on_step=lambda done, total: done < 2)
    assert not maximize(model, "block2/conv2", [0], steps=30).from_cache.any()


# -------------------------------------------------------------------------------- errors
def test_errors_are_clear(models):
    model = models["sequential"]
    with pytest.raises(ValueError, match=r"out of range.*7 filters: use 0 to 6"):
        maximize(model, "conv_b", [0, 7])
    with pytest.raises(ValueError, match="No layer 'conv_x'"):
        maximize(model, "conv_x", 0)
    with pytest.raises(ValueError, match="not a feature map"):
        maximize(model, "predictions", 0)
    with pytest.raises(ValueError, match=r"fixed input size 40×56"):
        maximize(model, "conv_b", 0, size=64)
    with pytest.raises(ValueError, match="Unknown method"):
        maximize(model, "conv_b", 0, method="fancy")
    with pytest.raises(ValueError, match="steps must be"):
        maximize(model, "conv_b", 0, steps=0)
    with pytest.raises(ValueError, match="preprocess returned shape"):
        maximize(model, "conv_b", 0, preprocess=lambda x: x[..., :1])
    with pytest.raises(TypeError, match="integers"):
        maximize(model, "conv_b", [0.5])


# ----------------------------------------------------------------- objectives and parts
def test_composed_objectives(models):
    model = models["functional"]
    obj = channel("last_conv") - 0.5 * total_variation()
    res = maximize(model, "last_conv", [4], steps=15, objective=obj, cache=False)
    plain = maximize(model, "last_conv", [4], steps=15, cache=False)
    assert res.objective[0] < res.activation[0]  # the penalty is part of the objective
    tv = lambda im: np.abs(np.diff(im, axis=0)).mean() + np.abs(np.diff(im, axis=1)).mean()
    assert tv(res.images[0]) < tv(plain.images[0])

    start = maximize(model, "last_conv", [4], steps=1, lr=0.0, objective="neuron", cache=False)
    res = maximize(model, "last_conv", [4], steps=30, objective="neuron", cache=False)
    assert res.objective[0] > start.objective[0]
    # A fixed channel index plus each row's own filter, in one objective.
    obj = channel("last_conv") + 0.5 * channel("last_conv", 4)
    res = maximize(model, "last_conv", [0, 4], steps=3, objective=obj, cache=False)
    np.testing.assert_allclose(res.objective[1], 1.5 * res.activation[1], rtol=1e-5)


def test_transforms_and_parameterisations():
    x = tf.random.uniform((3, 12, 20, 2))
    u = tf.constant(np.full((3, 4), 0.5, np.float32))  # centre of every range: identity
    np.testing.assert_allclose(Affine(jitter=3, scale=(0.9, 1.1), degrees=10)(x, u), x,
                               atol=1e-5)
    shifted = Jitter(2)(x, tf.constant([[1.0, 0.5, 0.5, 0.5]] * 3))  # +2 px along x
    np.testing.assert_allclose(shifted[:, :, 2:], x[:, :, :-2], atol=1e-5)
    blurred = Blur(1.0)(x, tf.zeros((3, 0)))
    assert blurred.shape == x.shape and float(tf.math.reduce_std(blurred)) < float(
        tf.math.reduce_std(x))
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = tf.reduce_sum(standard_transforms(20)[0](x, tf.random.uniform((3, 4))))
    assert float(tf.reduce_sum(tf.abs(tape.gradient(y, x)))) > 0
    p = Fourier()
    params = p.init(np.random.default_rng(0), 16, 24, 3)
    img = p.to_image(tf.constant(params[None]), 16, 24, 3).numpy()
    assert img.shape == (1, 16, 24, 3) and 0.4 < img.min() and img.max() < 0.6
    assert Pixels().to_image(tf.constant(np.zeros((1, 2, 2, 1), np.float32)), 2, 2, 1).shape \
        == (1, 2, 2, 1)


# ------------------------------------------------------------------------------ DeepDream
def test_deepdream_fully_convolutional_multi_octave():
    model = fully_convolutional(c=3)
    image = np.random.default_rng(0).random((50, 70, 3)).astype(np.float32)
    frames = []

    class Watch(Progress):
        def on_frame(self, done, total, images, scores):
            frames.append((done, total, images.shape))

    res = deepdream(model, image, "c2_relu", octaves=3, steps=6, lr=0.02, on_step=Watch())
    assert isinstance(res, DreamResult)
    assert res.images.shape == (1, 50, 70, 3)
    assert 0.0 <= res.images.min() and res.images.max() <= 1.0
    assert res.score[0] > res.start_score[0]
    assert res.octave_sizes == sorted(res.octave_sizes) and res.octave_sizes[-1] == (50, 70)
    # One frame per step and the end of each octave.
    assert [f[0] for f in frames] == [1, 2, 3, 4, 5, 6, 6, 7, 8, 9, 10, 11, 12, 12, 13, 14, 15,
                                      16, 17, 18, 18] and frames[0][1] == 18
    assert frames[0][2][1:3] == res.octave_sizes[0]
    assert res.history.shape == (18, 1)


def test_deepdream_fixed_size_model_and_weights(models):
    model = models["functional"]
    images = random_images(model, n=2, seed=5)
    res = deepdream(model, images, {"last_conv": 1.0, "stem": 0.5}, octaves=2, steps=5)
    assert res.images.shape == images.shape
    assert np.all(res.score > res.start_score)


# ------------------------------------------------------------- optimisation beats data
@pytest.fixture(scope="module")
def demo():
    # A checkout without the bundled model is broken, not a reason to skip.
    assert DEMO_MODEL_FILE.exists(), (
        "the bundled demo model is missing: run python -m convviz_widgets.datasets.train")
    from convviz_widgets._demo import demo_images, demo_model

    return demo_model(), demo_images()


def test_optimisation_beats_data_on_demo_filters(demo):
    model, scenes = demo
    from convviz_widgets.compute import conv_layers

    convs = [i.path for i in conv_layers(model, "kernel") if i.is_spatial]
    checked = 0
    for path in (convs[1], convs[len(convs) // 2], convs[-1]):
        data = channel_means(model, scenes.images, path)  # (scenes, channels)
        best = data.max(axis=0)
        alive = np.flatnonzero(best > 1e-3)[:3]
        res = maximize(model, path, alive, steps=128, cache=False)
        assert np.all(res.activation > best[alive]), (path, res.activation, best[alive])
        checked += len(alive)
    assert checked >= 6


# -------------------------------------------------- the one-channel fast path, and plotting
def conv_zoo():
    """Convolutions with stride, dilation, 'valid' padding, no bias, linear and tanh."""
    keras.utils.set_random_seed(11)
    inp = keras.Input((33, 47, 3))
    x = layers.Conv2D(6, 3, strides=2, padding="same", activation="relu", name="strided")(inp)
    x = layers.Conv2D(7, 3, dilation_rate=2, padding="valid", activation="tanh",
                      name="dilated")(x)
    x = layers.Conv2D(5, (3, 1), use_bias=False, name="linear_nobias")(x)
    return keras.Model(inp, layers.GlobalAveragePooling2D()(x), name="zoo")


@pytest.mark.parametrize("layer", ["strided", "dilated", "linear_nobias"])
def test_fast_path_equals_the_full_layer(layer, monkeypatch):
    from convviz_widgets.compute.maximize import _forward, _loop

    model = conv_zoo()
    assert _forward.fast_target(access(model), channel(layer), layer)[0] == "conv"
    # The lesson's recipe: the same arithmetic either way (the regularised method also differs
    # on purpose where a unit is silent, see the next tests).
    kw = dict(steps=6, method="naive", lr=0.05, cache=False)
    for objective in ("channel", "neuron"):
        fast = maximize(model, layer, [0, 4], objective=objective, **kw)
        with monkeypatch.context() as m:
            m.setattr(_loop, "fast_target", lambda *a: None)  # the step's own name
            full = maximize(model, layer, [0, 4], objective=objective, **kw)
        np.testing.assert_allclose(fast.images, full.images, atol=1e-5)
        np.testing.assert_allclose(fast.history, full.history, rtol=1e-4, atol=1e-6)
        np.testing.assert_allclose(fast.objective, full.objective, rtol=1e-4, atol=1e-6)


def test_fast_path_only_for_a_plain_channel_objective(models):
    from convviz_widgets.compute.maximize import _forward

    acc = access(models["functional"])
    assert _forward.fast_target(acc, channel("last_conv"), "last_conv")[0] == "conv"
    assert _forward.fast_target(acc, channel("last_conv", 3), "last_conv") is None
    assert _forward.fast_target(acc, channel("last_conv") + channel("stem"), "last_conv") is None
    assert _forward.fast_target(access(models["grayscale"]), channel("up1"), "up1") is None
    fcn = access(fully_convolutional())
    assert _forward.fast_target(fcn, neuron("c2_relu"), "c2_relu")[0] == "relu"


def dead_on_grey():
    """ReLU units silent on any near-grey image yet reachable: bias -(0.5 Σw + 0.1 Σ|w|), so
    grey gives -0.1 Σ|w| < 0 and the best image 0.4 Σ|w| > 0. One fused conv + ReLU, and one
    conv followed by a standalone ReLU layer (as after BatchNorm)."""
    keras.utils.set_random_seed(12)
    inp = keras.Input((24, 32, 3))
    conv = layers.Conv2D(4, 3, activation="relu", name="conv")  # valid: no zero border
    pre = layers.Conv2D(4, 3, name="pre")
    x = conv(inp)
    y = layers.ReLU(name="relu")(pre(inp))
    for layer in (conv, pre):
        k = np.random.default_rng(0).normal(size=(3, 3, 3, 4)).astype(np.float32)
        s1, s2 = k.sum(axis=(0, 1, 2)), np.abs(k).sum(axis=(0, 1, 2))
        layer.set_weights([k, -(0.5 * s1 + 0.1 * s2)])
    out = layers.Concatenate()([layers.GlobalAveragePooling2D()(x),
                                layers.GlobalAveragePooling2D()(y)])
    return keras.Model(inp, out, name="dead")


@pytest.mark.parametrize("layer", ["conv", "relu"])
def test_silent_start_is_escaped_by_regularized_not_by_the_lesson(layer):
    model = dead_on_grey()
    reg = maximize(model, layer, [0, 1, 2, 3], steps=60, cache=False)
    naive = maximize(model, layer, [0, 1, 2, 3], steps=60, method="naive", cache=False)
    assert np.all(naive.activation == 0.0)  # the lesson's recipe: zero gradient, stuck grey
    assert np.all(reg.activation > 0.0)
    means = channel_means(model, reg.images, layer)
    np.testing.assert_allclose(means[np.arange(4), np.arange(4)], reg.activation, rtol=1e-4,
                               atol=1e-6)


def test_gallery_figures(models):
    from matplotlib.figure import Figure

    from convviz_widgets.plotting import (plot_maximize_comparison,
                                                   plot_maximize_gallery, stretch_patterns)

    model = models["sequential"]
    reg = maximize(model, "conv_b", range(7), steps=4, cache=False)
    naive = maximize(model, "conv_b", range(7), steps=4, method="naive", cache=False)
    fig = plot_maximize_gallery(reg)
    assert isinstance(fig, Figure) and len(fig.axes) == 1
    fig = plot_maximize_comparison({"naive": naive, "regularized": reg})
    assert isinstance(fig, Figure) and len(fig.axes) == 2
    assert stretch_patterns(naive.images).max() == pytest.approx(1.0)
    gray = maximize(models["grayscale"], "uconv64", [0, 1], steps=2, cache=False)
    assert stretch_patterns(gray.images).shape == (2, 64, 48)
    assert isinstance(plot_maximize_gallery(gray, labels=False), Figure)


def test_cached_only_returns_the_cached_rows_and_computes_nothing():
    """The views' cache lookup: an explicit request, not a pre-set cancel event."""
    from convviz_widgets.compute.maximize import maximize

    model = make_sequential()
    steps = []
    none = maximize(model, "conv_b", [0, 1], steps=3, cached_only=True,
                    on_step=lambda d, t: steps.append(d))
    assert len(none) == 0 and steps == [] and not none.cancelled
    first = maximize(model, "conv_b", [1], steps=3)
    got = maximize(model, "conv_b", [0, 1], steps=3, cached_only=True,
                   on_step=lambda d, t: steps.append(d))
    assert steps == [] and got.filters.tolist() == [1] and got.from_cache.all()
    np.testing.assert_array_equal(got.images, first.images)
    assert len(maximize(model, "conv_b", [1], steps=3, objective="diversity", n_patterns=2,
                        cached_only=True)) == 0
