"""The model's class scores before its softmax / sigmoid, inside a maximisation step.

Maximising a softmax probability is a poor objective: it grows as fast by suppressing the other
classes as by making the image look like the class, and it saturates at 1. The lessons (and
Simonyan et al. 2014) maximise the *logit* instead. The model's output layer computes it already
before its activation, so the step is traced with that activation dropped — the same mechanism
(and the same patch lock) as the class scores of :mod:`convviz_widgets.compute.cam`, reused
here rather than repeated.
"""

from __future__ import annotations

import keras

# The model's one trace and its one activation patch (compute/_model_trace.py): the same code
# CAM uses.
from .._model_trace import linear_final, run_model
from ..outputs import class_scores
from .objectives import LOGITS

__all__ = ["LOGITS", "logit_features", "class_count", "output_layer"]


def _first_output(acc):
    meta = acc.trace()
    if not meta.outputs:
        raise ValueError(f"Model {acc.model.name!r} has no output to read class scores from.")
    return meta.outputs[0]


def output_layer(acc) -> str | None:
    """Path of the layer whose output is the model's (first) output, if one layer is."""
    return _first_output(acc).final_path


def class_count(acc) -> int:
    """Classes of the (first) output: its last dimension, 2 for a one-unit sigmoid.

    Examples
    --------
    >>> class_count(access(cv.demo_model()))        # doctest: +SKIP
    5
    """
    o = _first_output(acc)
    units = int(o.shape[-1]) if len(o.shape) >= 2 and o.shape[-1] is not None else 1
    return 2 if o.kind == "binary" else units


def logit_features(acc, x, paths, capture_inputs=()):
    """``(captured outputs of paths, logits (n, classes))`` of the model on input ``x``.

    Called while a step is traced: the output layer's activation is dropped only then.
    ``capture_inputs`` are layers whose input to capture too (``run_model``).
    """
    o = _first_output(acc)
    read_input = o.logit_from == "input"
    with linear_final(acc, o, active=True):
        out, captured = run_model(acc, x, tuple(paths), capture_inputs=tuple(capture_inputs) + (
            (o.final_path,) if read_input else ()))
    y = keras.tree.flatten(out)[0]
    logits = captured[("input", o.final_path)] if read_input else y
    return captured, class_scores(logits, o.kind)
