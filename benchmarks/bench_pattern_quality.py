"""Do optimised patterns *look* right? Saturation, flat tiles and dead filters per conv layer.

Issue 23, item 4: early-layer patterns of the demo model came out as saturated black-and-white
blobs with colour fringes, and in the U-Net gallery many tiles were flat black or white (a
filter that never fired, shown like a pattern). The lesson shows every pattern through
``deprocess_image`` (centred, std 0.1 around mid-grey, clipped): a well-exposed picture.

For every convolution layer of the demo model and of a grayscale 128×128 U-Net of the U-Net
lesson's shape (untrained, seeded), ``--filters`` filters are maximised with the default
(regularised) method and shown the way the gallery shows them
(``plotting.stretch_patterns``, the rule shared with the widget). Reported per layer:

* ``saturated`` — mean share of displayed pixels whose every channel is ≤ 0.02 or ≥ 0.98
  (``display.saturated_share``), and the same on the unprocessed images the model saw
  (``saturated_model_input``: the Fourier parameterisation's sigmoid can saturate);
* ``saturated_percentile_stretch`` — the same images under the rule used before (each tile's
  0.5–99.5 percentiles onto black..white), side by side;
* ``flat`` — displayed tiles with a standard deviation below 1e-3 (one grey level);
* ``dead`` — rows whose filter never fired (``MaximizeResult.dead``), which views mark;
* ``flat_live`` — flat tiles of filters that did fire (must be 0).

    python benchmarks/bench_pattern_quality.py [--steps 128] [--filters 8] [--out PATH]

Writes ``benchmarks/results/pattern_quality.json``. A measurement, not a test
(tests/test_pattern_quality.py asserts the thresholds on fewer filters and steps).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
import _common  # noqa: E402,F401  (sets the TF log level first)
from _common import RESULTS, machine  # noqa: E402

import keras  # noqa: E402
import numpy as np  # noqa: E402

import convviz_widgets as cv  # noqa: E402
from convviz_widgets import display, plotting  # noqa: E402


def lesson_unet(size: int = 128, seed: int = 0) -> keras.Model:
    """The U-Net lesson's shape (notebook 06's layers) on ``size``×``size`` grayscale input."""
    from keras import layers

    keras.utils.set_random_seed(seed)
    inp = keras.Input((size, size, 1))

    def conv(n, name):
        return layers.Conv2D(n, 3, padding="same", activation="relu", name=name)

    d1 = layers.BatchNormalization(name="conv16_bn")(conv(16, "dconv16")(inp))
    d2 = layers.BatchNormalization(name="conv32_bn")(
        conv(32, "dconv32")(layers.MaxPooling2D(name="pool1")(d1)))
    code = conv(64, "conv64")(layers.MaxPooling2D(name="code")(d2))
    u2 = conv(32, "uconv32")(
        layers.Concatenate(name="cat2")([layers.UpSampling2D(name="up2")(code), d2]))
    u1 = conv(16, "uconv16")(
        layers.Concatenate(name="cat1")([layers.UpSampling2D(name="up1")(u2), d1]))
    out = layers.Conv2D(1, 1, activation="sigmoid", name="final_conv")(u1)
    return keras.Model(inp, out, name="unet")


def measure(model, layer, filters, steps: int) -> dict:
    t0 = time.perf_counter()
    res = cv.maximize(model, layer, filters, steps=steps, cache=False)
    shown = plotting.stretch_patterns(res.images)  # what the gallery shows
    flat = shown.reshape(len(shown), -1).std(axis=1) < 1e-3
    dead = res.dead
    return {
        "layer": layer, "filters": [int(f) for f in res.filters], "steps": steps,
        "saturated": float(display.saturated_share(shown).mean()),
        "saturated_max_tile": float(display.saturated_share(shown).max()),
        "saturated_model_input": float(display.saturated_share(res.images).mean()),
        # The display rule before issue 23: each tile's 0.5-99.5 percentiles onto black..white.
        "saturated_percentile_stretch": float(display.saturated_share(
            display.stretch_tiles(res.images)).mean()),
        "flat": int(flat.sum()), "dead": [int(f) for f in res.filters[dead]],
        "flat_live": int((flat & ~dead).sum()),
        "activation": [round(float(a), 4) for a in res.activation],
        "seconds": round(time.perf_counter() - t0, 2),
    }


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--steps", type=int, default=128)
    ap.add_argument("--filters", type=int, default=8)
    ap.add_argument("--out", default=str(RESULTS / "pattern_quality.json"))
    args = ap.parse_args(argv)
    models = {"demo": cv.demo_model(), "unet128": lesson_unet()}
    rows = []
    for name, model in models.items():
        for info in cv.conv_layers(model):
            if type(model.get_layer(info.path.split("/")[-1])).__name__ != "Conv2D":
                continue  # pools and the like: not a filter bank
            n = min(args.filters, info.output_shape[-1])
            row = {"model": name, **measure(model, info.path, range(n), args.steps)}
            rows.append(row)
            print(f"{name:8s} {row['layer']:14s} saturated {row['saturated']:.3f} "
                  f"(model input {row['saturated_model_input']:.3f})  flat {row['flat']}  "
                  f"dead {row['dead']}  {row['seconds']} s", flush=True)
    summary = {"max_saturated": max(r["saturated"] for r in rows),
               "max_saturated_percentile_stretch": max(r["saturated_percentile_stretch"]
                                                       for r in rows),
               "flat_live_tiles": sum(r["flat_live"] for r in rows),
               "dead_rows": sum(len(r["dead"]) for r in rows)}
    print(summary)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps({"machine": machine(), "summary": summary,
                                          "layers": rows}, indent=2))


if __name__ == "__main__":
    main()
