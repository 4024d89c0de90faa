"""What ipycanvas's public upload would cost the channel grid (issue 14: public API or raster?).

The activation grid goes to the browser as one palette-indexed PNG at zlib level 1, sent with
ipycanvas's ``putImageData`` command through internals (``widgets/_canvas.py``). The public
``Canvas.put_image_data`` takes only arrays: RGBA is encoded as PNG at PIL's default level,
RGB as lossy JPEG (not acceptable: the grid's colours are data). This measures both encodings
on the demo model's real grids (the first page of each spatial layer, demo scene 0), and the
RGBA expansion the public path needs first.

Run: ``TF_ENABLE_ONEDNN_OPTS=0 python benchmarks/bench_grid_upload.py`` (writes
``results/grid_upload.json``).
"""

from __future__ import annotations

import numpy as np

from _common import machine, timeit, write


def main() -> dict:
    import convviz_widgets as cv
    from ipycanvas.utils import binary_image  # what Canvas.put_image_data encodes with

    from convviz_widgets.widgets._canvas import encode_png
    from convviz_widgets.widgets._grid import grid_palette
    from convviz_widgets.widgets._pixels import lut

    model = cv.demo_model()
    av = cv.ActivationViewer(model)
    rows = []
    for info in cv.conv_layers(model, kind="spatial")[:4]:
        av.layer = info.path
        index = av._grid_index
        palette = grid_palette(lut(av.colormap))

        def rgba():
            out = np.empty(index.shape + (4,), np.uint8)
            out[..., :3] = palette[index]
            out[..., 3] = 255
            return out

        ours = timeit(lambda: encode_png(index, palette), repeats=5, warmup=1)
        public = timeit(lambda: binary_image(rgba()), repeats=5, warmup=1)
        rows.append({"layer": info.path, "grid_hw": list(index.shape),
                     "indexed_png_level1_ms": round(ours["median_s"] * 1e3, 1),
                     "indexed_png_kB": len(encode_png(index, palette)) // 1024,
                     "public_rgba_png_ms": round(public["median_s"] * 1e3, 1),
                     "public_rgba_png_kB": len(binary_image(rgba())) // 1024})
        print(rows[-1])
    return {"machine": machine(), "rows": rows}


if __name__ == "__main__":
    write("grid_upload", main())
