"""The methods of :func:`~convviz_widgets.compute.maximize.maximize` and how each starts: the
parameterisation, transforms and update rule a method name stands for, and the starting image.
"""

from __future__ import annotations

import numpy as np
from keras import ops

from .. import backend

from ._optimizers import Adam, NormalizedAscent
from .param import Fourier, Pixels, make_param
from .transforms import Transform, standard_transforms

__all__ = ["METHODS", "DEFAULT_STEPS", "DEFAULT_LR", "INITS", "SPACES", "method_defaults",
           "start_image"]

#: Registered methods: name -> one-line description (the widget lists these).
METHODS = {
    "regularized": "Fourier/decorrelated parameterisation, jitter/scale/rotation, Adam",
    "naive": "the classic lesson: RMS-normalised gradient, fixed step, from grey plus noise",
}
DEFAULT_STEPS = {"regularized": 256, "naive": 40}
#: Step sizes: Adam's in Fourier-coefficient units; the naive recipe's is one grey level per
#: step (the lesson's step of 1.0 on a 0..255 input). In model space the naive step is 1.0 on
#: the raw input, as in the U-Net lesson.
DEFAULT_LR = {"regularized": 0.05, "naive": 1.0 / 255.0, "naive-model": 1.0}
#: Named starting images (a given image is the third kind of ``init=``).
INITS = ("grey+noise", "uniform")
#: Where the optimised image lives: a display image in [0, 1] fed through ``preprocess``, or
#: the model input itself, unclipped.
SPACES = ("display", "model")


def method_defaults(method, hw, lr, param_, transforms_, init, space):
    """``(parameterisation, transforms, optimizer)`` of ``method``, each overridden by the
    caller's ``param_`` / ``transforms_`` / ``lr`` when given; refuses a combination that
    cannot work."""
    if method not in METHODS:
        raise ValueError(f"Unknown method {method!r}; use one of {list(METHODS)}.")
    if space not in SPACES:
        raise ValueError(f"space must be one of {list(SPACES)}, not {space!r}.")
    start = init if isinstance(init, str) else "grey+noise"
    if isinstance(init, str) and init not in INITS:
        raise ValueError(f"init must be one of {list(INITS)} or an image array, not {init!r}.")
    if method == "naive":
        p = make_param(param_) if param_ is not None else Pixels(init=start,
                                                                  clip=space == "display")
        t = list(transforms_) if transforms_ is not None else []
        default_lr = DEFAULT_LR["naive-model" if space == "model" else "naive"]
        opt = NormalizedAscent(default_lr if lr is None else lr, norm="rms")
    else:
        p = make_param(param_) if param_ is not None else None
        if p is None:
            p = Pixels(init=start, clip=space == "display") if (
                space == "model" or start != "grey+noise" or not isinstance(init, str)) \
                else Fourier()
        t = list(transforms_) if transforms_ is not None else standard_transforms(min(hw))
        opt = Adam(DEFAULT_LR["regularized"] if lr is None else lr)
    if space == "model" and p.bounded:
        raise ValueError(f"space='model' optimises the raw model input, which {p!r} cannot "
                         "represent (it is bounded to [0, 1]); use param='pixels' or "
                         "method='naive'.")
    for tr in t:
        if not isinstance(tr, Transform):
            raise TypeError(f"transforms must be Transform instances (Jitter(4), Blur(1), ...), "
                            f"got {tr!r}.")
    return p, t, opt


def start_image(init, hw, c, space) -> np.ndarray | None:
    """A given starting image as ``(H, W, C)`` float32 (display or model values); None for a
    named start (the parameterisation draws it)."""
    if init is None or isinstance(init, str):
        return None
    x = np.asarray(init)
    if x.dtype == np.uint8:
        x = x.astype(np.float32) / (1.0 if space == "model" else 255.0)
    x = np.asarray(x, np.float32)
    if x.ndim == 4 and x.shape[0] == 1:
        x = x[0]
    if x.ndim == 2:
        x = x[..., None]
    if x.ndim != 3:
        raise ValueError(f"init must be 'grey+noise', 'uniform' or one image (H, W, C), got "
                         f"shape {x.shape}.")
    if x.shape[-1] != c:
        if x.shape[-1] == 1:
            x = np.repeat(x, c, axis=-1)
        elif c == 1:
            x = x.mean(axis=-1, keepdims=True)
        else:
            raise ValueError(f"init has {x.shape[-1]} channels; the model takes {c}.")
    if tuple(x.shape[:2]) != tuple(hw):
        x = backend.to_numpy(ops.image.resize(np.asarray(x[None], np.float32), hw,
                                              interpolation="bilinear", antialias=True))[0]
    return x if space == "model" else np.clip(x, 0.0, 1.0)
