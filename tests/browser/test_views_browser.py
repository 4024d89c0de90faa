"""The kernel and activation views in a real JupyterLab + headless Chromium.

Each interaction goes through the mouse or keyboard in the page; each check reads canvas pixels
with ``getImageData`` and compares them with what :mod:`convviz_widgets.compute` returns in
the notebook's kernel, coloured here with matplotlib — independently of the widget code.

Tests run in file order and share one notebook (see conftest.py); each starts from the state
the previous one left, and says so.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from _harness import ARTIFACTS, MIN_RASTERS

pytestmark = pytest.mark.browser

AV = ".cvt-av-nested"
KV = ".cvt-kv-nested"
GRID = f"{AV} .convviz-grid canvas.cv-main"  # the channel grid is a raster view
OUTLINE = f"{AV} .convviz-grid canvas.cv-outline"  # its selection layer, over the tiles

# -- page helpers ---------------------------------------------------------------------------

_READ_PIXELS = """([selector, index, points]) => {
    const c = document.querySelectorAll(selector)[index];
    if (!c || !c.width || !c.height) return null;
    const data = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    return points.map(([x, y]) => {
        const i = 4 * (Math.floor(y) * c.width + Math.floor(x));
        return [data[i], data[i + 1], data[i + 2], data[i + 3]];
    });
}"""

_CANVAS_INFO = """([selector, index]) => {
    const c = document.querySelectorAll(selector)[index];
    if (!c) return null;
    const r = c.getBoundingClientRect();
    return {width: c.width, height: c.height, x: r.x, y: r.y, cssWidth: r.width,
            cssHeight: r.height};
}"""

_FINGERPRINT = """([selector, index]) => {
    const c = document.querySelectorAll(selector)[index];
    if (!c || !c.width || !c.height) return null;
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let h = 0, sum = 0, sq = 0;
    for (let i = 0; i < d.length; i += 4) {
        const v = d[i] * 3 + d[i + 1] * 5 + d[i + 2] * 7;
        h = (h * 31 + v) | 0; sum += v; sq += v * v;
    }
    const n = d.length / 4;
    return {hash: h, width: c.width, height: c.height, std: Math.sqrt(sq / n - (sum / n) ** 2)};
}"""


def raster_canvas(root: str, cls: str) -> str:
    return f"{root} .{cls} canvas.cv-main"


def outline_canvas(root: str, cls: str) -> str:
    """The raster's selection layer (raster.js draws outlines there, over the picture)."""
    return f"{root} .{cls} canvas.cv-outline"


def renders(page, root: str, cls: str) -> int:
    v = page.evaluate("(s) => { const e = document.querySelector(s); "
                      "return e ? Number(e.dataset.renders || 0) : -1; }",
                      f"{root} .{cls} .convviz-raster")
    return int(v)


def wait_renders(page, root: str, cls: str, above: int, timeout: int = 20_000) -> None:
    page.wait_for_function(
        "([s, n]) => { const e = document.querySelector(s); "
        "return e && Number(e.dataset.renders || 0) > n; }",
        arg=[f"{root} .{cls} .convviz-raster", above], timeout=timeout, polling=20)


def wait_kernel(lab, expr: str, expected, timeout: float = 20.0):
    """Poll a kernel expression until it equals ``expected`` (the kernel handles comm messages
    between our requests, so this also waits for the browser's change to arrive)."""
    import time

    deadline = time.monotonic() + timeout
    value = None
    while time.monotonic() < deadline:
        value = lab.probe.eval(expr)
        if value == expected:
            return value
        time.sleep(0.05)
    raise AssertionError(f"{expr} = {value!r}, expected {expected!r}")


def expected_lut(name: str) -> np.ndarray:
    import matplotlib

    return matplotlib.colormaps[name](np.linspace(0, 1, 256), bytes=True)[:, :3].astype(int)


def codes_of(values: np.ndarray, lo: float, hi: float, flat: int = 0) -> np.ndarray:
    """The test's own quantisation: round((v - lo) / (hi - lo) * 255)."""
    if hi <= lo:
        return np.full(values.shape, flat, int)
    return np.clip(np.floor((values - lo) / (hi - lo) * 255 + 0.5), 0, 255).astype(int)


def select_option(page, root: str, label: str, startswith: str) -> None:
    """Choose the option of ``root``'s dropdown labelled ``label`` that starts with a text."""
    sel = page.locator(f"{root} .widget-dropdown").filter(
        has=page.locator(f"label:text-is('{label}')")).locator("select").first
    options = sel.evaluate("(s) => Array.from(s.options).map(o => o.textContent)")
    # ipywidgets renders runs of spaces in option labels as no-break spaces.
    match = [o for o in options if o.replace("\xa0", " ").startswith(startswith)]
    assert match, f"no option starting with {startswith!r} in {options}"
    sel.select_option(label=match[0])


def slider_handle(page, root: str):
    return page.locator(f"{root} .widget-slider .noUi-handle").first


def compare_colors(actual, expected, tol: int = 6) -> float:
    """Share of sampled pixels whose RGB is within ``tol`` of the expected colour."""
    a = np.asarray(actual, int)[:, :3]
    e = np.asarray(expected, int)
    return float((np.abs(a - e).max(axis=1) <= tol).mean())


def check_enlarged(lab, root: str, viewer: str, image_expr: str, model_expr: str) -> dict:
    """The enlarged raster shows the selected channel of compute's output, colormapped."""
    page = lab.page
    info = lab.probe.eval(
        "{'layer': v.layer, 'f': v.filter_index, 'cmap': v.colormap, 'norm': v.normalize, "
        "'zoom': v.enlarged.zoom, 'values': compute.activations(" + model_expr + ", "
        + image_expr + ", [v.layer])[v.layer][0, :, :, v.filter_index].tolist()}",
        setup=f"v = {viewer}")
    values = np.asarray(info["values"], np.float32)
    assert info["norm"] == "channel", "test expects per-channel normalisation"
    h, w = values.shape
    z = info["zoom"]
    ys, xs = np.meshgrid(np.arange(h), np.arange(w), indexing="ij")
    pick = np.arange(h * w)[:: max(1, (h * w) // 4000)]  # ~4k data pixels at most
    ys, xs = ys.ravel()[pick], xs.ravel()[pick]
    points = [[int(x * z + z // 2), int(y * z + z // 2)] for y, x in zip(ys, xs)]
    canvas = page.evaluate(_CANVAS_INFO, [raster_canvas(root, "convviz-enlarged"), 0])
    assert canvas["width"] == w * z and canvas["height"] == h * z, (canvas, h, w, z)
    got = page.evaluate(_READ_PIXELS, [raster_canvas(root, "convviz-enlarged"), 0, points])
    codes = codes_of(values, float(values.min()), float(values.max()))
    want = expected_lut(info["cmap"])[codes[ys, xs]]
    share = compare_colors(got, want)
    assert share >= 0.99, f"enlarged channel {info['f']} of {info['layer']}: only {share:.1%} " \
                          "of the sampled pixels match compute's output"
    return info


def grid_geometry(lab, viewer: str) -> dict:
    return lab.probe.eval(
        "{'n': g.n, 'rects': [g.tile_rect(i) for i in range(g.n)], 'w': g.width, "
        "'h': g.height, 'start': v.filter_index - v.canvas.selected, 'page': v.page, 'f': v.filter_index,"
        "'blank': v.canvas.marked}",
        setup=f"v = {viewer}; g = v.canvas.grid_layout")


@pytest.fixture(autouse=True)
def no_new_console_errors(lab):
    """Every test also fails on a console error raised while it ran."""
    before = len(lab.widget_errors())
    yield
    errors = lab.widget_errors()[before:]
    assert not errors, "console errors:\n" + "\n".join(errors)


# -- tests ------------------------------------------------------------------------------------

def test_all_views_render_with_content(lab):
    page = lab.page
    if not lab.probe.eval("is_demo"):
        import warnings

        warnings.warn("the bundled demo model is not available (module or trained weights "
                      "missing): the 'demo' views ran on a small stand-in model", stacklevel=1)
    n = page.evaluate("document.querySelectorAll('.convviz-raster[data-state=\"drawn\"]').length")
    assert n >= MIN_RASTERS
    for root in (".cvt-av-demo", AV):
        fp = page.wait_for_function(
            "([s]) => { const c = document.querySelector(s); if (!c || !c.width) return null;"
            " const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;"
            " let lo = 255, hi = 0; for (let i = 0; i < d.length; i += 4) {"
            " lo = Math.min(lo, d[i + 1]); hi = Math.max(hi, d[i + 1]); }"
            " return hi - lo > 40 ? [c.width, c.height] : null; }",
            arg=[f"{root} .convviz-grid canvas.cv-main"], timeout=20_000, polling=100).json_value()
        geo = grid_geometry(lab, "av_demo" if root == ".cvt-av-demo" else "av_nested")
        assert fp == [geo["w"], geo["h"]], "grid canvas size differs from the planned layout"
    for root in (".cvt-kv-demo", KV):
        for cls in ("convviz-slices", "convviz-overview"):
            fp = page.evaluate(_FINGERPRINT, [raster_canvas(root, cls), 0])
            assert fp and fp["std"] > 5, f"{root} {cls} looks blank: {fp}"
    # The demo's first layer reads RGB, so its RGB composite is shown.
    fp = page.evaluate(_FINGERPRINT, [raster_canvas(".cvt-kv-demo", "convviz-composite"), 0])
    assert fp and fp["width"] > 0 and fp["std"] > 1
    lab.shot(".cvt-av-demo", "activation_viewer_demo", docs=True)
    lab.shot(".cvt-kv-demo", "kernel_viewer_demo", docs=True)


def test_activation_layer_dropdown_changes_grid(lab):
    page = lab.page
    grid = GRID
    before = page.evaluate(_FINGERPRINT, [grid, 0])
    r0 = renders(page, AV, "convviz-enlarged")
    select_option(page, AV, "layer", "vgg16/block3_conv1 ")
    wait_kernel(lab, "av_nested.layer", "vgg16/block3_conv1")
    wait_renders(page, AV, "convviz-enlarged", r0)
    geo = grid_geometry(lab, "av_nested")
    page.wait_for_function(
        "([s, w, h]) => { const c = document.querySelector(s); return c && c.width === w "
        "&& c.height === h; }", arg=[grid, geo["w"], geo["h"]], timeout=10_000)
    page.wait_for_timeout(300)
    after = page.evaluate(_FINGERPRINT, [grid, 0])
    assert after["hash"] != before["hash"] and after["std"] > 5
    assert geo["n"] == 32

    # Each tile's centre shows its channel at that point, on the channel's own range.
    info = lab.probe.eval(
        "{'a': compute.activations(nested, scenes[av_nested.image_index], "
        "['vgg16/block3_conv1'])['vgg16/block3_conv1'][0].tolist(), "
        "'zoom': av_nested.canvas.grid_layout.zoom, 'th': av_nested.canvas.grid_layout.th, "
        "'tw': av_nested.canvas.grid_layout.tw}")
    a = np.asarray(info["a"], np.float32)  # (h, w, c)
    h, w, c = a.shape
    lut = expected_lut("viridis")
    points, want = [], []
    for i, (x, y, tw, th) in enumerate(geo["rects"]):
        ty, tx = info["th"] // 2, info["tw"] // 2
        sy, sx = (ty + 0.5) * h / info["th"], (tx + 0.5) * w / info["tw"]
        ch = a[..., i]
        want.append(lut[codes_of(ch[int(sy), int(sx)], float(ch.min()), float(ch.max()))])
        points.append([x + tx * info["zoom"] + info["zoom"] // 2,
                       y + ty * info["zoom"] + info["zoom"] // 2])
    got = page.evaluate(_READ_PIXELS, [grid, 0, points])
    assert compare_colors(got, want) >= 0.95
    check_enlarged(lab, AV, "av_nested", "scenes[av_nested.image_index]", "nested")
    lab.shot(AV, "activation_viewer_nested_block3")


def test_activation_slider_moves_channel(lab):
    page = lab.page
    start = lab.probe.eval("av_nested.filter_index")
    r0 = renders(page, AV, "convviz-enlarged")
    grid_draws = renders(page, AV, "convviz-grid")
    handle = slider_handle(page, AV)
    handle.focus()
    for _ in range(3):
        handle.press("ArrowRight")
    wait_kernel(lab, "av_nested.filter_index", start + 3)
    wait_renders(page, AV, "convviz-enlarged", r0)
    page.wait_for_timeout(150)
    info = check_enlarged(lab, AV, "av_nested", "scenes[av_nested.image_index]", "nested")
    assert info["f"] == start + 3
    # The yellow outline (over black) surrounds the selected tile, drawn by the browser on the
    # grid's outline layer. Its yellow line runs 1.5 px outside the tile, or 1.5 px inside the
    # canvas edge for a tile in the first row or column (raster.js keeps it on the canvas).
    geo = grid_geometry(lab, "av_nested")
    x, y, tw, th = geo["rects"][info["f"] - geo["start"]]
    ox, oy = int(max(1.5, x - 1.5)), int(max(1.5, y - 1.5))
    got = page.evaluate(_READ_PIXELS, [OUTLINE, 0, [[ox, y + th // 2], [x + tw // 2, oy]]])
    assert all(p[0] > 200 and p[1] > 150 and p[2] < 90 for p in got), \
        f"no outline around tile {info['f']}: {got}"
    # Moving the selection moved the outline only: the tiles were not drawn again.
    assert renders(page, AV, "convviz-grid") == grid_draws


def test_activation_tile_click_selects_channel(lab):
    page = lab.page
    geo = grid_geometry(lab, "av_nested")
    target = 21 if geo["f"] != 21 else 22
    x, y, tw, th = geo["rects"][target]
    canvas = page.evaluate(_CANVAS_INFO, [GRID, 0])
    sx = canvas["cssWidth"] / canvas["width"]
    sy = canvas["cssHeight"] / canvas["height"]
    r0 = renders(page, AV, "convviz-enlarged")
    page.locator(GRID).first.click(position={"x": (x + tw / 2) * sx, "y": (y + th / 2) * sy})
    wait_kernel(lab, "av_nested.filter_index", target)
    wait_renders(page, AV, "convviz-enlarged", r0)
    # Hovering a tile describes its channel; the browser hit-tests it (no kernel round trip).
    other = target - 1
    ox, oy, otw, oth = geo["rects"][other]
    page.locator(GRID).first.hover(position={"x": (ox + otw / 2) * sx, "y": (oy + oth / 2) * sy})
    hover = page.locator(f"{AV} .convviz-grid .cv-info").first.inner_text()
    want = lab.probe.eval(f"av_nested.canvas.tile_info[{other}]")
    assert hover.strip() == want.strip() and f"channel {geo['start'] + other}:" in hover, hover
    # The slider moved with the click.
    page.wait_for_function(
        "([s, v]) => { const e = document.querySelector(s); return e && "
        "e.textContent.trim() === String(v); }",
        arg=[f"{AV} .widget-slider .widget-readout", target], timeout=10_000)
    page.wait_for_timeout(150)
    info = check_enlarged(lab, AV, "av_nested", "scenes[av_nested.image_index]", "nested")
    # Hovering the enlarged channel reads the exact value at that pixel.
    values = np.asarray(info["values"], np.float32)
    y, x = int(np.argmax(values) // values.shape[1]), int(np.argmax(values) % values.shape[1])
    z = info["zoom"]
    page.locator(raster_canvas(AV, "convviz-enlarged")).first.hover(
        position={"x": x * z + z / 2, "y": y * z + z / 2})
    text = page.locator(f"{AV} .convviz-enlarged .cv-info").first.inner_text()
    # The hover says what its numbers are: row first, then the value and what it is.
    assert f"row {y}, col {x} · value " in text and text.endswith("(activation)"), text
    shown = float(text.rsplit("·", 1)[1].split()[1].lstrip("≈"))
    assert shown == pytest.approx(float(values[y, x]), rel=1e-3), text
    lab.shot(AV, "activation_viewer_nested", docs=True)


def test_activation_paging_blank_marks_and_python_setter(lab):
    page = lab.page
    select_option(page, AV, "layer", "vgg16/block4_conv1 ")
    wait_kernel(lab, "av_nested.layer", "vgg16/block4_conv1")
    page_dd = page.locator(f"{AV} .widget-dropdown").filter(
        has=page.locator("label:text-is('page')"))
    page_dd.wait_for(state="visible", timeout=10_000)
    assert page_dd.locator("option").count() == 2
    # Setting the trait from Python moves the browser view to page 2.
    r0 = renders(page, AV, "convviz-enlarged")
    lab.probe.run("av_nested.filter_index = 300")
    wait_renders(page, AV, "convviz-enlarged", r0)
    geo = grid_geometry(lab, "av_nested")
    assert geo["page"] == 1 and geo["start"] == 256 and geo["n"] == 256
    page.wait_for_function(
        "([s, w, h]) => { const c = document.querySelector(s); return c && c.width === w "
        "&& c.height === h; }", arg=[GRID, geo["w"], geo["h"]],
        timeout=10_000)
    page.wait_for_timeout(300)
    check_enlarged(lab, AV, "av_nested", "scenes[av_nested.image_index]", "nested")
    # Blank channels are crossed in red (the cross passes through the tile centre).
    blank = geo["blank"]
    if blank:
        pts = [[geo["rects"][i][0] + geo["rects"][i][2] / 2,
                geo["rects"][i][1] + geo["rects"][i][3] / 2] for i in blank[:10]]
        got = page.evaluate(_READ_PIXELS, [GRID, 0, pts])
        assert all(p[0] > 150 and p[1] < 100 and p[2] < 100 for p in got), got
    lab.shot(AV, "activation_viewer_paged")


def test_colormap_change_recolours_in_browser(lab):
    page = lab.page
    r0 = renders(page, AV, "convviz-enlarged")
    select_option(page, AV, "colormap", "gray")
    wait_kernel(lab, "av_nested.colormap", "gray")
    wait_renders(page, AV, "convviz-enlarged", r0)
    fp = page.evaluate(_READ_PIXELS, [raster_canvas(AV, "convviz-enlarged"), 0,
                                      [[i * 7, i * 5] for i in range(20)]])
    assert all(p[0] == p[1] == p[2] for p in fp), fp
    select_option(page, AV, "colormap", "viridis")
    wait_kernel(lab, "av_nested.colormap", "viridis")


def test_kernel_viewer_layer_slider_and_row_click(lab):
    page = lab.page
    r0 = renders(page, KV, "convviz-overview")
    select_option(page, KV, "layer", "vgg16/block4_conv1 ")
    wait_kernel(lab, "kv_nested.layer", "vgg16/block4_conv1")
    wait_renders(page, KV, "convviz-overview", r0)

    def check_slices():
        info = lab.probe.eval(
            "{'f': kv_nested.filter_index, 'zoom': kv_nested.slices.zoom, 'gap': "
            "kv_nested.slices.gap, 'cols': kv_nested.slices.columns, 'cmap': "
            "kv_nested.colormap, 'w': compute.kernels(nested, kv_nested.layer)"
            "[..., kv_nested.filter_index].tolist()}")
        wf = np.asarray(info["w"], np.float32)  # (kh, kw, cin)
        kh, kw, cin = wf.shape
        lim = float(np.abs(wf).max())
        codes = codes_of(wf, -lim, lim, flat=128)
        lut = expected_lut(info["cmap"])
        z, gap, cols = info["zoom"], info["gap"], info["cols"]
        points, want = [], []
        for ch in range(cin):
            ox, oy = (ch % cols) * (kw * z + gap), (ch // cols) * (kh * z + gap)
            for yy in range(kh):
                for xx in range(kw):
                    points.append([ox + xx * z + z // 2, oy + yy * z + z // 2])
                    want.append(lut[codes[yy, xx, ch]])
        got = page.evaluate(_READ_PIXELS, [raster_canvas(KV, "convviz-slices"), 0, points])
        assert compare_colors(got, want) >= 0.99, f"slices of filter {info['f']} differ"
        return info

    check_slices()
    r1 = renders(page, KV, "convviz-slices")
    handle = slider_handle(page, KV)
    handle.focus()
    handle.press("ArrowRight")
    handle.press("ArrowRight")
    wait_kernel(lab, "kv_nested.filter_index", 2)
    wait_renders(page, KV, "convviz-slices", r1)
    page.wait_for_timeout(100)
    assert check_slices()["f"] == 2

    # Click row 100 of the filters × channels matrix.
    ov = lab.probe.eval("[kv_nested.overview.zoom, kv_nested.overview.zoom_x, "
                        "kv_nested.overview.margin, kv_nested.overview.shape]")
    zy, zx, margin, shape = ov
    assert shape[:3] == [1, 512, 32]
    canvas = page.evaluate(_CANVAS_INFO, [raster_canvas(KV, "convviz-overview"), 0])
    r2 = renders(page, KV, "convviz-slices")
    # locator.click scrolls the notebook so the point is on screen; position is in CSS pixels.
    page.locator(raster_canvas(KV, "convviz-overview")).first.click(position={
        "x": (margin + 5 * zx + zx / 2) * canvas["cssWidth"] / canvas["width"],
        "y": (100 * zy + zy / 2) * canvas["cssHeight"] / canvas["height"]})
    wait_kernel(lab, "kv_nested.filter_index", 100)
    wait_renders(page, KV, "convviz-slices", r2)
    page.wait_for_timeout(100)
    info = check_slices()
    # The selected row's outline stays inside the canvas: its right side is drawn on the last
    # pixel columns (it used to be cut off by the canvas edge), yellow over black, on the
    # raster's outline layer (same size as the picture, over it).
    canvas = page.evaluate(_CANVAS_INFO, [raster_canvas(KV, "convviz-overview"), 0])
    layer = page.evaluate(_CANVAS_INFO, [outline_canvas(KV, "convviz-overview"), 0])
    assert (layer["width"], layer["height"]) == (canvas["width"], canvas["height"])
    y_mid = int(100 * zy + zy // 2)
    right = [[canvas["width"] - 2, y_mid], [canvas["width"] - 1, y_mid]]
    edge = page.evaluate(_READ_PIXELS, [outline_canvas(KV, "convviz-overview"), 0, right])
    assert edge[0][0] > 180 and edge[0][1] > 150 and edge[0][2] < 90, edge  # yellow
    assert max(edge[1][:3]) < 110, edge  # the black band (anti-aliased with the yellow)
    # Slices are framed in their gap (grey), and hovering one names its input channel.
    z, gap = info["zoom"], info["gap"]
    kh = len(info["w"])
    frame_px = page.evaluate(_READ_PIXELS, [raster_canvas(KV, "convviz-slices"), 0,
                                            [[kh * z, z // 2]]])[0]
    assert abs(frame_px[0] - 0x77) <= 8 and abs(frame_px[2] - 0x77) <= 8, frame_px
    slices = page.locator(raster_canvas(KV, "convviz-slices")).first
    sc = page.evaluate(_CANVAS_INFO, [raster_canvas(KV, "convviz-slices"), 0])
    col = 1
    slices.hover(position={"x": (col * (kh * z + gap) + z) * sc["cssWidth"] / sc["width"],
                           "y": z * sc["cssHeight"] / sc["height"]})
    page.wait_for_timeout(100)
    assert slices.get_attribute("title") == f"input channel {col}"
    lab.shot(KV, "kernel_viewer_nested", docs=True)


def _latency(page, root: str, cls: str, moves: int = 20) -> list[float]:
    """Slider keypress -> raster redrawn, timed inside the page with performance.now().

    The key is pressed by Playwright (a trusted event, as a person's); a capturing listener
    stamps the keydown and a MutationObserver reads the raster's own draw timestamp.
    """
    page.evaluate(
        """([root, cls]) => {
            const raster = document.querySelector(root + ' .' + cls + ' .convviz-raster');
            const L = window.__cvLatency = {t0: null, samples: []};
            if (!window.__cvKeyStamp) {
                window.__cvKeyStamp = true;
                document.addEventListener('keydown', () => {
                    if (window.__cvLatency) window.__cvLatency.t0 = performance.now();
                }, {capture: true});
            }
            new MutationObserver(() => {
                if (L.t0 !== null && window.__cvLatency === L) {
                    L.samples.push(Number(raster.dataset.renderedAt) - L.t0);
                    L.t0 = null;
                }
            }).observe(raster, {attributes: true, attributeFilter: ['data-rendered-at']});
        }""", [root, cls])
    handle = slider_handle(page, root)
    handle.focus()
    # Out and back, so a layer with few channels never hits the end of the slider.
    keys = ["ArrowRight"] * (moves // 2) + ["ArrowLeft"] * (moves - moves // 2)
    for k, key in enumerate(keys):
        handle.press(key)
        page.wait_for_function("(n) => window.__cvLatency.samples.length > n", arg=k,
                               timeout=10_000, polling=5)
        page.wait_for_timeout(30)
    return page.evaluate("window.__cvLatency.samples")


def test_slider_latency_is_measured(lab):
    """Measured and reported (benchmarks own the thresholds; tests do not assert timings)."""
    page = lab.page
    results = {}
    for name, root, viewer, cls, layer in [
            ("activation_nested_block2_conv1", AV, "av_nested", "convviz-enlarged",
             "vgg16/block2_conv1"),
            ("activation_demo", ".cvt-av-demo", "av_demo", "convviz-enlarged", None),
            ("kernel_nested_block4_conv1", KV, "kv_nested", "convviz-slices", None)]:
        setup = f"{viewer}.filter_index = 0"
        if layer:
            setup = f"{viewer}.layer = {layer!r}; " + setup
        lab.probe.run(setup)
        page.wait_for_timeout(400)
        page.locator(root).first.scroll_into_view_if_needed()
        lat = np.asarray(_latency(page, root, cls), float)
        server = lab.probe.eval(f"{viewer}.last_update")
        results[name] = {"moves": len(lat), "p50_ms": float(np.percentile(lat, 50)),
                         "p95_ms": float(np.percentile(lat, 95)), "max_ms": float(lat.max()),
                         "last_python_update": server}
        assert len(lat) == 20
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "latency.json").write_text(json.dumps(results, indent=2))
    print("\nslider -> canvas latency:", json.dumps(results, indent=2))


def test_reload_restores_views(lab):
    """After a reload every view, the channel grid included, is drawn from the synced state."""
    page = lab.page
    expected = grid_geometry(lab, "av_nested")
    lab.nb.reload()
    page.wait_for_function(
        "([s, w, h]) => { const c = document.querySelector(s); if (!c || c.width !== w || "
        "c.height !== h) return false; const d = c.getContext('2d').getImageData(0, 0, w, h)"
        ".data; let lo = 255, hi = 0; for (let i = 0; i < d.length; i += 4) { "
        "lo = Math.min(lo, d[i + 1]); hi = Math.max(hi, d[i + 1]); } return hi - lo > 40; }",
        arg=[GRID, expected["w"], expected["h"]], timeout=30_000,
        polling=200)
    check_enlarged(lab, AV, "av_nested", "scenes[av_nested.image_index]", "nested")
    lab.shot(AV, "activation_viewer_after_reload")


def test_no_console_errors_overall(lab):
    assert not lab.widget_errors(), "console errors:\n" + "\n".join(lab.widget_errors())
