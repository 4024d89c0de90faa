"""One Keras backend's side of ``bench_backends.py``: run in that backend's own process.

``KERAS_BACKEND`` is set by the caller (Keras reads it once, at import), so this process measures
one backend only; ``bench_backends.py`` starts one per backend, each with its own Python (the
JAX and PyTorch venvs have no TensorFlow). Only the public API is timed (``cv.activations``,
``cv.gradcam`` with its methods), so the figures follow whatever the ports make of it; a
feature a backend does not run yet is recorded as such ("not on this backend yet"), never a
crash.

The reference, per backend, is that backend's own compiled forward pass of one image, fed a
fresh NumPy image converted inside the timed call, exactly like every measured side:

* TensorFlow: ``tf.function(lambda x: model(x, training=False), autograph=False)``;
* JAX: ``jax.jit`` of ``model.stateless_call(trainable, non_trainable, x, training=False)``,
  the variables' values passed as arguments;
* PyTorch: eager ``model(x, training=False)`` under ``torch.no_grad()`` (Keras' torch backend
  runs eagerly; nothing is compiled).

    KERAS_BACKEND=jax python benchmarks/_backend_child.py OUT.json [--rounds 5] [--samples 25]
"""

from __future__ import annotations

import argparse
import collections
import importlib
import json
import os
import subprocess
import sys
import time
import warnings
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
T_START = time.perf_counter()

import keras  # noqa: E402
import numpy as np  # noqa: E402

import convviz_widgets as cv  # noqa: E402

from _backend_floors import plain_gradcam, plain_input_gradient  # noqa: E402
from _common import backend_environment, load, paired  # noqa: E402

IMPORT_S = time.perf_counter() - T_START
BACKEND = keras.backend.backend()
SIGMA = 0.15
FORWARD = {
    "tensorflow": "tf.function(model(x, training=False), autograph=False)",
    "jax": "jax.jit(model.stateless_call(trainable, non_trainable, x, training=False))",
    "torch": "eager model(x, training=False) under torch.no_grad() (nothing compiled)",
}


class CompileMeter:
    """JAX only: seconds and counts of tracing, lowering and XLA compiling, from JAX's own
    monitoring events, so a first call can be split into trace vs compile (and by function)."""

    EVENTS = {"/jax/core/compile/jaxpr_trace_duration": "trace",
              "/jax/core/compile/jaxpr_to_mlir_module_duration": "lower",
              "/jax/core/compile/backend_compile_duration": "xla_compile"}

    def __init__(self):
        self.seconds = collections.Counter()
        self.counts = collections.Counter()
        self.by_fun = collections.Counter()
        self.fun_counts = collections.Counter()
        if BACKEND == "jax":
            import jax.monitoring

            jax.monitoring.register_event_duration_secs_listener(self._on_event)

    def _on_event(self, event, duration, **kwargs):
        kind = self.EVENTS.get(event)
        if kind:
            self.seconds[kind] += duration
            self.counts[kind] += 1
            if kind == "xla_compile":
                name = str(kwargs.get("fun_name", "?"))
                self.by_fun[name] += duration
                self.fun_counts[name] += 1

    def snapshot(self):
        return (collections.Counter(self.seconds), collections.Counter(self.counts),
                collections.Counter(self.by_fun), collections.Counter(self.fun_counts))

    def since(self, snap) -> dict | None:
        if BACKEND != "jax":
            return None
        s0, c0, f0, n0 = snap
        by_fun = self.by_fun - f0
        top = by_fun.most_common(6)
        return {"seconds": {k: round(self.seconds[k] - s0[k], 3) for k in self.EVENTS.values()},
                "counts": {k: self.counts[k] - c0[k] for k in self.EVENTS.values()},
                "top_xla_compiles": [[n, round(s, 3), self.fun_counts[n] - n0[n]]
                                     for n, s in top]}


METER = CompileMeter()


def timed(fn) -> dict:
    """Wall and CPU seconds of one call (and, on JAX, what it spent tracing and compiling)."""
    snap = METER.snapshot()
    t0, c0 = time.perf_counter(), time.process_time()
    out = fn()
    rec = {"wall_s": time.perf_counter() - t0, "cpu_s": time.process_time() - c0}
    jax_part = METER.since(snap)
    if jax_part:
        rec["jax"] = jax_part
    return rec, out


def compiled_forward(model):
    """This backend's own compiled forward pass of one NumPy image (see the module docstring)."""
    if BACKEND == "tensorflow":
        import tensorflow as tf

        fn = tf.function(lambda x: model(x, training=False), autograph=False)
        return lambda img: fn(tf.constant(img[None])).numpy()
    if BACKEND == "jax":
        import jax

        @jax.jit
        def fn(trainable, non_trainable, x):
            return model.stateless_call(trainable, non_trainable, x, training=False)[0]

        def run(img):
            return np.asarray(fn([v.value for v in model.trainable_variables],
                                 [v.value for v in model.non_trainable_variables], img[None]))
        return run
    import torch

    def run(img):
        with torch.no_grad():
            y = model(keras.ops.convert_to_tensor(img[None]), training=False)
        return keras.ops.convert_to_numpy(y)
    return run


def pixel_methods(samples: int, steps: int) -> tuple[dict, str | None]:
    """SmoothGrad with ``samples`` and integrated gradients with ``steps`` (the public classes),
    or why they cannot be had on this backend."""
    try:
        cam = importlib.import_module("convviz_widgets.compute.cam")
        return {"smoothgrad": cam.SmoothGrad(samples=samples, sigma=SIGMA),
                "integrated_gradients": cam.IntegratedGradients(steps=steps)}, None
    except Exception as exc:  # noqa: BLE001 - a missing port is a result
        return {}, f"{type(exc).__name__}: {exc}"[:300]


def build(which: str):
    """The model, built before any of ours runs; ``weights=None``: nothing downloads."""
    keras.utils.set_random_seed(0)
    if which == "vgg16_224":
        return keras.applications.VGG16(weights=None, input_shape=(224, 224, 3)), 224, 1000
    if which == "resnet50_128":
        return keras.applications.ResNet50(weights=None, input_shape=(128, 128, 3)), 128, 1000
    path = Path(cv.__file__).parent / "data" / "demo_model.keras"  # cv.demo_model()'s file
    model = keras.saving.load_model(path, compile=False)
    return model, int(model.input_shape[1]), int(model.output_shape[-1])


def measure(which: str, rounds: int, samples: int, steps: int) -> dict:
    """First calls, then paired alternated rounds, for one model."""
    rec = {}
    first = {}
    first["model_load"], (model, size, classes) = timed(lambda: build(which))
    rng = np.random.default_rng(0)

    def new_image():
        return rng.random((size, size, 3), dtype=np.float32)

    fwd = compiled_forward(model)
    cases = {"forward": (fwd, new_image),
             "activations_all": (lambda img: cv.activations(model, img, cache=False), new_image)}
    missing = {}
    first["activations_all"], acts = timed(lambda: cv.activations(model, new_image(),
                                                                  cache=False))
    rec["layers_captured"] = len(acts)
    try:
        gradcam = cv.gradcam
        first["gradcam_fresh"], _ = timed(lambda: gradcam(model, new_image()))
    except Exception as exc:  # noqa: BLE001 - "not on this backend yet" is a result
        gradcam = None
        why = f"{type(exc).__name__}: {exc}"[:300]
        missing.update(dict.fromkeys(("gradcam_fresh", "class_switch", "smoothgrad",
                                      "integrated_gradients"), why))
    if gradcam is not None:
        seen = new_image()
        gradcam(model, seen)  # on screen: its features are cached, a class click runs the head
        picks = iter(np.arange(10 ** 6) % max(classes - 1, 1) + 1)
        cases["gradcam_fresh"] = (lambda img: gradcam(model, img), new_image)
        first["class_switch"], _ = timed(lambda: gradcam(model, seen, target=int(next(picks))))
        cases["class_switch"] = (lambda _: gradcam(model, seen, target=int(next(picks))), None)
        methods, why = pixel_methods(samples, steps)
        for name, method in methods.items():
            def run(img, method=method):
                return gradcam(model, img, target=1, method=method, cache=False)
            try:
                first[name], _ = timed(lambda run=run: run(new_image()))
                cases[name] = (run, new_image)
            except Exception as exc:  # noqa: BLE001
                missing[name] = f"{type(exc).__name__}: {exc}"[:300]
        for name in ("smoothgrad", "integrated_gradients"):
            if name not in methods and why:
                missing[name] = why
    # The floors: the same work as the plain recipe a user of this backend would write.
    for name, make in (
            ("gradcam_plain", lambda: plain_gradcam(model, cv.compute.cam.default_layer(model))),
            ("smoothgrad_plain", lambda: plain_input_gradient(model, samples, SIGMA, 1))):
        try:
            fn = make()
            first[name], _ = timed(lambda fn=fn: fn(new_image()))
            cases[name] = (fn, new_image)
        except Exception as exc:  # noqa: BLE001 - a model the recipe cannot split
            missing[name] = f"{type(exc).__name__}: {exc}"[:300]
    first["forward"], _ = timed(lambda: fwd(new_image()))
    before = load()
    res = paired(cases, rounds, warmup=1, base="forward")
    for name, n in (("smoothgrad", samples), ("integrated_gradients", steps),
                    ("smoothgrad_plain", samples)):
        if name in res:  # per sample (SmoothGrad) / per path step (integrated gradients)
            res[name]["per_sample"] = {k: {q: v / n for q, v in res[name][k].items()}
                                       for k in ("ratio_wall", "ratio_cpu")}
    rec.update(cases=res, first_call=first, missing=missing, load_before=before,
               load_after=load(), rounds=rounds, samples=samples, steps=steps)
    return rec


def revision() -> str:
    """The checkout measured (commit, branch, and "+changes" if its tree differs from it)."""
    root = Path(__file__).resolve().parents[1]
    def git(*a):
        return subprocess.run(["git", "-C", str(root), *a], capture_output=True, text=True,
                              check=False).stdout.strip()
    dirty = "+changes" if git("status", "--porcelain", "--untracked-files=no", "--", ".",
                              ":!benchmarks/results") else ""
    return f"{git('rev-parse', '--short', 'HEAD')} ({git('rev-parse', '--abbrev-ref', 'HEAD')})" \
        + dirty


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--samples", type=int, default=25,
                    help="SmoothGrad samples (default: SmoothGrad's own default)")
    ap.add_argument("--steps", type=int, default=32,
                    help="integrated-gradients steps (default: IntegratedGradients' own)")
    ap.add_argument("--models", default="demo,resnet50_128,vgg16_224")
    ap.add_argument("--torch-threads", type=int, default=None,
                    help="torch.set_num_threads (PyTorch only): on a loaded machine two OpenMP "
                         "threads spin-wait for each other on every op")
    args = ap.parse_args()
    if args.torch_threads and BACKEND == "torch":
        import torch

        torch.set_num_threads(args.torch_threads)
    warnings.filterwarnings("ignore")
    out = {"benchmark": "backends", "backend": BACKEND, "forward": FORWARD[BACKEND],
           "revision": revision(), "convviz_widgets_file": cv.__file__,
           "import_convviz_widgets_s": IMPORT_S,
           "statistic": "per round every case once (rotating order, fresh image), paired "
                        "ratios to the same round's compiled forward pass: median [quartiles], "
                        "wall and CPU; first calls: one timed call each, in this order, after "
                        "the model was built/loaded, in a process that had run only the "
                        "models listed before it",
           "environment": backend_environment(), "models": {}}
    for which in args.models.split(","):
        t0 = time.perf_counter()
        out["models"][which] = measure(which, args.rounds, args.samples, args.steps)
        print(f"[{BACKEND}] {which} done in {time.perf_counter() - t0:.0f} s, load {load():.1f}",
              flush=True)
    out["tensorflow_imported"] = "tensorflow" in sys.modules
    out["environment_end"] = {"load_1min": load()}
    Path(args.out).write_text(json.dumps(out, indent=2) + "\n")


if __name__ == "__main__":
    main()
