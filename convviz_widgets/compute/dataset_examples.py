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
the shards anywhere, :meth:`DatasetExamples.merge`, :meth:`~DatasetExamples.save`. Each summary
records which images it has seen, so a merge of summaries that share images is refused instead
of counting them twice.

Models of any input size (``keras.Input((None, None, c))``) see every image at its own size:
images are grouped into batches of one size, and each size gets its own receptive fields.
"""

from __future__ import annotations

import hashlib
import math
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
from ._repr import ShortRepr, one_line, shape

#: Side of the stored receptive-field patches (uint8): 9 patches × 512 channels × 48² × 3 B
#: is 32 MB for a deep VGG layer, whatever the data set size.
PATCH_SIZE = 48
_SCORES = ("max", "mean")


# ----------------------------------------------------------------------------- the summary
@dataclass
class DatasetExamples(ShortRepr):
    """The top-k images of every channel of one layer over a data set, and how often each fires.

    Arrays are indexed ``[channel_row, rank]``; ``channels[row]`` is the channel number. Empty
    slots (fewer than k images seen) have ``index == -1`` and ``score == -inf``.

    Attributes
    ----------
    layer : str
    score_kind : {"max", "mean"}
    k : int
    **Image identity.** An image is named by its file path (``source``) when it came from a
    file, otherwise by its global position ``index`` in the whole data set; :attr:`ids` gives
    that name per slot. Merged summaries keep these names, so they must not collide: mine the
    shards of one array or ``tf.data.Dataset`` with ``shard=(i, n)`` (shard ``i`` of ``n``,
    interleaved as ``Dataset.shard(n, i)`` and ``images[i::n]``: its ``p``-th image is global
    image ``i + n·p``) or with ``index_offset=`` (contiguous slices), and file shards with
    different files. A merge of summaries that share an image is refused.

    Attributes
    ----------
    layer : str
    score_kind : {"max", "mean"}
    k : int
    channels : ndarray ``(C,)`` int
    scores : ndarray ``(C, k)`` float32, descending per row
    index : ndarray ``(C, k)`` int64: the image's global position,
        ``index_offset + i + n·p`` for the ``p``-th image of shard ``(i, n)`` (``p`` without
        ``shard`` and ``index_offset``). For files ``p`` is the place in the list given (a
        folder: its sorted files) — after merging file shards only ``source`` names the image.
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
    image_size : ndarray ``(C, k, 2)`` int64
        ``(height, width)`` of each image as the model saw it: the model's input size, or for
        a model of any input size the image's own (``-1`` in empty slots and in summaries
        saved before this field existed).
    skipped : list of str
        Files that could not be read as images (truncated, empty, not an image); each was
        skipped with a warning and is not counted in ``n_images``.
    seen_paths, seen_runs : ndarray or None
        Which images the summary has counted — 64-bit hashes of file paths (sorted) and runs
        ``(start, step, count)`` of global positions — so :meth:`merge` can refuse shared
        images. ``None`` for summaries saved before they existed.
    global_context : bool
        True when a global summary of the image also enters the layer (a squeeze-and-excite
        block, :attr:`ReceptiveField.global_context`): the patches are the windows of the main
        path, and the rest of the image rescaled the channel too.
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
    image_size: np.ndarray = field(default=None)
    skipped: list = field(default_factory=list)
    seen_paths: np.ndarray | None = None
    seen_runs: np.ndarray | None = None
    global_context: bool = False

    def __post_init__(self):
        if self.image_size is None:
            self.image_size = np.full(self.index.shape + (2,), -1, np.int64)
        self.skipped = [str(f) for f in self.skipped]

    @property
    def ids(self) -> np.ndarray:
        """``(C, k)`` str: each slot's image identity — its file path, or ``"#"`` and its
        global position for arrays and datasets ("" in empty slots)."""
        named = np.char.add("#", self.index.astype(str))
        return np.where(self.index < 0, "", np.where(self.source != "", self.source, named))

    def __repr__(self) -> str:
        return one_line("DatasetExamples", layer=repr(self.layer),
                        channels=str(len(self.channels)), k=str(self.k),
                        score=repr(self.score_kind), images_seen=str(self.n_images),
                        patches=shape(self.patches),
                        cancelled="True" if self.cancelled else None)

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

        The two must have seen different images (see *Image identity* in the class docstring):
        a summary merged with itself, or with one that shares images, is refused.

        Raises
        ------
        ValueError
            Different layer, score, k, channels or patch size; or shared images (the message
            names some and says how to shard).

        Examples
        --------
        >>> a = cv.dataset_examples(model, "block3_conv1", images[:500])        # doctest: +SKIP
        >>> b = cv.dataset_examples(model, "block3_conv1", images[500:],
        ...                         index_offset=500)                           # doctest: +SKIP
        >>> both = a.merge(b)                                                   # doctest: +SKIP
        >>> parts = [cv.dataset_examples(model, "block3_conv1", ds.shard(4, i),
        ...                              shard=(i, 4)) for i in range(4)]       # doctest: +SKIP
        """
        if (self.layer, self.score_kind, self.k) != (other.layer, other.score_kind, other.k) \
                or not np.array_equal(self.channels, other.channels):
            raise ValueError("Only summaries of the same layer, score, k and channels merge; "
                             f"got {(self.layer, self.score_kind, self.k)} and "
                             f"{(other.layer, other.score_kind, other.k)}.")
        if self.patches.shape[2:] != other.patches.shape[2:]:
            raise ValueError("Summaries with different patch sizes do not merge.")
        _refuse_shared(self, other)
        merged = _select_topk(self.k, *[np.concatenate([getattr(self, f), getattr(other, f)],
                                                       axis=1) for f in _ROW_FIELDS])
        known = all(s.seen_paths is not None and s.seen_runs is not None for s in (self, other))
        return DatasetExamples(
            self.layer, self.score_kind, self.k, self.channels.copy(),
            **dict(zip(_ROW_FIELDS, merged)),
            n_images=self.n_images + other.n_images, fired=self.fired + other.fired,
            class_names=self.class_names or other.class_names,
            cancelled=self.cancelled or other.cancelled,
            skipped=self.skipped + other.skipped,
            seen_paths=np.union1d(self.seen_paths, other.seen_paths) if known else None,
            seen_runs=_coalesce(np.concatenate([self.seen_runs, other.seen_runs]))
            if known else None,
            global_context=self.global_context or other.global_context)

    def save(self, path) -> None:
        """Write the summary to one ``.npz`` file (see :meth:`load`)."""
        meta = dict(layer=self.layer, score_kind=self.score_kind, k=self.k,
                    n_images=self.n_images, cancelled=self.cancelled,
                    global_context=self.global_context)
        seen = {} if self.seen_paths is None or self.seen_runs is None else dict(
            seen_paths=self.seen_paths, seen_runs=self.seen_runs)
        np.savez_compressed(
            path, channels=self.channels, fired=self.fired,
            class_names=np.array(self.class_names or [], dtype=str),
            skipped=np.array(self.skipped, dtype=str), meta=np.array([repr(meta)]),
            **seen, **{f: getattr(self, f) for f in _ROW_FIELDS})

    @classmethod
    def load(cls, path) -> "DatasetExamples":
        """Read a summary written by :meth:`save`."""
        import ast

        with np.load(path, allow_pickle=False) as z:
            meta = ast.literal_eval(str(z["meta"][0]))
            names = [str(s) for s in z["class_names"]]
            # Files saved before image_size / skipped / seen_* existed still load.
            return cls(meta["layer"], meta["score_kind"], int(meta["k"]), z["channels"],
                       **{f: z[f] for f in _ROW_FIELDS if f in z.files},
                       n_images=int(meta["n_images"]), fired=z["fired"],
                       class_names=names or None, cancelled=bool(meta["cancelled"]),
                       skipped=[str(f) for f in z["skipped"]] if "skipped" in z.files else [],
                       seen_paths=z["seen_paths"] if "seen_paths" in z.files else None,
                       seen_runs=z["seen_runs"] if "seen_runs" in z.files else None,
                       global_context=bool(meta.get("global_context", False)))


_ROW_FIELDS = ("scores", "index", "source", "labels", "position", "box", "patches",
               "image_size")


# ------------------------------------------------------------------- which images were seen
def path_hashes(paths) -> np.ndarray:
    """Sorted unique 64-bit hashes of file paths (stable across processes and machines)."""
    return np.unique(np.array([int.from_bytes(hashlib.blake2b(str(p).encode(), digest_size=8)
                                              .digest(), "little") for p in paths], np.uint64))


def runs_of(positions) -> np.ndarray:
    """``(r, 3)`` int64 runs ``(start, step, count)`` covering exactly the given positions:
    one run for a whole shard ``i::n``, a few for a cancelled or size-bucketed pass."""
    a = np.unique(np.asarray(positions, np.int64))
    if not len(a):
        return np.zeros((0, 3), np.int64)
    d = np.diff(a)
    change = np.flatnonzero(np.diff(d) != 0) + 1  # diff j differs from diff j - 1
    out, i = [], 0
    while i < len(a):
        if i == len(a) - 1:
            out.append((a[i], 1, 1))
            break
        # diffs i .. end-1 all equal d[i]: a[i..end] is one run
        nxt = np.searchsorted(change, i, side="right")
        end = int(change[nxt]) if nxt < len(change) else len(d)
        out.append((a[i], d[i], end - i + 1))
        i = end + 1
    return np.asarray(out, np.int64).reshape(-1, 3)


def _coalesce(runs: np.ndarray) -> np.ndarray:
    """Runs with one continuing the other (contiguous slices merged in order) joined."""
    runs = runs[np.lexsort((runs[:, 0], runs[:, 1]))] if len(runs) else runs
    out = []
    for a, s, n in runs.tolist():
        if out and out[-1][1] == s and out[-1][0] + s * out[-1][2] == a:
            out[-1][2] += n
        else:
            out.append([a, s, n])
    return np.asarray(out, np.int64).reshape(-1, 3)


def _runs_meet(p, q) -> int | None:
    """A position in both runs ``(start, step, count)``, or None (exact: the Chinese remainder
    theorem on the two progressions)."""
    (a, s, n), (b, t, m) = (int(v) for v in p), (int(v) for v in q)
    if n < 1 or m < 1:
        return None
    s, t = (s if n > 1 else 1), (t if m > 1 else 1)
    lo, hi = max(a, b), min(a + s * (n - 1), b + t * (m - 1))
    if lo > hi:
        return None
    g = math.gcd(s, t)
    if (b - a) % g:
        return None
    tg = t // g
    u = ((b - a) // g * pow(s // g, -1, tg)) % tg if tg > 1 else 0
    x0, period = a + s * u, s * tg  # every common position is x0 + period·j
    x = lo + (x0 - lo) % period
    return x if x <= hi else None


def _refuse_shared(a: "DatasetExamples", b: "DatasetExamples") -> None:
    """Raise if ``a`` and ``b`` counted one image twice (a merge would count it twice)."""
    shared = sorted((set(a.ids[a.index >= 0].tolist()) & set(b.ids[b.index >= 0].tolist())))
    if not shared and a.seen_runs is not None and b.seen_runs is not None:
        for p in a.seen_runs:
            hit = next((x for x in (_runs_meet(p, q) for q in b.seen_runs) if x is not None),
                       None)
            if hit is not None:
                shared = [f"#{hit}"]
                break
    if not shared and a.seen_paths is not None and b.seen_paths is not None and \
            len(np.intersect1d(a.seen_paths, b.seen_paths)):
        shared = ["(a file seen by both)"]
    shared += sorted(set(a.skipped) & set(b.skipped))
    if shared:
        raise ValueError(
            f"These summaries share images ({', '.join(map(str, shared[:3]))}"
            f"{' …' if len(shared) > 3 else ''}): merging would count them twice. Merge "
            "summaries of different images: mine shard i of n of an array or tf.data.Dataset "
            "with shard=(i, n) (or each contiguous slice with index_offset= its start), and "
            "give file shards different files.")


def _select_topk(k, scores, index, source, labels, position, box, patches, image_size):
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
            position[rows, take], box[rows, take], patches[rows, take], image_size[rows, take])


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
                     index_offset: int = 0, shard: tuple | None = None,
                     patch_size: int = PATCH_SIZE, cancel: threading.Event | None = None,
                     input_size=None):
    """The images (and image patches) of a data set that excite each channel most.

    Parameters
    ----------
    model : keras.Model
        Any style. A fixed input size resizes images of other sizes to it, as everywhere; a
        model of any input size (``keras.Input((None, None, c))``) sees each image at its own
        size (images are batched by size; each size has its own receptive fields and boxes).
    layer : str, layer, or list of them
        Layers with a spatial output; one pass captures all of them.
    data
        An array ``(n, h, w, c)`` or list of display images (of different sizes too); a folder
        of image files (any sizes; class subfolders give labels); a list of file paths; or a
        ``tf.data.Dataset`` of images or ``(images, labels)``, batched or not. Streamed: never
        all in memory. A file that cannot be read as an image (truncated, empty, not an image)
        is skipped with a warning naming it and listed in the result's ``skipped``.
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
        ``on_step(done, total)`` after each batch (``done`` counts skipped files too; ``total``
        is None for a stream of unknown length). Returning ``False`` stops the run, as does
        setting ``cancel``; what was seen so far is returned, marked ``cancelled``. A
        :class:`~convviz_widgets.compute.Progress` also gets ``on_begin(total)`` and
        ``on_end(done, total, cancelled)``.
    labels : array-like, optional
        Class index per image of an array or file list (a tf.data.Dataset brings its own
        (images, labels) pairs: labels= with one raises).
    class_names : list of str, optional
    index_offset : int
        Global position of this data's first image: give each contiguous slice of one data set
        its start, so merged summaries name images uniquely.
    shard : (int, int), optional
        ``(i, n)``: this data is shard ``i`` of ``n`` taken by interleaving, as
        ``tf.data.Dataset.shard(n, i)``, ``images[i::n]`` or ``files[i::n]`` do; its ``p``-th
        image is global image ``index_offset + i + n·p``. Shards mined so merge into exactly
        one pass over the whole data set.
    patch_size : int
        Side of the stored receptive-field patches.
    cancel : threading.Event, optional
    input_size : (int, int), optional
        The ``(height, width)`` every image is resized to and run at. Default: the model's
        own input size, or for a model that takes any size each image's own size (patches
        are windows of each image; ``.image_size`` records it).

    Returns
    -------
    DatasetExamples, or ``{path: DatasetExamples}`` when ``layer`` is a list. Its images are
    named by file path, else by global position (see :class:`DatasetExamples`).

    Examples
    --------
    >>> import convviz_widgets as cv
    >>> scenes = cv.demo_images()                                               # doctest: +SKIP
    >>> ex = cv.dataset_examples(cv.demo_model(), "block3_conv1", scenes.images,
    ...                          labels=scenes.labels)                         # doctest: +SKIP
    >>> ex.index[5], ex.firing_rate[5], ex.histogram(5)                         # doctest: +SKIP

    Shard ``i`` of ``n`` of a ``tf.data.Dataset``, on any worker; merged afterwards:

    >>> part = cv.dataset_examples(model, "block3_conv1", ds.shard(n, i),
    ...                            shard=(i, n))                                # doctest: +SKIP
    """
    if score not in _SCORES:
        raise ValueError(f"score must be 'max' or 'mean', not {score!r}.")
    if int(k) < 1:
        raise ValueError(f"k must be at least 1, got {k}.")
    if labels is not None and isinstance(data, tf.data.Dataset):
        raise InputError("examples_labels_dataset")  # the dataset's own pairs are read
    first, step = _shard_positions(shard, index_offset)
    acc = access(model).at_size(input_size)
    many = isinstance(layer, (list, tuple))
    paths = tuple(dict.fromkeys(require_spatial(model, l, "dataset examples")
                                for l in (layer if many else [layer])))
    if not paths:
        raise ValueError("The list of layers is empty; pass at least one layer.")
    any_size = None in acc.input_shape[1:3]
    # Receptive fields (and each map position's crop box) per input size: one size for a
    # fixed-size model, one per image size met for a model of any size.
    fields_of: dict[tuple, dict] = {}
    if not any_size:
        fields_of[tuple(acc.input_shape[1:3])] = receptive_fields(
            model, paths, input_size=tuple(acc.input_shape[1:3]))
    rows = {p: _channel_rows(acc, p, channels) for p in paths}
    source = open_source(data, labels, int(batch_size or 32), acc.input_shape, first, step)
    states, pools = zip(*(initial_state(len(rows[p]), int(k), int(patch_size),
                                        acc.input_shape[3], keyed=any_size) for p in paths))
    consts_of: dict[tuple, tuple] = {}
    sizes: list[tuple] = []  # bucket number -> image size (any-size models)
    seen: list[np.ndarray] = []
    tracker = Tracker(on_step, cancel)
    tracker.begin(source.total)
    done, fn = 0, None
    try:
        for batch in source.batches:
            if tracker.cancel_requested:  # before the batch: set from another thread
                tracker.stopped = True
                break
            size = tuple(batch.images.shape[1:3])
            if size not in consts_of:
                if size not in fields_of:
                    fields_of[size] = receptive_fields(model, paths, input_size=size)
                consts_of[size] = tuple(
                    (tf.constant(rows[p], tf.int32),
                     tf.constant(_position_boxes(fields_of[size][p]))) for p in paths)
                sizes.append(size)
            consts = consts_of[size]
            if fn is None:
                check_preprocess(preprocess, batch.images[:1], acc.input_shape)
                fn = _concrete(step_fn(acc, paths, score, preprocess, keyed=any_size), batch,
                               states, pools, consts, any_size)
            extra = () if not any_size else (
                tf.constant(batch.key), tf.fill([len(batch.key)], np.int64(sizes.index(size))))
            # No numpy per batch: the running top-k stays in the graph's tensors.
            states = fn(tf.constant(batch.images), tf.constant(batch.index),
                        tf.constant(batch.labels), extra, states, pools, consts)
            done += len(batch.images)
            seen.append(batch.index)
            if not tracker.step(done + len(source.skipped), source.total):
                break
    finally:
        tracker.end()
    names = class_names or source.class_names
    counted = np.concatenate(seen) if seen else np.zeros(0, np.int64)
    if source.files is not None:
        seen_paths, seen_runs = path_hashes(source.paths(counted)), runs_of([])
    else:
        seen_paths, seen_runs = path_hashes([]), runs_of(counted)
    out = {p: _summary(p, score, rows[p], st, pool, fields_of, sizes, source, done, names,
                       tracker.stopped, seen_paths, seen_runs)
           for p, st, pool in zip(paths, states, pools)}
    return out if many else out[paths[0]]


def _shard_positions(shard, index_offset) -> tuple[int, int]:
    """``(first, step)``: the global position of local image ``p`` is ``first + step·p``."""
    offset = int(index_offset)
    if shard is None:
        return offset, 1
    try:
        i, n = (int(v) for v in shard)
    except (TypeError, ValueError):
        raise ValueError(f"shard must be a pair (i, n), got {shard!r}.") from None
    if n < 1 or not 0 <= i < n:
        raise ValueError(f"shard=(i, n) needs n ≥ 1 and 0 ≤ i < n, got {shard!r}; shard i of "
                         "n is what tf.data.Dataset.shard(n, i) or data[i::n] gives.")
    return offset + i, n


def _concrete(fn, batch, states, pools, consts, any_size: bool = False):
    """``fn`` traced once for any batch length (and, for a model of any size, any image size):
    calling the concrete function skips the per-call signature matching over the ~50 state
    tensors (1–2 ms a batch)."""
    def spec(a, free=1):
        shape = [None] * free + list(a.shape[free:])
        return tf.TensorSpec(shape, tf.as_dtype(a.dtype))

    extra = () if not any_size else (spec(batch.key), tf.TensorSpec([None], tf.int64))
    if any_size:  # images (n, h, w, c) and every layer's crop boxes (h·w, 4) vary with size
        consts = tuple((rows, spec(boxes)) for rows, boxes in consts)
    return fn.get_concrete_function(spec(batch.images, 3 if any_size else 1), spec(batch.index),
                                    spec(batch.labels), extra, states, pools, consts)


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


def _summary(path, score, rows, st, pool, fields_of, sizes, source, n_images, names, stopped,
             seen_paths, seen_runs) -> DatasetExamples:
    """The graph's running top-k of one layer as a :class:`DatasetExamples`."""
    index = st["index"].numpy()
    flat = st["flat"].numpy().astype(np.int64)
    # Each slot's image size: the one size of a fixed-size model, else its bucket's.
    bucket = st["bucket"].numpy() if "bucket" in st else np.zeros_like(index)
    bucket_sizes = sizes or list(fields_of)
    position = np.zeros(index.shape + (2,), np.int64)
    box = np.zeros(index.shape + (4,), np.int64)
    image_size = np.full(index.shape + (2,), -1, np.int64)
    for b, size in enumerate(bucket_sizes):
        here = (bucket == b) & (index >= 0)
        rf = fields_of[size][path]
        y, x = np.divmod(flat[here], rf.cols.shape[0])
        position[here] = np.stack([y, x], axis=-1)
        box[here] = np.concatenate([rf.rows[y], rf.cols[x]], axis=-1)
        image_size[here] = size
    return DatasetExamples(
        path, score, index.shape[1], rows, scores=st["score"].numpy(), index=index,
        source=source.paths(index), labels=st["label"].numpy(), position=position,
        box=box, patches=ranked_patches(st, pool), n_images=n_images,
        fired=st["fired"].numpy(), class_names=list(names) if names else None,
        cancelled=stopped, image_size=image_size, skipped=list(source.skipped),
        seen_paths=seen_paths, seen_runs=seen_runs,
        global_context=any(f[path].global_context for f in fields_of.values()))
