"""Turning what users pass as "images" into the display batch the model is fed.

Display space is float32 in [0, 1], RGB or grayscale, shaped ``(n, H, W, C)`` for the model's
``H, W, C``. Model-specific scaling (VGG's caffe mean subtraction, [-1, 1], ...) is the job of the
``preprocess`` callable, never of this module, so that optimisation and overlays can work in
display space.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass

import keras
import numpy as np

from . import backend

from ._load_image import load_image
from ._messages import InputError, InputTypeError
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


def _is_path(x) -> bool:
    return isinstance(x, (str, os.PathLike))


def _load(x) -> np.ndarray:
    return load_image(x)  # Pillow is imported (inside load_image) only when a file is read


def _as_array(x) -> np.ndarray:
    """One array (a file read, a tensor converted); a string array of paths is read."""
    if _is_path(x):
        return _load(x)
    if hasattr(x, "numpy") and not isinstance(x, np.ndarray):
        x = x.numpy()
    arr = np.asarray(x)
    if arr.dtype.kind in "US" and arr.ndim <= 1:  # np.array(["a.png", "b.png"]): files
        loaded = [_load(str(p)) for p in arr.reshape(-1)]
        return loaded[0] if arr.ndim == 0 else _stack(loaded, None)
    if arr.dtype == object or arr.dtype.kind not in "biuf":
        raise InputTypeError("images_not_numeric", dtype=arr.dtype)
    return arr


def _stack(arrays: list, input_shape: tuple | None) -> np.ndarray:
    shapes = {a.shape for a in arrays}
    if len(shapes) == 1:
        return np.stack(arrays)
    if input_shape is not None and None not in input_shape[1:3]:
        # A fixed-size model resizes every image to its size anyway: do it one by one.
        return np.concatenate([prepare_images(a, input_shape).images for a in arrays])
    raise InputError("images_list_shapes", shapes=sorted(shapes))


def _as_batch(images, input_shape: tuple) -> np.ndarray:
    """What users pass as images, as one ``(n, h, w, c)`` array (the rule: :func:`split_images`).

    Arrays of several images in a list that differ in size are resized one by one for a
    fixed-size model (the result is then already in [0, 1] float32 at the model's size).
    """
    want_c = input_shape[3] if input_shape is not None and len(input_shape) == 4 else None
    if isinstance(images, (list, tuple)):
        if not images:
            raise InputError("images_empty_list")
        arrays = [_as_array(im) for im in images]
        arrays = [a[0] if a.ndim == 4 and len(a) == 1 else a for a in arrays]
        arrays = [_one_image(a, want_c) for a in arrays]
        return _stack(arrays, input_shape)
    arr = _as_array(images)
    if arr.size == 0:
        raise InputError("images_empty_array", shape=arr.shape)
    if arr.ndim == 2:
        return arr[None, :, :, None]  # (h, w) -> (1, h, w, 1)
    if arr.ndim == 3:
        if arr.shape[-1] in (1, 3, 4):
            return arr[None]  # (h, w, c) -> (1, h, w, c)
        if want_c == 1:
            return arr[..., None]  # a grayscale model: (n, h, w) are n images -> (n, h, w, 1)
        if arr.shape[0] in (1, 3):
            raise InputError("images_channels_first_image", shape=arr.shape)
        n, h, w = arr.shape
        raise InputError("images_stack_ambiguous", shape=arr.shape, n=n, h=h, w=w, c=w,
                         want=want_c if want_c is not None else "any number of")
    if arr.ndim == 4 and arr.shape[1] in (1, 3) and arr.shape[-1] not in (1, 3, 4):
        raise InputError("images_channels_first_batch", shape=arr.shape)
    if arr.ndim != 4:
        raise InputError("images_rank", ndim=arr.ndim, shape=arr.shape)
    return arr


def _one_image(arr: np.ndarray, want_c) -> np.ndarray:
    """One image of a list as ``(h, w, c)``."""
    if arr.ndim == 2:
        return arr[:, :, None]
    if arr.ndim == 3 and arr.shape[-1] not in (1, 3, 4) and arr.shape[0] in (1, 3):
        raise InputError("images_channels_first_image", shape=arr.shape)
    if arr.ndim != 3:
        raise InputError("images_rank", ndim=arr.ndim, shape=arr.shape)
    return arr


def split_images(images, input_shape: tuple | None = None) -> list[np.ndarray]:
    """What users pass as images, one ``(h, w, c)`` array per image — the one rule of the package.

    Every compute entry point (through :func:`prepare_images`) and every view (their
    ``images=``) reads images this way:

    * an array ``(n, h, w, c)`` is ``n`` images; ``(h, w, c)`` with ``c`` in 1, 3, 4 is one
      image; ``(h, w)`` is one grayscale image;
    * ``(n, h, w)`` (an MNIST-style stack) is ``n`` grayscale images *for a grayscale model*
      (``input_shape[-1] == 1``); for any other model it is ambiguous and raises, saying how to
      write either reading (``(c, h, w)`` with ``c`` in 1, 3 says to transpose);
    * a file path (``str`` or ``pathlib.Path``), a list of them or an array of path strings is
      read with :func:`~convviz_widgets.compute.load_image`;
    * a list holds one image (or a ``(1, h, w, c)`` batch) per item, of any sizes.

    Parameters
    ----------
    images : array-like, tensor, path, or list of those
    input_shape : tuple, optional
        The model's input shape ``(None, H, W, C)``: its ``C`` decides what ``(n, h, w)`` is.

    Returns
    -------
    list of ndarray
        ``(h, w, c)`` arrays, values as given (uint8 or float; conversion to [0, 1] is
        :func:`prepare_images`' job).

    Raises
    ------
    InputError
        A ``ValueError`` whose message says which shape to pass instead; a ``TypeError``-like
        case (strings that are not paths, objects) is an ``InputError`` too.

    Examples
    --------
    >>> [a.shape for a in split_images(np.zeros((5, 28, 28)), (None, 28, 28, 1))]
    [(28, 28, 1), (28, 28, 1), (28, 28, 1), (28, 28, 1), (28, 28, 1)]
    >>> [a.shape for a in split_images([np.zeros((4, 6, 3)), np.zeros((8, 9))])]
    [(4, 6, 3), (8, 9, 1)]
    """
    want_c = input_shape[3] if input_shape is not None and len(input_shape) == 4 else None
    if isinstance(images, (list, tuple)):
        if not images:
            return []
        arrays = [_as_array(im) for im in images]
        arrays = [a[0] if a.ndim == 4 and len(a) == 1 else a for a in arrays]
        return [_one_image(a, want_c) for a in arrays]
    return list(_as_batch(images, (None, None, None, want_c)))


def prepare_images(images, input_shape: tuple) -> PreparedImages:
    """Validate and convert images for a model with ``input_shape`` ``(None, H, W, C)``.

    Accepts what :func:`split_images` accepts — one image ``(h, w)``/``(h, w, c)``, a batch
    ``(n, h, w, c)``, ``(n, h, w)`` grayscale images for a grayscale model, image file paths,
    a list of images (of any sizes for a fixed-size model); uint8 (0–255), bool, integer or
    float. Floats whose maximum is at most :data:`FLOAT_01_MAX` (1.5) are [0, 1]
    images, a small overshoot clipped (``clipped`` says so); floats with a larger maximum, up
    to 255, are 0–255 images and divided by 255 (``rescaled_from_255``).
    A 1-channel image for a 3-channel model is repeated, a 3-channel image for a 1-channel model
    is converted to luminance; images are resized (bilinear, antialiased) to a fixed model size.

    Raises
    ------
    ValueError
        Empty, 1-D or 5-D input, NaN or infinite values, negative values (already preprocessed
        images), channels-first arrays (the message says how to transpose), an ``(n, h, w)``
        stack for a colour model, 4-channel (RGBA) images, or channel counts that cannot be
        converted.
    TypeError
        Non-numeric data.

    Examples
    --------
    >>> p = prepare_images(np.zeros((40, 60, 3), np.uint8), (None, 64, 64, 3))
    >>> p.images.shape, p.resized_from
    ((1, 64, 64, 3), (40, 60))
    """
    arr = _as_batch(images, input_shape)
    kind = arr.dtype.kind
    rescaled = clipped = False
    if kind == "b":
        x = arr.astype(np.float32)
    elif kind in "iu":
        lo, hi = int(arr.min()), int(arr.max())
        if lo < 0 or hi > 255:
            raise InputError("images_int_range", lo=lo, hi=hi)
        x = arr.astype(np.float32) / 255.0
    else:
        x = arr.astype(np.float32)
        # The min and max say whether any value is NaN or infinite (a NaN makes both NaN), so
        # no pass of its own; and the clip runs only where a value lies outside [0, 1]: numpy's
        # clip of a batch already in range (the usual case) cost more than the rest of this
        # function (dataset_examples prepares every batch: 16 ms of 29 for the demo's 1,000
        # images; session 36).
        lo, hi = float(x.min()), float(x.max())
        if not (np.isfinite(lo) and np.isfinite(hi)):
            raise InputError("images_not_finite", nan=int(np.isnan(x).sum()),
                             inf=int(np.isinf(x).sum()))
        if lo < -1e-3:
            raise InputError("images_negative", lo=f"{lo:.3g}")
        if hi > FLOAT_01_MAX:
            if hi <= 255.0 + 1e-3:
                x = x / 255.0
                rescaled = True
            else:
                raise InputError("images_float_range", hi=f"{hi:.4g}")
        else:
            clipped = hi > 1.0 or lo < 0.0
        if rescaled or clipped:
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
            raise InputError("images_rgba_model", want=want_c)
        else:
            raise InputError("images_channels", c=c, want=want_c)
        converted = (c, want_c)
    elif c == 4:
        raise InputError("images_rgba")

    resized_from = None
    if (want_h is not None and h != want_h) or (want_w is not None and w != want_w):
        th, tw = want_h or h, want_w or w
        x = backend.to_numpy(keras.ops.image.resize(x, (th, tw), interpolation="bilinear",
                                                     antialias=True))
        x = np.clip(x, 0.0, 1.0).astype(np.float32)
        resized_from = (h, w)
    return PreparedImages(np.ascontiguousarray(x, dtype=np.float32), resized_from, converted,
                          rescaled, clipped)


def image_digest(image: np.ndarray) -> bytes:
    """A short content hash of one prepared image (cache key): its shape and dtype, then its
    bytes. The bytes alone are the same for a black 32×64 frame and a black 64×32 one (any
    reshaping of the same values), which a model taking any size runs at their own sizes: the
    second was served the first one's feature maps."""
    image = np.ascontiguousarray(image)
    h = hashlib.blake2b(digest_size=16)
    h.update(repr((image.shape, image.dtype.str)).encode())
    h.update(image.tobytes())
    return h.digest()
