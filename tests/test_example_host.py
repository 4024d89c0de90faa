"""The dataset-examples step of Keras' JAX and PyTorch backends (compute/_example_host.py), run
here on TensorFlow against the TensorFlow graph step it stands in for: the same crops, the same
top-k, the same patches (tests/test_backends.py then compares the backends themselves)."""

import importlib

import numpy as np
import pytest
import tensorflow as tf
from PIL import Image

import convviz_widgets as cv
from convviz_widgets.compute import _example_host, _example_pass

from _any_size import fcn_model, strided_fcn_layers

# The module (the package's `dataset_examples` attribute is the function of the same name).
de_module = importlib.import_module("convviz_widgets.compute.dataset_examples")


def test_numpy_crop_and_resize_is_tensorflows():
    rng = np.random.default_rng(3)
    images = rng.random((3, 9, 13, 3), dtype=np.float32)
    # inside, overhanging every side, flipped, degenerate (one point)
    boxes = np.concatenate([rng.uniform(-0.4, 1.4, (40, 4)),
                            [[0.5, 0.5, 0.5, 0.5], [1.0, 1.0, 0.0, 0.0]]]).astype(np.float32)
    which = rng.integers(0, 3, len(boxes))
    for size in [(1, 1), (2, 5), (12, 12)]:
        want = tf.image.crop_and_resize(images, boxes, which.astype(np.int32), size,
                                        method="bilinear", extrapolation_value=0.5).numpy()
        got = _example_host.crop_and_resize(images, boxes, which, size)
        np.testing.assert_allclose(got, want, rtol=0, atol=2e-6, err_msg=str(size))


def _as_tuple(ex):
    return (ex.index, ex.scores, ex.position, ex.fired, ex.labels, ex.box, ex.patches)


@pytest.mark.parametrize("stream", [False, True])
@pytest.mark.parametrize("score", ["max", "mean"])
def test_host_step_matches_the_graph_step(monkeypatch, tmp_path, score, stream):
    model, scenes = cv.demo_model(), cv.demo_images()
    images = scenes.images[:30]
    data = images
    if stream:  # a file list: patches cut in the step as images enter, slots reused
        data = []
        for i, img in enumerate((images * 255 + 0.5).astype(np.uint8)):
            data.append(str(tmp_path / f"{i:02d}.png"))
            Image.fromarray(img).save(data[-1])
    layers = ["block1_conv2", "block3_conv1"]
    args = dict(k=4, score=score, batch_size=7, channels=None, patch_size=16)
    want = cv.dataset_examples(model, layers, data, **args)
    monkeypatch.setattr(de_module, "_steps", _example_host)
    got = cv.dataset_examples(model, layers, data, **args)
    for path in layers:
        w, g = _as_tuple(want[path]), _as_tuple(got[path])
        for name, a, b in zip(("index", "scores", "position", "fired", "labels", "box"), w, g):
            if name == "scores":
                np.testing.assert_allclose(b, a, rtol=1e-6, err_msg=f"{path} {name}")
            else:
                np.testing.assert_array_equal(b, a, err_msg=f"{path} {name}")
        diff = np.abs(w[-1].astype(int) - g[-1].astype(int))
        assert diff.max() <= 1, f"{path}: patches differ by {diff.max()} levels"


def test_graph_step_module_is_the_tensorflow_one():
    assert de_module._steps is _example_pass


@pytest.mark.parametrize("folder", [False, True])
def test_host_step_matches_on_a_model_of_any_size(monkeypatch, tmp_path, folder):
    """Images of several sizes: batches grouped by size leave stream order, so the merge is
    keyed by stream rank (and a folder is a stream: patches cut in the step)."""
    model = fcn_model("functional", strided_fcn_layers, seed=7)
    rng = np.random.default_rng(5)
    data = [rng.random((h, w, 3), dtype=np.float32) for h, w in
            [(20, 24), (32, 32), (20, 24), (28, 20), (32, 32), (20, 24), (28, 20), (24, 24)]]
    if folder:
        for i, img in enumerate(data):
            Image.fromarray((img * 255 + 0.5).astype(np.uint8)).save(tmp_path / f"{i}.png")
        data = tmp_path
    args = dict(k=3, batch_size=3, patch_size=8)
    want = cv.dataset_examples(model, ["c2", "c3"], data, **args)
    monkeypatch.setattr(de_module, "_steps", _example_host)
    got = cv.dataset_examples(model, ["c2", "c3"], data, **args)
    for path in ("c2", "c3"):
        w, g = want[path], got[path]
        for name in ("index", "position", "fired", "box", "image_size"):
            np.testing.assert_array_equal(getattr(g, name), getattr(w, name), err_msg=name)
        np.testing.assert_allclose(g.scores, w.scores, rtol=1e-6)
        assert np.abs(g.patches.astype(int) - w.patches.astype(int)).max() <= 1


def test_peaks_are_the_first_flat_argmax_ties_included():
    """The host's peak search (a row from the per-row max, then a column of that row) finds
    what ``argmax`` over the flat map finds, on maps full of ties, a constant map, a map
    whose max is in its last row and column, and a ``-0.0`` next to ``0.0``."""
    rng = np.random.default_rng(4)
    maps = [rng.integers(0, 3, (5, 6, 7, 4)).astype(np.float32),
            rng.integers(-1, 2, (5, 3, 3, 2)).astype(np.float32)]
    maps[1][2] = 1.0  # constant: the first position
    maps[0][3, :, :, 1] = -5.0
    maps[0][3, -1, -1, 1] = 4.0  # the last position
    maps[1][4, :, :, 0] = -1.0
    maps[1][4, 0, 2, 0], maps[1][4, 1, 0, 0] = -0.0, 0.0  # equal: the first
    rows = [np.arange(4), np.arange(2)]
    r, image = (a.ravel() for a in np.meshgrid(np.arange(6), np.arange(5), indexing="ij"))
    got = _example_host._peaks([a.max(axis=2) for a in maps], maps, rows, r, image)
    want = [maps[0 if q < 4 else 1][i, :, :, q if q < 4 else q - 4].argmax()
            for q, i in zip(r, image)]
    np.testing.assert_array_equal(got, want)
    assert got.dtype == np.int32


def test_cut_patches_crops_every_layer_of_a_chunk_together():
    """The final patches: all layers' slots of a chunk of images are cut as one set of
    distinct (image, box) crops in groups of ``chunk`` (session 36), which gives each slot the
    patch of its own image and box — empty slots zero, a crop shared by two layers in both."""
    rng = np.random.default_rng(5)
    images = rng.random((11, 9, 9, 3), dtype=np.float32)
    positions = [rng.integers(-1, 11, (4, 3)), rng.integers(-1, 11, (2, 3)),
                 rng.integers(-1, 11, (5, 2))]
    boxes = [rng.uniform(-0.2, 1.2, p.shape + (4,)).astype(np.float32) for p in positions]
    positions[0][1, 2] = 4
    positions[1][0, 0], boxes[1][0, 0] = 4, boxes[0][1, 2]  # one crop for two layers

    def crop(imgs, b, which):
        return _example_host.quantize(_example_host.crop_and_resize(imgs, b, which, (5, 5)))

    got = _example_host.cut_patches(lambda p: images[p], positions, boxes, crop, 5, 3, chunk=4)
    for pos, box, patches in zip(positions, boxes, got):
        assert patches.shape == pos.shape + (5, 5, 3)
        for idx in np.ndindex(pos.shape):
            want = (np.zeros((5, 5, 3), np.uint8) if pos[idx] < 0
                    else crop(images, box[idx][None], np.array([pos[idx]]))[0])
            np.testing.assert_array_equal(patches[idx], want, err_msg=str(idx))


def test_row_max_as_a_max_pool_gives_the_same_examples(monkeypatch):
    """With oneDNN on, the graph step takes each map's per-row max as a ``1 × w`` max-pool
    (session 36); with it off, as ``reduce_max``. Either way (forced here, whatever this
    process runs) the same examples, scores, peaks and patches, on maps with negative values
    and ties (a linear convolution of images of a few grey levels)."""
    def build():
        keras = tf.keras
        x = keras.Input((12, 10, 3))
        a = keras.layers.Conv2D(4, 3, padding="same", kernel_initializer="ones",
                                bias_initializer=keras.initializers.Constant(-2.0),
                                name="lin")(x)
        b = keras.layers.Conv2D(5, 3, strides=2, activation="relu", name="relu",
                                kernel_initializer=keras.initializers.RandomNormal(seed=1))(a)
        return keras.Model(x, keras.layers.GlobalAveragePooling2D()(b))

    images = np.random.default_rng(6).integers(0, 3, (23, 12, 10, 3)).astype(np.float32) / 2
    out = {}
    for pool in (False, True):
        monkeypatch.setattr(_example_pass, "ONEDNN", pool)
        out[pool] = cv.dataset_examples(build(), ["lin", "relu"], images, k=3, batch_size=5,
                                        patch_size=6)
    for path in ("lin", "relu"):
        for name, a, b in zip(("index", "scores", "position", "fired", "labels", "box",
                               "patches"), _as_tuple(out[False][path]), _as_tuple(out[True][path])):
            np.testing.assert_array_equal(b, a, err_msg=f"{path} {name}")
