"""HiResCAM (Draelos & Carin, 2020, https://arxiv.org/abs/2011.08891).

Grad-CAM averages the gradient over space before multiplying it with the feature map, which can
highlight positions the model did not use (a channel's average gradient is large, but the
gradient *there* is zero). HiResCAM multiplies elementwise first and sums over channels:
``M = ReLU(sum_c dS/dA[h, w, c] * A[h, w, c])``. For a model that ends in global average pooling
and one dense layer the sum over positions of this map is exactly the class score (up to the
bias), which is the "faithful" property the paper proves.
"""

from __future__ import annotations

import numpy as np

from .base import register
from .layer import CAMContext, CAMMethod


@register
class HiResCAM(CAMMethod):
    """HiResCAM: gradient times activation, elementwise, summed over channels.

    ``weights`` in the result is the spatial mean of the gradient (Grad-CAM's weights).

    Examples
    --------
    >>> import convviz_widgets as cv
    >>> image = cv.demo_images().images[0]                                  # doctest: +SKIP
    >>> r = cv.gradcam(cv.demo_model(), image, method="hirescam")          # doctest: +SKIP
    """

    name = "hirescam"
    label = "HiResCAM"
    aliases = ("hires-cam", "hires_cam")

    def cam(self, ctx: CAMContext) -> tuple[np.ndarray, np.ndarray]:
        return self.weighted_sum(ctx, ctx.gradients)  # per position: (k, h, w, c)
