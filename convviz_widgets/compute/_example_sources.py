"""The data sources :func:`~convviz_widgets.compute.dataset_examples` streams: arrays, folders,
file lists and ``tf.data`` datasets, as batches of display images with an identity and a label.

Nothing here holds more than one batch of images.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import numpy as np
import tensorflow as tf

from ._images import _as_batch, prepare_images

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp")


@dataclass
class Batch:
    images: np.ndarray            # (n, H, W, C) float32 in [0, 1], at the model's size
    index: np.ndarray             # (n,) int64: position in the source, plus the shard offset
    labels: np.ndarray            # (n,) int64, -1 unknown


@dataclass
class Source:
    """What :func:`open_source` found: the batches, and what names the images afterwards."""

    batches: Iterator[Batch]
    total: int | None             # images, None for a stream of unknown length
    class_names: list | None      # from class subfolders
    files: list | None            # file path of each position (file sources only)
    offset: int

    def paths(self, index: np.ndarray) -> np.ndarray:
        """File path of each image ``index`` (``""`` for arrays, datasets and empty slots)."""
        if self.files is None:
            return np.full(index.shape, "")
        files = np.asarray(self.files + [""])  # the extra "" is what index -1 (empty) reads
        at = np.where(index < 0, len(self.files), index - self.offset)
        return files[at]


def _load_file(path: str) -> np.ndarray:
    from PIL import Image  # pillow is a dependency; deferred so compute imports stay light

    with Image.open(path) as im:
        im = im.convert("L" if im.mode in ("L", "I;16", "I", "1") else "RGB")
        arr = np.asarray(im)
    return arr if arr.ndim == 3 else arr[..., None]


def _folder_files(folder: Path) -> tuple[list[str], list[int], list[str] | None]:
    """Image files under ``folder`` (sorted), with labels from class subfolders if it has them."""
    subdirs = sorted(d for d in folder.iterdir() if d.is_dir())
    if subdirs:
        files, labels = [], []
        for label, d in enumerate(subdirs):
            for f in sorted(d.rglob("*")):
                if f.suffix.lower() in IMAGE_SUFFIXES:
                    files.append(str(f))
                    labels.append(label)
        return files, labels, [d.name for d in subdirs]
    files = [str(f) for f in sorted(folder.iterdir()) if f.suffix.lower() in IMAGE_SUFFIXES]
    return files, [-1] * len(files), None


def _is_files(data) -> bool:
    return isinstance(data, (str, os.PathLike)) or (
        isinstance(data, (list, tuple)) and bool(data) and isinstance(data[0], (str, os.PathLike)))


def open_source(data, labels, batch_size: int, input_shape: tuple, offset: int) -> Source:
    """Batches of every kind of data source, in the order that breaks score ties.

    Ties in the top-k go to the smaller ``(file path, index)``; the running top-k keeps the
    earlier image of a tie, so files are streamed sorted by path (arrays and datasets, which
    have no paths, in their own order).
    """
    if _is_files(data):
        names = None
        if isinstance(data, (str, os.PathLike)):
            folder = Path(data)
            if not folder.is_dir():
                raise ValueError(f"{str(folder)!r} is not a folder; pass a folder of image files, "
                                 "a list of file paths, an array of images or a tf.data.Dataset.")
            files, file_labels, names = _folder_files(folder)
            if not files:
                raise ValueError(f"No image files ({', '.join(IMAGE_SUFFIXES)}) in {str(folder)!r}.")
        else:
            files, file_labels = [str(f) for f in data], [-1] * len(data)
        file_labels = np.asarray(file_labels if labels is None else labels, np.int64)
        if len(file_labels) != len(files):
            raise ValueError(f"Got {len(file_labels)} labels for {len(files)} images.")
        order = sorted(range(len(files)), key=lambda i: (files[i], i))

        def gen():
            for s in range(0, len(order), batch_size):
                at = np.asarray(order[s:s + batch_size], np.int64)
                imgs = [prepare_images(_load_file(files[i]), input_shape).images[0] for i in at]
                yield Batch(np.stack(imgs), at + offset, file_labels[at])

        return Source(gen(), len(files), names, files, offset)
    if isinstance(data, tf.data.Dataset):
        def gen():
            seen = 0
            for item in data:
                x, y = (item[0], item[1]) if isinstance(item, (tuple, list)) else (item, None)
                x = np.asarray(x)
                if x.ndim == 3 and x.shape[-1] not in (1, 3):
                    x = x[..., None]  # unbatched grayscale (h, w) pairs are rare; keep (n,h,w,1)
                batch = x if x.ndim == 4 else x[None]
                lab = np.full(len(batch), -1, np.int64) if y is None else \
                    np.asarray(y, np.int64).reshape(len(batch), -1)[:, 0]
                for s in range(0, len(batch), batch_size):
                    part = prepare_images(batch[s:s + batch_size], input_shape).images
                    n = len(part)
                    yield Batch(part, np.arange(seen, seen + n) + offset, lab[s:s + n])
                    seen += n

        return Source(gen(), None, None, None, offset)
    arr = data if isinstance(data, np.ndarray) else np.asarray(data)
    if arr.ndim in (2, 3):
        # The package's one rule: one image, or (n, h, w) grayscale images for a grayscale model.
        arr = _as_batch(arr, input_shape)
    lab = np.full(len(arr), -1, np.int64) if labels is None else np.asarray(labels, np.int64)
    if len(lab) != len(arr):
        raise ValueError(f"Got {len(lab)} labels for {len(arr)} images.")

    def gen():
        for s in range(0, len(arr), batch_size):
            part = prepare_images(arr[s:s + batch_size], input_shape).images
            n = len(part)
            yield Batch(part, np.arange(s, s + n) + offset, lab[s:s + n])

    return Source(gen(), len(arr), None, None, offset)
