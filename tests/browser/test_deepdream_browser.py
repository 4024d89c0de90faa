"""DeepDreamViewer in a real JupyterLab + headless Chromium: press Run, frames appear on the
after canvas (its pixels change and are not blank), the canvas equals the kernel's export,
Export PNG offers a download, Cancel stops.

Uses the shared server and browser of conftest.py, with its own notebook (``deepdream.ipynb``)
in its own page and workspace.
"""

from __future__ import annotations

import time

import numpy as np
import pytest

from _harness import ARTIFACTS, HERE, NotebookPage, code_notebook

pytestmark = pytest.mark.browser

NB = "deepdream.ipynb"
ROOT = ".cvt-dd"
AFTER = f"{ROOT} .convviz-dream-after canvas.cv-main"
BEFORE = f"{ROOT} .convviz-dream-before canvas.cv-main"

#: Size, a digest of every pixel, and how many distinct grey/colour values a canvas shows.
_CANVAS = """(s) => {
    const c = document.querySelector(s);
    if (!c || !c.width) return null;
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let h1 = 2166136261 >>> 0;
    const colours = new Set();
    for (let i = 0; i < d.length; i += 4) {
        h1 = Math.imul(h1 ^ (d[i] | d[i + 1] << 8 | d[i + 2] << 16), 16777619) >>> 0;
        if (colours.size < 5000) colours.add(d[i] << 16 | d[i + 1] << 8 | d[i + 2]);
    }
    return {w: c.width, h: c.height, hash: h1, colours: colours.size};
}"""

#: Every pixel of a canvas as RGB, row-major.
_RGB = """(s) => {
    const c = document.querySelector(s);
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    const out = new Array(c.width * c.height * 3);
    for (let i = 0, j = 0; i < d.length; i += 4) { out[j++] = d[i]; out[j++] = d[i + 1];
        out[j++] = d[i + 2]; }
    return {w: c.width, h: c.height, rgb: out};
}"""


def _notebook() -> dict:
    cells = [
        f"""import sys, json  # json: the kernel probe's expressions use it
sys.path.insert(0, {str(HERE)!r})
import _models
from convviz_widgets.widgets import DeepDreamViewer
from convviz_widgets.widgets._export import raster_rgb
model, images, is_demo = _models.demo_or_standin()""",
        # Many steps: the run lasts long enough to watch several frames, then we cancel it.
        """dv = DeepDreamViewer(model, images, octaves=2, steps=2000)
dv.add_class("cvt-dd")
dv""",
    ]
    return code_notebook(cells)


@pytest.fixture(scope="module")
def dd_page(lab_server, browser):
    nb = NotebookPage(lab_server, browser, _notebook(), NB, name="deepdream",
                      viewport=(1300, 1200),
                      ready=f"document.querySelectorAll('{ROOT} .convviz-raster"
                            "[data-state=drawn]').length >= 2")
    yield nb.page, nb.probe, nb.console, nb
    nb.close()


def test_frames_appear_and_cancel_stops(dd_page):
    page, probe, console, _ = dd_page
    placeholder = page.evaluate(_CANVAS, AFTER)
    # The placeholder before a run: grey with its words written in (issue 23: not one flat
    # colour), so only grey levels, far fewer colours than the picture.
    assert 1 < placeholder["colours"] <= 256
    assert page.evaluate(_CANVAS, BEFORE)["colours"] > 10  # the image itself
    page.locator(f"{ROOT} button", has_text="Run").click()
    seen = []
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and len({s["hash"] for s in seen}) < 4:
        snap = page.evaluate(_CANVAS, AFTER)
        if snap and snap["hash"] != placeholder["hash"] and probe.eval("dv.running"):
            seen.append(snap)
        time.sleep(0.2)
    distinct = {s["hash"] for s in seen}
    assert len(distinct) >= 4, f"only {len(distinct)} different frames seen while running"
    assert all(s["colours"] > 10 for s in seen), "a frame on the canvas is blank"
    assert probe.eval("dv.running"), "the run ended before Cancel: it was not watched live"
    ARTIFACTS.mkdir(exist_ok=True)
    page.locator(ROOT).first.screenshot(path=str(ARTIFACTS / "deepdream-running.png"))

    page.locator(f"{ROOT} button", has_text="Cancel").click()
    deadline = time.monotonic() + 30
    while probe.eval("dv.running") and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not probe.eval("dv.running") and probe.eval("dv.result.cancelled") is True
    page.wait_for_function(
        f"() => (document.querySelector('{ROOT}').innerText || '').includes('Cancelled')",
        timeout=10_000)
    assert not [m for m in console if "convviz" in m.lower() or "pageerror" in m], console


def test_canvas_equals_the_export_and_export_offers_a_download(dd_page):
    page, probe, console, _ = dd_page
    assert not probe.eval("dv.running")
    time.sleep(0.5)  # the last frame's message has reached the page
    shown = page.evaluate(_RGB, AFTER)
    kernel = probe.eval("{'shape': list(a.shape), 'rgb': a.reshape(-1).tolist()}",
                        setup="a = raster_rgb(dv.after)")
    assert [shown["h"], shown["w"], 3] == kernel["shape"]
    assert np.array_equal(np.asarray(shown["rgb"]), np.asarray(kernel["rgb"]))

    page.locator(f"{ROOT} button", has_text="Export PNG").click()
    link = page.locator(f"{ROOT} a.convviz-download")
    link.wait_for(timeout=20_000)
    assert link.get_attribute("download") == probe.eval("dv.export_filename()")
    assert link.get_attribute("href").startswith("data:image/png;base64,")
    page.locator(f"{ROOT} button", has_text="Export GIF").click()
    page.wait_for_function(
        f"() => {{ const a = document.querySelector('{ROOT} a.convviz-download'); "
        "return a && a.download.endsWith('.gif'); }", timeout=20_000)
    page.locator(ROOT).first.screenshot(path=str(ARTIFACTS / "deepdream-cancelled.png"))
    assert not [m for m in console if "convviz" in m.lower() or "pageerror" in m], console
