"""Receptive fields: which input pixels each output position of a layer can see.

Derived from the layers themselves (kernel size, stride, dilation, padding, pooling, upsampling,
cropping, padding layers), not measured, for every model style: one symbolic trace of the model
records each layer's input and output tensors in call order (the one model-access mechanism), and
raw TensorFlow ops between layers (a subclassed ``call()``) are followed through the traced
graph. Each tensor's receptive field is kept as two index intervals per axis — for every output
row, the first and last input row it depends on — so branches, skip concatenations and
upsampling compose exactly (a union is an elementwise min/max), with no stride/offset
approximation.
"""

from __future__ import annotations

from dataclasses import dataclass

import keras
import numpy as np
import tensorflow as tf

from ._access import access, require_spatial
from ._model_trace import _has_inputs, run_model
from ._repr import ShortRepr, one_line, shape

_EMPTY = np.iinfo(np.int64).max  # an interval whose lo > hi: depends on no input pixel (padding)


@dataclass(frozen=True)
class ReceptiveField(ShortRepr):
    """The input window of every output position of one layer.

    Attributes
    ----------
    layer : str
        The layer's path.
    rows : ndarray
        ``(H, 2)`` int: for output row ``y``, the first and last model-input row it depends on
        (inclusive, clipped to the image: padding reads no pixel).
    cols : ndarray
        ``(W, 2)`` int: the same for columns.
    input_size : (int, int)
        The model input's ``(height, width)`` the field was derived for.
    """

    layer: str
    rows: np.ndarray
    cols: np.ndarray
    input_size: tuple

    def __repr__(self) -> str:
        return one_line("ReceptiveField", layer=repr(self.layer), rows=shape(self.rows),
                        cols=shape(self.cols), input_size=repr(tuple(self.input_size)))

    def box(self, y: int, x: int) -> tuple[int, int, int, int]:
        """``(top, bottom, left, right)`` inclusive input pixels seen by output ``(y, x)``.

        Examples
        --------
        >>> rf = ReceptiveField("c", np.array([[0, 2], [1, 3]]), np.array([[0, 2]]), (4, 3))
        >>> rf.box(1, 0)
        (1, 3, 0, 2)
        """
        (t, b), (l, r) = self.rows[int(y)], self.cols[int(x)]
        return int(t), int(b), int(l), int(r)

    @property
    def size(self) -> tuple[int, int]:
        """Largest ``(height, width)`` of a window (an interior position's, before clipping).

        Examples
        --------
        >>> ReceptiveField("c", np.array([[0, 2], [0, 4]]), np.array([[0, 0]]), (5, 1)).size
        (5, 1)
        """
        return (int((self.rows[:, 1] - self.rows[:, 0]).max()) + 1,
                int((self.cols[:, 1] - self.cols[:, 0]).max()) + 1)


# ------------------------------------------------------------------------ one axis, one layer
def _gather(lo: np.ndarray, hi: np.ndarray, first: np.ndarray, last: np.ndarray):
    """Field of outputs reading input indices ``first..last`` (clipped; empty where none).

    A min/max over the whole range, not its ends: an input index that is itself padding has an
    empty field, so fields are not monotonic along an axis.
    """
    n = len(lo)
    out_lo = np.full(len(first), _EMPTY, np.int64)
    out_hi = np.full(len(first), -1, np.int64)
    for o, (a, b) in enumerate(zip(np.maximum(first, 0), np.minimum(last, n - 1))):
        if a <= b:
            out_lo[o], out_hi[o] = lo[a:b + 1].min(), hi[a:b + 1].max()
    return out_lo, out_hi


def _window_axis(lo, hi, n_out, k, s, d, padding):
    """Convolution or pooling along one axis: Keras/TF 'same' pads pad_total//2 in front."""
    n_in, span = len(lo), (k - 1) * d + 1
    front = max((n_out - 1) * s + span - n_in, 0) // 2 if padding == "same" else 0
    start = np.arange(n_out) * s - front
    taps = start[:, None] + d * np.arange(k)[None, :]  # (n_out, k) input indices
    valid = (taps >= 0) & (taps < n_in)
    first = np.where(valid, taps, n_in).min(axis=1)
    last = np.where(valid, taps, -1).max(axis=1)
    return _gather(lo, hi, first, last)


def _transpose_axis(lo, hi, n_out, k, s, d, padding):
    """Transposed convolution: input ``i`` writes outputs ``i*s - front + t*d``."""
    n_in, span = len(lo), (k - 1) * d + 1
    front = max((n_in - 1) * s + span - n_out, 0) // 2 if padding == "same" else 0
    out_lo = np.full(n_out, _EMPTY, np.int64)
    out_hi = np.full(n_out, -1, np.int64)
    for i in range(n_in):
        o = i * s - front + d * np.arange(k)
        o = o[(o >= 0) & (o < n_out)]
        out_lo[o] = np.minimum(out_lo[o], lo[i])
        out_hi[o] = np.maximum(out_hi[o], hi[i])
    return out_lo, out_hi


def _resample_axis(lo, hi, n_out, nearest: bool):
    """Upsampling / resizing by ``n_out / n_in`` (half-pixel centres; bilinear reads 2)."""
    n_in = len(lo)
    centre = (np.arange(n_out) + 0.5) * n_in / n_out - 0.5
    if nearest:
        idx = np.floor((np.arange(n_out)) * n_in / n_out).astype(np.int64)
        return _gather(lo, hi, idx, idx)
    first = np.floor(centre).astype(np.int64)
    return _gather(lo, hi, np.maximum(first, 0), np.minimum(first + 1, n_in - 1))


def _pair(v):
    return tuple(v) if isinstance(v, (tuple, list)) else (v, v)


def _layer_axes(layer, field_in, n_out_hw):
    """The output field of one layer from its (single) input field; None if unknown."""
    (ly, hy), (lx, hx) = field_in
    out = []
    for axis, (lo, hi) in enumerate(((ly, hy), (lx, hx))):
        n_out = n_out_hw[axis]
        if isinstance(layer, keras.layers.Conv2DTranspose):
            k, s, d = layer.kernel_size[axis], layer.strides[axis], layer.dilation_rate[axis]
            out.append(_transpose_axis(lo, hi, n_out, k, s, d, layer.padding.lower()))
        elif isinstance(layer, keras.layers.Conv2D) or isinstance(
                layer, (keras.layers.DepthwiseConv2D, keras.layers.SeparableConv2D)):
            k, s, d = layer.kernel_size[axis], layer.strides[axis], layer.dilation_rate[axis]
            out.append(_window_axis(lo, hi, n_out, k, s, d, layer.padding.lower()))
        elif isinstance(layer, (keras.layers.MaxPooling2D, keras.layers.AveragePooling2D)):
            k, s = _pair(layer.pool_size)[axis], _pair(layer.strides)[axis]
            out.append(_window_axis(lo, hi, n_out, k, s, 1, layer.padding.lower()))
        elif isinstance(layer, keras.layers.UpSampling2D):
            out.append(_resample_axis(lo, hi, n_out, layer.interpolation == "nearest"))
        elif isinstance(layer, keras.layers.ZeroPadding2D):
            front = layer.padding[axis][0]
            idx = np.arange(n_out) - front
            out.append(_gather(lo, hi, idx, idx))
        elif isinstance(layer, keras.layers.Cropping2D):
            idx = np.arange(n_out) + layer.cropping[axis][0]
            out.append(_gather(lo, hi, idx, idx))
        elif isinstance(layer, keras.layers.Resizing):
            out.append(_resample_axis(lo, hi, n_out, layer.interpolation == "nearest"))
        elif len(lo) == n_out:  # elementwise along space: BN, activations, dropout, ...
            out.append((lo, hi))
        else:
            return None
    return out


def _union(fields):
    (ly, hy), (lx, hx) = fields[0]
    for (a, b), (c, d) in fields[1:]:
        ly, hy, lx, hx = np.minimum(ly, a), np.maximum(hy, b), np.minimum(lx, c), np.maximum(hx, d)
    return (ly, hy), (lx, hx)


def _spatial(t) -> tuple | None:
    shape = getattr(t, "shape", None)
    if shape is None or len(shape) != 4 or shape[1] is None or shape[2] is None:
        return None
    return int(shape[1]), int(shape[2])


def _flatten(v):
    if isinstance(v, (list, tuple)):
        return [t for x in v for t in _flatten(x)]
    if isinstance(v, dict):
        return [t for x in v.values() for t in _flatten(x)]
    return [v]


def receptive_field(model, layer, input_size: tuple | None = None) -> ReceptiveField:
    """The receptive field of every output position of ``layer``, in model-input pixels.

    Parameters
    ----------
    model : keras.Model
        Any style, nested and subclassed included; built.
    layer : str or layer
        A layer with a spatial output (path, unique name or object).
    input_size : (int, int), optional
        The input ``(height, width)``; needed only for a model that takes any size.

    Returns
    -------
    ReceptiveField

    Raises
    ------
    ValueError
        A layer without a spatial output, or a raw TensorFlow op that changes the spatial size
        in a way that cannot be derived (the message names it).

    Examples
    --------
    >>> import convviz_widgets as cv
    >>> rf = cv.receptive_field(cv.demo_model(), "block2_conv1")        # doctest: +SKIP
    >>> rf.size, rf.box(0, 0)                                           # doctest: +SKIP
    ((10, 10), (0, 5, 0, 5))
    """
    path = require_spatial(model, layer, "receptive field")
    return receptive_fields(model, [path], input_size)[path]


def receptive_fields(model, layers, input_size: tuple | None = None) -> dict:
    """:func:`receptive_field` of several layers from one trace: ``{path: ReceptiveField}``.

    Memoised per model and input size (the fields depend on the architecture only).
    """
    acc = access(model)
    paths = [require_spatial(model, l, "receptive field") for l in layers]
    h, w = acc.input_shape[1:3]
    if input_size is not None:
        h, w = (int(v) for v in input_size)
    if h is None or w is None:
        raise ValueError(f"Model {acc.model.name!r} takes any input size; pass "
                         "input_size=(height, width) to derive its receptive fields.")
    memo = acc.compiled(("receptive-fields", h, w), dict)  # {path: ReceptiveField}
    if all(p in memo for p in paths):
        return {p: memo[p] for p in paths}
    leaves = [p for p in acc.paths if not getattr(acc.layer(p), "layers", None)]
    found: dict[str, tuple] = {}

    def trace(x):
        _, got = run_model(acc, x, leaves, capture_inputs=leaves)
        fields: dict = {x.ref(): ((np.arange(h), np.arange(h)), (np.arange(w), np.arange(w)))}

        def field_of(t, depth=0):
            key = t.ref()
            if key in fields:
                return fields[key]
            if depth > 200 or not hasattr(t, "op"):
                return None
            # A raw op (a subclassed call() between layers): same spatial size -> union of
            # its spatial inputs; a change of size cannot be derived.
            ins = [i for i in t.op.inputs if _spatial(i) is not None]
            got_fields = [f for f in (field_of(i, depth + 1) for i in ins) if f is not None]
            if not got_fields:
                return None
            same = [f for f, i in zip(got_fields, ins) if _spatial(i) == _spatial(t)]
            if _spatial(t) is None or not same:
                raise ValueError(
                    f"The op {t.op.type!r} ({t.op.name}) changes the spatial size outside a "
                    "Keras layer, so the receptive field cannot be derived; use a Keras layer "
                    "(e.g. MaxPooling2D) for it.")
            fields[key] = _union(same)
            return fields[key]

        for p in leaves:  # call order: run_model records in the order the layers ran
            if p not in got or ("input", p) not in got:
                continue
            outs = [t for t in _flatten(got[p]) if _spatial(t) is not None]
            if not outs:
                continue
            ins = [f for f in (field_of(t) for t in _flatten(got[("input", p)])
                               if _spatial(t) is not None) if f is not None]
            if not ins:
                continue
            for t in outs:
                f = _layer_axes(acc.layer(p), _union(ins), _spatial(t))
                if f is None:
                    raise ValueError(
                        f"Layer {p!r} ({type(acc.layer(p)).__name__}) changes the spatial size "
                        "in a way convviz_widgets does not know; its receptive field cannot be "
                        "derived.")
                fields[t.ref()] = tuple(f)
            found.setdefault(p, fields[outs[0].ref()])
        return tf.zeros(())

    dtype = acc.model.inputs[0].dtype if _has_inputs(acc.model) else tf.float32
    spec = tf.TensorSpec((1, h, w, acc.input_shape[3]), dtype)
    # autograph off: the trace is plain Python over layers, nothing to convert.
    tf.function(trace, autograph=False).get_concrete_function(spec)
    for p, ((ly, hy), (lx, hx)) in found.items():
        memo[p] = ReceptiveField(p, np.stack([ly, hy], axis=1).astype(np.int64),
                                 np.stack([lx, hx], axis=1).astype(np.int64), (h, w))
    missing = [p for p in paths if p not in memo]
    if missing:
        raise ValueError(f"Layers {missing} did not run on the model's input path; pick layers "
                         "the model's call() uses.")
    return {p: memo[p] for p in paths}
