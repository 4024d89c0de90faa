"""What a user feels: one notebook cell ``cv.Explorer()`` until it is drawn in a real browser.

Starts JupyterLab on localhost (the browser suite's own server, ``tests/browser/conftest.py``)
and headless Chromium through Playwright (the system Chromium, never downloaded), then, per run,
opens a new notebook with a *fresh kernel* and runs one cell::

    import convviz_widgets as cv; ex = cv.Explorer(lang=LANG); ex

(plus three ``perf_counter`` reads). It records

- ``cell_to_drawn_s``: browser clock, from "run the cell" to the first page's rasters drawn
  (``.convviz-raster[data-state=drawn]`` — set by ``raster.js`` after it painted);
- ``import_s`` / ``build_s``: the kernel's own clock for ``import convviz_widgets`` (TensorFlow
  dominates) and for ``cv.Explorer()`` (``*_cpu_s``: the kernel process's CPU time for each,
  which a loaded machine inflates much less than the wall time); the rest of
  ``cell_to_drawn_s`` is display: widget state messages, the comm, the front end;
- ``drawn_to_idle_s``: how long the kernel stays busy after the page is drawn, and
  ``threads``: the kernel's threads then (a page warming in the background runs in a
  ``JobRunner`` thread);
- ``warm_s``: from the page drawn to the end of the heavy pages' background warming
  (``ex.warmer``, which starts once the cell has run; 0 for a version without it), and
  ``warmed``: the pages it warmed. With ``--click-at-once`` the pages are clicked without
  waiting for it (what a user who clicks during the warming waits);
- ``gradcam_page_s`` / ``patterns_page_s``: from a click on that page's button to its first
  drawn image, and ``*_page_idle_s`` to the kernel idle again (the page's compute done) — what
  a user waits on the heavy pages (shorter if they warmed in the background);
  ``gradcam_render_ms``: the kernel's own time for that first Grad-CAM render (its
  ``last_update``), and ``patterns_compile_left_s``: how long the Patterns page's step was
  still compiling in the background once the page was drawn (what a Run pressed then waits).

Each run is a new kernel (a process that has imported TensorFlow once is no longer fresh).

    python benchmarks/bench_explorer_draw.py [--runs 3] [--lang en es]
        # -> results/explorer_draw_onednn_<on|off>.json (oneDNN: TF_ENABLE_ONEDNN_OPTS, inherited
        #    by the kernel)

A measurement, not a test. The machine's load is printed with every figure.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "browser"))

from _common import cpu_flags, cpu_name, load, onednn, write_result  # noqa: E402
from _harness import (CHROMIUM, CHROMIUM_ARGS, code_notebook, notebook_url,  # noqa: E402
                      wait_kernel_idle_and_app)
from conftest import _serve  # noqa: E402

ROOT = ".cvt-ex"
_CELL = """import time as _cvt_time
_cvt = {{"t0": _cvt_time.perf_counter(), "c0": _cvt_time.process_time()}}
import convviz_widgets as cv
_cvt.update(t1=_cvt_time.perf_counter(), c1=_cvt_time.process_time())
ex = cv.Explorer(lang={lang!r})
_cvt.update(t2=_cvt_time.perf_counter(), c2=_cvt_time.process_time())
ex.add_class("cvt-ex")
ex"""

#: True once the first page (Kernels) has painted its rasters (the same marker the browser
#: suite's Explorer test waits for); "error" if the cell raised.
_DRAWN = f"""() => {{
    if (document.querySelector('.jp-RenderedText[data-mime-type="application/vnd.jupyter.error"]'))
        return 'error';
    return document.querySelectorAll('{ROOT} .convviz-raster[data-state=drawn]').length >= 2
        ? performance.now() : false; }}"""

#: Page ``k`` shown and one of its images drawn (a raster or the Grad-CAM overlay).
_PAGE_DRAWN = f"""(k) => {{
    const p = document.querySelectorAll('{ROOT} .convviz-page')[k];
    if (!p || p.getClientRects().length === 0) return false;
    return p.querySelector('.convviz-raster[data-state=drawn], .convviz-overlay[data-state=drawn]')
        ? performance.now() : false; }}"""

_RUN = """async (path) => {
    const app = window.jupyterapp;
    const w = Array.from(app.shell.widgets('main')).find(x => x.context && x.context.path === path);
    app.shell.activateById(w.id);
    await w.context.ready;
    await w.sessionContext.ready;
    const t0 = performance.now();
    app.commands.execute('notebook:run-all-cells');  // not awaited: the clock runs from here
    return t0; }"""


def _page_time(page, path: str, index: int, timeout_ms: int):
    """(click → first image of page ``index`` drawn, click → kernel idle again) in seconds;
    None where it did not happen within the timeout."""
    t0 = page.evaluate("() => performance.now()")
    w0 = time.monotonic()
    page.locator(f"{ROOT} .convviz-pagebar button").nth(index).click()
    try:
        t1 = (page.wait_for_function(_PAGE_DRAWN, arg=index, timeout=timeout_ms,
                                     polling=50).json_value() - t0) / 1000
    except Exception:  # noqa: BLE001 - not drawn in time: reported as such
        t1 = None
    # The page's compute runs in the kernel when it is shown: the drawn image may be the
    # picture alone (the Grad-CAM map follows), so the wait ends when the kernel is idle.
    page.wait_for_timeout(200)
    wait_kernel_idle_and_app(page, path=path, timeout_ms=timeout_ms)
    return t1, time.monotonic() - w0


#: In the kernel: wait for the background warming of the heavy pages (if this version has it).
_WAIT_WARM = ("_cvt_w = getattr(ex, 'warmer', None)\n"
              "_cvt_warmed = [] if _cvt_w is None else (_cvt_w.wait(600), list(_cvt_w.warmed))[1]")


def one_run(server, browser, probe_cls, lang: str, i: int, timeout_ms: int,
            click_at_once: bool = False) -> dict:
    import nbformat

    path = f"explorer_{lang}_{i}.ipynb"
    nbformat.write(code_notebook([_CELL.format(lang=lang)]), str(server.root / path))
    context = browser.new_context(viewport={"width": 1400, "height": 1700})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(notebook_url(server.url, server.token, path), wait_until="domcontentloaded")
    wait_kernel_idle_and_app(page, path=path)  # a fresh kernel, started and idle
    load0 = load()
    t_run = page.evaluate(_RUN, path)
    t_drawn = page.wait_for_function(_DRAWN, timeout=timeout_ms, polling=50).json_value()
    if t_drawn == "error":
        raise RuntimeError(page.locator(".jp-RenderedText[data-mime-type="
                                        "'application/vnd.jupyter.error']").first.inner_text())
    t_drawn_wall = time.monotonic()
    wait_kernel_idle_and_app(page, path=path, timeout_ms=timeout_ms)
    drawn_to_idle = time.monotonic() - t_drawn_wall
    sessions = server.api("/api/sessions")
    kernel_id = next(s["kernel"]["id"] for s in sessions if s["path"].endswith(path))
    probe = probe_cls(server.runtime / f"kernel-{kernel_id}.json")
    try:
        kernel = probe.eval("{'import': _cvt['t1'] - _cvt['t0'], 'build': _cvt['t2'] - _cvt['t1'],"
                            " 'import_cpu': _cvt['c1'] - _cvt['c0'],"
                            " 'build_cpu': _cvt['c2'] - _cvt['c1'],"
                            " 'threads': sorted(t.name for t in threading.enumerate())}",
                            setup="import json, threading")
        warm_s, warmed = 0.0, []
        if not click_at_once:
            warmed = probe.eval("_cvt_warmed", setup=_WAIT_WARM, timeout=timeout_ms / 1000)
            warm_s = time.monotonic() - t_drawn_wall
        gradcam = _page_time(page, path, 3, timeout_ms)
        gradcam_ms = probe.eval("ex.gradcam.last_update['ms']")
        patterns = _page_time(page, path, 2, timeout_ms)
        w0 = time.monotonic()
        probe.eval("ex.patterns.wait_warmup(600)", timeout=timeout_ms / 1000)
        compile_left = time.monotonic() - w0
    finally:
        probe.close()
        context.close()
        server.api(f"/api/kernels/{kernel_id}", method="DELETE")
    return {"lang": lang, "cell_to_drawn_s": (t_drawn - t_run) / 1000,
            "import_s": kernel["import"], "build_s": kernel["build"],
            "import_cpu_s": kernel["import_cpu"], "build_cpu_s": kernel["build_cpu"],
            "display_s": (t_drawn - t_run) / 1000 - kernel["import"] - kernel["build"],
            "drawn_to_idle_s": drawn_to_idle, "threads": kernel["threads"],
            "warm_s": warm_s, "warmed": warmed, "click_at_once": click_at_once,
            "gradcam_page_s": gradcam[0], "gradcam_page_idle_s": gradcam[1],
            "gradcam_render_ms": gradcam_ms, "patterns_compile_left_s": compile_left,
            "patterns_page_s": patterns[0], "patterns_page_idle_s": patterns[1],
            "load_at_start": load0, "load_at_end": load(), "page_errors": errors}


def _s(v) -> str:
    return "not drawn" if v is None else f"{v:.2f}"


def _line(r: dict, i: int) -> str:
    return (f"{r['lang']} run {i}: drawn {r['cell_to_drawn_s']:.2f} s (import "
            f"{r['import_s']:.2f} [CPU {r['import_cpu_s']:.2f}], build {r['build_s']:.2f} "
            f"[CPU {r['build_cpu_s']:.2f}], display {r['display_s']:.2f}); kernel busy after "
            f"{r['drawn_to_idle_s']:.2f} s; warmed {r['warmed']} {r['warm_s']:.2f} s after "
            f"drawn; Grad-CAM page drawn/idle "
            f"{_s(r['gradcam_page_s'])}/{_s(r['gradcam_page_idle_s'])} s, Patterns "
            f"{_s(r['patterns_page_s'])}/{_s(r['patterns_page_idle_s'])} s; Grad-CAM render "
            f"{r['gradcam_render_ms']:.0f} ms, Patterns compile left "
            f"{r['patterns_compile_left_s']:.2f} s; "
            f"load {r['load_at_start']:.1f}")


def main() -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=3, help="fresh kernels per language")
    ap.add_argument("--lang", nargs="+", default=["en", "es"])
    ap.add_argument("--timeout", type=float, default=180, help="seconds per wait")
    ap.add_argument("--click-at-once", action="store_true",
                    help="click the heavy pages as soon as drawn, not after the warming")
    args = ap.parse_args()

    from playwright.sync_api import sync_playwright

    from _harness import KernelProbe

    report = {"benchmark": "explorer_draw", "runs": args.runs, "cpu": cpu_name(),
              "cpu_flags": cpu_flags(), "onednn": onednn(),
              "statistic": "median over fresh kernels (each run a new notebook and kernel)"}
    runs = []
    with tempfile.TemporaryDirectory(prefix="cvt-bench-") as base:
        serve = _serve(Path(base))
        server = next(serve)
        pw = sync_playwright().start()
        try:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS,
                                         headless=True)
            for i in range(args.runs):
                for lang in args.lang:  # languages alternated, so load drift hits both
                    r = one_run(server, browser, KernelProbe, lang, i, int(args.timeout * 1000),
                                click_at_once=args.click_at_once)
                    runs.append(r)
                    print(_line(r, i), flush=True)
            browser.close()
        finally:
            pw.stop()
            next(serve, None)
    report["runs_raw"] = runs
    keys = ("cell_to_drawn_s", "import_s", "build_s", "import_cpu_s", "build_cpu_s",
            "display_s", "drawn_to_idle_s", "warm_s", "gradcam_render_ms",
            "patterns_compile_left_s", "gradcam_page_s", "gradcam_page_idle_s",
            "patterns_page_s", "patterns_page_idle_s")
    report["median"] = {
        lang: {k: statistics.median(v) if (v := [r[k] for r in runs if r["lang"] == lang
                                                  and r[k] is not None]) else None
               for k in keys} for lang in args.lang}
    path = write_result("explorer_draw", report)
    print(f"{report['cpu']} ({report['cpu_flags']}), oneDNN {report['onednn']}, load now "
          f"{load():.1f} (2 cores shared with other jobs)")
    for lang, m in report["median"].items():
        print(lang, json.dumps({k: None if v is None else round(v, 2) for k, v in m.items()}))
    print(f"written to {path}")
    return report


if __name__ == "__main__":
    main()
