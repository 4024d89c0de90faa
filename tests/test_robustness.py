"""What users do wrong: every public entry point answers with a clear ValueError/TypeError that
names the offending value and the fix — never a raw TensorFlow traceback — and widgets stay usable.
"""

import numpy as np
import pytest

import keras

import convviz_widgets as cv

from _driver import Driver
from conftest import make_sequential, random_images

SEQ = None


def seq():
    global SEQ
    if SEQ is None:
        SEQ = make_sequential()
    return SEQ


def img(h=40, w=56, c=3, fill=None):
    if fill is not None:
        return np.full((h, w, c), fill, np.float32)
    return np.random.default_rng(0).random((h, w, c)).astype(np.float32)


def unbuilt():
    return keras.Sequential([keras.layers.Conv2D(3, 3), keras.layers.GlobalAveragePooling2D(),
                             keras.layers.Dense(2)])


def dense_only():
    return keras.Sequential([keras.Input((40, 56, 3)), keras.layers.Flatten(),
                             keras.layers.Dense(2)])


def broken_preprocess(x):
    raise RuntimeError("my preprocessing is broken")


# (case id, call, exception type, regex the message must match)
CASES = [
    ("unknown layer / activations", lambda: cv.activations(seq(), img(), "conv_bb"),
     ValueError, r"No layer 'conv_bb'.*conv_b"),
    ("unknown layer / kernels", lambda: cv.kernels(seq(), "cnv_a"), ValueError, r"conv_a"),
    ("unknown layer / gradcam", lambda: cv.gradcam(seq(), img(), layer="conv_bb"),
     ValueError, r"conv_b"),
    ("unknown layer / maximize", lambda: cv.maximize(seq(), "conv_bb", [0], steps=2),
     ValueError, r"conv_b"),
    ("no kernel / kernels", lambda: cv.kernels(seq(), "pool_a"), ValueError,
     r"no 2-D convolution kernel.*conv_a"),
    ("not spatial / activations", lambda: cv.activations(seq(), img(), "predictions"),
     ValueError, r"not a feature map"),
    ("not spatial / gradcam", lambda: cv.gradcam(seq(), img(), layer="predictions"),
     ValueError, r"predictions"),
    ("filter out of range / maximize", lambda: cv.maximize(seq(), "conv_b", [7], steps=2),
     ValueError, r"0 to 6"),
    ("1-D image", lambda: cv.activations(seq(), np.zeros(30)), ValueError, r"1-D"),
    ("RGBA image", lambda: cv.activations(seq(), np.zeros((40, 56, 4))), ValueError,
     r"\[\.\.\., :3\]"),
    ("RGBA image / gradcam", lambda: cv.gradcam(seq(), np.zeros((40, 56, 4))), ValueError,
     r":3"),
    ("object dtype", lambda: cv.activations(seq(), np.zeros((40, 56, 3), object)), TypeError,
     r"numeric"),
    # A string is an image file (read wherever images are taken): a missing one says so.
    ("string image", lambda: cv.activations(seq(), "cat.jpg"), FileNotFoundError,
     r"'cat.jpg' does not exist"),
    ("string array", lambda: cv.activations(seq(), np.array([["a"]])), TypeError, r"numeric"),
    ("empty batch", lambda: cv.activations(seq(), np.zeros((0, 40, 56, 3))), ValueError,
     r"empty"),
    ("NaN image / activations", lambda: cv.activations(seq(), img(fill=np.nan)), ValueError,
     r"NaN"),
    ("preprocessed image", lambda: cv.activations(seq(), img() * 200 - 100), ValueError,
     r"preprocess="),
    ("never built / conv_layers", lambda: cv.conv_layers(unbuilt()), ValueError,
     r"model\.build"),
    ("never built / activations", lambda: cv.activations(unbuilt(), img()), ValueError,
     r"model\.build"),
    ("never built / gradcam", lambda: cv.gradcam(unbuilt(), img()), ValueError,
     r"model\.build"),
    ("never built / maximize", lambda: cv.maximize(unbuilt(), "conv2d", [0], steps=2),
     ValueError, r"model\.build"),
    ("no conv layers / activations", lambda: cv.activations(dense_only(), img()), ValueError,
     r"no layer with a spatial output"),
    ("no conv layers / gradcam", lambda: cv.gradcam(dense_only(), img()), ValueError,
     r"spatial|feature map"),
    ("class outside output", lambda: cv.gradcam(seq(), img(), target=9), ValueError,
     r"0.*3"),
    ("callable target wrong shape", lambda: cv.gradcam(seq(), img(),
                                                       target=lambda y: y[:, :2]),
     ValueError, r"one score per sample|shape"),
    ("preprocess raises / activations",
     lambda: cv.activations(seq(), img(), preprocess=broken_preprocess), ValueError,
     r"preprocess raised RuntimeError: my preprocessing is broken"),
    ("preprocess raises / gradcam",
     lambda: cv.gradcam(seq(), img(), preprocess=broken_preprocess), ValueError,
     r"preprocess"),
    ("preprocess raises / maximize",
     lambda: cv.maximize(seq(), "conv_b", [0], steps=2, preprocess=broken_preprocess),
     ValueError, r"preprocess"),
    ("not a model", lambda: cv.activations("model.h5", img()), TypeError, r"keras\.Model"),
]


@pytest.mark.parametrize("call, exc, pattern", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_input_gets_a_clear_error(call, exc, pattern):
    with pytest.raises(exc, match=pattern) as info:
        call()
    text = str(info.value)
    # Never a raw TensorFlow error: the message is ours and short enough to read.
    assert "tensorflow/core" not in text and "Traceback" not in text and len(text) < 800


def test_constant_and_nan_images_in_gradcam_are_defined_and_do_not_poison():
    model = seq()
    flat = cv.gradcam(model, img(fill=0.5))
    assert np.isfinite(flat.heatmap).all() and flat.heatmap.max() <= 1
    nan = cv.gradcam(model, img(fill=np.nan))
    assert nan.flag and np.all(nan.heatmap == 0)
    good = cv.gradcam(model, img())
    assert np.isfinite(good.heatmap).all() and not good.flag


def test_widget_shows_error_keeps_view_and_next_action_works():
    model = seq()
    viewer = cv.ActivationViewer(model, random_images(model, 2))
    viewer.layer = "conv_b"
    viewer.filter_index = 2
    before = viewer.grid_image.copy()
    with pytest.raises(Exception, match="use 0 to 6"):
        viewer.filter_index = 99
    assert viewer.filter_index == 2 and np.array_equal(viewer.grid_image, before)
    Driver(viewer).set("convviz-channel", min(99, Driver(viewer).top("convviz-channel")))  # user action
    viewer.filter_index = 3  # the next valid action works
    assert viewer.filter_index == 3


def test_event_storm_ends_in_final_state_without_backlog():
    model = seq()
    viewer = cv.ActivationViewer(model, random_images(model, 2))
    viewer.layer = "conv_b"
    for k in range(100):  # 100 rapid slider moves
        Driver(viewer).set("convviz-channel", k % 7)
    assert viewer.filter_index == 99 % 7
    np.testing.assert_allclose(
        viewer.channel, cv.activations(model, viewer.images[0], "conv_b")["conv_b"][0, ..., 99 % 7])
    layers = [i.path for i in cv.conv_layers(model, kind="spatial")]
    for k in range(100):  # 100 rapid dropdown changes
        Driver(viewer).set("convviz-layer", layers[k % len(layers)])
    assert viewer.layer == layers[99 % len(layers)]
