"""Grad-CAM (Selvaraju et al., ICCV 2017, https://arxiv.org/abs/1610.02391).

A channel's weight is its gradient averaged over space (eq. 1 of the paper): how much, on average,
raising that feature map raises the class score.
"""

from __future__ import annotations

import numpy as np

from .base import register
from .layer import CAMContext, CAMMethod


@register
class GradCAM(CAMMethod):
    """Grad-CAM: channel weights are the spatially averaged gradients.

    Examples
    --------
    >>> import convviz_widgets as cv
    >>> image = cv.demo_images().images[0]                              # doctest: +SKIP
    >>> r = cv.gradcam(cv.demo_model(), image, method="gradcam")        # doctest: +SKIP
    """

    name = "gradcam"
    label = "Grad-CAM"
    aliases = ("grad-cam", "grad_cam")

    def channel_weights(self, ctx: CAMContext) -> np.ndarray:
        # (k, h, w, c) -> (k, c): global average pooling of the gradients.
        return ctx.gradients.mean(axis=(1, 2), dtype=np.float64).astype(np.float32)
