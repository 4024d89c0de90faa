"""The compiled step of :func:`~convviz_widgets.compute.dataset_examples`: one batch in, every
layer's running top-k out, in one graph.

Per batch and layer the graph reduces each channel to one score per image, merges those scores
into the channel's running top-k (``tf.math.top_k`` over the top-k so far followed by the
batch), and only for the images that *enter* a top-k finds where the channel peaks and cuts the
receptive-field patch there. The running top-k stays in tensors between batches: nothing
crosses to numpy until the end, and the work beyond the forward pass is a max over each map
plus what is proportional to the few images that enter (a full argmax of every map cost a sixth
of the demo model's forward pass; per-batch numpy bookkeeping another fifth).

Ties: ``tf.math.top_k`` puts the lower position first, and the running top-k (earlier images,
itself in that order) comes before the batch (in stream order), so a tie goes to the image seen
first — the ``(path, index)`` order :func:`_select_topk` uses, since sources stream in it.
Batches grouped by image size (models of any input size) leave stream order, so there the
step is *keyed*: each image carries its rank in stream order, the candidates are put in that
order before ``top_k``, and each kept image remembers the size bucket it came from.
"""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from ._access import model_input
from ._identity import preprocess_key
from ._model_trace import run_model
from .backend import tf_function

def initial_state(c: int, k: int, patch: int, c_img: int,
                  keyed: bool = False) -> tuple[dict, tf.Variable]:
    """An empty running top-k (score -inf and index -1 at every rank) and its patch pool.

    ``slot`` says where each rank's patch lies in the pool: patches (the bulk of the state, 32 MB
    for a deep VGG layer) stay where they were cut and are written in place; only the small rank
    arrays are reordered per batch. A ``keyed`` state also holds each rank's stream-order key
    (empty: the largest, so it loses every tie) and size bucket.
    """
    st = dict(score=tf.fill([c, k], -np.inf), index=tf.fill([c, k], np.int64(-1)),
              label=tf.fill([c, k], np.int64(-1)), flat=tf.zeros([c, k], tf.int32),
              slot=tf.tile(tf.range(k)[None], [c, 1]), fired=tf.zeros([c], tf.int64))
    if keyed:
        st.update(key=tf.fill([c, k], np.iinfo(np.int64).max),
                  bucket=tf.fill([c, k], np.int64(-1)))
    return st, tf.Variable(tf.zeros([c, k, patch, patch, c_img], tf.uint8), trainable=False)


def ranked_patches(st: dict, pool) -> np.ndarray:
    """``(C, k, P, P, c)`` uint8: the patches of ``pool`` in the rank order of ``st``."""
    slot = st["slot"].numpy()
    return pool.numpy()[np.arange(len(slot))[:, None], slot]  # a copy per patch, not per byte


def crop_boxes(boxes: np.ndarray, size: tuple) -> np.ndarray:
    """Pixel boxes ``(top, bottom, left, right)`` as ``crop_and_resize``'s normalised
    ``(y1, x1, y2, x2)``, float32."""
    h, w = size
    return np.stack([boxes[..., 0] / max(h - 1, 1), boxes[..., 2] / max(w - 1, 1),
                     boxes[..., 1] / max(h - 1, 1), boxes[..., 3] / max(w - 1, 1)],
                    axis=-1).astype(np.float32)


def quantize(images):
    """Display floats in [0, 1] -> uint8, rounding."""
    return tf.cast(tf.clip_by_value(images * 255.0 + 0.5, 0.0, 255.0), tf.uint8)


def _free_slots(at, slot, k):
    """``(C, k)``: per row, the patch slots of the ranks that left the top-k, first."""
    kept = tf.reduce_any(at[:, :, None] == tf.range(k)[None, None], axis=1)  # (C, k) old ranks
    leaving_first = tf.argsort(tf.cast(kept, tf.int32), axis=1, stable=True)
    return tf.gather(slot, leaving_first, batch_dims=1)


def _merge_layer(a, x, index, label, extra, st: dict, pool, rows, boxes, score: str) -> dict:
    """One layer's map ``a`` (n, h, w, C_all) of batch ``x`` folded into its state ``st``
    (returned anew) and patch pool ``pool`` (written in place). ``extra`` is ``(key, bucket)``
    per image for a keyed state, else None."""
    a = tf.cast(a, tf.float32)
    n, c_all = tf.shape(a)[0], tf.shape(a)[3]
    flat = tf.reshape(a, tf.stack([n, -1, c_all]))  # (n, hw, C_all)
    peak = tf.gather(tf.reduce_max(flat, axis=1), rows, axis=1)  # (n, C)
    val = peak if score == "max" else tf.gather(tf.reduce_mean(flat, axis=1), rows, axis=1)
    k = tf.shape(st["score"])[1]
    c = tf.shape(rows)[0]
    candidates = tf.concat([st["score"], tf.transpose(val)], axis=1)  # (C, k + n)

    def carry(old, new):  # old (C, k), new (n,) per image
        both = tf.concat([old, tf.broadcast_to(new[None], tf.stack([c, n]))], axis=1)
        return tf.gather(both, at, batch_dims=1)

    if extra is None:
        best, at = tf.math.top_k(candidates, k=st["score"].shape[1] or k)  # (C, k): ranks
    else:  # into [top-k | batch]; keyed: stream order first, so a tie goes to the smaller key
        at = tf.argsort(tf.concat([st["key"], tf.broadcast_to(extra[0][None], tf.stack([c, n]))],
                                  axis=1), axis=1, stable=True)  # (C, k + n) in key order
        best, ranked = tf.math.top_k(tf.gather(candidates, at, batch_dims=1),
                                     k=st["score"].shape[1] or k)
        at = tf.gather(at, ranked, batch_dims=1)
    entered = at >= k
    kept = tf.minimum(at, k - 1)  # where a kept entry was; entering ones are overwritten below

    # Only the entering (channel, image) pairs: where the channel peaks, and its patch there,
    # written into the slot of a patch that left.
    slot = tf.where(entered)  # (m, 2): (row, rank)
    image = tf.cast(tf.gather_nd(at, slot) - k, tf.int64)  # batch position
    channel = tf.cast(tf.gather(rows, slot[:, 0]), tf.int64)
    hw = tf.cast(tf.shape(flat)[1], tf.int64)

    def peaks_of_pairs():  # reads only the entering pairs' maps: m·hw values
        column = ((image[:, None] * hw + tf.range(hw)[None]) * tf.cast(c_all, tf.int64)
                  + channel[:, None])  # (m, hw): flat offsets of each pair's map
        return tf.argmax(tf.gather(tf.reshape(flat, [-1]), column), axis=1, output_type=tf.int32)

    def peaks_of_all():  # early batches, where most pairs enter: one pass over every map
        return tf.gather_nd(tf.argmax(flat, axis=1, output_type=tf.int32),
                            tf.stack([image, channel], axis=1))

    peak_at = tf.cond(tf.shape(slot, out_type=tf.int64)[0] * 8 < tf.cast(n * c_all, tf.int64),
                      peaks_of_pairs, peaks_of_all)
    crops = tf.image.crop_and_resize(x, tf.gather(boxes, peak_at), tf.cast(image, tf.int32),
                                     tf.shape(pool)[2:4], method="bilinear",
                                     extrapolation_value=0.5)
    ordinal = tf.maximum(tf.cumsum(tf.cast(entered, tf.int32), axis=1) - 1, 0)
    new_slot = tf.where(entered,
                        tf.gather(_free_slots(at, st["slot"], k), ordinal, batch_dims=1),
                        tf.gather(st["slot"], kept, batch_dims=1))
    pool.scatter_nd_update(
        tf.stack([slot[:, 0], tf.cast(tf.gather_nd(new_slot, slot), tf.int64)], axis=1),
        quantize(crops))
    out = dict(
        score=best, index=carry(st["index"], index), label=carry(st["label"], label),
        flat=tf.tensor_scatter_nd_update(tf.gather(st["flat"], kept, batch_dims=1), slot, peak_at),
        slot=new_slot, fired=st["fired"] + tf.reduce_sum(tf.cast(peak > 0.0, tf.int64), axis=0))
    if extra is not None:
        out.update(key=carry(st["key"], extra[0]), bucket=carry(st["bucket"], extra[1]))
    return out


def step_fn(acc, paths: tuple, score: str, preprocess, keyed: bool = False):
    """Compiled ``(x, index, label, extra, states, pools, consts) -> states`` for every layer of
    ``paths``; ``consts`` holds each layer's summarised channels and the crop box of every map
    position (for the batch's image size); ``extra`` is ``(key, bucket)`` for ``keyed`` states
    (an empty tuple otherwise)."""

    def build():
        @tf_function(reduce_retracing=True)
        def fn(x, index, label, extra, states, pools, consts):
            _, got = run_model(acc, model_input(acc, x, preprocess), paths)
            return tuple(_merge_layer(got[p], x, index, label, extra or None, st, pool, rows,
                                      boxes, score)
                         for p, st, pool, (rows, boxes) in zip(paths, states, pools, consts))

        return fn

    return acc.compiled(("dataset-examples-step", paths, score, preprocess_key(preprocess),
                         bool(keyed)), build)
