"""Random, differentiable image transforms applied before each optimisation step.

A pattern that still excites its filter after being shifted, scaled and rotated by a few pixels
cannot rely on the exact pixel grid, so "transformation robustness" removes most of the
high-frequency adversarial noise naive gradient ascent produces.

Randomness comes in as an argument (``u``: uniform numbers in [0, 1), one row per image) rather
than from a backend's random ops: the optimisation loop draws them per filter from the seed, so
a filter's result is reproducible and independent of the batch it runs in.

Every transform maps ``(n, h, w, c)`` to ``(n, h, w, c)`` (same size: the model may need its
fixed input size) and is built from ``keras.ops`` that have gradients on every backend.
"""

from __future__ import annotations

import math
from typing import Sequence

import numpy as np
from keras import ops

from ._settings import Settings

__all__ = ["Transform", "Affine", "warp", "Jitter", "RandomScale", "RandomRotate", "Blur", "Compose",
           "standard_transforms"]


class Transform(Settings):
    """Base class. ``n_random`` uniform numbers per image are handed to :meth:`__call__`."""

    #: How many uniform random numbers in [0, 1) this transform consumes per image and step.
    n_random = 0

    def __call__(self, x, u):
        """Transform ``x`` ``(n, h, w, c)`` using randoms ``u`` ``(n, n_random)``."""
        raise NotImplementedError


class Affine(Transform):
    """Random shift, scale and rotation about the centre, in one bilinear resampling.

    Parameters
    ----------
    jitter : float
        Maximum shift in pixels along each axis (uniform in ``[-jitter, jitter]``).
    scale : (float, float)
        Range of the zoom factor (uniform); ``(1, 1)`` disables scaling.
    degrees : float
        Maximum rotation in degrees (uniform in ``[-degrees, degrees]``).
    fill : float
        Value of pixels shifted in from outside the image (grey: neutral for display images).

    Examples
    --------
    >>> t = Affine(jitter=2, scale=(0.9, 1.1), degrees=5)
    >>> x = np.random.default_rng(0).random((3, 10, 14, 3), np.float32)
    >>> tuple(t(x, np.full((3, t.n_random), 0.3, np.float32)).shape)
    (3, 10, 14, 3)
    """

    n_random = 4

    def __init__(self, jitter: float = 0.0, scale: Sequence[float] = (1.0, 1.0),
                 degrees: float = 0.0, fill: float = 0.5):
        self.jitter = float(jitter)
        self.scale = (float(scale[0]), float(scale[1]))
        self.degrees = float(degrees)
        self.fill = float(fill)

    def matrices(self, u, h, w):
        """``(n, 8)`` projective matrices (output pixel → input pixel) for randoms ``u``."""
        u = ops.cast(u, "float32")
        tx = (2.0 * u[:, 0] - 1.0) * self.jitter
        ty = (2.0 * u[:, 1] - 1.0) * self.jitter
        s = self.scale[0] + u[:, 2] * (self.scale[1] - self.scale[0])
        a = (2.0 * u[:, 3] - 1.0) * (self.degrees * math.pi / 180.0)
        h = ops.cast(h, "float32")
        w = ops.cast(w, "float32")
        cx, cy = (w - 1.0) / 2.0, (h - 1.0) / 2.0
        # The op maps each *output* pixel to the input pixel it samples, so it needs the inverse
        # of "rotate by a, zoom by s, then shift by t": in = R(-a) / s · (out - c - t) + c.
        cos, sin = ops.cos(a) / s, ops.sin(a) / s
        m00, m01, m10, m11 = cos, sin, -sin, cos
        ox, oy = cx + tx, cy + ty
        b0 = cx - m00 * ox - m01 * oy
        b1 = cy - m10 * ox - m11 * oy
        zero = ops.zeros_like(cos)
        return ops.stack([m00, m01, b0, m10, m11, b1, zero, zero], axis=1)  # (n, 8)

    def __call__(self, x, u):
        x = ops.convert_to_tensor(x)
        return warp(x, self.matrices(u, x.shape[1], x.shape[2]), self.fill)


def _resample(x, m, fill):
    # TensorFlow's ImageProjectiveTransformV3 there; a bilinear map_coordinates elsewhere.
    return ops.image.affine_transform(x, m, interpolation="bilinear", fill_mode="constant",
                                      fill_value=fill, data_format="channels_last")


def _inverse(m):
    """``(n, 8)`` affine matrices (last row ``0 0 1``) inverted."""
    a, b, tx, c, d, ty = (m[:, i] for i in range(6))
    det = a * d - b * c
    ia, ib, ic, id_ = d / det, -b / det, -c / det, a / det
    zero = ops.zeros_like(a)
    return ops.stack([ia, ib, -(ia * tx + ib * ty), ic, id_, -(ic * tx + id_ * ty), zero, zero],
                     axis=1)


def warp(x, m, fill: float):
    """``x`` ``(n, h, w, c)`` resampled bilinearly where the affine matrices ``m`` ``(n, 8)``
    (output pixel → input pixel) point, ``fill`` outside; its gradient is the incoming gradient
    warped back by the inverse matrices (``0`` outside).

    That gradient is TensorFlow's own for its projective-transform op (an approximation of the
    interpolation's adjoint, which is a scatter); written here it is the same on every backend,
    so the ascent takes the same steps everywhere, and it stays a fast resampling: the exact
    adjoint (a gather's scatter-add) made TensorFlow's step ~6x slower for this op, and JAX took
    half a minute to compile the gradient of its ``map_coordinates``.

    Examples
    --------
    >>> x = np.arange(16, dtype=np.float32).reshape(1, 4, 4, 1)
    >>> shift = np.array([[1, 0, 1, 0, 1, 0, 0, 0]], np.float32)  # out(y, x) = in(y, x + 1)
    >>> ops.convert_to_numpy(warp(x, shift, -1.0))[0, 0, :, 0].tolist()
    [1.0, 2.0, 3.0, -1.0]
    """
    m = ops.cast(m, "float32")
    inverse = _inverse(m)

    @ops.custom_gradient
    def sample(images):
        def grad(*args, upstream=None):
            if upstream is None:  # TensorFlow and JAX pass it positionally, PyTorch by name
                (upstream,) = args
            return _resample(upstream, inverse, 0.0)

        return _resample(images, m, fill), grad

    return sample(x)


class Jitter(Affine):
    """Random shift by up to ``pixels`` along each axis.

    Examples
    --------
    >>> Jitter(4).n_random
    4
    """

    def __init__(self, pixels: float = 4.0, fill: float = 0.5):
        super().__init__(jitter=pixels, fill=fill)


class RandomScale(Affine):
    """Random zoom by a factor uniform in ``[low, high]``.

    Examples
    --------
    >>> RandomScale(0.9, 1.1).scale
    (0.9, 1.1)
    """

    def __init__(self, low: float = 0.9, high: float = 1.1, fill: float = 0.5):
        super().__init__(scale=(low, high), fill=fill)


class RandomRotate(Affine):
    """Random rotation by up to ``degrees`` either way.

    Examples
    --------
    >>> RandomRotate(10).degrees
    10.0
    """

    def __init__(self, degrees: float = 10.0, fill: float = 0.5):
        super().__init__(degrees=degrees, fill=fill)


def _gaussian(sigma: float) -> np.ndarray:
    radius = max(1, int(math.ceil(3.0 * sigma)))
    t = np.arange(-radius, radius + 1, dtype=np.float64)
    k = np.exp(-0.5 * (t / sigma) ** 2)
    return (k / k.sum()).astype(np.float32)


class Blur(Transform):
    """Gaussian blur with standard deviation ``sigma`` pixels (no randomness).

    Blurring what the model sees penalises detail finer than ``sigma`` (the gradient of fine
    detail is blurred away), a cheap alternative to a total-variation penalty.

    Examples
    --------
    >>> tuple(Blur(1.0)(np.ones((1, 9, 9, 2), np.float32), np.zeros((1, 0), np.float32)).shape)
    (1, 9, 9, 2)
    """

    def __init__(self, sigma: float = 1.0):
        self.sigma = float(sigma)

    def __call__(self, x, u):
        if self.sigma <= 0:
            return x
        k = _gaussian(self.sigma)
        r = len(k) // 2
        c = x.shape[-1]
        # Separable: one (1, k) and one (k, 1) depthwise pass; reflect padding keeps the edges
        # from darkening towards a zero border.
        x = ops.pad(x, [[0, 0], [r, r], [r, r], [0, 0]], mode="reflect")
        kx = np.tile(k.reshape(1, -1, 1, 1), (1, 1, c, 1))  # (1, k, c, 1)
        ky = np.tile(k.reshape(-1, 1, 1, 1), (1, 1, c, 1))  # (k, 1, c, 1)
        x = ops.depthwise_conv(x, ops.convert_to_tensor(kx), 1, "valid")
        return ops.depthwise_conv(x, ops.convert_to_tensor(ky), 1, "valid")


class Compose(Transform):
    """Apply transforms in order, handing each its slice of the random numbers.

    Examples
    --------
    >>> t = Compose([Jitter(2), Blur(0.5)])
    >>> t.n_random
    4
    """

    def __init__(self, transforms: Sequence[Transform]):
        self.transforms = tuple(transforms)
        for t in self.transforms:
            if not isinstance(t, Transform):
                raise TypeError(f"{t!r} is not a Transform; use the classes of "
                                "convviz_widgets.compute.maximize.transforms.")

    @property
    def n_random(self) -> int:  # type: ignore[override]
        return sum(t.n_random for t in self.transforms)

    @property
    def key(self) -> tuple:
        return ("Compose",) + tuple(t.key for t in self.transforms)

    def __call__(self, x, u):
        i = 0
        for t in self.transforms:
            x = t(x, u[:, i:i + t.n_random])
            i += t.n_random
        return x


def standard_transforms(size: int) -> list[Transform]:
    """The default robustness transforms for images of side ``size``.

    Shift by about 3 % of the size, zoom ±5 %, rotate ±5°, then a second small shift (so the
    zoom and rotation centre is not always the image centre), as in the feature-visualisation
    literature, scaled with the image size.

    Examples
    --------
    >>> [type(t).__name__ for t in standard_transforms(128)]
    ['Affine', 'Jitter']
    """
    j = max(1.0, round(0.03 * size))
    return [Affine(jitter=j, scale=(0.95, 1.05), degrees=5.0), Jitter(max(1.0, round(j / 2)))]
