"""The one attribution pipeline (issue 24, item 4): one typed Target, sibling method types, one
driver that finishes every map in one place, SmoothGrad as a wrapper around any pixel method."""

from __future__ import annotations

import numpy as np
import pytest

from conftest import random_images

from convviz_widgets.compute import access
from convviz_widgets.compute.cam import (AttributionMethod, CAMMethod, PixelMethod, Region,
                                         SmoothGrad, Target, cam_methods, get_method, gradcam,
                                         reads_layer)
from convviz_widgets.compute.cam.pipeline import finish_map
from convviz_widgets.compute.cam.target import resolve_target

pytestmark = pytest.mark.filterwarnings("ignore:The structure of `inputs`")


def test_every_method_is_exactly_one_of_two_sibling_types():
    for name in cam_methods():
        meth = get_method(name)
        assert isinstance(meth, AttributionMethod)
        assert isinstance(meth, CAMMethod) != isinstance(meth, PixelMethod), name
        assert reads_layer(meth) == (isinstance(meth, CAMMethod) or name == "guided_gradcam")
    # A pixel method carries no CAM hook it could not use.
    for hook in ("channel_weights", "cam", "weighted_sum", "run"):
        assert not hasattr(PixelMethod, hook)
    assert not issubclass(PixelMethod, CAMMethod) and not issubclass(CAMMethod, PixelMethod)


def test_the_target_is_resolved_into_one_type(models, style):
    acc = access(models[style])
    one = resolve_target(acc, 0)
    assert one == Target((0,), None, 0, False) and one.codes.tolist() == [0]
    many = resolve_target(acc, [0, None])
    assert many.was_list and many.items == [0, None] and many.codes.tolist() == [0, -1]

    def score(y):
        return y[:, 0] if len(y.shape) == 2 else y[:, 0, 0, 0]

    fn = resolve_target(acc, score)
    assert fn.fn is score and fn.classes == () and fn.items == [score]
    assert fn.codes.tolist() == [-1] and fn.region is None
    with pytest.raises(ValueError, match="does not fit the output"):
        resolve_target(acc, 10_000)
    with pytest.raises(TypeError, match="one Region"):
        resolve_target(acc, [Region(), Region()])


def test_smoothgrad_wraps_any_pixel_method(models, style):
    model = models[style]
    image = random_images(model, 1, seed=4)[0]
    gxi = gradcam(model, image, target=0, method="gradient_x_input")
    same = gradcam(model, image, target=0,
                   method=SmoothGrad(samples=3, sigma=0.0, method="gradient_x_input"))
    # No noise: the wrapped method's own map, signed like it.
    assert same.signed and same.method == "smoothgrad"
    np.testing.assert_allclose(same.cam, gxi.cam, rtol=1e-4, atol=1e-7 * np.abs(gxi.cam).max())
    noisy = gradcam(model, image, target=0,
                    method=SmoothGrad(samples=4, sigma=0.3, method="gradient_x_input"))
    assert noisy.details["samples"] == 4 and not np.allclose(noisy.cam, gxi.cam)
    assert noisy.heatmap.min() < 0 < noisy.heatmap.max()
    with pytest.raises(TypeError, match="pixel-level"):
        SmoothGrad(method="gradcam")


def test_one_constant_image_rule_for_both_types(models, style):
    model = models[style]
    h, w, c = random_images(model, 1)[0].shape
    flat = np.full((h, w, c), 0.4, np.float32)
    for method in ("gradcam", "saliency", "integrated_gradients"):
        r = gradcam(model, flat, target=0, method=method)
        assert r.flag == "constant_input", method
        assert r.heatmap.shape == (h, w) and not r.heatmap.any()
        assert np.isfinite(r.score) and "scale" not in r.details


def test_finish_map_is_the_one_place_for_flags_and_range():
    rng = np.random.default_rng(0)
    raw = rng.normal(size=(7, 5))
    heat, flag, scale = finish_map(raw, (20, 13), signed=True)
    assert flag is None and heat.shape == (20, 13)
    assert np.isclose(np.abs(heat).max(), 1.0) and heat.min() < 0
    same, _, scale = finish_map(raw, raw.shape, signed=True)
    np.testing.assert_allclose(same * scale, raw, rtol=1e-5, atol=1e-6)  # its own units
    heat, flag, _ = finish_map(np.abs(raw), (20, 13))
    assert flag is None and heat.min() >= 0 and np.isclose(heat.max(), 1.0)
    assert finish_map(np.full((3, 3), np.nan), (4, 4))[1] == "nonfinite_map"
    assert finish_map(np.zeros((3, 3)), (4, 4), flat_flag="no_positive_evidence")[1] == \
        "no_positive_evidence"
    zeros, flag, scale = finish_map(raw, (4, 4), flag="constant_input")
    assert flag == "constant_input" and not zeros.any() and scale is None
