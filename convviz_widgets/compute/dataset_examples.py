"""Dataset examples: for every channel, the images and patches of real data that excite it most.

The other half of "what does this filter respond to?" next to an optimised pattern (Distill's
*Feature Visualization*: optimisation vs dataset examples). The data is streamed in batches and
never held in memory: one compiled forward pass per batch captures every requested layer and
reduces each channel to one score per image *inside* the compiled function (max or mean over
positions, and where the max is), so what crosses to numpy is ``(batch, channels)`` — the top-k
bookkeeping is nearly free next to the forward pass.

The summary is **mergeable**: top-k lists, firing counts and image counts of shards combine into
exactly the summary of one pass over all of them (ties broken by image identity, so the order of
shards does not matter). That is how a data set larger than one process is done: shard it, run
the shards anywhere, :meth:`DatasetExamples.merge`, :meth:`~DatasetExamples.save`.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Iterator

import numpy as np
import tensorflow as tf

from ._images import prepare_images
from ._access import access, check_preprocess, model_input, require_spatial
from ._identity import preprocess_key
from ._model_trace import run_model, tf_function
from .progress import Tracker
from .receptive_field import receptive_fields

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp")
#: Side of the stored receptive-field patches (uint8): 9 patches × 512 channels × 48² × 3 B
#: is 32 MB for a deep VGG layer, whatever the data set size.
PATCH_SIZE = 48
_SCORES = ("max", "mean")


# ----------------------------------------------------------------------------- the summary
@dataclass
class DatasetExamples:
    """The top-k images of every channel of one layer over a data set, and how often each fires.

    Arrays are indexed ``[channel_row, rank]``; ``channels[row]`` is the channel number. Empty
    slots (fewer than k images seen) have ``index == -1`` and ``score == -inf``.

    Attributes
    ----------
    layer : str
    score_kind : {"max", "mean"}
    k : int
    channels : ndarray ``(C,)`` int
    scores : ndarray ``(C, k)`` float32, descending per row
    index : ndarray ``(C, k)`` int64: the image's position in its data source (plus the offset
        given for its shard)
    source : ndarray ``(C, k)`` str: the image's file path ("" for arrays and datasets)
    labels : ndarray ``(C, k)`` int64 (-1 where unknown)
    position : ndarray ``(C, k, 2)`` int: ``(row, col)`` of the channel's maximum in the map
    box : ndarray ``(C, k, 4)`` int: ``(top, bottom, left, right)`` receptive field of that
        position, in pixels of the image as the model saw it
    patches : ndarray ``(C, k, P, P, c)`` uint8: those windows, resized to ``P × P``
    n_images : int
    fired : ndarray ``(C,)`` int64: in how many images the channel was > 0 somewhere
    class_names : list of str or None
    cancelled : bool
        True when the run stopped early; the summary is still exact for the images counted.
    """

    layer: str
    score_kind: str
    k: int
    channels: np.ndarray
    scores: np.ndarray
    index: np.ndarray
    source: np.ndarray
    labels: np.ndarray
    position: np.ndarray
    box: np.ndarray
    patches: np.ndarray
    n_images: int = 0
    fired: np.ndarray = field(default=None)
    class_names: list | None = None
    cancelled: bool = False

    # ------------------------------------------------------------------ derived statistics
    @property
    def firing_rate(self) -> np.ndarray:
        """``(C,)``: share of images in which each channel fired (0 = never on this data)."""
        return self.fired / max(self.n_images, 1)

    @property
    def never_fires(self) -> np.ndarray:
        """``(C,)`` bool: channels that were ≤ 0 everywhere on every image."""
        return self.fired == 0

    def histogram(self, row: int) -> np.ndarray:
        """Label counts among channel row ``row``'s top-k (length: number of classes)."""
        n_classes = len(self.class_names) if self.class_names else int(self.labels.max()) + 1
        lab = self.labels[row][(self.labels[row] >= 0) & (self.index[row] >= 0)]
        return np.bincount(lab, minlength=max(n_classes, 0))

    @property
    def purity(self) -> np.ndarray:
        """``(C,)``: share of the top-k that carries the most common label (NaN if unlabelled)."""
        out = np.full(len(self.channels), np.nan, np.float32)
        for r in range(len(self.channels)):
            h = self.histogram(r) if (self.labels[r] >= 0).any() else np.zeros(0)
            if h.sum():
                out[r] = h.max() / h.sum()
        return out

    def row(self, channel: int) -> int:
        """The row of ``channel`` (a channel number of the layer)."""
        hits = np.flatnonzero(self.channels == int(channel))
        if not len(hits):
            raise ValueError(f"Channel {channel} was not summarised; summarised channels: "
                             f"{self.channels[:8].tolist()}{' …' if len(self.channels) > 8 else ''}")
        return int(hits[0])

    # --------------------------------------------------------------------------- combining
    def merge(self, other: "DatasetExamples") -> "DatasetExamples":
        """The summary of both data sets together (exactly what one pass over both gives).

        Examples
        --------
        >>> a = cv.dataset_examples(model, "block3_conv1", images[:500])        # doctest: +SKIP
        >>> b = cv.dataset_examples(model, "block3_conv1", images[500:],
        ...                         index_offset=500)                           # doctest: +SKIP
        >>> both = a.merge(b)                                                   # doctest: +SKIP
        """
        if (self.layer, self.score_kind, self.k) != (other.layer, other.score_kind, other.k) \
                or not np.array_equal(self.channels, other.channels):
            raise ValueError("Only summaries of the same layer, score, k and channels merge; "
                             f"got {(self.layer, self.score_kind, self.k)} and "
                             f"{(other.layer, other.score_kind, other.k)}.")
        if self.patches.shape[2:] != other.patches.shape[2:]:
            raise ValueError("Summaries with different patch sizes do not merge.")
        merged = _select_topk(self.k, *[np.concatenate([getattr(self, f), getattr(other, f)],
                                                       axis=1) for f in _ROW_FIELDS])
        return DatasetExamples(
            self.layer, self.score_kind, self.k, self.channels.copy(), *merged,
            n_images=self.n_images + other.n_images, fired=self.fired + other.fired,
            class_names=self.class_names or other.class_names,
            cancelled=self.cancelled or other.cancelled)

    def save(self, path) -> None:
        """Write the summary to one ``.npz`` file (see :meth:`load`)."""
        meta = dict(layer=self.layer, score_kind=self.score_kind, k=self.k,
                    n_images=self.n_images, cancelled=self.cancelled)
        np.savez_compressed(
            path, channels=self.channels, fired=self.fired,
            class_names=np.array(self.class_names or [], dtype=str),
            meta=np.array([repr(meta)]), **{f: getattr(self, f) for f in _ROW_FIELDS})

    @classmethod
    def load(cls, path) -> "DatasetExamples":
        """Read a summary written by :meth:`save`."""
        import ast

        with np.load(path, allow_pickle=False) as z:
            meta = ast.literal_eval(str(z["meta"][0]))
            names = [str(s) for s in z["class_names"]]
            return cls(meta["layer"], meta["score_kind"], int(meta["k"]), z["channels"],
                       *[z[f] for f in _ROW_FIELDS], n_images=int(meta["n_images"]),
                       fired=z["fired"], class_names=names or None,
                       cancelled=bool(meta["cancelled"]))


_ROW_FIELDS = ("scores", "index", "source", "labels", "position", "box", "patches")


def _select_topk(k, scores, index, source, labels, position, box, patches):
    """Keep each row's k best: score descending, then (source, index) ascending — a total
    order on images, so merging shards in any order gives the same result."""
    c, m = scores.shape
    # Empty slots sort last: score -inf and the largest identity.
    idx_key = np.where(index < 0, np.iinfo(np.int64).max, index)
    # One lexsort for all rows (its last key is the primary one: the row), not one per row.
    row_key = np.repeat(np.arange(c), m)
    order = np.lexsort((idx_key.ravel(), source.ravel(), -scores.astype(np.float64).ravel(),
                        row_key)).reshape(c, m) - (np.arange(c) * m)[:, None]
    take = order[:, :k]
    rows = np.arange(c)[:, None]
    return (scores[rows, take], index[rows, take], source[rows, take], labels[rows, take],
            position[rows, take], box[rows, take], patches[rows, take])


# ------------------------------------------------------------------------------ data sources
@dataclass
class _Batch:
    images: np.ndarray            # (n, H, W, C) float32 in [0, 1], at the model's size
    index: np.ndarray             # (n,) int64
    source: np.ndarray            # (n,) str
    labels: np.ndarray            # (n,) int64, -1 unknown


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


def _batches(data, labels, batch_size, input_shape, offset) -> tuple[Iterator[_Batch], int | None,
                                                                      list | None]:
    """``(batches, total or None, class_names)`` for every kind of data source."""
    names = None
    if isinstance(data, (str, os.PathLike)) or (
            isinstance(data, (list, tuple)) and data and isinstance(data[0], (str, os.PathLike))):
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
        if labels is not None:
            file_labels = list(np.asarray(labels).astype(np.int64))

        def gen():
            for s in range(0, len(files), batch_size):
                chunk = files[s:s + batch_size]
                imgs = [prepare_images(_load_file(f), input_shape).images[0] for f in chunk]
                yield _Batch(np.stack(imgs), np.arange(s, s + len(chunk)) + offset,
                             np.array(chunk), np.asarray(file_labels[s:s + len(chunk)], np.int64))

        return gen(), len(files), names
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
                    yield _Batch(part, np.arange(seen, seen + n) + offset, np.full(n, ""),
                                 lab[s:s + n])
                    seen += n

        card = int(data.cardinality())
        return gen(), None if card < 0 else None, None
    arr = data if isinstance(data, np.ndarray) else np.asarray(data)
    if arr.ndim == 3:
        arr = arr[None]  # one image
    lab = np.full(len(arr), -1, np.int64) if labels is None else np.asarray(labels, np.int64)
    if len(lab) != len(arr):
        raise ValueError(f"Got {len(lab)} labels for {len(arr)} images.")

    def gen():
        for s in range(0, len(arr), batch_size):
            part = prepare_images(arr[s:s + batch_size], input_shape).images
            n = len(part)
            yield _Batch(part, np.arange(s, s + n) + offset, np.full(n, ""), lab[s:s + n])

    return gen(), len(arr), None


# ------------------------------------------------------------------------------- the pass
def _reduce_fn(acc, paths: tuple, score: str, preprocess):
    """Compiled ``x -> {path: (score (n, C), argmax (n, C), fired (n, C))}``."""

    def build():
        @tf_function(reduce_retracing=True)
        def fn(x):
            _, got = run_model(acc, model_input(acc, x, preprocess), paths)
            out = {}
            for p in paths:
                a = tf.cast(got[p], tf.float32)
                flat = tf.reshape(a, tf.stack([tf.shape(a)[0], -1, tf.shape(a)[3]]))  # (n, hw, C)
                top = tf.reduce_max(flat, axis=1)
                val = top if score == "max" else tf.reduce_mean(flat, axis=1)
                out[p] = (val, tf.argmax(flat, axis=1, output_type=tf.int32), top > 0.0)
            return out

        return fn

    return acc.compiled(("dataset-examples", paths, score, preprocess_key(preprocess)), build)


def _square_boxes(box: np.ndarray, size: tuple, field: tuple) -> np.ndarray:
    """Boxes (top, bottom, left, right) made whole again where the image border clipped them,
    so a border patch keeps its aspect (the part outside the image shows grey)."""
    out = box.astype(np.float64).copy()
    for lo, hi, n, full in ((0, 1, size[0], field[0]), (2, 3, size[1], field[1])):
        t, b = out[..., lo], out[..., hi]
        short = (b - t + 1) < full
        top_cut = short & (t <= 0) & (b < n - 1)
        bottom_cut = short & (b >= n - 1) & (t > 0)
        both = short & ~top_cut & ~bottom_cut
        mid = (t + b) / 2
        out[..., lo] = np.where(top_cut, b - full + 1, np.where(both, mid - (full - 1) / 2, t))
        out[..., hi] = np.where(bottom_cut, t + full - 1, np.where(both, mid + (full - 1) / 2, b))
    return out


def _crops(images: np.ndarray, which: np.ndarray, boxes: np.ndarray, size: int) -> np.ndarray:
    """``(m, size, size, c)`` uint8: box ``boxes[j]`` (pixels, inclusive, may overhang) of image
    ``which[j]``, resampled and quantised by TF in one go; outside the image is grey."""
    h, w = images.shape[1:3]
    norm = np.stack([boxes[:, 0] / max(h - 1, 1), boxes[:, 2] / max(w - 1, 1),
                     boxes[:, 1] / max(h - 1, 1), boxes[:, 3] / max(w - 1, 1)], axis=1)
    out = tf.image.crop_and_resize(images, norm.astype(np.float32), which.astype(np.int32),
                                   (size, size), method="bilinear", extrapolation_value=0.5)
    return tf.cast(tf.clip_by_value(out * 255.0 + 0.5, 0.0, 255.0), tf.uint8).numpy()


def dataset_examples(model, layer, data, k: int = 9, channels=None, score: str = "max",
                     preprocess: Callable | None = None, batch_size: int | None = None,
                     on_step: Callable | None = None, *, labels=None, class_names=None,
                     index_offset: int = 0, patch_size: int = PATCH_SIZE,
                     cancel: threading.Event | None = None):
    """The images (and image patches) of a data set that excite each channel most.

    Parameters
    ----------
    model : keras.Model
        Any style; fixed input size (images of other sizes are resized to it, as everywhere).
    layer : str, layer, or list of them
        Layers with a spatial output; one pass captures all of them.
    data
        An array ``(n, h, w, c)`` or list of display images; a folder of image files (any
        sizes; class subfolders give labels); a list of file paths; or a ``tf.data.Dataset`` of
        images or ``(images, labels)``, batched or not. Streamed: never all in memory.
    k : int
        Images kept per channel.
    channels : sequence of int, optional
        Channels to summarise (default all).
    score : {"max", "mean"}
        An image's score for a channel: its largest value (where it fires most) or its mean.
    preprocess : callable, optional
        Display images -> model input, as everywhere in the package.
    batch_size : int, optional
        Images per forward pass (default 32).
    on_step : callable or Progress, optional
        ``on_step(done, total)`` after each batch (``total`` is None for a stream of unknown
        length). Returning ``False`` stops the run, as does setting ``cancel``; what was seen
        so far is returned, marked ``cancelled``. A :class:`~convviz_widgets.compute.Progress`
        also gets ``on_begin(total)`` and ``on_end(done, total, cancelled)``.
    labels : array-like, optional
        Class index per image of an array or file list.
    class_names : list of str, optional
    index_offset : int
        Added to image positions: give each shard of one data set its start, so merged
        summaries name images uniquely.
    patch_size : int
        Side of the stored receptive-field patches.
    cancel : threading.Event, optional

    Returns
    -------
    DatasetExamples, or ``{path: DatasetExamples}`` when ``layer`` is a list.

    Examples
    --------
    >>> import convviz_widgets as cv
    >>> scenes = cv.demo_images()                                               # doctest: +SKIP
    >>> ex = cv.dataset_examples(cv.demo_model(), "block3_conv1", scenes.images,
    ...                          labels=scenes.labels)                         # doctest: +SKIP
    >>> ex.index[5], ex.firing_rate[5], ex.histogram(5)                         # doctest: +SKIP
    """
    if score not in _SCORES:
        raise ValueError(f"score must be 'max' or 'mean', not {score!r}.")
    if int(k) < 1:
        raise ValueError(f"k must be at least 1, got {k}.")
    acc = access(model)
    many = isinstance(layer, (list, tuple))
    paths = tuple(dict.fromkeys(require_spatial(model, l, "dataset examples")
                                for l in (layer if many else [layer])))
    if not paths:
        raise ValueError("The list of layers is empty; pass at least one layer.")
    h, w = acc.input_shape[1:3]
    if h is None or w is None:
        raise ValueError(f"Model {acc.model.name!r} takes any input size; dataset examples "
                         "compare images at one size: wrap the model with a fixed keras.Input "
                         "size, or resize the data first.")
    fields = receptive_fields(model, paths)
    batch_size = int(batch_size or 32)
    batches, total, folder_names = _batches(data, labels, batch_size, acc.input_shape,
                                            int(index_offset))
    names = class_names or folder_names
    state: dict[str, DatasetExamples] = {}
    tracker = Tracker(on_step, cancel)
    tracker.begin(total)
    try:
        _run_batches(acc, batches, paths, score, preprocess, channels, k, patch_size, names,
                     fields, state, tracker)
    finally:
        tracker.end()
    stopped = tracker.stopped
    if not state:  # nothing seen (empty data or cancelled before the first batch)
        c = acc.infos()[paths[0]].channels or 0
        for p in paths:
            rows = np.arange(acc.infos()[p].channels or 0) if channels is None else \
                np.asarray(np.atleast_1d(channels), np.int64)
            state[p] = _empty(p, score, k, rows, acc.input_shape[3], patch_size, names)
    for ex in state.values():
        ex.cancelled = stopped
    return state if many else state[paths[0]]


def _run_batches(acc, batches, paths, score, preprocess, channels, k, patch_size, names,
                 fields, state, tracker) -> None:
    """Fold every batch into ``state`` (``{path: DatasetExamples}``) until the tracker stops."""
    fn = None
    done, total = 0, tracker.total
    for batch in batches:
        if tracker.cancel_requested:  # before the batch: set from another thread
            tracker.stopped = True
            break
        if fn is None:
            check_preprocess(preprocess, batch.images[:1], acc.input_shape)
            fn = _reduce_fn(acc, paths, score, preprocess)
        out = fn(tf.constant(batch.images))
        plans = {}
        for p in paths:
            val, arg, fired = (t.numpy() for t in out[p])  # each (n, C_all)
            if p not in state:
                c_all = val.shape[1]
                rows = np.arange(c_all) if channels is None else np.asarray(
                    [int(c) for c in np.atleast_1d(channels)])
                if len(rows) and (rows.min() < 0 or rows.max() >= c_all):
                    raise ValueError(f"Channels must be in 0..{c_all - 1} for {p!r}.")
                state[p] = _empty(p, score, k, rows, batch.images.shape[-1], patch_size, names)
            plans[p] = _candidates(state[p], val, arg, fired, batch, fields[p])
        _absorb(state, plans, batch, patch_size)
        done += len(batch.images)
        if not tracker.step(done, total):
            break


def _empty(path, score, k, rows, c_img, patch_size, names) -> DatasetExamples:
    c = len(rows)
    return DatasetExamples(
        path, score, int(k), np.asarray(rows, np.int64),
        scores=np.full((c, k), -np.inf, np.float32), index=np.full((c, k), -1, np.int64),
        source=np.full((c, k), "", dtype=object).astype(str),
        labels=np.full((c, k), -1, np.int64), position=np.zeros((c, k, 2), np.int64),
        box=np.zeros((c, k, 4), np.int64),
        patches=np.zeros((c, k, patch_size, patch_size, c_img), np.uint8),
        n_images=0, fired=np.zeros(c, np.int64), class_names=list(names) if names else None)


def _candidates(ex: DatasetExamples, val, arg, fired, batch: _Batch, rf):
    """Count firing into ``ex`` and return this batch's candidates for its top-k, or None:
    ``(pick, scores, pos, box, enter, whole boxes of the entering ones)``."""
    rows = ex.channels
    ex.fired = ex.fired + fired[:, rows].sum(axis=0)
    ex.n_images += len(batch.images)
    s_all = val[:, rows].T.astype(np.float32)  # (n, C_all) -> (C, n)
    # Only a row's k best of this batch can enter its top-k (batch order = index order breaks
    # ties, as _select_topk does), and only those at least as good as its current k-th.
    m = min(ex.k, len(batch.images))
    pick = np.argsort(-s_all, axis=1, kind="stable")[:, :m]  # (C, m) batch positions
    s_new = np.take_along_axis(s_all, pick, axis=1)
    enter = s_new >= ex.scores[:, -1:]
    if not enter.any():
        return None
    ow = rf.cols.shape[0]
    flat = np.take_along_axis(arg[:, rows].T, pick, axis=1)  # (C, m) flat map position
    pos = np.stack([flat // ow, flat % ow], axis=-1)  # (C, m, 2)
    box = np.concatenate([rf.rows[pos[..., 0]], rf.cols[pos[..., 1]]], axis=-1)  # (C, m, 4)
    whole = _square_boxes(box[enter], rf.input_size, rf.size)
    return pick, s_new, pos, box, enter, whole


def _absorb(state: dict, plans: dict, batch: _Batch, patch_size: int) -> None:
    """Merge every layer's candidates into its top-k; all layers' patches are cut in one op
    per batch (one per layer cost a tenth of the demo model's pass in fixed call costs)."""
    live = {p: plan for p, plan in plans.items() if plan is not None}
    if not live:
        return
    which = np.concatenate([plan[0][plan[4]] for plan in live.values()])
    boxes = np.concatenate([plan[5] for plan in live.values()])
    cut = _crops(batch.images, which, boxes, patch_size)
    at = 0
    for p, (pick, s_new, pos, box, enter, _) in live.items():
        ex = state[p]
        patches = np.zeros(pick.shape + (patch_size, patch_size, batch.images.shape[-1]),
                           np.uint8)
        n_in = int(enter.sum())
        patches[enter] = cut[at:at + n_in]  # boolean indexing is row-major, as in `which`
        at += n_in
        cand = (s_new, batch.index[pick], batch.source[pick], batch.labels[pick], pos, box,
                patches)
        merged = _select_topk(ex.k, *[np.concatenate([getattr(ex, f), new], axis=1)
                                      for f, new in zip(_ROW_FIELDS, cand)])
        ex.scores, ex.index, ex.source, ex.labels, ex.position, ex.box, ex.patches = merged
