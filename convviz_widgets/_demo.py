"""The bundled demo model and its sample scenes (no network access, ever)."""

from __future__ import annotations

from pathlib import Path

import keras
import numpy as np

from .datasets.shapes import ShapesData

__all__ = ["DemoImages", "demo_images", "demo_model"]

_DATA = Path(__file__).resolve().parent / "data"
MODEL_FILE = _DATA / "demo_model.keras"
SCENES_FILE = _DATA / "demo_scenes.npz"


#: The demo scenes are shapes scenes (a seed never used in training): the same record as
#: :func:`convviz_widgets.datasets.make_shapes` returns. The old name stays for callers.
DemoImages = ShapesData


def demo_model():
    """Load the small pre-trained convnet that ships with the package.

    The model classifies 64 x 64 RGB "shapes" scenes (see :func:`demo_images`) into circle,
    square, triangle, star and cross. Its layers are named like VGG16's (``block1_conv1`` ...
    ``block3_conv2``, ``block1_pool``, ``block2_pool``) followed by global average pooling and the
    softmax layer ``predictions``, so the classic lessons carry over. Inputs are RGB in [0, 1]; no
    preprocessing is needed. The file is read from the package directory; nothing is downloaded.

    Returns
    -------
    keras.Model
        A new, uncompiled functional model on each call (about 72k parameters).

    Examples
    --------
    >>> import convviz_widgets as cv
    >>> model = cv.demo_model()
    >>> [layer.name for layer in model.layers][1:4]
    ['block1_conv1', 'block1_conv2', 'block1_pool']
    >>> model.output_shape
    (None, 5)
    """
    if not MODEL_FILE.is_file():
        raise FileNotFoundError(
            f"The bundled demo model is missing ({MODEL_FILE}). Reinstall convviz_widgets, or "
            "recreate it with `python -m convviz_widgets.datasets.train`."
        )
    return keras.saving.load_model(MODEL_FILE, compile=False)


def demo_images():
    """Return the sample scenes that ship with the package, with labels and object masks.

    The scenes come from the same generator as the demo model's training data
    (:func:`convviz_widgets.datasets.make_shapes`) but from a seed never used in training, and
    are balanced over the classes. Because every scene has a ground-truth mask, explanations such
    as Grad-CAM can be checked, e.g. whether the heatmap maximum falls on the object.

    Returns
    -------
    ShapesData
        ``images (n, 64, 64, 3)`` float32 in [0, 1], ``labels (n,)`` int64, ``masks (n, 64, 64)``
        bool and ``class_names``; ``n`` is 50 (10 per class).

    Examples
    --------
    >>> import convviz_widgets as cv
    >>> demo = cv.demo_images()
    >>> demo.images.shape, demo.images.dtype
    ((50, 64, 64, 3), dtype('float32'))
    >>> demo.class_names[demo.labels[0]] in demo.class_names
    True
    >>> probabilities = cv.demo_model().predict(demo.images[:4], verbose=0)  # doctest: +SKIP
    """
    with np.load(SCENES_FILE) as f:
        images = f["images"].astype(np.float32) / np.float32(255.0)
        labels = f["labels"].astype(np.int64)
        n, height, width = (int(v) for v in f["mask_shape"])
        masks = np.unpackbits(f["masks"], axis=-1, count=width).astype(bool)  # (n, H, W)
        class_names = tuple(str(name) for name in f["class_names"])
    return DemoImages(images, labels, masks.reshape(n, height, width), class_names)
