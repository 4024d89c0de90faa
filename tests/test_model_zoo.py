"""A model zoo: real architectures and the ways people build, save, train and misuse them.

Each case either works and matches an independent computation (activations equal a Keras
sub-model of the same layers or the layers chained by hand; kernels equal the stored weights
byte for byte), or raises a ValueError/TypeError that names the problem and the fix.
Access, activations and kernels only; Grad-CAM cases live in test_gradcam.py.

``keras.applications`` models are built with ``weights=None`` (nothing is downloaded) at small
inputs, each on its own and nested as a transfer-learning backbone.
"""

import numpy as np
import pytest

import keras
import tensorflow as tf

import convviz_widgets as cv
from conftest import input_hw

#: (constructor, input size): the smallest size each architecture accepts comfortably. Plain,
#: residual, inverted-residual with squeeze-excite, hard-swish and rescaling-inside models.
#: (DenseNet121 also passes but traces 430 layers four times: two minutes here, left out.)
APPS = {
    "VGG16": (keras.applications.VGG16, 48),
    "ResNet50": (keras.applications.ResNet50, 64),
    "MobileNetV2": (keras.applications.MobileNetV2, 64),
    "MobileNetV3Small": (keras.applications.MobileNetV3Small, 64),
    "EfficientNetB0": (keras.applications.EfficientNetB0, 64),
}


def _sample_paths(infos, k=4):
    """First, last and evenly spaced spatial layers (the whole list costs minutes)."""
    idx = np.unique(np.linspace(0, len(infos) - 1, k).round().astype(int))
    return [infos[i].path for i in idx]


def _image(size, seed=0):
    return np.random.default_rng(seed).random((size, size, 3)).astype(np.float32)


@pytest.fixture(scope="module", params=list(APPS))
def app(request):
    make, size = APPS[request.param]
    keras.utils.set_random_seed(1)
    base = make(weights=None, include_top=False, input_shape=(size, size, 3))
    inp = keras.Input((size, size, 3))
    x = keras.layers.GlobalAveragePooling2D()(base(inp, training=False))
    transfer = keras.Model(inp, keras.layers.Dense(3, activation="softmax", name="head")(x))
    return request.param, base, transfer, size


def test_application_activations_and_kernels(app):
    name, base, transfer, size = app
    img = _image(size)
    infos = cv.conv_layers(base, "spatial")
    assert infos and all(i.output_shape[1] is not None for i in infos)
    paths = _sample_paths(infos)
    acts = cv.activations(base, img, paths, cache=False)
    ref = keras.Model(base.input, [base.get_layer(p).output for p in paths])(img[None])
    for p, r in zip(paths, ref):
        np.testing.assert_allclose(acts[p], r.numpy(), rtol=1e-4, atol=1e-4, err_msg=p)
    # nested as a backbone: the same layers, reached through the outer model
    base_name = base.name
    nested = cv.activations(transfer, img, [f"{base_name}/{p}" for p in paths], cache=False)
    for p in paths:
        np.testing.assert_allclose(nested[f"{base_name}/{p}"], acts[p], rtol=1e-4, atol=1e-4)
    # kernels are the stored weights, for every layer that has one
    for info in cv.conv_layers(base, "kernel"):
        layer = base.get_layer(info.path)
        w = cv.kernels(transfer, f"{base_name}/{info.path}")
        assert w.shape == info.kernel_shape, info.path
        if isinstance(layer, keras.layers.DepthwiseConv2D):
            stored = layer.kernel.numpy()  # Keras 3 names the depthwise weights `kernel`
            np.testing.assert_array_equal(w, stored.reshape(stored.shape[:2] + (1, -1)))
        else:
            np.testing.assert_array_equal(w, layer.kernel.numpy())


def test_mixed_float16_model():
    keras.mixed_precision.set_global_policy("mixed_float16")
    try:
        keras.utils.set_random_seed(2)
        inp = keras.Input((20, 26, 3))
        x = keras.layers.Conv2D(6, 3, activation="relu", name="c1")(inp)
        x = keras.layers.Conv2D(4, 3, name="c2")(x)
        out = keras.layers.Dense(2, dtype="float32")(keras.layers.GlobalAveragePooling2D()(x))
        model = keras.Model(inp, out)
    finally:
        keras.mixed_precision.set_global_policy("float32")
    img = np.random.default_rng(0).random((20, 26, 3)).astype(np.float32)
    a = cv.activations(model, img, ["c1", "c2"], cache=False)
    ref = keras.Model(model.input, model.get_layer("c2").output)(img[None]).numpy()
    assert a["c2"].dtype == np.float32
    np.testing.assert_allclose(a["c2"], ref.astype(np.float32), rtol=1e-2, atol=1e-2)
    w = cv.kernels(model, "c1")
    assert w.dtype == np.float32
    np.testing.assert_array_equal(w, model.get_layer("c1").kernel.numpy())


def test_saved_and_loaded_keras_file(tmp_path):
    from conftest import make_functional

    model = make_functional()
    path = tmp_path / "m.keras"
    model.save(path)
    loaded = keras.models.load_model(path)
    img = np.random.default_rng(3).random((1,) + input_hw(model)).astype(np.float32)
    a = cv.activations(model, img, cache=False)
    b = cv.activations(loaded, img, cache=False)
    assert list(a) == list(b)
    for p in a:
        np.testing.assert_allclose(b[p], a[p], rtol=1e-6, atol=1e-6)
    for info in cv.conv_layers(loaded, "kernel"):
        np.testing.assert_array_equal(cv.kernels(loaded, info.path), cv.kernels(model, info.path))


def test_after_fit_matches_the_trained_model():
    from conftest import make_sequential

    model = make_sequential()
    x = np.random.default_rng(4).random((6,) + input_hw(model)).astype(np.float32)
    cv.activations(model, x[:1])  # cached before training
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    model.fit(x, np.arange(6) % 4, epochs=2, verbose=0)
    a = cv.activations(model, x[:1], ["conv_a", "conv_b"])
    out, ref = tf.constant(x[:1]), {}
    for layer in model.layers:  # the trained layers chained by hand
        out = ref[layer.name] = layer(out)
    np.testing.assert_allclose(a["conv_a"], ref["conv_a"].numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(a["conv_b"], ref["conv_b"].numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(cv.kernels(model, "conv_b"),
                                  model.get_layer("conv_b").kernel.numpy())


def test_softmax_layer_head_leaves_activations_alone():
    keras.utils.set_random_seed(5)
    inp = keras.Input((18, 22, 3))
    x = keras.layers.Conv2D(5, 3, activation="relu", name="conv")(inp)
    x = keras.layers.Dense(4, name="logits")(keras.layers.GlobalAveragePooling2D()(x))
    model = keras.Model(inp, keras.layers.Softmax(name="probs")(x))
    img = np.random.default_rng(5).random((18, 22, 3)).astype(np.float32)
    assert [i.path for i in cv.conv_layers(model)] == ["conv"]
    ref = keras.Model(inp, model.get_layer("conv").output)(img[None]).numpy()
    np.testing.assert_allclose(cv.activations(model, img)["conv"], ref, rtol=1e-5, atol=1e-6)


def test_subclassed_with_lambda_layer():
    class WithLambda(keras.Model):
        def __init__(self):
            super().__init__(name="with_lambda")
            self.conv = keras.layers.Conv2D(4, 3, name="conv")
            self.half = keras.layers.Lambda(lambda t: t * 0.5, name="half")
            self.conv2 = keras.layers.Conv2D(3, 3, name="conv2")

        def call(self, x):
            return self.conv2(tf.nn.relu(self.half(self.conv(x))))

    keras.utils.set_random_seed(6)
    model = WithLambda()
    # Built by a call, as users build a subclassed model: ``model.build(shape)`` on a model
    # without a build() of its own made Keras warn about "unbuilt state" in every CI summary.
    model(np.zeros((1, 16, 20, 3), np.float32))
    img = np.random.default_rng(6).random((16, 20, 3)).astype(np.float32)
    a = cv.activations(model, img, cache=False)
    assert set(a) == {"conv", "half", "conv2"}
    c = model.conv(img[None])
    np.testing.assert_allclose(a["conv"], c.numpy(), rtol=1e-6)
    np.testing.assert_allclose(a["half"], c.numpy() * 0.5, rtol=1e-6)
    np.testing.assert_allclose(a["conv2"], model.conv2(tf.nn.relu(c * 0.5)).numpy(),
                               rtol=1e-5, atol=1e-6)


def test_separable_conv_in_a_real_stack():
    """Xception-style SeparableConv2D: output channel f links to kernels(...)[..., f]."""
    keras.utils.set_random_seed(7)
    inp = keras.Input((24, 24, 3))
    x = keras.layers.Conv2D(8, 3, strides=2, name="stem")(inp)
    x = keras.layers.SeparableConv2D(12, 3, padding="same", name="sep1")(x)
    model = keras.Model(inp, keras.layers.ReLU(name="act")(x))
    img = np.random.default_rng(7).random((24, 24, 3)).astype(np.float32)
    a = cv.activations(model, img, ["stem", "sep1"], cache=False)
    w = cv.kernels(model, "sep1")
    assert w.shape == (3, 3, 8, 12)
    mine = tf.nn.conv2d(a["stem"], w, 1, "SAME").numpy() + model.get_layer("sep1").bias.numpy()
    np.testing.assert_allclose(a["sep1"], mine, rtol=1e-4, atol=1e-5)


# ------------------------------------------------------------------------- models refused
def test_multi_input_model_says_wrap_the_image_branch():
    a, b = keras.Input((16, 16, 3)), keras.Input((4,))
    x = keras.layers.GlobalAveragePooling2D()(keras.layers.Conv2D(3, 3)(a))
    model = keras.Model([a, b], keras.layers.Dense(1)(keras.layers.Concatenate()([x, b])))
    with pytest.raises(ValueError, match="2 inputs.*Wrap the image branch in its own keras.Model"):
        cv.conv_layers(model)


@pytest.mark.parametrize("kind", ["Conv1D", "Conv3D"])
def test_conv1d_and_conv3d_models_are_refused_clearly(kind):
    if kind == "Conv1D":
        inp = keras.Input((40, 3))
        out = keras.layers.Conv1D(4, 3)(inp)
    else:
        inp = keras.Input((8, 16, 16, 1))
        out = keras.layers.Conv3D(4, 3)(inp)
    model = keras.Model(inp, out)
    with pytest.raises(ValueError, match=r"not 2-D images.*Conv1D sequence and Conv3D volume"):
        cv.conv_layers(model)
    with pytest.raises(ValueError, match="not 2-D images"):
        cv.activations(model, np.zeros((16, 16, 3), np.float32))


# -------------------------------------------------------------------------- user mistakes
def _seq():
    from conftest import make_sequential

    return make_sequential()


@pytest.fixture(scope="module")
def seq():
    return _seq()


def _img(model, *lead):
    return np.random.default_rng(0).random(lead + input_hw(model)).astype(np.float32)


MISTAKES = {
    "channels-first image": (lambda m: cv.activations(m, np.transpose(_img(m), (2, 0, 1))),
                             ValueError, r"channels-first.*np.transpose\(image, \(1, 2, 0\)\)"),
    "channels-first batch": (lambda m: cv.activations(m, np.transpose(_img(m, 2), (0, 3, 1, 2))),
                             ValueError, r"channels-first.*\(0, 2, 3, 1\)"),
    "empty layer list": (lambda m: cv.activations(m, _img(m), []),
                         ValueError, "empty list.*layers=None"),
    "typo in layer name": (lambda m: cv.activations(m, _img(m), "conv_aa"),
                           ValueError, r"No layer 'conv_aa'.*Did you mean.*conv_a"),
    "dense layer for activations": (lambda m: cv.activations(m, _img(m), "predictions"),
                                    ValueError, "not a feature map.*Pick a convolution"),
    "pooling layer for kernels": (lambda m: cv.kernels(m, "pool_a"),
                                  ValueError, "no 2-D convolution kernel.*conv_a"),
    "RGBA image": (lambda m: cv.activations(m, np.ones((20, 20, 4), np.float32)),
                   ValueError, r"4 channels.*images\[\.\.\., :3\]"),
    "already preprocessed": (lambda m: cv.activations(m, _img(m) * 2 - 1),
                             ValueError, "negative values.*preprocess="),
    "NaN pixels": (lambda m: cv.activations(m, np.full(_img(m).shape, np.nan, np.float32)),
                   ValueError, "NaN.*nan_to_num"),
    "floats above 255": (lambda m: cv.activations(m, _img(m) * 1000),
                         ValueError, r"\[0, 1\].*Divide"),
    "string images": (lambda m: cv.activations(m, np.array([["a"]])),
                      TypeError, "numeric.*np.asarray"),
    "numpy preprocess": (lambda m: cv.activations(m, _img(m),
                                                  preprocess=lambda x: np.asarray(x) * 2 - 1),
                         ValueError, "fails when compiled.*keras.ops"),
    "preprocess_input passed directly": (
        lambda m: cv.activations(m, _img(m),
                                 preprocess=keras.applications.resnet50.preprocess_input),
        ValueError, r"0–255.*preprocess_input\(x \* 255.0\)"),
    "preprocess not callable": (lambda m: cv.activations(m, _img(m), preprocess="caffe"),
                                TypeError, "callable"),
    "preprocess wrong shape": (lambda m: cv.activations(m, _img(m),
                                                        preprocess=lambda x: x[:, :4]),
                               ValueError, "preprocess returned shape"),
    "not a model": (lambda m: cv.conv_layers(m.layers[0]), TypeError, "keras.Model"),
    "unbuilt model": (lambda m: cv.conv_layers(keras.Sequential([keras.layers.Conv2D(2, 3)])),
                      ValueError, r"never been built.*model.build"),
    "filter index out of range": (
        lambda m: cv.maximize(m, "conv_a", [99], steps=1),
        ValueError, "out of range.*use 0 to 4"),
}


@pytest.mark.parametrize("case", list(MISTAKES))
def test_user_mistake_is_named_with_its_fix(seq, case):
    call, exc, msg = MISTAKES[case]
    with pytest.raises(exc, match=msg):
        call(seq)
