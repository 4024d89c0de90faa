"""Grad-CAM speed, side by side in one run: convviz_widgets against the model's own forward pass,
tf-keras-vis ``Gradcam`` and the plain Keras-example recipe (sub-model + GradientTape).

Model: ``keras.applications.VGG16(weights=None)`` at 224×224 (structure only; weights do not
change the cost). Every figure is the median of several repeats after warm-up; ratios are to the
compiled forward pass of one image, the physical floor of anything that has to run the model.

Targets from issue 5: fresh Grad-CAM ≤ 1.3×, five targets ≤ 2×, class switch (head only) ≤ 0.25×.

    python benchmarks/bench_gradcam.py [--repeats 7] [--out benchmarks/results/gradcam.json]
    TF_ENABLE_ONEDNN_OPTS=0 python benchmarks/bench_gradcam.py   # -> gradcam_onednn_off.json

Run it with oneDNN off and on: TensorFlow's CPU kernels differ between the two (issue 11 found
the five-target case 3-4x slower with oneDNN off, from Eigen's batched dense-layer gradient),
and the JSON records which one ran and on which CPU.

This is a measurement, not a test: nothing here asserts.
"""

from __future__ import annotations

import argparse
import json
import warnings
import os
import platform
import statistics
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

import convviz_widgets  # noqa: E402
from convviz_widgets.compute.cam import default_layer, gradcam  # noqa: E402

LAYER = "block5_conv3"
TARGETS = {"fresh": 1.3, "five_targets": 2.0, "class_switch": 0.25}


def interleaved(cases: dict, rounds: int, warmup: int = 2) -> dict:
    """Median wall times (s) of each case, measured round-robin.

    The machine is shared, so load drifts over a run; timing every case once per round (instead
    of one case after the other) exposes all of them to the same drift and keeps the ratios
    honest. ``cases`` maps a name to ``(fn, setup)``; ``setup(i)`` prepares an untimed argument
    (e.g. a fresh image) or is ``None``.
    """
    for _ in range(warmup):
        for fn, setup in cases.values():
            fn(setup()) if setup else fn()
    times: dict[str, list] = {name: [] for name in cases}
    for _ in range(rounds):
        for name, (fn, setup) in cases.items():
            arg = setup() if setup else None
            t0 = time.perf_counter()
            fn(arg) if setup else fn()
            times[name].append(time.perf_counter() - t0)
    return {name: {"median_s": statistics.median(t), "min_s": min(t), "times_s": t}
            for name, t in times.items()}


def keras_example_recipe(model, layer_name):
    """The Keras "Grad-CAM class activation visualization" example, as written there (eager)."""
    grad_model = keras.models.Model(model.inputs, [model.get_layer(layer_name).output,
                                                   model.output])

    def run(img_array, pred_index=None):
        with tf.GradientTape() as tape:
            last_conv_layer_output, preds = grad_model(img_array)
            if pred_index is None:
                pred_index = tf.argmax(preds[0])
            class_channel = preds[:, pred_index]
        grads = tape.gradient(class_channel, last_conv_layer_output)
        pooled_grads = tf.reduce_mean(grads, axis=(0, 1, 2))
        heatmap = last_conv_layer_output[0] @ pooled_grads[..., tf.newaxis]
        heatmap = tf.squeeze(heatmap)
        heatmap = tf.maximum(heatmap, 0) / tf.math.reduce_max(heatmap)
        return heatmap.numpy()

    return run


def _cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=7)
    ap.add_argument("--size", type=int, default=224)
    onednn_off = os.environ.get("TF_ENABLE_ONEDNN_OPTS", "").strip() == "0"
    default_out = "gradcam_onednn_off.json" if onednn_off else "gradcam.json"
    ap.add_argument("--out", default=str(Path(__file__).parent / "results" / default_out))
    args = ap.parse_args()

    # Keras warns that a list-input functional model got a bare tensor; harmless here.
    warnings.filterwarnings("ignore", message="The structure of `inputs`")
    keras.utils.set_random_seed(0)
    size = args.size
    model = keras.applications.VGG16(weights=None, input_shape=(size, size, 3))
    rng = np.random.default_rng(0)

    def new_image():
        return rng.random((size, size, 3), dtype=np.float32)

    # The floor: one compiled forward pass of one image.
    fwd = tf.function(lambda x: model(x, training=False), autograph=False)
    x0 = tf.constant(new_image()[None])

    assert default_layer(model) == LAYER
    five = [0, 1, 2, 3, 4]
    seen = new_image()
    gradcam(model, seen)  # the image is on screen: its block5_conv3 features are cached
    classes = iter(range(10, 1000))
    recipe = keras_example_recipe(model, LAYER)
    cases = {
        "forward": (lambda: fwd(x0).numpy(), None),
        # A new image each time: nothing cached, the full cost a user sees on a new picture.
        "fresh": (lambda img: gradcam(model, img), new_image),
        "five_targets": (lambda img: gradcam(model, img, target=five), new_image),
        # Same image, another class: the widget's class switch (head only).
        "class_switch": (lambda: gradcam(model, seen, target=next(classes)), None),
        "keras_example": (lambda img: recipe(img[None]), new_image),
    }
    peer_error = None
    try:
        from tf_keras_vis.gradcam import Gradcam
        from tf_keras_vis.utils.model_modifiers import ReplaceToLinear
        from tf_keras_vis.utils.scores import CategoricalScore

        tkv = Gradcam(model, model_modifier=ReplaceToLinear(), clone=True)
        cases["tf_keras_vis"] = (
            lambda img: tkv(CategoricalScore([1]), img[None], penultimate_layer=LAYER), new_image)
        # tf-keras-vis explains one score per call for one image; five classes are five calls.
        cases["tf_keras_vis_five_targets"] = (
            lambda img: [tkv(CategoricalScore([k]), img[None], penultimate_layer=LAYER)
                         for k in five], new_image)
    except Exception as exc:  # noqa: BLE001 - a peer failing is a result, not a crash
        peer_error = f"{type(exc).__name__}: {exc}"
    results = interleaved(cases, args.repeats)
    if peer_error:
        results["tf_keras_vis"] = {"error": peer_error}

    base = results["forward"]["median_s"]
    ratios = {k: v["median_s"] / base for k, v in results.items() if "median_s" in v}
    report = {
        "benchmark": "gradcam",
        "model": f"keras.applications.VGG16(weights=None) at {size}x{size}, layer {LAYER}",
        "repeats": args.repeats,
        "statistic": "median wall time after warm-up, cases interleaved round-robin",
        "seconds": {k: v.get("median_s") for k, v in results.items()},
        "ratio_to_forward": ratios,
        "targets": {k: {"ratio": ratios.get(k), "limit": lim,
                        "met": ratios.get(k) is not None and ratios[k] <= lim}
                    for k, lim in TARGETS.items()},
        "raw": results,
        "environment": {
            "python": platform.python_version(), "tensorflow": tf.__version__,
            "keras": keras.__version__, "convviz_widgets": convviz_widgets.__version__,
            "cpu_count": os.cpu_count(), "machine": platform.machine(), "cpu": _cpu_name(),
            "TF_ENABLE_ONEDNN_OPTS": os.environ.get("TF_ENABLE_ONEDNN_OPTS", "(default)"),
        },
    }
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2) + "\n")
    width = max(map(len, ratios))
    lines = [f"{k:<{width}}  {results[k]['median_s'] * 1e3:8.1f} ms  {r:6.3f}x forward"
             for k, r in ratios.items()]
    onednn = os.environ.get("TF_ENABLE_ONEDNN_OPTS", "(default)")
    print(f"{_cpu_name()}, TF_ENABLE_ONEDNN_OPTS={onednn}")
    print("\n".join(lines) + f"\nwritten to {out}")


if __name__ == "__main__":
    main()
