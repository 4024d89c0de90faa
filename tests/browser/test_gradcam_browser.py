"""GradCAMViewer in a real JupyterLab + headless Chromium.

Uses the shared server and browser of conftest.py, but its own notebook (``gradcam.ipynb``) in
its own page, so the kernel/activation tests' notebook is left exactly as they expect it.

The central check: moving the overlay's opacity slider (a real keyboard interaction) changes the
heat canvas pixels while *no* ``comm_msg`` leaves the browser on the kernel websocket and the
Python-side ``opacity`` trait stays where it was — the look is applied in the browser only.
"""

from __future__ import annotations

import time

import numpy as np
import pytest

from _harness import ARTIFACTS, HERE, NotebookPage, code_notebook

pytestmark = pytest.mark.browser

NB = "gradcam.ipynb"
ROOT = ".cvt-gc"
MAIN = f"{ROOT} .convviz-gradcam-main .convviz-overlay"
COMPARE = f"{ROOT} .convviz-gradcam-compare .convviz-overlay"

_READ = """([selector, points]) => {
    const c = document.querySelector(selector);
    if (!c || !c.width) return null;
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    return points.map(([x, y]) => {
        const i = 4 * (y * c.width + x);
        return Array.from(d.slice(i, i + 4));
    });
}"""

_SIZE = """(s) => { const c = document.querySelector(s); const r = c.getBoundingClientRect();
    return {w: c.width, h: c.height, x: r.x, y: r.y, cw: r.width, ch: r.height}; }"""


def _notebook() -> dict:
    cells = [
        f"""import sys, json
sys.path.insert(0, {str(HERE)!r})
import numpy as np
import _models
from convviz_widgets.widgets._gradcam_viewer import GradCAMViewer
model, images, is_demo = _models.demo_or_standin()
other = _models.small_functional(seed=7)
labels = None if is_demo else [0, 1, 2]""",
        """v = GradCAMViewer(model, images, labels=labels, compare=other,
                  names=("model", "other model"))
v.add_class("cvt-gc")
v""",
    ]
    return code_notebook(cells)


class _GC:
    def __init__(self, page, probe, frames, console, nb):
        self.page, self.probe, self.frames, self.console = page, probe, frames, console
        self.nb = nb

    def comm_msgs_sent(self) -> int:
        """Messages the browser sent to the kernel that carry widget state (comm_msg)."""
        return sum(1 for f in self.frames if b"comm_msg" in f)


@pytest.fixture(scope="module")
def gc(lab_server, browser):
    frames: list[bytes] = []

    def listen(page):
        """Record what the browser sends on the kernel websocket (to count comm messages)."""
        def on_ws(ws):
            if "/api/kernels/" in ws.url:
                ws.on("framesent", lambda payload: frames.append(
                    payload if isinstance(payload, bytes) else payload.encode()))

        page.on("websocket", on_ws)

    nb = NotebookPage(lab_server, browser, _notebook(), NB, name="gradcam",
                      viewport=(1400, 1800), on_page=listen,
                      ready=f"document.querySelectorAll('{ROOT} .convviz-overlay"
                            "[data-state=drawn]').length >= 2")
    yield _GC(nb.page, nb.probe, frames, nb.console, nb)
    nb.close()


def heat_pixels(gc, selector=MAIN, points=((0, 0),)):
    return gc.page.evaluate(_READ, [f"{selector} canvas.cv-heat", [list(p) for p in points]])


def js_round(v: float) -> int:
    """JavaScript's Math.round (halves go up; Python's round() goes to even)."""
    return int(np.floor(v + 0.5))


def wait_for(fn, timeout=20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if fn():
            return
        time.sleep(0.05)
    raise AssertionError("condition not met in time")


# ---------------------------------------------------------------------------------- tests
def assert_overlay_matches_kernel(gc, selector=MAIN, view="v.overlay"):
    """The heat and image canvases show the kernel's pixels, in the kernel's colormap and
    opacity (sampled on an 8×8 lattice of pixels)."""
    info = gc.probe.eval(f"{{'shape': {view}.heatmap_shape, 'heat': {view}.heatmap_pixels"
                         f".tolist(), 'img': {view}.image_pixels.tolist(), "
                         f"'opacity': {view}.opacity, 'cmap': {view}.shown_colormap}}")
    h, w = info["shape"]
    heat = np.asarray(info["heat"])
    img = np.asarray(info["img"])
    size = gc.page.evaluate(_SIZE, f"{selector} canvas.cv-heat")
    assert (size["h"], size["w"]) == (h, w) and size["cw"] >= w  # upscaled for display
    pts = [(x, y) for y in range(0, h, max(1, h // 8)) for x in range(0, w, max(1, w // 8))]
    got = np.asarray(heat_pixels(gc, selector, points=pts))
    import matplotlib

    lut = matplotlib.colormaps[info["cmap"]](np.linspace(0, 1, 256), bytes=True)[:, :3].astype(int)
    want = lut[[heat[y, x] for x, y in pts]]
    # The package's table (matplotlib's byte table); reading a colour back from a canvas drawn
    # with alpha can lose a level to premultiplication.
    assert np.abs(got[:, :3] - want).max() <= 1
    assert (got[:, 3] == js_round(info["opacity"] * 255)).all()
    base = np.asarray(gc.page.evaluate(_READ, [f"{selector} canvas.cv-image",
                                               [list(p) for p in pts]]))
    np.testing.assert_array_equal(base[:, :3], img[[y for _, y in pts], [x for x, _ in pts]])


def test_overlay_shows_what_compute_returned(gc):
    assert_overlay_matches_kernel(gc)
    assert_overlay_matches_kernel(gc, COMPARE, "v.compare_overlay")


def test_opacity_changes_pixels_without_a_kernel_message(gc):
    page = gc.page
    before_alpha = heat_pixels(gc)[0][3]
    before_compare = heat_pixels(gc, COMPARE)[0][3]
    sent_before = gc.comm_msgs_sent()
    shot_before = page.locator(f"{MAIN} .cv-stack").screenshot()
    slider = page.locator(f"{MAIN} input.cv-opacity")
    slider.focus()
    for _ in range(20):
        page.keyboard.press("ArrowRight")   # +0.20, a real input event each time
    page.wait_for_function("(s) => document.querySelector(s).dataset.opacity === '0.7'",
                           arg=MAIN, timeout=5000)
    after_alpha = heat_pixels(gc)[0][3]
    assert before_alpha == js_round(0.5 * 255) and after_alpha == js_round(0.7 * 255)
    assert page.locator(f"{MAIN} .cv-stack").screenshot() != shot_before  # what a person sees
    # The comparison view follows locally (same group), also without the kernel.
    assert heat_pixels(gc, COMPARE)[0][3] == after_alpha != before_compare
    time.sleep(0.5)  # anything that was going to be sent has been sent by now
    assert gc.comm_msgs_sent() == sent_before
    assert gc.probe.eval("v.overlay.opacity") == 0.5  # the kernel never heard of it


def test_colormap_changes_in_the_browser(gc):
    sent_before = gc.comm_msgs_sent()
    gc.page.locator(f"{MAIN} select.cv-colormap").select_option("gray")
    gc.page.wait_for_function("(s) => document.querySelector(s).dataset.colormap === 'gray'",
                              arg=MAIN, timeout=5000)
    heat = np.asarray(gc.probe.eval("v.overlay.heatmap_pixels.tolist()"))
    y, x = np.unravel_index(np.argmax(heat), heat.shape)
    r, g, b, _ = heat_pixels(gc, points=[(int(x), int(y))])[0]
    assert r == g == b and abs(r - heat[y, x]) <= 1
    time.sleep(0.5)
    assert gc.comm_msgs_sent() == sent_before
    assert gc.probe.eval("v.overlay.colormap") == "jet"


def test_hover_shows_the_heatmap_value(gc):
    heat = np.asarray(gc.probe.eval("v.overlay.heatmap_pixels.tolist()"))
    h, w = heat.shape
    size = gc.page.evaluate(_SIZE, f"{MAIN} canvas.cv-heat")
    y, x = h // 3, (2 * w) // 3
    gc.page.mouse.move(size["x"] + (x + 0.5) * size["cw"] / w,
                       size["y"] + (y + 0.5) * size["ch"] / h)
    text = gc.page.locator(f"{MAIN} .cv-info").inner_text()
    assert f"row {y}, col {x} · heat {heat[y, x] / 255:.2f}" in text, text


def test_clicking_a_prediction_shows_its_heatmap(gc):
    page = gc.page
    info = gc.probe.eval("{'target': v.result.target, 'top': [int(i) for i in v.top.indices]}")
    other = next(k for k in info["top"] if k != info["target"])
    before = page.evaluate("(s) => document.querySelector(s).dataset.heatDraws", MAIN)
    buttons = page.locator(f"{ROOT} .convviz-topk")
    buttons.nth(info["top"].index(other)).click()
    wait_for(lambda: gc.probe.eval("v.result.target") == other)
    page.wait_for_function("([s, n]) => document.querySelector(s).dataset.heatDraws !== n",
                           arg=[MAIN, before], timeout=10_000)
    heat = np.asarray(gc.probe.eval("v.overlay.heatmap_pixels.tolist()"))
    y, x = np.unravel_index(np.argmax(heat), heat.shape)
    # The browser kept the user's look (gray, 0.7) for the new heatmap.
    r, g, b, a = heat_pixels(gc, points=[(int(x), int(y))])[0]
    assert r == g == b and a == js_round(0.7 * 255)


def test_gallery_of_best_and_worst(gc):
    page = gc.page
    page.locator(f"{ROOT} button", has_text="Find best & worst").click()
    wait_for(lambda: gc.probe.eval("v.gallery is not None and not v.busy"), timeout=120)
    worst = gc.probe.eval("v.gallery['worst']")
    canvas = f"{ROOT} .convviz-gallery-worst canvas.cv-main"
    page.wait_for_function("(s) => { const c = document.querySelector(s); "
                           "return c && c.width > 8; }", arg=canvas, timeout=20_000)
    # The gallery may still be laid out (a re-render detaches the canvas for a moment): wait
    # until it has a box on the page.
    wait_for(lambda: page.locator(canvas).first.bounding_box() is not None, timeout=20)
    box = page.locator(canvas).first.bounding_box()
    page.mouse.click(box["x"] + 5, box["y"] + 5)  # the first tile: the worst mistake
    wait_for(lambda: gc.probe.eval("v.image_index") == worst[0])


def test_an_error_in_the_worker_thread_shows_in_the_page(gc):
    """Score-CAM runs in a worker thread; its failure must reach the page (not a log), the
    method menu go back to what the picture shows, and the next choice work."""
    page = gc.page
    gc.probe.run("""
import convviz_widgets.compute.cam as _cam
_real_gradcam = _cam.gradcam
def _failing(model, image, **kw):
    if kw.get("method") == "scorecam":
        raise RuntimeError("masked forward pass ran out of memory (test)")
    return _real_gradcam(model, image, **kw)
_cam.gradcam = _failing
""")
    try:
        shown = gc.probe.eval("v.method")
        method_menu = page.locator(f"{ROOT} select").nth(2)
        method_menu.select_option(label="Score-CAM")
        page.wait_for_function(
            f"() => {{ const e = document.querySelector('{ROOT} .convviz-error'); "
            "return e && e.textContent.includes('ran out of memory (test)'); }",
            timeout=30_000)
        wait_for(lambda: not gc.probe.eval("v.busy"))
        assert gc.probe.eval("v.method") == shown
        # The status line may be re-rendered (same text) as the menus are put back, so the
        # check is by content, not by holding on to one DOM element.
        page.wait_for_function(
            f"() => {{ const e = document.querySelector('{ROOT} .convviz-error'); "
            "return e && e.textContent.includes('ran out of memory (test)'); }",
            timeout=10_000)
        ARTIFACTS.mkdir(exist_ok=True)
        page.locator(ROOT).first.screenshot(path=str(ARTIFACTS / "gradcam-worker-error.png"))
        menus = page.evaluate(f"() => Array.from(document.querySelectorAll('{ROOT} select'))"
                              ".map(s => s.selectedOptions[0].textContent.trim())")
        assert "Score-CAM" not in menus, menus
    finally:
        gc.probe.run("_cam.gradcam = _real_gradcam")
    method_menu.select_option(label="Grad-CAM++")  # the next choice works
    wait_for(lambda: gc.probe.eval("v.result.method") == "gradcam++")
    page.wait_for_function(f"() => !document.querySelector('{ROOT} .convviz-error')",
                           timeout=10_000)
    gc.probe.run("v.method = 'gradcam'")


def test_screenshot_and_no_console_errors(gc):
    ARTIFACTS.mkdir(exist_ok=True)
    loc = gc.page.locator(ROOT).first
    loc.scroll_into_view_if_needed()
    loc.screenshot(path=str(ARTIFACTS / "gradcam-viewer.png"))
    errors = [m for m in gc.console if "404" not in m]
    assert not errors, "console errors:\n" + "\n".join(errors)


def test_reload_mid_session_restores_the_viewer(gc):
    """After a page reload (same kernel) both overlays, the predictions, the gallery and the
    selection come back from the kernel's state, and clicking still reaches the kernel."""
    page = gc.page
    gc.probe.run("v.image_index = 1")
    wait_for(lambda: gc.probe.eval("v.result is not None and not v.busy"))
    top = gc.probe.eval("[int(i) for i in v.top.indices]")
    gc.probe.run(f"v.target = {top[1]}")  # the second-ranked class, not the default
    wait_for(lambda: gc.probe.eval("v.result.target") == top[1])

    gc.nb.reload()
    # The look chosen in the browser (gray, 0.7) was never the kernel's: the views come back
    # in the kernel's colormap and opacity, with the kernel's pixels.
    assert_overlay_matches_kernel(gc)
    assert_overlay_matches_kernel(gc, COMPARE, "v.compare_overlay")
    # The class menu and the highlighted prediction show the chosen class.
    name = gc.probe.eval(f"v.target_name({top[1]})")
    menus = page.evaluate(f"() => Array.from(document.querySelectorAll('{ROOT} select'))"
                          ".map(s => s.selectedOptions.length ? "
                          "s.selectedOptions[0].textContent.trim() : '')")
    assert name in menus, menus  # the image, layer, method and class menus, then colormaps
    page.wait_for_function(
        f"() => Array.from(document.querySelectorAll('{ROOT} .convviz-topk')).length >= 2",
        timeout=20_000)
    highlighted = page.locator(f"{ROOT} .convviz-topk.mod-info").all_inner_texts()
    assert len(highlighted) == 1 and name in highlighted[0], highlighted
    # The gallery of the earlier test is drawn again.
    for which in ("best", "worst"):
        page.wait_for_function("(s) => { const c = document.querySelector(s); "
                               "return c && c.width > 8; }",
                               arg=f"{ROOT} .convviz-gallery-{which} canvas.cv-main",
                               timeout=20_000)
    ARTIFACTS.mkdir(exist_ok=True)
    loc = page.locator(ROOT).first
    loc.scroll_into_view_if_needed()
    loc.screenshot(path=str(ARTIFACTS / "gradcam-viewer-after-reload.png"))
    # Live: clicking the top prediction explains it again.
    page.locator(f"{ROOT} .convviz-topk").nth(0).click()
    wait_for(lambda: gc.probe.eval("v.result.target") == top[0])
    errors = [m for m in gc.console if "404" not in m]
    assert not errors, "console errors:\n" + "\n".join(errors)
