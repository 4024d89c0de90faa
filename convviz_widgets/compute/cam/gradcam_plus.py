"""Grad-CAM++ (Chattopadhay et al., WACV 2018, https://arxiv.org/abs/1710.11063).

Grad-CAM averages gradients, so one large object outweighs several small ones. Grad-CAM++ weights
each position's positive gradient by ``alpha``, which gives every location that raises the score
a comparable share. With the paper's exponential score ``Y = exp(S)`` the second and third
derivatives become powers of the first (eq. 19), so no higher-order autodiff is needed; the
common factor ``exp(S)`` only scales the map and cancels in the normalisation.
"""

from __future__ import annotations

import numpy as np

from .base import register
from .layer import CAMContext, CAMMethod


@register
class GradCAMPlusPlus(CAMMethod):
    """Grad-CAM++: positive gradients weighted by the closed-form ``alpha`` of the paper.

    Examples
    --------
    >>> import convviz_widgets as cv
    >>> image = cv.demo_images().images[0]                              # doctest: +SKIP
    >>> r = cv.gradcam(cv.demo_model(), image, method="gradcam++")      # doctest: +SKIP
    """

    name = "gradcam++"
    label = "Grad-CAM++"
    aliases = ("gradcampp", "gradcam_plus", "gradcamplusplus", "gradcam_plus_plus")

    def channel_weights(self, ctx: CAMContext) -> np.ndarray:
        # float64: cubes of small gradients underflow float32 long before they stop mattering.
        g = ctx.gradients.astype(np.float64)          # (k, h, w, c)
        a_sum = ctx.activation.astype(np.float64).sum(axis=(0, 1))  # (c,)
        g2 = g * g
        denom = 2.0 * g2 + a_sum[None, None, None, :] * g2 * g
        # Where the gradient is zero the position contributes nothing (alpha's 0/0 is taken as 0).
        alpha = np.divide(g2, denom, out=np.zeros_like(g2), where=np.abs(denom) > 1e-30)
        return (alpha * np.maximum(g, 0.0)).sum(axis=(1, 2)).astype(np.float32)  # (k, c)
