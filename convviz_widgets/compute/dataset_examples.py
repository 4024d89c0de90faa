"""Dataset examples: for every channel, the images and patches of real data that excite it most.

The other half of "what does this filter respond to?" next to an optimised pattern (Distill's
*Feature Visualization*: optimisation vs dataset examples). The data is streamed in batches and
never held in memory: one compiled function per batch runs the forward pass, captures every
requested layer, reduces each channel to one score per image and merges it into the channel's
running top-k, cutting receptive-field patches only for the images that enter
(:mod:`._example_pass`). The running top-k stays in tensors between batches, so nothing crosses
to numpy until the end and the top-k costs a few percent of the forward pass. On JAX and PyTorch
the step is a compiled forward pass that returns each channel's score and maximum per image
(and the maps, read in place), merged into the top-k on the host, where the peaks of the
images that entered are found (:mod:`._example_host`); the results are the same.

The summary is **mergeable**: top-k lists, firing counts and image counts of shards combine into
exactly the summary of one pass over all of them (ties broken by image identity, so the order of
shards does not matter). That is how a data set larger than one process is done: shard it, run
the shards anywhere, :meth:`DatasetExamples.merge`, :meth:`~DatasetExamples.save`. Each summary
records which images it has seen, so a merge of summaries that share images is refused instead
of counting them twice.

Models of any input size (``keras.Input((None, None, c))``) see every image at its own size:
images are grouped into batches of one size, and each size gets its own receptive fields.

Modules: the sources (:mod:`._example_sources`), the compiled step (:mod:`._example_pass`), the
summary and its merging (:mod:`._example_summary`); this one runs the pass.
"""

from __future__ import annotations

import threading
from functools import partial
from typing import Callable

import numpy as np

from . import backend
from ._access import access, check_preprocess, require_spatial
from ._example_host import crop_boxes, cut_patches, quantize
from ._example_sources import is_tf_dataset, open_source
from ._example_summary import DatasetExamples, path_hashes, runs_of
from ._messages import InputError
from .progress import Tracker
from .receptive_field import receptive_fields

# The step: TensorFlow keeps its one-graph step (top-k and patches in the graph, its speed is
# the README's); JAX and PyTorch run a compiled forward pass and merge on the host.
if backend.NAME == "tensorflow":
    from . import _example_pass as _steps
else:
    from . import _example_host as _steps

#: Side of the stored receptive-field patches (uint8): 9 patches × 512 channels × 48² × 3 B
#: is 32 MB for a deep VGG layer, whatever the data set size.
PATCH_SIZE = 48
_SCORES = ("max", "mean")


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


def _cut(images: np.ndarray, boxes: np.ndarray, which: np.ndarray, size: int) -> np.ndarray:
    """``(m, size, size, c)`` uint8: normalised box ``boxes[j]`` of image ``which[j]``,
    resampled by the step's own crop (the compiled pass cuts its patches with it) and quantised
    on the host, bit for bit as the step does; outside the image is grey."""
    out = _steps.crop_and_resize(images, boxes, which, (size, size))
    return quantize(np.asarray(backend.to_numpy(out)))


def _crops(images: np.ndarray, which: np.ndarray, boxes: np.ndarray, size: int) -> np.ndarray:
    """:func:`_cut` of pixel boxes ``boxes[j]`` (top, bottom, left, right; inclusive, may
    overhang)."""
    return _cut(images, crop_boxes(boxes, images.shape[1:3]), which, size)


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
    if labels is not None and is_tf_dataset(data):
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
    counts = [len(rows[p]) for p in paths]
    # One stacked state for all layers: the top-k bookkeeping runs once a batch (_example_pass).
    # Data that can be read again (arrays) has its patches cut after the pass, for the images
    # kept only; streams have them cut in the graph as images enter a top-k.
    cut_later = source.images_at is not None
    state, pool = _steps.initial_state(counts, int(k), None if cut_later else int(patch_size),
                                acc.input_shape[3], keyed=any_size)
    channel_rows = tuple(_steps.constant(rows[p].astype(np.int32)) for p in paths)
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
                consts_of[size] = (channel_rows, tuple(
                    _steps.constant(_position_boxes(fields_of[size][p])) for p in paths))
                sizes.append(size)
            consts = consts_of[size]
            if fn is None:
                check_preprocess(preprocess, batch.images[:1], acc.input_shape)
                fn = _steps.prepare(_steps.step_fn(acc, paths, score, preprocess,
                                                   keyed=any_size, cut=not cut_later),
                                    batch, state, pool, consts, any_size)
            extra = () if not any_size else (
                _steps.constant(batch.key),
                _steps.constant(np.full(len(batch.key), sizes.index(size), np.int64)))
            # No numpy per batch: the running top-k stays in the graph's tensors.
            state = fn(_steps.constant(batch.images), _steps.constant(batch.index),
                       _steps.constant(batch.labels), extra, state, pool, consts)
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
    layers = _steps.layer_states(state, pool, counts)
    if cut_later:
        cut = _patches_after(source, [st for st, _ in layers], consts_of, sizes,
                             int(patch_size), acc.input_shape[3])
        layers = [(st, patches) for (st, _), patches in zip(layers, cut)]
    out = {p: _summary(p, score, rows[p], st, patches, fields_of, sizes, source, done, names,
                       tracker.stopped, seen_paths, seen_runs)
           for p, (st, patches) in zip(paths, layers)}
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


def _patches_after(source, states, consts_of, sizes, patch, c_img) -> list:
    """Each layer's patches cut from the data read again (:func:`cut_patches`), with the crop
    boxes the graph has: slot ``(row, rank)`` is the box of its peak in its size's table."""
    positions, boxes = [], []
    for l, st in enumerate(states):
        index = st["index"]
        positions.append(np.where(index >= 0, (index - source.start) // source.step, -1))
        bucket = st["bucket"] if "bucket" in st else np.zeros_like(index)
        box = np.zeros(index.shape + (4,), np.float32)
        for b, size in enumerate(sizes):
            here = (bucket == b) & (index >= 0)
            box[here] = np.asarray(backend.to_numpy(consts_of[size][1][l]))[st["flat"][here]]
        boxes.append(box)
    # The chunk's images become the step's input once, not once per crop call: VGG16's
    # 38,016 patches of 256 images of 128² copied 50 MB per call, 150 times.
    return cut_patches(lambda p: _steps.constant(source.images_at(p)), positions, boxes,
                       partial(_cut, size=patch), patch, c_img)


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


def _summary(path, score, rows, st, patches, fields_of, sizes, source, n_images, names, stopped,
             seen_paths, seen_runs) -> DatasetExamples:
    """One layer's rows of the running top-k (numpy, :func:`layer_states`) as a
    :class:`DatasetExamples`."""
    index = st["index"]
    flat = st["flat"].astype(np.int64)
    # Each slot's image size: the one size of a fixed-size model, else its bucket's.
    bucket = st["bucket"] if "bucket" in st else np.zeros_like(index)
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
        path, score, index.shape[1], rows, scores=st["score"], index=index,
        source=source.paths(index), labels=st["label"], position=position,
        box=box, patches=patches, n_images=n_images,
        fired=st["fired"], class_names=list(names) if names else None,
        cancelled=stopped, image_size=image_size, skipped=list(source.skipped),
        seen_paths=seen_paths, seen_runs=seen_runs,
        global_context=any(f[path].global_context for f in fields_of.values()))
