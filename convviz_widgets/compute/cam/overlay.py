"""Heatmap + image -> RGB, in numpy (matplotlib only for the colormap table).

The browser view of the widgets does the same blend on the GPU-less canvas; this is the version
for static figures, galleries and tests: ``(1 - opacity) * image + opacity * colormap(heatmap)``.
"""

from __future__ import annotations

import matplotlib
import numpy as np


def _colormap_table(colormap) -> np.ndarray:
    """``(256, 3)`` float32 RGB table from a name, a matplotlib colormap or an array."""
    if isinstance(colormap, np.ndarray):
        table = np.asarray(colormap, np.float32)
        if table.ndim != 2 or table.shape[1] not in (3, 4):
            raise ValueError(f"A colormap array must be (n, 3) or (n, 4), got {table.shape}.")
        if table.max() > 1.0:
            table = table / 255.0
        return table[:, :3]
    if isinstance(colormap, str):
        try:
            cmap = matplotlib.colormaps[colormap]
        except KeyError:
            raise ValueError(f"Unknown colormap {colormap!r}; pass a matplotlib colormap name "
                             "such as 'jet', 'turbo', 'inferno' or 'viridis'.") from None
    elif callable(colormap):
        cmap = colormap
    else:
        raise TypeError(f"colormap must be a name, a matplotlib colormap or an (n, 3) array, "
                        f"got {type(colormap).__name__}.")
    return np.asarray(cmap(np.linspace(0.0, 1.0, 256)), np.float32)[:, :3]  # (256, 3)


def resize_bilinear(a: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """``(..., h, w)`` -> ``(..., *size)`` with half-pixel centres and clamped edges (what
    ``tf.image.resize(method="bilinear")`` computes), numpy only: the same on every backend."""
    a = np.asarray(a, np.float32)
    h, w = a.shape[-2:]
    th, tw = size
    ys = np.clip((np.arange(th) + 0.5) * h / th - 0.5, 0, h - 1)
    xs = np.clip((np.arange(tw) + 0.5) * w / tw - 0.5, 0, w - 1)
    y0, x0 = np.floor(ys).astype(int), np.floor(xs).astype(int)
    y1, x1 = np.minimum(y0 + 1, h - 1), np.minimum(x0 + 1, w - 1)
    fy, fx = (ys - y0)[:, None].astype(np.float32), (xs - x0)[None, :].astype(np.float32)
    rows0, rows1 = a[..., y0, :], a[..., y1, :]  # (..., th, w)
    top = rows0[..., x0] * (1 - fx) + rows0[..., x1] * fx
    bottom = rows1[..., x0] * (1 - fx) + rows1[..., x1] * fx
    return (top * (1 - fy) + bottom * fy).astype(np.float32)


def resize_nearest(a: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """``(..., h, w)`` -> ``(..., *size)``, nearest neighbour with half-pixel centres (what
    ``tf.image.resize(method="nearest")`` computes), numpy only."""
    a = np.asarray(a)
    h, w = a.shape[-2:]
    th, tw = size
    ys = np.minimum(np.floor((np.arange(th) + 0.5) * h / th).astype(int), h - 1)
    xs = np.minimum(np.floor((np.arange(tw) + 0.5) * w / tw).astype(int), w - 1)
    return a[..., ys, :][..., xs]


def _as_rgb01(image) -> np.ndarray:
    img = np.asarray(image)
    if img.dtype.kind in "iub":
        img = img.astype(np.float32) / (1.0 if img.dtype.kind == "b" else 255.0)
    else:
        img = np.nan_to_num(img.astype(np.float32))
        if img.max(initial=0.0) > 1.0 + 1e-3:  # floats in 0..255
            img = img / 255.0
    if img.ndim == 3 and img.shape[-1] == 1:
        img = img[..., 0]  # (H, W, 1) -> (H, W)
    if img.ndim == 2:
        img = np.repeat(img[..., None], 3, axis=-1)  # grey -> RGB
    if img.ndim != 3 or img.shape[-1] not in (3, 4):
        raise ValueError(f"image must be (H, W), (H, W, 1) or (H, W, 3), got {np.shape(image)}.")
    return np.clip(img[..., :3], 0.0, 1.0)


def colorize(heatmap, colormap="jet") -> np.ndarray:
    """Colour a ``(H, W)`` heatmap in [0, 1] with a colormap.

    Parameters
    ----------
    heatmap : array-like
        ``(H, W)`` values in [0, 1] (clipped; NaN counts as 0).
    colormap : str, matplotlib colormap or ndarray
        Any matplotlib colormap name (``"jet"``, ``"turbo"``, ``"inferno"``...), a colormap
        object, or an ``(n, 3)`` RGB table (floats in [0, 1] or 0..255).

    Returns
    -------
    ndarray
        ``(H, W, 3)`` float32 RGB in [0, 1].

    Examples
    --------
    >>> colorize(np.array([[0.0, 1.0]]), "gray").tolist()
    [[[0.0, 0.0, 0.0], [1.0, 1.0, 1.0]]]
    """
    table = _colormap_table(colormap)
    h = np.clip(np.nan_to_num(np.asarray(heatmap, np.float32)), 0.0, 1.0)
    idx = np.rint(h * (len(table) - 1)).astype(np.int64)
    return table[idx]


def overlay(heatmap, image, colormap="jet", opacity: float = 0.5) -> np.ndarray:
    """Blend a heatmap over an image: ``(1 - opacity) * image + opacity * colormap(heatmap)``.

    Parameters
    ----------
    heatmap : array-like
        ``(h, w)`` in [0, 1], e.g. :attr:`CAMResult.heatmap`. Resized (bilinear) when its size
        differs from the image's.
    image : array-like
        ``(H, W)``, ``(H, W, 1)`` or ``(H, W, 3)``; uint8 or float in [0, 1]. Grey images are
        shown as RGB.
    colormap : str, matplotlib colormap or ndarray
        See :func:`colorize`.
    opacity : float
        0 shows only the image, 1 only the heatmap.

    Returns
    -------
    ndarray
        The blend at the image's size, in the format :func:`colorize` returns.

    Examples
    --------
    >>> img = np.zeros((2, 3, 3), np.float32)
    >>> out = overlay(np.ones((2, 3)), img, colormap="gray", opacity=0.25)
    >>> out.shape, float(out.max())
    ((2, 3, 3), 0.25)
    """
    if not 0.0 <= float(opacity) <= 1.0:
        raise ValueError(f"opacity must be between 0 and 1, got {opacity}.")
    img = _as_rgb01(image)
    heat = np.nan_to_num(np.asarray(heatmap, np.float32))
    if heat.ndim != 2:
        raise ValueError(f"heatmap must be 2-D (H, W), got shape {heat.shape}.")
    if heat.shape != img.shape[:2]:
        heat = resize_bilinear(heat, img.shape[:2])
    a = np.float32(opacity)
    return ((1.0 - a) * img + a * colorize(heat, colormap)).astype(np.float32)
