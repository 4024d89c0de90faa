"""What a user feels: the first Grad-CAM and the first maximization of a fresh Python process.

The first call pays tracing and compiling (``tf.function``) on top of the work itself; the
second call on a new input pays only the work. Each measurement runs in its own new interpreter
(a subprocess), because a process that has compiled anything once is no longer fresh.
Models: ``VGG16(weights=None)`` at 224² (Grad-CAM of ``block5_conv3``) and the demo model
(maximizing 8 filters of ``block3_conv2``, 64², 32 steps). The model is built before the clock
starts: building it is the user's cost, not ours.

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
what = sys.argv[1]
rng = np.random.default_rng(0)
out = {}
if what == "gradcam":
    model = keras.applications.VGG16(weights=None)
    fwd_model = keras.applications.VGG16(weights=None)  # a separate model: no shared traces
    def timed(fn):
        t0, c0 = time.perf_counter(), time.process_time()
        fn()
        return time.perf_counter() - t0, time.process_time() - c0
    out["first_forward"] = timed(lambda: fwd_model.predict(rng.random((1, 224, 224, 3), np.float32), verbose=0))
    out["first"] = timed(lambda: cv.gradcam(model, rng.random((224, 224, 3), np.float32)))
    out["second"] = timed(lambda: cv.gradcam(model, rng.random((224, 224, 3), np.float32)))
else:
    model = cv.demo_model()
    def run(seed):
        cv.maximize(model, "block3_conv2", list(range(8)), size=64, steps=32, seed=seed, cache=False)
    def timed(fn):
        t0, c0 = time.perf_counter(), time.process_time()
        fn()
        return time.perf_counter() - t0, time.process_time() - c0
    out["first"] = timed(lambda: run(0))
    out["second"] = timed(lambda: run(1))
print("RESULT " + json.dumps(out))
"""


def _child(what: str) -> dict:
    proc = subprocess.run([sys.executable, "-c", _CHILD, what], capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": os.pathsep.join(
                              [str(Path(__file__).resolve().parents[1])]
                              + [p for p in [os.environ.get("PYTHONPATH")] if p])},
                          check=True)
    line = [ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT ")][-1]
    return json.loads(line[len("RESULT "):])


def main() -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=2, help="fresh processes per case")
    args = ap.parse_args()
    report = {"benchmark": "first_call", "runs": args.runs,
              "statistic": "median over fresh processes; [wall s, CPU s] of each call"}
    for what in ("gradcam", "maximize"):
        runs = [_child(what) for _ in range(args.runs)]
        report[what] = {k: {"wall_s": statistics.median(r[k][0] for r in runs),
                            "cpu_s": statistics.median(r[k][1] for r in runs)}
                        for k in runs[0]}
    path = write_result("first_call", report)
    env = environment()
    print(f"{env['cpu']} ({env['cpu_flags']}), oneDNN {env['onednn']}, load {env['load_1min']:.1f}")
    for what in ("gradcam", "maximize"):
        for k, v in report[what].items():
            print(f"{what:<9} {k:<14} wall {v['wall_s']:.2f} s, CPU {v['cpu_s']:.2f} s")
    print(f"written to {path}")
    return report


if __name__ == "__main__":
    main()
