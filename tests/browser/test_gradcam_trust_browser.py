"""GradCAMViewer's attribution methods, trust panel and two-model gallery in a real JupyterLab.

Its own notebook (``gradcam_trust.ipynb``) and page. The method menu is used as a person uses
it; after each switch the heat canvas must show exactly the kernel's map (which must equal a
direct ``cv.gradcam`` call) through the colormap the kernel chose — a diverging one for signed
maps — and the pixels must differ from the previous method's. Hovering a signed map reads the
map's own value (negative where the pixel lowers the score), and a colormap picked in the
overlay's menu survives a switch to a map of the other kind when it suits that kind.
"""

from __future__ import annotations

import time

import numpy as np
import pytest

from _harness import ARTIFACTS, HERE, NotebookPage, code_notebook
from test_gradcam_browser import _READ, _SIZE, wait_for

pytestmark = pytest.mark.browser

NB = "gradcam_trust.ipynb"
ROOT = ".cvt-gt"
MAIN = f"{ROOT} .convviz-gradcam-main .convviz-overlay"
COMPARE = f"{ROOT} .convviz-gradcam-compare .convviz-overlay"


def _notebook() -> dict:
    cells = [
        f"""import sys, json
sys.path.insert(0, {str(HERE)!r})
import numpy as np, keras
import _models
import convviz_widgets as cv
from convviz_widgets.widgets._gradcam_viewer import GradCAMViewer
model, images, is_demo = _models.demo_or_standin()
if is_demo:
    scenes = cv.demo_images()
    images, labels = scenes.images[:8], scenes.labels[:8]
else:
    labels = [0, 1, 2]
# The lesson compares two models with the same classes: here the same network with its
# weights shaken (a stand-in for "trained without data augmentation").
other = keras.models.clone_model(model)
rng = np.random.default_rng(3)
other.set_weights([w + rng.normal(0, 0.05 * (float(np.std(w)) + 1e-3), w.shape).astype(w.dtype)
                   for w in model.get_weights()])""",
        """v = GradCAMViewer(model, images, labels=labels, compare=other,
                  names=("model", "shaken copy"))
v.add_class("cvt-gt")
v""",
    ]
    return code_notebook(cells)


class _GT:
    def __init__(self, nb):
        self.nb, self.page, self.probe, self.console = nb, nb.page, nb.probe, nb.console


@pytest.fixture(scope="module")
def gt(lab_server, browser):
    nb = NotebookPage(lab_server, browser, _notebook(), NB, name="gradcam-trust",
                      viewport=(1400, 2200),
                      ready=f"document.querySelectorAll('{ROOT} .convviz-overlay"
                            "[data-state=drawn]').length >= 2")
    yield _GT(nb)
    nb.close()


def shown_pixels(gt, pts):
    return np.asarray(gt.page.evaluate(_READ, [f"{MAIN} canvas.cv-heat",
                                               [list(p) for p in pts]]))


def test_switching_methods_shows_each_map_as_compute_made_it(gt):
    import matplotlib

    page = gt.page
    menu = page.locator(f"{ROOT} .convviz-gradcam-method select")
    # The method menu lists the registered methods in their order.
    names = gt.probe.eval("list(cv.cam_methods())")
    assert gt.probe.eval("v.method") == "gradcam"  # what the page starts with
    previous = None
    for name in ("saliency", "gradient_x_input", "eigencam", "layercam", "gradcam"):
        before = page.evaluate("(s) => document.querySelector(s).dataset.heatDraws", MAIN)
        menu.select_option(index=names.index(name))
        wait_for(lambda: gt.probe.eval("v.result is not None and v.result.method") == name
                 and not gt.probe.eval("v.busy"))
        page.wait_for_function("([s, n]) => document.querySelector(s).dataset.heatDraws !== n",
                               arg=[MAIN, before], timeout=20_000)
        info = gt.probe.eval(
            "(lambda r, d: {'heat': v.overlay.heatmap_pixels.tolist(), 'cmap': v.overlay."
            "shown_colormap, 'signed': r.signed, 'same': bool(np.allclose(r.heatmap, d.heatmap, "
            "atol=1e-5)), 'shape': list(r.heatmap.shape), 'image': list(v.overlay.image_shape)})"
            "(v.result, cv.gradcam(model, v.images[v.image_index], target=v.result.target, "
            # a pixel method reads no layer, and a layer= it cannot use raises (bug 9)
            "layer=v.layer if cv.compute.cam.reads_layer(cv.compute.cam.get_method(v.method)) "
            "else None, method=v.method))")
        assert info["same"], name  # the kernel shows what a direct call computes
        assert info["shape"] == info["image"]  # pixel maps at the image's resolution
        assert info["cmap"] == ("RdBu_r" if info["signed"] else "jet"), name
        assert page.evaluate("(s) => document.querySelector(s).dataset.colormap",
                             MAIN) == info["cmap"], name
        heat = np.asarray(info["heat"])
        h, w = heat.shape
        pts = [(x, y) for y in range(0, h, max(1, h // 10)) for x in range(0, w, max(1, w // 10))]
        got = shown_pixels(gt, pts)
        lut = matplotlib.colormaps[info["cmap"]](np.linspace(0, 1, 256), bytes=True)[:, :3].astype(int)
        assert np.abs(got[:, :3] - lut[[heat[y, x] for x, y in pts]]).max() <= 1, name
        if previous is not None:
            assert np.abs(got[:, :3] - previous).max() > 10, name  # the picture changed
        previous = got[:, :3]
        if name == "gradient_x_input":
            hover_reads_the_signed_values(gt)
            ARTIFACTS.mkdir(exist_ok=True)
            page.locator(f"{ROOT} .convviz-gradcam-main").first.screenshot(
                path=str(ARTIFACTS / "gradcam-signed-map.png"))


def hover(gt, x, y, selector=MAIN) -> str:
    """Move the mouse over heat pixel (x, y) and return the hover line."""
    size = gt.page.evaluate(_SIZE, f"{selector} canvas.cv-heat")
    gt.page.mouse.move(size["x"] + (x + 0.5) * size["cw"] / size["w"],
                       size["y"] + (y + 0.5) * size["ch"] / size["h"])
    return gt.page.locator(f"{selector} .cv-info").inner_text()


def hover_reads_the_signed_values(gt):
    """On gradient × input the hover shows the attribution in the map's units: negative at the
    most negative pixel, positive at the most positive, equal to the raw map there."""
    info = gt.probe.eval(
        "{'values': v.overlay.heatmap_values.tolist(), 'raw': v.result.cam.tolist(), "
        "'step': v.overlay.value_step}")
    values, raw = np.asarray(info["values"]), np.asarray(info["raw"])
    assert values.min() < -10 * info["step"] and values.max() > 10 * info["step"]
    for y, x in (np.unravel_index(np.argmax(values), values.shape),
                 np.unravel_index(np.argmin(values), values.shape)):
        text = hover(gt, int(x), int(y))
        assert f"row {y}, col {x} · " in text and "attribution" in text, text
        read = float(text.rsplit(" ", 1)[1])
        assert read == pytest.approx(values[y, x], rel=6e-3), text  # 3 digits shown
        assert np.sign(read) == np.sign(values[y, x])
        if raw.shape == values.shape:  # shown at the model's size: the raw map itself
            assert abs(read - raw[y, x]) <= info["step"] / 2 + abs(read) * 6e-3, text
    assert read < 0  # the last one: the most negative pixel
    # The colour bar's ends say the same range: -scale, 0, +scale in the map's units.
    scale = gt.probe.eval("v.result.details['scale']")
    lo, hi = (float(t) for t in gt.page.evaluate(
        "(s) => document.querySelector(s).dataset.range", MAIN).split(","))
    assert lo == pytest.approx(-scale, rel=1e-6) and hi == pytest.approx(scale, rel=1e-6)
    ends = gt.page.locator(f"{MAIN} .cv-range span").all_inner_texts()
    assert ends[1] == "0" and float(ends[0]) == pytest.approx(-scale, rel=6e-3)
    assert float(ends[2]) == pytest.approx(scale, rel=6e-3)


def wait_drawn(gt, before, selector=MAIN):
    gt.page.wait_for_function("([s, n]) => document.querySelector(s).dataset.heatDraws !== n",
                              arg=[selector, before], timeout=20_000)


def pick_method(gt, name):
    if gt.probe.eval("v.method") == name:
        return
    names = gt.probe.eval("list(cv.cam_methods())")  # the method menu's order
    before = gt.page.evaluate("(s) => document.querySelector(s).dataset.heatDraws", MAIN)
    gt.page.locator(f"{ROOT} .convviz-gradcam-method select").select_option(
        index=names.index(name))
    wait_for(lambda: gt.probe.eval("v.result is not None and v.result.method") == name
             and not gt.probe.eval("v.busy"))
    wait_drawn(gt, before)


def shown_look(gt, selector=MAIN) -> tuple[str, str]:
    return tuple(gt.page.evaluate("(s) => { const d = document.querySelector(s).dataset; "
                                  "return [d.colormap, d.signed]; }", selector))


def test_a_picked_colormap_survives_a_switch_of_kind(gt):
    """magma picked on Grad-CAM is the wrong kind for gradient × input (RdBu_r comes); coolwarm
    picked there comes back with the next signed map, magma with the next unsigned one; the
    comparison view follows; the canvas shows the picked LUT."""
    import matplotlib

    page = gt.page
    pick_method(gt, "gradcam")
    page.locator(f"{MAIN} select.cv-colormap").select_option("magma")
    page.wait_for_function("(s) => document.querySelector(s).dataset.colormap === 'magma'",
                           arg=MAIN, timeout=5000)
    pick_method(gt, "gradient_x_input")
    assert shown_look(gt) == ("RdBu_r", "true")
    page.locator(f"{MAIN} select.cv-colormap").select_option("coolwarm")
    page.wait_for_function("(s) => document.querySelector(s).dataset.colormap === 'coolwarm'",
                           arg=MAIN, timeout=5000)
    assert shown_look(gt, COMPARE)[0] == "coolwarm"  # the side-by-side view follows
    pick_method(gt, "saliency")
    assert shown_look(gt) == ("magma", "false") and shown_look(gt, COMPARE)[0] == "magma"
    pick_method(gt, "gradient_x_input")
    assert shown_look(gt) == ("coolwarm", "true")
    # The menu says what is shown, and the pixels are the picked map's colours.
    assert page.locator(f"{MAIN} select.cv-colormap").input_value() == "coolwarm"
    heat = np.asarray(gt.probe.eval("v.overlay.heatmap_pixels.tolist()"))
    pts = [(int(x), int(y)) for y, x in (np.unravel_index(np.argmin(heat), heat.shape),
                                         np.unravel_index(np.argmax(heat), heat.shape))]
    got = shown_pixels(gt, pts)
    lut = np.round(matplotlib.colormaps["coolwarm"](np.linspace(0, 1, 256))[:, :3] * 255)
    assert np.abs(got[:, :3] - lut[[heat[y, x] for x, y in pts]]).max() <= 2  # see above
    ARTIFACTS.mkdir(exist_ok=True)
    hover(gt, *pts[0])
    page.locator(f"{ROOT} .convviz-gradcam-main").first.screenshot(
        path=str(ARTIFACTS / "gradcam-signed-picked-colormap.png"))
    # The kernel's own defaults are untouched (the picks never left the browser).
    assert gt.probe.eval("(v.overlay.colormap, v.overlay.signed_colormap)") == ["jet", "RdBu_r"]


def test_trust_panel_draws_the_curves_and_the_numbers(gt):
    page = gt.page
    gt.probe.run("v.method = 'gradcam'")
    wait_for(lambda: gt.probe.eval("v.result.method == 'gradcam' and not v.busy"))
    page.locator(f"{ROOT} .convviz-trust-run").click()
    wait_for(lambda: gt.probe.eval("v.trust is not None and not v.busy"), timeout=120)
    # Both models' maps are scored: two curves and two baselines each.
    page.wait_for_function(
        f"() => document.querySelectorAll('{ROOT} .convviz-trust-plot svg polyline').length "
        "=== 8", timeout=20_000)
    for part, prefix in (("v.trust", ""), ("v.trust['compare']", "compare-")):
        areas = gt.probe.eval(
            f"[round({part}[k].area, 3) for k in ('deletion', 'insertion')] + "
            f"[round({part}[k].random_area, 3) for k in ('deletion', 'insertion')]")
        text = page.locator(f"{ROOT} .convviz-trust-{prefix}deletion").inner_text()
        assert f"deletion area {areas[0]:.3f} vs random {areas[2]:.3f}" in text
        text = page.locator(f"{ROOT} .convviz-trust-{prefix}insertion").inner_text()
        assert f"insertion area {areas[1]:.3f} vs random {areas[3]:.3f}" in text
    main = page.locator(f"{ROOT} .convviz-trust-row").bounding_box()
    other = page.locator(f"{ROOT} .convviz-trust-compare-row").bounding_box()
    assert other["y"] >= main["y"] + main["height"] - 1  # one row per model, in order
    assert page.locator(f"{ROOT} .convviz-trust-row").inner_text().startswith("model")
    assert page.locator(f"{ROOT} .convviz-trust-compare-row").inner_text().startswith(
        "shaken copy")
    # The drawn curve is the computed one: its last point is the last value of the curve.
    box = page.locator(f"{ROOT} .convviz-trust-plot svg").first.bounding_box()
    assert box["width"] > 200 and box["height"] > 100
    ARTIFACTS.mkdir(exist_ok=True)
    page.locator(f"{ROOT} .convviz-trust").first.screenshot(
        path=str(ARTIFACTS / "gradcam-trust-panel.png"))


def test_both_models_best_and_worst_side_by_side_ranked_by_deletion(gt):
    page = gt.page
    page.locator(f"{ROOT} select").filter(has_text="deletion area").select_option(
        label="deletion area (faithfulness)")
    page.locator(f"{ROOT} button", has_text="Find best & worst").click()
    wait_for(lambda: gt.probe.eval("v.gallery is not None and not v.busy"), timeout=300)
    assert gt.probe.eval("v.gallery['by']") == "deletion"
    for sel in (".convviz-gallery-best", ".convviz-gallery-compare-best",
                ".convviz-gallery-worst", ".convviz-gallery-compare-worst"):
        page.wait_for_function("(s) => { const c = document.querySelector(s); "
                               "return c && c.width > 8; }", arg=f"{ROOT} {sel} canvas.cv-main",
                               timeout=20_000)
    left = page.locator(f"{ROOT} .convviz-gallery-best canvas.cv-main").bounding_box()
    right = page.locator(f"{ROOT} .convviz-gallery-compare-best canvas.cv-main").bounding_box()
    assert right["x"] > left["x"] + left["width"] and abs(right["y"] - left["y"]) < 40
    worst = gt.probe.eval("v.gallery['compare']['worst']")
    # The first tile (the trust panel's two rows may push the gallery below the viewport:
    # the locator scrolls it into view).
    page.locator(f"{ROOT} .convviz-gallery-compare-worst canvas.cv-main").click(
        position={"x": 5, "y": 5})
    wait_for(lambda: gt.probe.eval("v.image_index") == worst[0])
    # The new map's own view: its top prediction highlighted, the old map's scores gone.
    name = gt.probe.eval("v.target_name(v.result.target)")
    page.wait_for_function(
        f"(n) => Array.from(document.querySelectorAll('{ROOT} .convviz-topk.mod-info'))"
        ".some(b => b.textContent.includes(n))", arg=name, timeout=20_000)
    page.wait_for_function(
        f"() => !document.querySelector('{ROOT} .convviz-trust-plot svg')", timeout=20_000)
    ARTIFACTS.mkdir(exist_ok=True)
    loc = page.locator(ROOT).first
    loc.screenshot(path=str(ARTIFACTS / "gradcam-trust-viewer.png"))
    errors = [m for m in gt.console if "404" not in m]
    assert not errors, "console errors:\n" + "\n".join(errors)
