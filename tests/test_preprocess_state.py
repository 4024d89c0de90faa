"""A preprocess holding Keras state: re-adapting it, or assigning a variable it reads, is seen.

Until session 36 a preprocess that is (or closes over) a Keras layer was known by object
identity alone: after ``Normalization.adapt`` on other data, ``cv.activations`` and
``cv.gradcam`` served the old maps from the cache, and on TensorFlow (and JAX) the compiled
function kept the old mean and variance as constants of its trace, so even ``cache=False``
returned maps of the old preprocessing. Each result here is compared with the same
preprocessing written out as plain numbers, which has no state to go stale. The same check
runs on JAX and PyTorch in ``tests/backend_probes/access.py`` (``preprocess_state_seen``).
"""

from __future__ import annotations

import keras
import numpy as np
import pytest

import convviz_widgets as cv
from convviz_widgets.compute import preprocess_key
from convviz_widgets.compute._preprocess_identity import persistent_digest


@pytest.fixture(scope="module")
def model():
    return cv.demo_model()


@pytest.fixture(scope="module")
def images():
    return cv.demo_images().images[:2]


def _written_out(norm):
    """The layer's current computation as a lambda over numpy constants (nothing to go stale)."""
    mean = np.asarray(keras.ops.convert_to_numpy(norm.mean))
    std = np.sqrt(np.maximum(np.asarray(keras.ops.convert_to_numpy(norm.variance)), 1e-7))
    return lambda t: (t - mean) / std


def _adapted(images, scale=1.0, shift=0.0):
    norm = keras.layers.Normalization()
    norm.adapt(images * scale + shift)
    return norm


def test_activations_follow_a_re_adapted_normalization(model, images):
    norm = _adapted(images)
    layer = "block1_conv1"
    before = cv.activations(model, images, layer, preprocess=norm)[layer].copy()
    np.testing.assert_allclose(
        before, cv.activations(model, images, layer, preprocess=_written_out(norm),
                               cache=False)[layer], rtol=1e-4, atol=1e-4)
    norm.adapt(images * 0.5 + 0.3)
    want = cv.activations(model, images, layer, preprocess=_written_out(norm), cache=False)[layer]
    assert np.abs(want - before).max() > 0.1  # the new statistics change the maps
    for cache in (True, False):
        got = cv.activations(model, images, layer, preprocess=norm, cache=cache)[layer]
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4, err_msg=f"cache={cache}")
    # A lambda around the layer reads the same state.
    got = cv.activations(model, images, layer, preprocess=lambda t: norm(t))[layer]
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4)


def test_gradcam_follows_a_re_adapted_normalization(model, images):
    norm = _adapted(images)
    image = images[:1]
    before = cv.gradcam(model, image, target=0, preprocess=norm)
    norm.adapt(images * 0.25 + 0.5)
    want = cv.gradcam(model, image, target=0, preprocess=_written_out(norm), cache=False)
    got = cv.gradcam(model, image, target=0, preprocess=norm)
    assert not np.allclose(before.heatmap, want.heatmap, atol=1e-3) \
        or abs(float(before.score) - float(want.score)) > 1e-3
    np.testing.assert_allclose(got.heatmap, want.heatmap, rtol=1e-3, atol=1e-4)
    np.testing.assert_allclose(float(got.score), float(want.score), rtol=1e-4, atol=1e-5)


def test_a_variable_the_preprocess_reads_is_part_of_its_key(model, images):
    gain = keras.Variable(1.0, dtype="float32", trainable=False)

    def pre(t):
        return t * gain

    layer = "block2_conv1"
    key = preprocess_key(pre)
    first = cv.activations(model, images, layer, preprocess=pre)[layer].copy()
    assert preprocess_key(pre) == key  # unchanged state: the same key, the cache is hit
    gain.assign(2.0)
    assert preprocess_key(pre) != key
    got = cv.activations(model, images, layer, preprocess=pre)[layer]
    want = cv.activations(model, images, layer, preprocess=lambda t: t * 2.0, cache=False)[layer]
    assert np.abs(want - first).max() > 0.1
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4)


def test_a_layer_without_variables_keeps_one_key_and_layer_keys_stay_in_memory(images):
    rescale = keras.layers.Rescaling(2.0, offset=-1.0)
    assert preprocess_key(rescale) == preprocess_key(rescale)
    norm = _adapted(images)
    key = preprocess_key(norm)
    assert preprocess_key(norm) == key
    # Known by identity: such keys are never written to disk (cannot be found after a restart).
    assert persistent_digest(("v1", key)) is None
    norm.adapt(images + 1.0)
    assert preprocess_key(norm) != key
