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

from .. import backend
from .._identity import identity_from, weights_ids

#: What a kept head state is counted as in the model's byte-bounded cache, in feature maps of
#: the explained layer (the residuals are the head's activations; the weights are shared).
KEPT_MAPS = 4


@dataclass(frozen=True)
class Kept:
    """A fresh pass's head state: the per-class scores ``(classes,)`` (numpy), the pullback
    from them to the map (it returns the weights fingerprint too), and the weights identity it
    was made with."""

    per: np.ndarray
    pullback: Callable
    nbytes: int
    version: tuple


def kept_gradients(kept, codes):
    """``(scores (k,), classes (k,), grads (k, h, w, c), weights fingerprint)`` of class targets
    ``codes`` (-1: the top class) from a kept head state: the head's backward pass alone, and
    the fingerprint read in the same compiled call; ``None`` when the kept state is stale
    (the backend said so: PyTorch, a weight written in place since).

    The seeds are numpy (``kept.per`` is): as eager tensor ops, the argmax (Keras' own, which
    rewrites -0.0 first), the one-hot and the gather cost ~3 ms a call on TensorFlow, more than
    the demo model's whole backward pass. The argmax keeps Keras' rule.
    """
    per = kept.per
    ranked = np.where((per == 0) & np.signbit(per), -np.finfo(per.dtype).tiny, per)
    chosen = np.where(codes < 0, np.argmax(ranked), codes).astype(np.int32)
    seeds = np.eye(per.shape[0], dtype=per.dtype)[chosen][:, None]  # (k, 1, classes)
    with backend.no_grad():
        grads, fingerprint = kept.pullback(seeds)
    if grads is None:
        return None
    grads, fingerprint = backend.to_numpy((grads, fingerprint))
    return per[chosen], chosen, grads[:, 0], fingerprint


def kept_key(path, digest, pkey, oi) -> tuple:
    """The cache key of one image's kept head state: without the weights identity, which the
    :class:`Kept` holds and :func:`kept_switch` checks (a newer fresh pass replaces it)."""
    return ("cam_kept", digest, pkey, path, oi)


def kept_switch(acc, key, codes, keys_for):
    """A class switch from the image's kept head state: ``(A, [outputs], scores, classes,
    grads)``, or ``None`` (the caller runs it another way).

    Optimistic: the kept backward pass computes the weights fingerprint in its own compiled
    call (``also`` of :func:`~..backend.compile`), and its result is used only if that
    identity, read now, is the one the kept state was made with and the map and outputs are
    cached under it (``keys_for(identity)``); otherwise the work is dropped and the caller
    reads the identity and runs the head. Reading the identity first was a compiled call of
    its own: 0.3-0.5 ms, 0.13-0.2x of the demo model's forward pass (docs/architecture.md,
    "The fixed cost per call"). Looked up only if present (a lookup that cannot hit would
    count as a cache miss).
    """
    kept = acc.cache.get(key) if key in acc.cache else None
    if kept is None:
        return None
    found = kept_gradients(kept, codes)
    if found is None:  # it can never run again (a state of other weights may: kept, below)
        acc.cache.discard(key)
        return None
    scores, classes, grads, fingerprint = found
    version = identity_from(weights_ids(acc.model), fingerprint)
    if version != kept.version:  # other weights now; a later restore may match again
        return None
    keys = keys_for(version)
    a, outs = acc.cache.get(keys[0]), acc.cache.get(keys[1])
    if a is None or outs is None:
        return None
    return a, outs, scores, classes, grads


def kept_also(fn, value):
    """A kept pullback's ``also`` (:func:`~..backend.compile`): ``fn``, recomputed at each
    backward run, with ``value``, what it computes in the trace at hand, as ``.value``. A
    backend that traces the backward pass into the fresh pass's graph (TensorFlow) fetches
    that tensor instead of tracing ``fn`` a second time (its ops still read the weights at
    each backward run); the others call ``fn``."""

    def also():
        return fn()

    also.value = value
    return also
