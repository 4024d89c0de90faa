"""The data sources :func:`~convviz_widgets.compute.dataset_examples` streams: arrays, lists of
images, folders, file lists and ``tf.data`` datasets, as batches of display images with an
identity, a label and a tie-break key.

Nothing here holds more than about one batch of images. For a model of any input size the
images keep their own sizes and are grouped into batches of one size (:func:`_bucketed`).
"""

from __future__ import annotations

import os
import struct
import sys
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator

import numpy as np
from PIL import Image

from ._images import _as_batch, prepare_images

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp")


@dataclass
class Batch:
    images: np.ndarray            # (n, H, W, C) float32 in [0, 1]: the model's size, or (any-size
                                  # models) the images' own size, one size per batch
    index: np.ndarray             # (n,) int64: global position (shard and offset applied)
    labels: np.ndarray            # (n,) int64, -1 unknown
    key: np.ndarray               # (n,) int64: rank in the source's stream order (tie-break)


@dataclass
class Source:
    """What :func:`open_source` found: the batches, and what names the images afterwards."""

    batches: Iterator[Batch]
    total: int | None             # items, None for a stream of unknown length
    class_names: list | None      # from class subfolders
    files: list | None            # file path of each local position (file sources only)
    start: int                    # global index of local position p is start + step * p
    step: int
    skipped: list = field(default_factory=list)  # files that could not be read, as met
    #: ``images_at(p)``: the display images of local positions ``p`` (sorted, unique) exactly as
    #: they were streamed, for sources that can be read again (arrays); None for streams
    #: (files, datasets, lists of images), whose patches are cut as the images go by.
    images_at: Callable[[np.ndarray], np.ndarray] | None = None

    def paths(self, index: np.ndarray) -> np.ndarray:
        """File path of each image ``index`` (``""`` for arrays, datasets and empty slots)."""
        if self.files is None:
            return np.full(index.shape, "")
        files = np.asarray(self.files + [""])  # the extra "" is what index -1 (empty) reads
        at = np.where(index < 0, len(self.files), (index - self.start) // self.step)
        return files[at]


class UnreadableImage(Exception):
    """A file of the data set that is not a readable image (the caller skips it)."""


# What Pillow raises for a truncated, empty, corrupted or not-an-image file (and the OS for an
# unreadable one): SyntaxError and struct.error come from some of its format plugins.
_READ_ERRORS = (OSError, ValueError, SyntaxError, EOFError, struct.error)


def _load_file(path: str) -> np.ndarray:
    try:
        with Image.open(path) as im:
            im = im.convert("L" if im.mode in ("L", "I;16", "I", "1") else "RGB")
            arr = np.asarray(im)
    except (*_READ_ERRORS, Image.DecompressionBombError) as e:
        raise UnreadableImage(f"{type(e).__name__}: {e}") from e
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


def is_tf_dataset(data) -> bool:
    """A ``tf.data.Dataset`` (read on every Keras backend where TensorFlow is installed). No
    import: a dataset can only exist once its user has imported TensorFlow, so a session that
    never did (JAX, PyTorch) never loads it here."""
    tf = sys.modules.get("tensorflow")
    data_api = getattr(tf, "data", None) if tf is not None else None
    return data_api is not None and isinstance(data, data_api.Dataset)


def _is_files(data) -> bool:
    return isinstance(data, (str, os.PathLike)) or (
        isinstance(data, (list, tuple)) and bool(data) and isinstance(data[0], (str, os.PathLike)))


def _is_ragged(data) -> bool:
    """A list of images that do not all have one shape (one array cannot hold them)."""
    return isinstance(data, (list, tuple)) and len({np.shape(d) for d in data}) > 1


def _bucketed(chunks, batch_size: int) -> Iterator[Batch]:
    """Batches of one image size each out of ``chunks`` (``Batch`` objects of any length).

    A batch goes out as soon as a size has ``batch_size`` images; when more than ``batch_size``
    images wait in all sizes together (every image of its own size, say), the fullest size goes
    out early, so no more than ``batch_size`` images ever wait. With one size (any fixed-size
    model) this only re-cuts the stream into batches of ``batch_size``, in stream order.
    """
    waiting: dict[tuple, list[Batch]] = {}
    count: dict[tuple, int] = {}

    def take(size, n):
        parts, got = waiting[size], []
        while n > 0:
            p = parts[0]
            if len(p.images) <= n:
                got.append(parts.pop(0))
                n -= len(p.images)
            else:
                got.append(Batch(p.images[:n], p.index[:n], p.labels[:n], p.key[:n]))
                parts[0] = Batch(p.images[n:], p.index[n:], p.labels[n:], p.key[n:])
                n = 0
        count[size] -= sum(len(g.images) for g in got)
        if not parts:
            del waiting[size], count[size]
        if len(got) == 1:
            return got[0]
        return Batch(*(np.concatenate([getattr(g, f) for g in got])
                       for f in ("images", "index", "labels", "key")))

    for chunk in chunks:
        if not len(chunk.images):
            continue
        size = chunk.images.shape[1:]
        waiting.setdefault(size, []).append(chunk)
        count[size] = count.get(size, 0) + len(chunk.images)
        while count.get(size, 0) >= batch_size:
            yield take(size, batch_size)
        while sum(count.values()) > batch_size:
            yield take(max(count, key=count.get), min(batch_size, max(count.values())))
    # What is left, oldest first.
    for size in sorted(waiting, key=lambda s: waiting[s][0].key[0]):
        while size in waiting:
            yield take(size, min(batch_size, count[size]))


def open_source(data, labels, batch_size: int, input_shape: tuple, start: int = 0,
                step: int = 1) -> Source:
    """Batches of every kind of data source, in the order that breaks score ties.

    The image at local position ``p`` (its place in the array, list or stream) is global image
    ``start + step * p``. Ties in the top-k go to the smaller ``(file path, index)``; the
    running top-k keeps the earlier image of a tie, so files are streamed sorted by path
    (arrays and datasets, which have no paths, in their own order), and each image carries its
    rank in that order as ``key`` for streams that batches by size reorder.

    A file that cannot be read as an image is skipped with a warning naming it, and recorded
    in ``Source.skipped``.
    """
    def position(p):
        return start + step * np.asarray(p, np.int64)

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
        src = Source(iter(()), len(files), names, files, start, step)

        def chunks():
            for rank, i in enumerate(order):
                try:
                    img = _load_file(files[i])
                except UnreadableImage as e:
                    src.skipped.append(files[i])
                    warnings.warn(f"Skipped {files[i]!r}: not a readable image ({e}). "
                                  "Its path is in the summary's .skipped.", stacklevel=4)
                    continue
                yield Batch(prepare_images(img, input_shape).images, position([i]),
                            file_labels[[i]], np.array([rank], np.int64))

        src.batches = _bucketed(chunks(), batch_size)
        return src
    if is_tf_dataset(data):
        def chunks():
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
                    at = np.arange(seen, seen + n)
                    yield Batch(part, position(at), lab[s:s + n], at)
                    seen += n

        return Source(_bucketed(chunks(), batch_size), None, None, None, start, step)
    if _is_ragged(data):
        lab = np.full(len(data), -1, np.int64) if labels is None else np.asarray(labels, np.int64)
        if len(lab) != len(data):
            raise ValueError(f"Got {len(lab)} labels for {len(data)} images.")

        def chunks():
            for p, img in enumerate(data):
                yield Batch(prepare_images(np.asarray(img), input_shape).images, position([p]),
                            lab[[p]], np.array([p], np.int64))

        return Source(_bucketed(chunks(), batch_size), len(data), None, None, start, step)
    arr = data if isinstance(data, np.ndarray) else np.asarray(data)
    if arr.ndim in (2, 3):
        # The package's one rule: one image, or (n, h, w) grayscale images for a grayscale model.
        arr = _as_batch(arr, input_shape)
    lab = np.full(len(arr), -1, np.int64) if labels is None else np.asarray(labels, np.int64)
    if len(lab) != len(arr):
        raise ValueError(f"Got {len(lab)} labels for {len(arr)} images.")

    rescaled: dict[int, bool] = {}  # batch start -> its floats were read as 0–255

    def gen():
        for s in range(0, len(arr), batch_size):
            prepared = prepare_images(arr[s:s + batch_size], input_shape)
            rescaled[s] = prepared.rescaled_from_255
            n = len(prepared.images)
            at = np.arange(s, s + n)
            yield Batch(prepared.images, position(at), lab[s:s + n], at)

    def images_at(p: np.ndarray) -> np.ndarray:
        """Images ``p`` prepared again, as they were streamed. Preparing is per image but for
        one choice per batch (floats read as [0, 1] or as 0–255, by the batch's maximum), so
        images are prepared with those of batches that chose alike; a set of images of 0–255
        batches whose own maximum says [0, 1] is prepared with its whole batches instead."""
        starts = (p // batch_size) * batch_size
        as_255 = np.array([rescaled[int(b)] for b in starts], bool)
        out = None
        for flag in (False, True):
            sel = as_255 == flag
            if not sel.any():
                continue
            got = prepare_images(arr[p[sel]], input_shape)
            if out is None:
                out = np.empty((len(p),) + got.images.shape[1:], np.float32)
            if got.rescaled_from_255 == flag:
                out[sel] = got.images
                continue
            for b in np.unique(starts[sel]):
                mine = sel & (starts == b)
                out[mine] = prepare_images(arr[b:b + batch_size], input_shape).images[p[mine] - b]
        return out

    return Source(gen(), len(arr), None, None, start, step, images_at=images_at)
