"""LayerCAM (Jiang et al., IEEE TIP 2021, https://doi.org/10.1109/TIP.2021.3089943).

Grad-CAM gives a whole channel one weight, the gradient averaged over space, so at shallow layers
(where a channel fires in many places, only some of which matter) the map blurs. LayerCAM
weights each *position* by its own positive gradient (eq. 5 of the paper):
``M = ReLU(sum_c ReLU(dS/dA[h, w, c]) * A[h, w, c])``.
"""

from __future__ import annotations

import numpy as np

from .base import register
from .layer import CAMContext, CAMMethod


@register
class LayerCAM(CAMMethod):
    """LayerCAM: every position of every channel weighted by its positive gradient.

    ``weights`` in the result is the spatial mean of ``ReLU(gradient)`` per channel.

    Examples
    --------
    >>> import convviz_widgets as cv
    >>> image = cv.demo_images().images[0]                                  # doctest: +SKIP
    >>> r = cv.gradcam(cv.demo_model(), image, method="layercam",
    ...                layer="block2_conv2")                                # doctest: +SKIP
    """

    name = "layercam"
    label = "LayerCAM"
    aliases = ("layer-cam", "layer_cam")

    def cam(self, ctx: CAMContext) -> tuple[np.ndarray, np.ndarray]:
        # Per position: ReLU of the gradient, (k, h, w, c).
        return self.weighted_sum(ctx, np.maximum(ctx.gradients.astype(np.float64), 0.0))
