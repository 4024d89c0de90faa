"""The batched step of :func:`~convviz_widgets.compute.dataset_examples` on Keras' JAX and
PyTorch backends: the same interface as the TensorFlow step (:mod:`._example_pass`), with the
forward pass compiled through the seam and the running top-k kept in numpy.

Per batch one compiled function (:func:`.backend.compile`: a stateless ``jax.jit`` on JAX)
runs the model, captures every requested layer and reduces each summarised channel to two
numbers per image: its score (max or mean) and its maximum (for the firing count), and returns
the maps as they are. The merge into the stacked top-k of every channel of every layer is then a
few numpy operations on ``(C, k + n)`` arrays; only for the pairs that entered a top-k is the
peak searched in their maps (and, for streams, the patch cut). Ties go to the image seen
first, as on TensorFlow: a stable sort of the candidates (running top-k first, then the batch
in stream order; keyed by stream rank for models of any size).

Patches are cut by :func:`crop_and_resize`, the bilinear resampling of ``tf.image.
crop_and_resize`` (same sample positions, same grey outside the image) written in numpy.
"""

from __future__ import annotations

import keras
import numpy as np

from . import backend
from ._access import model_input
from ._preprocess_identity import preprocess_key
from ._model_trace import run_model

__all__ = ["constant", "crop_and_resize", "crop_boxes", "cut_patches", "initial_state", "layer_states",
           "prepare", "quantize", "split_rows", "step_fn"]


def constant(a) -> np.ndarray:
    """The host step takes numpy as it is."""
    return np.asarray(a)


def initial_state(counts, k: int, patch: int | None, c_img: int,
                  keyed: bool = False) -> tuple[dict, np.ndarray | None]:
    """An empty stacked top-k of ``sum(counts)`` rows (see :func:`._example_pass.
    initial_state`), numpy, and its patch pool (None when patches are cut after the pass)."""
    c = int(sum(counts))
    st = dict(score=np.full((c, k), -np.inf, np.float32), index=np.full((c, k), -1, np.int64),
              label=np.full((c, k), -1, np.int64), flat=np.zeros((c, k), np.int32),
              fired=np.zeros(c, np.int64))
    if keyed:
        st.update(key=np.full((c, k), np.iinfo(np.int64).max, np.int64),
                  bucket=np.full((c, k), -1, np.int64))
    if patch is None:
        return st, None
    st["slot"] = np.tile(np.arange(k)[None], (c, 1))
    return st, np.zeros((c, k, patch, patch, c_img), np.uint8)


def split_rows(arrays: dict, counts):
    """The stacked state's rows layer by layer: ``(rows, {name: arrays[name][rows]})`` for
    layers of ``counts`` summarised channels, in order."""
    start = 0
    for count in counts:
        rows = slice(start, start + int(count))
        yield rows, {name: a[rows] for name, a in arrays.items()}
        start += int(count)


def layer_states(st: dict, pool, counts) -> list[tuple[dict, np.ndarray | None]]:
    """The stacked state cut back into each layer's ``(arrays, patches in rank order)``."""
    return [(mine, None if pool is None else
             np.take_along_axis(pool[rows], mine["slot"][:, :, None, None, None], 1))
            for rows, mine in split_rows(st, counts)]


def quantize(images: np.ndarray) -> np.ndarray:
    """Display floats in [0, 1] -> uint8, rounding (as :func:`._example_pass.quantize`, bit for
    bit). Scales a writeable float32 array in place: the crops it is given are fresh, and two
    full-size temporaries fewer made TensorFlow's eager quantising of the final patches ~15 %
    slower than this."""
    x = np.asarray(images, np.float32)
    if not x.flags.writeable:
        x = x.copy()
    np.multiply(x, np.float32(255.0), out=x)
    np.add(x, np.float32(0.5), out=x)
    return x.astype(np.uint8)


def crop_boxes(boxes: np.ndarray, size: tuple) -> np.ndarray:
    """Pixel boxes ``(top, bottom, left, right)`` as ``crop_and_resize``'s normalised
    ``(y1, x1, y2, x2)``, float32."""
    h, w = size
    return np.stack([boxes[..., 0] / max(h - 1, 1), boxes[..., 2] / max(w - 1, 1),
                     boxes[..., 1] / max(h - 1, 1), boxes[..., 3] / max(w - 1, 1)],
                    axis=-1).astype(np.float32)


def _axis(lo, hi, n: int, size: int):
    """Sample positions of one axis of ``tf.image.crop_and_resize``: ``(m, size)`` source
    coordinates and whether each lies inside the image."""
    lo, hi = lo.astype(np.float32)[:, None], hi.astype(np.float32)[:, None]
    if size > 1:
        step = (hi - lo) * np.float32(n - 1) / np.float32(size - 1)
        at = lo * np.float32(n - 1) + np.arange(size, dtype=np.float32)[None] * step
    else:
        at = np.broadcast_to(np.float32(0.5) * (lo + hi) * np.float32(n - 1), (len(lo), 1))
    inside = (at >= 0) & (at <= n - 1)
    first = np.clip(np.floor(at), 0, n - 1).astype(np.int64)
    second = np.clip(np.ceil(at), 0, n - 1).astype(np.int64)
    return first, second, (at - np.floor(at)).astype(np.float32), inside


def crop_and_resize(images: np.ndarray, boxes: np.ndarray, which: np.ndarray, size,
                    extrapolation_value: float = 0.5) -> np.ndarray:
    """``(m, size, size, c)`` float32: normalised box ``boxes[j]`` (``y1, x1, y2, x2``) of image
    ``which[j]`` resampled bilinearly, ``extrapolation_value`` outside the image.

    Examples
    --------
    >>> img = np.arange(16, dtype=np.float32).reshape(1, 4, 4, 1)
    >>> crop_and_resize(img, np.array([[0, 0, 1, 1]], np.float32), np.zeros(1), (2, 2))[0, ..., 0]
    array([[ 0.,  3.],
           [12., 15.]], dtype=float32)
    """
    images = np.asarray(images, np.float32)
    boxes = np.asarray(boxes, np.float32).reshape(-1, 4)
    which = np.asarray(which, np.int64).reshape(-1)
    ph, pw = (size, size) if np.isscalar(size) else (int(size[0]), int(size[1]))
    _, h, w, c = images.shape
    top, bottom, ly, in_y = _axis(boxes[:, 0], boxes[:, 2], h, ph)
    left, right, lx, in_x = _axis(boxes[:, 1], boxes[:, 3], w, pw)
    # Pixels gathered by one flat index (np.take of rows of (n·h·w, c)), each lerp in place in
    # the array of the second corner (session 33: 3.6x faster than 3-d fancy indexing). The lerp
    # between columns depends on the source row alone, so each source row a crop reads is
    # lerped once, then picked for the output rows reading it: a field smaller than the patch
    # (the demo's 3-32 px fields, 48 px patches) is read for far fewer rows than 2 x 48 (demo
    # crops, 8 x 256: 196 -> 107 ms, session 35). The same floats (a + d·t, in TensorFlow's
    # order); a crop of more rows than that lerps two rows per output row.
    pixels = images.reshape(-1, c)
    lo = top.min(axis=1, initial=h - 1)[:, None]
    span = int((bottom - lo).max(initial=0)) + 1
    if span < 2 * ph:  # rows lo … lo + span - 1 (past the image: the last row, never read)
        rows = np.minimum(lo + np.arange(span), h - 1)
        upper_at, lower_at = top - lo, bottom - lo
    else:  # the two rows of each output row
        rows = np.concatenate([top, bottom], axis=1)
        upper_at = np.broadcast_to(np.arange(ph), top.shape)
        lower_at = upper_at + ph
    start = ((which[:, None] * h + rows) * w)[:, :, None]
    at_left = np.take(pixels, start + left[:, None, :], axis=0)
    lerped = np.take(pixels, start + right[:, None, :], axis=0)  # (m, rows, pw, c)
    lerped -= at_left
    lerped *= lx[:, None, :, None]
    lerped += at_left
    lerped = lerped.reshape(-1, pw, c)
    first = (np.arange(len(rows)) * rows.shape[1])[:, None]
    upper = np.take(lerped, first + upper_at, axis=0)
    out = np.take(lerped, first + lower_at, axis=0)
    out -= upper
    out *= ly[:, :, None, None]
    out += upper
    inside = in_y[:, :, None] & in_x[:, None, :]
    if not inside.all():
        out[~inside] = np.float32(extrapolation_value)
    return out


def cut_patches(images_at, positions: list, boxes: list, crop, patch: int, c_img: int,
                chunk: int = 256) -> list[np.ndarray]:
    """The patches of every layer's final top-k, cut after the pass from data that can be read
    again (every backend): ``images_at(p)`` gives the display images of local positions ``p``
    (as the step's input, :func:`constant`: converted once for all of the chunk's crops);
    ``positions[l]`` ``(C, k)`` is the local position of each slot of layer ``l`` (-1: empty)
    and ``boxes[l]`` ``(C, k, 4)`` its normalised crop box; ``crop(images, boxes, which)`` cuts
    and quantises ``(m, patch, patch, c_img)`` uint8 (the step's own ``crop_and_resize``, so on
    TensorFlow the patches are those its graph would cut, bit for bit). Returns
    ``(C, k, P, P, c)`` uint8 per layer, empty slots zero.

    One patch per slot kept instead of one per image that ever entered a top-k: k·(1 +
    ln(n / batch)) a channel on n images, four to six times as many, were a tenth of the demo
    model's forward pass on TensorFlow (a half with oneDNN). Images are read ``chunk`` at a
    time, and cut ``chunk`` patches at a time (a few MB of floats).
    """
    needed = np.unique(np.concatenate([p[p >= 0] for p in positions] + [np.zeros(0, np.int64)]))
    out = [np.zeros(p.shape + (patch, patch, c_img), np.uint8) for p in positions]
    for s in range(0, len(needed), chunk):
        part = needed[s:s + chunk]
        images = images_at(part)
        # The slots of every layer in this chunk, then one crop per distinct (image, box) of
        # them all: channels of a layer share images and peaks (the demo model: 2,448 slots,
        # 2,075 distinct crops), and one np.unique and a few crop calls of up to ``chunk``
        # crops for all layers cost less than eight of each (demo, 1,000 images: 93 -> 78 ms
        # CPU with TensorFlow's crop; session 36). Each group of crops is written to its slots
        # at once: no more than ``chunk`` crops are held.
        layer, flat, keys = [], [], []
        for l, (pos, box) in enumerate(zip(positions, boxes)):
            mine = np.flatnonzero((pos >= part[0]) & (pos <= part[-1]))
            layer.append(np.full(len(mine), l))
            flat.append(mine)
            keys.append(np.concatenate([pos.reshape(-1)[mine][:, None],
                                        box.reshape(-1, 4)[mine]], axis=1))
        pairs, again = np.unique(np.concatenate(keys), axis=0, return_inverse=True)
        layer, flat, again = np.concatenate(layer), np.concatenate(flat), again.ravel()
        order = np.argsort(again, kind="stable")
        bounds = np.searchsorted(again[order], np.arange(0, len(pairs) + chunk, chunk))
        for g, (lo, hi) in enumerate(zip(bounds[:-1], bounds[1:])):
            group = pairs[g * chunk:(g + 1) * chunk]
            if not len(group):
                break
            cut = crop(images, group[:, 1:].astype(boxes[0].dtype),
                       np.searchsorted(part, group[:, 0].astype(np.int64)))
            sel = order[lo:hi]
            for l in np.unique(layer[sel]):
                mine = sel[layer[sel] == l]
                out[l].reshape((-1,) + cut.shape[1:])[flat[mine]] = cut[again[mine] - g * chunk]
    return out


def prepare(fn, batch, state, pool, consts, any_size: bool = False):
    """Nothing to specialise: the compiled forward pass is traced per batch shape."""
    del batch, state, pool, consts, any_size
    return fn


def _reduce_fn(acc, paths: tuple, rows: tuple, score: str, preprocess):
    """Compiled ``x -> (score, max, row_max, maps)``: score and max ``(n, C)`` over every
    layer's rows, and per layer the max of each row of each map ``(n, h, C_l)`` and the maps
    ``(n, h, w, C_l)`` of its rows.

    No argmax here: where a channel peaks is searched on the host for the (row, image) pairs
    that entered a top-k only (:func:`_peaks`), as TensorFlow's graph step does. XLA's CPU
    argmax (a reduction of (value, index) pairs) does not vectorise: forward + max + argmax
    over every map ran at 0.60 of the demo model's forward under JAX, forward + max with the
    maps returned at 0.88 (forward + max alone 0.93; session 33, load 8-9). The per-row max
    is the one read of each map (the channel max is its max over ``h``) and tells the host
    search in which row a channel peaks; it costs what the max over both spatial axes did on
    JAX (757 vs 753 ms CPU, demo, 512 images, 10 rounds) and less on PyTorch (0.85 vs 0.78 of
    the forward pass, one thread; session 35)."""

    def build():
        variables = list(acc.model.weights)
        everything = [len(r) == acc.infos()[p].channels and bool(np.all(r == np.arange(len(r))))
                      for p, r in zip(paths, rows)]

        def fn(x):
            _, got = run_model(acc, model_input(acc, x, preprocess), paths)
            vals, peaks, row_maxes, maps = [], [], [], []
            for p, r, alls in zip(paths, rows, everything):
                a = keras.ops.cast(got[p], "float32")
                if not alls:
                    a = keras.ops.take(a, keras.ops.convert_to_tensor(r), axis=3)
                row_maxes.append(backend.row_max(a))  # PyTorch: few channels folded
                peak = keras.ops.max(row_maxes[-1], axis=1)
                peaks.append(peak)
                if score == "max":
                    vals.append(peak)
                else:
                    shape = keras.ops.shape(a)  # a size unknown while tracing is a tensor
                    vals.append(keras.ops.mean(
                        keras.ops.reshape(a, (-1, shape[1] * shape[2], shape[3])), axis=1))
                maps.append(a)
            return (*(keras.ops.concatenate(v, axis=1) if len(v) > 1 else v[0]
                      for v in (vals, peaks)), tuple(row_maxes), tuple(maps))

        return backend.compile(fn, variables)

    key = tuple(np.asarray(r, np.int64).tobytes() for r in rows)
    return acc.compiled(("dataset-examples-host", paths, key, score, preprocess_key(preprocess)),
                        build)


def step_fn(acc, paths: tuple, score: str, preprocess, keyed: bool = False, cut: bool = True):
    """``(x, index, label, extra, state, pool, consts) -> state`` as
    :func:`._example_pass.step_fn`; ``x`` and the rest are numpy, the pool is written in
    place."""
    del keyed

    def step(x, index, label, extra, st, pool, consts):
        rows, boxes = consts
        forward = _reduce_fn(acc, paths, tuple(rows), score, preprocess)
        with backend.no_grad():
            got = forward(keras.ops.convert_to_tensor(x))
        # Views, not copies (backend.to_numpy copied every map, 0.1 of the forward pass on JAX):
        # the maps are read at a few values per entered pair.
        val, peak, row_max, maps = backend.host_view(got)
        return _merge(x, index, label, extra or None, st, pool if cut else None, rows, boxes,
                      val, peak, (row_max, maps))

    return step


def _peaks(row_max, maps, rows, r, image) -> np.ndarray:
    """``(m,)`` int32: where row ``r[j]`` (of the stacked rows, layer after layer) of image
    ``image[j]`` peaks, the first flat position ``y·w + x`` of its map's max (as ``argmax``
    over the flat map, ties included): the first row ``y`` whose max (``row_max``
    ``(n, h, C_l)`` per layer) is the largest, then the first column of row ``y`` holding it.
    Reads ``m·(h + w)`` values, not ``m·h·w`` (each a cache line apart: the channel axis is
    the map's last)."""
    out = np.zeros(len(r), np.int32)
    start = 0
    for rm, a, q in zip(row_max, maps, rows):
        mine = np.flatnonzero((r >= start) & (r < start + len(q)))
        if len(mine):
            img, ch = image[mine], r[mine] - start
            y = rm[img, :, ch].argmax(axis=1)  # (m_l, h) -> row
            x = a[img, y, :, ch].argmax(axis=1)  # (m_l, w) -> column of that row
            out[mine] = y * a.shape[2] + x
        start += len(q)
    return out


def _merge(x, index, label, extra, st, pool, rows, boxes, val, peak, maps) -> dict:
    """Batch ``x``'s scores ``val`` and maxima ``peak`` ``(n, C)`` folded into the stacked
    state ``st`` (returned anew; ``pool`` written in place); ``maps`` is ``(row_max, maps)``
    per layer, read by :func:`_peaks` for the pairs that entered."""
    c, k = st["score"].shape
    n = len(x)
    candidates = np.concatenate([st["score"], val.T.astype(np.float32)], axis=1)  # (C, k + n)
    if extra is None:
        at = np.argsort(-candidates, axis=1, kind="stable")[:, :k]
    else:  # stream rank breaks ties (and orders the candidates) for models of any size
        keys = np.concatenate([st["key"], np.broadcast_to(extra[0][None], (c, n))], axis=1)
        at = np.lexsort((keys, -candidates), axis=1)[:, :k]

    def pick(old, new):
        both = np.concatenate([old, np.broadcast_to(np.asarray(new)[None], (c, n))], axis=1)
        return np.take_along_axis(both, at, axis=1)

    out = dict(score=np.take_along_axis(candidates, at, axis=1),
               index=pick(st["index"], index), label=pick(st["label"], label),
               fired=st["fired"] + (peak > 0.0).sum(axis=0))
    if extra is not None:
        out["key"], out["bucket"] = pick(st["key"], extra[0]), pick(st["bucket"], extra[1])
    entered = at >= k
    kept = np.minimum(at, k - 1)
    r, j = np.nonzero(entered)
    out["flat"] = np.take_along_axis(st["flat"], kept, axis=1)
    out["flat"][r, j] = _peaks(*maps, rows, r, at[r, j] - k)
    if pool is None:
        return out
    old_slot = np.take_along_axis(st["slot"], kept, axis=1)
    used = np.zeros((c, k), bool)
    r_kept, j_kept = np.nonzero(~entered)
    used[r_kept, old_slot[r_kept, j_kept]] = True
    free = np.argsort(used, axis=1, kind="stable")  # the slots of ranks that left, first
    ordinal = np.maximum(np.cumsum(entered, axis=1) - 1, 0)
    out["slot"] = np.where(entered, np.take_along_axis(free, ordinal, axis=1), old_slot)
    if len(r):
        layer_of_row = np.repeat(np.arange(len(rows)), [len(q) for q in rows])
        box = np.empty((len(r), 4), np.float32)
        for l in range(len(rows)):
            mine = layer_of_row[r] == l
            box[mine] = np.asarray(boxes[l])[out["flat"][r[mine], j[mine]]]
        crops = crop_and_resize(x, box, at[r, j] - k, pool.shape[2:4])
        pool[r, out["slot"][r, j]] = quantize(crops)
    return out
