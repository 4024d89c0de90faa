"""The Explorer in a real JupyterLab + headless Chromium, on the bundled demo model.

Clicking a tile of the activation grid must select that channel in every tab; the Kernels tab
then shows that filter's slices; the Grad-CAM rank line names it. Screenshots of the Explorer go
to the README (with CONVVIZ_UPDATE_SCREENSHOTS=1).
"""

from __future__ import annotations

import os
import shutil

import pytest

from _harness import (ARTIFACTS, SCREENSHOTS, KernelProbe, notebook_url, run_all_cells,
                      wait_kernel_idle_and_app)

pytestmark = pytest.mark.browser

NB = "explorer.ipynb"
ROOT = ".cvt-ex"
GRID = f"{ROOT} canvas.convviz-grid"  # ipycanvas draws its layers into one canvas


def _notebook():
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(
        "import json\nimport convviz_widgets as cv\n"
        "ex = cv.Explorer()\n"
        "ex.add_class('cvt-ex')\n"
        "ex")]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    return nb


@pytest.fixture(scope="module")
def ex(lab_server, browser):
    import nbformat

    nbformat.write(_notebook(), str(lab_server.root / NB))
    console: list[str] = []
    context = browser.new_context(viewport={"width": 1400, "height": 1700})
    page = context.new_page()
    page.on("console", lambda m: m.type == "error" and console.append(m.text))
    page.on("pageerror", lambda exc: console.append(f"pageerror: {exc}"))
    page.goto(notebook_url(lab_server.url, lab_server.token, NB), wait_until="domcontentloaded")
    wait_kernel_idle_and_app(page, path=NB)
    run_all_cells(page, NB)
    try:
        page.wait_for_function(
            f"""() => {{
                const err = document.querySelector(
                    '.jp-RenderedText[data-mime-type="application/vnd.jupyter.error"]');
                if (err) return 'error';
                // The Kernels tab is open first; its rasters are drawn when the Explorer is up.
                return document.querySelectorAll('{ROOT} .convviz-raster[data-state="drawn"]')
                       .length >= 2 ? 'drawn' : false;
            }}""", timeout=180_000, polling=250)
        wait_kernel_idle_and_app(page, path=NB)
    except Exception:
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "explorer-failed-startup.png"), full_page=True)
        raise AssertionError("Explorer did not render in 180 s; console:\n"
                             + "\n".join(console[-20:]) + "\n" + lab_server.log_tail()) from None
    sessions = lab_server.api("/api/sessions")
    kernel_id = next(s["kernel"]["id"] for s in sessions if s["path"].endswith(NB))
    probe = KernelProbe(lab_server.runtime / f"kernel-{kernel_id}.json")
    yield page, probe, console
    probe.close()
    context.close()


def _shot(page, name):
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    loc = page.locator(ROOT).first
    loc.scroll_into_view_if_needed()
    loc.screenshot(path=str(path))
    if os.environ.get("CONVVIZ_UPDATE_SCREENSHOTS") == "1":
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, SCREENSHOTS / f"{name}.png")


def _wait(probe, expr, expected, timeout=20.0):
    import time

    deadline = time.monotonic() + timeout
    value = None
    while time.monotonic() < deadline:
        value = probe.eval(expr)
        if value == expected:
            return
        time.sleep(0.1)
    raise AssertionError(f"{expr} = {value!r}, expected {expected!r}")


def _open_tab(page, index):
    # ipywidgets 8 renders tabs as Lumino tab bars.
    page.locator(f"{ROOT} .lm-TabBar-tab, {ROOT} .p-TabBar-tab").nth(index).click()


def test_tile_click_selects_channel_in_every_tab(ex):
    page, probe, console = ex
    probe.run("ex.layer = 'block2_conv1'; ex.filter_index = 0")
    _open_tab(page, 1)  # Activations: its grid canvas exists once the tab is shown
    page.wait_for_selector(GRID, timeout=30_000)
    page.wait_for_timeout(500)
    geo = probe.eval("{'rects': [g.tile_rect(i) for i in range(g.n)], 'w': g.width, "
                     "'h': g.height}", setup="g = ex.activations._grid_layout")
    target = 9
    x, y, tw, th = geo["rects"][target]
    box = page.evaluate("(s) => { const c = document.querySelector(s); "
                        "const r = c.getBoundingClientRect(); "
                        "return {w: c.width, h: c.height, cw: r.width, ch: r.height}; }", GRID)
    sx, sy = box["cw"] / box["w"], box["ch"] / box["h"]
    page.locator(GRID).first.click(position={"x": (x + tw / 2) * sx, "y": (y + th / 2) * sy})
    _wait(probe, "ex.filter_index", target)
    assert probe.eval("[ex.kernels.filter_index, ex.patterns.filter_index, "
                      "ex.activations.filter_index]") == [target] * 3
    # The shared slider's readout moved with the click.
    page.wait_for_function(
        "([s, v]) => Array.from(document.querySelectorAll(s)).some("
        "e => e.textContent.trim() === String(v))",
        arg=[f"{ROOT} .widget-readout", target], timeout=10_000)
    _shot(page, "explorer_activations")

    _open_tab(page, 0)  # Kernels: the slices canvas shows the selected filter
    page.wait_for_timeout(300)
    title = page.locator(f"{ROOT} .convviz-slices").first.inner_text()
    assert f"filter {target}" in title
    std = page.evaluate("(s) => { const c = document.querySelector(s); "
                        "const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;"
                        " let a = 0, b = 0; for (let i = 0; i < d.length; i += 4) "
                        "{ a += d[i]; b += d[i] * d[i]; } const n = d.length / 4; "
                        "return Math.sqrt(b / n - (a / n) ** 2); }",
                        f"{ROOT} .convviz-slices canvas.cv-main")
    assert std > 5, "kernel slices canvas is blank"
    _shot(page, "explorer_kernels")


def test_gradcam_tab_and_rank_line(ex):
    page, probe, console = ex
    probe.run("ex.layer = 'block3_conv2'; ex.filter_index = 4")
    _open_tab(page, 3)
    page.wait_for_function(
        f"() => document.querySelector('{ROOT} .convviz-overlay[data-state=\"drawn\"]')",
        timeout=60_000)
    page.wait_for_function(
        f"() => {{ const e = document.querySelector('{ROOT} .convviz-rank'); "
        "return e && e.textContent.includes('channel 4'); }", timeout=20_000)
    _shot(page, "explorer_gradcam")
    assert not [m for m in console if "convviz" in m.lower() or "pageerror" in m], console
