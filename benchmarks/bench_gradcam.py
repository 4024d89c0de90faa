"""Grad-CAM speed, side by side in one run: convviz_widgets against the model's own forward pass,
tf-keras-vis ``Gradcam`` and the plain Keras-example recipe (sub-model + GradientTape).

Model: ``keras.applications.VGG16(weights=None)`` at 224×224 (structure only; weights do not
change the cost). Every figure is the median of several repeats after warm-up; ratios are to the
compiled forward pass of one image, the physical floor of anything that has to run the model.

Targets (issue 27): fresh Grad-CAM ≤ 1.2×, five targets ≤ 2×, class switch (head only) ≤ 0.25×.
Every side gets a fresh image each round (the forward too), the sides alternate in one process,
and the ratios are paired per round (see ``_common.paired``), wall and CPU.

    python benchmarks/bench_gradcam.py [--repeats 7]   # -> results/gradcam_onednn_on.json
    TF_ENABLE_ONEDNN_OPTS=0 python benchmarks/bench_gradcam.py   # -> gradcam_onednn_off.json

The breakdown is part of the same run (``--no-breakdown`` leaves it out), so it cannot disagree
with the headline figures: the capture alone, the head alone on a cached map, the weights
identity, and the floor — forward and gradient in one compiled function written by hand.

Run it with oneDNN off and on: TensorFlow's CPU kernels differ between the two (issue 11 found
the five-target case 3-4x slower with oneDNN off, from Eigen's batched dense-layer gradient),
and the JSON records which one ran and on which CPU.

This is a measurement, not a test: nothing here asserts.
"""

from __future__ import annotations

import argparse
import os
import warnings

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

import convviz_widgets  # noqa: E402
from convviz_widgets.compute import access  # noqa: E402
from convviz_widgets.compute.cam import default_layer, gradcam  # noqa: E402
from convviz_widgets.compute.cam._engine import _capture_fn, _head_fn, _meta  # noqa: E402

from _common import environment, load, paired, print_paired, write_result  # noqa: E402

LAYER = "block5_conv3"
TARGETS = {"fresh": 1.2, "five_targets": 2.0, "class_switch": 0.25}


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


def compiled_floor(model, layer_name):
    """The floor of a fresh Grad-CAM: one compiled forward pass that also returns the gradient
    of the top class with respect to the layer (the Keras recipe inside ``tf.function``)."""
    grad_model = keras.models.Model(model.inputs, [model.get_layer(layer_name).output,
                                                   model.output])

    @tf.function(autograph=False)
    def run(x):
        with tf.GradientTape() as tape:
            a, preds = grad_model(x, training=False)
            score = tf.reduce_max(preds[0])
        return a, preds, tape.gradient(score, a)

    return lambda img: [t.numpy() for t in run(tf.constant(img[None]))]


def main() -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=7, help="rounds (every case once per round)")
    ap.add_argument("--size", type=int, default=224)
    ap.add_argument("--no-peers", action="store_true", help="skip tf-keras-vis and the recipe")
    ap.add_argument("--no-breakdown", action="store_true",
                    help="skip the parts (capture, head, weights identity, compiled floor)")
    args = ap.parse_args()

    # Keras warns that a list-input functional model got a bare tensor; harmless here.
    warnings.filterwarnings("ignore", message="The structure of `inputs`")
    keras.utils.set_random_seed(0)
    size = args.size
    model = keras.applications.VGG16(weights=None, input_shape=(size, size, 3))
    rng = np.random.default_rng(0)

    def new_image():
        return rng.random((size, size, 3), dtype=np.float32)

    # The floor: one compiled forward pass of one image, fed like every other side (a fresh
    # numpy image, converted inside the timed call): timing the forward on a prepared tensor
    # made every ratio ~0.3x worse than a paired breakdown of the same Grad-CAM said.
    fwd = tf.function(lambda x: model(x, training=False), autograph=False)

    assert default_layer(model) == LAYER
    five = [0, 1, 2, 3, 4]
    seen = new_image()
    gradcam(model, seen)  # the image is on screen: its block5_conv3 features are cached
    classes = iter(range(10, 1000))
    cases = {
        "forward": (lambda img: fwd(tf.constant(img[None])).numpy(), new_image),
        # A new image each time: nothing cached, the full cost a user sees on a new picture.
        "fresh": (lambda img: gradcam(model, img), new_image),
        "five_targets": (lambda img: gradcam(model, img, target=five), new_image),
        # Same image, another class: the widget's class switch (head only).
        "class_switch": (lambda _: gradcam(model, seen, target=next(classes)), None),
    }
    if not args.no_breakdown:
        acc = access(model)
        meta = _meta(acc)
        capture = _capture_fn(acc, LAYER, None)
        head = _head_fn(acc, LAYER, None, meta, 0)
        a_seen = tf.constant(capture(tf.constant(seen[None]))[0])
        x_seen, top = tf.constant(seen[None]), tf.constant([-1], tf.int32)
        cases.update({
            # The parts, each fed like the whole: what a fresh call costs beyond the floor.
            "part_capture": (lambda img: [t.numpy() for t in tf.nest.flatten(
                capture(tf.constant(img[None])))], new_image),
            "part_head": (lambda _: [t.numpy() for t in head(x_seen, a_seen, top)], None),
            "part_weights_identity": (lambda _: acc.weights_version(), None),
            "floor_fwd_grad": (compiled_floor(model, LAYER), new_image),
        })
    peer_error = None
    if not args.no_peers:
        recipe = keras_example_recipe(model, LAYER)
        cases["keras_example"] = (lambda img: recipe(img[None]), new_image)
        try:
            from tf_keras_vis.gradcam import Gradcam
            from tf_keras_vis.utils.model_modifiers import ReplaceToLinear
            from tf_keras_vis.utils.scores import CategoricalScore

            tkv = Gradcam(model, model_modifier=ReplaceToLinear(), clone=True)
            cases["tf_keras_vis"] = (
                lambda img: tkv(CategoricalScore([1]), img[None], penultimate_layer=LAYER),
                new_image)
            # tf-keras-vis explains one score per call for one image; five classes are five calls.
            cases["tf_keras_vis_five_targets"] = (
                lambda img: [tkv(CategoricalScore([k]), img[None], penultimate_layer=LAYER)
                             for k in five], new_image)
        except Exception as exc:  # noqa: BLE001 - a peer failing is a result, not a crash
            peer_error = f"{type(exc).__name__}: {exc}"
    load_before = load()
    results = paired(cases, args.repeats, warmup=2, base="forward")
    report = {
        "benchmark": "gradcam",
        "model": f"keras.applications.VGG16(weights=None) at {size}x{size}, layer {LAYER}",
        "statistic": "per round every case once (rotating order, fresh image), paired ratios "
                     "to the same round's forward pass: median and quartiles, wall and CPU",
        "cases": results,
        "targets": {k: {"ratio_wall": results[k]["ratio_wall"]["median"],
                        "ratio_cpu": results[k]["ratio_cpu"]["median"], "limit": lim,
                        "met": results[k]["ratio_wall"]["median"] <= lim}
                    for k, lim in TARGETS.items()},
        "peer_error": peer_error,
        "load_before": load_before,
        "convviz_widgets": convviz_widgets.__version__,
    }
    path = write_result("gradcam", report)
    env = environment()
    print(f"{env['cpu']} ({env['cpu_flags']}), oneDNN {env['onednn']}, load "
          f"{report['load_before']:.1f} -> {env['load_1min']:.1f}, {args.repeats} rounds")
    print_paired(results)
    print(f"written to {path}")
    return report


if __name__ == "__main__":
    main()
