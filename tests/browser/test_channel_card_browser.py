"""The Explorer's Channel page in JupyterLab + headless Chromium, on the bundled demo.

A click on a dataset patch must make that scene the Explorer's current image: the card's map
shows the new image (its pixels change in the browser) and the image menu names it. A
screenshot of the card goes to the README (with CONVVIZ_UPDATE_SCREENSHOTS=1).
"""

from __future__ import annotations

import os
import shutil
import time

import pytest

from _harness import ARTIFACTS, SCREENSHOTS, NotebookPage, code_notebook

pytestmark = pytest.mark.browser

NB = "channel_card.ipynb"
ROOT = ".cvt-card"
CARD = f"{ROOT} .convviz-channel-card"
PATCHES = f"{CARD} .convviz-card-examples canvas.cv-main"
MAP = f"{CARD} .convviz-card-map"
READY = (f"document.querySelector('{CARD} .convviz-card-examples .convviz-raster"
         f"[data-state=drawn]') && document.querySelector('{MAP} .convviz-overlay"
         "[data-state=drawn]')")

#: Sum and spread of every canvas of the map view (image and heat), read in the page.
_MAP_PIXELS = """(s) => { let sum = 0, sq = 0, n = 0;
    for (const c of document.querySelectorAll(s + ' canvas')) { if (!c.width) continue;
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        for (let i = 0; i < d.length; i += 4) { const v = d[i] + d[i + 1] + d[i + 2];
            sum += v; sq += v * v; n += 1; } }
    return n ? {mean: sum / n, std: Math.sqrt(sq / n - (sum / n) ** 2), n} : null; }"""


def _notebook():
    # The demo data set is mined (or read from the cache) when the Explorer is built; the
    # cell waits for it so the page is complete when the cell ends.
    return code_notebook(["import json\nimport convviz_widgets as cv\n"
                          "ex = cv.Explorer()\n"
                          "ex.add_class('cvt-card')\n"
                          "ex.layer = 'block3_conv1'; ex.filter_index = 5\n"
                          "ex.tabs.selected_index = ex.tabs.titles.index('Channel')\n"
                          "assert ex.card.wait(300)\n"
                          "ex"])


@pytest.fixture(scope="module")
def card_page(lab_server, browser):
    nb = NotebookPage(lab_server, browser, _notebook(), NB, name="channel_card",
                      viewport=(1400, 1500), ready=READY, timeout_ms=300_000)
    yield nb.page, nb.probe, nb.console
    nb.close()


def _shot(page, name, selector):
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    loc = page.locator(selector).first
    loc.scroll_into_view_if_needed()
    loc.screenshot(path=str(path))
    if os.environ.get("CONVVIZ_UPDATE_SCREENSHOTS") == "1":
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, SCREENSHOTS / f"{name}.png")
    return path


def _wait(probe, expr, check, timeout=60.0):
    deadline = time.monotonic() + timeout
    value = None
    while time.monotonic() < deadline:
        value = probe.eval(expr)
        if check(value):
            return value
        time.sleep(0.2)
    raise AssertionError(f"{expr} = {value!r} never passed the check")


def test_patch_click_switches_the_current_image(card_page):
    page, probe, console = card_page
    # The pattern and the rank arrive in the background: wait for both before the picture.
    _wait(probe, "ex.card._rank_line.value", lambda v: "Grad-CAM rank" in v)
    _wait(probe, "ex.card.pattern_view.caption", lambda v: "mean activation" in v)
    page.wait_for_timeout(500)
    _shot(page, "channel_card", CARD)
    before = page.evaluate(_MAP_PIXELS, MAP)
    assert before and before["std"] > 5, "the map over the image is blank"
    n_before = probe.eval("len(ex.activations.images)")

    # Click the third patch where the browser draws it (tile geometry of the raster view).
    geo = probe.eval("{'w': v.shape[2] * v.zoom, 'h': v.shape[1] * v.zoom, 'gap': v.gap, "
                     "'n': v.shape[0]}", setup="v = ex.card.examples_view")
    assert geo["n"] == 9
    box = page.evaluate("(s) => { const c = document.querySelector(s); "
                        "const r = c.getBoundingClientRect(); "
                        "return {w: c.width, h: c.height, cw: r.width, ch: r.height}; }",
                        PATCHES)
    sx, sy = box["cw"] / box["w"], box["ch"] / box["h"]
    tile = 2
    x = tile * (geo["w"] + geo["gap"]) + geo["w"] / 2
    page.locator(PATCHES).first.click(position={"x": x * sx, "y": geo["h"] / 2 * sy})

    _wait(probe, "ex.image_index", lambda v: v == n_before)
    expected = probe.eval("ex.card.picked_name")
    assert probe.eval("ex.activations.image_names[ex.image_index]") == expected
    assert probe.eval("int(ex.card.examples.index[ex.card.examples.row(5), 2])") == \
        probe.eval("ex.card.picked")
    # The browser redrew the map over the new image: its pixels changed.
    deadline = time.monotonic() + 20
    after = before
    while time.monotonic() < deadline and after == before:
        page.wait_for_timeout(250)
        after = page.evaluate(_MAP_PIXELS, MAP)
    assert after != before and after["std"] > 5
    # The image menu shows the picked scene.
    shown = []
    for _ in range(40):
        shown = page.evaluate("(s) => Array.from(document.querySelectorAll(s)).map(e => "
                              "e.selectedIndex < 0 ? '' : e.options[e.selectedIndex].text"
                              ".replace(/\\u00a0/g, ' ').trim())", f"{ROOT} select")
        if expected in shown:
            break
        page.wait_for_timeout(250)
    assert expected in shown, shown
    _wait(probe, "ex.card._rank_line.value", lambda v: "Grad-CAM rank" in v)
    page.wait_for_timeout(300)
    _shot(page, "channel_card_after_click", CARD)
    assert not [m for m in console if "convviz" in m.lower() or "pageerror" in m], console
