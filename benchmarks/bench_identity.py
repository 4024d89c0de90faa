"""Cost of one :func:`convviz_widgets.compute.weights_identity` call (every cache hit pays it).

The identity is read from the weights themselves at each call (nothing of Keras is patched), so
its cost matters: it is paid by every re-read of a cached activation, CAM map or pattern.
Models: the demo model, ``VGG16(weights=None)`` (138 M values: its two smallest kernels and
every bias are read whole, 51,880 values; the other 14 kernels through their first 4,096 values
and sampled rows, see ``_identity.fingerprint_tensor``) and ``ResNet50(weights=None)`` at 128²
(320 variables, 25.6 M values, 1.1 M of them read: 267 vectors and 18 kernels of at most
65,536 values whole, 35 kernels sampled), the deep case: its cost is the passes over the
values read and the ops per variable, not the model's size.

    python benchmarks/bench_identity.py [--rounds 20]

Writes ``results/identity_onednn_<on|off>.json``. A measurement, not a test.
"""

from __future__ import annotations

import argparse
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402

import convviz_widgets as cv  # noqa: E402
from convviz_widgets.compute import weights_identity  # noqa: E402

from _common import environment, paired, write_result  # noqa: E402


def main() -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=20)
    args = ap.parse_args()
    models = {"demo": cv.demo_model(), "vgg16": keras.applications.VGG16(weights=None),
              "resnet50_128": keras.applications.ResNet50(weights=None,
                                                          input_shape=(128, 128, 3))}
    cases = {name: (lambda _, m=m: weights_identity(m), None) for name, m in models.items()}
    res = paired(cases, args.rounds, warmup=2)
    path = write_result("identity", {"benchmark": "identity", "per_call": res})
    env = environment()
    print(f"{env['cpu']} ({env['cpu_flags']}), oneDNN {env['onednn']}, load {env['load_1min']:.1f}")
    for name, r in res.items():
        print(f"weights_identity({name}): wall {r['wall_s']['median'] * 1e3:.2f} ms "
              f"(q1 {r['wall_s']['q1'] * 1e3:.2f}, q3 {r['wall_s']['q3'] * 1e3:.2f}), "
              f"CPU {r['cpu_s']['median'] * 1e3:.2f} ms")
    print(f"written to {path}")
    return res


if __name__ == "__main__":
    main()
