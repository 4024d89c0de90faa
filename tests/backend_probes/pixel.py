"""Pixel attributions: saliency, SmoothGrad (alone and around integrated gradients), gradient ×
input, integrated gradients, guided backpropagation and guided Grad-CAM, for several targets.

Each method's raw map (``CAMResult.cam``, before the [0, 1] display scaling) and its heatmap
are compared, plus integrated gradients' completeness check and the unguided-ReLU count (an
integer: equal). SmoothGrad's noise is numpy's (seeded ``default_rng``), so every backend
differentiates the same noisy images.

Tolerance: the default ``rtol=1e-4`` and ``1e-4`` of the array's largest value (at least 1).
Every backend computes in float32 and sums in its own order; measured on the 6 models (JAX and
PyTorch against TensorFlow, 23:30 UTC session 32), the worst difference was 1.0e-7 for a raw map
(``cam:``), 4.8e-7 for a [0, 1] heatmap and 1.0e-6 for integrated gradients' sums (``ig:``).
Guided Grad-CAM of a class whose Grad-CAM is all zeros (ReLU of a negative map: class 1 of the
sequential and subclassed models) is zero everywhere, so only its top class must be non-zero.
"""

from __future__ import annotations

import warnings

import keras
import numpy as np

import convviz_widgets as cv
from convviz_widgets.compute import backend
from convviz_widgets.compute.cam import IntegratedGradients, SmoothGrad, UnguidedReLUWarning

NONZERO = tuple(f"{kind}:{name}" for kind in ("cam", "heat") for name in (
    "saliency", "gradient_x_input", "integrated_gradients", "smoothgrad", "guided_backprop",
    "guided_gradcam/top"))

METHODS = {
    "saliency": "saliency",
    "gradient_x_input": "gradient_x_input",
    "integrated_gradients": IntegratedGradients(steps=8),
    "integrated_gradients_blur": IntegratedGradients(steps=4, baseline="blur"),
    "smoothgrad": SmoothGrad(samples=4, sigma=0.2, seed=3),
    "smoothgrad_ig": SmoothGrad(samples=2, sigma=0.1, seed=1,
                                method=IntegratedGradients(steps=4)),
    "guided_backprop": "guided_backprop",
    "guided_gradcam": "guided_gradcam",
}


def probe(model, images) -> dict:
    out = {}
    image = images[0]
    # Top-1, class 0 and class 1 (both readings of a one-sigmoid unit).
    for name, method in METHODS.items():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UnguidedReLUWarning)
            results = cv.gradcam(model, image, target=[None, 0, 1], method=method, cache=False)
        for r, tag in zip(results, ("top", "0", "1")):
            key = f"{name}/{tag}"
            out[f"cam:{key}"] = np.asarray(r.cam, np.float32)
            out[f"heat:{key}"] = np.asarray(r.heatmap, np.float32)
            out[f"target:{key}"] = int(r.target)
            if "completeness_gap" in r.details:
                out[f"ig:{key}"] = np.array([r.details["attribution_sum"], r.details["score"],
                                            r.details["baseline_score"]], np.float32)
            if "unguided_relus" in r.details:
                out[f"unguided:{key}"] = int(r.details["unguided_relus"])
    # The seam's ReLU count (guided backprop's unreached ReLUs): the model's ReLU layers plus one
    # raw keras.ops.relu, the same number on every backend.
    out["relu_ops"] = backend.relu_ops(lambda t: keras.ops.relu(model(t)),
                                       (1,) + tuple(images.shape[1:]), "float32")
    return out
