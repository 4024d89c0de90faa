"""The one-channel-per-image convolution behind filter maximisation, on every CPU.

``_forward.selected_preactivation`` computes, for image ``i``, only channel ``filters[i]`` of a
Conv2D.
These tests hold it to the layer's own convolution (values and gradients) for strides, dilation,
both paddings, even and non-square kernels, odd channel counts and non-square maps; check that
the compiled step contains no grouped convolution (TensorFlow has no CPU gradient for one unless
oneDNN is on, which most AMD, older Intel and ARM CPUs run without); run every method and
objective end to end; and check the gradients of every other op the ascent step differentiates
(transforms, parameterisations, resize) on this CPU. CI runs them with oneDNN off, then again
with TensorFlow's default (the ``compute`` marker)."""

import numpy as np
import pytest

import keras
import tensorflow as tf
from keras import layers

from convviz_widgets.compute import access, activations
from convviz_widgets.compute.maximize import (Blur, Jitter, Pixels, _forward, _loop, channel,
                                              maximize, neuron)
from convviz_widgets.compute.maximize.param import Fourier
from convviz_widgets.compute.maximize.transforms import Affine, Compose

pytestmark = pytest.mark.compute  # see COMPUTE_MODULES in conftest.py

#: (name, Conv2D keyword arguments). Input maps are 13×18 with 5 channels (odd, non-square), so
#: 'same' with stride 2 pads unevenly and a 2×2 kernel pads one side only.
CONFIGS = [
    ("s1_same", dict(kernel_size=3, padding="same")),
    ("s2_same", dict(kernel_size=3, strides=2, padding="same")),
    ("s2_valid", dict(kernel_size=3, strides=2, padding="valid")),
    ("s2_same_k35", dict(kernel_size=(3, 5), strides=2, padding="same")),
    ("k2_s2_same", dict(kernel_size=2, strides=2, padding="same")),
    ("d2_same", dict(kernel_size=3, dilation_rate=2, padding="same")),
    ("d21_valid", dict(kernel_size=3, dilation_rate=(2, 1), padding="valid")),
    ("k1_nobias", dict(kernel_size=1, use_bias=False)),
    ("s1_valid_relu", dict(kernel_size=3, padding="valid", activation="relu")),
    ("s2_same_tanh", dict(kernel_size=3, strides=2, padding="same", activation="tanh")),
]


def target_model(**conv):
    """Input 26×36×3 -> stride-2 conv to 13×18×5 -> the Conv2D under test (7 filters)."""
    keras.utils.set_random_seed(21)
    inp = keras.Input((26, 36, 3))
    x = layers.Conv2D(5, 3, strides=2, padding="same", activation="relu", name="stem")(inp)
    y = layers.Conv2D(7, name="target", **conv)(x)
    model = keras.Model(inp, layers.GlobalAveragePooling2D()(y), name="selected")
    # Non-zero biases, so a mixed-up bias row shows.
    t = model.get_layer("target")
    if t.use_bias:
        t.bias.assign(np.linspace(-0.3, 0.4, 7).astype(np.float32))
    return model


def own_preactivation(model, x):
    """``(n, h', w', 7)`` the target layer's pre-activation by its own convolution op."""
    t = model.get_layer("target")
    inp = keras.Model(model.inputs, t.input)(x)
    z = t.convolution_op(inp, t.kernel)
    return z + t.bias if t.use_bias else z


@pytest.mark.parametrize("name,conv", CONFIGS, ids=[c[0] for c in CONFIGS])
@pytest.mark.parametrize("filters", [[6, 0, 3, 6, 2], [4]], ids=["five_rows", "one_row"])
def test_selected_channel_equals_the_layers_own_convolution(name, conv, filters):
    model = target_model(**conv)
    n = len(filters)
    x = tf.constant(np.random.default_rng(3).random((n, 26, 36, 3)), tf.float32)
    f = tf.constant(filters, tf.int32)
    rows = np.arange(n)
    acc = access(model)
    assert _forward.fast_target(acc, channel("target"), "target")[0] == "conv"

    # Values: the pre-activation, and the layer's output (its own call, activation included).
    z, act = _forward.selected_preactivation(acc, "conv", "target", x, f, None, None)
    ref = own_preactivation(model, x).numpy()
    assert z.shape == ref.shape[:3] + (1,)
    np.testing.assert_allclose(z.numpy()[..., 0], ref[rows, :, :, filters], rtol=1e-5,
                               atol=1e-5)
    out = keras.Model(model.inputs, model.get_layer("target").output)(x).numpy()
    np.testing.assert_allclose(act(z).numpy()[..., 0], out[rows, :, :, filters], rtol=1e-5,
                               atol=1e-5)

    # Gradients with respect to the model input, weighted per position so every tap counts.
    w = tf.constant(np.random.default_rng(4).normal(size=ref.shape[:3]), tf.float32)
    with tf.GradientTape() as tape:
        tape.watch(x)
        z, _ = _forward.selected_preactivation(acc, "conv", "target", x, f, None, None)
        ours = tf.reduce_sum(z[..., 0] * w)
    g_ours = tape.gradient(ours, x).numpy()
    with tf.GradientTape() as tape:
        tape.watch(x)
        full = tf.gather(own_preactivation(model, x), f, axis=3, batch_dims=1)
        theirs = tf.reduce_sum(full * w)
    g_ref = tape.gradient(theirs, x).numpy()
    assert np.abs(g_ref).max() > 0
    np.testing.assert_allclose(g_ours, g_ref, rtol=1e-4, atol=1e-5 * np.abs(g_ref).max())


def conv_ops_in(fn):
    """Every Conv2D-family node of a compiled function's graph (its gradient included)."""
    graph = fn.get_concrete_function().graph
    return [op for op in graph.get_operations() if op.type.startswith("Conv2D")]


@pytest.mark.parametrize("objective", ["channel", "neuron"])
@pytest.mark.parametrize("method", ["regularized", "naive"])
def test_the_step_has_no_grouped_convolution(method, objective, monkeypatch):
    # Machine-independent: with oneDNN on (where TF can differentiate grouped convolutions) the
    # tests above pass either way, so look at what the compiled step contains. Every Conv2D and
    # its backprop must see as many input channels as its kernel has: no groups.
    built = []
    real = _loop.build_step

    def spy(*args, **kwargs):
        built.append((kwargs, real(*args, **kwargs)))
        return built[-1][1]

    monkeypatch.setattr(_loop, "build_step", spy)
    model = target_model(kernel_size=3, strides=2, padding="same")
    maximize(model, "target", [0, 3, 5], steps=2, method=method, objective=objective,
             cache=False)
    assert len(built) == 1
    kwargs, (step, evaluate) = built[0]
    assert _forward.fast_target(access(model), kwargs["objective"], kwargs["report_path"])[0] \
        == "conv"  # the one-channel path is what this test inspects
    for fn in (step, evaluate):
        ops = conv_ops_in(fn)
        assert any(op.type == "Conv2D" for op in ops)  # the stem, so the scan sees real nodes
        for op in ops:
            # (image channels, kernel input channels); a grouped convolution has n*cin images
            # channels (unknown while tracing: n is the batch) against cin.
            if op.type == "Conv2D":
                pair = (op.inputs[0].shape[3], op.inputs[1].shape[2])
            elif op.type == "Conv2DBackpropInput":  # (sizes, filter, grad) -> image grad
                pair = (op.outputs[0].shape[3], op.inputs[1].shape[2])
            else:  # Conv2DBackpropFilter: (image, sizes, grad) -> filter grad
                pair = (op.inputs[0].shape[3], op.outputs[0].shape[2])
            assert pair[0] is not None and pair[0] == pair[1], (op.type, op.name, pair)


@pytest.mark.parametrize("objective", ["channel", "neuron"])
@pytest.mark.parametrize("method", ["regularized", "naive"])
@pytest.mark.parametrize("filters", [[2], [0, 6], list(range(7))], ids=["1", "2", "7"])
def test_every_method_objective_and_filter_count(method, objective, filters):
    model = target_model(kernel_size=3, strides=2, padding="same", activation="relu")
    res = maximize(model, "target", filters, steps=4, method=method, objective=objective,
                   cache=False)
    assert res.filters.tolist() == filters and res.complete.all()
    assert np.isfinite(res.images).all() and np.isfinite(res.activation).all()
    # The result contract: the reported activation is the filter's mean on the final image.
    a = activations(model, res.images, ["target"], cache=False)["target"]
    means = a.mean(axis=(1, 2), dtype=np.float64)[np.arange(len(filters)), filters]
    np.testing.assert_allclose(res.activation, means, rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("conv,strides", [
    (dict(kernel_size=(3, 5), strides=(2, 1), padding="same"), None),
    (dict(kernel_size=3, dilation_rate=2, padding="same"), (2, 2)),
], ids=["strides_2x1", "stride_and_dilation"])
def test_unequal_strides_or_stride_with_dilation_run_the_layers_own_call(conv, strides):
    # tf.nn.depthwise_conv2d takes equal strides only, and computes another output size for
    # stride and dilation together (Keras refuses that pair; a layer altered to have it anyway
    # must still be right): the layer's own call() then computes the channel.
    model = target_model(**conv)
    if strides is not None:
        model.get_layer("target").strides = strides
    assert _forward.fast_target(access(model), channel("target"), "target") is None
    assert _forward.fast_target(access(model), neuron("target"), "target") is None
    if strides is None:  # a layer Keras builds: it still maximises, on the general path
        res = maximize(model, "target", [1, 5], steps=3, cache=False)
        a = activations(model, res.images, ["target"], cache=False)["target"]
        means = a.mean(axis=(1, 2), dtype=np.float64)[[0, 1], [1, 5]]
        np.testing.assert_allclose(res.activation, means, rtol=1e-4, atol=1e-6)


# --------------------------------------- every other op the step differentiates, on this CPU
def _resize(x, u):
    return tf.image.resize(x, (17, 29), method="bilinear")  # a fixed-size model's input


#: Linear maps the ascent step differentiates through besides the model: shifts (for fixed
#: random numbers, zero fill), blur, and the resize to a fixed-size model's input.
LINEAR = {
    "jitter": Jitter(2, fill=0.0),
    "blur": Blur(1.0),
    "jitter_blur": Compose([Jitter(1, fill=0.0), Blur(0.5)]),
    "resize": _resize,
}


@pytest.mark.parametrize("name", list(LINEAR))
def test_gradients_of_the_steps_linear_ops_are_their_adjoints(name):
    # For a linear map L, the gradient of <L x, r> is L^T r, so <L x, r> = <x, L^T r>: a check
    # of the gradient kernel's values, not only that one exists on this CPU.
    op = LINEAR[name]
    rng = np.random.default_rng(5)
    x = tf.constant(rng.random((3, 14, 22, 3)), tf.float32)
    n_random = getattr(op, "n_random", 0)
    u = tf.constant(rng.random((3, n_random)), tf.float32)
    y = op(x, u)
    r = tf.constant(rng.normal(size=y.shape), tf.float32)
    with tf.GradientTape() as tape:
        tape.watch(x)
        value = tf.reduce_sum(op(x, u) * r)
    g = tape.gradient(value, x)
    assert float(tf.reduce_max(tf.abs(g))) > 0
    np.testing.assert_allclose(float(value), float(tf.reduce_sum(x * g)), rtol=1e-4)


def test_zoom_and_rotation_have_a_gradient_on_this_cpu():
    # TensorFlow differentiates ImageProjectiveTransformV3 by warping the output gradient back
    # with the inverse transform (tensorflow/python/ops/image_ops.py), the same kernel as the
    # forward pass on every CPU, oneDNN on or off. That is the exact adjoint only for shifts
    # (checked above); with zoom and rotation it is an approximation, so here: it exists, it is
    # finite, and at the identity transform it is the output gradient itself.
    op = Affine(jitter=2, scale=(0.9, 1.1), degrees=10, fill=0.0)
    rng = np.random.default_rng(5)
    x = tf.constant(rng.random((4, 40, 56, 3)), tf.float32)
    r = tf.constant(rng.normal(size=(4, 40, 56, 3)), tf.float32)
    for u in (rng.random((4, 4)), np.full((4, 4), 0.5)):  # random, then the identity
        with tf.GradientTape() as tape:
            tape.watch(x)
            value = tf.reduce_sum(op(x, tf.constant(u, tf.float32)) * r)
        g = tape.gradient(value, x).numpy()
        assert np.isfinite(g).all() and np.abs(g).max() > 0
    np.testing.assert_allclose(g, r.numpy(), atol=1e-5)


@pytest.mark.parametrize("param", [Fourier(), Fourier(decorrelate=False), Pixels()],
                         ids=["fourier", "fourier_plain", "pixels"])
def test_gradient_of_the_parameterisation_matches_finite_differences(param):
    h, w, c = 12, 18, 3
    rng = np.random.default_rng(6)
    p = tf.constant(np.stack([param.init(rng, h, w, c) for _ in range(2)]) + 0.3 *
                    rng.normal(size=(2,) + param.shape(h, w, c)), tf.float64)
    r = tf.constant(rng.normal(size=(2, h, w, c)), tf.float32)
    d = rng.normal(size=p.shape)

    def value(q):
        return tf.reduce_sum(param.to_image(tf.cast(q, tf.float32), h, w, c) * r)

    with tf.GradientTape() as tape:
        pf = tf.cast(p, tf.float32)
        tape.watch(pf)
        v = tf.reduce_sum(param.to_image(pf, h, w, c) * r)
    g = tape.gradient(v, pf).numpy()
    eps = 1e-2
    fd = (float(value(p + eps * d)) - float(value(p - eps * d))) / (2 * eps)
    np.testing.assert_allclose(float(np.sum(g * d)), fd, rtol=2e-3, atol=1e-3)
