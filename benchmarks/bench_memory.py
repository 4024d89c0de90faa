"""Resident memory while switching through 100 images and every layer (issue: bounded caches).

VGG16 (weights=None) at 224×224: one image's spatial activations are ~60 MB, so 100 images
would need ~6 GB without a bound. We read every spatial layer of 100 different images (as a user
flicking through images and layers in the ActivationViewer would) and sample RSS after each image.

``--through widgets`` does the same through the views a student has open: an ActivationViewer
and a GradCAMViewer on the same 100 images, switching image and layer with their controls (so the
drawn grids, overlays and thumbnails count too) → benchmarks/results/memory_widgets.json.

Run: ``python benchmarks/bench_memory.py [--cache-mb 512] [--through compute|widgets]``
→ benchmarks/results/memory.json.
"""

from __future__ import annotations

import argparse

import _common  # noqa: F401
import numpy as np

import keras

import convviz_widgets as cv
from _common import write
from convviz_widgets.compute import access


def rss_mb() -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def main(cache_mb: int, n_images: int) -> dict:
    keras.utils.set_random_seed(0)
    model = keras.applications.VGG16(weights=None, input_shape=(224, 224, 3))
    acc = access(model)
    acc.cache.resize(cache_mb * 2**20)
    paths = [i.path for i in cv.conv_layers(model, kind="spatial")]
    rng = np.random.default_rng(0)
    start = rss_mb()
    samples = []
    for k in range(n_images):
        img = (rng.random((224, 224, 3)) * 255).astype(np.uint8)
        for p in paths:  # the viewer reads one layer at a time
            cv.activations(model, img, p if k % 2 else paths)[p]
        samples.append(rss_mb())
    return {
        "model": "VGG16(weights=None) 224x224",
        "images": n_images, "layers": len(paths),
        "cache_limit_mb": cache_mb,
        "cache_held_mb": acc.cache.nbytes / 2**20,
        "rss_after_model_mb": start,
        "rss_peak_mb": max(samples), "rss_final_mb": samples[-1],
        "rss_growth_over_model_mb": max(samples) - start,
        "rss_first10_mb": samples[:10], "rss_last10_mb": samples[-10:],
        "unbounded_would_hold_mb": n_images * sum(
            np.prod(cv.resolve_layer(model, p).output_shape[1:]) * 4 for p in paths) / 2**20,
    }


def through_widgets(cache_mb: int, n_images: int) -> dict:
    from convviz_widgets.widgets import ActivationViewer, GradCAMViewer

    keras.utils.set_random_seed(0)
    model = keras.applications.VGG16(weights=None, input_shape=(224, 224, 3))
    acc = access(model)
    acc.cache.resize(cache_mb * 2**20)
    rng = np.random.default_rng(0)
    images = [(rng.random((224, 224, 3)) * 255).astype(np.uint8) for _ in range(n_images)]
    start = rss_mb()
    av = ActivationViewer(model, images)
    gc = GradCAMViewer(model, images)
    layers = [v for _, v in av._layer_dd.options]
    cam_layers = [v for _, v in gc._layer_dd.options]
    samples = []
    for k in range(n_images):
        av._image_dd.value = k
        gc._image_dd.value = k
        for p in layers:  # every layer of this image, through the layer menu
            av._layer_dd.value = p
        gc._layer_dd.value = cam_layers[k % len(cam_layers)]
        samples.append(rss_mb())
    return {
        "model": "VGG16(weights=None) 224x224",
        "through": "ActivationViewer + GradCAMViewer (image menu, layer menu)",
        "images": n_images, "layers": len(layers),
        "cache_limit_mb": cache_mb,
        "cache_held_mb": acc.cache.nbytes / 2**20,
        "rss_after_model_and_images_mb": start,
        "rss_peak_mb": max(samples), "rss_final_mb": samples[-1],
        "rss_growth_mb": max(samples) - start,
        "rss_growth_last_50_images_mb": samples[-1] - samples[-51],
        "rss_per_image_mb": [round(v, 1) for v in samples],
    }


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--cache-mb", type=int, default=512)
    ap.add_argument("--images", type=int, default=100)
    ap.add_argument("--through", choices=["compute", "widgets"], default="compute")
    a = ap.parse_args()
    if a.through == "widgets":
        out = through_widgets(a.cache_mb, a.images)
        path = write("memory_widgets", out)
        print(f"widgets: cache limit {out['cache_limit_mb']} MB, held "
              f"{out['cache_held_mb']:.0f} MB; RSS after model+images "
              f"{out['rss_after_model_and_images_mb']:.0f} MB, peak {out['rss_peak_mb']:.0f} MB,"
              f" final {out['rss_final_mb']:.0f} MB -> {path}")
        raise SystemExit(0)
    out = main(a.cache_mb, a.images)
    path = write("memory", out)
    print(f"cache limit {out['cache_limit_mb']} MB, held {out['cache_held_mb']:.0f} MB; RSS after "
          f"model {out['rss_after_model_mb']:.0f} MB, peak {out['rss_peak_mb']:.0f} MB, final "
          f"{out['rss_final_mb']:.0f} MB (unbounded cache would hold "
          f"{out['unbounded_would_hold_mb']:.0f} MB) -> {path}")
