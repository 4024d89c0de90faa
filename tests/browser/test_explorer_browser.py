"""The Explorer in a real JupyterLab + headless Chromium, on the bundled demo model.

Clicking a tile of the activation grid must select that channel in every tab; the Kernels tab
then shows that filter's slices; the Grad-CAM rank line names it. Screenshots of the Explorer go
to the README (with CONVVIZ_UPDATE_SCREENSHOTS=1).
"""

from __future__ import annotations

import os
import shutil

import pytest

from _harness import ARTIFACTS, SCREENSHOTS, NotebookPage, code_notebook

pytestmark = pytest.mark.browser

NB = "explorer.ipynb"
ROOT = ".cvt-ex"
GRID = f"{ROOT} .convviz-grid canvas.cv-main"  # the channel grid is a raster view
READY = f"document.querySelectorAll('{ROOT} .convviz-raster[data-state=drawn]').length >= 2"


def _notebook():
    return code_notebook(["import json\nimport convviz_widgets as cv\n"
                          "ex = cv.Explorer()\n"
                          "ex.add_class('cvt-ex')\n"
                          "ex"])


@pytest.fixture(scope="module")
def ex(lab_server, browser):
    # The Kernels tab is open first; its rasters are drawn when the Explorer is up.
    nb = NotebookPage(lab_server, browser, _notebook(), NB, name="explorer",
                      viewport=(1400, 1700), ready=READY)
    yield nb.page, nb.probe, nb.console, nb
    nb.close()


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
    # The Explorer's pages are switched by its own button row (ToggleButtons), the same in
    # every front end; the selected page is the only one shown.
    page.locator(f"{ROOT} .convviz-pagebar button").nth(index).click()
    _wait_only_page(page, index)


def _wait_only_page(page, index):
    page.wait_for_function(
        "([s, k]) => { const pages = Array.from(document.querySelectorAll(s)); "
        "return pages.length >= 5 && pages.every((p, i) => "
        "(p.getClientRects().length > 0) === (i === k)); }",
        arg=[f"{ROOT} .convviz-page", index], timeout=10_000)


def test_tile_click_selects_channel_in_every_tab(ex):
    page, probe, console, _ = ex
    probe.run("ex.layer = 'block2_conv1'; ex.filter_index = 0")
    _open_tab(page, 1)  # Activations: its grid canvas exists once the tab is shown
    page.wait_for_selector(GRID, timeout=30_000)
    page.wait_for_timeout(500)
    geo = probe.eval("{'rects': [g.tile_rect(i) for i in range(g.n)], 'w': g.width, "
                     "'h': g.height}", setup="g = ex.activations.canvas.grid_layout")
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
    page, probe, console, _ = ex
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


_GRID_STATS = """(s) => { const c = document.querySelector(s); if (!c || !c.width) return null;
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let lo = 255, hi = 0; for (let i = 0; i < d.length; i += 4) {
        lo = Math.min(lo, d[i + 1]); hi = Math.max(hi, d[i + 1]); }
    return {w: c.width, h: c.height, range: hi - lo}; }"""


def test_reload_mid_session_restores_every_view(ex):
    """A page reload (same kernel) brings back the selection, the open tab and every drawn
    view from the kernel's state, and the controls still drive the kernel."""
    page, probe, console, nb = ex
    probe.run("ex.layer = 'block2_conv1'; ex.filter_index = 5")
    _open_tab(page, 1)
    page.wait_for_selector(GRID, timeout=30_000)
    _wait(probe, "ex.tabs.selected_index", 1)
    geo = probe.eval("{'w': g.width, 'h': g.height}", setup="g = ex.activations.canvas.grid_layout")

    nb.reload()
    # The Activations tab is still the open one, with the selection of before.
    page.wait_for_function(
        f"() => {{ const t = document.querySelector('{ROOT} .convviz-pagebar button.mod-active'); "
        "return t && t.textContent.includes('Activations'); }", timeout=30_000)
    _wait_only_page(page, 1)
    page.wait_for_function(
        "([s, v]) => Array.from(document.querySelectorAll(s)).some("
        "e => e.textContent.trim() === String(v))",
        arg=[f"{ROOT} .widget-readout", 5], timeout=30_000)
    menus = page.evaluate(f"() => Array.from(document.querySelectorAll('{ROOT} select'))"
                          ".map(s => s.selectedOptions.length ? "
                          "s.selectedOptions[0].textContent.trim() : '')")
    assert any(m.startswith("block2_conv1") for m in menus), menus  # the shared layer menu
    # After a reload the grid is drawn again from its synced state (no kernel replay).
    page.wait_for_function(
        f"([s, w, h]) => {{ const r = ({_GRID_STATS})(s); "
        "return r && r.w === w && r.h === h && r.range > 40; }",
        arg=[GRID, geo["w"], geo["h"]], timeout=30_000, polling=200)
    _shot(page, "explorer_after_reload")

    # The page is live: a tile click still moves the selection everywhere.
    x, y, tw, th = probe.eval("g.tile_rect(3)", setup="g = ex.activations.canvas.grid_layout")
    box = page.evaluate("(s) => { const c = document.querySelector(s); "
                        "const r = c.getBoundingClientRect(); "
                        "return {w: c.width, h: c.height, cw: r.width, ch: r.height}; }", GRID)
    sx, sy = box["cw"] / box["w"], box["ch"] / box["h"]
    page.locator(GRID).first.click(position={"x": (x + tw / 2) * sx, "y": (y + th / 2) * sy})
    _wait(probe, "ex.filter_index", 3)

    # The other tabs come back drawn from state too.
    _open_tab(page, 0)
    page.wait_for_function(
        f"() => {{ const e = document.querySelector('{ROOT} .convviz-slices'); "
        "return e && e.innerText.includes('filter 3'); }", timeout=20_000)
    _open_tab(page, 3)
    page.wait_for_function(
        f"() => document.querySelector('{ROOT} .convviz-overlay[data-state=\"drawn\"]')",
        timeout=30_000)
    assert not [m for m in console if "convviz" in m.lower() or "pageerror" in m], console
