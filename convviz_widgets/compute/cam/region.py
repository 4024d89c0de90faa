"""Region targets: explain a region of an image-shaped output (U-Net, segmentation, edges).

For a model whose output is itself an image, ``(n, h, w, channels)``, "class 0 89.8 %" means
nothing: every output pixel is its own prediction. Seg-Grad-CAM (Vinogradova, Dibrov & Myers,
"Towards interpretable semantic segmentation via gradient-weighted class activation mapping",
AAAI 2020) explains a *region* instead: the score is the sum of the output channel's logits over
the region's pixels, and Grad-CAM weights the feature map by its gradient as usual.

:class:`Region` is that target. It is callable (it maps the output to one score per sample), so
every method that takes a callable takes it; the CAM engine resolves it against the image's own
prediction first (:meth:`Region.resolve`: the predicted foreground by default) and, for a model
ending in softmax or sigmoid, feeds it the logits, as for class targets.
"""

from __future__ import annotations

import numpy as np
from keras import ops

from .overlay import resize_nearest

__all__ = ["Region", "REGION_KINDS"]

#: The kinds of region: the first three are chosen from the image's prediction.
REGION_KINDS = ("foreground", "background", "all", "mask", "box")


class Region:
    """A region of an image-shaped output, as a Grad-CAM target.

    Parameters
    ----------
    mask : array-like, optional
        ``(h, w)`` bool or 0/1: the pixels to explain. At the output's resolution, or at any
        other (an image-size mask is resized to the output with nearest neighbour).
    box : tuple of int, optional
        ``(y0, x0, y1, x1)`` in output pixels, end exclusive: a rectangle to explain.
    channel : int, optional
        The output channel whose values are summed. Default: 0 for a one-channel output; for
        several channels, the class predicted most often in the region (softmax maps: the most
        frequent non-background ``argmax``).
    kind : {"foreground", "background", "all"}, optional
        Without ``mask`` or ``box``, which pixels of the image's *own prediction*:
        ``"foreground"`` (default; output > 0.5 for a sigmoid or [0, 1] output, > 0 for raw
        scores, ``argmax != 0`` for a softmax map), ``"background"`` (the rest) or ``"all"``
        (the whole output).

    Attributes
    ----------
    kind : str
        One of :data:`REGION_KINDS`.
    pixels : int or None
        How many output pixels the region holds (``None`` until resolved).

    Notes
    -----
    The score is ``sum over the region of y[..., channel]``; with an empty region it is 0 and
    the map is flagged ``"empty_region"``. ``gradcam(model, image)`` on a model with an
    image-shaped output uses ``Region()`` (the predicted foreground) by default.

    Examples
    --------
    >>> import numpy as np, convviz_widgets as cv
    >>> cv.Region()
    Region(foreground)
    >>> cv.Region(box=(4, 4, 20, 30)).kind
    'box'
    >>> r = cv.Region(mask=np.eye(4, dtype=bool)).resolve(np.zeros((4, 4, 1), np.float32))
    >>> r.pixels, r.label
    (4, 'mask (4 px)')
    """

    #: Region scores read the logits of a softmax/sigmoid output (like class targets).
    on_logits = True

    def __init__(self, mask=None, box=None, channel: int | None = None, kind: str | None = None):
        if mask is not None and box is not None:
            raise ValueError("Pass a mask or a box, not both (a box is a rectangular mask).")
        if mask is not None:
            mask = np.asarray(mask)
            if mask.ndim == 3 and mask.shape[-1] == 1:
                mask = mask[..., 0]
            if mask.ndim != 2:
                raise ValueError(f"mask must be 2-D (height, width), got shape {mask.shape}; "
                                 "pass one channel, e.g. mask[..., 0].")
            mask = mask.astype(bool)
            kind = "mask"
        elif box is not None:
            box = tuple(int(v) for v in box)
            if len(box) != 4 or box[2] <= box[0] or box[3] <= box[1]:
                raise ValueError(f"box must be (y0, x0, y1, x1) with y1 > y0 and x1 > x0 "
                                 f"(output pixels, end exclusive), got {box}.")
            kind = "box"
        kind = kind or "foreground"
        if kind not in REGION_KINDS or (kind in ("mask", "box") and mask is None and box is None):
            raise ValueError(f"kind must be 'foreground', 'background' or 'all' (or pass mask= "
                             f"or box=), got {kind!r}.")
        if channel is not None and (isinstance(channel, bool) or int(channel) < 0):
            raise ValueError(f"channel must be an output channel index >= 0, got {channel!r}.")
        self.kind = kind
        self.box = box
        self.channel = None if channel is None else int(channel)
        self._mask = mask
        self._resolved = False
        self.__name__ = "region"

    # ------------------------------------------------------------------------------ reading
    @property
    def mask(self) -> np.ndarray | None:
        """``(h, w)`` bool at the output's resolution once resolved (the given mask before)."""
        return self._mask

    @property
    def resolved(self) -> bool:
        return self._resolved

    @property
    def pixels(self) -> int | None:
        return int(self._mask.sum()) if self._resolved else None

    @property
    def label(self) -> str:
        """``"foreground (812 px)"``: what the region is, in English (views translate)."""
        if not self._resolved:
            return self.kind
        return f"{self.kind} ({self.pixels} px)"

    def _key(self):
        mask = None if self._mask is None else (self._mask.shape, self._mask.tobytes())
        return (self.kind, self.channel, self.box, self._resolved, mask)

    def __eq__(self, other) -> bool:
        # Two regions are the same target when they select the same pixels of the same channel.
        return isinstance(other, Region) and self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        extra = f", channel={self.channel}" if self.channel is not None else ""
        return f"Region({self.label}{extra})"

    # ----------------------------------------------------------------------------- resolving
    def resolve(self, output, activation: str | None = None) -> "Region":
        """This region as a concrete mask on ``output``, the image's prediction.

        Parameters
        ----------
        output : array-like
            ``(h, w, channels)`` (or ``(h, w)``) model output for one image.
        activation : {"softmax", "sigmoid", None}
            How the output was made (:attr:`OutputInfo.activation`); decides the foreground.

        Returns
        -------
        Region
            A new, resolved region (``mask`` ``(h, w)`` bool, ``channel`` set).
        """
        out = np.asarray(output, np.float32)
        if out.ndim == 2:
            out = out[..., None]
        if out.ndim != 3:
            raise ValueError(f"A region needs an image-shaped output (height, width, channels); "
                             f"this output has shape {out.shape}. Use a class index instead.")
        h, w, c = out.shape
        channel = self.channel
        if channel is not None and channel >= c:
            raise ValueError(f"channel={channel} is out of range: the output has {c} channel"
                             f"{'s' if c != 1 else ''}; use 0 to {c - 1}.")
        softmax_map = c > 1 and (activation == "softmax" or (
            activation is None and np.allclose(out.sum(-1), 1.0, atol=1e-3)))
        if softmax_map:
            labels = out.argmax(-1)
            fg = labels != 0
        else:
            ch = channel if channel is not None else 0
            probs = activation == "sigmoid" or (out.min() >= 0.0 and out.max() <= 1.0)
            fg = out[..., ch] > (0.5 if probs else 0.0)
        if self.kind == "foreground":
            mask = fg
        elif self.kind == "background":
            mask = ~fg
        elif self.kind == "all":
            mask = np.ones((h, w), bool)
        elif self.kind == "box":
            y0, x0, y1, x1 = self.box
            mask = np.zeros((h, w), bool)
            mask[max(0, y0):max(0, min(h, y1)), max(0, x0):max(0, min(w, x1))] = True
        else:
            mask = self._mask
            if mask.shape != (h, w):  # e.g. a mask drawn at the image's size
                mask = resize_nearest(mask, (h, w))
        if channel is None:
            channel = 0
            if softmax_map:
                inside = labels[mask]
                inside = inside[inside != 0] if (inside != 0).any() else inside
                if inside.size:
                    channel = int(np.bincount(inside, minlength=c).argmax())
        out_region = Region.__new__(Region)
        out_region.__dict__.update(self.__dict__)
        out_region._mask = np.ascontiguousarray(mask, bool)
        out_region.channel = int(channel)
        out_region._resolved = True
        return out_region

    # ------------------------------------------------------------------------------- scoring
    def __call__(self, y):
        """``(n,)``: the sum of ``y[..., channel]`` over the region (``y`` is ``(n, h, w, c)``)."""
        if not self._resolved:
            raise ValueError("This Region is not resolved yet; gradcam() resolves it against "
                             "the image's prediction (or call region.resolve(output)).")
        m = ops.convert_to_tensor(self._mask.astype(np.float32))
        y = ops.convert_to_tensor(y)
        if len(y.shape) == 3:
            y = y[..., None]
        return ops.sum(ops.cast(y[..., self.channel], "float32") * m, axis=(1, 2))
