"""Dataset examples on TensorFlow read a map through the max-pool captured right after it
(session 37): the channel max and the peak (argmax's first flat position, ties included) come
from the pool's row maxes and ``ph`` rows of the map, only where the pool's windows tile the
map exactly. Every result must be the one of reading the map itself."""

from __future__ import annotations

import importlib

import numpy as np
import pytest
import tensorflow as tf

import convviz_widgets as cv
from convviz_widgets.compute import _example_pass

de_module = importlib.import_module("convviz_widgets.compute.dataset_examples")
keras = tf.keras


def _model():
    """conv ``a`` (12×10) → 2×2 pool ``p`` (tiles: 6×5) → conv ``c`` → 2×2 ``valid`` pool
    ``q`` (5 columns: the last is dropped) → conv ``d`` → 2×1 pool ``s`` (window ≠ stride);
    beside it conv ``e`` → (3, 5) pool ``t`` (tiles) → (2, 1) pool ``u`` (a pool of a pool,
    tiles), and conv ``f`` → 2×2 ``same`` pool ``g`` (odd width: the last window is padded)."""
    x = keras.Input((12, 10, 3))
    a = keras.layers.Conv2D(4, 3, padding="same", name="a", kernel_initializer="ones",
                            bias_initializer=keras.initializers.Constant(-2.0))(x)
    p = keras.layers.MaxPooling2D(2, name="p")(a)

    def conv(name, c, size, seed, inp):
        return keras.layers.Conv2D(c, size, padding="same", activation="relu", name=name,
                                   kernel_initializer=keras.initializers.RandomNormal(seed=seed))(inp)

    q = keras.layers.MaxPooling2D(2, name="q")(conv("c", 5, 3, 1, p))
    s = keras.layers.MaxPooling2D((2, 1), strides=1, name="s")(conv("d", 3, 1, 2, q))
    t = keras.layers.MaxPooling2D((3, 5), name="t")(conv("e", 6, 3, 3, p))
    u = keras.layers.MaxPooling2D((2, 1), name="u")(t)
    g = keras.layers.MaxPooling2D(2, padding="same", name="g")(conv("f", 4, 3, 4, p))
    out = keras.layers.Concatenate()([keras.layers.GlobalAveragePooling2D()(m)
                                      for m in (s, u, g)])
    return keras.Model(x, out)


def _as_tuple(ex):
    return (ex.index, ex.scores, ex.position, ex.fired, ex.labels, ex.box, ex.patches)


LAYERS = ["a", "p", "c", "q", "d", "s", "e", "t", "u", "f", "g"]


def test_which_maps_are_read_through_their_pool(monkeypatch):
    """``a`` through ``p``, ``t`` through ``u``; ``e`` not through ``t`` (``t`` has no row
    maxes of its own); no pool for ``c`` (``q`` drops a column), ``d`` (``s``'s window is not
    its stride), ``f`` (``g`` pads)."""
    seen = []
    whole = _example_pass.whole_pools
    monkeypatch.setattr(_example_pass, "whole_pools",
                        lambda *a: seen.append(whole(*a)) or seen[-1])
    images = np.random.default_rng(0).integers(0, 3, (6, 12, 10, 3)).astype(np.float32) / 2
    cv.dataset_examples(_model(), LAYERS, images, k=2, batch_size=3)
    assert seen[0] == ((1, 2), None, None, None, None, None, None, (8, 2), None, None,
                       None)
    seen.clear()  # without the pool captured, the map is read itself
    cv.dataset_examples(_model(), ["a", "c", "e", "u", "f"], images, k=2, batch_size=3)
    assert seen[0] == (None,) * 5


@pytest.mark.parametrize("stream", [False, True])
@pytest.mark.parametrize("onednn", [False, True])
def test_reading_a_map_through_its_pool_gives_the_same_examples(monkeypatch, stream, onednn):
    """The same indices, scores, peaks, firing counts and patches as reading every map itself,
    on maps with negative values and many ties (images of a few grey levels, ReLUs), both
    row-max kinds, arrays (patches cut after the pass) and a ``tf.data`` stream (cut in the
    graph as images enter)."""
    monkeypatch.setattr(_example_pass, "ONEDNN", onednn)
    images = np.random.default_rng(7).integers(0, 3, (23, 12, 10, 3)).astype(np.float32) / 2
    data = tf.data.Dataset.from_tensor_slices(images) if stream else images
    out = {}
    for via_pool in (False, True):
        if not via_pool:
            monkeypatch.setattr(_example_pass, "whole_pools", lambda paths, *a: ())
        else:
            monkeypatch.undo()
            monkeypatch.setattr(_example_pass, "ONEDNN", onednn)
        out[via_pool] = cv.dataset_examples(_model(), LAYERS, data, k=3, batch_size=5,
                                            patch_size=6)
    for path in LAYERS:
        for name, a, b in zip(("index", "scores", "position", "fired", "labels", "box",
                               "patches"), _as_tuple(out[False][path]), _as_tuple(out[True][path])):
            np.testing.assert_array_equal(b, a, err_msg=f"{path} {name}")
