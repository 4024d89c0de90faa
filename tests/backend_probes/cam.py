"""Class activation maps: every CAM method, several targets, top predictions, ranking.

For each model: every CAM-family method (``cam_methods`` minus the pixel-level ones, which are
probed by their own area) on the first image for the top class and for class 1 (an explicit
index); for the one-sigmoid-unit model both readings of the unit (class 0 explained by ``-z``,
class 1 by ``z``) and its class names (``"not star"``/``"star"``); a callable target (the sum
of the output, explained as the model returns it, not its logits); a class switch (the second
target of an image already explained: the head only, from the cached map); the top
predictions of each image and the ranking of the three labelled images. None of the six
models has a spatial output, so no Region target applies to them (``tests/test_gradcam.py``
covers regions on TensorFlow).

Heatmaps, channel weights, scores and probabilities are compared within ``1e-5`` (relative, and
of the array's largest value when above 1): every backend computes in float32 and sums in its
own order. Measured on the six models (JAX and PyTorch against TensorFlow, worst of either):
heatmaps 7.2e-7, scores 1.1e-6, channel weights 1.6e-7, top-k probabilities and values 3.6e-7,
ranking probabilities 3.9e-7 — so 1e-5 leaves a margin of about 10x. Flags, classes, layer
names, class names and the ranking's indices are compared exactly.
"""

from __future__ import annotations

import numpy as np

import convviz_widgets as cv

#: The CAM family (``convviz_widgets.compute.cam.CAMMethod``): the same on every backend.
METHODS = ("gradcam", "gradcam++", "scorecam", "layercam", "hirescam", "xgradcam", "eigencam")

TOLERANCE = {"map:": (1e-5, 1e-5), "weights:": (1e-5, 1e-5), "score:": (1e-5, 1e-5),
             "top:": (1e-5, 1e-5), "rank:": (1e-5, 1e-5)}
NONZERO = ("map:gradcam/top", "map:gradcam/unit", "map:scorecam/", "top:")


def _results(r):
    return r if isinstance(r, list) else [r]


def probe(model, images) -> dict:
    out = {}
    image = images[0]
    sigmoid = model.name == "sigmoid"
    targets = {"top": None, "c1": 1} if not sigmoid else {"not": 0, "unit": 1, "both": [0, 1]}
    for method in METHODS:
        for name, target in targets.items():
            for i, r in enumerate(_results(cv.gradcam(model, image, target=target,
                                                      method=method))):
                key = f"{method}/{name}/{i}"
                out[f"map:{key}"] = r.heatmap
                out[f"flag:{key}"] = r.flag
                out[f"target:{key}"] = int(r.target)
                out[f"layer:{key}"] = r.layer
                if r.weights is not None:
                    out[f"weights:{key}"] = np.asarray(r.weights, np.float32)
                out[f"score:{key}"] = np.asarray([r.score], np.float32)
    # A callable target: the output as the model returns it, summed.
    r = cv.gradcam(model, images[1], target=lambda y: y[:, 0])
    out["map:callable"] = r.heatmap
    out["flag:callable"] = r.flag
    # A class switch: the same image again, another class (the cached map, the head only).
    first = cv.gradcam(model, images[2], target=0)
    switch = cv.gradcam(model, images[2], target=1)
    out["map:switch/0"], out["map:switch/1"] = first.heatmap, switch.heatmap
    fresh = cv.gradcam(model, images[2], target=1, cache=False)
    out["switch_is_fresh"] = bool(np.allclose(fresh.heatmap, switch.heatmap, atol=1e-5))
    names = ["star"] if sigmoid else None
    for i, image_i in enumerate(images):
        top = cv.top_predictions(model, image_i, k=3, class_names=names)
        out[f"top:{i}/probabilities"] = np.asarray(top.probabilities, np.float32)
        out[f"top:{i}/values"] = np.asarray(top.values, np.float32)
        out[f"top_indices:{i}"] = [int(c) for c in top.indices]
        out[f"top_names:{i}"] = list(top.names)
    ranking = cv.compute.rank_predictions(model, images, [0, 1, 0])
    out["rank:confidence"] = np.asarray(ranking.confidence, np.float32)
    out["rank:true_probability"] = np.asarray(ranking.true_probability, np.float32)
    for field in ("predicted", "correct", "best", "worst"):
        out[f"ranking/{field}"] = np.asarray(getattr(ranking, field)).tolist()
    return out
