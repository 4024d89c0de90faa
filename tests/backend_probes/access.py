"""Model access: kernels, every layer's activations in one pass, the model's output, and the
gradient of an output with respect to a captured feature map fed back in (Grad-CAM's gradient,
through the seam).

Kernels are the saved weights read and normalised in numpy: equal exactly. Activations, outputs
and gradients agree within ``rtol=1e-4`` and ``1e-4`` of the array's largest value: every
backend computes in float32 but sums in its own order (measured: the worst difference, on either
backend, was 3.9e-7 of the array's largest value).
"""

from __future__ import annotations

import keras
import numpy as np

import convviz_widgets as cv
from convviz_widgets.compute import backend

TOLERANCE = {"kernel:": (0.0, 0.0)}
NONZERO = ("grad:",)


def probe(model, images) -> dict:
    out = {}
    for info in cv.conv_layers(model, kind="kernel"):
        out[f"kernel:{info.path}"] = cv.kernels(model, info.path)
    acts = cv.activations(model, images)
    for path in acts:
        out[f"act:{path}"] = np.asarray(acts[path])
    x = keras.ops.convert_to_tensor(images)
    out["output"] = np.asarray(keras.ops.convert_to_numpy(model(x, training=False)))
    last = list(acts)[-1]
    acc = cv.compute.access(model)
    _, cap = cv.compute.run_model(acc, x, [last])

    def score(a):
        y, _ = cv.compute.run_model(acc, x, (), replace={last: a})
        return keras.ops.sum(keras.tree.flatten(y)[0][:, 0])

    _, grad = backend.value_and_grad(score, cap[last])
    out[f"grad:{last}"] = backend.to_numpy(grad)
    out["spatial"] = list(acts)
    out["identity_sees_one_bit"] = _identity_sees_one_bit(model)
    out["fingerprint_is_the_rule"] = _fingerprint_is_the_rule(model)
    out["preprocess_state_seen"] = _preprocess_state_seen(model, images, out["spatial"][0])
    return out


def _preprocess_state_seen(model, images, path) -> list:
    """A ``Normalization`` preprocess re-adapted on other data: do cached and uncached
    activations follow it, and equal the same preprocessing written out as numbers? (True on
    every backend since session 36: the cache and, on TensorFlow and JAX, the compiled
    function's constants kept the old statistics.)"""
    norm = keras.layers.Normalization()
    norm.adapt(images)
    before = cv.activations(model, images, path, preprocess=norm)[path].copy()
    norm.adapt(images * 0.5 + 0.3)
    mean = np.asarray(keras.ops.convert_to_numpy(norm.mean))
    std = np.sqrt(np.maximum(np.asarray(keras.ops.convert_to_numpy(norm.variance)), 1e-7))
    want = cv.activations(model, images, path, preprocess=lambda t: (t - mean) / std,
                          cache=False)[path]
    scale = max(float(np.abs(want).max()), 1e-6)
    seen = [bool(np.abs(want - before).max() > 1e-3 * scale)]
    for cache in (True, False):
        got = cv.activations(model, images, path, preprocess=norm, cache=cache)[path]
        seen.append(bool(np.abs(got - want).max() <= 1e-4 * scale))
    return seen


def _fingerprint_is_the_rule(model) -> list:
    """Whether this backend's weights fingerprint is the documented rule's value (NumPy,
    ``tests/_fingerprint_rule.py``) for the model's weights and for a mix of variables that
    takes every branch of the rule (dtypes, ranks, a large part, a sampled variable). Each
    backend reads and sums its own way (PyTorch: views, ``torch.cat``, int32 sums; TensorFlow:
    the ``uint16`` view's high halves, gathered rows; session 38): the values must not move."""
    from _fingerprint_rule import follows_the_rule, mixed_values

    mixed = [keras.Variable(v, trainable=v.dtype.kind == "f") for v in mixed_values()]
    return [follows_the_rule(model.weights), follows_the_rule(mixed)]


def _identity_sees_one_bit(model) -> list:
    """For each float32 variable read whole by the weights identity: does flipping the lowest bit
    of its middle value change the identity, and flipping it back restore it? (True on every
    backend; JAX's float32 sums dropped such a flip until session 34.)"""
    from convviz_widgets.compute import weights_identity
    from convviz_widgets.compute._identity import _FP_EXACT_MAX

    def flip(v, i):
        values = np.array(keras.ops.convert_to_numpy(v), dtype=np.float32)
        values.reshape(-1).view(np.int32)[i] ^= 1
        v.assign(values)

    base, seen = weights_identity(model), []
    for v in model.weights:
        n = int(np.prod(v.shape))
        if n > _FP_EXACT_MAX or keras.backend.standardize_dtype(v.dtype) != "float32":
            continue
        flip(v, n // 2)
        changed = weights_identity(model) != base
        flip(v, n // 2)
        seen.append(bool(changed and weights_identity(model) == base))
    return seen
