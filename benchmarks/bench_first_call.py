"""What a user feels: the first Grad-CAM and the first maximization of a fresh Python process.

The first call pays tracing and compiling (``tf.function``) on top of the work itself; the
second call on a new input pays only the work. Each measurement runs in its own new interpreter
(a subprocess), because a process that has compiled anything once is no longer fresh.
Both calls on both models: Grad-CAM (default layer: the last convolution) of
``VGG16(weights=None)`` at 224² and of the demo model at its input size, next to the first
``predict`` of a clone (the forward's own compile); maximization of 8 filters of the demo's
``block3_conv2`` (64², 32 steps) and of 4 filters of VGG16's ``block5_conv3`` (224², its fixed
size; 8 steps). The model is built before the clock starts: building it is the user's cost,
not ours. One oneDNN setting per invocation
(``TF_ENABLE_ONEDNN_OPTS``, read by TensorFlow at import; ``run_all.py`` runs both).

    python benchmarks/bench_first_call.py [--runs 2]   # -> results/first_call_onednn_<on|off>.json

A measurement, not a test.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

from _common import environment, write_result

_CHILD = r"""
import json, os, sys, time, warnings
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
warnings.filterwarnings("ignore")
import numpy as np, keras
import convviz_widgets as cv
what, which = sys.argv[1], sys.argv[2]
rng = np.random.default_rng(0)
model = keras.applications.VGG16(weights=None) if which == "vgg16" else cv.demo_model()
size = tuple(model.input_shape[1:3])
def timed(fn):
    t0, c0 = time.perf_counter(), time.process_time()
    fn()
    return time.perf_counter() - t0, time.process_time() - c0
out = {}
if what == "gradcam":
    fwd_model = keras.models.clone_model(model)  # a separate model: no shared traces
    image = lambda: rng.random(size + (3,), np.float32)
    out["first_forward"] = timed(lambda: fwd_model.predict(image()[None], verbose=0))
    out["first"] = timed(lambda: cv.gradcam(model, image()))
    out["second"] = timed(lambda: cv.gradcam(model, image()))
else:
    # VGG16 takes 224² only (include_top); fewer steps there, the compile is what differs.
    layer, n, side, steps = (("block5_conv3", 4, None, 8) if which == "vgg16"
                             else ("block3_conv2", 8, 64, 32))
    def run(seed):
        cv.maximize(model, layer, list(range(n)), size=side, steps=steps, seed=seed, cache=False)
    out["first"] = timed(lambda: run(0))
    out["second"] = timed(lambda: run(1))
print("RESULT " + json.dumps(out))
"""


#: report key -> (what, model). "gradcam" and "maximize" keep the keys run_all.py reads.
_CASES = {"gradcam": ("gradcam", "vgg16"), "gradcam_demo": ("gradcam", "demo"),
          "maximize": ("maximize", "demo"), "maximize_vgg16": ("maximize", "vgg16")}


def _child(what: str, which: str) -> dict:
    proc = subprocess.run([sys.executable, "-c", _CHILD, what, which], capture_output=True,
                          text=True,
                          env={**os.environ, "PYTHONPATH": os.pathsep.join(
                              [str(Path(__file__).resolve().parents[1])]
                              + [p for p in [os.environ.get("PYTHONPATH")] if p])},
                          check=False)
    if proc.returncode:
        raise RuntimeError(f"{what} on {which} failed:\n{proc.stderr[-2000:]}")
    line = [ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT ")][-1]
    return json.loads(line[len("RESULT "):])


def main() -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=2, help="fresh processes per case")
    args = ap.parse_args()
    report = {"benchmark": "first_call", "runs": args.runs,
              "statistic": "median over fresh processes; [wall s, CPU s] of each call"}
    for key, (what, which) in _CASES.items():
        runs = [_child(what, which) for _ in range(args.runs)]
        report[key] = {k: {"wall_s": statistics.median(r[k][0] for r in runs),
                            "cpu_s": statistics.median(r[k][1] for r in runs)}
                        for k in runs[0]}
    path = write_result("first_call", report)
    env = environment()
    print(f"{env['cpu']} ({env['cpu_flags']}), oneDNN {env['onednn']}, load {env['load_1min']:.1f}")
    for key in _CASES:
        for k, v in report[key].items():
            print(f"{key:<16} {k:<14} wall {v['wall_s']:.2f} s, CPU {v['cpu_s']:.2f} s")
    print(f"written to {path}")
    return report


if __name__ == "__main__":
    main()
