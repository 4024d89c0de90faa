"""Image priors: objectives that read the display image, not a layer.

Subtract a multiple of one from a layer objective to prefer smooth (:func:`total_variation`) or
grey-centred (:func:`l2`) patterns, e.g. ``channel("conv_b") - 0.05 * total_variation()``.
Re-exported by :mod:`.objectives`.
"""

from __future__ import annotations

from keras import ops

from .objectives import Context, Objective

__all__ = ["TotalVariation", "L2", "total_variation", "l2"]


class TotalVariation(Objective):
    """Mean absolute difference between neighbouring pixels of the display image (an image
    prior: subtract a multiple of it to prefer smooth patterns).

    Examples
    --------
    >>> float(TotalVariation()(Context({}, ops.zeros((1, 4, 4, 1)), ops.zeros(1, "int32")))[0])
    0.0
    """

    def __call__(self, ctx):
        x = ctx.image
        dy = ops.mean(ops.abs(x[:, 1:] - x[:, :-1]), axis=(1, 2, 3))
        dx = ops.mean(ops.abs(x[:, :, 1:] - x[:, :, :-1]), axis=(1, 2, 3))
        return dx + dy


class L2(Objective):
    """Mean squared distance of the display image from grey (subtract it for "decay").

    Examples
    --------
    >>> float(L2()(Context({}, ops.full((1, 2, 2, 1), 0.5), ops.zeros(1, "int32")))[0])
    0.0
    """

    def __init__(self, center: float = 0.5):
        self.center = float(center)

    def __call__(self, ctx):
        return ops.mean(ops.square(ctx.image - self.center), axis=(1, 2, 3))


def total_variation() -> TotalVariation:
    """Image prior: total variation of the display image (subtract a multiple of it).

    Examples
    --------
    >>> from convviz_widgets.compute.maximize import channel
    >>> obj = channel("conv_b") - 0.05 * total_variation()
    """
    return TotalVariation()


def l2(center: float = 0.5) -> L2:
    """Image prior: squared distance from grey (subtract a multiple of it: "decay").

    Examples
    --------
    >>> from convviz_widgets.compute.maximize import channel
    >>> obj = channel("conv_b") - 0.1 * l2()
    """
    return L2(center)
