"""The compiled input gradient (the seam's ``value_and_grad`` inside ``backend.compile``) keeps
each convolution's flipped kernel between calls; it must follow every change of the weights.

Without oneDNN, TensorFlow's convolutions back-propagate there as forward convolutions with the
kernel rotated and its channels swapped, kept between calls and made again when a value of the
kernel changed. With oneDNN on, the gradient is TensorFlow's own; both must equal the eager
tape's gradient before and after the weights change.
"""
from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf

from convviz_widgets.compute import backend


def _model():
    keras.utils.set_random_seed(3)
    inp = keras.Input((12, 12, 3))
    # `mid` and `last` are large enough for their flips to be kept (3*3*96*96 and 3*3*96*80
    # values, at least KEEP_FLIP_MIN = 65,536); the first is flipped at every call.
    x = keras.layers.Conv2D(96, 3, padding="same", activation="relu")(inp)
    x = keras.layers.Conv2D(96, 3, padding="same", activation="relu", name="mid")(x)
    x = keras.layers.Conv2D(80, 3, padding="valid", name="last")(x)
    return keras.Model(inp, x)


def _compiled_gradient(model):
    def fn(x):
        return backend.value_and_grad(lambda t: tf.reduce_sum(tf.square(model(t))), x)[1]

    return backend.compile(fn, model.weights, [((None, 12, 12, 3), "float32")])


def _tape_gradient(model, x):
    x = tf.convert_to_tensor(x)
    with tf.GradientTape() as tape:
        tape.watch(x)
        total = tf.reduce_sum(tf.square(model(x)))
    return tape.gradient(total, x).numpy()


def test_compiled_input_gradient_follows_every_weight_change():
    model = _model()
    grad = _compiled_gradient(model)
    x = np.random.default_rng(0).random((2, 12, 12, 3), np.float32)
    first = grad(x).numpy()
    np.testing.assert_allclose(first, _tape_gradient(model, x), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(grad(x).numpy(), first, rtol=0, atol=0)  # a second call: same

    # Every kernel replaced, then one single value of one kernel: each change is seen.
    mid, last = model.get_layer("mid").kernel, model.get_layer("last").kernel
    mid.assign(mid.numpy()[::-1] * 1.5)
    changed = grad(x).numpy()
    assert np.abs(changed - first).max() > 1e-3
    np.testing.assert_allclose(changed, _tape_gradient(model, x), rtol=1e-4, atol=1e-5)
    # An input channel of `last` that is on (after its ReLU) for these images.
    seen = keras.Model(model.input, model.get_layer("mid").output)(x).numpy()
    k = last.numpy()
    k[1, 1, int(seen.sum(axis=(0, 1, 2)).argmax()), 3] += 0.25
    last.assign(k)
    edited = grad(x).numpy()
    assert np.abs(edited - changed).max() > 1e-5
    np.testing.assert_allclose(edited, _tape_gradient(model, x), rtol=1e-4, atol=1e-5)


def test_two_models_keep_their_own_flipped_kernels():
    a, b = _model(), _model()
    b.get_layer("mid").kernel.assign(b.get_layer("mid").kernel.numpy() * -2.0)
    grad_a, grad_b = _compiled_gradient(a), _compiled_gradient(b)
    x = np.random.default_rng(1).random((1, 12, 12, 3), np.float32)
    for _ in range(2):  # alternated: neither call may see the other model's kernels
        np.testing.assert_allclose(grad_a(x).numpy(), _tape_gradient(a, x), rtol=1e-4, atol=1e-5)
        np.testing.assert_allclose(grad_b(x).numpy(), _tape_gradient(b, x), rtol=1e-4, atol=1e-5)


def test_a_kernel_written_during_calls_never_pairs_a_call_with_another_value_s_flip():
    """Each call reads the kernel once, so its gradient is that value's, whatever another
    thread writes meanwhile (the Explorer warms in a thread while a notebook cell sets
    weights). The copy and the flip are one variable, read once and written at once: kept as
    two, a call could find the copy equal to its kernel and then read the flip another call
    had just written for another value (7 % of the calls here were neither value's gradient),
    and two refreshes could interleave into one value's copy with the other's flip, used by
    every later call with that kernel."""
    import threading
    import time

    model = _model()
    grad = _compiled_gradient(model)
    x = np.random.default_rng(2).random((1, 12, 12, 3), np.float32)
    mid = model.get_layer("mid").kernel
    k0 = mid.numpy()
    k1 = (k0 * -1.5).astype(np.float32)
    refs = []
    for k in (k0, k1):
        mid.assign(k)
        refs.append(_tape_gradient(model, x))
    scale = max(np.abs(r).max() for r in refs)
    stop, out = threading.Event(), []

    def work():
        while not stop.is_set():
            out.append(grad(x).numpy())

    def write():
        i = 0
        while not stop.is_set():
            mid.assign(k1 if i % 2 else k0)
            i += 1
            time.sleep(0.0005)

    threads = [threading.Thread(target=work), threading.Thread(target=work),
               threading.Thread(target=write)]
    for t in threads:
        t.start()
    time.sleep(3.0)
    stop.set()
    for t in threads:
        t.join()
    assert len(out) > 100
    worst = [min(np.abs(g - r).max() for r in refs) / scale for g in out]
    assert max(worst) < 1e-4, sum(w >= 1e-4 for w in worst)
