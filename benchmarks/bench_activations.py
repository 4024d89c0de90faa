"""Activation capture against the model's own forward pass: VGG16 224 px and ResNet50 128 px.

Measured the way every benchmark here measures (``_common.paired``): each round runs every case
once on a fresh image, in a rotating order, in one process; ratios are paired per round to the
same round's compiled forward pass, median and quartiles, wall and CPU. Cases:

* ``ours_all`` — ``cv.activations(model, x, cache=False)``: every spatial layer (VGG16: every
  conv layer), one pass (issue 27's figure: ResNet50 ≤ 1.2×);
* ``ours_viewer`` — ``cv.activations(model, x, <one layer>)`` with the cache on, a new image each
  round: what a viewer pays (a miss captures every spatial layer for the next layer change).
  The model's cache is bounded at :data:`STEADY_BYTES` for these rounds, so it is full from
  the third image on and each miss evicts an entry, as in a long session. With the default
  512 MB and an empty cache it grew by every round's maps (ResNet50 128²: ~47 MB, ~12,000
  page faults of fresh memory per image), and the memory it took was what the other cases'
  freed maps would have been reused for: they page-faulted in its place, by rotation order
  (ResNet50 ``ours_all`` 1.18–2.36× in one run, ``plain_all`` 1.26–3.79×; session 38);
* ``viewer_filling`` (reported apart, ``fill``) — the same viewer miss while the default-size
  cache fills from empty, paired with the forward pass: the first images of a session, when
  every image's maps need memory the process has never touched;
* ``plain_all`` — a plain Keras multi-output model returning the same maps (no copies):
  the floor of returning them, since TensorFlow cannot fuse a convolution with its batch norm
  and activation when all three outputs are wanted;
* ``plain_fusable`` (ResNet50) — the same, returning only the maps that end a fusable group
  (activations, adds, pooling): how much of the gap is the lost fusion.

Weights are ``weights=None`` (structure only; nothing is downloaded). This is a measurement,
not a test: nothing here asserts.

    TF_ENABLE_ONEDNN_OPTS=0 python benchmarks/bench_activations.py   # -> activations_onednn_off.json
    TF_ENABLE_ONEDNN_OPTS=1 python benchmarks/bench_activations.py   # -> activations_onednn_on.json
"""

from __future__ import annotations

import argparse

import _common  # noqa: F401  (sets the TF log level first)
import keras
import numpy as np
import tensorflow as tf

import convviz_widgets as cv
from _common import environment, load, paired, print_paired, write_result

#: The cache bound of the paired rounds (two or three entries of any model measured here).
STEADY_BYTES = 128 * 2**20
#: Rounds of the fill measure: images whose maps all fit in the default cache.
FILL_ROUNDS = 6

#: Layer kinds whose output ends a group TensorFlow fuses (conv + bias + batch norm + ReLU).
GROUP_ENDS = ("Activation", "ReLU", "Add", "MaxPooling2D", "ZeroPadding2D",
              "GlobalAveragePooling2D")


def _plain(model, paths):
    """A compiled multi-output Keras model returning ``paths``' maps (NumPy views, no copies)."""
    sub = keras.Model(model.inputs, [model.get_layer(p).output for p in paths])
    fn = tf.function(lambda t: sub(t, training=False), autograph=False)
    return lambda img: [np.asarray(o) for o in fn(tf.constant(img))]


def measure(model, size: int, rounds: int, paths, one_layer: str, fusable=None) -> dict:
    """Paired cases for one model; ``paths`` are the layers ``ours_all`` captures."""
    rng = np.random.default_rng(0)

    def new_image():
        return rng.random((1, size, size, 3), dtype=np.float32)

    fwd = tf.function(lambda t: model(t, training=False), autograph=False)
    cases = {
        "forward": (lambda img: fwd(tf.constant(img)).numpy(), new_image),
        "ours_all": (lambda img: cv.activations(model, img, list(paths), cache=False),
                     new_image),
        "ours_viewer": (lambda img: cv.activations(model, img, one_layer), new_image),
        "plain_all": (_plain(model, paths), new_image),
    }
    if fusable:
        cases["plain_fusable"] = (_plain(model, fusable), new_image)
    before = load()
    cache = cv.compute.access(model).cache
    default_bytes = cache.max_bytes
    cache.resize(STEADY_BYTES)
    try:
        res = paired(cases, rounds, warmup=2, base="forward")
    finally:
        cache.resize(default_bytes)
    cv.clear_cache(model)
    fill = paired({"forward": cases["forward"], "viewer_filling": cases["ours_viewer"]},
                  min(rounds, FILL_ROUNDS), warmup=0, base="forward")
    cv.clear_cache(model)
    return {"layers_captured": len(paths), "fusable_outputs": len(fusable or ()),
            "steady_cache_bytes": STEADY_BYTES, "load_before": before, "load_after": load(),
            "cases": res, "fill": fill}


def main() -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=9, help="rounds (every case once per round)")
    ap.add_argument("--skip-resnet", action="store_true")
    ap.add_argument("--skip-vgg", action="store_true")
    args = ap.parse_args()
    out = {"benchmark": "activations",
           "statistic": "per round every case once (rotating order, fresh image), paired "
                        "ratios to the same round's forward pass: median and quartiles",
           "goals": {"resnet50_128.ours_all": 1.2, "vgg16_224.ours_all": 1.2}}
    if not args.skip_vgg:
        keras.utils.set_random_seed(0)
        vgg = keras.applications.VGG16(weights=None, input_shape=(224, 224, 3))
        conv = [i.path for i in cv.conv_layers(vgg, kind="kernel")]
        out["vgg16_224"] = {"model": "keras.applications.VGG16(weights=None), 224x224x3",
                            **measure(vgg, 224, args.repeats, conv, "block5_conv3")}
    if not args.skip_resnet:
        keras.utils.set_random_seed(0)
        res = keras.applications.ResNet50(weights=None, input_shape=(128, 128, 3))
        paths = cv.compute.spatial_paths(res)
        ends = [p for p in paths if type(res.get_layer(p)).__name__ in GROUP_ENDS]
        out["resnet50_128"] = {"model": "keras.applications.ResNet50(weights=None), 128x128x3",
                               **measure(res, 128, args.repeats, paths, "conv3_block1_out",
                                         ends)}
    path = write_result("activations", out)
    env = environment()
    print(f"{env['cpu']} ({env['cpu_flags']}), oneDNN {env['onednn']}, {args.repeats} rounds")
    for name in ("vgg16_224", "resnet50_128"):
        if name not in out:
            continue
        m = out[name]
        print(f"{name}: {m['layers_captured']} layers, load {m['load_before']:.1f} -> "
              f"{m['load_after']:.1f}")
        print_paired(m["cases"], width=14, indent="  ")
        print_paired({"viewer_filling": m["fill"]["viewer_filling"]}, width=14, indent="  ")
    print(f"written to {path}")
    return out


if __name__ == "__main__":
    main()
