"""Speed on each Keras backend (issues 25 and 27): TensorFlow, JAX and PyTorch side by side.

One process per backend (Keras fixes its backend at import), each with its own Python:
TensorFlow in this interpreter's venv (``CONVVIZ_TENSORFLOW_PYTHON`` to choose another), JAX
and PyTorch in the venvs without TensorFlow (``CONVVIZ_JAX_PYTHON`` / ``CONVVIZ_TORCH_PYTHON``,
as ``tests/test_backends.py`` reads them; default ``.venv-jax`` / ``.venv-torch`` at the
repository root). Each runs ``_backend_child.py`` with ``PYTHONPATH`` = this checkout, so the
figures are of this tree's code. TensorFlow runs once per oneDNN setting (read at import).

Every figure is a paired ratio to THAT backend's own forward pass of one image (TF
``tf.function``, JAX ``jax.jit`` stateless, PyTorch eager under ``no_grad``; see
``_backend_child.py``): each round runs every case once on a fresh image, sides alternated in one
process, median [quartiles] of the per-round ratios, wall and CPU. Goals (issue 25): activations
of every spatial layer ≤ 1.2×, fresh Grad-CAM ≤ 1.2×, class switch ≤ 0.25×, SmoothGrad and
integrated gradients ≤ 1.5× per sample (per path step). First calls (model build / load, first
activations, first Grad-CAM, first forward) are single timed calls, with JAX's trace / lower /
XLA-compile seconds. Models: the demo model, ResNet50 at 128² and VGG16 at 224², both
``weights=None`` (nothing downloads). A feature a backend does not run yet is reported "not on
this backend yet".

    python benchmarks/bench_backends.py [--quick] [--backends jax,torch] [--onednn off]
    python benchmarks/bench_backends.py --table-only     # print the README tables from results/

Writes ``results/backends_<backend>[_onednn_<off|on>].json``. A measurement, not a test.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
RESULTS = HERE / "results"
START, END = "<!-- perf-backends:start -->", "<!-- perf-backends:end -->"
BACKENDS = ("tensorflow", "jax", "torch")
TITLES = {"tensorflow": "TensorFlow", "jax": "JAX", "torch": "PyTorch"}
MODELS = {"demo": "demo model", "resnet50_128": "ResNet50 128²", "vgg16_224": "VGG16 224²"}
#: case -> (row label, goal on the ratio; per sample for the pixel methods)
ROWS = {
    "activations_all": ("activations of every spatial layer", 1.2),
    "gradcam_fresh": ("fresh Grad-CAM (new image)", 1.2),
    "class_switch": ("Grad-CAM class switch (same image)", 0.25),
    "smoothgrad": ("SmoothGrad, per sample", 1.5),
    "integrated_gradients": ("integrated gradients, per path step", 1.5),
    # The floors (``_backend_floors.py``): the backend's own plain compiled recipe, no goal.
    "gradcam_plain": ("plain Grad-CAM recipe on the backend's own autodiff (fresh Grad-CAM's "
                      "floor)", None),
    "smoothgrad_plain": ("plain batched input gradient on the backend's own autodiff, per "
                         "sample (SmoothGrad's floor)", None),
}
PER_SAMPLE = ("smoothgrad", "integrated_gradients", "smoothgrad_plain")
#: Pixel methods: the full run uses their defaults (SmoothGrad 25 samples, integrated gradients
#: 32 steps), what a user gets; per-sample ratios fall with the count (a call's fixed cost is
#: shared: TF VGG16, oneDNN off, load 3-4: SmoothGrad 3.9x per sample with 4, 2.4x with 8).
QUICK = {"rounds": 3, "samples": 8, "steps": 8, "timeout": 1500}
FULL = {"rounds": 7, "samples": 25, "steps": 32, "timeout": 5400}


def python_for(backend: str) -> str | None:
    exe = os.environ.get(f"CONVVIZ_{backend.upper()}_PYTHON")
    if not exe:
        exe = sys.executable if backend == "tensorflow" else str(ROOT / f".venv-{backend}" /
                                                                   "bin" / "python")
    return exe if Path(exe).exists() else None


def result_path(backend: str, onednn: str | None = None) -> Path:
    return RESULTS / (f"backends_{backend}" + (f"_onednn_{onednn}" if onednn else "") + ".json")


def runs(backends, onednn_settings):
    """(backend, oneDNN setting or None, result path) of every process to start."""
    for b in backends:
        for s in (onednn_settings if b == "tensorflow" else (None,)):
            yield b, s, result_path(b, s)


def run_one(backend, onednn, path, args) -> bool:
    exe = python_for(backend)
    if exe is None:
        print(f"== {backend}: no Python for it (set CONVVIZ_{backend.upper()}_PYTHON); skipped",
              flush=True)
        return False
    env = {**os.environ, "KERAS_BACKEND": backend, "TF_CPP_MIN_LOG_LEVEL": "3",
           "CUDA_VISIBLE_DEVICES": "", "PYTHONPATH": os.pathsep.join(
               [str(ROOT)] + [p for p in [os.environ.get("PYTHONPATH")] if p])}
    if onednn:
        env["TF_ENABLE_ONEDNN_OPTS"] = "1" if onednn == "on" else "0"
    cmd = [exe, str(HERE / "_backend_child.py"), str(path), "--rounds", str(args.rounds),
           "--samples", str(args.samples), "--steps", str(args.steps), "--models", args.models]
    if args.torch_threads and backend == "torch":
        cmd += ["--torch-threads", str(args.torch_threads)]
    print(f"== {backend}{f' (oneDNN {onednn})' if onednn else ''}: {exe}", flush=True)
    t0 = time.perf_counter()
    try:
        proc = subprocess.run(cmd, env=env, cwd=HERE, timeout=args.timeout)
    except subprocess.TimeoutExpired:
        print(f"   {backend} stopped after {args.timeout} s; its table keeps old figures",
              flush=True)
        return False
    print(f"   {backend}: exit {proc.returncode} after {time.perf_counter() - t0:.0f} s",
          flush=True)
    return proc.returncode == 0


def _ratio(case: dict, per_sample: bool) -> str:
    r = case["per_sample"] if per_sample else case
    w, c = r["ratio_wall"], r["ratio_cpu"]
    return f"{w['median']:.2f}× [{w['q1']:.2f}–{w['q3']:.2f}], CPU {c['median']:.2f}×"


def _first(m: dict) -> str:
    f = m["first_call"]
    parts = [f"{label} {f[k]['wall_s']:.1f}" for k, label in (
        ("model_load", "build/load"), ("activations_all", "activations"),
        ("gradcam_fresh", "Grad-CAM"), ("forward", "forward")) if k in f]
    jax_s = [f[k]["jax"]["seconds"] for k in f if "jax" in f[k]]
    text = " / ".join(parts) + " s"
    if jax_s:
        text += (f" (JAX: trace {sum(s['trace'] for s in jax_s):.1f} s, XLA compile "
                 f"{sum(s['xla_compile'] for s in jax_s):.1f} s)")
    return text


def table(data: dict) -> list[str]:
    """One backend's Markdown table from its result file's contents."""
    env = data["environment"]
    setting = f", oneDNN {env['onednn']}" if "onednn" in env else ""
    if "torch_threads" in env:
        setting += f", {env['torch_threads']} thread{'s' * (env['torch_threads'] > 1)}"
    version = {"tensorflow": "tensorflow", "jax": "jax", "torch": "torch"}[data["backend"]]
    models = [m for m in MODELS if m in data["models"]]
    loads = ", ".join(f"{data['models'][m]['load_before']:.1f}" for m in models)
    samples = {data["models"][m]["samples"] for m in models}
    steps = {data["models"][m].get("steps", data["models"][m]["samples"]) for m in models}
    lines = [f"**{TITLES[data['backend']]}**{setting} ({version} {env.get(version)}, Keras "
             f"{env['keras']}; {data.get('revision', '?')}; load {loads}; `import convviz_widgets` "
             f"{data['import_convviz_widgets_s']:.1f} s): ratio to `{data['forward']}`; SmoothGrad "
             f"{'/'.join(map(str, sorted(samples)))} samples, integrated gradients "
             f"{'/'.join(map(str, sorted(steps)))} steps.",
             "", "| figure | " + " | ".join(MODELS[m] for m in models) + " | goal |",
             "|---" * (len(models) + 2) + "|"]
    for case, (label, goal) in ROWS.items():
        cells = []
        for m in models:
            rec = data["models"][m]
            if case in rec["cases"]:
                cells.append(_ratio(rec["cases"][case], case in PER_SAMPLE))
            else:
                cells.append("not run" if case not in rec["missing"] else
                             "failed (see JSON)" if goal is None else "not on this backend yet")
        lines.append(f"| {label} | " + " | ".join(cells)
                     + (f" | ≤ {goal}× |" if goal else " | reference |"))
    lines.append("| first calls, wall: " + "build/load / activations / Grad-CAM / forward | "
                 + " | ".join(_first(data["models"][m]) for m in models) + " | stated |")
    return lines


def readme_block() -> str:
    found = [json.loads(p.read_text()) for _, _, p in runs(BACKENDS, ("off", "on"))
             if p.exists()]
    cpu = found[0]["environment"] if found else None
    lines = [START, "",
             "Each Keras backend against its own forward pass, written by `python "
             "benchmarks/bench_backends.py` (or `run_all.py --only backends`) on "
             + (f"{cpu['cpu']} ({cpu['cpu_flags']}), {cpu['cpus']} cores" if cpu else "-")
             + ": one process per backend, fresh image every round, sides alternated, median "
             "of the paired ratios [quartiles]. Results: `benchmarks/results/backends_*.json`.",
             ""]
    for data in found:
        lines += table(data) + [""]
    if not found:
        lines += ["Not run yet.", ""]
    return "\n".join(lines + [END])


def write_readme(readme: Path) -> str:
    """Put the tables between the backends markers (after the TF table the first time)."""
    text = readme.read_text()
    block = readme_block()
    if START in text and END in text:
        head, rest = text.split(START, 1)
        text = head + block + rest.split(END, 1)[1]
    else:
        marker = "<!-- perf-table:end -->"
        head, rest = text.split(marker, 1)
        text = head + marker + "\n\n" + block + rest
    readme.write_text(text)
    return block


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true",
                    help=f"{QUICK['rounds']} rounds, {QUICK['samples']} samples, "
                         f"{QUICK['steps']} steps")
    ap.add_argument("--backends", default=",".join(BACKENDS))
    ap.add_argument("--onednn", default="off,on", help="TensorFlow's settings: off,on")
    ap.add_argument("--models", default=",".join(MODELS))
    ap.add_argument("--rounds", type=int, default=None)
    ap.add_argument("--samples", type=int, default=None, help="SmoothGrad samples")
    ap.add_argument("--steps", type=int, default=None, help="integrated-gradients steps")
    ap.add_argument("--timeout", type=int, default=None, help="seconds per backend process")
    ap.add_argument("--torch-threads", type=int, default=None,
                    help="PyTorch's thread count (default: its own; 1 on a loaded machine)")
    ap.add_argument("--table-only", action="store_true")
    ap.add_argument("--readme", action="store_true", help="also rewrite the README's tables")
    args = ap.parse_args()
    for key, value in (QUICK if args.quick else FULL).items():
        if getattr(args, key) is None:
            setattr(args, key, value)
    if not args.table_only:
        RESULTS.mkdir(exist_ok=True)
        for backend, onednn, path in runs(args.backends.split(","), args.onednn.split(",")):
            run_one(backend, onednn, path, args)
    print(write_readme(ROOT / "README.md") if args.readme else readme_block())


if __name__ == "__main__":
    main()
