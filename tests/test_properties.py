"""Property-based tests of the compute functions on small random models and image shapes."""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import keras

import convviz_widgets as cv

SETTINGS = settings(max_examples=12, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])


@st.composite
def small_models(draw):
    """A spec of a small random Sequential convnet; built in the test body because Keras draws
    from the `random` module when it creates layers, which hypothesis forbids in strategies."""
    h = draw(st.integers(9, 33))
    w = draw(st.integers(9, 33))
    c = draw(st.sampled_from([1, 3]))
    convs = draw(st.lists(st.tuples(st.integers(1, 7), st.sampled_from([1, 3]),
                                    st.sampled_from(["relu", None])), min_size=1, max_size=3))
    seed = draw(st.integers(0, 2**16))
    return (h, w, c), convs, seed


def build(spec):
    (h, w, c), convs, seed = spec
    lays = [keras.Input((h, w, c))]
    for k, (filters, size, act) in enumerate(convs):
        lays.append(keras.layers.Conv2D(
            filters, size, padding="same", activation=act, name=f"conv{k}",
            kernel_initializer=keras.initializers.GlorotUniform(seed + k)))
    lays += [keras.layers.GlobalAveragePooling2D(), keras.layers.Dense(2)]
    return keras.Sequential(lays), (h, w, c)


@SETTINGS
@given(small_models(), st.integers(1, 3), st.integers(5, 40), st.integers(5, 40),
       st.sampled_from([np.uint8, np.float32, np.float64]), st.integers(0, 1000))
def test_activations_shape_range_determinism(spec, n, ih, iw, dtype, seed):
    model, (h, w, c) = build(spec)
    rng = np.random.default_rng(seed)
    imgs = rng.random((n, ih, iw, c))
    imgs = (imgs * 255).astype(np.uint8) if dtype == np.uint8 else imgs.astype(dtype)
    acts = cv.activations(model, imgs, cache=False)
    again = cv.activations(model, imgs, cache=False)
    assert acts.images.shape == (n, h, w, c)
    assert 0.0 <= acts.images.min() and acts.images.max() <= 1.0
    assert acts.resized_from == (None if (ih, iw) == (h, w) else (ih, iw))
    for path, a in acts.items():
        info = cv.resolve_layer(model, path)
        assert a.shape == (n,) + tuple(info.output_shape[1:])
        assert a.dtype == np.float32 and np.isfinite(a).all()
        np.testing.assert_array_equal(a, again[path])
        st_ = acts.stats(path)
        assert ((0 <= st_.blank_fraction) & (st_.blank_fraction <= 1)).all()


@SETTINGS
@given(small_models())
def test_kernels_shapes_and_stats(spec):
    model, (h, w, c) = build(spec)
    infos = cv.conv_layers(model, kind="kernel")
    assert infos[0].kernel_shape[2] == c
    for info in infos:
        k = cv.kernels(model, info.path)
        s = cv.kernel_stats(model, info.path)
        assert k.shape == info.kernel_shape and np.isfinite(k).all()
        assert s.norms.shape == (k.shape[-1],) and (s.norms >= 0).all()
        assert 0 <= s.dead_fraction <= 1
