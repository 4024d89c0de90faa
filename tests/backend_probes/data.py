"""Dataset examples: the top-k images of every channel of two layers over 40 numpy images
(patches cut after the pass) and over a folder of 12 PNG files (a stream: patches cut as images
enter a top-k), the firing counts and the peaks.

Which images, where they peak and how often a channel fires are equal exactly (integers: a
different order would be a different answer). Scores are float32 maxima/means of feature maps
each backend computes in its own summation order: ``rtol=1e-4``, ``1e-4`` of the largest
(measured: worst 6.9e-8 of the largest on JAX, 2.4e-7 on PyTorch). Patches are uint8 crops:
TensorFlow cuts them with ``tf.image.crop_and_resize``, JAX and PyTorch with its numpy twin
(same sample positions, float32 arithmetic in another order), so a value on a rounding edge may
land one level apart: ``atol`` 1 level of 255 (measured: 0 levels on these models).
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
from PIL import Image

import convviz_widgets as cv

TOLERANCE = {"index": (0.0, 0.0), "at": (0.0, 0.0), "fired": (0.0, 0.0),
             "patches": (0.0, 1.0 / 255.0)}
NONZERO = ("scores", "patches")
N_ARRAY, N_FILES, K = 40, 12, 3


def _layers(model) -> list:
    containers = {i.path for i in cv.model_layers(model) if i.is_container}
    spatial = [p for p in cv.compute.spatial_paths(model) if p not in containers]
    return list(dict.fromkeys([spatial[0], spatial[-1]]))


def _add(out, tag, examples) -> None:
    for path, ex in examples.items():
        out[f"index:{tag}:{path}"] = ex.index
        out[f"at:{tag}:{path}"] = ex.position
        out[f"fired:{tag}:{path}"] = ex.fired
        out[f"scores:{tag}:{path}"] = ex.scores.astype(np.float32)
        out[f"patches:{tag}:{path}"] = ex.patches.astype(np.float32) / 255.0


def probe(model, images) -> dict:
    channels = images.shape[-1]
    size = images.shape[1:3]
    data = np.random.default_rng(11).random((N_ARRAY, *size, channels), dtype=np.float32)
    layers = _layers(model)
    out = {"layers": layers}
    _add(out, "array", cv.dataset_examples(model, layers, data, k=K, batch_size=16,
                                           patch_size=12))
    with tempfile.TemporaryDirectory() as folder:
        for i, img in enumerate((data[:N_FILES] * 255 + 0.5).astype(np.uint8)):
            Image.fromarray(img[..., 0] if channels == 1 else img).save(
                Path(folder) / f"img{i:02d}.png")
        _add(out, "files", cv.dataset_examples(model, layers, folder, k=K, batch_size=5,
                                               patch_size=12))
    return out
