"""Score-CAM (Wang et al., CVPR-W 2020, https://arxiv.org/abs/1910.01279).

Gradient-free: each channel of the layer, upsampled and min-max normalised, masks the image; the
channel's weight is how much the masked image alone raises the class probability, and the weights
are a softmax over channels (Algorithm 1 of the paper). For class targets the score is the class
probability — the model's own softmax/sigmoid output, or the softmax of raw logits; for callable
targets, the callable's value on the masked images' output.

It costs one forward pass per channel (512 on VGG16's last block), batched; progress is reported
through ``on_step(done, total)`` (return ``False`` to stop) and a ``threading.Event`` passed as
``cancel`` stops it between batches. Masking happens in display space (black outside the mask),
before ``preprocess``.
"""

from __future__ import annotations

import numpy as np

from .base import register
from .layer import CAMContext, CAMMethod


@register
class ScoreCAM(CAMMethod):
    """Score-CAM: channel weights from the score increase of channel-masked images.

    Examples
    --------
    >>> import convviz_widgets as cv
    >>> steps = []
    >>> r = cv.gradcam(cv.demo_model(), cv.demo_images().images[0], method="scorecam",
    ...                on_step=lambda done, total: steps.append(done))     # doctest: +SKIP
    """

    name = "scorecam"
    label = "Score-CAM"
    aliases = ("score-cam", "score_cam")
    long_running = True
    uses_gradients = False

    def channel_weights(self, ctx: CAMContext) -> np.ndarray:
        maps = np.moveaxis(ctx.activation, -1, 0)  # (h, w, c) -> (c, h, w): one mask per channel
        scores = ctx.masked_scores(maps, on_step=ctx.on_step, cancel=ctx.cancel,
                                   batch_size=ctx.batch_size)  # (c, k)
        s = scores.T.astype(np.float64)  # (k, c)
        # Softmax over channels; subtracting the baseline score f(black image) of the paper
        # would not change it.
        e = np.exp(s - s.max(axis=1, keepdims=True))
        return (e / e.sum(axis=1, keepdims=True)).astype(np.float32)
