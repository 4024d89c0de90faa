"""Activation capture on VGG16 (weights=None) at 224×224 and ResNet50 at 128×128, in one run.

Measures, for one image:
* the model's own compiled forward pass (the physical floor);
* ours: every conv layer captured in one pass (cache disabled), and a cached re-read;
* the plain recipe of the lessons: a multi-output ``keras.Model(model.input, [l.output ...])``
  (works here only because VGG16 is a flat functional model), called directly and via predict.

ResNet50 (``--skip-resnet`` to leave it out): all 174 spatial layers (convolutions, batch norms,
activations, adds) captured fresh, against the forward pass and a plain multi-output sub-model;
a deep residual model is where capture overheads (copies of every map, a separate pass over the
weights) show.

Run: ``python benchmarks/bench_activations.py`` (writes benchmarks/results/activations.json);
compare ``TF_ENABLE_ONEDNN_OPTS=0`` and ``=1``.
"""

from __future__ import annotations

import _common  # noqa: F401  (sets TF log level first)
import numpy as np
import tensorflow as tf

import keras

import convviz_widgets as cv
from _common import timeit, write


def main() -> dict:
    keras.utils.set_random_seed(0)
    model = keras.applications.VGG16(weights=None, input_shape=(224, 224, 3))
    x = np.random.default_rng(0).random((1, 224, 224, 3)).astype(np.float32)
    conv = [i.path for i in cv.conv_layers(model, kind="kernel")]

    forward = tf.function(lambda t: model(t, training=False))
    xt = tf.constant(x)
    t_forward = timeit(lambda: forward(xt).numpy())

    def ours_fresh():
        return cv.activations(model, x, conv, cache=False)

    t_fresh = timeit(ours_fresh)
    cv.activations(model, x, conv)  # fill the cache
    t_cached = timeit(lambda: cv.activations(model, x, conv), repeats=20)
    t_cached_one = timeit(lambda: cv.activations(model, x, "block5_conv3"), repeats=20)

    sub = keras.Model(model.inputs, [model.get_layer(p).output for p in conv])
    sub_fn = tf.function(lambda t: sub(t, training=False))
    t_plain = timeit(lambda: [o.numpy() for o in sub_fn(xt)])
    t_plain_predict = timeit(lambda: sub.predict(x, verbose=0), repeats=5)

    f = t_forward["median_s"]
    res = {
        "model": "keras.applications.VGG16(weights=None), 224x224x3, batch 1",
        "layers_captured": len(conv),
        "forward_pass": t_forward,
        "ours_all_conv_layers_fresh": t_fresh,
        "ours_cached_reread_all_conv": t_cached,
        "ours_cached_reread_one_layer": t_cached_one,
        "plain_submodel_call": t_plain,
        "plain_submodel_predict": t_plain_predict,
        "ratios_to_forward": {
            "ours_fresh": t_fresh["median_s"] / f,
            "plain_submodel_call": t_plain["median_s"] / f,
            "plain_submodel_predict": t_plain_predict["median_s"] / f,
        },
        "cached_reread_ms": {"all_conv": 1e3 * t_cached["median_s"],
                             "one_layer": 1e3 * t_cached_one["median_s"]},
        "goals": {"ours_fresh_over_forward_max": 1.2, "cached_reread_ms_max": 5.0},
    }
    return res


def resnet(repeats: int = 7) -> dict:
    """ResNet50(weights=None) at 128×128: every spatial layer fresh vs one forward pass."""
    keras.utils.set_random_seed(0)
    model = keras.applications.ResNet50(weights=None, input_shape=(128, 128, 3))
    x = np.random.default_rng(0).random((1, 128, 128, 3)).astype(np.float32)
    paths = cv.compute.spatial_paths(model)
    forward = tf.function(lambda t: model(t, training=False))
    xt = tf.constant(x)
    t_forward = timeit(lambda: forward(xt).numpy(), repeats=repeats)
    t_fresh = timeit(lambda: cv.activations(model, x, cache=False), repeats=repeats)
    sub = keras.Model(model.inputs, [model.get_layer(p).output for p in paths])
    sub_fn = tf.function(lambda t: sub(t, training=False))
    t_plain = timeit(lambda: [o.numpy() for o in sub_fn(xt)], repeats=repeats)
    f = t_forward["median_s"]
    return {"model": "keras.applications.ResNet50(weights=None), 128x128x3, batch 1",
            "layers_captured": len(paths), "forward_pass": t_forward,
            "ours_all_spatial_layers_fresh": t_fresh, "plain_submodel_call": t_plain,
            "ratios_to_forward": {"ours_fresh": t_fresh["median_s"] / f,
                                  "plain_submodel_call": t_plain["median_s"] / f},
            "goals": {"ours_fresh_over_forward_max": 1.2}}


if __name__ == "__main__":
    import os
    import sys

    out = main()
    if "--skip-resnet" not in sys.argv:
        out["resnet50_128"] = resnet()
    out["onednn"] = os.environ.get("TF_ENABLE_ONEDNN_OPTS", "default")
    path = write("activations", out)
    r = out["ratios_to_forward"]
    print(f"forward {1e3 * out['forward_pass']['median_s']:.1f} ms | ours fresh "
          f"{r['ours_fresh']:.2f}x | plain sub-model {r['plain_submodel_call']:.2f}x | "
          f"predict {r['plain_submodel_predict']:.2f}x | cached re-read "
          f"{out['cached_reread_ms']['all_conv']:.2f} ms (all 13), "
          f"{out['cached_reread_ms']['one_layer']:.2f} ms (one) -> {path}")
    if "resnet50_128" in out:
        rr = out["resnet50_128"]
        print(f"ResNet50 128px: forward {1e3 * rr['forward_pass']['median_s']:.1f} ms | "
              f"ours fresh ({rr['layers_captured']} layers) "
              f"{rr['ratios_to_forward']['ours_fresh']:.2f}x | plain sub-model "
              f"{rr['ratios_to_forward']['plain_submodel_call']:.2f}x")
