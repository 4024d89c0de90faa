"""XGrad-CAM (Fu et al., BMVC 2020, https://arxiv.org/abs/2008.02312).

The channel weight is the gradient averaged with the activation as the weighting, instead of
uniformly (eq. 9 of the paper): ``w_c = sum_hw(dS/dA * A) / sum_hw(A)``. The paper derives it
from two axioms, sensitivity and conservation; for a ReLU network whose head is linear in ``A``
the weighted map then sums to the class score.
"""

from __future__ import annotations

import numpy as np

from .base import register
from .layer import CAMContext, CAMMethod


@register
class XGradCAM(CAMMethod):
    """XGrad-CAM: activation-weighted average of the gradient per channel.

    A channel whose activations sum to zero (a dead channel) gets weight 0: it adds nothing to
    the map whatever its weight.

    Examples
    --------
    >>> import convviz_widgets as cv
    >>> image = cv.demo_images().images[0]                                  # doctest: +SKIP
    >>> r = cv.gradcam(cv.demo_model(), image, method="xgradcam")          # doctest: +SKIP
    """

    name = "xgradcam"
    label = "XGrad-CAM"
    aliases = ("xgrad-cam", "xgrad_cam")

    def channel_weights(self, ctx: CAMContext) -> np.ndarray:
        a = ctx.activation.astype(np.float64)                          # (h, w, c)
        num = np.einsum("khwc,hwc->kc", ctx.gradients.astype(np.float64), a)
        den = a.sum(axis=(0, 1))[None, :]                             # (1, c)
        w = np.divide(num, den, out=np.zeros_like(num), where=np.abs(den) > 1e-12)
        return w.astype(np.float32)
