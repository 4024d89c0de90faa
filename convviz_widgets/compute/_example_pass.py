"""The compiled step of :func:`~convviz_widgets.compute.dataset_examples`: one batch in, the
running top-k of every channel of every layer out, in one graph.

Per batch the graph reduces each channel of each layer to one score per image, merges those
scores into the channel's running top-k (``tf.math.top_k`` over the top-k so far followed by
the batch), and only for the images that *enter* a top-k finds where the channel peaks and cuts
the receptive-field patch there. The running top-k stays in tensors between batches: nothing
crosses to numpy until the end.

All layers share **one stacked state**: the rows of every layer's channels one under the other,
so the top-k, the bookkeeping of which ranks moved and the slot reuse run once per batch, not
once per layer (per layer remain the max over its maps, and the peaks and patches of the pairs
that entered). A step of many small ops per layer cost more than the ops' work: on the demo
model (8 layers, batches of 64) the per-layer merges were ~400 graph ops a batch, ~9 % of the
forward pass's CPU time on top of the patches' ~8 %.

Ties: ``tf.math.top_k`` puts the lower position first, and the running top-k (earlier images,
itself in that order) comes before the batch (in stream order), so a tie goes to the image seen
first — the ``(path, index)`` order :func:`._example_summary._select_topk` uses, since sources
stream in it. Batches grouped by image size (models of any input size) leave stream order, so
there the step is *keyed*: each image carries its rank in stream order, the candidates are put
in that order before ``top_k``, and each kept image remembers the size bucket it came from.
"""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf

from ._access import model_input
from ._example_host import split_rows
from ._preprocess_identity import preprocess_key
from ._input_gradient import ONEDNN
from ._model_trace import run_model
from .backend import tf_function


def constant(a):
    """A batch's numpy array (or a table) as the step's input tensor."""
    return tf.constant(a)


def prepare(fn, batch, state, pool, consts, any_size: bool = False):
    """``fn`` traced once for any batch length (and, for a model of any size, any image size):
    calling the concrete function skips the per-call signature matching over the state
    tensors."""
    def spec(a, free=1):
        shape = [None] * free + list(a.shape[free:])
        return tf.TensorSpec(shape, tf.as_dtype(a.dtype))

    extra = () if not any_size else (spec(batch.key), tf.TensorSpec([None], tf.int64))
    if any_size:  # images (n, h, w, c) and every layer's crop boxes (h·w, 4) vary with size
        consts = (consts[0], tuple(spec(boxes) for boxes in consts[1]))
    return fn.get_concrete_function(spec(batch.images, 3 if any_size else 1), spec(batch.index),
                                    spec(batch.labels), extra, state, pool, consts)


def crop_and_resize(images, boxes, which, size, extrapolation_value: float = 0.5):
    """``tf.image.crop_and_resize``, bilinear (numpy in, float32 tensor out)."""
    return tf.image.crop_and_resize(images, boxes, np.asarray(which, np.int32), size,
                                    method="bilinear", extrapolation_value=extrapolation_value)


def initial_state(counts, k: int, patch: int | None, c_img: int,
                  keyed: bool = False) -> tuple[dict, tf.Variable | None]:
    """An empty running top-k for layers of ``counts`` summarised channels (score -inf and
    index -1 at every rank), stacked into one state of ``sum(counts)`` rows, and its patch
    pool (None when ``patch`` is None: patches are cut after the pass,
    :func:`._example_host.cut_patches`).

    ``slot`` says where each rank's patch lies in the pool: patches (the bulk of the state, 32 MB
    for a deep VGG layer) stay where they were cut and are written in place; only the small rank
    arrays are reordered per batch. A ``keyed`` state also holds each rank's stream-order key
    (empty: the largest, so it loses every tie) and size bucket.
    """
    c = int(sum(counts))
    st = dict(score=tf.fill([c, k], -np.inf), index=tf.fill([c, k], np.int64(-1)),
              label=tf.fill([c, k], np.int64(-1)), flat=tf.zeros([c, k], tf.int32),
              fired=tf.zeros([c], tf.int64))
    if keyed:
        st.update(key=tf.fill([c, k], np.iinfo(np.int64).max),
                  bucket=tf.fill([c, k], np.int64(-1)))
    if patch is None:
        return st, None
    st["slot"] = tf.tile(tf.range(k)[None], [c, 1])
    return st, tf.Variable(tf.zeros([c, k, patch, patch, c_img], tf.uint8), trainable=False)


def layer_states(st: dict, pool, counts) -> list[tuple[dict, np.ndarray | None]]:
    """The stacked state cut back into each layer's: ``[(arrays, patches)]`` in layer order,
    ``arrays`` the state's numpy rows of the layer and ``patches`` ``(C, k, P, P, c)`` uint8 in
    rank order, read from the pool layer by layer (one copy of each patch, not of the pool), or
    None without a pool."""
    out = []
    for rows, mine in split_rows({name: t.numpy() for name, t in st.items()}, counts):
        patches = None
        if pool is not None:
            where = np.stack([np.broadcast_to(np.arange(rows.start, rows.stop)[:, None],
                                              mine["slot"].shape), mine["slot"]], axis=-1)
            patches = tf.gather_nd(pool, where).numpy()
        out.append((mine, patches))
    return out


def quantize(images):
    """Display floats in [0, 1] -> uint8, rounding.

    No clip: display images are in [0, 1] (``prepare_images`` makes them so) and a bilinear
    crop of them with a grey (0.5) outside stays there, so ``x·255 + 0.5`` lies in [0.5, 255.5]
    and the cast's truncation rounds it. The clip's two passes over every patch cost more than
    the cast.
    """
    return tf.cast(images * 255.0 + 0.5, tf.uint8)


def _free_slots(at, slot, k):
    """``(C, k)``: per row, the patch slots of the ranks that left the top-k, first."""
    kept = tf.reduce_any(at[:, :, None] == tf.range(k)[None, None], axis=1)  # (C, k) old ranks
    leaving_first = tf.argsort(tf.cast(kept, tf.int32), axis=1, stable=True)
    return tf.gather(slot, leaving_first, batch_dims=1)


def _row_max(a):
    """``(n, h, C_all)``: the largest value of each row of each channel of map ``a``
    ``(n, h, w, C_all)``; its max over ``h`` is the channel's max, and it tells
    :func:`_peaks` in which row a channel peaks.

    With oneDNN on (and ``w`` known when traced) it is a max-pool of ``1 × w`` windows:
    oneDNN's pooling reads the NHWC map once, vectorised over channels, where Eigen's
    ``reduce_max`` over the middle axis costs more (demo model, 512 images, forward ÷ forward +
    capture + row max 0.96 vs 0.935; session 36). The same values: a max is one of its inputs.
    Without oneDNN the pool is Eigen's and slower than ``reduce_max`` (0.91 vs 0.96)."""
    w = a.shape[2]
    if ONEDNN and w is not None:
        return tf.squeeze(tf.nn.max_pool2d(a, [1, w], [1, w], "VALID"), axis=2)
    return tf.reduce_max(a, axis=2)


def _strides(count, stride):
    """``(1, count)`` int64: ``0, stride, 2·stride, …`` — a constant when both are known."""
    if isinstance(count, int) and isinstance(stride, int):
        return tf.constant(np.arange(count, dtype=np.int64)[None] * stride)
    return tf.range(count, dtype=tf.int64)[None] * stride


def _peaks(a, row_max, image, channel, ph: int = 1):
    """``(m,)`` int32: where channel ``channel[j]`` of image ``image[j]`` peaks in map ``a``
    ``(n, h, w, C_all)`` — the first flat position ``y·w + x`` of its max, as ``argmax`` over
    the flat map — for the pairs that entered a top-k: the first row of ``row_max`` whose max
    is the channel's max, then the first position of that row's ``ph`` map rows holding it.
    Reads ``m·(h / ph + ph·w)`` values, not ``m·h·w``.

    ``row_max`` is the map's own per-row max (:func:`_row_max`, ``ph = 1``) or that of the
    max-pool captured after it, ``(n, h / ph, C_all)``, whose ``ph × pw`` windows tile ``a``
    exactly with stride = window (:func:`whole_pools`): the first pooled row holding the
    channel's max covers rows ``ph·y'`` … ``ph·y' + ph − 1`` of ``a``, no earlier row of ``a``
    holds it, and a map row follows the one above it in memory, so the first flat position of
    the max in those ``ph`` rows is the map's — the same position, ties included."""
    shape = tf.shape(a, out_type=tf.int64)  # dims known when traced are Python ints
    h, w, c_all = (a.shape[i] if a.shape[i] is not None else shape[i] for i in (1, 2, 3))
    rows = row_max.shape[1] if row_max.shape[1] is not None else \
        tf.shape(row_max, out_type=tf.int64)[1]
    span = w if ph == 1 else ph * w  # the map values a row of row_max covers
    first = image * (rows * c_all) + channel  # (m,): the pair's row 0 in row_max
    y = tf.argmax(tf.gather(tf.reshape(row_max, [-1]),
                            first[:, None] + _strides(rows, c_all)), axis=1)
    first = (image * h + (y if ph == 1 else y * ph)) * (w * c_all) + channel  # its first map row
    x = tf.argmax(tf.gather(tf.reshape(a, [-1]),
                            first[:, None] + _strides(span, c_all)), axis=1)
    return tf.cast(y * span + x, tf.int32)


def whole_pools(paths, layers, got) -> tuple:
    """Per layer of ``paths``: ``(j, ph)`` when captured layer ``j`` is a max-pool whose input
    *is* this layer's captured map (the same traced tensor) and whose ``ph × pw`` windows, stride
    = window, tile the map exactly (no padding, no row or column left out), else None. Such a
    map's channel max and peak are read through the pool's row maxes (:func:`_peaks` with the pool's row maxes):
    the pool already read the map once in the forward pass. ``layers`` are the layer objects,
    ``got`` :func:`run_model`'s captures with ``("input", path)`` of the pools."""
    out = [None] * len(paths)
    for j, (p, layer) in enumerate(zip(paths, layers)):
        src = got.get(("input", p))
        if src is None or not _tiles(layer):
            continue
        for i, q in enumerate(paths):
            a = got[q]
            if i == j or out[i] is not None or a is not src or a.shape.rank != 4:
                continue
            (ph, pw), (h, w) = _pair_of(layer.pool_size), a.shape[1:3]
            if h is not None and w is not None and h % ph == 0 and w % pw == 0 and \
                    tuple(got[p].shape[1:3]) == (h // ph, w // pw):
                out[i] = (j, ph)
    # A pool that is itself read through a further pool has no row maxes of its own.
    return tuple(None if via is None or out[via[0]] is not None else via for via in out)


def _pair_of(v) -> tuple:
    return (int(v), int(v)) if isinstance(v, int) else tuple(int(u) for u in v)


def _tiles(layer) -> bool:
    """A channels-last 2-D max-pool whose stride is its window."""
    return (isinstance(layer, keras.layers.MaxPooling2D)
            and getattr(layer, "data_format", "channels_last") == "channels_last"
            and _pair_of(layer.pool_size) == _pair_of(layer.strides or layer.pool_size))


def _merge(maps, x, index, label, extra, st: dict, pool, rows, boxes, score: str,
           pooled: tuple = ()) -> dict:
    """Every layer's map ``maps[l]`` (n, h, w, C_all) of batch ``x`` folded into the stacked
    state ``st`` (returned anew) and patch pool ``pool`` (written in place; None: no patches
    are cut, :func:`._example_host.cut_patches` cuts them after the pass). ``rows[l]`` are
    layer ``l``'s summarised channels, ``boxes[l]`` ``(h·w, 4)`` the crop box of each of its map
    positions. ``extra`` is ``(key, bucket)`` per image for a keyed state, else None.
    ``pooled[l]`` (``score="max"`` only) is ``(j, ph)`` when map ``l``'s max-pool is map ``j``
    (:func:`whole_pools`): its row and channel maxes are then read through map ``j``'s."""
    n = tf.shape(x)[0]
    pooled = tuple(pooled) + (None,) * (len(maps) - len(pooled))
    floats = [tf.cast(a, tf.float32) for a in maps]
    # A pool's own row maxes first: the maps it pools are read through them, not again.
    row_maxes = [None if pooled[l] else _row_max(a) for l, a in enumerate(floats)]
    chan_max = [None if pooled[l] else tf.reduce_max(row_maxes[l], axis=1)
                for l in range(len(maps))]
    peaks, vals = [], []
    for l, (a, r) in enumerate(zip(floats, rows)):
        peaks.append(tf.gather(chan_max[l] if not pooled[l] else chan_max[pooled[l][0]],
                               r, axis=1))  # (n, C_l)
        vals.append(peaks[-1] if score == "max"
                    else tf.gather(tf.reduce_mean(tf.reshape(a, tf.stack([n, -1, tf.shape(a)[3]])),
                                                  axis=1), r, axis=1))
    peak, val = (tf.concat(v, axis=1) if len(v) > 1 else v[0] for v in (peaks, vals))
    # Rows of all layers and ranks: static, unless a retrace for other sizes relaxed them.
    c, k = (st["score"].shape[i] or tf.shape(st["score"])[i] for i in range(2))
    candidates = tf.concat([st["score"], tf.transpose(val)], axis=1)  # (C, k + n)

    def carry(old, new):  # old (C, k), new (n,) per image
        both = tf.concat([old, tf.broadcast_to(new[None], tf.stack([c, n]))], axis=1)
        return tf.gather(both, at, batch_dims=1)

    if extra is None:
        best, at = tf.math.top_k(candidates, k=k)  # (C, k): ranks
    else:  # into [top-k | batch]; keyed: stream order first, so a tie goes to the smaller key
        at = tf.argsort(tf.concat([st["key"], tf.broadcast_to(extra[0][None], tf.stack([c, n]))],
                                  axis=1), axis=1, stable=True)  # (C, k + n) in key order
        best, ranked = tf.math.top_k(tf.gather(candidates, at, batch_dims=1), k=k)
        at = tf.gather(at, ranked, batch_dims=1)
    entered = at >= k
    kept = tf.minimum(at, k - 1)  # where a kept entry was; entering ones are overwritten below
    out = dict(score=best, index=carry(st["index"], index), label=carry(st["label"], label),
               fired=st["fired"] + tf.reduce_sum(tf.cast(peak > 0.0, tf.int64), axis=0))
    if extra is not None:
        out.update(key=carry(st["key"], extra[0]), bucket=carry(st["bucket"], extra[1]))

    # Only the entering (row, image) pairs: where the channel peaks, and (with a pool) its
    # patch there, written into the slot of a patch that left. The pairs are split by layer
    # (maps and boxes differ); everything else ran once for all layers.
    slot = tf.where(entered)  # (m, 2): (row, rank)
    image = tf.cast(tf.gather_nd(at, slot) - k, tf.int64)  # batch position
    channel = tf.cast(tf.gather(tf.concat(rows, axis=0), slot[:, 0]), tf.int64)
    if pool is not None:
        ordinal = tf.maximum(tf.cumsum(tf.cast(entered, tf.int32), axis=1) - 1, 0)
        out["slot"] = tf.where(entered,
                               tf.gather(_free_slots(at, st["slot"], k), ordinal, batch_dims=1),
                               tf.gather(st["slot"], kept, batch_dims=1))
        dest = tf.stack([slot[:, 0], tf.cast(tf.gather_nd(out["slot"], slot), tf.int64)], axis=1)
    if len(maps) > 1:
        layer_of_row = tf.repeat(tf.range(len(rows)), tf.stack([tf.shape(r)[0] for r in rows]))
        parts = tf.dynamic_partition(tf.range(tf.shape(slot)[0]),
                                     tf.gather(layer_of_row, slot[:, 0]), len(rows))
    else:
        parts = [tf.range(tf.shape(slot)[0])]
    found = []
    for a, row_max, box, part, via in zip(floats, row_maxes, boxes, parts, pooled):
        img = tf.gather(image, part)
        found.append(_peaks(a, row_max, img, tf.gather(channel, part)) if via is None else
                     _peaks(a, row_maxes[via[0]], img, tf.gather(channel, part), via[1]))
        if pool is not None:
            crops = tf.image.crop_and_resize(x, tf.gather(box, found[-1]), tf.cast(img, tf.int32),
                                             tf.shape(pool)[2:4], method="bilinear",
                                             extrapolation_value=0.5)
            pool.scatter_nd_update(tf.gather(dest, part), quantize(crops))
    peak_at = tf.dynamic_stitch(parts, found) if len(maps) > 1 else found[0]
    out["flat"] = tf.tensor_scatter_nd_update(tf.gather(st["flat"], kept, batch_dims=1), slot,
                                              peak_at)
    return out


def step_fn(acc, paths: tuple, score: str, preprocess, keyed: bool = False, cut: bool = True):
    """Compiled ``(x, index, label, extra, state, pool, consts) -> state`` for every layer of
    ``paths`` in one stacked state; ``consts`` is ``(rows, boxes)``: per layer its summarised
    channels and the crop box of every map position (for the batch's image size); ``extra`` is
    ``(key, bucket)`` for ``keyed`` states (an empty tuple otherwise). Without ``cut`` the pool
    is None and no patch is cut."""

    def build():
        @tf_function(reduce_retracing=True)
        def fn(x, index, label, extra, state, pool, consts):
            layers = [acc.layer(p) for p in paths]
            pools = [p for p, layer in zip(paths, layers) if _tiles(layer)] \
                if score == "max" else []
            _, got = run_model(acc, model_input(acc, x, preprocess), paths, capture_inputs=pools)
            rows, boxes = consts
            return _merge([got[p] for p in paths], x, index, label, extra or None, state,
                          pool if cut else None, rows, boxes, score,
                          whole_pools(paths, layers, got) if pools else ())

        return fn

    return acc.compiled(("dataset-examples-step", paths, score, preprocess_key(preprocess),
                         bool(keyed), bool(cut)), build)
