"""Dataset examples: throughput against the model's own batched forward pass, memory while
streaming a folder, and class purity of late-layer channels — side by side in one run.

* Throughput: images/s of ``cv.dataset_examples`` over every spatial layer, divided by the
  images/s of the model's compiled batched forward pass on the same batches (goal ≥ 0.85: the
  top-k reduction must be nearly free). Demo model over generated scenes; VGG16 ``weights=None``
  at 128 px.
* Memory: resident memory while streaming a folder of PNG files, at 1,000 … N images (goal: flat
  within ±50 MB).
* Quality: on the demo model, the share of the last conv layer's channels whose top-9 images are
  ≥ 70 % one class.

    python benchmarks/bench_dataset_examples.py [--n-demo 10000] [--n-vgg 256] [--n-folder 20000]
        [--repeats 3] [--only demo|vgg]

On any Keras backend (``KERAS_BACKEND=jax``: the ratio is to JAX's own compiled forward pass,
``jax.jit`` through the seam); the result file names a backend other than TensorFlow.

A measurement, not a test: nothing here asserts.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402

import convviz_widgets as cv  # noqa: E402
from convviz_widgets.compute import backend  # noqa: E402
from _common import paired, write_result  # noqa: E402

BATCH = 64


def rss_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def throughput(model, images, layers, repeats: int = 3) -> dict:
    """The model's compiled batched forward pass and ``dataset_examples`` on the same batches,
    alternated in one process (:func:`_common.paired`: ``repeats`` rounds after a warm-up of
    each), wall and CPU time. ``forward.ratio_*`` is forward time ÷ ours per round: our
    throughput as a share of the forward pass's (goal ≥ 0.85). The forward side gets its
    batches as tensors made beforehand (the strictest floor); ours converts the numpy array.
    """
    # The backend's compiled forward (tf.function with reduce_retracing, a stateless jax.jit).
    forward = backend.compile(lambda x: model(x, training=False), model.weights)
    chunks = [keras.ops.convert_to_tensor(images[s:s + BATCH])
              for s in range(0, len(images), BATCH)]

    def run_forward(_):
        with backend.no_grad():
            for c in chunks:
                backend.to_numpy(forward(c))

    def run_ours(_):
        cv.dataset_examples(model, layers, images, k=9, batch_size=BATCH)

    cases = paired({"ours": (run_ours, None), "forward": (run_forward, None)}, repeats,
                   base="ours")
    wall = {n: cases[n]["wall_s"]["median"] for n in cases}
    return {"images": len(images), "layers": len(layers), "batch": BATCH, "repeats": repeats,
            "forward_images_per_s": len(images) / wall["forward"],
            "ours_images_per_s": len(images) / wall["ours"],
            "ratio_wall": cases["forward"]["ratio_wall"], "ratio_cpu": cases["forward"]["ratio_cpu"],
            "cases": cases}


def scenes(n: int, seed: int = 11):
    imgs, labels = [], []
    for s in range(0, n, 1000):
        d = cv.datasets.make_shapes(min(1000, n - s), seed=seed + s)
        imgs.append(d.images.astype(np.float32) if d.images.dtype != np.uint8
                    else d.images.astype(np.float32) / 255.0)
        labels.append(d.labels)
    return np.concatenate(imgs), np.concatenate(labels)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--n-demo", type=int, default=10000)
    ap.add_argument("--n-vgg", type=int, default=256)
    ap.add_argument("--n-folder", type=int, default=20000)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--only", choices=("demo", "vgg"), help="one model's throughput, nothing else")
    args = ap.parse_args()
    out = {"backend": backend.NAME, "onednn": os.environ.get("TF_ENABLE_ONEDNN_OPTS", "default"),
           "load_average_start": os.getloadavg()}

    if args.only == "vgg":
        return only_vgg(args, out)
    demo = cv.demo_model()
    x, y = scenes(args.n_demo)
    spatial = [i.path for i in cv.conv_layers(demo, kind="spatial")]
    out["demo"] = throughput(demo, x, spatial, args.repeats)
    print("demo", out["demo"], flush=True)
    if args.only == "demo":
        return finish(out, "_demo")

    last = [i.path for i in cv.conv_layers(demo, kind="kernel")][-1]
    names = list(cv.demo_images().class_names)
    ex = cv.dataset_examples(demo, last, x[:2000], k=9, labels=y[:2000], class_names=names)
    pure = ex.purity
    out["quality"] = {"layer": last, "images": 2000, "channels": int(len(pure)),
                      "share_top9_at_least_70pct_one_class": float(np.mean(pure >= 0.7)),
                      "never_fire": int(ex.never_fires.sum())}
    print("quality", out["quality"], flush=True)

    vgg_throughput(args, out)

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        u8, _ = scenes(min(args.n_folder, 2000), seed=99)
        u8 = np.clip(u8 * 255 + 0.5, 0, 255).astype(np.uint8)
        for i in range(args.n_folder):  # 2,000 distinct scenes, repeated
            Image.fromarray(u8[i % len(u8)]).save(folder / f"{i:06d}.png")
        marks = [m for m in (1000, 2000, 5000, 10000, 20000, 50000) if m <= args.n_folder]
        curve = {}

        def on_step(done, total):
            for m in marks:
                if done >= m and m not in curve:
                    curve[m] = rss_mb()

        t0 = time.perf_counter()
        cv.dataset_examples(demo, spatial, folder, k=9, batch_size=BATCH, on_step=on_step)
        out["folder_memory"] = {"images": args.n_folder, "seconds": time.perf_counter() - t0,
                                "rss_mb_at": curve,
                                "spread_mb": max(curve.values()) - min(curve.values())}
        print("memory", out["folder_memory"], flush=True)
    finish(out, "")


def vgg_throughput(args, out):
    keras.utils.set_random_seed(0)
    vgg = keras.applications.VGG16(weights=None, input_shape=(128, 128, 3))
    xv = np.random.default_rng(0).random((args.n_vgg, 128, 128, 3)).astype(np.float32)
    vspatial = [i.path for i in cv.conv_layers(vgg, kind="kernel")]
    out["vgg16_128"] = throughput(vgg, xv, vspatial, args.repeats)
    print("vgg16", out["vgg16_128"], flush=True)


def only_vgg(args, out):
    vgg_throughput(args, out)
    finish(out, "_vgg")


def finish(out, part):
    """``results/dataset_examples<part>_onednn_<off|on>.json``, with the environment (CPU
    model, vector units, oneDNN setting, load)."""
    out["load_average_end"] = os.getloadavg()
    tag = "" if backend.NAME == "tensorflow" else f"_{backend.NAME}"
    print(write_result(f"dataset_examples{part}{tag}", out))


if __name__ == "__main__":
    main()
