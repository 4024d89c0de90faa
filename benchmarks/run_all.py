"""Run every benchmark with oneDNN off and on, each in its own process, and write the README table.

TensorFlow reads ``TF_ENABLE_ONEDNN_OPTS`` once, at import, so each setting needs a new process;
each benchmark writes ``results/<name>_onednn_<off|on>.json`` with the CPU model, its vector
units, the oneDNN setting and the load. The table between the README's ``perf-table`` markers is
then rewritten from those files (the rest of the README is left as it is).

    python benchmarks/run_all.py --quick          # few rounds: minutes, not hours
    python benchmarks/run_all.py                  # the full runs
    python benchmarks/run_all.py --table-only     # rewrite the table from existing results
    python benchmarks/run_all.py --only gradcam,first_call
    python benchmarks/run_all.py --only backends  # TensorFlow, JAX, PyTorch (bench_backends.py)

``backends`` starts its own processes (one per Keras backend, TensorFlow once per oneDNN
setting), so it runs once, not once per setting; its tables go between the README's
``perf-backends`` markers. With ``--quick`` every benchmark process is stopped after
``QUICK_TIMEOUT`` seconds and the whole run after ``QUICK_BUDGET`` (``--budget``); a benchmark
stopped or skipped keeps its old figures in the table, and the run says which.

Run it under ``nice`` on a shared machine, and read the load printed next to every figure.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import bench_backends

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
README = ROOT / "README.md"
START, END = "<!-- perf-table:start -->", "<!-- perf-table:end -->"

#: name -> (script, quick arguments, full arguments). The paired ones write results the table
#: reads; the others write their own files, linked from the table.
BENCHES = {
    "identity": ("bench_identity.py", ["--rounds", "10"], ["--rounds", "30"]),
    "gradcam": ("bench_gradcam.py", ["--repeats", "3"], ["--repeats", "9"]),
    "first_call": ("bench_first_call.py", ["--runs", "1"], ["--runs", "3"]),
    # 8 rounds: with 3, ResNet50's ratio moved 1.30 -> 1.51 between runs on a quiet machine.
    "activations": ("bench_activations.py", ["--repeats", "8"], []),
    # The goal's sizes even when quick (issue 27: the demo over 10,000 scenes): with 1,000
    # images the fixed cost per call (cutting the final patches) is a tenth of it, and the
    # demo's ratio with oneDNN on read 0.82x where 10,000 give 0.91x (session 38).
    "dataset_examples": ("bench_dataset_examples.py",
                         ["--only", "demo", "--n-demo", "10000", "--repeats", "3"],
                         ["--only", "demo", "--n-demo", "10000", "--repeats", "5"]),
    "dataset_examples_vgg": ("bench_dataset_examples.py",
                             ["--only", "vgg", "--n-vgg", "256", "--repeats", "3"],
                             ["--only", "vgg", "--n-vgg", "256", "--repeats", "5"]),
    "maximize": ("bench_maximize.py",
                 ["--steps", "16", "--filters", "2", "--rounds", "3", "--cases", "",
                  "--skip-demo"], []),
    "smoothgrad_vs_tfkv": ("bench_attribution.py", ["--vs-tf-keras-vis", "--rounds", "3"],
                           ["--vs-tf-keras-vis", "--rounds", "9"]),
    "explorer_draw": ("bench_explorer_draw.py", ["--runs", "1", "--lang", "en"],
                      ["--runs", "3"]),
    "backends": ("bench_backends.py", ["--quick"], []),
}

#: Run once (they start a process per setting themselves), not once per oneDNN setting.
ONCE = {"backends"}
#: Seconds after which a --quick benchmark process is stopped (bench_backends.py bounds each
#: of its backend processes itself, at its own --quick timeout).
QUICK_TIMEOUT = 1800
#: Seconds for a whole --quick run (--budget to change): nothing runs past it.
QUICK_BUDGET = 5400


def run_one(name: str, setting: str | None, quick: bool, timeout: float | None) -> None:
    """One benchmark process; stopped, with every process it started, after ``timeout`` s."""
    script, quick_args, full_args = BENCHES[name]
    args = quick_args if quick else full_args
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3",
           "PYTHONPATH": os.pathsep.join([str(ROOT)] + [p for p in [
               os.environ.get("PYTHONPATH")] if p])}
    if setting is not None:
        env["TF_ENABLE_ONEDNN_OPTS"] = setting
    print(f"== {name}" + (f", TF_ENABLE_ONEDNN_OPTS={setting}" if setting else "")
          + (f" (at most {timeout:.0f} s)" if timeout else ""), flush=True)
    t0 = time.perf_counter()
    # A session of its own: on a timeout its children (first_call's fresh processes, one per
    # backend in bench_backends) are stopped too, not left running.
    proc = subprocess.Popen([sys.executable, str(HERE / script), *args], env=env, cwd=HERE,
                            start_new_session=True)
    try:
        code = proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        print(f"   {name} stopped after {timeout:.0f} s; its row keeps old figures", flush=True)
        return
    took = f"{time.perf_counter() - t0:.0f} s, load {os.getloadavg()[0]:.1f}"
    if code:
        print(f"   {name} failed (exit {code}, {took}); its row keeps old figures", flush=True)
    else:
        print(f"   {name} done in {took}", flush=True)


def run(names, quick: bool, budget: float | None) -> None:
    """Each benchmark with oneDNN off then on (``ONCE`` ones once), name by name, so a budget
    running out drops whole benchmarks at the end; no process outlives the budget."""
    t0 = time.perf_counter()
    for name in names:
        for setting in ((None,) if name in ONCE else ("0", "1")):
            timeout = QUICK_TIMEOUT if quick and name not in ONCE else None
            if budget is not None:
                left = budget - (time.perf_counter() - t0)
                if left < 60:
                    print(f"== {name}: skipped, the {budget:.0f} s budget is spent; its row keeps "
                          "old figures", flush=True)
                    continue
                timeout = min(timeout or left, left)
            run_one(name, setting, quick, timeout)
    print(f"== all done in {time.perf_counter() - t0:.0f} s", flush=True)


def _load(name: str, setting: str):
    path = HERE / "results" / f"{name}_onednn_{setting}.json"
    return json.loads(path.read_text()) if path.exists() else None


def _both(name, fmt) -> str:
    """``off / on`` of one figure, each with the load it was taken at."""
    parts = []
    for setting in ("off", "on"):
        data = _load(name, setting)
        try:
            parts.append(f"{fmt(data)} (load {data['environment']['load_1min']:.1f})")
        except (TypeError, KeyError):
            parts.append("not run")
    return " / ".join(parts)


def _ratio(case, peer=False):
    def fmt(d):
        r = d["cases"][case]
        return (f"{r['ratio_wall']['median']:.2f}× wall [{r['ratio_wall']['q1']:.2f}–"
                f"{r['ratio_wall']['q3']:.2f}], {r['ratio_cpu']['median']:.2f}× CPU")
    return fmt


def _throughput(model):
    def fmt(d):
        r = d[model]
        return (f"{r['ratio_wall']['median']:.2f}× wall [{r['ratio_wall']['q1']:.2f}–"
                f"{r['ratio_wall']['q3']:.2f}], {r['ratio_cpu']['median']:.2f}× CPU "
                f"[{r['ratio_cpu']['q1']:.2f}–{r['ratio_cpu']['q3']:.2f}] "
                f"({r['images']} images, {r['layers']} layers)")
    return fmt


def _spread(r: dict, unit: str) -> str:
    return f"{r['median']:.2f}× {unit} [{r['q1']:.2f}–{r['q3']:.2f}]"


def _activations(model):
    def fmt(d):
        r = d[model]["cases"]["ours_all"]
        return f"{_spread(r['ratio_wall'], 'wall')}, {_spread(r['ratio_cpu'], 'CPU')}"
    return fmt


def _maximize(layer):
    def fmt(d):
        r = {x["layer"]: x for x in d["vgg16"]}[layer]
        eq = r.get("speedup_vs_tfkv_equal_activation")
        return (f"{_spread(r['speedup_vs_tfkv']['wall'], 'wall')}, "
                f"{_spread(r['speedup_vs_tfkv']['cpu'], 'CPU')} (a plain compiled step: "
                f"{r['plain_step_speedup_cpu']:.2f}× CPU); at equal activation "
                + (f"{eq['cpu']:.1f}× CPU ({r['equal_activation']['steps']} of {r['steps']} "
                   "steps)" if eq else "not reached"))
    return fmt


def _smoothgrad(d):
    return (f"{_spread(d['speedup']['wall'], 'wall')}, {_spread(d['speedup']['cpu'], 'CPU')} "
            f"({d['samples']} samples)")


def _explorer(d):
    m = d["median"]["en"]
    return (f"{m['cell_to_drawn_s']:.1f} s (import {m['import_s']:.1f} s, CPU "
            f"{m['import_cpu_s']:.1f}; `cv.Explorer()` {m['build_s']:.1f} s, CPU "
            f"{m['build_cpu_s']:.1f}; display {m['display_s']:.1f} s); first Grad-CAM page "
            f"click → drawn {m['gradcam_page_s']:.2f} s")


def table() -> str:
    env = None
    for setting in ("off", "on"):
        d = _load("gradcam", setting) or _load("identity", setting)
        if d:
            env = d["environment"]
    cpu = f"{env['cpu']} ({env['cpu_flags']}), {env['cpus']} cores" if env else "unknown"
    rows = [
        ("Fresh Grad-CAM ÷ forward, VGG16 224²", _both("gradcam", _ratio("fresh")), "≤ 1.2×"),
        ("Grad-CAM, five targets ÷ forward", _both("gradcam", _ratio("five_targets")), "≤ 2.0×"),
        ("Grad-CAM class switch ÷ forward", _both("gradcam", _ratio("class_switch")), "≤ 0.25×"),
        ("tf-keras-vis `Gradcam` ÷ forward", _both("gradcam", _ratio("tf_keras_vis")), "peer"),
        ("Keras-example recipe ÷ forward", _both("gradcam", _ratio("keras_example")), "peer"),
        ("First Grad-CAM in a fresh process (VGG16 224²), second call",
         _both("first_call", lambda d: f"{d['gradcam']['first']['wall_s']:.2f} s, "
                                       f"{d['gradcam']['second']['wall_s']:.2f} s"),
         "what a user feels"),
        ("First maximization in a fresh process (demo, 8 filters, 32 steps), second call",
         _both("first_call", lambda d: f"{d['maximize']['first']['wall_s']:.2f} s, "
                                       f"{d['maximize']['second']['wall_s']:.2f} s"),
         "what a user feels"),
        ("`dataset_examples` throughput ÷ batched forward, demo model, every spatial layer, "
         "batches of 64", _both("dataset_examples_demo", _throughput("demo")), "≥ 0.85×"),
        ("same, VGG16 `weights=None` 128², 13 conv layers",
         _both("dataset_examples_vgg", _throughput("vgg16_128")), "≥ 0.85×"),
        ("All-layer activations ÷ forward, ResNet50 128², 174 layers",
         _both("activations", _activations("resnet50_128")), "≤ 1.2×"),
        ("same, VGG16 224², 13 conv layers", _both("activations", _activations("vgg16_224")),
         "≤ 1.2×"),
        ("Maximization, tf-keras-vis ÷ ours per filter, VGG16 128², `block1_conv2`, equal steps",
         _both("maximize", _maximize("block1_conv2")), "≥ 2.5×"),
        ("same, `block3_conv1`", _both("maximize", _maximize("block3_conv1")), "≥ 2.5×"),
        ("same, `block5_conv3`", _both("maximize", _maximize("block5_conv3")), "≥ 2.5×"),
        ("SmoothGrad, tf-keras-vis `Saliency` ÷ ours, VGG16 224², equal samples",
         _both("attribution_vs_tf_keras_vis", _smoothgrad), "≥ 2×"),
        ("A fresh kernel's cell `import convviz_widgets as cv; cv.Explorer()` until drawn in "
         "Chromium (JupyterLab), heavy pages warmed in the background after it",
         _both("explorer_draw", _explorer), "Explorer drawn ≤ 2 s after the import"),
        ("`weights_identity` per call (every cache hit): demo / VGG16 / ResNet50 128²",
         _both("identity", lambda d: " / ".join(
             f"{d['per_call'][m]['cpu_s']['median'] * 1e3:.1f}" if m in d["per_call"] else "–"
             for m in ("demo", "vgg16", "resnet50_128")) + " ms CPU"),
         "< 5 ms"),
    ]
    lines = [START, "",
             f"Written by `python benchmarks/run_all.py --quick` on {cpu}; oneDNN off / on, each "
             "in its own process; sides alternated in one process with fresh inputs, median of "
             "the paired ratios [quartiles]; `dataset_examples` rows: forward time ÷ ours per "
             "round (our throughput as a share of the forward pass's); maximization and "
             "SmoothGrad rows: the peer's time ÷ ours per round (a speed-up). Every figure's "
             "JSON: `benchmarks/results/<benchmark>_onednn_{off,on}.json`.",
             "", "| figure (oneDNN off / on) | measured | goal |", "|---|---|---|"]
    lines += [f"| {a} | {b} | {c} |" for a, b, c in rows]
    lines += ["", END]
    return "\n".join(lines)


def write_table() -> None:
    text = README.read_text()
    block = table()
    if START in text and END in text:
        head, rest = text.split(START, 1)
        text = head + block + rest.split(END, 1)[1]
    else:  # first run: the table goes at the top of the Performance section
        marker = "## Performance\n"
        head, rest = text.split(marker, 1)
        text = head + marker + "\n" + block + "\n" + rest
    README.write_text(text)
    print(block)
    print(bench_backends.write_readme(README))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--only", default=None, help="comma-separated: " + ",".join(BENCHES))
    ap.add_argument("--table-only", action="store_true")
    ap.add_argument("--budget", type=float, default=None,
                    help=f"seconds for the whole run (--quick: {QUICK_BUDGET:.0f}); benchmarks "
                         "not finished within it keep their old figures")
    args = ap.parse_args()
    if args.budget is None and args.quick:
        args.budget = QUICK_BUDGET
    if not args.table_only:
        names = args.only.split(",") if args.only else list(BENCHES)
        unknown = set(names) - set(BENCHES)
        if unknown:
            ap.error(f"unknown benchmark(s) {sorted(unknown)}; choose from {sorted(BENCHES)}")
        run(names, args.quick, args.budget)
    write_table()


if __name__ == "__main__":
    main()
