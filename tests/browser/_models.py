"""Models and images shared by the browser notebook and the browser tests.

Imported inside the Jupyter kernel (the notebook puts this folder on ``sys.path``), so it must
not import pytest.
"""

from __future__ import annotations

import numpy as np


def nested_model(seed: int = 0):
    """A transfer-learning style model: a functional backbone named ``vgg16`` used as one layer.

    Input 150×150×3; the backbone's layers are named like VGG's. ``block4_conv1`` has 512
    channels so the activation grid pages (256 per page) and the kernel matrix is 32×512.
    """
    import keras

    keras.utils.set_random_seed(seed)
    L = keras.layers
    inp = keras.Input((150, 150, 3), name="image")
    x = L.Conv2D(8, 3, padding="same", activation="relu", name="block1_conv1")(inp)
    x = L.MaxPooling2D(name="block1_pool")(x)
    x = L.Conv2D(16, 3, padding="same", activation="relu", name="block2_conv1")(x)
    x = L.MaxPooling2D(name="block2_pool")(x)
    x = L.Conv2D(32, 3, padding="same", activation="relu", name="block3_conv1")(x)
    x = L.MaxPooling2D(name="block3_pool")(x)
    x = L.Conv2D(512, 3, padding="same", activation="relu", name="block4_conv1")(x)
    x = L.MaxPooling2D(name="block4_pool")(x)
    backbone = keras.Model(inp, x, name="vgg16")
    model = keras.Sequential([keras.Input((150, 150, 3)), backbone,
                              L.GlobalAveragePooling2D(name="gap"),
                              L.Dense(5, activation="softmax", name="head")], name="transfer")
    return model


def small_functional(seed: int = 1):
    """Stand-in for the demo model when ``convviz_widgets._demo`` is not there (64×64×3)."""
    import keras

    keras.utils.set_random_seed(seed)
    L = keras.layers
    inp = keras.Input((64, 64, 3))
    x = L.Conv2D(16, 3, padding="same", activation="relu", name="block1_conv1")(inp)
    x = L.Conv2D(16, 3, padding="same", activation="relu", name="block1_conv2")(x)
    x = L.MaxPooling2D(name="block1_pool")(x)
    x = L.Conv2D(32, 3, padding="same", activation="relu", name="block2_conv1")(x)
    x = L.MaxPooling2D(name="block2_pool")(x)
    x = L.Conv2D(64, 3, padding="same", activation="relu", name="block3_conv1")(x)
    x = L.GlobalAveragePooling2D()(x)
    out = L.Dense(4, activation="softmax")(x)
    return keras.Model(inp, out, name="demo_standin")


def scenes(n: int = 3, h: int = 120, w: int = 180, seed: int = 0) -> np.ndarray:
    """``(n, h, w, 3)`` float32 pictures in [0, 1]: a coloured disc and bar on a gradient."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    out = np.empty((n, h, w, 3), np.float32)
    for k in range(n):
        bg = np.stack([xx / w, yy / h, 0.5 + 0.5 * np.sin(xx / 9.0 + k)], -1) * 0.6
        cy, cx, r = rng.uniform(0.3, 0.7) * h, rng.uniform(0.3, 0.7) * w, 0.18 * min(h, w)
        disc = ((yy - cy) ** 2 + (xx - cx) ** 2) < r * r
        bg[disc] = rng.uniform(0.2, 1.0, 3)
        bar = (np.abs(yy - rng.uniform(0.2, 0.8) * h) < 4) & (xx > 0.1 * w) & (xx < 0.9 * w)
        bg[bar] = rng.uniform(0.0, 1.0, 3)
        out[k] = np.clip(bg, 0.0, 1.0)
    return out


def demo_or_standin():
    """``(model, images or None, is_demo)``: the bundled demo when present, else a stand-in.

    "Present" means the module imports and its trained weights load; while the demo model is
    not trained yet (no data file), the views are exercised on a small functional model.
    """
    try:
        from convviz_widgets._demo import demo_model

        model = demo_model()
    except (ImportError, OSError):  # OSError covers FileNotFoundError for a missing model file
        return small_functional(), scenes(3, 64, 64, seed=3), False
    return model, None, True
