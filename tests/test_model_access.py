"""Model access: listing, resolution, one-pass capture, on every model style."""

import subprocess
import sys

import numpy as np
import pytest

import keras
import tensorflow as tf

import convviz_widgets as cv
from convviz_widgets.compute import access, run_model

from _any_size import fcn_model
from conftest import make_nested, make_sequential, random_images, two_blocks_with_a_conv_each


def oracle(style, model, x):
    """Layer outputs computed independently, by chaining the layers by hand."""
    x = tf.constant(x)
    L = model.get_layer if style != "subclassed" else None
    if style == "sequential":
        a = L("conv_a")(x)
        return {"conv_a": a, "conv_b": L("conv_b")(L("pool_a")(a))}
    if style == "functional":
        s = L("stem")(x)
        sh = L("shared")
        a, b = sh(s), sh(L("side")(s))
        return {"stem": s, "shared": a, "last_conv": L("last_conv")(L("concat")([a, b]))}
    if style == "nested":
        base = model.get_layer("vgg16")
        y = x
        out = {}
        for lay in base.layers:
            y = lay(y)
            out["vgg16/" + lay.name] = y
        out["vgg16"] = y
        out["conv2d"] = model.get_layer("conv2d")(y)
        return out
    if style == "subclassed":
        c1 = model.block1.layers[0](x)
        b1 = model.block1.layers[1](c1)
        c2 = model.block2.layers[0](tf.nn.relu(b1) * 1.5 - 0.1)
        return {"block1/conv1": c1, "block1": b1, "block2/conv2": c2}
    if style == "grayscale":
        # A functional sub-model is an independent route for a plain (non-nested) graph.
        names = ["dconv64", "conv64_1", "uconv128", "uconv64"]
        sub = keras.Model(model.inputs, [model.get_layer(n).output for n in names])
        return dict(zip(names, sub(x, training=False)))
    raise AssertionError(style)


def test_capture_matches_independent_computation(models, style):
    model = models[style]
    x = random_images(model, n=2, seed=7)
    want = oracle(style, model, x)
    acts = cv.activations(model, x, list(want), cache=False)
    for path, ref in want.items():
        assert acts[path].shape == tuple(ref.shape), path
        np.testing.assert_allclose(acts[path], np.asarray(ref), rtol=1e-4, atol=1e-5,
                                   err_msg=path)


def test_capture_is_one_forward_pass(models, style):
    """All requested layers come from a single model call."""
    model = models[style]
    acc = access(model)
    calls = []
    original = model.call

    def counting(*a, **k):
        calls.append(1)
        return original(*a, **k)

    paths = [i.path for i in cv.conv_layers(model, kind="spatial")]
    object.__setattr__(model, "call", counting)
    try:
        run_model(acc, tf.constant(random_images(model, 1)), paths)
    finally:
        object.__delattr__(model, "call")
    assert len(calls) == 1


def test_capture_inputs_gives_what_the_layer_receives(models):
    """A layer's input is the previous layer's output, across the nested-model boundary and
    in a subclassed model with raw TF ops in between; capturing it adds no output key."""
    nested = models["nested"]
    x = tf.constant(random_images(nested, 2, seed=4))
    _, got = run_model(access(nested), x, ["vgg16/block1_pool", "vgg16"],
                       capture_inputs=["vgg16/block2_conv1", "conv2d"])
    assert set(got) == {"vgg16/block1_pool", "vgg16", ("input", "vgg16/block2_conv1"),
                        ("input", "conv2d")}
    np.testing.assert_allclose(got[("input", "vgg16/block2_conv1")], got["vgg16/block1_pool"])
    np.testing.assert_allclose(got[("input", "conv2d")], got["vgg16"])
    sub = models["subclassed"]
    xs = tf.constant(random_images(sub, 1, seed=5))
    _, got = run_model(access(sub), xs, ["block1/conv1"], capture_inputs=["block1/pool1"])
    np.testing.assert_allclose(got[("input", "block1/pool1")], got["block1/conv1"])


def test_listing_paths_and_shapes(models):
    nested = cv.conv_layers(models["nested"])
    paths = [i.path for i in nested]
    assert paths[:5] == ["vgg16", "vgg16/block1_conv1", "vgg16/block1_conv2",
                         "vgg16/block1_pool", "vgg16/block2_conv1"]
    info = {i.path: i for i in nested}
    assert info["vgg16/block1_conv1"].output_shape == (None, 150, 150, 5)
    assert info["vgg16/block1_conv1"].kernel_shape == (3, 3, 3, 5)
    assert info["vgg16/block1_conv1"].params == 3 * 3 * 3 * 5 + 5
    assert info["vgg16/block1_conv1"].depth == 1
    assert info["vgg16"].is_container and info["vgg16"].output_shape == (None, 37, 37, 7)
    assert info["conv2d"].output_shape == (None, 35, 35, 6)
    # Dense layers are neither spatial nor convolutional
    assert "dense" not in paths

    sub = {i.path: i for i in cv.conv_layers(models["subclassed"])}
    assert sub["block1/conv1"].output_shape == (None, 40, 56, 5)
    assert sub["block2/conv2"].kernel_shape == (3, 3, 5, 7)

    kinds = {i.path for i in cv.conv_layers(models["functional"], kind="kernel")}
    assert kinds == {"stem", "shared", "side", "last_conv"}
    shared = cv.resolve_layer(models["functional"], "shared")
    assert shared.calls == 2
    spatial = {i.path for i in cv.conv_layers(models["grayscale"], kind="spatial")}
    assert {"conv64_1", "cat1", "up2", "final_conv1"} <= spatial


def test_layer_infos_are_frozen(models):
    info = cv.conv_layers(models["sequential"])[0]
    with pytest.raises(Exception):
        info.path = "x"


@pytest.mark.parametrize("how", ["path", "name", "object"])
def test_resolve(models, how):
    model = models["nested"]
    obj = model.get_layer("vgg16").get_layer("block2_conv1")
    arg = {"path": "vgg16/block2_conv1", "name": "block2_conv1", "object": obj}[how]
    assert cv.resolve_layer(model, arg).path == "vgg16/block2_conv1"


def test_unknown_layer_suggests_closest(models):
    with pytest.raises(ValueError) as e:
        cv.resolve_layer(models["nested"], "block2_conv")
    assert "vgg16/block2_conv1" in str(e.value) and "conv_layers" in str(e.value)
    with pytest.raises(ValueError, match="not part of model"):
        cv.resolve_layer(models["nested"], keras.layers.Dense(3))


def test_ambiguous_name_asks_for_path():
    model = two_blocks_with_a_conv_each()
    with pytest.raises(ValueError, match="ambiguous") as e:
        cv.resolve_layer(model, "conv")
    assert "b1/conv" in str(e.value) and "b2/conv" in str(e.value)
    assert cv.resolve_layer(model, "b2/conv").path == "b2/conv"


def test_unbuilt_model_error_says_how_to_fix():
    model = keras.Sequential([keras.layers.Conv2D(3, 3), keras.layers.Flatten()])
    with pytest.raises(cv.ModelNotBuiltError, match=r"model\.build\(\(None, height, width"):
        cv.conv_layers(model)
    model.build((None, 20, 24, 3))  # after following the advice it works
    assert cv.conv_layers(model)[0].output_shape == (None, 18, 22, 3)


def test_not_a_model():
    with pytest.raises(TypeError, match="keras.Model"):
        cv.conv_layers(object())


def test_fully_convolutional_any_size():
    inp = keras.Input((None, None, 3))
    model = keras.Model(inp, keras.layers.Conv2D(5, 3, name="c")(inp))
    assert cv.resolve_layer(model, "c").output_shape == (None, None, None, 5)
    for shape in [(1, 20, 33, 3), (2, 17, 9, 3)]:
        a = cv.activations(model, np.random.rand(*shape).astype("float32"), "c")
        assert a["c"].shape == (shape[0], shape[1] - 2, shape[2] - 2, 5)
        assert a.resized_from is None


def test_capture_from_worker_thread_while_main_traces(models):
    """Patching is guarded: concurrent captures from two threads both get correct results."""
    import threading

    model = models["sequential"]
    x = random_images(model, 1, seed=3)
    ref = cv.activations(model, x, "conv_b", cache=False)["conv_b"]
    out = {}

    def work(k):
        out[k] = cv.activations(model, x, ["conv_b", "conv_a"] if k else "conv_b",
                                cache=False)["conv_b"]

    threads = [threading.Thread(target=work, args=(k,)) for k in range(2)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    for v in out.values():
        np.testing.assert_allclose(v, ref, rtol=1e-5)


def test_compute_does_not_import_widget_libraries():
    """The boundary: compute/ loads no widget library. TensorFlow itself pulls in IPython and
    traitlets on this stack, so those are compared with a bare `import tensorflow, keras`."""
    probe = ("import sys, {mod}; print(sorted(m for m in ('ipywidgets', 'anywidget', 'ipycanvas', "
             "'traitlets', 'IPython', 'ipykernel', 'comm') if m in sys.modules))")

    def loaded(mod):
        r = subprocess.run([sys.executable, "-c", probe.format(mod=mod)], capture_output=True,
                           text=True, timeout=300)
        assert r.returncode == 0, r.stderr
        return set(eval(r.stdout.strip().splitlines()[-1]))

    baseline = loaded("tensorflow, keras")
    ours = loaded("convviz_widgets.compute")
    assert not ours & {"ipywidgets", "anywidget", "ipycanvas", "ipykernel", "comm"}, ours
    assert ours <= baseline, ours - baseline


# ------------------------------------------------------------------ any input size (None, None)
def _fcn(style):
    return fcn_model(style, seed=3)


@pytest.mark.parametrize("style", ["sequential", "functional", "nested", "subclassed"])
def test_any_size_model_runs_each_image_at_its_own_size(style):
    model = _fcn(style)
    prefix = "fcn/" if style == "nested" else ""
    infos = {i.path: i for i in cv.conv_layers(model)}
    # the listing reports the unknown spatial size as unknown, never a made-up one
    assert infos[prefix + "c3"].output_shape == (None, None, None, 6)
    assert all(i.output_shape[1:3] == (None, None) for i in infos.values())
    for h, w in [(96, 128), (37, 50)]:
        img = np.random.default_rng(h).random((h, w, 3)).astype("float32")
        a = cv.activations(model, img)
        assert a.resized_from is None and a.images.shape == (1, h, w, 3)
        assert a[prefix + "c3"].shape == (1, h // 4, w // 4, 6)
        ref = model(img[None]).numpy() if style != "nested" else None
        if ref is not None:
            np.testing.assert_allclose(a[prefix + "c3"], ref, rtol=1e-5, atol=1e-6)


def test_maximize_states_its_default_size():
    from convviz_widgets.compute.maximize import DEFAULT_SIZE, pattern_size

    # the one place a size-free model needs a size says which, in the docstring users read
    assert f"for fully convolutional models (default {DEFAULT_SIZE})" in cv.maximize.__doc__
    assert pattern_size(_fcn("functional")) == (DEFAULT_SIZE, DEFAULT_SIZE)


# ------------------------------------------------------------------------------ identities
def test_weights_identity_follows_every_kind_of_change(models):
    from convviz_widgets.compute import weights_identity

    model = models["functional"]
    layer = access(model).layer("stem")
    before = weights_identity(model)
    assert weights_identity(model) == before  # unchanged weights, equal identity
    k, b = layer.get_weights()
    try:
        k2 = k.copy()
        k2.flat[5] = np.nextafter(k2.flat[5], np.float32(np.inf))  # one ulp of one weight
        layer.set_weights([k2, b])
        assert weights_identity(model) != before
        k3 = k.copy()
        k3[..., [0, 1]] = k[..., [1, 0]]  # swap two filters: same sum, other positions
        layer.set_weights([k3, b])
        swapped = weights_identity(model)
        assert swapped != before
        assert weights_identity(model) == swapped  # nothing written since: stable
    finally:
        # The model is the session's shared fixture: later tests must see its own weights.
        layer.set_weights([k, b])
    assert weights_identity(layer) != weights_identity(access(model).layer("last_conv"))
    assert weights_identity(keras.layers.Flatten()) == ("no-weights",)


def test_preprocess_key_rule():
    from convviz_widgets.compute import preprocess_key

    def make(scale):
        return lambda x: x * scale

    mean = np.array([0.4, 0.5, 0.6], np.float32)
    assert preprocess_key(None) is None
    assert preprocess_key(lambda x: x * 2.0) == preprocess_key(lambda x: x * 2.0)
    assert preprocess_key(lambda x: x * 2.0) != preprocess_key(lambda x: x * 3.0)
    assert preprocess_key(make(2.0)) == preprocess_key(make(2.0))
    assert preprocess_key(make(2.0)) != preprocess_key(make(2.5))
    def centre(m):
        return lambda x: x - m

    assert preprocess_key(centre(mean)) == preprocess_key(centre(mean.copy()))  # by value
    assert preprocess_key(centre(mean)) != preprocess_key(centre(mean + 0.1))
    pre = keras.applications.vgg16.preprocess_input
    assert preprocess_key(lambda x: pre(x * 255.0)) == preprocess_key(lambda x: pre(x * 255.0))
    import functools

    assert preprocess_key(functools.partial(np.multiply, 2.0)) == \
        preprocess_key(functools.partial(np.multiply, 2.0))


def test_new_equal_preprocess_per_call_compiles_once(models):
    model = models["sequential"]
    acc = access(model)
    x = random_images(model, 1, seed=12)
    before = len(acc._fns)
    outs = [cv.activations(model, x, "conv_a", preprocess=lambda t: t * 2.0 - 1.0)["conv_a"]]
    after_first = len(acc._fns)
    # One compiled function at most (none if an earlier test compiled this same lambda: the
    # key is what the function computes, so that is the rule working, not a miss).
    assert after_first <= before + 1
    outs += [cv.activations(model, x, "conv_a", preprocess=lambda t: t * 2.0 - 1.0)["conv_a"]
             for _ in range(4)]
    assert len(acc._fns) == after_first
    for o in outs[1:]:
        np.testing.assert_array_equal(o, outs[0])
    # a different preprocess is a different result, not a stale hit
    other = cv.activations(model, x, "conv_a", preprocess=lambda t: t * 2.0)["conv_a"]
    assert not np.array_equal(other, outs[0])


def test_compiled_functions_are_bounded(models):
    from convviz_widgets.compute._access import MAX_COMPILED

    acc = access(models["sequential"])
    for k in range(MAX_COMPILED + 5):
        acc.compiled(("probe", k), lambda: (lambda: None))
    assert len(acc._fns) == MAX_COMPILED
    assert ("probe", MAX_COMPILED + 4) in acc._fns and ("probe", 0) not in acc._fns


def test_numpy_preprocess_is_refused_at_the_check(models):
    model = models["sequential"]
    x = random_images(model, 1, seed=2)
    with pytest.raises(ValueError, match="fails when compiled.*keras.ops"):
        cv.activations(model, x, preprocess=lambda t: np.asarray(t) * 2.0 - 1.0)


@pytest.mark.parametrize("app", ["resnet50", "vgg16", "mobilenet_v2", "efficientnet"])
def test_keras_preprocess_input_passed_directly_is_explained(models, app):
    import importlib

    fn = importlib.import_module(f"keras.applications.{app}").preprocess_input
    model = models["sequential"]
    with pytest.raises(ValueError, match=r"0–255.*lambda x: preprocess_input\(x \* 255.0\)"):
        cv.activations(model, random_images(model, 1), preprocess=fn)
    # the advised fix works
    cv.activations(model, random_images(model, 1), "conv_a",
                   preprocess=lambda x: fn(x * 255.0) / 255.0)


def test_weights_identity_of_large_variables():
    """Above the exact-sum size: one output unit ablated is seen, and so is a broad raw write."""
    from convviz_widgets.compute import weights_identity
    from convviz_widgets.compute._identity import _FP_EXACT_MAX

    big = keras.layers.Dense(640)
    big.build((None, 640))
    assert int(np.prod(big.kernel.shape)) > _FP_EXACT_MAX
    before = weights_identity(big)
    for unit in (17, 639):  # any unit: the samples run through every one of them
        k = big.kernel.numpy()
        k[:, unit] = 0.0
        big.kernel.assign(k)
        ablated = weights_identity(big)
        assert ablated != before
        before = ablated
    # a broad change made below Keras, on the raw tf.Variable, as a training step makes
    big.kernel.value.assign(big.kernel.value * 0.9 + 0.01)
    assert weights_identity(big) != before


def test_one_filter_ablated_above_the_exact_size_is_seen_through_the_sampled_rows():
    """Above the exact-sum size a kernel is read as whole rows of its last axis (every filter
    or unit once per row, at least two rows), so ablating any one filter changes the identity
    even where the head (its first 4,096 values) does not reach it."""
    from convviz_widgets.compute import weights_identity
    from convviz_widgets.compute._identity import _FP_EXACT_MAX, _FP_HEAD

    conv = keras.layers.Conv2D(64, 3)
    conv.build((None, 14, 14, 128))  # 73,728 values
    dense = keras.layers.Dense(2 * _FP_HEAD)
    dense.build((None, 16))  # 8,192 units: the head covers only the first half of row 0
    for layer, units in ((conv, (0, 31, 63)), (dense, (_FP_HEAD + 5, 2 * _FP_HEAD - 1))):
        assert int(np.prod(layer.kernel.shape)) > _FP_EXACT_MAX
        for unit in units:
            before = weights_identity(layer)
            k = layer.kernel.numpy()
            k[..., unit] = 0.0
            layer.kernel.assign(k)
            assert weights_identity(layer) != before, (layer.name, unit)
    # the dense units above were outside the head: only the sampled rows can have seen them
    assert min(units) >= _FP_HEAD


def test_weights_identity_sees_in_place_assign_and_fit_without_patching_keras():
    """No hook into Keras: the content itself says an in-place write or a fit step happened."""
    from keras.src.backend.tensorflow.core import Variable as TFVariable

    from convviz_widgets.compute import weights_identity

    # Nothing of Keras is replaced (this used to wrap Variable._direct_assign process-wide).
    assert TFVariable._direct_assign.__module__.startswith("keras.")
    layer = keras.layers.Conv2D(64, 3)
    layer.build((None, 14, 14, 64))  # 36,864 values (the demo model's largest): read exactly
    before = weights_identity(layer)
    k = layer.kernel.numpy()
    k.flat[33_456] = np.nextafter(k.flat[33_456], np.float32(np.inf))  # one ulp
    layer.kernel.assign(k)
    assert weights_identity(layer) != before
    bumped = weights_identity(layer)
    layer.kernel.assign(layer.kernel)  # the same values written again: the same weights
    assert weights_identity(layer) == bumped

    model = keras.Sequential([keras.Input((8, 8, 1)), keras.layers.Conv2D(4, 3),
                              keras.layers.GlobalAveragePooling2D(), keras.layers.Dense(2)])
    x = np.random.default_rng(3).normal(size=(4, 8, 8, 1)).astype("float32")
    model.compile(optimizer=keras.optimizers.SGD(0.1), loss="sparse_categorical_crossentropy")
    trained_before = weights_identity(model)
    model.fit(x, np.array([0, 1, 0, 1]), epochs=1, verbose=0)
    assert weights_identity(model) != trained_before


@pytest.mark.parametrize("module", ["_identity", "_access", "_images", "_cache"])
def test_docstring_examples(module):
    import doctest
    import importlib

    mod = importlib.import_module(f"convviz_widgets.compute.{module}")
    result = doctest.testmod(mod, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0 and result.attempted > 0


def test_set_weights_invalidates_activations_cam_and_maximize_caches(models):
    """The one weights rule: every cache (activations, CAM, maximization) sees set_weights."""
    import convviz_widgets as cv
    from conftest import make_functional, random_images

    model = make_functional()
    image = random_images(model, 1)[0]
    acts = cv.activations(model, image[None], "last_conv")["last_conv"]
    cam = cv.gradcam(model, image, layer="last_conv")
    top = cv.top_predictions(model, image, k=3)
    pat = cv.maximize(model, "last_conv", [0], steps=3)
    assert cv.maximize(model, "last_conv", [0], steps=3).from_cache.all()

    model.set_weights([w * 1.5 + 0.01 for w in model.get_weights()])
    acts2 = cv.activations(model, image[None], "last_conv")["last_conv"]
    assert not np.allclose(acts, acts2), "activations served from before set_weights"
    cam2 = cv.gradcam(model, image, layer="last_conv")
    assert not np.allclose(cam.weights, cam2.weights), "CAM served from before set_weights"
    assert not np.allclose(top.values, cv.top_predictions(model, image, k=3).values)
    again = cv.maximize(model, "last_conv", [0], steps=3)
    assert not again.from_cache.any(), "maximization served from before set_weights"
    assert not np.allclose(again.activation, pat.activation)


def test_one_preprocess_identity_for_every_cache():
    from convviz_widgets.compute import persistent_digest, preprocess_key

    def scaler(k):
        return lambda x: x * k

    assert persistent_digest(("s", preprocess_key(scaler(2.0)))) == \
        persistent_digest(("s", preprocess_key(scaler(2.0))))
    assert persistent_digest(("s", preprocess_key(scaler(2.0)))) != \
        persistent_digest(("s", preprocess_key(scaler(3.0))))
    # a callable known only by identity: same key while alive, never written to disk
    class Pre:
        def __call__(self, x):
            return x

    p = Pre()
    assert preprocess_key(p) == preprocess_key(p) and preprocess_key(p) != preprocess_key(Pre())
    assert persistent_digest(("s", preprocess_key(p))) is None


def test_model_is_traced_once_for_layers_and_outputs(models, style):
    from convviz_widgets.compute import output_info
    from convviz_widgets.compute.cam import default_layer

    acc = access(models[style])
    acc.infos(), output_info(models[style]), default_layer(models[style])
    tr = acc.trace()
    assert acc.trace() is tr  # CAM metadata, layer infos and outputs share it
    assert all(acc.infos()[p].output_shape == tr.shapes.get(p, ()) for p in acc.paths)


def test_a_preprocess_that_branches_on_tensor_values_runs_in_every_compiled_path(models):
    """Our compiled functions run with autograph off (translating our own code cost about half a
    fresh process's CPU); a user's ``preprocess`` may still branch in Python on a tensor's value
    — it alone is converted (``backend.user_function``) — and gives what the same rule written
    with ``keras.ops.where`` gives, in the capture, Grad-CAM and maximization."""
    def branching(x):
        if tf.reduce_mean(x) > 0.5:  # a Python `if` on a tensor: needs autograph when compiled
            return x * 2.0 - 1.0
        return x - 0.5

    def ops_only(x):
        return keras.ops.where(keras.ops.mean(x) > 0.5, x * 2.0 - 1.0, x - 0.5)

    model = models["sequential"]
    dark = np.full((1,) + tuple(model.input_shape[1:]), 0.2, np.float32)
    bright = np.full_like(dark, 0.8)
    rng = np.random.default_rng(0)
    for im in (dark + rng.uniform(0, 0.05, dark.shape).astype(np.float32), bright):
        layer = cv.conv_layers(model)[-1].path
        a = cv.activations(model, im, layer, preprocess=branching, cache=False)
        b = cv.activations(model, im, layer, preprocess=ops_only, cache=False)
        np.testing.assert_allclose(a[layer], b[layer], rtol=1e-5, atol=1e-6)
        ga = cv.gradcam(model, im[0], preprocess=branching)
        gb = cv.gradcam(model, im[0], preprocess=ops_only)
        np.testing.assert_allclose(ga.heatmap, gb.heatmap, rtol=1e-4, atol=1e-5)
    ma = cv.maximize(model, layer, [0], steps=3, size=None, seed=1, preprocess=branching)
    mb = cv.maximize(model, layer, [0], steps=3, size=None, seed=1, preprocess=ops_only)
    np.testing.assert_allclose(ma.images, mb.images, rtol=1e-4, atol=1e-5)
