"""ConvStepViewer: what a click on the feature map costs, and what a new image or layer costs.

A click only takes the kept forward pass apart (no model run); a new image runs the model once.
Measured Python-side (trait change to messages handed to the kernel), as ``last_update`` reports,
on the bundled demo model (64×64) and on an untrained VGG16 built without weights (224×224).

Run: ``python benchmarks/bench_conv_step.py`` (writes results/conv_step[_onednn_off].json).
"""

from __future__ import annotations

import os

from _common import timeit, write


def main() -> None:
    import keras
    import numpy as np

    import convviz_widgets as cv

    out = {}
    vgg = keras.applications.VGG16(weights=None)  # architecture only: nothing is downloaded
    rng = np.random.default_rng(0)
    for name, model, images in [
            ("demo_64", cv.demo_model(), list(cv.demo_images().images[:3])),
            ("vgg16_224", vgg, [rng.random((224, 224, 3)).astype(np.float32) for _ in range(3)])]:
        view = cv.ConvStepViewer(model, images, filter_index=3)
        h, w = view.map_view.shape[1:3]
        spots = [(y, x) for y in range(0, h, max(1, h // 5)) for x in range(0, w, max(1, w // 5))]
        k = iter(range(10**6))

        def click():
            view.position = spots[next(k) % len(spots)]

        def new_image():
            view._passes.clear()  # what a never-seen picture costs
            view.image_index = (view.image_index + 1) % len(images)

        out[name] = {"click": timeit(click, repeats=15), "new_image": timeit(new_image, repeats=5),
                     "click_bytes": view.last_update["bytes"]}
        print(name, {a: round(b["median_s"] * 1e3, 1) for a, b in out[name].items()
                     if isinstance(b, dict)}, "ms")
    onednn = os.environ.get("TF_ENABLE_ONEDNN_OPTS", "default")
    write("conv_step" + ("_onednn_off" if onednn == "0" else ""),
          {"onednn": onednn, "results": out})


if __name__ == "__main__":
    main()
