"""Every result object prints as one short line: what it is, never its arrays (bug 11).

A notebook prints a cell's last expression; ``cv.deepdream(...)`` printed every pixel of the
dream. Each result type is made here by the public function that returns it, on the test
models (nested backbone, grayscale, non-square), and its ``repr`` — and what IPython's pretty
printer shows, which has its own rules for dict subclasses — must be one line of at most 200
characters that names the shape and, where the result belongs to a layer, the layer.
"""

from __future__ import annotations

import numpy as np
import pytest
from IPython.lib.pretty import pretty

import convviz_widgets as cv
from convviz_widgets.compute import prepare_images
from convviz_widgets.compute.cam.predictions import rank_predictions

from conftest import input_hw, random_images

LIMIT = 200


def _check(obj, *must_name: str) -> str:
    text = repr(obj)
    assert pretty(obj) == text, "IPython must print the same one line"
    assert "\n" not in text and len(text) <= LIMIT, (len(text), text)
    assert text.startswith(type(obj).__name__ + "(")
    for word in must_name:
        assert word in text, (word, text)
    # No array printed: a repr of an array has "array(" or long runs of numbers in brackets.
    assert "array(" not in text and "[[" not in text, text
    return text


def _shape(shape) -> str:
    return str(tuple(int(d) for d in shape))  # "(5,)", "(2, 40, 56, 3)"


def test_dream_result(models):
    model = models["nested"]
    images = random_images(model, 2, seed=3)
    res = cv.deepdream(model, images, ["vgg16/block2_conv1", "vgg16/block1_conv2"],
                       octaves=2, steps=2, lr=0.02)
    text = _check(res, _shape(res.images.shape), "vgg16/block2_conv1", "vgg16/block1_conv2",
                  "octaves=2", "steps=2", "lr=0.02")
    assert res.layers == ("vgg16/block2_conv1", "vgg16/block1_conv2")
    assert res.settings == {"octaves": 2, "octave_scale": 1.4, "steps": 2, "lr": 0.02}
    assert "→" in text  # the score before → after


def test_maximize_result(models):
    model = models["grayscale"]
    res = cv.maximize(model, "dconv64", [0, 2, 3, 4], steps=2)
    _check(res, "'dconv64'", _shape(res.images.shape), "[0, 2, 3] +1 more", "steps=2")


def test_cam_result_names_layer_shape_and_target(models):
    model = models["sequential"]
    image = random_images(model, 1)[0]
    res = cv.gradcam(model, image, target=2, layer="conv_b")
    _check(res, "'conv_b'", _shape(res.heatmap.shape), "target=2", "'gradcam'")
    res = cv.gradcam(model, image, target=lambda y: y[:, 1], layer="conv_b")
    _check(res, "'conv_b'", "target='<lambda>'")


def test_dataset_examples(models):
    model = models["functional"]
    ex = cv.dataset_examples(model, "conv_b" if "conv_b" in [l.name for l in model.layers]
                             else cv.conv_layers(model)[-1].path,
                             random_images(model, 6, seed=4), k=3)
    _check(ex, repr(ex.layer), "k=3", _shape(ex.patches.shape), "images_seen=6")


def test_activations_and_their_stats(models):
    model = models["nested"]
    acts = cv.activations(model, random_images(model, 2), None)
    assert len(acts) > 2
    text = _check(acts, _shape(acts.images.shape), "more}")
    first = next(iter(acts))
    assert f"{first!r}: {_shape(acts[first].shape)}" in text
    _check(acts.stats(first), _shape(acts.stats(first).mean.shape))


def test_kernel_stats_conv_arithmetic_and_receptive_field(models):
    model = models["subclassed"]
    path = cv.conv_layers(model, kind="kernel")[0].path
    ks = cv.kernel_stats(model, path)
    _check(ks, f"filters={len(ks.norms)}", "dead_fraction=")
    ca = cv.conv_arithmetic(model, random_images(model, 1)[0], path, 1)
    _check(ca, repr(path), "filter=1", _shape(ca.kernel.shape), "position=")
    rf = cv.receptive_field(model, path)
    _check(rf, repr(path), _shape(rf.rows.shape))


def test_attribution_checks_and_predictions(models):
    model = models["sequential"]
    images = random_images(model, 3, seed=7)
    cam = cv.gradcam(model, images[0], target=1, layer="conv_b")
    fr = cv.faithfulness(model, images[0], cam.heatmap, target=1, steps=4)
    _check(fr, "'deletion'", "target=1", _shape(fr.curve.shape), "area=")
    sr = cv.sanity_check(model, images[0], target=1, layer="conv_b")
    _check(sr, "'gradcam'", _shape(sr.original.shape))
    tp = cv.top_predictions(model, images, k=2)
    _check(tp, _shape(np.asarray(tp.indices).shape))
    pr = rank_predictions(model, images, np.array([0, 1, 2]))
    _check(pr, "images=3", "accuracy=")


def test_prepared_images_and_long_names_stay_short(models):
    model = models["grayscale"]
    h, w, _ = input_hw(model)
    prepared = prepare_images(np.random.default_rng(0).random((2, h + 3, w, 3)), (None, h, w, 1))
    _check(prepared, _shape(prepared.images.shape), "resized_from=", "converted_channels=")
    # A result of a very deep path still fits one line.
    res = cv.gradcam(models["nested"], random_images(models["nested"], 1)[0],
                     layer="vgg16/block2_conv1")
    object.__setattr__(res, "layer", "backbone/" * 40 + "conv")
    text = _check(res, "layer='backbone/", "conv'", _shape(res.heatmap.shape), "'gradcam'")
    assert "…" in text


@pytest.mark.parametrize("cancelled", [False, True])
def test_cancelled_results_say_so(models, cancelled):
    from convviz_widgets.compute.maximize import DreamResult

    images = np.zeros((1, 8, 6, 3), np.float32)
    res = DreamResult(images, np.ones(1), np.zeros(1), np.zeros((2, 1)), [(8, 6)], cancelled)
    text = _check(res, "(1, 8, 6, 3)")
    assert ("cancelled=True" in text) is cancelled
