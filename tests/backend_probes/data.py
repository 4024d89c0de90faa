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

``backend.row_max`` (the host step's per-row max; PyTorch folds columns into a channel axis of
few channels, session 36) on maps of either memory layout, widths the fold divides and not,
ties included: a max is exact, so equal exactly.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import keras
import numpy as np
from PIL import Image

import convviz_widgets as cv
from convviz_widgets.compute import backend

TOLERANCE = {"index": (0.0, 0.0), "at": (0.0, 0.0), "fired": (0.0, 0.0),
             "patches": (0.0, 1.0 / 255.0), "row_max": (0.0, 0.0)}
NONZERO = ("scores", "patches", "row_max")
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


def _row_maxes(out) -> None:
    """``backend.row_max`` of maps ``(n, h, w, C)``: channels innermost (PyTorch's fold: 16
    channels folded by 2 columns, 8 by 4, 3 by 32, 40 by 4), a width the fold does not divide,
    channels-first memory (on PyTorch a transposed view, reduced as it is), a strided view."""
    rng = np.random.default_rng(5)
    for n, h, w, c in [(2, 3, 64, 16), (2, 3, 12, 8), (1, 2, 32, 3), (2, 2, 5, 16), (1, 2, 8, 40)]:
        a = rng.standard_normal((n, h, w, c)).astype(np.float32)
        a[:, :, ::3] = np.round(a[:, :, ::3])  # ties within rows
        a[:, 0] = 0.0  # a row of ties only
        last = keras.ops.convert_to_tensor(a)
        first = keras.ops.transpose(keras.ops.convert_to_tensor(
            np.ascontiguousarray(a.transpose(0, 3, 1, 2))), (0, 2, 3, 1))
        name = f"{n}x{h}x{w}x{c}"
        out[f"row_max:{name}"] = backend.to_numpy(backend.row_max(last))
        out[f"row_max:{name}:channels_first"] = backend.to_numpy(backend.row_max(first))
        out[f"row_max:{name}:every_other_column"] = backend.to_numpy(
            backend.row_max(last[:, :, ::2]))


def probe(model, images) -> dict:
    channels = images.shape[-1]
    size = images.shape[1:3]
    data = np.random.default_rng(11).random((N_ARRAY, *size, channels), dtype=np.float32)
    layers = _layers(model)
    out = {"layers": layers}
    _row_maxes(out)
    _add(out, "array", cv.dataset_examples(model, layers, data, k=K, batch_size=16,
                                           patch_size=12))
    with tempfile.TemporaryDirectory() as folder:
        for i, img in enumerate((data[:N_FILES] * 255 + 0.5).astype(np.uint8)):
            Image.fromarray(img[..., 0] if channels == 1 else img).save(
                Path(folder) / f"img{i:02d}.png")
        _add(out, "files", cv.dataset_examples(model, layers, folder, k=K, batch_size=5,
                                               patch_size=12))
    return out
