"""Guided backpropagation and Guided Grad-CAM.

* ``guided_backprop`` (Springenberg et al. 2015, https://arxiv.org/abs/1412.6806): the gradient
  of the score with respect to the image, with every ReLU passing back only positive gradients
  at positive inputs. Reduced like ``saliency`` (largest magnitude over channels, [0, 1]).
* ``guided_gradcam`` (Selvaraju et al. 2017): guided backpropagation times the Grad-CAM heatmap
  upsampled to the input, so fine detail appears only where Grad-CAM points ([0, 1]).

The ReLUs are overridden through the model-access mechanism, for layers anywhere in the model
(``activation="relu"`` of Conv/Dense layers, ``Activation("relu")`` and ``ReLU()`` layers, in
nested backbones and subclassed models). **A raw ``tf.nn.relu`` or ``keras.ops.relu`` inside a
subclassed ``call()`` is not a layer and cannot be overridden**: it keeps its ordinary gradient,
the call warns with :class:`~convviz_widgets.compute.cam._pixel.UnguidedReLUWarning`, and
``details["unguided_relus"]`` counts them. Adebayo et al. (2018) showed that guided
backpropagation hardly changes when the model's weights are randomised: it shows edges of the
image more than what the model uses (see :func:`~convviz_widgets.compute.trust.sanity_check`).
"""

from __future__ import annotations

import numpy as np

from .base import register
from ._pixel import PixelContext, PixelMethod


@register
class GuidedBackprop(PixelMethod):
    """Guided backpropagation: the input gradient through guided ReLUs.

    Examples
    --------
    >>> import convviz_widgets as cv
    >>> image = cv.demo_images().images[0]                                   # doctest: +SKIP
    >>> r = cv.gradcam(cv.demo_model(), image, method="guided_backprop")    # doctest: +SKIP
    """

    name = "guided_backprop"
    label = "Guided backprop"
    aliases = ("guidedbackprop", "guided_backpropagation", "guided-backprop")
    guided = True

    def attribute(self, ctx: PixelContext) -> np.ndarray:
        return np.stack([ctx.gradients(ctx.x[None], i, guided=True)[0]
                         for i in range(len(ctx.targets))])


@register
class GuidedGradCAM(PixelMethod):
    """Guided Grad-CAM: guided backpropagation times the upsampled Grad-CAM map.

    ``layer=`` chooses the Grad-CAM layer (default as for Grad-CAM).

    Examples
    --------
    >>> import convviz_widgets as cv
    >>> image = cv.demo_images().images[0]                                   # doctest: +SKIP
    >>> r = cv.gradcam(cv.demo_model(), image, method="guided_gradcam")     # doctest: +SKIP
    >>> r.layer                                                             # doctest: +SKIP
    'block3_conv2'
    """

    name = "guided_gradcam"
    label = "Guided Grad-CAM"
    aliases = ("guidedgradcam", "guided-grad-cam")
    guided = True
    needs_layer = True

    def attribute(self, ctx: PixelContext) -> np.ndarray:
        cams = ctx.cam_heatmaps("gradcam")  # (k, H, W) in [0, 1]
        return np.stack([ctx.gradients(ctx.x[None], i, guided=True)[0] * cams[i][..., None]
                         for i in range(len(ctx.targets))])
