"""What :func:`~convviz_widgets.compute.dataset_examples` returns: :class:`DatasetExamples`, the
top-k images of every channel of one layer, and what combining two of them needs.

A summary is **mergeable**: top-k lists, firing counts and image counts of shards combine into
exactly the summary of one pass over all of them (ties broken by image identity, so the order of
shards does not matter). Each summary records which images it has seen (hashes of file paths,
runs of global positions), so a merge of summaries that share images is refused instead of
counting them twice. Nothing here runs a model: the pass is :mod:`.dataset_examples`.
"""

from __future__ import annotations

import ast
import hashlib
import math
from dataclasses import dataclass, field

import numpy as np

from ._repr import ShortRepr, one_line, shape


@dataclass
class DatasetExamples(ShortRepr):
    """The top-k images of every channel of one layer over a data set, and how often each fires.

    Arrays are indexed ``[channel_row, rank]``; ``channels[row]`` is the channel number. Empty
    slots (fewer than k images seen) have ``index == -1`` and ``score == -inf``.

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
