"""Vanilla gradient and SmoothGrad: how sensitive the score is to each pixel.

* ``saliency`` (Simonyan et al. 2014, https://arxiv.org/abs/1312.6034): the gradient of the
  score with respect to the image; a pixel's value is the largest magnitude over its channels.
* ``smoothgrad`` (Smilkov et al. 2017, https://arxiv.org/abs/1706.03825): the gradient averaged
  over ``samples`` copies of the image with Gaussian noise of standard deviation
  ``sigma * (max - min)`` of the image (sigma as a fraction of the input range; the paper's
  10-20 %), then reduced like ``saliency``. The copies go through the model in batches
  (``batch_size``), one forward+backward pass each. With ``sigma=0`` it is ``saliency``.
  :class:`SmoothGrad` is a *wrapper*: it smooths any pixel-level method, saliency by default.

Both maps are unsigned, in [0, 1].
"""

from __future__ import annotations

import numpy as np

from .base import get_method, register
from ._pixel import PixelContext, PixelMethod


@register
class Saliency(PixelMethod):
    """Vanilla gradient: ``max_c |d score / d x[h, w, c]|``.

    Examples
    --------
    >>> import convviz_widgets as cv
    >>> image = cv.demo_images().images[0]                                   # doctest: +SKIP
    >>> r = cv.gradcam(cv.demo_model(), image, method="saliency")           # doctest: +SKIP
    >>> r.heatmap.shape, r.layer                                            # doctest: +SKIP
    ((64, 64), 'input')
    """

    name = "saliency"
    label = "Saliency (gradient)"
    aliases = ("vanilla_gradient", "gradient", "vanilla")

    def attribute(self, ctx: PixelContext) -> np.ndarray:
        return np.stack([ctx.gradients(ctx.x[None], i)[0] for i in range(len(ctx.targets))])


class _NoisyContext:
    """A :class:`PixelContext` whose gradients are averaged over noisy copies of each input.

    What SmoothGrad puts between a method and the model (as Captum's ``NoiseTunnel``): every
    image the method asks a gradient for is evaluated at ``samples`` noisy copies, in the same
    batches, and the mean comes back. Everything else is the wrapped context's.
    """

    def __init__(self, ctx: PixelContext, noise: np.ndarray):
        self._ctx, self._noise = ctx, noise  # noise (samples, H, W, C)

    def __getattr__(self, name):
        return getattr(self._ctx, name)

    def gradients(self, xs, i: int = 0, *, guided: bool = False) -> np.ndarray:
        xs = np.asarray(xs, np.float32)
        s = len(self._noise)
        noisy = (xs[:, None] + self._noise[None]).reshape((-1,) + xs.shape[1:])  # (n * s, ...)
        g = self._ctx.gradients(noisy, i, guided=guided)
        return g.reshape((len(xs), s) + xs.shape[1:]).mean(axis=1, dtype=np.float64)


@register
class SmoothGrad(PixelMethod):
    """SmoothGrad: a pixel method's gradients averaged over noisy copies of the image.

    A wrapper around any pixel-level method (Captum's ``NoiseTunnel``): the wrapped method runs
    unchanged, and every gradient it asks for is the mean over ``samples`` noisy copies of its
    input. ``SmoothGrad()`` wraps ``saliency`` (the paper's SmoothGrad);
    ``SmoothGrad(method="integrated_gradients")`` smooths integrated gradients, and so on.

    Parameters
    ----------
    samples : int
        Noisy copies (the paper uses 50; 25 is usually enough at these sizes).
    sigma : float
        Noise standard deviation as a fraction of the image's value range (``max - min``).
    seed : int
        Seed of the noise, so a map is reproducible.
    method : str or PixelMethod
        The pixel-level method to smooth (default ``"saliency"``).

    Examples
    --------
    >>> SmoothGrad(samples=4, method="gradient_x_input").signed
    True
    >>> import convviz_widgets as cv
    >>> image = cv.demo_images().images[0]                                   # doctest: +SKIP
    >>> r = cv.gradcam(cv.demo_model(), image,
    ...                method=SmoothGrad(samples=25, sigma=0.15))            # doctest: +SKIP
    """

    name = "smoothgrad"
    label = "SmoothGrad"
    aliases = ("smooth_grad", "smooth-grad")
    long_running = True

    def __init__(self, samples: int = 25, sigma: float = 0.15, seed: int = 0, *,
                 method="saliency"):
        if int(samples) < 1 or sigma < 0:
            raise ValueError(f"SmoothGrad needs samples >= 1 and sigma >= 0, got "
                             f"samples={samples}, sigma={sigma}.")
        inner = get_method(method)
        if not isinstance(inner, PixelMethod):
            raise TypeError(f"SmoothGrad wraps a pixel-level method (saliency, "
                            f"gradient_x_input, integrated_gradients, guided_backprop, ...), "
                            f"not {inner.name!r}.")
        self.method = inner
        self.samples, self.sigma, self.seed = int(samples), float(sigma), int(seed)
        # The wrapper is read like the method it wraps (sign, layer, guided ReLUs).
        self.signed, self.needs_layer = inner.signed, inner.needs_layer
        self.guided = inner.guided

    def noise(self, x: np.ndarray) -> np.ndarray:
        """``(samples, H, W, C)`` Gaussian noise for ``x`` (added to the input as it is, not
        clipped, as in the paper)."""
        rng = np.random.default_rng(self.seed)
        scale = self.sigma * float(x.max() - x.min())
        return rng.standard_normal((self.samples,) + x.shape).astype(np.float32) * scale

    def attribute(self, ctx: PixelContext) -> np.ndarray:
        for d in ctx.details:
            d.update(samples=self.samples, sigma=self.sigma)
        return self.method.attribute(_NoisyContext(ctx, self.noise(ctx.x)))

    def reduce(self, attribution: np.ndarray) -> np.ndarray:
        return self.method.reduce(attribution)
