"""Filter maximisation: the input pattern each filter, unit or class responds to most, and
DeepDream.

Gradient ascent in input space, split the way the feature-visualisation literature splits it:

* :mod:`.param` — what is optimised (the pixels, or 1/f-scaled Fourier coefficients in
  decorrelated colour behind a sigmoid);
* :mod:`.objectives` — what is maximised (a channel, a unit, minus a channel, a class logit or
  Dense unit, Gram-matrix diversity, a whole layer for DeepDream, image priors; composable with
  ``+`` and ``*``; the image priors are in ``_priors``);
* :mod:`.transforms` — the random jitter / scale / rotation / blur applied before each step;
* ``_loop`` — one compiled step for a batch of rows, chunked, driven through the package's
  progress protocol (:mod:`convviz_widgets.compute.progress`), with the update rules of
  ``_optimizers``; ``_forward`` — what the step computes forward (the features an objective
  reads, and each row's own channel only on the fast path);
* ``_request`` — what a call asks for, resolved against the model (layer path, row count,
  objective, pattern size); ``_recipe`` — what a method name stands for (parameterisation,
  transforms, update rule) and the starting image; ``_rows`` — the rows run, cached rows served
  from ``_cache``;
* ``_api`` (:func:`maximize`), ``_dream`` (:func:`deepdream`), ``_results`` (what they return).

Everything works in *display space* by default: images are float32 in [0, 1] (RGB or grayscale)
and the model's own input scaling is the ``preprocess`` callable, so the returned images are
what the model actually saw; ``maximize(space="model")`` optimises the raw model input instead.
This module only re-exports.
"""

from __future__ import annotations

from . import objectives, param, transforms
from ._api import maximize
from ._recipe import DEFAULT_LR, DEFAULT_STEPS, INITS, METHODS, SPACES
from ._request import DEFAULT_SIZE, class_layers, pattern_size, target_count
from ._dream import deepdream
from ._results import DreamResult, MaximizeResult
from ._priors import l2, total_variation
from .objectives import (OBJECTIVES, Objective, channel, class_logit,
                         deepdream as deepdream_objective, diversity, negative, neuron)
from .param import Fourier, Parameterization, Pixels
from .transforms import (Affine, Blur, Jitter, RandomRotate, RandomScale, Transform,
                         standard_transforms)

__all__ = [
    "maximize", "deepdream", "MaximizeResult", "DreamResult", "METHODS", "OBJECTIVES", "INITS",
    "SPACES", "DEFAULT_STEPS", "DEFAULT_LR", "DEFAULT_SIZE",
    "channel", "neuron", "negative", "class_logit", "diversity", "deepdream_objective",
    "total_variation", "l2", "Objective",
    "Fourier", "Pixels", "Parameterization", "Affine", "Jitter", "RandomScale", "RandomRotate",
    "Blur", "Transform", "standard_transforms", "pattern_size", "class_layers", "target_count",
    "objectives", "param", "transforms",
]
