"""Receptive fields: which input pixels each output position of a layer can see.

Derived from the layers themselves (kernel size, stride, dilation, padding, pooling, upsampling,
cropping, padding layers), not measured, for every model style. A squeeze-and-excite branch
(global pool -> 1×1 convolutions -> multiply) rescales channels by a summary of the whole image:
the window follows the main path and the field says that global context enters
(:attr:`ReceptiveField.global_context`). An op whose geometry is unknown makes only the layers
that depend on it underivable, not the layers before it. one symbolic trace of the model
records each layer's input and output tensors in call order (the one model-access mechanism), and
raw TensorFlow ops between layers (a subclassed ``call()``) are followed through the traced
graph on TensorFlow (JAX and PyTorch keep no graph to follow: there a layer fed by raw ops says
so, and the layers before it still work). Each tensor's receptive field is kept as two index intervals per axis — for every output
row, the first and last input row it depends on — so branches, skip concatenations and
upsampling compose exactly (a union is an elementwise min/max), with no stride/offset
approximation.
"""

from __future__ import annotations

from dataclasses import dataclass

import keras
import numpy as np

from . import backend
from ._access import access, require_spatial
from ._layer_info import check_input_size
from ._model_trace import run_model
from ._structure import _has_inputs
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
    global_context : bool
        True when a global summary of the image also enters the layer: a squeeze-and-excite
        block (MobileNetV3, EfficientNet) rescales channels by a global pool of the whole
        image, so a position depends a little on every pixel. ``rows``/``cols`` then give the
        window of the main (convolutional) path, the part that decides *where* a feature is;
        a gradient reaches pixels outside it only through the per-channel scale.
    """

    layer: str
    rows: np.ndarray
    cols: np.ndarray
    input_size: tuple
    global_context: bool = False

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


def _floating(t) -> bool:
    return keras.backend.standardize_dtype(t.dtype).startswith(("float", "bfloat"))


_RAW_OFF_TF = (
    "A layer of this model is fed by ops outside Keras layers (a subclassed call()); on "
    "Keras' JAX and PyTorch backends there is no graph to follow them through, so its "
    "receptive field cannot be derived. Use Keras layers for them (e.g. keras.layers.Add for "
    "x + y) or KERAS_BACKEND=tensorflow.")


def _flatten(v):
    if isinstance(v, (list, tuple)):
        return [t for x in v for t in _flatten(x)]
    if isinstance(v, dict):
        return [t for x in v.values() for t in _flatten(x)]
    return [v]


@dataclass(frozen=True)
class _Info:
    """What the trace knows of one tensor.

    ``field`` is the main-path window (None for a tensor that reads the image only through a
    global summary, e.g. a global pool's vector); ``glob`` says a global summary of the image
    entered it (a squeeze-and-excite rescaling); ``bad`` names why nothing can be derived.
    Unknown ops only poison what depends on them, so layers before them still work.
    """

    field: tuple | None = None
    glob: bool = False
    bad: str | None = None


_GLOBAL_POOLS = (keras.layers.GlobalAveragePooling2D, keras.layers.GlobalMaxPooling2D)
_RAW_REDUCE = ("Mean", "Max", "Min", "Sum", "Prod")


def _full(size, h, w) -> tuple:
    """Every position of a ``size`` map sees the whole ``h × w`` image (a global summary)."""
    oh, ow = size
    return ((np.zeros(oh, np.int64), np.full(oh, h - 1, np.int64)),
            (np.zeros(ow, np.int64), np.full(ow, w - 1, np.int64)))


def _combine(infos):
    """Split the inputs of an op into the main path and global context.

    Returns ``(main, glob, bad)``: ``[(size, field)]`` the output's window follows, whether a
    global summary enters, and the first reason a field is unknown. A spatial input smaller
    than the others on an axis where it has size 1 is *broadcast* (a squeeze-and-excite scale
    or a per-channel bias map): every output position gets the same value, so it adds global
    context, not a window.
    """
    infos = [(t, i) for t, i in infos if i is not None]
    bad = next((i.bad for _, i in infos if i.bad), None)
    if bad:
        return [], False, bad
    glob = any(i.glob for _, i in infos)
    spatial = [(_spatial(t), i.field) for t, i in infos if i.field is not None]
    if not spatial:
        return [], glob, None
    big = (max(s[0] for s, _ in spatial), max(s[1] for s, _ in spatial))
    main = []
    for s, f in spatial:
        broadcast = all(a == b or a == 1 for a, b in zip(s, big)) and s != big
        if broadcast:
            glob = True
        else:
            main.append((s, f))
    sizes = {s for s, _ in main}
    if len(sizes) > 1:  # two different windows meet: only an op we know can say how
        return main, glob, "mixed"
    return main, glob, None


def receptive_field(model, layer, input_size: tuple | None = None) -> ReceptiveField:
    """The receptive field of every output position of ``layer``, in model-input pixels.

    Parameters
    ----------
    model : keras.Model
        Any style, nested and subclassed included; built.
    layer : str or layer
        A layer with a spatial output (path, unique name or object).
    input_size : (int, int), optional
        The input ``(height, width)``. Default: the model's input size, or for a model that
        takes any size the size it was built on; needed only for a model that declares
        ``(None, None, C)``.

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
        h, w = check_input_size(input_size)
    elif (h is None or w is None) and acc.built_size:
        h, w = acc.built_size
    if h is None or w is None:
        raise ValueError(f"Model {acc.model.name!r} takes any input size; pass "
                         "input_size=(height, width) to derive its receptive fields.")
    # {path: ReceptiveField, or the reason it cannot be derived}
    memo = acc.compiled(("receptive-fields", h, w), dict)
    if all(p in memo for p in paths):
        return _answer(memo, paths)
    leaves = [p for p in acc.paths if not getattr(acc.layer(p), "layers", None)]
    found: dict[str, _Info] = {}
    alive: list = []  # off TensorFlow tensors are keyed by id(): keep them alive meanwhile

    def key_of(t):
        if hasattr(t, "ref"):  # a TensorFlow tensor
            return t.ref()
        alive.append(t)
        return id(t)

    def trace(x):
        _, got = run_model(acc, x, leaves, capture_inputs=leaves)
        identity = ((np.arange(h), np.arange(h)), (np.arange(w), np.arange(w)))
        infos: dict = {key_of(x): _Info(identity)}

        def info_of(t, depth=0):
            """A tensor made by raw ops between layers (a subclassed call()), followed back."""
            if not hasattr(t, "shape") or not hasattr(t, "dtype"):
                return None
            key = key_of(t)
            if key in infos:
                return infos[key]
            infos[key] = None  # unrelated to the image (a constant, a shape) unless found below
            if not hasattr(t, "op"):  # JAX, PyTorch: no graph to follow a raw op back through
                if _spatial(t) is not None and _floating(t):
                    infos[key] = _Info(bad=_RAW_OFF_TF)
                return infos[key]
            if depth > 200 or not t.dtype.is_floating:
                return None
            size = _spatial(t)
            main, glob, bad = _combine([(i, info_of(i, depth + 1)) for i in t.op.inputs])
            if bad and bad != "mixed":
                infos[key] = _Info(bad=bad)
            elif size is None:  # a vector of the image (a raw global mean): global context
                infos[key] = _Info(glob=True) if (main or glob) else None
            elif not main:
                infos[key] = _Info(_full(size, h, w), True) if glob else None
            elif size == (1, 1) and t.op.type in _RAW_REDUCE:  # a raw squeeze (keepdims)
                infos[key] = _Info(_full(size, h, w), True)
            elif bad or any(s != size for s, _ in main):
                infos[key] = _Info(bad=(
                    f"The op {t.op.type!r} ({t.op.name}) changes the spatial size outside a "
                    "Keras layer, so the receptive field cannot be derived; use a Keras layer "
                    "(e.g. MaxPooling2D) for it."))
            else:  # elementwise along space: the union of its inputs' windows
                infos[key] = _Info(_union([f for _, f in main]), glob)
            return infos[key]

        for p in leaves:  # call order: run_model records in the order the layers ran
            if p not in got or ("input", p) not in got:
                continue
            outs = [t for t in _flatten(got[p]) if hasattr(t, "shape")]
            ins = [(t, info_of(t)) for t in _flatten(got[("input", p)]) if hasattr(t, "shape")]
            main, glob, bad = _combine(ins)
            lyr = acc.layer(p)
            if bad == "mixed":
                bad = (f"Layer {p!r} ({type(lyr).__name__}) merges feature maps of different "
                       "sizes; its receptive field cannot be derived.")
            if not (main or glob or bad):
                continue  # does not read the image
            for t in outs:
                size = _spatial(t)
                if bad:
                    infos[key_of(t)] = _Info(bad=bad)
                elif isinstance(lyr, _GLOBAL_POOLS) or size is None:
                    # A global pool (or a Dense/Flatten) summarises the whole input: the
                    # squeeze of a squeeze-and-excite block. Kept as a 1×1 map (keepdims) that
                    # sees everything, or a vector that brings global context downstream.
                    infos[key_of(t)] = (_Info(_full(size, h, w), True) if size is not None
                                      else _Info(glob=True))
                elif not main:  # made only from global context (a reshaped squeeze vector)
                    infos[key_of(t)] = _Info(_full(size, h, w), True)
                else:
                    f = _layer_axes(lyr, _union([f for _, f in main]), size)
                    infos[key_of(t)] = _Info(tuple(f), glob) if f is not None else _Info(bad=(
                        f"Layer {p!r} ({type(lyr).__name__}) changes the spatial size in a way "
                        "convviz_widgets does not know; its receptive field cannot be derived."))
            first = next((infos[key_of(t)] for t in outs if _spatial(t) is not None), None)
            if first is not None:
                found.setdefault(p, first)

    dtype = acc.model.inputs[0].dtype if _has_inputs(acc.model) else "float32"
    # Shapes only where the backend can (TensorFlow graph, jax.eval_shape); zeros on PyTorch.
    backend.trace(trace, (1, h, w, acc.input_shape[3]), keras.backend.standardize_dtype(dtype))
    alive.clear()
    for p, info in found.items():
        if info.bad:
            memo[p] = info.bad  # the reason, raised only when this layer is asked for
            continue
        (ly, hy), (lx, hx) = info.field
        memo[p] = ReceptiveField(p, np.stack([ly, hy], axis=1).astype(np.int64),
                                 np.stack([lx, hx], axis=1).astype(np.int64), (h, w),
                                 global_context=info.glob)
    missing = [p for p in paths if p not in memo]
    if missing:
        raise ValueError(f"Layers {missing} did not run on the model's input path; pick layers "
                         "the model's call() uses.")
    return _answer(memo, paths)


def _answer(memo: dict, paths) -> dict:
    for p in paths:
        if isinstance(memo[p], str):
            raise ValueError(memo[p])
    return {p: memo[p] for p in paths}
