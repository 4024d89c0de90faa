"""Objectives: the scalar (one per image) that gradient ascent maximises.

An objective reads the captured feature maps of the layers it names (and, for image priors, the
display image) from a :class:`Context`, and returns one value per image of the batch. Objectives
compose with ``+``, ``-`` and multiplication by a number::

    channel("block3_conv1", 7) + 0.5 * neuron("block4_conv1", 3) - 0.05 * total_variation()

``index=None`` (the default) means "the filter this batch row is optimising": the loop passes the
per-row filter indices as :attr:`Context.filters`, which is how one compiled step optimises many
filters at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from keras import ops

__all__ = ["Context", "Objective", "Channel", "Neuron", "Negative", "DeepDream", "ClassScore",
           "Diversity", "LOGITS", "channel", "neuron", "negative", "class_logit", "diversity",
           "deepdream", "as_objective", "OBJECTIVES"]

#: The "layer" of :func:`class_logit`: the model's class scores before its softmax / sigmoid.
LOGITS = "<logits>"

#: Objective names :func:`as_objective` (and ``maximize(objective=...)``) accepts.
OBJECTIVES = ("channel", "neuron", "negative", "class", "diversity")


@dataclass
class Context:
    """What an objective can read.

    Attributes
    ----------
    features : dict
        ``{layer path: (n, h, w, c) float32 tensor}`` for every layer the objective names.
    image : tensor
        ``(n, H, W, C)`` display images in [0, 1], before the random transforms.
    filters : tensor
        ``(n,)`` int32: the filter each batch row is optimising.
    pre : dict, optional
        ``{layer path: pre-activation}`` where the loop has it (a plain ``Conv2D`` optimised
        one channel per row); the channel of each row sits at index 0 there.
    """

    features: Mapping[str, Any]
    image: Any
    filters: Any
    pre: Mapping[str, Any] | None = None


class Objective:
    """Base class. Subclasses implement :meth:`__call__` and, if they read layers, :attr:`layer`.

    Examples
    --------
    >>> from convviz_widgets.compute.maximize import total_variation
    >>> obj = channel("conv_b") - 0.1 * total_variation()
    >>> sorted(obj.layers())
    ['conv_b']
    """

    #: The layer (path, unique name or layer object) read by this objective, or None.
    layer: Any = None
    #: The layer must output a feature map ``(n, h, w, c)`` (False: ``(n, units)`` is fine).
    needs_map = True

    def layers(self) -> list:
        """Layers read by this objective (as given, unresolved)."""
        return [] if self.layer is None else [self.layer]

    def resolve(self, resolver) -> "Objective":
        """A copy whose layers are paths, via ``resolver(layer, needs_map) -> path``."""
        if self.layer is None or self.layer == LOGITS:
            return self
        clone = object.__new__(type(self))
        clone.__dict__.update(self.__dict__)
        clone.layer = resolver(self.layer, self.needs_map)
        return clone

    def __call__(self, ctx: Context):
        """``(n,)`` values to maximise."""
        raise NotImplementedError

    @property
    def key(self) -> tuple:
        """Hashable description (resolved objectives only: layers are paths)."""
        items = []
        for k, v in sorted(self.__dict__.items()):
            if k == "layer" and not isinstance(v, (str, type(None))):
                v = ("layer-object", id(v))
            items.append((k, v))
        return (type(self).__name__,) + tuple(items)

    # ----------------------------------------------------------------------------- algebra
    def __add__(self, other):
        if isinstance(other, (int, float)) and other == 0:
            return self  # lets sum([...]) start from 0
        if not isinstance(other, Objective):
            return NotImplemented
        return Sum([(1.0, self), (1.0, other)])

    __radd__ = __add__

    def __mul__(self, k):
        if not isinstance(k, (int, float)):
            return NotImplemented
        return Sum([(float(k), self)])

    __rmul__ = __mul__

    def __truediv__(self, k):
        if not isinstance(k, (int, float)):
            return NotImplemented
        return Sum([(1.0 / float(k), self)])

    def __neg__(self):
        return Sum([(-1.0, self)])

    def __sub__(self, other):
        if not isinstance(other, Objective):
            return NotImplemented
        return Sum([(1.0, self), (-1.0, other)])

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.__dict__.items() if v is not None)
        return f"{type(self).__name__}({args})"


class Sum(Objective):
    """Weighted sum of objectives (what ``+``, ``-`` and ``*`` build)."""

    def __init__(self, terms):
        flat = []
        for w, obj in terms:
            if isinstance(obj, Sum):  # keep sums flat: (a + b) + c is one sum of three terms
                flat += [(w * w2, o2) for w2, o2 in obj.terms]
            else:
                flat.append((float(w), obj))
        self.terms = flat

    def layers(self):
        return [l for _, o in self.terms for l in o.layers()]

    def resolve(self, resolver):
        return Sum([(w, o.resolve(resolver)) for w, o in self.terms])

    @property
    def key(self):
        return ("Sum",) + tuple((w, o.key) for w, o in self.terms)

    def __call__(self, ctx):
        return sum(w * o(ctx) for w, o in self.terms)

    def __repr__(self):
        return " + ".join(f"{w:g} * {o!r}" for w, o in self.terms)


def _rows_one_hot(feature, filters):
    """``(n, c)``: row ``i`` is 1 at ``filters[i]``, 0 elsewhere (``c``: the last axis)."""
    return ops.one_hot(filters, int(feature.shape[-1]), dtype=feature.dtype)


def row_channel(feature, filters):
    """``(n, h, w)``: channel ``filters[i]`` of row ``i`` of ``feature`` ``(n, h, w, c)``.

    A product with a one-hot row and a sum, not ``take_along_axis``: the same values exactly
    (one term is the value, the others are zeros), and on TensorFlow about a tenth of the graph
    ops to trace (``take_along_axis`` brings index broadcasting and negative-index handling,
    its gradient a scatter); six of them made a fresh process's first maximization trace
    ~0.2 s longer (docs/architecture.md, session 33).
    """
    return ops.sum(feature * _rows_one_hot(feature, filters)[:, None, None, :], axis=-1)


def row_unit(feature, filters):
    """``(n,)``: unit ``filters[i]`` of row ``i`` of ``feature`` ``(n, units)`` (as
    :func:`row_channel`)."""
    return ops.sum(feature * _rows_one_hot(feature, filters), axis=-1)


def _pick(feature, index, ctx: Context):
    """``(n, h, w)``: channel ``index`` of each row, or each row's own filter when ``None``."""
    if index is None:
        return row_channel(feature, ctx.filters)  # one channel per row
    return feature[..., int(index)]


class Channel(Objective):
    """Mean activation of one channel over all positions (the classic filter objective).

    Parameters
    ----------
    layer : str or layer
    index : int, optional
        The channel; ``None`` means each batch row's own filter.

    Examples
    --------
    >>> Channel("block3_conv1", 5)
    Channel(layer='block3_conv1', index=5)
    """

    def __init__(self, layer, index: int | None = None):
        self.layer = layer
        self.index = None if index is None else int(index)

    def __call__(self, ctx):
        return ops.mean(_pick(ctx.features[self.layer], self.index, ctx), axis=(1, 2))


class Neuron(Objective):
    """One unit of a channel: by default the centre position (its receptive field is the
    pattern the filter looks for at one place, not tiled over the image).

    Parameters
    ----------
    layer : str or layer
    index : int, optional
        The channel; ``None`` means each batch row's own filter.
    y, x : int or float, optional
        Position in the feature map; ``None`` means the centre. With ``fraction=True`` they are
        fractions of the map's height and width (a point clicked on the input, wherever the
        map's size differs from the input's).
    fraction : bool

    Examples
    --------
    >>> Neuron("block3_conv1", 5, y=2, x=3).y
    2
    >>> Neuron("block3_conv1", y=0.25, x=0.5, fraction=True).x
    0.5
    """

    def __init__(self, layer, index: int | None = None, y=None, x=None,
                 fraction: bool = False):
        self.layer = layer
        self.index = None if index is None else int(index)
        self.fraction = bool(fraction)
        cast = float if fraction else int
        self.y = None if y is None else cast(y)
        self.x = None if x is None else cast(x)
        if fraction and any(v is not None and not 0.0 <= v <= 1.0 for v in (self.y, self.x)):
            raise ValueError(f"With fraction=True, y and x are fractions in [0, 1], got "
                             f"({y}, {x}).")

    def _at(self, v, size):
        if v is None:
            return size // 2
        if self.fraction:
            # A fraction of 1.0 (the bottom/right edge) is the last unit.
            return ops.minimum(ops.cast(ops.cast(size, "float32") * v, "int32"), size - 1)
        return v

    def __call__(self, ctx):
        maps = _pick(ctx.features[self.layer], self.index, ctx)  # (n, h, w)
        shape = ops.shape(maps)
        return maps[:, self._at(self.y, shape[1]), self._at(self.x, shape[2])]


class Negative(Channel):
    """Minus the mean of a channel: the pattern that turns the filter *off*.

    After a ReLU every image that silences a unit scores the same 0 and gets no gradient, so
    the value is read before the activation where the loop can (a plain ``Conv2D``, see
    :attr:`Context.pre`), else from the layer's output.

    Examples
    --------
    >>> Negative("block3_conv1", 5)
    Negative(layer='block3_conv1', index=5)
    """

    def __call__(self, ctx):
        pre = (ctx.pre or {}).get(self.layer)
        source = ctx.features[self.layer] if pre is None else pre
        return -ops.mean(_pick(source, self.index, ctx), axis=(1, 2))


class DeepDream(Objective):
    """Mean squared activation of a whole layer: "more of whatever this layer already sees".

    Examples
    --------
    >>> DeepDream("mixed4").layer
    'mixed4'
    """

    def __init__(self, layer):
        self.layer = layer

    def __call__(self, ctx):
        f = ctx.features[self.layer]
        return ops.mean(ops.square(f), axis=(1, 2, 3))


class ClassScore(Objective):
    """A class score before the softmax / sigmoid, or one unit of a Dense layer.

    ``layer=LOGITS`` (the default) reads the model's logits: the output layer's activation is
    dropped while the step is traced (softmax probabilities saturate and would let a class win
    by suppressing the others), and a one-unit sigmoid counts as two classes: class 1 is its
    logit ``z``, class 0 is ``-z``. Any other layer is read as it is, ``(n, units)`` (a spatial
    output is averaged over positions first).

    Examples
    --------
    >>> ClassScore(3).layer
    '<logits>'
    """

    needs_map = False

    def __init__(self, index: int | None = None, layer=LOGITS):
        self.layer = layer
        self.index = None if index is None else int(index)

    def __call__(self, ctx):
        f = ctx.features[self.layer]
        if len(f.shape) > 2:
            f = ops.mean(f, axis=tuple(range(1, len(f.shape) - 1)))
        if self.index is None:
            return row_unit(f, ctx.filters)
        return f[:, self.index]


class Diversity(Objective):
    """Minus how alike the batch's images look to ``layer``: lucid's diversity term.

    Each image's Gram matrix of ``layer`` (which channels fire together, wherever they are) is
    flattened and L2-normalised; a row's value is ``-weight`` times its mean cosine similarity
    to the other rows. Added to a channel objective on a batch of one filter it pushes the
    patterns apart (different styles of the same feature) instead of N copies of one. It couples
    the rows of a batch, so all of them must be optimised together (``maximize`` does so).

    Examples
    --------
    >>> d = Diversity("block3_conv1", 2.0)
    >>> d.weight
    2.0
    """

    def __init__(self, layer, weight: float = 1.0):
        self.layer = layer
        self.weight = float(weight)

    def __call__(self, ctx):
        return -self.weight * gram_similarity(ctx.features[self.layer])


def gram_similarity(features):
    """``(n,)``: each image's mean cosine similarity of Gram matrices to the other images.

    Examples
    --------
    >>> f = ops.ones((3, 2, 2, 4))
    >>> [round(float(v), 4) for v in gram_similarity(f)]
    [1.0, 1.0, 1.0]
    """
    shape = ops.shape(features)
    n, c = shape[0], features.shape[3]
    flat = ops.reshape(features, (n, -1, c))  # (n, h*w, c)
    gram = ops.matmul(ops.transpose(flat, (0, 2, 1)), flat)  # (n, c, c)
    g = ops.reshape(gram, (n, -1))
    # L2-normalised rows (the squared norm floored at 1e-10), as tf.math.l2_normalize rounds:
    # the similarities are 1 - 1e-6 apart, at float32's last digits.
    g = g * ops.rsqrt(ops.maximum(ops.sum(ops.square(g), axis=1, keepdims=True), 1e-10))
    # (n, n) cosine similarities of unit vectors as 1 - |a - b|^2 / 2, not a . b: the patterns'
    # Gram matrices are alike to 1e-6, and a dot product near 1 rounds away what diversity moves.
    sq = ops.sum(ops.square(g[:, None, :] - g[None, :, :]), axis=2)
    unit = ops.cast(ops.sum(ops.square(g), axis=1) > 0.5, "float32")  # all-zero maps: 0, as a . b
    sim = (1.0 - 0.5 * sq) * unit[:, None] * unit[None, :]
    others = ops.sum(sim, axis=1) - unit
    return others / ops.maximum(ops.cast(n - 1, "float32"), 1.0)


def channel(layer, index: int | None = None) -> Channel:
    """Objective: mean activation of a channel (each row's own filter when ``index`` is None).

    Examples
    --------
    >>> obj = channel("block3_conv1") + 0.5 * channel("block3_conv1", 7)
    >>> len(obj.terms)
    2
    """
    return Channel(layer, index)


def neuron(layer, index: int | None = None, y=None, x=None, fraction: bool = False) -> Neuron:
    """Objective: one unit (by default the centre) of a channel; ``fraction=True`` reads ``y``
    and ``x`` as fractions of the map's size.

    Examples
    --------
    >>> neuron("block3_conv1", 4).index
    4
    """
    return Neuron(layer, index, y, x, fraction)


def negative(layer, index: int | None = None) -> Negative:
    """Objective: minus a channel's mean (what turns the filter off).

    Examples
    --------
    >>> negative("block3_conv1", 2).index
    2
    """
    return Negative(layer, index)


def class_logit(index: int | None = None, layer=LOGITS) -> ClassScore:
    """Objective: a class's logit (before the softmax / sigmoid), or a unit of a Dense layer.

    Examples
    --------
    >>> class_logit(2).index, class_logit(0, "dense").layer
    (2, 'dense')
    """
    return ClassScore(index, layer)


def diversity(layer, weight: float = 1.0) -> Diversity:
    """Objective: lucid's Gram-matrix diversity term over the batch (see :class:`Diversity`).

    Examples
    --------
    >>> obj = channel("block3_conv1", 4) + diversity("block3_conv1", 2.0)
    >>> [type(o).__name__ for _, o in obj.terms]
    ['Channel', 'Diversity']
    """
    return Diversity(layer, weight)


def deepdream(layer) -> DeepDream:
    """Objective: mean squared activation of a whole layer (DeepDream).

    Examples
    --------
    >>> obj = deepdream("block3_conv1") + 0.5 * deepdream("block4_conv1")
    >>> [o.layer for _, o in obj.terms]
    ['block3_conv1', 'block4_conv1']
    """
    return DeepDream(layer)


def as_objective(objective, layer, *, diversity_weight: float = 0.5) -> Objective:
    """An :class:`Objective` from an instance or a name for ``layer``'s filters.

    ``"channel"``, ``"neuron"`` (centre unit), ``"negative"`` and ``"diversity"`` (channel plus
    :class:`Diversity`) optimise each row's own filter of ``layer``; ``"class"`` each row's
    class logit (``layer`` ``LOGITS`` or the output layer) or Dense unit (another layer).

    Examples
    --------
    >>> as_objective("neuron", "conv_b")
    Neuron(layer='conv_b', fraction=False)
    >>> as_objective("class", "dense")
    ClassScore(layer='dense')
    """
    if objective is None or objective == "channel":
        return Channel(layer)
    if objective == "neuron":
        return Neuron(layer)
    if objective == "negative":
        return Negative(layer)
    if objective == "class":
        return ClassScore(None, layer)
    if objective == "diversity":
        return Channel(layer) + Diversity(layer, diversity_weight)
    if objective == "deepdream":
        return DeepDream(layer)
    if isinstance(objective, Objective):
        return objective
    raise ValueError(f"Unknown objective {objective!r}; use one of {list(OBJECTIVES)}, "
                     "'deepdream', or an Objective (e.g. channel(layer) - 0.05 * "
                     "total_variation()).")

