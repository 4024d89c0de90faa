"""Where JAX's first calls go: the cross-backend test's JAX side, split by phase and by compile.

``tests/test_backends.py`` loads six small saved models in a JAX subprocess and runs every
``tests/backend_probes`` module on each; that subprocess took 105–188 s at load 8–14. This runs
the same work (the test's own ``probe`` functions on the same saved models) and records, from
JAX's monitoring events, the seconds spent tracing, lowering and XLA-compiling, per phase
(model load, each probe area) and per compiled function — so "slow" can be said precisely.

    # once, on TensorFlow: save the test's six models
    python benchmarks/_backend_jax_compiles.py --save DIR
    # then, on JAX (JAX_* variables are JAX's own configuration: try them here)
    KERAS_BACKEND=jax python benchmarks/_backend_jax_compiles.py DIR [--label NAME]
    JAX_COMPILATION_CACHE_DIR=/tmp/jaxcache JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS=0 \
        KERAS_BACKEND=jax python benchmarks/_backend_jax_compiles.py DIR --label cache

Appends one record per run to ``results/backends_jax_compiles.json``. A measurement, not a test.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import sys
import time
from pathlib import Path

T0 = time.perf_counter()
HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))  # the test's own models and probes

EVENTS = {"/jax/core/compile/jaxpr_trace_duration": "trace",
          "/jax/core/compile/jaxpr_to_mlir_module_duration": "lower",
          "/jax/core/compile/backend_compile_duration": "xla_compile"}


def save(folder: Path) -> None:
    import test_backends

    folder.mkdir(parents=True, exist_ok=True)
    for i, (name, model) in enumerate(test_backends._models().items()):
        test_backends._randomise(model, i)
        model.save(folder / f"{name}.keras")
    print(sorted(p.name for p in folder.glob("*.keras")))


def measure(folder: Path, label: str) -> dict:
    import jax.monitoring

    seconds, counts = collections.Counter(), collections.Counter()
    by_fun, fun_n = collections.Counter(), collections.Counter()

    def on_event(event, duration, **kwargs):
        kind = EVENTS.get(event)
        if kind:
            seconds[kind] += duration
            counts[kind] += 1
            if kind == "xla_compile":
                by_fun[str(kwargs.get("fun_name"))] += duration
                fun_n[str(kwargs.get("fun_name"))] += 1

    jax.monitoring.register_event_duration_secs_listener(on_event)
    import backend_probes
    import keras
    import test_backends

    from _common import backend_environment

    phases = collections.defaultdict(lambda: {"wall_s": 0.0, "xla_compile_s": 0.0,
                                              "compiles": 0})

    def phase(name, fn):
        s0, c0, t = seconds["xla_compile"], counts["xla_compile"], time.perf_counter()
        out = fn()
        p = phases[name]
        p["wall_s"] += time.perf_counter() - t
        p["xla_compile_s"] += seconds["xla_compile"] - s0
        p["compiles"] += counts["xla_compile"] - c0
        return out

    imported = time.perf_counter() - T0
    for path in sorted(folder.glob("*.keras")):
        model = phase("load_model", lambda path=path: keras.saving.load_model(path))
        images = test_backends._images(model)
        for area, module in backend_probes.modules().items():
            phase(f"probe:{area}", lambda m=module: m.probe(model, images))
    phase("seam", test_backends._seam)
    return {"label": label, "total_s": time.perf_counter() - T0, "import_s": imported,
            "jax_env": {k: v for k, v in os.environ.items() if k.startswith(("JAX_", "XLA_"))},
            "seconds": dict(seconds), "counts": dict(counts), "phases": dict(phases),
            "top_xla_compiles": [[f, s, fun_n[f]] for f, s in by_fun.most_common(12)],
            "environment": backend_environment()}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("folder", type=Path)
    ap.add_argument("--save", action="store_true", help="save the test's models (TensorFlow)")
    ap.add_argument("--label", default="default")
    args = ap.parse_args()
    if args.save:
        return save(args.folder)
    rec = measure(args.folder, args.label)
    out = HERE / "results" / "backends_jax_compiles.json"
    runs = json.loads(out.read_text()) if out.exists() else []
    out.write_text(json.dumps(runs + [rec], indent=2) + "\n")
    s = rec["seconds"]
    print(f"{args.label}: total {rec['total_s']:.1f} s (load {rec['environment']['load_1min']:.1f})"
          f"; trace {s.get('trace', 0):.1f} s, lower {s.get('lower', 0):.1f} s, XLA compile "
          f"{s.get('xla_compile', 0):.1f} s in {rec['counts'].get('xla_compile', 0)} compiles")
    for name, p in sorted(rec["phases"].items(), key=lambda kv: -kv[1]["wall_s"]):
        print(f"  {name:<22} wall {p['wall_s']:6.1f} s, XLA {p['xla_compile_s']:6.1f} s, "
              f"{p['compiles']} compiles")
    print("  top:", [(f, round(t, 1), n) for f, t, n in rec["top_xla_compiles"][:6]])


if __name__ == "__main__":
    main()
