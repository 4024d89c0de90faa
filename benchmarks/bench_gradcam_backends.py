"""Grad-CAM speed on the running Keras backend (TensorFlow, JAX or PyTorch), paired to its own
forward pass: fresh, five targets, and the class switch (issue 27).

Model: ``keras.applications.VGG16(weights=None)`` at 224×224 (structure only), as in
``bench_gradcam.py`` (the TensorFlow reference with its peers and breakdown). The forward pass
is the backend's compiled call (``backend.compile``; eager under ``no_grad`` on PyTorch). A
class switch applies the pullback the image's fresh pass kept (the head's backward pass only;
on TensorFlow the backward graph pruned out of the fresh pass's, see docs/architecture.md, "The
class switch and per-call cost"). Kept next to ``bench_backends.py``, which times fresh and
switch per backend but not five targets.

    KERAS_BACKEND=jax python benchmarks/bench_gradcam_backends.py [--repeats 5]

Prints the paired ratios (wall and CPU); writes nothing. A measurement, not a test.
"""

from __future__ import annotations

import argparse
import os
import warnings

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402

from convviz_widgets.compute import access, backend, run_model  # noqa: E402
from convviz_widgets.compute.cam import gradcam  # noqa: E402

from _common import load, paired, print_paired  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--size", type=int, default=224)
    args = ap.parse_args()
    warnings.filterwarnings("ignore", message="The structure of `inputs`")
    keras.utils.set_random_seed(0)
    size = args.size
    model = keras.applications.VGG16(weights=None, input_shape=(size, size, 3))
    acc = access(model)
    rng = np.random.default_rng(0)

    def new_image():
        return rng.random((size, size, 3), dtype=np.float32)

    fwd = backend.compile(lambda x: run_model(acc, x, ())[0], list(model.weights))

    def forward(img):
        with backend.no_grad():
            return backend.to_numpy(fwd(keras.ops.convert_to_tensor(img[None])))

    seen = new_image()
    gradcam(model, seen)
    classes = iter(range(10, 1000))
    cases = {
        "forward": (forward, new_image),
        "fresh": (lambda img: gradcam(model, img), new_image),
        "five_targets": (lambda img: gradcam(model, img, target=[0, 1, 2, 3, 4]), new_image),
        "class_switch": (lambda _: gradcam(model, seen, target=next(classes)), None),
    }
    before = load()
    results = paired(cases, args.repeats, warmup=2, base="forward")
    print(f"{backend.NAME}, VGG16 {size}x{size}, load {before:.1f} -> {load():.1f}, "
          f"{args.repeats} rounds")
    print_paired(results, width=14)


if __name__ == "__main__":
    main()
