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
    # Worst differences measured (TensorFlow against JAX / PyTorch, 6 models, load ~15), relative
    # to the array's largest value; about 10x room above each.
    # The activation at every step and at the end: float32 sums in each backend's own order,
    # 4 Adam steps on Fourier parameters: 6.3e-7 / 9.0e-8.
    "regularized:": (1e-5, 1e-5),
    # The final patterns: a pixel whose gradient element is near 0 moves by Adam's normalised
    # step on one backend and less on another: 5.6e-5 / 1.0e-5.
    "regularized:images": (0.0, 5e-4),
    "naive:": (1e-5, 1e-5),  # 6.2e-7 / 6.3e-7
    # Pixels after normalised steps, clipped to [0, 1]: 9.4e-4 on the sequential model on both
    # JAX and PyTorch (the other models <= 1.8e-7); not diagnosed further, the size of part of
    # one step at a few pixels (a gradient element near 0, or a pixel at the clip).
    "naive:images": (0.0, 5e-3),
    "class:": (1e-5, 1e-5),  # a class logit (the output's activation dropped): 1.4e-6 / 7.1e-7
    "dream:": (1e-5, 1e-5),  # 2 octaves of 3 steps, mean-|g| normalised: 3.9e-7 / 2.4e-7
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
    # A model that takes any size is asked for a small non-square pattern (at 16x20 the naive
    # ascent of filters 0 and 1 never leaves 0 on this model); at its default
    # (128 px) the ascent's per-parameter normalised steps amplify float differences at many
    # more Fourier coefficients (measured: 1.3e-2 of the largest pixel after 4 steps).
    size = (32, 40) if model.name == "anysize" else None
    for method in ("regularized", "naive"):
        r = cv.maximize(model, layer, filters=FILTERS, steps=STEPS, seed=3, method=method,
                        cache=False, size=size)
        out.update(_maximized(method, r))
    head = cv.model_layers(model)[-1].path
    r = cv.maximize(model, head, filters=[0, 1], steps=STEPS, seed=5, objective="class",
                    cache=False, size=size)
    out.update(_maximized("class", r))
    if model.name == "sequential":
        d = cv.deepdream(model, images[:2], "c2", octaves=2, steps=3, lr=0.02)
        out.update({"dream:images": d.images, "dream:score": d.score,
                    "dream:history": np.asarray(d.history, np.float32)})
    return out
