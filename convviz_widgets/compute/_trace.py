"""The one symbolic trace of a model: what every view needs to know about it.

:func:`trace_model` traces (never runs) the model once through :func:`._model_trace.run_model`
with every layer captured, and records each layer's output shape and call count, the completion
order, which layer produces each output and whether it ends in softmax/sigmoid
(:class:`OutputInfo`). :meth:`ModelAccess.trace <._access.ModelAccess.trace>` keeps the result.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import keras

from . import backend
from ._model_trace import float_feed, run_model
from ._structure import _has_inputs

__all__ = ["ModelTrace", "OutputInfo", "trace_model"]

_PROBABILITY_ACTIVATIONS = ("softmax", "sigmoid")


@dataclass(frozen=True)
class OutputInfo:
    """One output of the model, and how its class scores and probabilities are read.

    Attributes
    ----------
    name : str
        The output's name (``model.output_names``, the dict key, or its last layer's name).
    shape : tuple
        Output shape with the batch dimension as ``None``.
    final_path : str or None
        The layer whose output *is* this output.
    activation : str or None
        ``"softmax"`` or ``"sigmoid"`` when that layer applies one.
    logit_from : str or None
        How the logit is read: ``"patch"`` (drop the layer's activation while tracing,
        :class:`linear_final`) or ``"input"`` (read the input of an ``Activation``/``Softmax``
        layer).
    kind : str
        What the output *means*:

        * ``"softmax"``: probabilities over classes; classes are explained by the logits.
        * ``"binary"``: one sigmoid unit, read as two classes: class 1 has probability ``p``
          and is explained by the logit ``z``; class 0 has ``1 - p`` and is explained by ``-z``.
        * ``"multilabel"``: several sigmoid units, each its own yes/no (no softmax across
          units), each explained by its logit.
        * ``"scores"``: anything else (raw logits, regression, a segmentation map);
          probabilities are the softmax of several scores unless they already are probabilities.
    """

    name: str
    shape: tuple
    final_path: str | None
    activation: str | None
    logit_from: str | None
    kind: str

    @property
    def num_classes(self) -> int | None:
        """Classes a target index may name: 2 for a binary output, the last axis otherwise
        (1 for an output without one, ``None`` when it is unknown)."""
        if self.kind == "binary":
            return 2
        if len(self.shape) <= 1:
            return 1
        return self.shape[-1]


@dataclass(frozen=True)
class ModelTrace:
    """What one symbolic trace of the model tells (see :func:`trace_model`).

    Attributes
    ----------
    order : tuple of str
        Layer paths in the order their first call *completed* (a nested backbone after its last
        layer).
    shapes : dict
        ``{path: output shape of the first call}``, batch as ``None``; ``()`` for a non-tensor.
        Layers that did not run are missing.
    calls : dict
        ``{path: how many times the layer ran}``.
    outputs : tuple of OutputInfo
        The model's outputs, in ``keras.tree.flatten`` order.
    structured : bool
        True when the model returns a list/tuple/dict rather than one tensor.
    """

    order: tuple
    shapes: dict
    calls: dict
    outputs: tuple
    structured: bool


def _activation_name(layer) -> str | None:
    if type(layer).__name__ == "Softmax":
        return "softmax"
    name = getattr(getattr(layer, "activation", None), "__name__", None)
    return name if name in _PROBABILITY_ACTIVATIONS else None


def _output_kind(activation: str | None, shape: tuple) -> str:
    units = shape[-1] if len(shape) >= 2 else 1
    if activation == "softmax":
        return "softmax"
    if activation == "sigmoid":
        return "binary" if units == 1 else "multilabel"
    return "scores"


def _output_names(model, out, n: int, finals: list) -> list[str]:
    if isinstance(out, dict):
        return [str(k) for k in sorted(out)]  # keras.tree.flatten orders a dict by key
    names = list(getattr(model, "output_names", None) or [])
    if len(names) == n and len(set(names)) == n:
        return [str(x) for x in names]
    names = [f.split("/")[-1] if f else f"output_{i}" for i, f in enumerate(finals)]
    return names if len(set(names)) == n else [f"output_{i}" for i in range(n)]


def trace_model(acc) -> ModelTrace:
    """Trace (not run) the model once and record what every view needs to know about it.

    Tracing gives every layer's static output shape for all model styles without computing
    anything (:func:`.backend.trace`: a TensorFlow graph, ``jax.eval_shape``; PyTorch runs one
    image of zeros). :meth:`ModelAccess.trace <convviz_widgets.compute.ModelAccess.trace>` keeps the
    result; call that instead of this.
    """
    rec: dict[str, Any] = {}

    def fn(x):
        out, cap = run_model(acc, x, acc.paths, all_calls=True)
        flat = keras.tree.flatten(out)
        rec["order"] = tuple(cap)
        rec["shapes"] = {p: [tuple(o.shape) if hasattr(o, "shape") else () for o in outs]
                         for p, outs in cap.items()}
        # The layer whose output tensor *is* the model output (the first to finish with it).
        rec["finals"] = [next((p for p, outs in cap.items() if any(o is t for o in outs)), None)
                         for t in flat]
        rec["outs"] = [tuple(t.shape) if hasattr(t, "shape") else () for t in flat]
        rec["structured"] = not (len(flat) == 1 and flat[0] is out)
        rec["names"] = _output_names(acc.model, out, len(flat), rec["finals"])
        return keras.ops.zeros(())

    # What model_input feeds: float32, also to an integer Input that takes floats (float_feed).
    dtype = "float32" if float_feed(acc) or not _has_inputs(acc.model) else \
        keras.backend.standardize_dtype(acc.model.inputs[0].dtype)
    # Traced at the size the model declares or was built on, not at "any size": a subclassed
    # model that takes any size may still do Python arithmetic on its input's static shape.
    _trace_at_any_size(fn, rec, tuple(acc.built_shape[1:]), dtype)
    shapes = {p: ((None,) + tuple(s[0][1:])) if s and s[0] else ()
              for p, s in rec["shapes"].items()}
    calls = {p: len(s) for p, s in rec["shapes"].items()}
    outputs = []
    for name, shape, final in zip(rec["names"], rec["outs"], rec["finals"]):
        shape = (None,) + tuple(shape[1:])
        layer = acc.layer(final) if final is not None else None
        act = _activation_name(layer) if layer is not None else None
        # A Dense/Conv layer's activation can be set to the identity while tracing; an
        # Activation or Softmax layer *is* the activation, so its input is the logit.
        how = None if act is None else (
            "input" if type(layer).__name__ in ("Softmax", "Activation") else "patch")
        outputs.append(OutputInfo(name, shape, final, act, how, _output_kind(act, shape)))
    return ModelTrace(rec["order"], shapes, calls, tuple(outputs), rec["structured"])


#: Two sizes for a dimension the model leaves unknown, on backends that trace with concrete
#: shapes (JAX, PyTorch): deep enough for five halvings, and different, so that every size that
#: follows the input's can be told apart from a fixed one.
_PROBE_SIZES = (96, 128)


def _trace_at_any_size(fn, rec: dict, shape: tuple, dtype) -> None:
    """``backend.trace(fn, (1, *shape))``, recording into ``rec``. TensorFlow keeps an unknown
    size unknown; JAX and PyTorch need a number: the model is traced at two sizes and every
    recorded size that differs between them is unknown (``None``), as on TensorFlow. (Tracing
    at 1 pixel, as before, failed at the first 3×3 convolution without padding.)"""
    if backend.NAME == "tensorflow" or None not in shape:
        backend.trace(fn, (1,) + shape, dtype)
        return
    seen = []
    for size in _PROBE_SIZES:
        backend.trace(fn, (1,) + tuple(size if d is None else d for d in shape), dtype)
        seen.append({"shapes": rec["shapes"], "outs": rec["outs"]})
    first, second = seen

    def merge(a, b):
        return tuple(x if x == y else None for x, y in zip(a, b)) if a and b else a

    rec["shapes"] = {p: [merge(a, b) for a, b in zip(first["shapes"][p], second["shapes"][p])]
                     for p in second["shapes"]}
    rec["outs"] = [merge(a, b) for a, b in zip(first["outs"], second["outs"])]
