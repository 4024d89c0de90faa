"""How a model's outputs are read as classes: kinds, class counts, probabilities, targets.

The facts come from the model's one trace (:func:`~._trace.trace_model`,
:class:`OutputInfo`); this module interprets them, for CAM targets, the top-k list, prediction
ranking and the trust checks. :func:`output_info` and :func:`output_index` are the entry points
of widgets (they fill their class and output menus); the rest is the API of the compute modules
that read outputs (``cam``, ``trust``, ``maximize``):

* :func:`choose_output` / :func:`pick_output` — which output ``output=`` names, and that tensor;
* :func:`check_targets` — a ``target=`` argument as a list of class indices (or one callable);
* :func:`class_scores` / :func:`per_class` — the explained scores per class, in ``keras.ops``;
* :func:`callable_scores` — a user's score callable, applied and checked;
* :func:`probabilities` — class probabilities as the model means them (numpy);
* :func:`as_float` — every tensor of a (nested) output as float32.
"""

from __future__ import annotations

import keras
import numpy as np
from keras import ops

from ._access import access
from ._trace import OutputInfo

__all__ = ["OutputInfo", "as_float", "callable_scores", "check_targets", "choose_output",
           "class_labels", "class_scores", "image_shaped", "output_index", "output_info",
           "per_class", "pick_output", "probabilities"]


def output_info(model) -> tuple[OutputInfo, ...]:
    """The outputs of ``model``: name, shape, kind and class count of each (one cached trace).

    Parameters
    ----------
    model : keras.Model

    Returns
    -------
    tuple of OutputInfo
        In ``keras.tree.flatten`` order (a dict output by key). ``kind`` is ``"softmax"``,
        ``"binary"`` (one sigmoid unit, read as two classes), ``"multilabel"`` or ``"scores"``;
        ``num_classes`` is how many class indices a target may name.

    Examples
    --------
    >>> import convviz_widgets as cv
    >>> [(o.kind, o.num_classes) for o in cv.compute.output_info(cv.demo_model())]  # doctest: +SKIP
    [('softmax', 5)]
    """
    return access(model).trace().outputs


def output_index(model, output=None, *, allow_all: bool = False) -> int | None:
    """Which output of ``model`` the ``output=`` argument of the compute functions names.

    Parameters
    ----------
    model : keras.Model
    output : int, str or None
        An index, an output name, or ``None`` (the only output of a one-output model).
    allow_all : bool
        Return ``None`` for ``output=None`` on a model with several outputs (a callable target
        then receives all of them) instead of raising.

    Returns
    -------
    int or None

    Raises
    ------
    ValueError, TypeError
        An unknown name, an index out of range, or ``None`` for a several-output model; the
        message lists the outputs.

    Examples
    --------
    >>> import convviz_widgets as cv
    >>> cv.compute.output_index(cv.demo_model())                           # doctest: +SKIP
    0
    """
    acc = access(model)
    return choose_output(acc.trace().outputs, output, acc.model.name, allow_all=allow_all)


def image_shaped(o: OutputInfo) -> bool:
    """True for an output that is itself an image: ``(n, h, w, channels)`` with a spatial size
    larger than 1x1 (a U-Net's mask, a segmentation or edge map, any dense prediction).

    Such an output has no "class" to name: its targets are regions of output pixels
    (:class:`~convviz_widgets.compute.cam.Region`).

    Examples
    --------
    >>> import convviz_widgets as cv
    >>> cv.compute.image_shaped(cv.compute.output_info(cv.demo_model())[0])  # doctest: +SKIP
    False
    """
    shape = tuple(o.shape)
    return len(shape) == 4 and not (shape[1] == 1 and shape[2] == 1)


def class_labels(model, class_names=None, *, output=None, negative: str = "not {}",
                 unnamed: str = "class {}") -> list[str]:
    """The name of every class index a target may take, as the views and figures show them.

    One rule for every place a class is named (top-k lists, Grad-CAM targets, galleries,
    figures): a model ending in **one sigmoid unit** has two class indices, 0 (probability
    ``1 - p``) and 1 (``p``). One name for it names the **positive** class, index 1, the one
    the unit says "yes" to (``["dog"]`` on a cats-vs-dogs model); index 0 is then ``"not
    dog"``. Two names are ``[negative, positive]``. Any other model takes one name per class.

    Parameters
    ----------
    model : keras.Model
    class_names : list of str, optional
        ``None``: ``"class 0"``, ``"class 1"``… (``unnamed``).
    output : int or str, optional
        For a model with several outputs, which one.
    negative : str
        How index 0 of a one-sigmoid-unit model is named from the one positive name (a
        ``str.format`` pattern; the widgets pass their translation, e.g. ``"no {}"``).
    unnamed : str
        Pattern for classes without a name.

    Returns
    -------
    list of str
        One name per class index (``[]`` when the output has no class count).

    Raises
    ------
    ValueError
        A number of names that does not fit the output; the message says what to pass.

    Examples
    --------
    >>> import keras, convviz_widgets as cv
    >>> m = keras.Sequential([keras.Input((8, 8, 1)), keras.layers.Conv2D(2, 3),
    ...                       keras.layers.Flatten(), keras.layers.Dense(1, activation="sigmoid")])
    >>> cv.compute.class_labels(m, ["star"])
    ['not star', 'star']
    >>> cv.compute.class_labels(m, ["cat", "dog"])
    ['cat', 'dog']
    """
    acc = access(model)
    outputs = acc.trace().outputs
    oi = choose_output(outputs, output, acc.model.name, allow_all=True)
    o = outputs[oi] if oi is not None else None
    n = o.num_classes if o is not None else None
    names = None if class_names is None else [str(c) for c in class_names]
    if isinstance(class_names, str):
        names = [class_names]  # one name, not one name per character
    if names is None:
        return [unnamed.format(i) for i in range(n or 0)]
    if o is not None and o.kind == "binary":
        if len(names) == 1:
            return [negative.format(names[0]), names[0]]
        if len(names) == 2:
            return names
        raise ValueError(
            f"Model {acc.model.name!r} ends in one sigmoid unit, so it answers one yes/no "
            f"question; got {len(names)} class names {names}. Pass one name, the class the "
            f"unit says yes to (class_names=[{names[-1]!r}]), or two, [negative, positive] "
            f"(class_names=[{('not ' + names[-1])!r}, {names[-1]!r}]).")
    if n is not None and len(names) != n:
        one, what = ("channel", "channels") if image_shaped(o) else ("class", "classes")
        raise ValueError(
            f"Model {acc.model.name!r} has {n} {what} in output {o.name!r} but got "
            f"{len(names)} class names; pass exactly {n} names, one per {one} in index "
            "order (or none, for 'class 0', 'class 1', …).")
    return names


def pick_output(out, index):
    """The chosen output of a model call (``index=None``: the whole structure).

    Parameters
    ----------
    out : tensor, list or dict
        What the model returned.
    index : int or None
        Position in ``keras.tree.flatten(out)`` (from :func:`choose_output`).

    Examples
    --------
    >>> pick_output({"a": 1, "b": 2}, 1), pick_output([3, 4], None)
    (2, [3, 4])
    """
    return out if index is None else keras.tree.flatten(out)[index]


def choose_output(outputs, output, model_name: str, *, allow_all: bool = False):
    """Index of the output that ``output=`` names among ``outputs``.

    :func:`output_index` for a model; this one takes the outputs already traced.

    Parameters
    ----------
    outputs : tuple of OutputInfo, or anything with an ``outputs`` attribute (a ModelTrace)
    output : int, str or None
        Index, name, or ``None`` (the only output of a one-output model).
    model_name : str
        For the error messages.
    allow_all : bool
        ``output=None`` on a several-output model gives ``None`` ("all of them", what a callable
        target receives) instead of raising.

    Returns
    -------
    int or None

    Examples
    --------
    >>> class O:
    ...     def __init__(self, name): self.name = name
    >>> choose_output((O("mask"), O("label")), "label", "unet")
    1
    >>> choose_output((O("mask"), O("label")), None, "unet", allow_all=True) is None
    True
    """
    outputs = getattr(outputs, "outputs", outputs)
    names = [o.name for o in outputs]
    if output is None:
        if len(names) == 1:
            return 0
        if allow_all:
            return None
        raise ValueError(
            f"Model {model_name!r} has {len(names)} outputs {names}; say which one to explain "
            f"with output=0 (an index) or output={names[0]!r} (a name). A callable target "
            "without output= receives all of them (e.g. target=lambda ys: ys[1][:, 0]).")
    if isinstance(output, str):
        if output in names:
            return names.index(output)
        raise ValueError(f"Model {model_name!r} has no output named {output!r}; its outputs "
                         f"are {names} (or pass an index from 0 to {len(names) - 1}).")
    if isinstance(output, (bool, np.bool_)) or not isinstance(output, (int, np.integer)):
        raise TypeError(f"output must be an index or the name of a model output, got "
                        f"{output!r}; the outputs are {names}.")
    if not 0 <= int(output) < len(names):
        raise ValueError(f"output={output} is out of range: model {model_name!r} has "
                         f"{len(names)} output{'s' if len(names) != 1 else ''} {names}; use 0 "
                         f"to {len(names) - 1}.")
    return int(output)


def per_class(out):
    """Model output ``(k, ...)`` as ``(k, classes)``: spatial outputs are averaged per channel.

    Examples
    --------
    >>> tuple(per_class(ops.ones((2, 4, 4, 3))).shape), tuple(per_class(ops.ones((2,))).shape)
    ((2, 3), (2, 1))
    """
    out = ops.cast(out, "float32")
    rank = len(out.shape)
    if rank == 1:
        return out[:, None]  # (k,) -> (k, 1)
    if rank > 2:
        return ops.mean(out, axis=tuple(range(1, rank - 1)))
    return out


def class_scores(y, kind: str):
    """``(k, classes)`` explained scores: a one-unit sigmoid's logit ``z`` becomes ``[-z, z]``.

    Parameters
    ----------
    y : tensor
        Logits (or scores) of one output, ``(k, ...)``.
    kind : str
        :attr:`OutputInfo.kind` of that output (``"binary"`` for one sigmoid unit).

    Examples
    --------
    >>> ops.convert_to_numpy(class_scores(ops.convert_to_tensor([[2.0]]), "binary")).tolist()
    [[-2.0, 2.0]]
    """
    per = per_class(y)
    if kind == "binary":
        per = ops.concatenate([-per, per], axis=1)  # class 0 ("not") is explained by -z
    return per


def as_float(out):
    """Every tensor of a (nested) model output cast to float32.

    Examples
    --------
    >>> keras.backend.standardize_dtype(as_float([ops.convert_to_tensor([1], "int32")])[0].dtype)
    'float32'
    """
    return keras.tree.map_structure(lambda t: ops.cast(t, "float32"), out)


def callable_scores(target, out, k):
    """One score per sample from a user's target callable, ``(n,)`` float32.

    Parameters
    ----------
    target : callable
        Maps the model output (tensor, or list/dict for ``output=None`` on a several-output
        model) to scores with Keras ops (``keras.ops``, or TensorFlow ops on TensorFlow).
    out : tensor, list or dict
        What ``target`` receives.
    k : int or None
        The expected number of samples, to refuse a shape that is not one score per sample.

    Raises
    ------
    ValueError
        The callable raised, returned a structure, or a shape that is not ``(n,)``; the message
        says what it receives and must return.

    Examples
    --------
    >>> ops.convert_to_numpy(callable_scores(lambda y: y[:, 0], ops.ones((2, 3)), 2)).tolist()
    [1.0, 1.0]
    """
    try:
        s = target(out)
    except Exception as exc:  # noqa: BLE001 - re-raised with what the callable receives
        shapes = keras.tree.map_structure(lambda t: tuple(t.shape), out)
        raise ValueError(
            f"The target callable raised {type(exc).__name__}: {exc}. It receives the model "
            f"output, float tensors of shape {shapes}, and must return one score per "
            "sample, shape (n,), using TensorFlow/Keras ops, i.e. keras.ops on every backend (it "
            "is differentiated).") from exc
    if isinstance(s, (list, tuple, dict)):
        raise ValueError(f"The target callable returned a {type(s).__name__}; it must return "
                         "one tensor of scores, shape (n,). For a model with several outputs "
                         "pick one inside the callable (lambda ys: ys[1][:, 0]) or pass "
                         "output=.")
    s = ops.cast(ops.convert_to_tensor(s), "float32")
    rank = len(s.shape)
    if rank == 0:
        s = ops.reshape(s, (1,))  # a scalar for one sample -> (1,)
    elif rank > 1:
        size = None if None in tuple(s.shape) else int(np.prod(tuple(s.shape)))
        if size is not None and k is not None and size != k:
            raise ValueError(f"The target callable returned shape {tuple(s.shape)}; it must "
                             "return one score per sample, shape (n,) (reduce the other axes, "
                             "e.g. with keras.ops.mean(..., axis=(1, 2, 3))).")
        s = ops.reshape(s, (-1,))  # (n, 1) -> (n,)
    return s


def _looks_like_probabilities(per: np.ndarray) -> bool:
    """Rows that are already a probability distribution (a softmax the trace could not see,
    e.g. a softmax op inside a subclassed ``call``): softmaxing them again would be wrong."""
    return bool(per.size and np.isfinite(per).all() and per.min() >= 0.0 and
                np.allclose(per.sum(axis=1), 1.0, atol=1e-3))


def probabilities(out: np.ndarray, o: OutputInfo) -> np.ndarray:
    """``(n, classes)`` class probabilities as the model means them.

    A softmax output as it is; a one-unit sigmoid as ``[1 - p, p]``; multi-label sigmoid units
    each as their own ``p``; raw scores for several classes through a softmax (what Score-CAM
    and the top-k list show), unless their rows already sum to 1.

    Parameters
    ----------
    out : ndarray
        One output of the model, ``(n, ...)`` (spatial outputs are averaged per channel).
    o : OutputInfo
        That output's facts (its ``kind``).

    Examples
    --------
    >>> class Binary:
    ...     kind = "binary"
    >>> probabilities(np.array([[0.75]], np.float32), Binary()).tolist()
    [[0.25, 0.75]]
    """
    per = out.reshape(out.shape[0], -1) if out.ndim == 1 else out  # (n,) -> (n, 1)
    if per.ndim > 2:
        per = per.mean(axis=tuple(range(1, per.ndim - 1)))  # (n, ..., K) -> (n, K)
    per = per.astype(np.float32)
    if o.kind == "binary":
        return np.concatenate([1.0 - per[:, :1], per[:, :1]], axis=1)
    if o.kind == "scores" and per.shape[-1] > 1 and not _looks_like_probabilities(per):
        z = per - per.max(axis=1, keepdims=True)
        e = np.exp(z)
        return (e / e.sum(axis=1, keepdims=True)).astype(np.float32)
    return per


def check_targets(target, o: OutputInfo | None, model_name: str) -> tuple[list, bool]:
    """A ``target=`` argument as ``(targets, was_list)``, checked against the output.

    Parameters
    ----------
    target : int, None, list of int/None, ndarray or callable
        A class index, ``None`` (top-1), several of them, or one score callable.
    o : OutputInfo or None
        The explained output (``None``: no class count to check against).
    model_name : str
        For the error messages.

    Returns
    -------
    (list, bool)
        The targets (ints, ``None`` for top-1, or ``[callable]``) and whether a list was passed.

    Raises
    ------
    ValueError, TypeError
        An empty list, a non-integer, or a class index outside the output (the message gives
        the valid range).

    Examples
    --------
    >>> check_targets([0, None], None, "m"), check_targets(3, None, "m")
    (([0, None], True), ([3], False))
    """
    if callable(target) and not isinstance(target, type):
        return [target], False
    was_list = isinstance(target, (list, tuple, np.ndarray))
    items = list(np.asarray(target).ravel()) if isinstance(target, np.ndarray) else \
        (list(target) if was_list else [target])
    if was_list and not items:
        raise ValueError("target is an empty list; pass class indices, e.g. target=[0, 3].")
    n = o.num_classes if o is not None else None
    out = []
    for t in items:
        if t is None:
            out.append(None)
            continue
        if isinstance(t, (bool, np.bool_)) or not isinstance(t, (int, np.integer)):
            raise TypeError(
                f"target must be a class index (int), None (top-1 class), a list of class "
                f"indices or a callable mapping the model output to one score per sample; got "
                f"{t!r} of type {type(t).__name__}.")
        t = int(t)
        if n is not None and not 0 <= t < n:
            if n == 1 and len(o.shape) > 2:
                hint = ("Its output has one channel, so the only index is 0 (the channel's mean); "
                        "to explain a region pass a callable, e.g. target=lambda y: "
                        "keras.ops.sum(y * mask, axis=(1, 2, 3)).")
            elif n == 1:
                hint = ("The model has a single output unit without a sigmoid, so the only index "
                        "is 0; for the opposite direction pass target=lambda y: -y[:, 0].")
            elif o.kind == "binary":
                hint = ("It ends in one sigmoid unit, read as two classes: 0 (probability "
                        "1 - p) and 1 (probability p).")
            else:
                hint = f"Use a class index from 0 to {n - 1}."
            raise ValueError(
                f"target {t} does not fit the output {o.name!r} of model {model_name!r}, shape "
                f"{o.shape}: it has {n} class{'es' if n != 1 else ''}. {hint}")
        out.append(t)
    return out, was_list
