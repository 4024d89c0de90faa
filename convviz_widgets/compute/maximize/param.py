"""Parameterisations: what the optimiser actually changes, and how that becomes an image.

Gradient ascent does not have to move pixels. Moving pixels directly (:class:`Pixels`) is the
classic lesson and what the ``"naive"`` method does; its steps are dominated by high frequencies
because the gradient of a convnet with respect to its input is. :class:`Fourier` instead moves
the coefficients of a 2-D Fourier basis whose amplitudes are scaled by ``1 / frequency``, so an
equal step changes low frequencies as much as a natural image would; the colours are expressed
in decorrelated axes (the principal components of natural-image colour), and a sigmoid keeps
every pixel inside [0, 1] without clipping (clipping kills the gradient of saturated pixels).

Every parameterisation works on a batch: ``params`` is ``(n,) + shape`` and :meth:`to_image`
maps it to display images ``(n, h, w, c)`` in [0, 1]. Parameters for one image are drawn from a
``numpy.random.Generator`` seeded per filter, so a filter's result does not depend on which other
filters share its batch.
"""

from __future__ import annotations

import numpy as np
from keras import ops

from ._settings import Settings

__all__ = ["Parameterization", "Pixels", "Fourier", "make_param", "irfft2d"]

# Square root of the colour covariance of natural (ImageNet) images, as its principal axes:
# column k is the RGB direction of the k-th decorrelated colour component, scaled by its
# standard deviation. Moving along these axes with equal steps changes an image's colours the
# way natural images vary (mostly luminance, then blue-yellow, then red-green).
_COLOR_SQRT = np.array([[0.26, 0.09, 0.02],
                        [0.27, 0.00, -0.05],
                        [0.27, -0.09, 0.03]], np.float32)
# Normalise so that no component can move a pixel by more than a unit step.
_COLOR_MIX = _COLOR_SQRT / np.max(np.linalg.norm(_COLOR_SQRT, axis=0))


class Parameterization(Settings):
    """Base class: a batch of free parameters that :meth:`to_image` turns into images.

    Subclasses set :attr:`bounded` (True when :meth:`to_image` already lands in [0, 1], so the
    loop must not clip) and implement :meth:`shape`, :meth:`init` and :meth:`to_image`.
    """

    #: True when the image can never leave [0, 1] (no projection step needed).
    bounded = False

    def shape(self, h: int, w: int, c: int) -> tuple:
        """Shape of one image's parameters (without the batch axis)."""
        raise NotImplementedError

    def init(self, rng: np.random.Generator, h: int, w: int, c: int) -> np.ndarray:
        """Initial parameters for one image, float32 of :meth:`shape`."""
        raise NotImplementedError

    def to_image(self, params, h: int, w: int, c: int):
        """``(n,) + shape`` parameters → ``(n, h, w, c)`` display images (``keras.ops``)."""
        raise NotImplementedError

    def from_image(self, images: np.ndarray) -> np.ndarray:
        """Parameters that reproduce ``images`` ``(n, h, w, c)`` (used to start from a photo)."""
        raise NotImplementedError(f"{type(self).__name__} cannot start from an image; use Pixels.")


class Pixels(Parameterization):
    """The pixels themselves (the classic recipe): params *are* the display image.

    Parameters
    ----------
    mean : float
        Grey level of the starting image.
    noise : float
        Half-width of the uniform noise added to it. The lesson starts from
        ``random() * 20 + 128`` on a 0–255 scale, i.e. ``0.5 + 0.039 * [0, 1)``; we centre the
        noise so the start is grey on average: ``mean + noise * U(-1, 1)``.
    init : {"grey+noise", "uniform"}
        ``"grey+noise"`` as above; ``"uniform"``: every value drawn from U(0, 1), the U-Net
        lesson's ``np.random.random(shape)``.
    clip : bool
        Keep the pixels inside [0, 1] after every step (display space). ``False`` lets them go
        anywhere: the model input itself is optimised (``maximize(space="model")``).

    Examples
    --------
    >>> p = Pixels()
    >>> x = p.init(np.random.default_rng(0), 4, 6, 3)
    >>> x.shape, bool(np.all(np.abs(x - 0.5) <= 0.04))
    ((4, 6, 3), True)
    """

    bounded = False

    def __init__(self, mean: float = 0.5, noise: float = 10.0 / 255.0,
                 init: str = "grey+noise", clip: bool = True):
        if init not in ("grey+noise", "uniform"):
            raise ValueError(f"init must be 'grey+noise' or 'uniform', not {init!r}.")
        self.mean = float(mean)
        self.noise = float(noise)
        self.start = init
        self.clip = bool(clip)

    def shape(self, h, w, c):
        return (h, w, c)

    def init(self, rng, h, w, c):
        if self.start == "uniform":
            return rng.random((h, w, c)).astype(np.float32)
        x = self.mean + self.noise * rng.uniform(-1.0, 1.0, size=(h, w, c))
        return np.clip(x, 0.0, 1.0).astype(np.float32)

    def to_image(self, params, h, w, c):
        return params

    def from_image(self, images):
        return np.asarray(images, np.float32)


def _rfft_freqs(h: int, w: int) -> np.ndarray:
    """``(h, w // 2 + 1)`` spatial frequency magnitudes of a real 2-D FFT, in cycles per pixel."""
    fy = np.fft.fftfreq(h)[:, None]
    fx = np.fft.rfftfreq(w)[None, :]
    return np.sqrt(fx * fx + fy * fy).astype(np.float32)


class Fourier(Parameterization):
    """Fourier coefficients with 1/f amplitude scaling, decorrelated colour and a sigmoid.

    Parameters
    ----------
    decay : float
        Exponent of the ``1 / f**decay`` amplitude scaling: 1 makes a unit step in every
        coefficient give an image with the spectrum of a natural image; 0 is a plain (white)
        Fourier basis.
    decorrelate : bool
        Express 3-channel colour in decorrelated axes (ignored for other channel counts).
    init_std : float
        Standard deviation of the random starting coefficients: small, so the start is a faint
        grey texture.

    Examples
    --------
    >>> p = Fourier()
    >>> params = p.init(np.random.default_rng(0), 8, 12, 3)
    >>> params.shape                     # (real/imag, channels, h, w // 2 + 1)
    (2, 3, 8, 7)
    >>> img = ops.convert_to_numpy(p.to_image(ops.convert_to_tensor(params[None]), 8, 12, 3))
    >>> img.shape, bool(img.min() > 0 and img.max() < 1)
    ((1, 8, 12, 3), True)
    """

    bounded = True

    def __init__(self, decay: float = 1.0, decorrelate: bool = True, init_std: float = 0.01):
        self.decay = float(decay)
        self.decorrelate = bool(decorrelate)
        self.init_std = float(init_std)

    def shape(self, h, w, c):
        return (2, c, h, w // 2 + 1)

    def init(self, rng, h, w, c):
        return (self.init_std * rng.standard_normal(self.shape(h, w, c))).astype(np.float32)

    def _scale(self, h: int, w: int) -> np.ndarray:
        f = _rfft_freqs(h, w)
        # The DC term has f = 0; the floor 1/max(h, w) gives it the weight of the lowest
        # non-zero frequency instead of an infinite one. sqrt(h * w) undoes the 1/(h*w) of the
        # inverse FFT so that coefficients of order 1 give pixels of order 1 whatever the size.
        scale = 1.0 / np.maximum(f, 1.0 / max(h, w)) ** self.decay
        return (scale * np.sqrt(h * w)).astype(np.float32)

    def to_image(self, params, h, w, c):
        scale = ops.convert_to_tensor(self._scale(h, w))  # (h, w // 2 + 1), over (n, c)
        x = irfft2d(params[:, 0] * scale, params[:, 1] * scale, h, w)  # (n, c, h, w)
        x = ops.transpose(x, (0, 2, 3, 1))  # (n, c, h, w) -> (n, h, w, c)
        # Brings the pixel spread of a random spectrum into the sigmoid's responsive range.
        x = x / 4.0
        if self.decorrelate and c == 3:
            x = ops.einsum("nhwk,ck->nhwc", x, ops.convert_to_tensor(_COLOR_MIX))
        return ops.sigmoid(x)


def irfft2d(real, imag, h: int, w: int):
    """The inverse real 2-D FFT of the last two axes (``(..., h, w // 2 + 1)`` half spectrum →
    ``(..., h, w)``), as ``numpy.fft.irfft2`` computes it: an inverse complex FFT along the
    rows, then an inverse real FFT along each row. ``keras.ops`` has a forward 1-D FFT and an
    inverse real one; the inverse along the rows is the forward FFT of the conjugate,
    conjugated and divided by ``h``.

    Examples
    --------
    >>> spec = np.fft.rfft2(np.arange(12.0).reshape(3, 4))
    >>> x = irfft2d(spec.real.astype("float32"), spec.imag.astype("float32"), 3, 4)
    >>> np.allclose(ops.convert_to_numpy(x), np.arange(12.0).reshape(3, 4), atol=1e-5)
    True
    """
    swap = lambda t: ops.swapaxes(t, -1, -2)  # noqa: E731 - rows <-> columns
    re, im = ops.fft((swap(real), -swap(imag)))  # along the h axis (now last)
    re, im = swap(re) / h, -swap(im) / h
    return ops.irfft((re, im), fft_length=w)


def make_param(param) -> Parameterization:
    """A :class:`Parameterization` from an instance or a name (``"pixels"``, ``"fourier"``).

    Examples
    --------
    >>> make_param("fourier")
    Fourier(decay=1.0, decorrelate=True, init_std=0.01)
    """
    if isinstance(param, Parameterization):
        return param
    names = {"pixels": Pixels, "pixel": Pixels, "fourier": Fourier, "fft": Fourier}
    if isinstance(param, str) and param.lower() in names:
        return names[param.lower()]()
    raise ValueError(f"Unknown parameterisation {param!r}; use 'fourier', 'pixels', or a "
                     "Parameterization instance (e.g. Fourier(decay=1.5)).")
