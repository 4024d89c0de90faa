"""Dataset examples: for every channel, the images and patches of real data that excite it most.

The other half of "what does this filter respond to?" next to an optimised pattern (Distill's
*Feature Visualization*: optimisation vs dataset examples). The data is streamed in batches and
never held in memory: one compiled function per batch runs the forward pass, captures every
requested layer, reduces each channel to one score per image and merges it into the channel's
running top-k, cutting receptive-field patches only for the images that enter
(:mod:`._example_pass`). The running top-k stays in tensors between batches, so nothing crosses
to numpy until the end and the top-k costs a few percent of the forward pass.

The summary is **mergeable**: top-k lists, firing counts and image counts of shards combine into
exactly the summary of one pass over all of them (ties broken by image identity, so the order of
shards does not matter). That is how a data set larger than one process is done: shard it, run
the shards anywhere, :meth:`DatasetExamples.merge`, :meth:`~DatasetExamples.save`.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import tensorflow as tf

from ._access import access, check_preprocess, require_spatial
from ._example_pass import crop_boxes, initial_state, quantize, ranked_patches, step_fn
from ._messages import InputError
from ._example_sources import IMAGE_SUFFIXES, open_source  # noqa: F401 (re-exported)
from .progress import Tracker
from .receptive_field import receptive_fields

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


# ------------------------------------------------------------------------------- the pass
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
    ``which[j]``, resampled and quantised by TF in one go; outside the image is grey (the
    compiled pass cuts its patches with the same ops)."""
    out = tf.image.crop_and_resize(images, crop_boxes(boxes, images.shape[1:3]),
                                   which.astype(np.int32), (size, size), method="bilinear",
                                   extrapolation_value=0.5)
    return quantize(out).numpy()


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
        Class index per image of an array or file list (a tf.data.Dataset brings its own
        (images, labels) pairs: labels= with one raises).
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
    if labels is not None and isinstance(data, tf.data.Dataset):
        raise InputError("examples_labels_dataset")  # the dataset's own pairs are read
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
    rows = {p: _channel_rows(acc, p, channels) for p in paths}
    source = open_source(data, labels, int(batch_size or 32), acc.input_shape, int(index_offset))
    states, pools = zip(*(initial_state(len(rows[p]), int(k), int(patch_size),
                                        acc.input_shape[3]) for p in paths))
    consts = tuple((tf.constant(rows[p], tf.int32), tf.constant(_position_boxes(fields[p])))
                   for p in paths)
    tracker = Tracker(on_step, cancel)
    tracker.begin(source.total)
    done, fn = 0, None
    try:
        for batch in source.batches:
            if tracker.cancel_requested:  # before the batch: set from another thread
                tracker.stopped = True
                break
            if fn is None:
                check_preprocess(preprocess, batch.images[:1], acc.input_shape)
                fn = _concrete(step_fn(acc, paths, score, preprocess), batch, states, pools,
                               consts)
            # No numpy per batch: the running top-k stays in the graph's tensors.
            states = fn(tf.constant(batch.images), tf.constant(batch.index),
                        tf.constant(batch.labels), states, pools, consts)
            done += len(batch.images)
            if not tracker.step(done, source.total):
                break
    finally:
        tracker.end()
    names = class_names or source.class_names
    out = {p: _summary(p, score, rows[p], st, pool, fields[p], source, done, names,
                       tracker.stopped) for p, st, pool in zip(paths, states, pools)}
    return out if many else out[paths[0]]


def _concrete(fn, batch, states, pools, consts):
    """``fn`` traced once for any batch length: calling the concrete function skips the
    per-call signature matching over the ~50 state tensors (1–2 ms a batch)."""
    def spec(a):
        return tf.TensorSpec([None, *a.shape[1:]], tf.as_dtype(a.dtype))

    return fn.get_concrete_function(spec(batch.images), spec(batch.index), spec(batch.labels),
                                    states, pools, consts)


def _channel_rows(acc, path: str, channels) -> np.ndarray:
    c_all = acc.infos()[path].channels
    if channels is None:
        return np.arange(c_all, dtype=np.int64)
    rows = np.asarray([int(c) for c in np.atleast_1d(channels)], np.int64)
    if len(rows) and (rows.min() < 0 or rows.max() >= c_all):
        raise ValueError(f"Channels must be in 0..{c_all - 1} for {path!r}.")
    return rows


def _position_boxes(rf) -> np.ndarray:
    """``(h·w, 4)``: the crop box of every map position (its receptive field, made whole)."""
    y, x = np.divmod(np.arange(rf.rows.shape[0] * rf.cols.shape[0]), rf.cols.shape[0])
    box = np.concatenate([rf.rows[y], rf.cols[x]], axis=-1)
    return crop_boxes(_square_boxes(box, rf.input_size, rf.size), rf.input_size)


def _summary(path, score, rows, st, pool, rf, source, n_images, names, stopped) -> DatasetExamples:
    """The graph's running top-k of one layer as a :class:`DatasetExamples`."""
    index = st["index"].numpy()
    flat = st["flat"].numpy().astype(np.int64)
    position = np.stack(np.divmod(flat, rf.cols.shape[0]), axis=-1)
    box = np.concatenate([rf.rows[position[..., 0]], rf.cols[position[..., 1]]], axis=-1)
    box[index < 0] = 0  # empty slots
    return DatasetExamples(
        path, score, index.shape[1], rows, scores=st["score"].numpy(), index=index,
        source=source.paths(index), labels=st["label"].numpy(), position=position,
        box=box.astype(np.int64), patches=ranked_patches(st, pool), n_images=n_images,
        fired=st["fired"].numpy(), class_names=list(names) if names else None,
        cancelled=stopped)
