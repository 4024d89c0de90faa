"""Gradient × input (Shrikumar et al. 2016, https://arxiv.org/abs/1605.01713).

The gradient of the score times the display image (in [0, 1]), summed over channels. For a
piecewise-linear network this is the first-order Taylor term of ``f(x) - f(0)``: how much each
pixel contributes, compared with a black image, locally. The map is *signed*: positive pixels
raise the score, negative ones lower it; the heatmap is divided by its largest magnitude, so it
lies in [-1, 1].
"""

from __future__ import annotations

import numpy as np

from .base import register
from ._pixel import PixelContext, PixelMethod


@register
class GradientXInput(PixelMethod):
    """Gradient times input, summed over channels (signed, in [-1, 1]).

    Examples
    --------
    >>> import convviz_widgets as cv
    >>> image = cv.demo_images().images[0]                                   # doctest: +SKIP
    >>> r = cv.gradcam(cv.demo_model(), image, method="gradient_x_input")   # doctest: +SKIP
    >>> float(r.heatmap.min()) < 0 < float(r.heatmap.max()), r.signed       # doctest: +SKIP
    (True, True)
    """

    name = "gradient_x_input"
    label = "Gradient × input"
    aliases = ("gradientxinput", "gradient*input", "input_x_gradient", "gxi")
    signed = True

    def attribute(self, ctx: PixelContext) -> np.ndarray:
        return np.stack([ctx.gradients(ctx.x[None], i)[0] * ctx.x
                         for i in range(len(ctx.targets))])
