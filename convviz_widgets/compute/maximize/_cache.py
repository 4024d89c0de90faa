"""Result cache for filter patterns: in memory (the model's LRU) and optionally on disk.

A result is stored per filter under a key made of a fingerprint of the model's weights, the
layer, the filter, every setting that changes the optimisation, and the seed. Keys must survive
a kernel restart for the disk cache, so nothing in them is an ``id()`` or an auto-generated
model name: the weights are fingerprinted by value and the ``preprocess`` callable by its code.
"""

from __future__ import annotations

import hashlib
import os
import pathlib
import tempfile
from typing import Any, Callable

import numpy as np
import tensorflow as tf

__all__ = ["weights_fingerprint", "callable_fingerprint", "ResultCache"]

#: Values sampled per weight tensor for the fingerprint (plus its sum, which sees every value).
_SAMPLES = 1024


def weights_fingerprint(model) -> str:
    """A hex digest of the model's weights: shapes, a strided sample of values, and sums.

    Reading every byte of VGG16's 138 M weights into Python to hash them would take longer than
    optimising a pattern, so each tensor contributes ≤ 1024 evenly spaced values and its sum
    (computed in TensorFlow). Training or ``set_weights`` changes both.

    Examples
    --------
    >>> len(weights_fingerprint(model))                 # doctest: +SKIP
    32
    """
    h = hashlib.blake2b(digest_size=16)
    for i, v in enumerate(model.weights):
        t = tf.reshape(tf.convert_to_tensor(v.value), [-1])  # (size,) flat view of the weight
        n = int(t.shape[0])
        stride = max(1, n // _SAMPLES)
        h.update(f"{i}:{tuple(v.shape)}:{v.dtype}".encode())
        h.update(np.ascontiguousarray(t[::stride].numpy()).tobytes())
        h.update(np.float64(tf.reduce_sum(tf.cast(t, tf.float32)).numpy()).tobytes())
    return h.hexdigest()


def _value_token(v: Any, depth: int = 0) -> str:
    if depth > 3:
        return "…"
    if isinstance(v, (int, float, str, bool, bytes, type(None))):
        return repr(v)
    if isinstance(v, (tuple, list)):
        return "(" + ",".join(_value_token(x, depth + 1) for x in v) + ")"
    if isinstance(v, np.ndarray):
        return hashlib.blake2b(np.ascontiguousarray(v).tobytes(), digest_size=8).hexdigest()
    if callable(v):
        return callable_fingerprint(v, depth + 1)
    return type(v).__qualname__


def callable_fingerprint(fn: Callable | None, depth: int = 0) -> str:
    """A digest of what a callable computes: its code, constants, defaults and closure values.

    Two lambdas typed the same way in two sessions get the same fingerprint, so re-running a
    notebook finds its disk-cached results; changing the code or a captured number does not.

    Examples
    --------
    >>> callable_fingerprint(lambda x: x * 2) == callable_fingerprint(lambda x: x * 2)
    True
    >>> callable_fingerprint(lambda x: x * 2) == callable_fingerprint(lambda x: x * 3)
    False
    """
    if fn is None:
        return "none"
    parts = [getattr(fn, "__module__", "") or "", getattr(fn, "__qualname__", type(fn).__qualname__)]
    code = getattr(fn, "__code__", None)
    if code is not None:
        parts.append(code.co_code.hex())
        parts.append(_value_token(tuple(c for c in code.co_consts if not hasattr(c, "co_code")),
                                  depth))
        parts.append(",".join(code.co_names))
        parts.append(_value_token(getattr(fn, "__defaults__", None), depth))
        cells = getattr(fn, "__closure__", None) or ()
        parts.append(_value_token(tuple(getattr(c, "cell_contents", None) for c in cells), depth))
    elif hasattr(fn, "func"):  # functools.partial
        parts += [callable_fingerprint(fn.func, depth + 1), _value_token(fn.args, depth),
                  _value_token(tuple(sorted(fn.keywords.items())), depth)]
    else:
        parts.append(repr(fn) if "0x" not in repr(fn) else type(fn).__qualname__)
    return hashlib.blake2b("|".join(parts).encode(), digest_size=12).hexdigest()


class ResultCache:
    """Per-filter results of one maximisation setting, in memory and optionally on disk.

    Parameters
    ----------
    memory : ByteLRU or None
        The model's in-memory cache (``access(model).cache``).
    settings : tuple
        Everything but the filter that determines a result (hashable, repr-stable).
    cache_dir : str or path, optional
        Directory for ``.npz`` files; created on first write.

    Examples
    --------
    >>> from convviz_widgets.compute._cache import ByteLRU
    >>> c = ResultCache(ByteLRU(10**6), ("demo", 1))
    >>> c.put(3, (np.zeros((2, 2, 1), np.float32), 1.5, 0.5, np.ones(4, np.float32)))
    >>> c.get(3)[1]
    1.5
    """

    def __init__(self, memory, settings: tuple, cache_dir=None):
        self.memory = memory
        self.settings = settings
        self.digest = hashlib.blake2b(repr(settings).encode(), digest_size=16).hexdigest()
        self.dir = pathlib.Path(cache_dir).expanduser() if cache_dir is not None else None

    def _mem_key(self, f: int):
        return ("maximize", self.digest, int(f))

    def _path(self, f: int) -> pathlib.Path:
        return self.dir / f"{self.digest}-{int(f)}.npz"

    def get(self, f: int):
        """``(image, activation, objective, history)`` for filter ``f``, or ``None``."""
        if self.memory is not None:
            hit = self.memory.get(self._mem_key(f))
            if hit is not None:
                return hit
        if self.dir is not None:
            path = self._path(f)
            if path.exists():
                try:
                    with np.load(path) as z:
                        item = (z["image"].astype(np.float32), float(z["activation"]),
                                float(z["objective"]), z["history"].astype(np.float32))
                except (OSError, KeyError, ValueError):  # a torn or foreign file: recompute
                    return None
                if self.memory is not None:
                    self.memory.put(self._mem_key(f), item)
                return item
        return None

    def put(self, f: int, item) -> None:
        """Store ``(image, activation, objective, history)`` for filter ``f``."""
        image, act, obj, hist = item
        item = (np.asarray(image, np.float32), float(act), float(obj),
                np.asarray(hist, np.float32))
        if self.memory is not None:
            self.memory.put(self._mem_key(f), item)
        if self.dir is not None:
            self.dir.mkdir(parents=True, exist_ok=True)
            # Write then rename: a reader never sees a half-written file.
            fd, tmp = tempfile.mkstemp(dir=self.dir, suffix=".tmp")
            try:
                with os.fdopen(fd, "wb") as fh:
                    np.savez(fh, image=item[0], activation=np.float32(item[1]),
                             objective=np.float32(item[2]), history=item[3])
                os.replace(tmp, self._path(f))
            except BaseException:
                if os.path.exists(tmp):
                    os.unlink(tmp)
                raise
