"""FilterMaximizer in a real JupyterLab + headless Chromium: press Run, watch frames appear on
the canvas while the optimisation runs, press Cancel.

Uses the shared server and browser of conftest.py, with its own notebook (``maximizer.ipynb``)
in its own page and workspace.
"""

from __future__ import annotations

import json
import time

import pytest

from _harness import ARTIFACTS, HERE, NotebookPage, code_notebook

pytestmark = pytest.mark.browser

NB = "maximizer.ipynb"
ROOT = ".cvt-fm"
GALLERY = f"{ROOT} .convviz-maximizer-gallery canvas.cv-main"
PATTERN = f"{ROOT} .convviz-maximizer-pattern canvas.cv-main"

#: A digest of every pixel of a canvas (so "the picture changed" is checked on the pixels a
#: person sees), plus its size and the view's render counter.
_CANVAS = """(s) => {
    const c = document.querySelector(s);
    if (!c || !c.width) return null;
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let h1 = 2166136261 >>> 0, h2 = 0;
    for (let i = 0; i < d.length; i++) {
        h1 = Math.imul(h1 ^ d[i], 16777619) >>> 0;
        h2 = (h2 + d[i] * (i % 251 + 1)) >>> 0;
    }
    const root = c.closest('.convviz-raster');
    return {w: c.width, h: c.height, hash: h1 + ':' + h2,
            renders: Number(root.dataset.renders || 0), t: performance.now()};
}"""


def _notebook() -> dict:
    cells = [
        f"""import sys, json
sys.path.insert(0, {str(HERE)!r})
import _models
from convviz_widgets.widgets._filter_maximizer import FilterMaximizer
try:
    model, _images, is_demo = _models.demo_or_standin()
except FileNotFoundError:  # _demo.py is there but the trained model file not yet
    model, is_demo = _models.small_functional(), False""",
        # Many steps: the run lasts long enough to watch several frames, then we cancel it.
        """fm = FilterMaximizer(model, steps=3000)
fm.add_class("cvt-fm")
fm.mode = "gallery"
fm""",
    ]
    return code_notebook(cells)


@pytest.fixture(scope="module")
def fm_page(lab_server, browser):
    nb = NotebookPage(lab_server, browser, _notebook(), NB, name="maximizer",
                      viewport=(1500, 1400),
                      ready=f"document.querySelectorAll('{ROOT} .convviz-raster"
                            "[data-state=drawn]').length >= 1")
    # The widget compiles its step in the background when shown; let that finish so the
    # timing below is the one a student gets after reading the controls for a moment.
    assert nb.probe.eval("fm.wait_warmup(120)", timeout=150)
    yield nb.page, nb.probe, nb.console, nb
    nb.close()


def test_frames_stream_onto_the_canvas_and_cancel_stops(fm_page):
    page, probe, console, _ = fm_page
    before = page.evaluate(_CANVAS, GALLERY)  # None: the gallery is empty before a run
    before_hash = before["hash"] if before else None
    t_click = page.evaluate("() => performance.now()")
    page.locator(f"{ROOT} button", has_text="Run").click()
    # Sample the gallery canvas while the kernel says the run is still going.
    seen, first_change_ms = [], None
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and len({s["hash"] for s in seen}) < 5:
        snap = page.evaluate(_CANVAS, GALLERY)
        if snap and snap["hash"] != before_hash and first_change_ms is None:
            first_change_ms = snap["t"] - t_click
        if snap and probe.eval("fm.running"):
            seen.append(snap)
        time.sleep(0.15)
    distinct = {s["hash"] for s in seen}
    assert len(distinct) >= 5, f"only {len(distinct)} different frames seen while running"
    assert probe.eval("fm.running"), "the run ended before Cancel: it was not watched live"
    # The gallery is the range the view offers: (0, min(filters, 64) - 1).
    a, b = probe.eval("tuple(fm.gallery_range)")
    assert seen[-1]["w"] > 0 and probe.eval("fm.gallery.shape[0]") == b - a + 1
    ARTIFACTS.mkdir(exist_ok=True)
    page.locator(f"{ROOT}").first.screenshot(path=str(ARTIFACTS / "maximizer-running.png"))

    t0 = time.monotonic()
    page.locator(f"{ROOT} button", has_text="Cancel").click()
    while probe.eval("fm.running") and time.monotonic() - t0 < 30:
        time.sleep(0.05)
    stopped = time.monotonic() - t0
    assert not probe.eval("fm.running")
    # Stopped by Cancel, long before its end (the step count is tested headless in
    # test_cancel_stops_within_a_step; times here go to the timing file only).
    assert probe.eval("fm.result.cancelled") is True
    assert probe.eval("bool(fm.result.complete.any())") is False
    # The final (partial) frame is on the canvas and says so.
    page.wait_for_function(
        f"""() => (document.querySelector('{ROOT}').innerText || '').includes('cancelled')""",
        timeout=10_000)
    timing = {"first_canvas_change_ms": first_change_ms,
              "first_frame_python_s": probe.eval("fm.first_frame_seconds"),
              "frames_seen": len(distinct), "cancel_s": stopped}
    (ARTIFACTS / "maximizer-timing.json").write_text(json.dumps(timing, indent=2))
    assert first_change_ms is not None  # the canvas changed while the run went on
    assert not [m for m in console if "convviz" in m.lower() or "pageerror" in m], console


def test_cached_rerun_redraws_at_once(fm_page):
    page, probe, _, _ = fm_page
    # A short, complete run, then the same run again: the second comes from the cache.
    probe.eval("fm.steps")  # kernel alive
    page.locator(f"{ROOT} input[type=number]").nth(0).fill("12")  # steps box
    page.keyboard.press("Enter")
    deadline = time.monotonic() + 10
    while probe.eval("fm.steps") != 12 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert probe.eval("fm.steps") == 12
    page.locator(f"{ROOT} button", has_text="Run").click()
    deadline = time.monotonic() + 120
    time.sleep(0.3)
    while probe.eval("fm.running") and time.monotonic() < deadline:
        time.sleep(0.1)
    assert probe.eval("fm.result.complete.all().item()") is True
    first = page.evaluate(_CANVAS, GALLERY)
    t0 = time.monotonic()
    page.locator(f"{ROOT} button", has_text="Run").click()
    time.sleep(0.3)
    while probe.eval("fm.running") and time.monotonic() - t0 < 30:
        time.sleep(0.05)
    # Served from the cache: no optimisation frame was streamed.
    assert probe.eval("fm.result.from_cache.all().item()") is True
    assert probe.eval("fm.frames_shown") == 0
    assert page.evaluate(_CANVAS, GALLERY)["hash"] == first["hash"]  # the same picture
    # And the big pattern shows the selected filter.
    assert page.evaluate(_CANVAS, PATTERN)["w"] > 0


def test_reload_mid_session_restores_the_maximizer(fm_page):
    """After a page reload (same kernel) the gallery and the pattern come back pixel for pixel
    from the kernel's state, with the settings, and a tile click still selects a filter."""
    page, probe, console, nb = fm_page
    assert not probe.eval("fm.running")
    before = {"gallery": page.evaluate(_CANVAS, GALLERY)["hash"],
              "pattern": page.evaluate(_CANVAS, PATTERN)["hash"]}
    info = probe.eval("fm.run_panel.message")
    assert info

    nb.reload()
    page.wait_for_function("(s) => { const c = document.querySelector(s); "
                           "return c && c.width > 0; }", arg=GALLERY, timeout=30_000)
    assert page.evaluate(_CANVAS, GALLERY)["hash"] == before["gallery"]
    assert page.evaluate(_CANVAS, PATTERN)["hash"] == before["pattern"]
    assert page.locator(f"{ROOT} input[type=number]").nth(0).input_value() == "12"
    text = page.locator(ROOT).first.inner_text()
    assert "mean activation" in text and info.split(" · ")[0] in text
    ARTIFACTS.mkdir(exist_ok=True)
    page.locator(ROOT).first.screenshot(path=str(ARTIFACTS / "maximizer-after-reload.png"))

    # Live: clicking the third gallery tile selects its filter in the kernel.
    g = probe.eval("{'cols': min(g.columns, g.shape[0]), 'h': g.shape[1], 'w': g.shape[2], "
                   "'zoom': g.zoom, 'zx': g.zoom_x or g.zoom, 'gap': g.gap, 'margin': g.margin, "
                   "'first': int(fm.gallery_range[0])}", setup="g = fm.gallery")
    box = page.locator(GALLERY).bounding_box()
    size = page.evaluate(_CANVAS, GALLERY)
    sx, sy = box["width"] / size["w"], box["height"] / size["h"]
    tw, th = g["w"] * g["zx"], g["h"] * g["zoom"]
    k = 2
    col, row = k % g["cols"], k // g["cols"]
    x = (g["margin"] + col * (tw + g["gap"]) + tw / 2) * sx
    y = (row * (th + g["gap"]) + th / 2) * sy
    page.mouse.click(box["x"] + x, box["y"] + y)
    deadline = time.monotonic() + 20
    while probe.eval("fm.filter_index") != g["first"] + k and time.monotonic() < deadline:
        time.sleep(0.1)
    assert probe.eval("fm.filter_index") == g["first"] + k
    assert not [m for m in console if "convviz" in m.lower() or "pageerror" in m], console
