"""The shapes generator, the bundled demo model and the bundled sample scenes."""

import os
import subprocess
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np
import pytest

from convviz_widgets import _demo
from convviz_widgets.datasets import CLASS_NAMES, ShapesData, make_shapes
from convviz_widgets.datasets import shapes as shapes_module
from convviz_widgets.datasets import train as train_script

SHAPES_FILE = shapes_module.__file__

# Disjoint from the training seeds (TRAIN_SEED_BASE + epoch) and from the demo/eval seeds.
UNSEEN_SEED = 987_654


@pytest.fixture(scope="module")
def scenes():
    return make_shapes(60, seed=5)


@pytest.fixture(scope="module")
def model():
    return _demo.demo_model()


@pytest.fixture(scope="module")
def demo():
    return _demo.demo_images()


# --- generator ------------------------------------------------------------------------------------


def test_generator_shapes_dtypes_ranges(scenes):
    assert isinstance(scenes, ShapesData)
    assert scenes.images.shape == (60, 64, 64, 3) and scenes.images.dtype == np.float32
    assert scenes.labels.shape == (60,) and scenes.labels.dtype == np.int64
    assert scenes.masks.shape == (60, 64, 64) and scenes.masks.dtype == bool
    assert scenes.class_names == CLASS_NAMES
    assert 0.0 <= scenes.images.min() and scenes.images.max() <= 1.0
    assert set(np.unique(scenes.labels)) == set(range(len(CLASS_NAMES)))


def test_generator_is_deterministic_and_seed_dependent(scenes):
    again = make_shapes(60, seed=5)
    for a, b in zip(scenes[:3], again[:3]):
        np.testing.assert_array_equal(a, b)
    other = make_shapes(60, seed=6)
    assert not np.array_equal(scenes.labels, other.labels)
    assert np.abs(scenes.images - other.images).mean() > 0.05
    assert (scenes.masks != other.masks).any(axis=(1, 2)).mean() > 0.9


def test_generator_classes_are_balanced():
    labels = make_shapes(103, seed=1).labels
    counts = np.bincount(labels, minlength=len(CLASS_NAMES))
    assert counts.min() >= 103 // len(CLASS_NAMES) and counts.max() <= 103 // len(CLASS_NAMES) + 1
    free = make_shapes(500, seed=2, balanced=False).labels
    assert np.bincount(free, minlength=len(CLASS_NAMES)).min() > 60


def test_masks_are_nonempty_inside_the_image_and_match_the_object(scenes):
    area = scenes.masks.sum(axis=(1, 2))
    assert area.min() >= 40  # even the smallest object covers dozens of pixels
    assert area.max() < 0.4 * 64 * 64
    # Shapes are placed whole inside the image: the border ring is never part of the object.
    border = np.ones((64, 64), bool)
    border[1:-1, 1:-1] = False
    assert not scenes.masks[:, border].any()
    # The object differs in colour from the background, on average clearly.
    inside = np.array([img[m].mean(axis=0) for img, m in zip(scenes.images, scenes.masks)])
    outside = np.array([img[~m].mean(axis=0) for img, m in zip(scenes.images, scenes.masks)])
    contrast = np.linalg.norm(inside - outside, axis=1)
    assert np.median(contrast) > 0.25


def test_difficulty_and_distractors_change_only_the_clutter():
    full = make_shapes(20, seed=3)
    clean = make_shapes(20, seed=3, difficulty=0.0)
    np.testing.assert_array_equal(full.labels, clean.labels)
    np.testing.assert_array_equal(full.masks, clean.masks)
    # Clutter lives in the background: the clean background is far smoother.
    def roughness(data):
        grad = np.abs(np.diff(data.images, axis=2)).mean(axis=-1)  # (n, H, W-1)
        keep = ~(data.masks[:, :, 1:] | data.masks[:, :, :-1])
        return grad[keep].mean()
    assert roughness(clean) < 0.5 * roughness(full)
    plain = make_shapes(4, seed=3, distractors=False)
    assert plain.images.shape == (4, 64, 64, 3)
    with pytest.raises(ValueError, match="difficulty"):
        make_shapes(2, difficulty=1.5)


def test_generator_other_sizes():
    data = make_shapes(5, seed=0, size=(48, 80))
    assert data.images.shape == (5, 48, 80, 3) and data.masks.shape == (5, 48, 80)
    assert data.masks.any(axis=(1, 2)).all()
    assert make_shapes(0).images.shape == (0, 64, 64, 3)


def test_generator_module_needs_no_tensorflow():
    # Loaded by file path: the package __init__ may import TensorFlow, the generator itself must not.
    code = (
        "import importlib.util, sys;"
        f"spec = importlib.util.spec_from_file_location('shapes', {SHAPES_FILE!r});"
        "mod = importlib.util.module_from_spec(spec); spec.loader.exec_module(mod);"
        "mod.make_shapes(3, seed=0);"
        "assert 'tensorflow' not in sys.modules and 'keras' not in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_unseen_seed_is_not_a_training_seed():
    seeds = {train_script.EVAL_SEED, train_script.DEMO_SEED, UNSEEN_SEED}
    for seed in seeds:
        assert not train_script.TRAIN_SEED_BASE <= seed < train_script.TRAIN_SEED_BASE + 10_000


# --- bundled model --------------------------------------------------------------------------------


def test_demo_model_file_is_small():
    assert _demo.MODEL_FILE.is_file()
    assert _demo.MODEL_FILE.stat().st_size < 3_000_000
    assert _demo.SCENES_FILE.stat().st_size < 1_000_000


def test_demo_model_loads_with_vgg_layer_names(model):
    names = [layer.name for layer in model.layers]
    expected = [
        "block1_conv1", "block1_conv2", "block1_pool",
        "block2_conv1", "block2_conv2", "block2_pool",
        "block3_conv1", "block3_conv2",
    ]
    assert names[1:9] == expected
    assert names[-1] == "predictions"
    assert model.name == "shapes_vgg"
    assert model.input_shape == (None, 64, 64, 3)
    assert model.output_shape == (None, len(CLASS_NAMES))
    last_conv = model.get_layer("block3_conv2").output.shape
    assert tuple(last_conv[1:3]) == (16, 16)  # fine enough for Grad-CAM to localise
    assert model.count_params() < 500_000
    assert model.get_layer("predictions").activation.__name__ == "softmax"


def test_demo_model_is_a_new_object_each_call(model):
    again = _demo.demo_model()
    assert again is not model
    np.testing.assert_array_equal(
        again.get_layer("block1_conv1").get_weights()[0],
        model.get_layer("block1_conv1").get_weights()[0],
    )


# --- bundled scenes -------------------------------------------------------------------------------


def test_demo_images_shapes_and_dtypes(demo):
    assert isinstance(demo, _demo.DemoImages)
    n = demo.images.shape[0]
    assert n >= 32
    assert demo.images.shape == (n, 64, 64, 3) and demo.images.dtype == np.float32
    assert 0.0 <= demo.images.min() and demo.images.max() <= 1.0
    assert demo.labels.shape == (n,) and demo.labels.dtype == np.int64
    assert demo.masks.shape == (n, 64, 64) and demo.masks.dtype == bool
    assert demo.class_names == CLASS_NAMES
    assert np.bincount(demo.labels, minlength=len(CLASS_NAMES)).min() >= n // len(CLASS_NAMES)


def test_demo_images_are_the_generator_output(demo):
    # The shipped file is the generator's output at DEMO_SEED, stored as uint8 and packed bits.
    fresh = make_shapes(len(demo.labels), seed=train_script.DEMO_SEED)
    np.testing.assert_array_equal(demo.labels, fresh.labels)
    np.testing.assert_array_equal(demo.masks, fresh.masks)
    assert np.abs(demo.images - fresh.images).max() <= 0.5 / 255 + 1e-6


def test_demo_masks_match_the_objects(demo):
    assert demo.masks.any(axis=(1, 2)).all()
    inside = np.array([img[m].mean(axis=0) for img, m in zip(demo.images, demo.masks)])
    # Ring just outside each object: the local background the object must stand out from.
    grown = demo.masks.copy()
    for axis in (1, 2):
        for shift in (-2, -1, 1, 2):
            grown |= np.roll(demo.masks, shift, axis=axis)
    ring = grown & ~demo.masks
    around = np.array([img[r].mean(axis=0) for img, r in zip(demo.images, ring)])
    assert np.median(np.linalg.norm(inside - around, axis=1)) > 0.25
    # Inside the mask the object is nearly uniform; a mask shifted off the object is not.
    spread = np.array([img[m].std(axis=0).mean() for img, m in zip(demo.images, demo.masks)])
    assert np.median(spread) < 0.1


# --- accuracy -------------------------------------------------------------------------------------


def test_accuracy_on_fresh_unseen_scenes(model):
    data = make_shapes(300, seed=UNSEEN_SEED)
    pred = model.predict(data.images, batch_size=100, verbose=0).argmax(axis=-1)
    assert (pred == data.labels).mean() >= 0.90


def test_bundled_scenes_are_classified_correctly(model, demo):
    pred = model.predict(demo.images, verbose=0).argmax(axis=-1)
    assert (pred == demo.labels).mean() >= 0.90
