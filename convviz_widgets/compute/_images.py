"""Turning what users pass as "images" into the display batch the model is fed.

Display space is float32 in [0, 1], RGB or grayscale, shaped ``(n, H, W, C)`` for the model's
``H, W, C``. Model-specific scaling (VGG's caffe mean subtraction, [-1, 1], ...) is the job of the
``preprocess`` callable, never of this module, so that optimisation and overlays can work in
display space.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import tensorflow as tf

from ._repr import ShortRepr, one_line, shape


@dataclass(frozen=True)
class PreparedImages(ShortRepr):
    """A batch ready for the model, and what was done to get it.

    Attributes
    ----------
    images : ndarray
        ``(n, H, W, C)`` float32 in [0, 1].
    resized_from : tuple or None
        The original ``(h, w)`` when the images were resized to the model's fixed input size.
    converted_channels : tuple or None
        ``(from, to)`` channel counts when grayscale↔RGB conversion happened.
    rescaled_from_255 : bool
        True when float images were read as 0–255 (max above :data:`FLOAT_01_MAX`) and divided
        by 255.
    clipped : bool
        True when float images read as [0, 1] had values slightly outside it (a resize or
        augmentation overshoot, up to :data:`FLOAT_01_MAX`) that were clipped to [0, 1].
    """

    images: np.ndarray
    resized_from: tuple | None = None
    converted_channels: tuple | None = None
    rescaled_from_255: bool = False
    clipped: bool = False

    def __repr__(self) -> str:
        return one_line("PreparedImages", images=shape(self.images),
                        resized_from=repr(self.resized_from) if self.resized_from else None,
                        converted_channels=repr(self.converted_channels)
                        if self.converted_channels else None,
                        rescaled_from_255="True" if self.rescaled_from_255 else None,
                        clipped="True" if self.clipped else None)


#: The range rule for float images: a maximum up to this is [0, 1] (with a small overshoot, from
#: bicubic resizing or augmentation, clipped); above it, up to 255, the images are 0–255. A real
#: 0–255 picture whose brightest pixel is at most 1.5 is black to the eye, so nothing sensible
#: falls between.
FLOAT_01_MAX = 1.5


def _as_array(images) -> np.ndarray:
    if isinstance(images, (list, tuple)):
        if not images:
            raise ValueError("Got an empty list of images; pass at least one image.")
        arrays = [np.asarray(im) for im in images]
        shapes = {a.shape for a in arrays}
        if len(shapes) > 1:
            raise ValueError(
                f"Images in a list must share one shape, got {sorted(shapes)}. Resize them to one "
                "size first, or pass them one at a time.")
        return np.stack(arrays)
    if hasattr(images, "numpy") and not isinstance(images, np.ndarray):
        images = images.numpy()
    return np.asarray(images)


def prepare_images(images, input_shape: tuple) -> PreparedImages:
    """Validate and convert images for a model with ``input_shape`` ``(None, H, W, C)``.

    Accepts one image ``(h, w)``/``(h, w, c)`` or a batch ``(n, h, w, c)``; uint8 (0–255), bool,
    integer or float. Floats whose maximum is at most :data:`FLOAT_01_MAX` (1.5) are [0, 1]
    images, a small overshoot clipped (``clipped`` says so); floats with a larger maximum, up
    to 255, are 0–255 images and divided by 255 (``rescaled_from_255``).
    A 1-channel image for a 3-channel model is repeated, a 3-channel image for a 1-channel model
    is converted to luminance; images are resized (bilinear, antialiased) to a fixed model size.

    Raises
    ------
    ValueError
        Empty, 1-D or 5-D input, NaN or infinite values, negative values (already preprocessed
        images), channels-first arrays (the message says how to transpose), 4-channel (RGBA)
        images, or channel counts that cannot be converted.
    TypeError
        Non-numeric data.

    Examples
    --------
    >>> p = prepare_images(np.zeros((40, 60, 3), np.uint8), (None, 64, 64, 3))
    >>> p.images.shape, p.resized_from
    ((1, 64, 64, 3), (40, 60))
    """
    arr = _as_array(images)
    if arr.dtype == object or arr.dtype.kind not in "biuf":
        raise TypeError(
            f"Images must be numeric arrays (uint8 or float), got dtype {arr.dtype}. Convert with "
            "np.asarray(image, dtype=np.float32) / 255 or keras.utils.img_to_array(pil_image).")
    if arr.size == 0:
        raise ValueError(f"Got an empty image array of shape {arr.shape}; pass at least one "
                         "non-empty image.")
    if arr.ndim == 2:
        arr = arr[None, :, :, None]  # (h, w) -> (1, h, w, 1)
    elif arr.ndim == 3:
        if arr.shape[-1] in (1, 3, 4):
            arr = arr[None]  # (h, w, c) -> (1, h, w, c)
        elif arr.shape[0] in (1, 3):
            raise ValueError(
                f"An image of shape {arr.shape} looks channels-first (c, h, w); convviz_widgets "
                "reads channels-last images. Transpose to channels-last: "
                "np.transpose(image, (1, 2, 0)).")
        else:
            raise ValueError(
                f"Cannot tell whether an array of shape {arr.shape} is one image (h, w, c) or a "
                "batch of grayscale images (n, h, w). Pass (h, w, c) with c in 1 or 3, or a batch "
                "(n, h, w, c); for grayscale batches add the channel axis: images[..., None].")
    elif arr.ndim == 4 and arr.shape[1] in (1, 3) and arr.shape[-1] not in (1, 3, 4):
        raise ValueError(
            f"Images of shape {arr.shape} look channels-first (n, c, h, w); convviz_widgets reads "
            "channels-last images. Transpose to channels-last: "
            "np.transpose(images, (0, 2, 3, 1)).")
    elif arr.ndim != 4:
        raise ValueError(
            f"Images must be (h, w), (h, w, c) or (n, h, w, c); got {arr.ndim}-D shape "
            f"{arr.shape}.")

    kind = arr.dtype.kind
    rescaled = clipped = False
    if kind == "b":
        x = arr.astype(np.float32)
    elif kind in "iu":
        lo, hi = int(arr.min()), int(arr.max())
        if lo < 0 or hi > 255:
            raise ValueError(
                f"Integer images must be in 0..255, got values in [{lo}, {hi}]. Scale them to "
                "0..255 (uint8) or to floats in [0, 1].")
        x = arr.astype(np.float32) / 255.0
    else:
        x = arr.astype(np.float32)
        if not np.isfinite(x).all():
            raise ValueError(
                f"Images contain {int(np.isnan(x).sum())} NaN and {int(np.isinf(x).sum())} "
                "infinite values; clean them first (e.g. np.nan_to_num(images)).")
        lo, hi = float(x.min()), float(x.max())
        if lo < -1e-3:
            raise ValueError(
                f"Images have negative values (min {lo:.3g}): they look already preprocessed for "
                "the model. Pass display images (floats in [0, 1] or uint8) and give the model's "
                "scaling as `preprocess=` (e.g. lambda x: "
                "keras.applications.vgg16.preprocess_input(x * 255)).")
        if hi > FLOAT_01_MAX:
            if hi <= 255.0 + 1e-3:
                x = x / 255.0
                rescaled = True
            else:
                raise ValueError(
                    f"Float images must be in [0, 1] (or [0, 255]); got max {hi:.4g}. Divide by "
                    "their maximum first.")
        else:
            clipped = hi > 1.0 or lo < 0.0
        x = np.clip(x, 0.0, 1.0)

    n, h, w, c = x.shape
    want_h, want_w, want_c = input_shape[1], input_shape[2], input_shape[3]
    converted = None
    if want_c is not None and c != want_c:
        if c == 1 and want_c == 3:
            x = np.repeat(x, 3, axis=-1)
        elif c == 3 and want_c == 1:
            # ITU-R BT.601 luma, what PIL's "L" conversion uses.
            x = (x @ np.array([0.299, 0.587, 0.114], np.float32))[..., None]
        elif c == 4:
            raise ValueError(
                f"Images have 4 channels (RGBA?) but the model reads {want_c}. Drop the alpha "
                "channel first: images[..., :3].")
        else:
            raise ValueError(
                f"Images have {c} channels but the model reads {want_c}; only grayscale↔RGB is "
                "converted automatically.")
        converted = (c, want_c)
    elif c == 4:
        raise ValueError("Images have 4 channels (RGBA?); drop the alpha channel: images[..., :3].")

    resized_from = None
    if (want_h is not None and h != want_h) or (want_w is not None and w != want_w):
        th, tw = want_h or h, want_w or w
        x = tf.image.resize(x, (th, tw), method="bilinear", antialias=True).numpy()
        x = np.clip(x, 0.0, 1.0).astype(np.float32)
        resized_from = (h, w)
    return PreparedImages(np.ascontiguousarray(x, dtype=np.float32), resized_from, converted,
                          rescaled, clipped)


def image_digest(image: np.ndarray) -> bytes:
    """A short content hash of one prepared image (cache key)."""
    import hashlib

    return hashlib.blake2b(np.ascontiguousarray(image).tobytes(), digest_size=16).digest()
