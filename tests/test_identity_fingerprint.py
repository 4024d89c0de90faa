"""The weights identity sees every bit it reads: one flipped bit, a swap, changes that cancel.

The content fingerprint is two wrapping int32 sums on every backend. Until session 34 they were
cast to the backend's wide float, which is float32 on JAX: a change of the lowest bit of one
weight then vanished in the rounding of a sum near 2**31 (199 flips in 200 unseen there). The
same check runs on JAX and PyTorch in ``tests/backend_probes/access.py``.

The last two tests are session 35's review findings on the compiled calls that carry the
fingerprint (fixed in session 36): a kept pullback over several targets, and a compiled
function's integer arguments.
"""

from __future__ import annotations

import keras
import pytest
import numpy as np

from convviz_widgets.compute import weights_identity
from convviz_widgets.compute._identity import (_FP_EXACT_MAX, _FP_HEAD, _sample_rows,
                                               fingerprint_fn, fingerprint_tensor,
                                               weights_digest)

from _fingerprint_rule import follows_the_rule, mixed_values


def _small_model():
    inp = keras.Input((12, 10, 3))
    x = keras.layers.Conv2D(8, 3, name="conv")(inp)
    x = keras.layers.BatchNormalization(name="bn")(x)
    x = keras.layers.GlobalAveragePooling2D()(x)
    return keras.Model(inp, keras.layers.Dense(1, activation="sigmoid", name="head")(x))


def _edit_bits(variable, edit):
    """Apply ``edit(int32 view of the flat values)`` in place and write the values back."""
    values = np.array(variable.numpy(), dtype=np.float32)
    edit(values.reshape(-1).view(np.int32))
    variable.assign(values)


def test_the_lowest_bit_of_any_one_value_changes_the_identity():
    model = _small_model()
    rng = np.random.default_rng(0)
    base = weights_identity(model)
    for v in model.weights:
        n = int(np.prod(v.shape))
        for i in sorted({0, n - 1, int(rng.integers(n))}):
            def flip(bits, i=i):
                bits[i] ^= 1
            _edit_bits(v, flip)
            assert weights_identity(model) != base, (v.path, i)
            _edit_bits(v, flip)  # flipped back: the same weights, the same identity
            assert weights_identity(model) == base, (v.path, i)


def test_a_swap_and_two_changes_that_cancel_in_a_plain_sum_are_seen():
    model = _small_model()
    kernel = model.get_layer("conv").kernel
    base = weights_identity(model)

    def swap(bits):
        bits[[3, 200]] = bits[[200, 3]]

    def cancel(bits):
        bits[5] += 1
        bits[17] -= 1

    for edit in (swap, cancel):
        before = kernel.numpy().copy()
        _edit_bits(kernel, edit)
        assert not np.array_equal(kernel.numpy(), before)
        assert weights_identity(model) != base, edit.__name__
        kernel.assign(before)
        assert weights_identity(model) == base


def test_above_the_exact_size_one_bit_in_the_head_or_a_sampled_row_is_seen():
    conv = keras.layers.Conv2D(64, 3)
    conv.build((None, 14, 14, 128))  # 73,728 values: read through its head and sampled rows
    n = int(np.prod(conv.kernel.shape))
    assert n > _FP_EXACT_MAX
    stride, last = _sample_rows(tuple(conv.kernel.shape)), int(conv.kernel.shape[-1])
    sampled_row = (n // last - 1) // stride * stride  # the last row the samples take
    base = weights_identity(conv)
    digest = weights_digest(conv)
    for i in (7, _FP_HEAD - 1, sampled_row * last + 63):
        def flip(bits, i=i):
            bits[i] ^= 1
        _edit_bits(conv.kernel, flip)
        assert weights_identity(conv) != base, i
        assert weights_digest(conv) != digest, i
        _edit_bits(conv.kernel, flip)
        assert weights_identity(conv) == base
        assert weights_digest(conv) == digest


def test_the_fingerprint_is_two_int32_sums_whatever_the_variables():
    model = _small_model()
    fp = keras.ops.convert_to_numpy(fingerprint_tensor(model.weights))
    assert fp.shape == (2,) and fp.dtype == np.int32
    empty = keras.ops.convert_to_numpy(fingerprint_tensor([]))
    assert empty.shape == (2,) and not empty.any()


def test_negated_values_and_paired_exponent_changes_are_seen():
    """Sign and exponent bits are folded into low bits before the sums. Without it a sign flip
    is ±2**31 in both sums whatever its weight, so negating any even number of values (a whole
    3·3·16 filter, a unit's weights with its bias) left the identity as it was, and so did one
    value doubled and another halved 256 positions apart (±2**23 each)."""
    conv = keras.layers.Conv2D(16, 3)
    conv.build((None, 8, 8, 16))  # (3, 3, 16, 16): 2,304 values, read whole
    conv.bias.assign(np.linspace(-0.1, 0.1, 16).astype("float32"))
    kernel, bias = conv.kernel.numpy(), conv.bias.numpy()
    base = weights_identity(conv)

    def negate_two(k, b):
        k[0, 0, 0, 0] *= -1
        k[2, 1, 5, 9] *= -1

    def negate_filter(k, b):
        k[..., 3] *= -1

    def negate_unit_and_bias(k, b):
        k[:, :, :7, 3] *= -1  # 63 values and the bias: 64
        b[3] *= -1

    def double_and_halve(k, b):
        flat = k.reshape(-1)
        flat[0] *= 2.0
        flat[256] *= 0.5

    for edit in (negate_two, negate_filter, negate_unit_and_bias, double_and_halve):
        k, b = kernel.copy(), bias.copy()
        edit(k, b)
        conv.kernel.assign(k)
        conv.bias.assign(b)
        assert weights_identity(conv) != base, edit.__name__
        conv.kernel.assign(kernel)
        conv.bias.assign(bias)
        assert weights_identity(conv) == base


def test_the_fingerprint_is_the_documented_rule_for_any_dtypes_shapes_and_order():
    """Small variables are joined before they are reinterpreted (one op per dtype run, session
    36): the value must stay the rule's, whatever the mix of dtypes, ranks and sizes (the same
    check runs on JAX and PyTorch in ``backend_probes/access.py``)."""
    values = mixed_values()
    variables = [keras.Variable(v, trainable=v.dtype.kind == "f") for v in values]
    assert follows_the_rule(variables)


def test_one_compiled_fingerprint_per_model_serves_every_reader():
    """A fresh Grad-CAM and its kept pullback call the model's one compiled fingerprint (traced
    once per model, session 36), the activation capture traces it inline: the identities they
    compute are the one :func:`weights_identity` reads, before and after a weight write."""
    import convviz_widgets as cv

    model = _small_model()
    ids, fn = fingerprint_fn(model)
    assert fingerprint_fn(model)[1] is fn
    image = np.random.default_rng(0).random((12, 10, 3), dtype=np.float32)
    assert cv.activations(model, image).weights_version == weights_identity(model)
    first = cv.gradcam(model, image, layer="conv")
    assert fingerprint_fn(model)[1] is fn
    kernel = model.get_layer("conv").kernel
    kernel.assign(kernel.numpy() * 2.0)
    again = cv.gradcam(model, image, layer="conv")  # served nothing kept for other weights
    fresh = cv.gradcam(model, image, layer="conv", cache=False)
    np.testing.assert_allclose(again.heatmap, fresh.heatmap, atol=1e-5)
    assert cv.activations(model, image).weights_version == weights_identity(model)
    assert first.heatmap.shape == again.heatmap.shape


@pytest.mark.parametrize("fetched", [False, True], ids=["also-traced", "also-fetched"])
def test_a_kept_pullback_over_several_targets_vouches_only_for_one_weight_state(fetched):
    """TensorFlow's kept pullback runs the backward pass once per cotangent row and reads the
    weights fingerprint in each run. Weights written between two rows (and restored before the
    last) gave gradients of two weight states while the last run's fingerprint alone was
    returned: it matched the kept state's and the class switch used them (session 35's review).
    The runs' fingerprints are now one value only when they agree. The same when ``also``
    comes with its traced value (``also.value``, as the CAM engine passes it): the fetched
    fingerprint still reads the weights in each backward run."""
    from convviz_widgets.compute import backend
    from convviz_widgets.compute._identity import identity_from, weights_ids

    if backend.NAME != "tensorflow":
        pytest.skip("the per-row kept pullback is TensorFlow's (JAX and PyTorch run one)")
    model = _small_model()
    variables = list(model.weights)
    conv = model.get_layer("conv")

    def fn(x):
        def run(watch):
            a = watch(conv(x))
            y = model.get_layer("head")(keras.layers.GlobalAveragePooling2D()(
                model.get_layer("bn")(a, training=False)))
            return keras.ops.concatenate([y, 1.0 - y], axis=-1), None

        y, _, _, pull = backend.watched_vjp(run)

        def also():
            return fingerprint_tensor(variables)

        if fetched:  # its value in this trace: the backward function fetches it (session 36)
            also.value = fingerprint_tensor(variables)
        return y, (y, pull, also)

    compiled = backend.compile(fn, variables, [((1, 12, 10, 3), "float32")], pullback=True)
    x = np.random.default_rng(0).random((1, 12, 10, 3), dtype=np.float32)
    _, kept = compiled(x)
    pull = kept[1]
    version = identity_from(weights_ids(model), fingerprint_tensor(variables))
    seeds = np.eye(2, dtype=np.float32)[:, None]  # two targets, (k, 1, classes)
    _, fp = pull(seeds)
    assert identity_from(weights_ids(model), np.asarray(fp)) == version

    kernel = model.get_layer("head").kernel
    saved = kernel.numpy()

    class WritesBetweenRows:
        """The two rows, the first run with the head's kernel doubled, the last with it
        restored (another thread writing during the call)."""

        def __iter__(self):
            kernel.assign(saved * 2.0)
            yield seeds[0]
            kernel.assign(saved)
            yield seeds[1]

    grads, fp = pull(WritesBetweenRows())
    assert identity_from(weights_ids(model), fingerprint_tensor(variables)) == version
    assert identity_from(weights_ids(model), np.asarray(fp)) != version


def test_a_compiled_function_refuses_fractions_for_an_integer_argument():
    """A compiled function with a signature converts NumPy arguments to its dtypes; a float
    array for an int32 argument was truncated without a word (1.7 -> 1; session 35's review)."""
    from convviz_widgets.compute import backend

    fn = backend.compile(lambda i: i * 2, (), [((None,), "int32")])
    assert np.asarray(backend.to_numpy(fn(np.array([3], np.int64)))).tolist() == [6]
    if backend.NAME == "tensorflow":
        with pytest.raises(TypeError, match="int32 argument"):
            fn(np.array([1.7]))
