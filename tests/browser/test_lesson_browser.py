"""The lessons' views in a real JupyterLab + headless Chromium: ConvStepViewer and the scale menus.

A click on the ConvStepViewer's feature map goes through the mouse; a scale is chosen in the
menu with the keyboard-free ``select_option``. Each check reads canvas pixels with
``getImageData`` and compares them with colours computed here from compute's numbers (the
lessons' formulas written in numpy, coloured with matplotlib's own byte table), independently
of the widget code. Uses the shared server and browser of conftest.py, with its own notebook.
"""

from __future__ import annotations

import numpy as np
import pytest

from _harness import HERE, NotebookPage, code_notebook
from test_explorer_browser import _wait

pytestmark = pytest.mark.browser

NB = "lesson.ipynb"
CS, KV, AV = ".cvt-cs", ".cvt-kv-scale", ".cvt-av-scale"

_READ = """([s, points]) => {
    const c = document.querySelector(s);
    if (!c || !c.width) return null;
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    return points.map(([x, y]) => { const i = 4 * (y * c.width + x);
                                    return [d[i], d[i + 1], d[i + 2]]; });
}"""
_RENDERS = """(s) => { const e = document.querySelector(s);
                       return e ? Number(e.dataset.renders || 0) : -1; }"""


def canvas(root: str, cls: str) -> str:
    return f"{root} .{cls} canvas.cv-main"


def renders(page, root, cls) -> int:
    return int(page.evaluate(_RENDERS, f"{root} .{cls} .convviz-raster"))


def wait_renders(page, root, cls, above) -> None:
    page.wait_for_function("([s, n]) => { const e = document.querySelector(s);"
                           " return e && Number(e.dataset.renders || 0) > n; }",
                           arg=[f"{root} .{cls} .convviz-raster", above], timeout=20_000)


def table(name: str) -> np.ndarray:
    """matplotlib's own byte colour table (what a saved figure uses)."""
    import matplotlib

    return matplotlib.colormaps[name](np.linspace(0, 1, 256), bytes=True)[:, :3].astype(int)


def entry(v01: np.ndarray) -> np.ndarray:
    return np.clip(np.floor(np.asarray(v01, np.float64) * 256), 0, 255).astype(int)


def tile_points(zoom, gap, cols, n, h, w):
    """Centre of every data pixel of ``n`` tiles, in canvas pixels: ``[(k, y, x, [cx, cy])]``."""
    out = []
    for k in range(n):
        ox, oy = (k % cols) * (w * zoom + gap), (k // cols) * (h * zoom + gap)
        for y in range(h):
            for x in range(w):
                out.append((k, y, x, [ox + x * zoom + zoom // 2, oy + y * zoom + zoom // 2]))
    return out


def _notebook() -> dict:
    return code_notebook([
        f"""import sys, json
sys.path.insert(0, {str(HERE)!r})
import numpy as np
import _models
import convviz_widgets as cv
from convviz_widgets import compute
demo, demo_images, is_demo = _models.demo_or_standin()""",
        """cs = cv.ConvStepViewer(demo, demo_images, filter_index=1, position=(0, 0))
cs.add_class("cvt-cs")
cs""",
        """kvs = cv.KernelViewer(demo, colormap="gray")
kvs.add_class("cvt-kv-scale")
kvs""",
        """avs = cv.ActivationViewer(demo, demo_images)
avs.add_class("cvt-av-scale")
avs""",
    ])


@pytest.fixture(scope="module")
def lesson(lab_server, browser):
    nb = NotebookPage(lab_server, browser, _notebook(), NB, name="lesson",
                      viewport=(1500, 1600),
                      ready="document.querySelectorAll('.convviz-raster[data-state=drawn]')"
                            ".length >= 9")
    yield nb
    assert not nb.console, "console errors:\n" + "\n".join(nb.console)
    nb.close()


def test_conv_step_click_shows_the_arithmetic(lesson):
    page, probe = lesson.page, lesson.probe
    z = probe.eval("cs.map_view.zoom")
    oh, ow = probe.eval("list(cs.map_view.shape[1:3])")
    y, x = oh // 2 + 3, ow // 3
    info = page.evaluate("(s) => { const c = document.querySelector(s); "
                         "const r = c.getBoundingClientRect(); "
                         "return [c.width, c.height, r.width, r.height]; }",
                         canvas(CS, "convviz-step-map"))
    r0 = renders(page, CS, "convviz-step-patch")
    page.locator(canvas(CS, "convviz-step-map")).first.click(position={
        "x": (x * z + z / 2) * info[2] / info[0], "y": (y * z + z / 2) * info[3] / info[1]})
    _wait(probe, "list(cs.position)", [y, x])
    wait_renders(page, CS, "convviz-step-patch", r0)
    page.wait_for_timeout(150)
    # The clicked unit is magenta on the map.
    got = page.evaluate(_READ, [canvas(CS, "convviz-step-map"), [[x * z + z // 2,
                                                                  y * z + z // 2]]])
    assert got[0] == [255, 0, 255], got
    # The patch: compute's numbers, on the shared [min, max] of the patch, in grey.
    u = probe.eval("{'patch': cs.unit.patch.tolist(), 'products': cs.unit.products.tolist(), "
                   "'out': cs.unit.output, 'layer_out': float(compute.activations(demo, "
                   "cs.images[0], cs.layer)[cs.layer][0, cs.position[0], cs.position[1], 1]), "
                   "'zoom': cs.patch_view.zoom, 'gap': cs.patch_view.gap, "
                   "'cols': cs.patch_view.columns}")
    assert u["out"] == pytest.approx(u["layer_out"], abs=1e-5)
    patch = np.moveaxis(np.asarray(u["patch"], np.float32), -1, 0)  # (cin, kh, kw)
    lo, hi = float(patch.min()), float(patch.max())
    pts = tile_points(u["zoom"], u["gap"], u["cols"], *patch.shape)
    got = page.evaluate(_READ, [canvas(CS, "convviz-step-patch"), [p[3] for p in pts]])
    want = table("gray")[entry((patch - lo) / (hi - lo))]
    assert np.array_equal(np.asarray(got), np.asarray([want[k, yy, xx] for k, yy, xx, _ in pts]))
    # The products: symmetric around zero, RdBu_r.
    prod = np.moveaxis(np.asarray(u["products"], np.float32), -1, 0)
    m = float(np.abs(prod).max())
    got = page.evaluate(_READ, [canvas(CS, "convviz-step-products"), [p[3] for p in pts]])
    want = table("RdBu_r")[entry((prod + m) / (2 * m))]
    assert np.array_equal(np.asarray(got), np.asarray([want[k, yy, xx] for k, yy, xx, _ in pts]))
    # The arithmetic, as a person reads it.
    text = page.locator(f"{CS} .convviz-step-numbers").first.inner_text()
    assert "pre-activation" in text and "✓" in text
    assert f"{u['out'] + 0.0:.4g}".replace("-", "−") in text
    _shot(page, CS, "conv_step_viewer")


def _shot(page, selector, name):
    from _harness import ARTIFACTS

    ARTIFACTS.mkdir(exist_ok=True)
    loc = page.locator(selector).first
    loc.scroll_into_view_if_needed()
    loc.screenshot(path=str(ARTIFACTS / f"{name}.png"))


def choose_scale(page, probe, root, view, cls, startswith, scale):
    """Pick ``scale`` in ``root``'s scale menu; wait until the kernel has it and ``cls`` redrew."""
    before = renders(page, root, cls)
    _choose_scale(page, root, startswith)
    _wait(probe, f"{view}.scale", scale)
    wait_renders(page, root, cls, before)
    page.wait_for_timeout(150)


def _choose_scale(page, root, startswith):
    sel = page.locator(f"{root} .widget-dropdown").filter(
        has=page.locator("label:text-is('scale')")).locator("select").first
    options = sel.evaluate("(s) => Array.from(s.options).map(o => o.textContent)")
    match = [o for o in options if o.replace("\xa0", " ").startswith(startswith)]
    assert match, options
    sel.select_option(label=match[0])


def test_scale_menu_changes_the_pixels(lesson):
    page, probe = lesson.page, lesson.probe
    # Kernel slices: the 000 handout's "shared" [min, max] of the filter, in grey.
    choose_scale(page, probe, KV, "kvs", "convviz-slices", "shared", "shared")
    k = probe.eval("{'w': compute.kernels(demo, kvs.layer)[..., kvs.filter_index].tolist(), "
                   "'zoom': kvs.slices.zoom, 'gap': kvs.slices.gap, 'cols': kvs.slices.columns}")
    wf = np.moveaxis(np.asarray(k["w"], np.float32), -1, 0)
    pts = tile_points(k["zoom"], k["gap"], k["cols"], *wf.shape)
    got = page.evaluate(_READ, [canvas(KV, "convviz-slices"), [p[3] for p in pts]])
    want = table("gray")[entry((wf - wf.min()) / (wf.max() - wf.min()))]
    assert np.array_equal(np.asarray(got), np.asarray([want[c, y, x] for c, y, x, _ in pts]))
    bar = page.locator(f"{KV} .convviz-scalebar").first.inner_text()
    assert "shared" in bar and f"{wf.min():.3g}".replace("-", "−") in bar
    _shot(page, KV, "kernel_viewer_shared_scale")
    # Feature maps: the Chollet lessons' standardisation.
    choose_scale(page, probe, AV, "avs", "convviz-enlarged", "standardize", "standardize")
    a = probe.eval("{'v': compute.activations(demo, avs.images[0], avs.layer)[avs.layer]"
                   "[0, :, :, avs.filter_index].tolist(), 'zoom': avs.enlarged.zoom}")
    v = np.asarray(a["v"], np.float64)
    std = (v - v.mean()) / (v.std() + 1e-5) * 64 + 128  # the lesson's own recipe
    pts = tile_points(a["zoom"], 0, 1, 1, *v.shape)[::7]
    got = page.evaluate(_READ, [canvas(AV, "convviz-enlarged"), [p[3] for p in pts]])
    want = table("viridis")[entry(np.clip(std, 0, 255) / 255)]
    close = np.abs(np.asarray(got) - np.asarray([want[y, x] for _, y, x, _ in pts])).max(axis=1)
    assert (close == 0).mean() > 0.98 and close.max() <= 4  # float32 vs float64 at edges
    assert "standardize" in page.locator(f"{AV} .convviz-scalebar").first.inner_text()
    _shot(page, AV, "activation_viewer_standardize")
