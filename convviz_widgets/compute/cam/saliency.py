"""Vanilla gradient and SmoothGrad: how sensitive the score is to each pixel.

* ``saliency`` (Simonyan et al. 2014, https://arxiv.org/abs/1312.6034): the gradient of the
  score with respect to the image; a pixel's value is the largest magnitude over its channels.
* ``smoothgrad`` (Smilkov et al. 2017, https://arxiv.org/abs/1706.03825): the gradient averaged
  over ``samples`` copies of the image with Gaussian noise of standard deviation
  ``sigma * (max - min)`` of the image (sigma as a fraction of the input range; the paper's
  10-20 %), then reduced like ``saliency``. The copies go through the model in batches
  (``batch_size``), one forward+backward pass each. With ``sigma=0`` it is ``saliency``.

Both maps are unsigned, in [0, 1].
"""

from __future__ import annotations

import numpy as np

from .base import register
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


@register
class SmoothGrad(PixelMethod):
    """SmoothGrad: the gradient averaged over noisy copies of the image.

    Parameters
    ----------
    samples : int
        Noisy copies (the paper uses 50; 25 is usually enough at these sizes).
    sigma : float
        Noise standard deviation as a fraction of the image's value range (``max - min``).
    seed : int
        Seed of the noise, so a map is reproducible.

    Examples
    --------
    >>> import convviz_widgets as cv
    >>> from convviz_widgets.compute.cam import SmoothGrad
    >>> image = cv.demo_images().images[0]                                   # doctest: +SKIP
    >>> r = cv.gradcam(cv.demo_model(), image,
    ...                method=SmoothGrad(samples=25, sigma=0.15))            # doctest: +SKIP
    """

    name = "smoothgrad"
    label = "SmoothGrad"
    aliases = ("smooth_grad", "smooth-grad")
    long_running = True

    def __init__(self, samples: int = 25, sigma: float = 0.15, seed: int = 0):
        if int(samples) < 1 or sigma < 0:
            raise ValueError(f"SmoothGrad needs samples >= 1 and sigma >= 0, got "
                             f"samples={samples}, sigma={sigma}.")
        self.samples, self.sigma, self.seed = int(samples), float(sigma), int(seed)

    def noisy(self, x: np.ndarray) -> np.ndarray:
        """``(samples, H, W, C)`` noisy copies of ``x`` (not clipped: the paper adds noise to
        the input as it is)."""
        rng = np.random.default_rng(self.seed)
        scale = self.sigma * float(x.max() - x.min())
        noise = rng.standard_normal((self.samples,) + x.shape).astype(np.float32) * scale
        return x[None] + noise

    def attribute(self, ctx: PixelContext) -> np.ndarray:
        xs = self.noisy(ctx.x)
        for d in ctx.details:
            d.update(samples=self.samples, sigma=self.sigma)
        return np.stack([ctx.gradients(xs, i).mean(axis=0, dtype=np.float64)
                         for i in range(len(ctx.targets))])
