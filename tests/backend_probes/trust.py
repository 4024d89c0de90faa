"""Trust checks: deletion and insertion curves (blurred and black baselines, against seeded
random maps) and the cascading-randomisation sanity check (Spearman correlations and maps).

The heatmap ranked by faithfulness is a fixed numpy one, so the curves test faithfulness alone;
the sanity check re-draws weights with numpy's seeded generator on a clone, so every backend
randomises the same layers to the same values.

Tolerance: the default ``rtol=1e-4`` and ``1e-4`` of the array's largest value (at least 1).
Curves are the model's probabilities on the same images and the sanity maps pixel attributions
of identically randomised clones, each computed in float32 with the backend's own summation
order; measured on the 6 models (JAX and PyTorch against TensorFlow, session 32) the worst
difference was 4.2e-7 for a curve, 1.8e-7 for an area, 3.0e-7 for a sanity map and 3.7e-9 for
a Spearman correlation (ranks did not swap: no two pixels were that close).
"""

from __future__ import annotations

import numpy as np

import convviz_widgets as cv

NONZERO = ("curve:", "sanity_map:")


def probe(model, images) -> dict:
    out = {}
    image = images[1]
    h, w = image.shape[:2]
    heat = np.random.default_rng(11).random((h, w)).astype(np.float32)
    for kind in ("deletion", "insertion"):
        for baseline in ("blur", "black"):
            f = cv.faithfulness(model, image, heat, target=None, kind=kind, steps=8,
                                baseline=baseline, n_random=2, batch_size=4)
            key = f"{kind}/{baseline}"
            out[f"curve:{key}"] = np.asarray(f.curve, np.float32)
            out[f"random_curve:{key}"] = np.asarray(f.random_curve, np.float32)
            out[f"areas:{key}"] = np.array([f.area, *f.random_areas], np.float32)
            out[f"target:{key}"] = int(f.target)
    for method in ("saliency", "gradcam"):
        s = cv.sanity_check(model, image, method, target=0, seed=5)
        out[f"sanity_layers:{method}"] = [p for p, _ in s.steps]
        out[f"sanity_rho:{method}"] = s.correlations.astype(np.float32)
        out[f"sanity_map:{method}"] = np.stack([s.original, *s.maps]).astype(np.float32)
    return out
