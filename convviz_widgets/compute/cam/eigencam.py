"""Eigen-CAM (Muhammad & Yeasin, IJCNN 2020, https://arxiv.org/abs/2008.00299).

Gradient-free and class-agnostic: the map is the projection of the feature map on its first
principal component. The ``h * w`` positions are the samples and the ``c`` channels the
variables: ``X = A.reshape(h * w, c)`` minus its mean over positions, ``X = U S V^T`` (SVD), and
the map is ``X @ v1`` with ``v1`` the first right singular vector, i.e. the direction in channel
space along which the positions differ most. Centering makes this a principal component (the
paper writes the SVD of the raw activations; without centering, a non-negative feature map's
first direction is close to its mean and the map is close to the summed activation).

*The sign.* A singular vector is defined up to sign, so the projection could come out inverted.
The rule here: the sign is chosen so that the map correlates positively (Pearson, over
positions) with the mean activation over channels, i.e. the highlighted positions are the ones
where the layer is more active, not less. The ReLU of the template then keeps the positions
above the average along that direction. Because it ignores the target, every class gets the same
map.
"""

from __future__ import annotations

import numpy as np

from .base import register
from .layer import CAMContext, CAMMethod


def first_component(activation: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(v1 (c,), projection (h, w))`` of a feature map ``(h, w, c)``, sign-fixed (see module).

    Examples
    --------
    >>> a = np.zeros((2, 3, 2)); a[0, 0] = [4.0, 1.0]
    >>> v, p = first_component(a)
    >>> bool(p[0, 0] > 0 and (p.ravel()[1:] < 0).all())
    True
    """
    h, w, c = activation.shape
    x = activation.reshape(h * w, c).astype(np.float64)
    x = x - x.mean(axis=0, keepdims=True)
    if not np.any(x):  # every position alike: no direction to project on
        return np.zeros(c, np.float64), np.zeros((h, w), np.float64)
    _, _, vt = np.linalg.svd(x, full_matrices=False)
    v = vt[0]
    proj = x @ v                                                       # (h * w,)
    mean_act = activation.reshape(h * w, c).astype(np.float64).mean(axis=1)
    if np.dot(proj - proj.mean(), mean_act - mean_act.mean()) < 0:
        v, proj = -v, -proj
    return v, proj.reshape(h, w)


@register
class EigenCAM(CAMMethod):
    """Eigen-CAM: the feature map projected on its first principal component.

    ``weights`` in the result is that component ``v1`` (unit norm, one entry per channel).

    Examples
    --------
    >>> import convviz_widgets as cv
    >>> image = cv.demo_images().images[0]                                  # doctest: +SKIP
    >>> r = cv.gradcam(cv.demo_model(), image, method="eigencam")          # doctest: +SKIP
    """

    name = "eigencam"
    label = "Eigen-CAM"
    aliases = ("eigen-cam", "eigen_cam")
    uses_gradients = False

    def cam(self, ctx: CAMContext) -> tuple[np.ndarray, np.ndarray]:
        v, proj = first_component(ctx.activation)
        k = len(ctx.targets)
        return (np.repeat(v[None].astype(np.float32), k, axis=0),
                np.repeat(proj[None], k, axis=0))
