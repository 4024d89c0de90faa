"""The weights fingerprint's documented rule in NumPy, and a mix of variables that exercises
every branch of it (dtypes, ranks, a part read whole above the concatenation size, a variable
sampled by its head and rows). Shared by ``test_identity_fingerprint.py`` (this process's
backend) and ``backend_probes/access.py`` (JAX and PyTorch, in their own Pythons, where
``hypothesis`` and the rest of the suite's conftest are not installed)."""

from __future__ import annotations

import keras
import numpy as np

from convviz_widgets.compute import backend
from convviz_widgets.compute._identity import (_FP_CONCAT_MAX, _FP_EXACT_MAX, _FP_HEAD,
                                               _FP_MIX, _sample_rows, fingerprint_tensor)


def reference_fingerprint(values, concat_all=False) -> np.ndarray:
    """The documented rule in NumPy: every value's int32 words (the head and sampled rows of a
    variable above the exact size), parts up to ``_FP_CONCAT_MAX`` words first and joined in
    variable order, then the larger parts; each word folded; a plain and a position-weighted
    wrapping sum."""
    def words(a):
        a = np.ascontiguousarray(a).reshape(-1)
        if a.dtype.itemsize in (4, 8):
            return a.view(np.int32)
        if a.dtype.itemsize == 2:
            return a.view(np.int16).astype(np.int32)
        return a.astype(np.int32)

    small, large = [], []
    for v in values:
        if v.size > _FP_EXACT_MAX:
            small.append(words(v.reshape(-1)[:_FP_HEAD]))
            last = v.shape[-1]
            v = v.reshape(-1, last)[::_sample_rows(v.shape)]
        w = words(v)
        if w.size:
            (small if w.size <= _FP_CONCAT_MAX or concat_all else large).append(w)
    parts = ([np.concatenate(small)] if small else []) + large
    allw = np.concatenate(parts).astype(np.int64) if parts else np.zeros(0, np.int64)
    u = allw & 0xFFFFFFFF
    folded = u ^ (u >> 16)
    pos = np.arange(allw.size, dtype=np.int64)
    weights = (pos * (2 * _FP_MIX) + 1) & 0xFFFFFFFF
    plain = int(folded.sum() % 2**32)
    mixed = int(sum(int(f) * int(w) for f, w in zip(folded, weights)) % 2**32)
    return np.array([plain, mixed], np.uint32).view(np.int32)


def mixed_values() -> list:
    """NumPy values of every kind the rule distinguishes (float64 left out on JAX, which keeps
    it off by default)."""
    rng = np.random.default_rng(3)
    values = [rng.standard_normal(10).astype("float32"),
              rng.standard_normal((3, 4)).astype("float16"),
              rng.standard_normal(7).astype("float16"),
              np.arange(5, dtype="int32"),
              rng.standard_normal((3, 3, 8, 300)).astype("float32"),  # 21,600: a large part
              rng.standard_normal((300, 250)).astype("float32"),  # 75,000: head + rows
              np.float32(2.5).reshape(()),
              rng.standard_normal(6).astype("float32")]
    if backend.NAME != "jax":
        values.insert(1, rng.standard_normal((2, 5)).astype("float64"))
    return values


def follows_the_rule(variables) -> bool:
    """Whether :func:`fingerprint_tensor` of ``variables`` is the rule's value (PyTorch joins
    every part in variable order: the rule's ``concat_all``)."""
    with backend.no_grad():
        got = keras.ops.convert_to_numpy(fingerprint_tensor(variables))
    want = reference_fingerprint([np.asarray(keras.ops.convert_to_numpy(v)) for v in variables],
                                 concat_all=backend.NAME == "torch")
    return bool(np.array_equal(got, want))
