"""What a :func:`~convviz_widgets.compute.maximize.maximize` call asks for, resolved against the
model: the layer path, how many filters / units / classes it has, the objective, and the size
and channel count of the pattern."""

from __future__ import annotations

import numpy as np

from .._access import access, require_spatial, resolve_layer
from .._messages import InputError
from ._logits import class_count, output_layer
from .objectives import LOGITS, OBJECTIVES, ClassScore, Objective, as_objective

__all__ = ["pattern_size", "class_layers", "target_count", "channels_of", "layer_resolver",
           "resolve_target", "DEFAULT_SIZE", "MIN_SIZE"]

#: Pattern side for models whose input size is free (fully convolutional).
DEFAULT_SIZE = 128
#: The smallest pattern side (an image smaller than this has no room for a pattern).
MIN_SIZE = 8
#: A single-term Objective is named like the string that builds it.
_NAMES = {"Channel": "channel", "Neuron": "neuron", "Negative": "negative", "ClassScore": "class"}


def _as_hw(size) -> tuple[int, int]:
    if isinstance(size, (int, np.integer)):
        return int(size), int(size)
    if isinstance(size, (tuple, list)) and len(size) == 2:
        return int(size[0]), int(size[1])
    raise TypeError(f"size must be an int or (height, width), got {size!r}.")


def pattern_size(model, size=None) -> tuple[int, int]:
    """The ``(H, W)`` at which patterns are optimised for ``model``.

    A model with a fixed input size is optimised at that size (``size`` must match or be None);
    a fully convolutional model at ``size`` (default: the size a subclassed model was built
    on, :attr:`~convviz_widgets.compute.ModelAccess.built_size`, else 128).

    Raises
    ------
    ValueError
        ``size`` differs from a fixed model size, or is too small.

    Examples
    --------
    >>> pattern_size(keras.applications.VGG16(weights=None))        # doctest: +SKIP
    (224, 224)
    """
    _, mh, mw, _ = access(model).input_shape
    want = _as_hw(size) if size is not None else None
    if mh is not None and mw is not None:
        if want is not None and want != (mh, mw):
            raise ValueError(
                f"Model {access(model).model.name!r} has a fixed input size {mh}×{mw}, so "
                f"patterns are optimised at that size, not {want[0]}×{want[1]}. Pass size=None "
                "(or rebuild the model with input shape (None, None, channels) to choose).")
        return int(mh), int(mw)
    h, w = want if want is not None else (access(model).built_size or (DEFAULT_SIZE,
                                                                       DEFAULT_SIZE))
    h, w = (mh or h), (mw or w)
    if min(h, w) < MIN_SIZE:
        raise ValueError(f"size {h}×{w} is too small; use at least {MIN_SIZE} pixels a side.")
    return int(h), int(w)


def channels_of(acc) -> int:
    """The model input's channel count (an error that says how to fix an unknown one)."""
    c = acc.input_shape[3]
    if c is None:
        raise ValueError("The model's input has an unknown channel count; build it with a fixed "
                         "number of channels, e.g. keras.Input((None, None, 3)).")
    return int(c)


def layer_resolver(model, what: str):
    """``resolver(layer, needs_map) -> path`` for :meth:`Objective.resolve`: a feature map, or
    (``needs_map=False``) also a layer with ``(n, units)`` output such as a Dense layer."""

    def resolve(layer, needs_map=True):
        if layer == LOGITS:
            return LOGITS
        info = resolve_layer(model, layer)
        if not needs_map and len(info.output_shape) == 2 and info.calls:
            return info.path
        return require_spatial(model, layer, what)

    return resolve


def resolve_target(model, acc, layer, objective):
    """``(report path, number of filters/units/classes, resolved objective, name)``."""
    name = objective if isinstance(objective, str) or objective is None else \
        _NAMES.get(type(objective).__name__, "custom")
    name = name or "channel"
    if isinstance(objective, str) and objective not in OBJECTIVES + ("deepdream",):
        as_objective(objective, layer)  # raises the error that lists the names
    resolve = layer_resolver(model, "filters to maximise")
    if objective == "class":
        path = LOGITS if layer is None else resolve(layer, False)
        if path == LOGITS or path == output_layer(acc):
            return LOGITS, class_count(acc), ClassScore(None), name
        info = acc.infos()[path]
        return path, int(info.output_shape[-1]), ClassScore(None, path), name
    if layer is None:
        raise ValueError(f"objective={name!r} needs a layer (only objective='class' reads the "
                         "model's output without one).")
    needs_map = not isinstance(objective, Objective) or any(
        getattr(o, "needs_map", True) for o in _terms(objective))
    if needs_map:
        info = resolve_layer(model, layer)
        if len(info.output_shape) == 2 and info.calls and info.output_shape[-1]:
            # A Dense layer: its units are maximised as classes are (objective="class").
            raise InputError("maximize_dense_channel", layer=info.path,
                             units=int(info.output_shape[-1]))
    path = resolve(layer, needs_map)
    n = acc.infos()[path].output_shape[-1]
    if n is None:
        raise ValueError(f"Layer {path!r} has an unknown channel count; it cannot be maximised.")
    obj = objective if isinstance(objective, Objective) else as_objective(objective, path)
    return path, int(n), obj, name


def class_layers(model) -> list:
    """Layers ``objective="class"`` reads: the model's output layer (its classes, as logits)
    first, then every other layer with an ``(n, units)`` output (Dense units).

    Examples
    --------
    >>> [i.path for i in class_layers(cv.demo_model())]            # doctest: +SKIP
    ['predictions']
    """
    acc = access(model)
    infos = acc.infos()
    final = output_layer(acc)
    first = [infos[final]] if final in infos else []
    return first + [i for p, i in infos.items() if p != final and len(i.output_shape) == 2
                    and i.calls and not i.is_container and i.output_shape[-1]]


def target_count(model, layer, objective="channel") -> int:
    """How many rows ``maximize(model, layer, objective=objective)`` can optimise: filters of a
    feature map, units of a Dense layer, or classes (2 for a one-unit sigmoid).

    Examples
    --------
    >>> target_count(cv.demo_model(), "predictions", "class")      # doctest: +SKIP
    5
    """
    return resolve_target(model, access(model), layer, objective)[1]


def _terms(obj):
    return [o for _, o in obj.terms] if hasattr(obj, "terms") else [obj]
