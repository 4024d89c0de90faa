"""The views in Notebook 7 (the classic-notebook successor many courses still use), on a server
of its own (``notebook7_server``): every kind of view draws, the controls drive the kernel and
the kernel's pixels reach the canvases. The README's "works in" table cites this module.
"""

from __future__ import annotations

import time

import numpy as np
import pytest

from _harness import ARTIFACTS, HERE, NotebookPage, code_notebook

pytestmark = pytest.mark.browser

NB = "notebook7.ipynb"
ROOT = ".cvt-n7"


def _notebook():
    cells = [
        f"""import sys, json
sys.path.insert(0, {str(HERE)!r})
import _models
import convviz_widgets as cv
model, images, is_demo = _models.demo_or_standin()
if images is None:
    images = list(cv.demo_images().images[:4])""",
        """av = cv.ActivationViewer(model, images[:4])
av.add_class("cvt-n7"); av.add_class("cvt-n7-av")
av""",
        """kv = cv.KernelViewer(model)
kv.add_class("cvt-n7"); kv.add_class("cvt-n7-kv")
kv""",
        """gc = cv.GradCAMViewer(model, images[:4])
gc.add_class("cvt-n7"); gc.add_class("cvt-n7-gc")
gc""",
        """ex = cv.Explorer(model, images[:2])
ex.add_class("cvt-n7"); ex.add_class("cvt-n7-ex")
ex""",
    ]
    return code_notebook(cells)


@pytest.fixture(scope="module")
def n7(notebook7_server, browser):
    nb = NotebookPage(notebook7_server, browser, _notebook(), NB, name="notebook7", ui="notebook",
                      viewport=(1300, 2600),
                      ready="document.querySelectorAll('.cvt-n7-av .convviz-raster"
                            "[data-state=drawn]').length >= 2 && document.querySelector("
                            "'.cvt-n7-gc .convviz-overlay[data-state=drawn]') && "
                            "document.querySelectorAll('.cvt-n7-ex .convviz-raster"
                            "[data-state=drawn]').length >= 2")
    yield nb
    nb.close()


_STATS = """(s) => { const c = document.querySelector(s); if (!c || !c.width) return null;
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let lo = 255, hi = 0, h = 0;
    for (let i = 0; i < d.length; i += 4) { lo = Math.min(lo, d[i + 1]);
        hi = Math.max(hi, d[i + 1]); h = (h * 31 + d[i] + 7 * d[i + 1] + 13 * d[i + 2]) >>> 0; }
    return {w: c.width, h: c.height, range: hi - lo, hash: h}; }"""


def test_it_is_notebook7_and_every_view_is_drawn(n7):
    page = n7.page
    assert "/notebooks/" in page.url and page.locator("#main-panel, .jp-NotebookPanel").count()
    assert page.locator(".jp-LabShell").count() == 0  # not JupyterLab
    grid = page.evaluate(_STATS, ".cvt-n7-av .convviz-grid canvas.cv-main")
    geo = n7.probe.eval("{'w': g.width, 'h': g.height}", setup="g = av.canvas.grid_layout")
    assert grid and (grid["w"], grid["h"]) == (geo["w"], geo["h"]) and grid["range"] > 40
    page.wait_for_function("(s) => { const c = document.querySelector(s); "
                           "return c && c.width > 0; }",
                           arg=".cvt-n7-kv .convviz-slices canvas.cv-main", timeout=30_000)
    slices = page.evaluate(_STATS, ".cvt-n7-kv .convviz-slices canvas.cv-main")
    assert slices["range"] > 20, "kernel slices are blank"
    # The overlay's heat canvas holds the kernel's heatmap, coloured by the jet table.
    info = n7.probe.eval("{'heat': gc.overlay.heatmap_pixels.tolist(), "
                         "'a': gc.overlay.opacity}")
    heat = np.asarray(info["heat"])
    y, x = np.unravel_index(np.argmax(heat), heat.shape)
    px = page.evaluate("([s, x, y]) => { const c = document.querySelector(s); return Array.from("
                       "c.getContext('2d').getImageData(x, y, 1, 1).data); }",
                       [".cvt-n7-gc .convviz-gradcam-main canvas.cv-heat", int(x), int(y)])
    import matplotlib

    want = matplotlib.colormaps["jet"](np.linspace(0, 1, 256), bytes=True)[int(heat[y, x]), :3]  # the package's table
    assert np.abs(np.asarray(px[:3]) - want.astype(int)).max() <= 1
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "notebook7.png"), full_page=True)


def test_controls_drive_the_kernel_in_notebook7(n7):
    page, probe = n7.page, n7.probe
    enlarged = ".cvt-n7-av .convviz-enlarged canvas.cv-main"
    before = page.evaluate(_STATS, enlarged)
    assert before and before["range"] > 0
    start = probe.eval("av.filter_index")
    # Drag the channel slider's handle to 5 of 0..n-1 with the mouse, as a student would.
    slider = page.locator(".cvt-n7-av .widget-slider", has_text="channel")
    handle = slider.locator(".noUi-handle").first
    track = slider.locator(".noUi-base").first.bounding_box()
    hb = handle.bounding_box()
    n = probe.eval("av._slider.max")
    target = 5
    page.mouse.move(hb["x"] + hb["width"] / 2, hb["y"] + hb["height"] / 2)
    page.mouse.down()
    page.mouse.move(track["x"] + track["width"] * target / n, hb["y"] + hb["height"] / 2,
                    steps=8)
    page.mouse.up()
    deadline = time.monotonic() + 20
    while probe.eval("av.filter_index") != target and time.monotonic() < deadline:
        time.sleep(0.1)  # continuous updates: intermediate values arrive first
    assert probe.eval("av.filter_index") == target != start
    # The enlarged channel shows the new channel's pixels.
    page.wait_for_function(f"([s, h]) => {{ const r = ({_STATS})(s); return r && r.hash !== h; }}",
                           arg=[enlarged, before["hash"]], timeout=20_000)
    # A click on a prediction button reaches the kernel and the class changes.
    top = probe.eval("[int(i) for i in gc.top.indices]")
    page.locator(".cvt-n7-gc .convviz-topk").nth(1).click()
    deadline = time.monotonic() + 20
    while probe.eval("gc.result.target") != top[1] and time.monotonic() < deadline:
        time.sleep(0.1)
    assert probe.eval("gc.result.target") == top[1]


_PAGE_SHOWN = """([root, k]) => {
    const pages = Array.from(document.querySelectorAll(root + ' .convviz-page'));
    const shown = pages.map((p) => p.getClientRects().length > 0);
    if (pages.length < 5 || shown.filter(Boolean).length !== 1 || !shown[k]) return null;
    const canv = Array.from(pages[k].querySelectorAll('canvas')).filter((c) => c.width > 0);
    return {canvases: canv.length, tables: pages[k].querySelectorAll('table').length,
            selects: pages[k].querySelectorAll('select').length}; }"""


def test_explorer_pages_switch_in_notebook7(n7):
    """The Explorer's page buttons (no ipywidgets.Tab) show one page at a time here too."""
    page, probe = n7.page, n7.probe
    bar = page.locator(".cvt-n7-ex .convviz-pagebar button")
    n = bar.count()  # the linked views, further pages, the model summary, the Publish panel
    assert n >= 6
    for k in (1, 3, n - 2, n - 1, 0):
        bar.nth(k).click()
        shown = page.wait_for_function(_PAGE_SHOWN, arg=[".cvt-n7-ex", k],
                                       timeout=20_000).json_value()
        if k == n - 2:  # the model summary: a table
            assert shown["tables"] > 0, (k, shown)
        elif k == n - 1:  # the Publish panel: its layer list, no drawing
            assert shown["selects"] > 0 and shown["canvases"] == 0, (k, shown)
        else:
            assert shown["canvases"] > 0, (k, shown)
        deadline = time.monotonic() + 20
        while probe.eval("ex.tabs.selected_index") != k and time.monotonic() < deadline:
            time.sleep(0.1)
        assert probe.eval("ex.tabs.selected_index") == k
        if k == 1:
            ARTIFACTS.mkdir(exist_ok=True)
            page.locator(".cvt-n7-ex").first.screenshot(
                path=str(ARTIFACTS / "notebook7_explorer_activations.png"))


@pytest.fixture(scope="module")
def notebook7_own_errors(notebook7_server, browser):
    """The console errors Notebook 7 produces on this server by itself: a notebook with one
    ``print(1)`` cell and no widget, opened the same way. (Seen here with Notebook 7.6: "Cannot
    read properties of undefined (reading 'schema')"; on a server shared with JupyterLab pages
    also "Command 'filebrowser:open-path' not registered" and a 403 — all without any widget.)"""
    plain = NotebookPage(notebook7_server, browser, code_notebook(["print(1)"]),
                         "notebook7_plain.ipynb", name="notebook7-plain", ui="notebook",
                         ready="document.querySelector('.jp-OutputArea-output')")
    plain.page.wait_for_timeout(2000)
    own = set(plain.console)
    plain.close()
    return own


def test_no_console_errors_of_ours_in_notebook7(n7, notebook7_own_errors):
    """Every console error on the widget page must also appear on a widget-free page."""
    ours = [m for m in n7.console if m not in notebook7_own_errors]
    assert not ours, ("console errors not produced by Notebook 7 alone:\n" + "\n".join(ours)
                      + "\n(Notebook 7's own: " + repr(sorted(notebook7_own_errors)) + ")")
