"""Integrated gradients (Sundararajan et al., ICML 2017, https://arxiv.org/abs/1703.01365).

The attribution of pixel ``i`` is ``(x_i - x0_i) * integral_0^1 dF/dx_i(x0 + a (x - x0)) da``
for a baseline image ``x0``. Its defining property, *completeness*, is that the attributions sum
to ``F(x) - F(x0)``.

*The integration rule.* The integral is a Riemann sum at the **midpoints** ``a = (j + 1/2) / m``,
``j = 0 .. m-1``: ``m`` gradient evaluations for ``m`` steps. Midpoints are second-order accurate
(error ``O(1/m^2)`` for a smooth path, like the trapezoid rule, which needs ``m + 1``
evaluations for the same ``m``) whereas the left or right Riemann sums of the paper's eq. 3 are
first-order; along a ReLU network's path the integrand is piecewise constant, and midpoints do
not sample the kinks' endpoints twice. The result reports the check in ``details``:
``attribution_sum``, ``score`` ``F(x)``, ``baseline_score`` ``F(x0)`` and ``completeness_gap``
``|sum - (F(x) - F(x0))| / |F(x) - F(x0)|`` (the test suite asks for < 1 % at 64 steps on the
demo model).

``F`` is the explained score — the logit for a softmax/sigmoid classifier, as for every method
here — and ``x`` the display image in [0, 1] (the path passes through ``preprocess``). The map is
the attribution summed over channels: *signed*, divided by its largest magnitude, in [-1, 1].
The ``m`` interpolated images go through the model in batches of ``batch_size``.
"""

from __future__ import annotations

import numpy as np

from .._images import prepare_images
from .base import register
from ._pixel import PixelContext, PixelMethod, blur


@register
class IntegratedGradients(PixelMethod):
    """Integrated gradients along the straight path from a baseline to the image.

    Parameters
    ----------
    steps : int
        ``m``, gradient evaluations (midpoint rule, see the module docstring).
    baseline : {"black", "blur"} or array-like
        ``"black"``: zeros; ``"blur"``: the image blurred (Gaussian, 5 % of the longer side,
        see :func:`~convviz_widgets.compute.cam._pixel.blur`); or an image (any size: resized to
        the model input like the image).

    Examples
    --------
    >>> import convviz_widgets as cv
    >>> from convviz_widgets.compute.cam import IntegratedGradients
    >>> model, image = cv.demo_model(), cv.demo_images().images[0]          # doctest: +SKIP
    >>> r = cv.gradcam(model, image, method=IntegratedGradients(steps=64))  # doctest: +SKIP
    >>> r.details["completeness_gap"] < 0.01                                # doctest: +SKIP
    True
    """

    name = "integrated_gradients"
    label = "Integrated gradients"
    aliases = ("ig", "integratedgradients", "integrated-gradients")
    signed = True
    long_running = True

    def __init__(self, steps: int = 32, baseline="black"):
        if int(steps) < 1:
            raise ValueError(f"integrated gradients needs steps >= 1, got {steps}.")
        if isinstance(baseline, str) and baseline not in ("black", "blur"):
            raise ValueError(f"baseline must be 'black', 'blur' or an image, not {baseline!r}.")
        self.steps, self.baseline = int(steps), baseline

    def baseline_image(self, x: np.ndarray) -> np.ndarray:
        """The baseline for ``x`` ``(H, W, C)``, same shape."""
        if isinstance(self.baseline, str):
            return np.zeros_like(x) if self.baseline == "black" else blur(x[None])[0]
        b = prepare_images(np.asarray(self.baseline), (None,) + x.shape).images
        if b.shape[0] != 1:
            raise ValueError("The baseline must be one image, not a batch.")
        return b[0]

    def path(self, x: np.ndarray, x0: np.ndarray) -> np.ndarray:
        """``(m, H, W, C)``: the images at the midpoints ``(j + 1/2) / m``."""
        a = ((np.arange(self.steps) + 0.5) / self.steps).astype(np.float32)
        return x0[None] + a[:, None, None, None] * (x - x0)[None]

    def attribute(self, ctx: PixelContext) -> np.ndarray:
        x = ctx.x
        x0 = self.baseline_image(x)
        xs = self.path(x, x0)
        out = []
        for i in range(len(ctx.targets)):
            avg = ctx.gradients(xs, i).mean(axis=0, dtype=np.float64)
            attr = (x - x0).astype(np.float64) * avg
            f_x, f_0 = float(ctx.scores[i]), float(ctx.score(x0[None], i)[0])
            total = float(attr.sum())
            diff = f_x - f_0
            gap = abs(total - diff) / abs(diff) if diff != 0 else abs(total)
            ctx.details[i].update(steps=self.steps, rule="midpoint", attribution_sum=total,
                                  score=f_x, baseline_score=f_0, completeness_gap=gap)
            out.append(attr)
        return np.stack(out)
