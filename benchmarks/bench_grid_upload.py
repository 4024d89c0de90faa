"""The channel grid's upload: ipycanvas's public ``put_image_data`` vs the anywidget raster.

Issue 14 allowed the grid either ipycanvas through its public API only, or the anywidget raster
with evidence. This is the evidence (docs/architecture.md, "Front end"). For pages of 64, 256
and 512 tiles (smooth synthetic maps of 14×14 and 28×28, plus the demo model's first layers on
demo scene 0) it times, in the kernel, everything one page change costs before the bytes reach
the comm:

- ``ipycanvas_public``: ``Canvas.put_image_data`` with an RGBA array (ipycanvas encodes it as a
  PNG at PIL's default level; RGB would go as lossy JPEG, not acceptable for data colours),
  including the palette-to-RGBA expansion it needs first. A colormap change costs the same again.
- ``raster``: ``ChannelGrid.show_page`` (split into tiles, one binary buffer of palette indices)
  and the serialisation of the state message; a colormap change sends the 768-byte LUT (``raster_recolor``).
- ``indexed_png_l1``: the PNG the grid used to push through ipycanvas internals, for reference.

Browser-side drawing is not timed here (the browser tests check what is drawn).

Run: ``TF_ENABLE_ONEDNN_OPTS=0 python benchmarks/bench_grid_upload.py`` (writes
``results/grid_upload.json``).
"""

from __future__ import annotations

import io

import numpy as np

from _common import timeit, write


def _indexed_png(index: np.ndarray, palette: np.ndarray) -> bytes:
    from PIL import Image

    im = Image.fromarray(index, "P")
    im.putpalette(palette.ravel().tobytes())
    buf = io.BytesIO()
    im.save(buf, "PNG", compress_level=1)
    return buf.getvalue()


def _smooth_maps(n: int, h: int, w: int, seed: int = 0) -> np.ndarray:
    """``(h, w, n)`` float32 maps with the spatial smoothness of real activations."""
    rng = np.random.default_rng(seed)
    coarse = rng.random((max(2, h // 4), max(2, w // 4), n)).astype(np.float32)
    ri = np.minimum(np.arange(h) * coarse.shape[0] // h, coarse.shape[0] - 1)
    ci = np.minimum(np.arange(w) * coarse.shape[1] // w, coarse.shape[1] - 1)
    return coarse[ri][:, ci] + 0.1 * rng.random((h, w, n), np.float32)


def _case(name: str, maps: np.ndarray) -> dict:
    from ipycanvas import Canvas
    from ipycanvas.utils import binary_image

    from convviz_widgets.widgets._grid import (ChannelGrid, compose_page, grid_palette,
                                               page_tiles, plan_grid, resample_indices)
    from convviz_widgets.widgets._pixels import lut, quantize

    h, w, n = maps.shape
    layout = plan_grid(n, h, w)
    small = maps[resample_indices(h, layout.th)][:, resample_indices(w, layout.tw)]
    lo, hi = small.min(axis=(0, 1)), small.max(axis=(0, 1))
    tiles = page_tiles(quantize(small, lo, hi), layout)
    index = compose_page(tiles, layout)  # the one picture ipycanvas and PNG would send
    palette = grid_palette(lut("viridis"))
    other = grid_palette(lut("magma"))

    def rgba():
        out = np.empty(index.shape + (4,), np.uint8)
        out[..., :3] = palette[index]
        out[..., 3] = 255
        return out

    canvas = Canvas(width=layout.width, height=layout.height)
    grid = ChannelGrid()
    public = timeit(lambda: canvas.put_image_data(rgba(), 0, 0), repeats=5, warmup=1)
    # Outside a kernel a widget has no comm, so the state message is serialised here explicitly.
    sent = ["data", "shape", "columns", "zoom", "gap", "pad", "lut", "marked", "tile_info"]
    raster = timeit(lambda: (grid.show_page(tiles, layout, palette), grid.get_state(sent)),
                    repeats=5, warmup=1)
    flip = iter([other, palette] * 20)
    recolor = timeit(lambda: grid.set_palette(next(flip)), repeats=5, warmup=1)
    png = timeit(lambda: _indexed_png(index, palette), repeats=5, warmup=1)
    row = {"case": name, "tiles": n, "map_hw": [h, w], "grid_hw": list(index.shape),
           "ipycanvas_public_ms": round(public["median_s"] * 1e3, 2),
           "ipycanvas_public_kB": round(len(binary_image(rgba())) / 1024, 1),
           "raster_ms": round(raster["median_s"] * 1e3, 2),
           "raster_kB": round(grid.show_page(tiles, layout, palette) / 1024, 1),
           "raster_recolor_ms": round(recolor["median_s"] * 1e3, 3),
           "raster_recolor_bytes": 768,
           "indexed_png_l1_ms": round(png["median_s"] * 1e3, 2),
           "indexed_png_l1_kB": round(len(_indexed_png(index, palette)) / 1024, 1)}
    print(row)
    return row


def main() -> dict:
    import convviz_widgets as cv

    rows = [_case(f"smooth {n}×{s}²", _smooth_maps(n, s, s)) for n in (64, 256, 512)
            for s in (14, 28)]
    model = cv.demo_model()
    scene = cv.demo_images()[0]
    for info in cv.conv_layers(model, kind="spatial")[:3]:
        acts = cv.activations(model, scene, [info.path])[info.path][0]  # (h, w, c)
        rows.append(_case(f"demo {info.path}", acts))
    return {"rows": rows}


if __name__ == "__main__":
    write("grid_upload", main())
