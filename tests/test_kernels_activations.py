"""Kernels, activations, image preparation and the activation cache."""

import numpy as np
import pytest

import keras
import tensorflow as tf

import convviz_widgets as cv
from convviz_widgets.compute import ByteLRU, access, prepare_images

from _driver import Driver
from conftest import random_images


# ------------------------------------------------------------------------------------ kernels
def test_kernels_match_stored_weights_every_style(models, style):
    model = models[style]
    for info in cv.conv_layers(model, kind="kernel"):
        w = cv.kernels(model, info.path)
        layer = access(model).layer(info.path)
        stored = np.asarray(layer.kernel)
        assert w.dtype == np.float32 and w.shape == info.kernel_shape
        np.testing.assert_array_equal(w, stored)  # Conv2D: returned as stored


def test_kernel_of_nested_layer_by_path(models):
    w = cv.kernels(models["nested"], "vgg16/block2_conv1")
    ref = models["nested"].get_layer("vgg16").get_layer("block2_conv1").get_weights()[0]
    np.testing.assert_array_equal(w, ref)
    assert w.shape == (3, 3, 5, 7)


def test_transpose_and_depthwise_kernels():
    inp = keras.Input((12, 10, 3))
    x = keras.layers.Conv2DTranspose(5, 3, name="up")(inp)
    x = keras.layers.DepthwiseConv2D(3, depth_multiplier=2, name="dw")(x)
    model = keras.Model(inp, x)
    up = cv.kernels(model, "up")
    stored = model.get_layer("up").get_weights()[0]  # Keras: (kh, kw, out=5, in=3)
    assert stored.shape == (3, 3, 5, 3) and up.shape == (3, 3, 3, 5)
    np.testing.assert_array_equal(up[:, :, 1, 4], stored[:, :, 4, 1])
    dw = cv.kernels(model, "dw")
    stored = model.get_layer("dw").get_weights()[0]  # (kh, kw, cin=5, mult=2)
    assert dw.shape == (3, 3, 1, 10)
    # output channel c*m + j reads input channel c with multiplier j
    np.testing.assert_array_equal(dw[:, :, 0, 3 * 2 + 1], stored[:, :, 3, 1])
    # and that is the order Keras writes them: check against the layer's actual output
    x = np.random.default_rng(0).random((1, 14, 12, 5)).astype("float32")
    out = model.get_layer("dw")(x).numpy()
    manual = sum(x[0, i:i + 12, j:j + 10, 3] * stored[i, j, 3, 1]
                 for i in range(3) for j in range(3)) + model.get_layer("dw").get_weights()[1][7]
    np.testing.assert_allclose(out[0, :, :, 7], manual, rtol=1e-4, atol=1e-5)


def test_kernel_errors(models):
    with pytest.raises(ValueError, match="has no 2-D convolution kernel.*conv_a"):
        cv.kernels(models["sequential"], "pool_a")
    with pytest.raises(ValueError, match="no 2-D convolution kernel"):
        cv.kernels(models["sequential"], "predictions")


def test_kernel_stats_dead_filters(models):
    model = keras.models.clone_model(models["sequential"])
    model.set_weights(models["sequential"].get_weights())
    w, b = model.get_layer("conv_b").get_weights()
    w[..., [1, 4]] = 0.0  # two dead filters
    w[..., 2] *= 1e-6  # numerically dead too
    model.get_layer("conv_b").set_weights([w, b])
    s = cv.kernel_stats(model, "conv_b")
    assert s.dead.tolist() == [False, True, True, False, True, False, False]
    assert s.dead_fraction == pytest.approx(3 / 7)
    np.testing.assert_allclose(s.norms, np.sqrt((w.reshape(-1, 7) ** 2).sum(0)), rtol=1e-5)
    assert s.vmin == pytest.approx(w.min()) and s.vmax == pytest.approx(w.max())
    assert not cv.kernel_stats(model, "conv_a").dead.any()


# -------------------------------------------------------------------------------- activations
def test_activations_all_spatial_layers_by_default(models, style):
    model = models[style]
    x = random_images(model, 3, seed=1)
    acts = cv.activations(model, x)
    spatial = [i for i in cv.conv_layers(model, kind="spatial")]
    assert list(acts) == [i.path for i in spatial]
    for info in spatial:
        a = acts[info.path]
        assert a.dtype == np.float32 and a.shape[0] == 3
        assert a.shape[1:] == tuple(d if d is not None else a.shape[k + 1]
                                    for k, d in enumerate(info.output_shape[1:]))
    np.testing.assert_array_equal(acts.images, x)


def test_channel_stats_and_sparsity(models):
    model = models["sequential"]
    x = random_images(model, 2, seed=2)
    acts = cv.activations(model, x, ["conv_a", "conv_b"])
    a = acts["conv_b"]
    st = acts.stats("conv_b")
    np.testing.assert_allclose(st.mean, a.mean(axis=(1, 2)), rtol=1e-5)
    np.testing.assert_array_equal(st.max, a.max(axis=(1, 2)))
    np.testing.assert_array_equal(st.blank, (a <= 0).all(axis=(1, 2)))
    np.testing.assert_allclose(st.blank_fraction, st.blank.mean(axis=1))
    sp = acts.sparsity()
    assert list(sp) == ["conv_a", "conv_b"] and all(0 <= v <= 1 for v in sp.values())
    assert sp["conv_b"] == pytest.approx(st.blank_fraction.mean())
    units = acts.sparsity("units")
    assert units["conv_b"] == pytest.approx(float((a <= 0).mean()))
    with pytest.raises(ValueError, match="channels' or 'units'"):
        acts.sparsity("pixels")


def test_deeper_layers_sparser_with_dead_relu_channels():
    """A channel whose filter and bias are zero never fires: it must count as blank."""
    model = keras.Sequential([keras.Input((20, 30, 3)),
                              keras.layers.Conv2D(4, 3, activation="relu", name="c")])
    w, b = model.get_layer("c").get_weights()
    w[..., 0], b[0] = 0, -1.0
    model.get_layer("c").set_weights([w, b])
    acts = cv.activations(model, np.random.default_rng(0).random((2, 20, 30, 3)))
    assert acts.stats("c").blank[:, 0].all()
    assert acts.sparsity()["c"] >= 0.25


def test_uint8_resize_and_channel_conversion(models):
    model = models["sequential"]  # 40x56x3
    rng = np.random.default_rng(0)
    img = (rng.random((80, 112, 3)) * 255).astype(np.uint8)
    acts = cv.activations(model, img, "conv_a")
    assert acts.resized_from == (80, 112) and acts["conv_a"].shape == (1, 40, 56, 5)
    ref = tf.image.resize(img[None].astype("float32") / 255, (40, 56), antialias=True)
    np.testing.assert_allclose(acts.images, np.clip(ref.numpy(), 0, 1), atol=1e-5)
    gray = rng.random((40, 56)).astype(np.float32)  # (h, w) grayscale for an RGB model
    acts = cv.activations(model, gray, "conv_a")
    assert acts.converted_channels == (1, 3)
    np.testing.assert_allclose(acts.images[0, ..., 1], gray)
    unet = models["grayscale"]  # RGB image for a 1-channel model
    rgb = rng.random((64, 48, 3)).astype(np.float32)
    acts = cv.activations(unet, rgb, "dconv64")
    assert acts.converted_channels == (3, 1)
    np.testing.assert_allclose(acts.images[0, ..., 0], rgb @ [0.299, 0.587, 0.114], rtol=1e-5)


def test_float_0_255_images_are_detected(models):
    model = models["sequential"]
    x = random_images(model, 1)
    a = cv.activations(model, x, "conv_a", cache=False)["conv_a"]
    b = cv.activations(model, x * 255.0, "conv_a", cache=False)["conv_a"]
    np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("bad, exc, msg", [
    (np.zeros(10), ValueError, "1-D"),
    (np.zeros((2, 3, 4, 5, 3)), ValueError, "5-D"),
    (np.zeros((0, 40, 56, 3)), ValueError, "empty"),
    (np.zeros((40, 56, 4)), ValueError, r"images\[\.\.\., :3\]"),
    (np.full((40, 56, 3), np.nan), ValueError, "NaN"),
    (np.full((40, 56, 3), -50.0), ValueError, "preprocess="),
    (np.zeros((40, 56, 3), dtype=object), TypeError, "numeric"),
    (np.zeros((40, 56, 2)), ValueError, "batch"),
])
def test_bad_images_raise_clear_errors(models, bad, exc, msg):
    with pytest.raises(exc, match=msg):
        cv.activations(models["sequential"], bad, "conv_a")


def test_preprocess_is_applied_and_checked(models):
    model = models["sequential"]
    x = random_images(model, 1)
    pre = lambda t: t * 2.0 - 1.0  # noqa: E731
    a = cv.activations(model, x, "conv_a", preprocess=pre)["conv_a"]
    ref = model.get_layer("conv_a")(tf.constant(x * 2 - 1)).numpy()
    np.testing.assert_allclose(a, ref, rtol=1e-5, atol=1e-6)

    def broken(t):
        raise KeyError("oops")

    with pytest.raises(ValueError, match="preprocess raised KeyError"):
        cv.activations(model, x, "conv_a", preprocess=broken)
    with pytest.raises(ValueError, match="preprocess returned shape"):
        cv.activations(model, x, "conv_a", preprocess=lambda t: t[:, :10])


def test_layer_without_spatial_output(models):
    with pytest.raises(ValueError, match="not a feature map"):
        cv.activations(models["nested"], random_images(models["nested"], 1), "dense")


def test_paths_names_and_layers_mixed_give_the_same_maps(models):
    # A spatial path is taken as it is; names and layer objects are resolved (a path wins).
    model = models["nested"]
    x = random_images(model, 1, seed=4)
    paths = [i.path for i in cv.conv_layers(model, kind="spatial")]
    nested = next(p for p in paths if "/" in p)
    layer = cv.compute.access(model).layer(paths[-1])
    mixed = cv.activations(model, x, [paths[0], nested.split("/")[-1], layer, paths[0]],
                           cache=False)
    assert list(mixed) == [paths[0], nested, paths[-1]]
    alone = cv.activations(model, x, [paths[0], nested, paths[-1]], cache=False)
    for p in mixed:
        np.testing.assert_array_equal(mixed[p], alone[p])
    dense = next(i.path for i in cv.model_layers(model) if not i.is_spatial and i.calls)
    with pytest.raises(ValueError, match="not a feature map"):
        cv.activations(model, x, paths + [dense])


# ----------------------------------------------------------------------------------- caching
def test_cache_rereads_without_running_the_model(models):
    model = models["functional"]
    x = random_images(model, 2, seed=11)
    cv.clear_cache(model)
    first = cv.activations(model, x, ["stem", "last_conv"])
    runs = []
    original = model.call

    def counting(*a, **k):
        runs.append(1)
        return original(*a, **k)

    object.__setattr__(model, "call", counting)
    try:
        again = cv.activations(model, x[::-1], ["last_conv"])  # subset, other order: all cached
        one = cv.activations(model, x[1], "stem")
    finally:
        object.__delattr__(model, "call")
    assert runs == []
    np.testing.assert_array_equal(again["last_conv"], first["last_conv"][::-1])
    np.testing.assert_array_equal(one["stem"][0], first["stem"][1])


def test_training_invalidates_cache(models):
    from conftest import make_sequential

    model = make_sequential()
    model.compile("sgd", "sparse_categorical_crossentropy")
    x = random_images(model, 4, seed=5)
    before = cv.activations(model, x, "conv_b")["conv_b"]
    model.fit(x, np.array([0, 1, 2, 3]), epochs=1, verbose=0)
    after = cv.activations(model, x, "conv_b")["conv_b"]
    assert not np.allclose(before, after)


def test_byte_lru_bounds_and_order():
    c = ByteLRU(max_bytes=1000)
    c.put("a", np.zeros(100, np.float32))  # 400 B
    c.put("b", np.zeros(100, np.float32))  # 800 B
    assert c.get("a") is not None  # a is now most recent
    c.put("c", np.zeros(100, np.float32))  # 1200 B > 1000: evict b (least recent)
    assert "b" not in c and "a" in c and "c" in c and c.nbytes == 800
    c.put("huge", np.zeros(1000, np.float32))  # larger than the whole cache: not stored
    assert "huge" not in c and c.nbytes == 800
    c.resize(400)
    assert len(c) == 1 and c.nbytes == 400


def test_activation_cache_is_bounded(models):
    model = models["sequential"]
    acc = access(model)
    old = acc.cache.max_bytes
    acc.cache.resize(200_000)
    try:
        for seed in range(30):
            cv.activations(model, random_images(model, 1, seed=100 + seed))
        assert acc.cache.nbytes <= 200_000
    finally:
        acc.cache.resize(old)


def test_prepare_images_batch_list():
    p = prepare_images([np.zeros((8, 9, 3)), np.ones((8, 9, 3))], (None, 8, 9, 3))
    assert p.images.shape == (2, 8, 9, 3) and p.resized_from is None
    # A fixed-size model resizes each image of a list to its size (paths of photos of any
    # sizes are lists like this); only a model of any size needs one shared shape.
    q = prepare_images([np.zeros((8, 9, 3)), np.ones((8, 10, 3))], (None, 8, 9, 3))
    assert q.images.shape == (2, 8, 9, 3)
    np.testing.assert_allclose(q.images[1], 1.0, atol=1e-6)
    with pytest.raises(ValueError, match="share one shape"):
        prepare_images([np.zeros((8, 9, 3)), np.ones((8, 10, 3))], (None, None, None, 3))


# ------------------------------------------------------------------- SeparableConv2D kernels
def test_separable_kernel_is_the_effective_kernel_per_output_channel():
    """Channel f of the layer's output is a plain convolution with kernels(...)[..., f]."""
    keras.utils.set_random_seed(11)
    inp = keras.Input((17, 22, 3))
    x = keras.layers.Conv2D(4, 3, name="c0")(inp)
    x = keras.layers.SeparableConv2D(7, 3, depth_multiplier=2, strides=2, padding="same",
                                     name="sep")(x)
    model = keras.Model(inp, x)
    layer = model.get_layer("sep")
    w = cv.kernels(model, "sep")
    assert w.shape == (3, 3, 4, 7) == cv.resolve_layer(model, "sep").kernel_shape
    assert cv.kernel_stats(model, "sep").norms.shape == (7,)  # one per output channel
    feed = np.random.default_rng(1).random((2, 15, 20, 4)).astype("float32")
    ref = layer(feed).numpy()
    mine = tf.nn.conv2d(feed, w, strides=2, padding="SAME").numpy() + \
        layer.bias.numpy()
    np.testing.assert_allclose(mine, ref, rtol=1e-4, atol=1e-5)
    # and the activations of the layer in the model agree with the same kernel
    img = np.random.default_rng(2).random((1, 17, 22, 3)).astype("float32")
    acts = cv.activations(model, img, ["c0", "sep"], cache=False)
    again = tf.nn.conv2d(acts["c0"], w, strides=2, padding="SAME").numpy() + \
        layer.bias.numpy()
    np.testing.assert_allclose(acts["sep"], again, rtol=1e-4, atol=1e-5)


# ------------------------------------------------------------------------- image range rule
def test_float_overshoot_is_clipped_not_divided(models):
    model = models["sequential"]
    x = random_images(model, 1, seed=9) * 0.98
    x[0, 0, 0, 0] = 1.02  # a bicubic resize overshoot
    a = cv.activations(model, x, "conv_a", cache=False)
    assert a.clipped and not a.rescaled_from_255
    np.testing.assert_allclose(a.images, np.clip(x, 0, 1))
    ref = cv.activations(model, np.clip(x, 0, 1), "conv_a", cache=False)
    assert not ref.clipped
    np.testing.assert_allclose(a["conv_a"], ref["conv_a"], rtol=1e-6)
    b = cv.activations(model, x * 200.0, "conv_a", cache=False)  # a 0-255 picture
    assert b.rescaled_from_255 and not b.clipped


def test_uint8_input_layer_is_fed_0_255():
    inp = keras.Input((12, 14, 3), dtype="uint8")
    x = keras.layers.Rescaling(1 / 255.0, name="scale")(inp)
    x = keras.layers.Conv2D(3, 3, name="conv")(x)
    model = keras.Model(inp, x)
    img = (np.random.default_rng(3).random((1, 12, 14, 3)) * 255).astype(np.uint8)
    a = cv.activations(model, img, ["scale", "conv"], cache=False)
    np.testing.assert_allclose(a["scale"], img / 255.0, atol=1e-6)
    np.testing.assert_allclose(a["conv"], model(img).numpy(), rtol=1e-5, atol=1e-6)
    # [0, 1] floats of the same picture give the same maps (not black after a uint8 cast)
    b = cv.activations(model, img / 255.0, ["conv"], cache=False)
    np.testing.assert_allclose(b["conv"], a["conv"], rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("shape, fix", [((3, 20, 24), r"np.transpose\(image, \(1, 2, 0\)\)"),
                                        ((2, 3, 20, 24), r"np.transpose\(images, \(0, 2, 3, 1\)\)"),
                                        ((1, 1, 20, 24), r"channels-last")])
def test_channels_first_says_transpose(models, shape, fix):
    with pytest.raises(ValueError, match=f"channels-first.*{fix}"):
        cv.activations(models["sequential"], np.random.rand(*shape).astype("float32"))


def test_empty_layer_list_says_so(models):
    with pytest.raises(ValueError, match="empty list.*layers=None"):
        cv.activations(models["sequential"], random_images(models["sequential"], 1), [])


# ---------------------------------------------------------------- staleness by construction
def _fresh_sequential():
    from conftest import make_sequential

    return make_sequential()


def test_recompile_and_fit_same_steps_serves_new_maps():
    """The fine-tuning recipe: compile, fit n steps, re-compile (new optimizer), fit n steps."""
    model = _fresh_sequential()
    x = random_images(model, 4, seed=5)
    y = np.array([0, 1, 2, 0])
    model.compile(optimizer=keras.optimizers.SGD(0.5), loss="sparse_categorical_crossentropy")
    model.fit(x, y, epochs=1, batch_size=4, verbose=0)
    first = cv.activations(model, x[:1], "conv_b")["conv_b"].copy()
    model.compile(optimizer=keras.optimizers.SGD(0.5), loss="sparse_categorical_crossentropy")
    model.fit(x, y, epochs=1, batch_size=4, verbose=0)  # iterations is 1 again
    now = cv.activations(model, x[:1], "conv_b")["conv_b"]
    truth = cv.activations(model, x[:1], "conv_b", cache=False)["conv_b"]
    assert not np.allclose(first, truth)
    np.testing.assert_array_equal(now, truth)


def test_backbone_alone_after_outer_fit_serves_new_maps():
    keras.utils.set_random_seed(6)
    backbone = keras.Sequential([keras.Input((18, 22, 3)),
                                 keras.layers.Conv2D(4, 3, activation="relu", name="b1"),
                                 keras.layers.Conv2D(5, 3, name="b2")], name="backbone")
    inp = keras.Input((18, 22, 3))
    out = keras.layers.Dense(2, activation="softmax")(
        keras.layers.GlobalAveragePooling2D()(backbone(inp)))
    outer = keras.Model(inp, out)
    x = np.random.default_rng(0).random((4, 18, 22, 3)).astype("float32")
    before = cv.activations(backbone, x[:1], "b2")["b2"].copy()  # cached on the backbone
    outer.compile(optimizer=keras.optimizers.SGD(1.0), loss="sparse_categorical_crossentropy")
    outer.fit(x, np.array([0, 1, 0, 1]), epochs=2, verbose=0)
    after = cv.activations(backbone, x[:1], "b2")["b2"]
    np.testing.assert_allclose(after, backbone(x[:1]).numpy(), rtol=1e-5, atol=1e-6)
    assert not np.allclose(after, before)
    nested = cv.activations(outer, x[:1], "backbone/b2")["backbone/b2"]
    np.testing.assert_allclose(nested, after, rtol=1e-5, atol=1e-6)


def test_set_weights_and_filter_edits_serve_new_maps():
    model = _fresh_sequential()
    x = random_images(model, 1, seed=8)
    cv.activations(model, x)  # fill the cache for every layer
    layer = model.get_layer("conv_a")
    k, b = layer.get_weights()
    layer.set_weights([k * 2.0, b])
    np.testing.assert_allclose(cv.activations(model, x, "conv_a")["conv_a"],
                               cv.activations(model, x, "conv_a", cache=False)["conv_a"])
    # zero one filter (the lesson's ablation) and swap two others: each is noticed
    k2 = k.copy()
    k2[..., 1] = 0.0
    layer.set_weights([k2, b])
    ablated = cv.activations(model, x, "conv_a")["conv_a"]
    truth = cv.activations(model, x, "conv_a", cache=False)["conv_a"]
    np.testing.assert_array_equal(ablated, truth)
    assert np.ptp(ablated[..., 1]) == 0  # filter 1 now sees nothing: a constant map
    k3 = k2.copy()
    k3[..., [0, 2]] = k2[..., [2, 0]]
    layer.set_weights([k3, b[[2, 1, 0] + list(range(3, len(b)))]])
    np.testing.assert_array_equal(cv.activations(model, x, "conv_a")["conv_a"],
                                  cv.activations(model, x, "conv_a", cache=False)["conv_a"])


def test_kernel_viewer_after_fit_and_layer_switch():
    model = _fresh_sequential()
    kv = cv.KernelViewer(model)
    first = kv.layer
    other = [i.path for i in cv.conv_layers(model, "kernel") if i.path != first][0]
    shown = kv.kernel.copy()
    x = random_images(model, 4, seed=2)
    model.compile(optimizer=keras.optimizers.SGD(1.0), loss="sparse_categorical_crossentropy")
    model.fit(x, np.array([0, 1, 2, 0]), epochs=1, verbose=0)
    kv.layer = other
    kv.layer = first  # away and back: the kept kernel is from before fit
    np.testing.assert_array_equal(kv.kernel, cv.kernels(model, first))
    assert not np.array_equal(kv.kernel, shown)
    model.get_layer(first).set_weights([w * 0 for w in model.get_layer(first).get_weights()])
    kv.filter_index = 1  # no layer switch at all: still the current weights
    assert not kv.kernel.any()


def test_activation_viewer_after_fit_shows_new_maps():
    model = _fresh_sequential()
    x = random_images(model, 2, seed=4)
    av = cv.ActivationViewer(model, images=x, layer="conv_b")
    before = av.channel.copy()
    model.get_layer("conv_b").set_weights(
        [w * 3.0 for w in model.get_layer("conv_b").get_weights()])
    av.filter_index = av.filter_index  # any redraw
    av.layer = "conv_a"
    av.layer = "conv_b"
    truth = cv.activations(model, x[0], "conv_b", cache=False)["conv_b"][0][..., av.filter_index]
    np.testing.assert_allclose(av.channel, truth, rtol=1e-5)
    assert not np.allclose(av.channel, before)


def test_activation_viewer_failed_images_keeps_a_consistent_menu(models):
    model = models["sequential"]
    x = random_images(model, 3, seed=1)
    av = cv.ActivationViewer(model, images=x)
    bad = np.full(x.shape[1:], np.nan, np.float32)
    with pytest.raises(ValueError, match="NaN"):
        av.images = [bad]
    assert len(av.images) == 3 and len(Driver(av).options("convviz-image")) == 3
    av.image_index = 2  # works, no TraitError
    assert Driver(av).control("convviz-image").value == 2 and av.frame().image.shape == x.shape[1:]
