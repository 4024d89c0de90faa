"""Display images: whatever the user or the model gave, as RGB (or grey) floats or bytes."""

from __future__ import annotations

import numpy as np


def as_display_rgb(image: np.ndarray, keep_gray: bool = False) -> np.ndarray:
    """A display image ``(h, w)`` / ``(h, w, c)`` in [0, 1] as float32 ``(h, w, 3)``.

    One or two channels show their mean as grey (``(h, w)`` with ``keep_gray``); three or more
    show the first three as RGB. Values are clipped to [0, 1]; uint8 is divided by 255.

    Examples
    --------
    >>> as_display_rgb(np.zeros((2, 3))).shape
    (2, 3, 3)
    >>> as_display_rgb(np.zeros((2, 3, 1)), keep_gray=True).shape
    (2, 3)
    >>> float(as_display_rgb(np.full((1, 1, 3), 255, np.uint8)).max())
    1.0
    """
    x = np.asarray(image)
    x = x.astype(np.float32) / 255.0 if x.dtype == np.uint8 else x.astype(np.float32)
    if x.ndim == 3:
        x = x[..., :3] if x.shape[-1] >= 3 else x.mean(axis=-1)  # (h, w, 1|2) -> (h, w)
    elif x.ndim != 2:
        raise ValueError(f"A display image is (h, w) or (h, w, c); got shape {x.shape}.")
    x = np.clip(np.nan_to_num(x), 0.0, 1.0)
    if x.ndim == 2 and not keep_gray:
        x = np.repeat(x[..., None], 3, axis=-1)  # (h, w) -> (h, w, 3)
    return x


def to_u8(image: np.ndarray) -> np.ndarray:
    """A display image in [0, 1] as uint8 of the same shape (rounded, clipped).

    Examples
    --------
    >>> to_u8(np.array([[0.0, 1.0]])).tolist()
    [[0, 255]]
    """
    return np.clip(np.asarray(image, np.float32) * 255.0 + 0.5, 0, 255).astype(np.uint8)
