"""The Explorer's warming after a layer change (issue 27, session 33), measured in the kernel.

One fresh process per run (the compiled functions live in the process), the arms alternated:
``on`` is ``Explorer(warm=True)`` (the pages are warmed again after a layer change), ``off`` is
``Explorer(warm=False)`` with the same first warming started by hand (what the Explorer did
before). In both the Activations page is shown, as a user browsing layers sees it, and the first
warming is over before the first change. Two scenarios:

settle
    Per layer: ``ex.layer = L`` (the visible page's layer change), the user looks for ``--look``
    seconds, then opens Grad-CAM (``ex.tabs.selected_index``: its render in the kernel) and
    Patterns (its render plus the compile of its step: what a Run waits for), then Activations
    again.
browse
    ``ex.layer = L`` every ``--browse`` seconds (2.5 s: a re-warming started after the 1 s
    debounce is under way when the next change comes): the visible page's layer-change latency
    while warming runs.

Wall time and the main thread's CPU time (``time.thread_time``: the warming's threads are not
in it) of each call; paired ratios on/off per layer and run, median and quartiles.

    python benchmarks/bench_rewarm.py --runs 2
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
LAYERS = ["block1_conv2", "block2_conv1", "block2_conv2", "block3_conv1"]


def _timed(fn) -> tuple[float, float]:
    w0, c0 = time.perf_counter(), time.thread_time()
    fn()
    return time.perf_counter() - w0, time.thread_time() - c0


def child(arm: str, scenario: str, look: float, browse: float) -> dict:
    import convviz_widgets as cv

    ex = cv.Explorer(warm=arm == "on")
    titles = ex.tabs.titles
    page = {k: titles.index(cv.i18n.tr(k, "en"))
            for k in ("page.activations", "page.grad_cam", "page.patterns")}

    def show(key):
        ex.tabs.selected_index = page[key]

    show("page.activations")
    ex.warmer.start()
    ex.warmer.wait(600)
    out: dict = {"layer": [], "gradcam": [], "patterns": [], "warmed": []}
    for layer in LAYERS:
        out["layer"].append(_timed(lambda: setattr(ex, "layer", layer)))
        if scenario == "browse":
            time.sleep(browse)
            continue
        time.sleep(look)
        out["warmed"].append(list(ex.warmer.warmed))
        out["gradcam"].append(_timed(lambda: show("page.grad_cam")))
        out["patterns"].append(_timed(lambda: (show("page.patterns"),
                                               ex.patterns.wait_warmup(600))))
        show("page.activations")
    ex.warmer.cancel()
    ex.warmer.wait(600)
    return out


def _load() -> float:
    return os.getloadavg()[0]


def _ratios(on: list, off: list) -> dict:
    r = np.asarray(on, float) / np.asarray(off, float)
    q = np.percentile(r, [25, 50, 75], axis=0)  # columns: wall, CPU
    return {k: [round(float(v), 3) for v in q[:, i]] for i, k in enumerate(("wall", "cpu"))}


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--runs", type=int, default=2)
    p.add_argument("--look", type=float, default=8.0)
    p.add_argument("--browse", type=float, default=2.5)
    p.add_argument("--scenarios", default="settle,browse")
    p.add_argument("--child", nargs=2, metavar=("ARM", "SCENARIO"))
    a = p.parse_args()
    if a.child:
        print(json.dumps(child(a.child[0], a.child[1], a.look, a.browse)))
        return
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TF_CPP_MIN_LOG_LEVEL": "3"}
    got: dict = {}
    for scenario in a.scenarios.split(","):
        for i in range(a.runs):
            for arm in (("on", "off") if i % 2 == 0 else ("off", "on")):
                load0 = _load()
                run = subprocess.run([sys.executable, __file__, "--child", arm, scenario,
                                      "--look", str(a.look), "--browse", str(a.browse)],
                                     env=env, capture_output=True, text=True, check=True)
                res = json.loads(run.stdout.strip().splitlines()[-1])
                res["load"] = (round(load0, 1), round(_load(), 1))
                got.setdefault(scenario, {}).setdefault(arm, []).append(res)
                print(scenario, arm, i, json.dumps(res), flush=True)
    for scenario, arms in got.items():
        print(f"== {scenario} (oneDNN {os.environ.get('TF_ENABLE_ONEDNN_OPTS', 'default')})")
        for key in ("layer", "gradcam", "patterns"):
            on = [x for r in arms["on"] for x in r[key]]
            off = [x for r in arms["off"] for x in r[key]]
            if not on:
                continue
            med = {arm: np.median(np.asarray([x for r in arms[arm] for x in r[key]]), axis=0)
                   for arm in ("on", "off")}
            print(f"{key:9s} on wall/cpu {med['on'][0]*1e3:8.0f} / {med['on'][1]*1e3:6.0f} ms"
                  f"   off {med['off'][0]*1e3:8.0f} / {med['off'][1]*1e3:6.0f} ms"
                  f"   ratio on/off q25,med,q75 {_ratios(on, off)}")
        print("loads", {arm: [r["load"] for r in rs] for arm, rs in arms.items()})


if __name__ == "__main__":
    main()
