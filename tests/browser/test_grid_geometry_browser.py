"""The shipped raster bundle hit-tests the channel grid exactly where the Python layout puts tiles.

Hover and click are decided in the browser (``static/raster.js``), the tile rectangles and the
click handler's ``tile_at`` in Python (``GridLayout``). This loads the built bundle in Chromium,
feeds its geometry functions the state a ``ChannelGrid`` syncs, and compares them with
``GridLayout`` on every tile and on the gaps around them, for square, non-square, tiny and
partly filled pages.
"""

from __future__ import annotations

import base64
from pathlib import Path

import numpy as np
import pytest

from convviz_widgets.widgets._grid import ChannelGrid, grid_palette, page_tiles, plan_grid
from convviz_widgets.widgets._pixels import lut

pytestmark = pytest.mark.browser

BUNDLE = Path(__file__).resolve().parents[2] / "convviz_widgets" / "static" / "raster.js"

_PROBE = """async ([src, state, points]) => {
    const m = await import("data:text/javascript;base64," + src);
    // The tiles trait as the widget manager hands it over: {dtype, shape, bytes (a DataView)}.
    const tiles = { ...state.tiles, bytes: new DataView(new ArrayBuffer(state.nbytes)) };
    const model = { get: (k) => (k === "tiles" ? tiles : state[k]) };
    const L = m.layoutOf(model);
    const origins = [];
    for (let t = 0; t < L.n; t++) origins.push(m.tileOrigin(L, t));
    const hits = points.map(([x, y]) => m.hitTest(L, x, y));
    return { width: L.width, height: L.height, origins, hits };
}"""


@pytest.fixture(scope="module")
def page(browser):
    p = browser.new_page()
    yield p
    p.close()


def probe_points(layout) -> list[list[float]]:
    pts = [[0.5, 0.5], [layout.width - 0.5, layout.height - 0.5]]
    for i in range(layout.rows * layout.cols):  # empty slots of the last row too
        r, c = divmod(i, layout.cols)
        x = (layout.gap + c * (layout.tw + layout.gap)) * layout.zoom
        y = (layout.gap + r * (layout.th + layout.gap)) * layout.zoom
        w, h = layout.tw * layout.zoom, layout.th * layout.zoom
        pts += [[x + 0.5, y + 0.5], [x + w / 2, y + h / 2], [x + w - 0.5, y + h - 0.5],
                [x - 0.5, y + h / 2], [x + w / 2, y - 0.5], [x + w + 0.5, y + h + 0.5]]
    return pts


@pytest.mark.parametrize("n,h,w", [(1, 1, 1), (7, 5, 3), (30, 13, 17), (64, 14, 14),
                                   (256, 7, 9), (200, 56, 40)])
def test_bundle_hit_test_matches_the_python_layout(page, n, h, w):
    layout = plan_grid(n, h, w)
    grid = ChannelGrid()
    codes = np.zeros((h, w, n), np.uint8)
    grid.show_page(page_tiles(codes, layout), layout, grid_palette(lut("gray")))
    state = {k: getattr(grid, k) for k in ("columns", "zoom", "zoom_x", "gap", "margin", "pad")}
    wire = grid.get_state("tiles")["tiles"]
    state["tiles"] = {"dtype": wire["dtype"], "shape": wire["shape"]}
    state["nbytes"] = len(wire["bytes"])
    points = probe_points(layout)
    src = base64.b64encode(BUNDLE.read_bytes()).decode()
    got = page.evaluate(_PROBE, [src, state, points])
    assert (got["width"], got["height"]) == (layout.width, layout.height)
    assert got["origins"] == [list(layout.tile_rect(i)[:2]) for i in range(n)]
    for (x, y), hit in zip(points, got["hits"]):
        want = layout.tile_at(x, y)
        assert (hit is None) == (want is None), (x, y, hit, want)
        if want is not None:
            assert hit["tile"] == want
            tx, ty = layout.tile_rect(want)[:2]
            assert (hit["y"], hit["x"]) == (int((y - ty) // layout.zoom),
                                            int((x - tx) // layout.zoom))
