"""The head state a fresh Grad-CAM pass keeps for the image's next class (issues 25/27).

Where the backend can keep a pullback after the compiled call that made it
(:data:`~..backend.KEEPS_PULLBACK`), the fresh pass of :mod:`._engine` returns the head's
per-class scores and its pullback; the model's cache keeps them next to the feature map, and a
class switch is then the head's backward pass alone (:func:`kept_gradients`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
from keras import ops

from .. import backend

#: What a kept head state is counted as in the model's byte-bounded cache, in feature maps of
#: the explained layer (the residuals are the head's activations; the weights are shared).
KEPT_MAPS = 4


@dataclass(frozen=True)
class Kept:
    """A fresh pass's head state: the per-class scores ``(classes,)`` (numpy) and the pullback
    from them to the map."""

    per: np.ndarray
    pullback: Callable
    nbytes: int


def kept_gradients(kept, codes):
    """``(scores (k,), classes (k,), grads (k, h, w, c))`` of class targets ``codes`` (-1: the
    top class) from a kept head state: the head's backward pass alone.

    The seeds are numpy (``kept.per`` is): as eager tensor ops, the argmax (Keras' own, which
    rewrites -0.0 first), the one-hot and the gather cost ~3 ms a call on TensorFlow, more than
    the demo model's whole backward pass. The argmax keeps Keras' rule.
    """
    per = kept.per
    ranked = np.where((per == 0) & np.signbit(per), -np.finfo(per.dtype).tiny, per)
    chosen = np.where(codes < 0, np.argmax(ranked), codes).astype(np.int32)
    seeds = np.eye(per.shape[0], dtype=per.dtype)[chosen][:, None]  # (k, 1, classes)
    with backend.no_grad():
        grads = kept.pullback(ops.convert_to_tensor(seeds))
    return per[chosen], chosen, backend.to_numpy(grads)[:, 0]
