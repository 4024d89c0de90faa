"""Issue 23 item 7: nothing moves when the selection changes.

The Activations page put the input and the selected channel right of the grid for some channels
and below it (off-screen) for others, because the side column was as wide as the channel's
caption. In JupyterLab + Chromium, the bounding boxes of the input and of the enlarged channel
are measured for channels with the longest and the shortest captions: they must not move. The
Explorer's Activations page (the lessons' set-up) is checked the same way.
"""

from __future__ import annotations

import pytest

from _harness import NotebookPage, code_notebook

pytestmark = pytest.mark.browser

NB = "layout_stability.ipynb"
AV = ".cvt-layout-av"
EX = ".cvt-layout-ex"
READY = (f"document.querySelector('{AV} .convviz-enlarged .convviz-raster[data-state=drawn]') "
         f"&& document.querySelector('{EX} .convviz-enlarged .convviz-raster[data-state=drawn]')")

#: Bounding boxes (page coordinates) of the panels that must stay put, and the render count.
_BOXES = """(root) => { const out = {};
    for (const k of ['convviz-input', 'convviz-enlarged', 'convviz-activation-scale']) {
        const e = document.querySelector(root + ' .' + k);
        const r = e.getBoundingClientRect();
        out[k] = [Math.round(r.left + scrollX), Math.round(r.top + scrollY),
                  Math.round(r.width)];
    }
    const c = document.querySelector(root + ' .convviz-enlarged .cv-caption');
    out.caption = c.textContent;
    out.renders = document.querySelector(root + ' .convviz-enlarged .convviz-raster')
        .dataset.renders;
    return out; }"""


def _notebook():
    return code_notebook([
        "import json\nimport convviz_widgets as cv\n"
        "model, scenes = cv.demo_model(), cv.demo_images()\n"
        "av = cv.ActivationViewer(model, scenes.images, layer='block1_conv1', "
        "scale='standardize')\n"
        "av.add_class('cvt-layout-av')\n"
        "av",
        "ex = cv.Explorer(model, scenes.images)\n"
        "ex.add_class('cvt-layout-ex')\n"
        "ex.layer = 'block1_conv1'\n"
        "ex.activations.scale = 'standardize'\n"
        "ex.tabs.selected_index = 1\n"
        "ex",
    ])


@pytest.fixture(scope="module")
def layout_page(lab_server, browser):
    nb = NotebookPage(lab_server, browser, _notebook(), NB, name="layout_stability",
                      viewport=(1400, 2600), ready=READY, timeout_ms=300_000)
    yield nb
    nb.close()


def _channels_by_caption(probe, view: str) -> list[int]:
    """Channels whose captions are the longest and the shortest (and one between)."""
    caption = ("__import__('convviz_widgets.widgets._activation_frame', fromlist=['_'])"
               ".values_caption")
    lengths = probe.eval(
        f"[len({caption}({view}.frame(), {view}.layer, f, {view}.scale, {view}.lang))"
        f" for f in range({view}.frame().a.shape[-1])]")
    order = sorted(range(len(lengths)), key=lambda f: lengths[f])
    assert lengths[order[-1]] > lengths[order[0]], lengths  # captions differ in width
    return [order[-1], order[0], order[len(order) // 2], order[-1]]


@pytest.mark.parametrize("root, view", [(AV, "av"), (EX, "ex.activations")])
def test_input_and_selected_channel_do_not_move_with_the_channel(layout_page, root, view):
    page, probe = layout_page.page, layout_page.probe
    seen = []
    for f in _channels_by_caption(probe, view):
        before = page.evaluate(_BOXES, root)["renders"]
        setter = "ex.filter_index" if view.startswith("ex") else f"{view}.filter_index"
        probe.run(f"{setter} = {f}")
        page.wait_for_function(
            "([r, n]) => document.querySelector(r + ' .convviz-enlarged .convviz-raster')"
            ".dataset.renders !== n", arg=[root, before], timeout=20_000)
        page.wait_for_timeout(200)  # layout settles after the text landed
        boxes = page.evaluate(_BOXES, root)
        seen.append((f, boxes))
    first = seen[0][1]
    for f, boxes in seen[1:]:
        for key in ("convviz-input", "convviz-enlarged", "convviz-activation-scale"):
            assert boxes[key] == first[key], (key, f, boxes[key], first[key],
                                              [b["caption"] for _, b in seen])
    # and the side column is right of the grid, not under it (visible without scrolling)
    grid = page.evaluate(
        "(r) => { const g = document.querySelector(r + ' .convviz-grid').getBoundingClientRect();"
        " return [g.right, g.top]; }", root)
    assert first["convviz-input"][0] >= grid[0] - 1, (first, grid)


def test_hover_on_a_colour_picture_reads_row_col_and_rgb_bytes(layout_page):
    """Issue 23 item 6d: the input's hover says which pixel and which colour it is."""
    page, probe = layout_page.page, layout_page.probe
    sel = f"{AV} .convviz-input canvas.cv-main"
    box = page.evaluate(
        "(s) => { const c = document.querySelector(s); const r = c.getBoundingClientRect();"
        " return {cw: r.width, ch: r.height, w: c.width, h: c.height}; }", sel)
    info = probe.eval("{'zoom': av.input_view.zoom, 'shape': list(av.input_view.shape)}")
    z = info["zoom"]
    y, x = info["shape"][1] // 3, (2 * info["shape"][2]) // 3
    page.locator(sel).first.hover(position={"x": (x * z + z / 2) * box["cw"] / box["w"],
                                            "y": (y * z + z / 2) * box["ch"] / box["h"]})
    page.wait_for_timeout(100)
    text = page.locator(f"{AV} .convviz-input .cv-info").first.inner_text()
    r, g, b = probe.eval(f"[int(v) for v in av.input_view.pixels[0, {y}, {x}, :3]]")
    assert text.strip() == f"row {y}, col {x} · R {r} G {g} B {b}", text
