"""What a cached result depends on: the identity of the weights and of the ``preprocess``.

Every cached result in :mod:`convviz_widgets.compute` (activations, CAM feature maps and heads,
maximized patterns, the KernelViewer's kernels) is keyed by two identities, defined here and
in :mod:`._preprocess_identity` and nowhere else:

* :func:`weights_identity` (model or layer): what the weights ARE, not how they got there —
  in memory; :func:`weights_digest` is the same rule spelled as a string for files on disk;
* :func:`~._preprocess_identity.preprocess_key` (the preprocess callable, in its own module):
  what the preprocess DOES, not which object it is; ``persistent_digest`` there spells a key
  made of such identities for files on disk.
"""

from __future__ import annotations

import functools
import hashlib
import math
import threading
import weakref
from typing import Any

import keras
import numpy as np

from . import backend

__all__ = ["fingerprint_fn", "fingerprint_tensor", "identity_from", "weights_digest",
           "weights_identity", "weights_ids"]

#: Variables up to this many values are read whole (every bit of every value counts); larger
#: ones through sampled rows (:func:`_sample_rows`). Reading every value is bandwidth-bound
#: (~0.6 ns per value, and more when a forward pass has just evicted the weights from the caches), and the activation
#: capture computes the identity on every fresh image: at 262,144 ResNet50's 36 exact kernels
#: (4.45 M values, 17.8 MB) cost 0.15x of its 128 px forward pass (session 32). Of the limits
#: measured (262,144 / 131,072 / 65,536, paired), 65,536 is the one whose capture graph came to
#: 1.2x with oneDNN off and on (131,072: 1.21-1.24x; session 33, docs/architecture.md), and it
#: keeps every kernel of the demo model (the largest: 36,864 values) and of the lessons' models
#: exact.
_FP_EXACT_MAX = 65_536
#: Values sampled from each larger variable (at least two per output unit, see
#: :func:`_sample_rows`).
_FP_SAMPLE = 2048
#: Parts up to this many values are summed as one concatenation (a few ops for all of them:
#: most of a ResNet's 320 variables are biases and BatchNorm vectors); larger ones are reduced
#: where they are, since copying them into a concatenation would cost a pass over memory.
#: PyTorch concatenates every part: it runs op by op, and each op's fixed cost is what counts
#: there (the demo model's identity took 1.8-2.6 ms with one reduction per part, 0.9-1.2 ms as one).
_FP_CONCAT_MAX = 4096
#: The first this many values of each larger variable are read as well as its sampled rows.
_FP_HEAD = 4096
#: The odd multiplier of the position weights (any odd number below 2**31 that is not small).
_FP_MIX = 40503
_FP_FNS: "weakref.WeakKeyDictionary[Any, tuple]" = weakref.WeakKeyDictionary()
_FP_LOCK = threading.Lock()


_BYTES = {"float16": 2, "bfloat16": 2, "int16": 2, "uint16": 2, "float32": 4, "int32": 4,
          "uint32": 4, "float64": 8, "int64": 8, "uint64": 8}


def _int32_bits(t, dt: str):
    """The bits of the 1-D ``t`` of dtype ``dt`` as 1-D int32 values (a reinterpretation, not
    a conversion)."""
    if dt == "int32":
        return t
    size = _BYTES.get(dt)
    if size in (4, 8):
        return keras.ops.view(t, "int32")  # 1-D stays 1-D (8 bytes: two int32 words a value)
    if size == 2:
        return keras.ops.cast(keras.ops.view(t, "int16"), "int32")
    return keras.ops.cast(t, "int32")


def _words(t, dt: str) -> int:
    """How many int32 words :func:`_int32_bits` makes of the 1-D ``t`` of dtype ``dt``."""
    n = int(t.shape[0])
    return 2 * n if _BYTES.get(dt) == 8 else n


def _joined_bits(parts):
    """:func:`_int32_bits` of each 1-D part (``(tensor, dtype)`` pairs), concatenated: runs of
    parts of one dtype are joined before they are reinterpreted (the same words in the same
    order, one bitcast per run instead of one per variable: ResNet50's 267 small variables
    traced as 1,100 ops cost more than its forward pass's trace)."""
    runs = []
    for t, dt in parts:
        if runs and runs[-1][0] == dt:
            runs[-1][1].append(t)
        else:
            runs.append((dt, [t]))
    bits = [_int32_bits(ts[0] if len(ts) == 1 else backend.concat1d(ts), dt) for dt, ts in runs]
    return bits[0] if len(bits) == 1 else backend.concat1d(bits)


def _sample_rows(shape) -> int:
    """The row stride that samples a large variable of ``shape``, seen as rows of its last axis.

    The last axis holds the output units of a channels-last kernel or a Dense kernel, and each
    row holds every unit once, so a sampled row hits every unit: at least two rows (and at
    least :data:`_FP_SAMPLE` values) are taken, so ablating, zeroing or scaling one unit (a
    whole filter) always changes sampled values. Whole rows are contiguous in memory: the
    same values drawn one by one at a stride (the rule until session 33) were one cache miss
    each, 2.5x the time for ResNet50's sampled kernels right after a forward pass. The stride is
    kept off multiples of 2, 3, 5 and 7, so the rows spread over the kernel's positions and
    input channels instead of repeating one of them.
    """
    last = int(shape[-1]) if len(shape) else 1
    rows = math.prod(shape) // max(last, 1)
    stride = max(1, rows // max(2, -(-_FP_SAMPLE // max(last, 1))))
    while stride > 1 and any(stride % p == 0 for p in (2, 3, 5, 7)):
        stride -= 1
    return stride


def _fold(bits):
    """``bits ^ (bits >>> 16)`` (int32): a bijection that brings each value's high half down
    into its low half before it is summed.

    In a sum modulo 2**32 a change of a value's sign bit is ±2**31, whatever odd weight it
    carries: negating any even number of values (a whole filter of 3·3·C values, C even; a unit
    and its bias) changed neither sum, and scaling one value by 2 and another by 1/2 (±2**23
    each) 256 positions apart did not either. Folded, those changes reach bits 15 and 7, where
    the position weights tell them apart. The shift is logical, so no two values fold alike and
    one changed bit of one value still changes both sums. Each backend shifts its cheapest way
    (:func:`.backend.high_halves`: on TensorFlow, the high halves of the ``uint16`` view, since
    its shift runs one value at a time; the same values).
    """
    return keras.ops.bitwise_xor(bits, backend.high_halves(bits))


def _as_int32(n: int) -> np.int32:
    """The Python integer ``n`` modulo 2**32, as a signed int32."""
    return np.int32((n + 2**31) % 2**32 - 2**31)


def fingerprint_tensor(variables):
    """The content part of :func:`weights_identity`: ``(2,)`` int32, two wrapping sums of the
    bits of every value read, each value's high half folded into its low half first
    (:func:`_fold`) — one plain, one with each value weighted by an odd number that depends on
    its position among all the values read.

    Integers on every backend: a change of the lowest bit of one value changes the plain sum by
    a power of two and the weighted sum by an odd multiple of it, never 0 modulo 2**32. (Until
    session 34 the sums were cast to the backend's wide float, float32 on JAX, whose 24-bit
    mantissa dropped such a change 199 times in 200.) Two values swapped, or two changes that
    cancel in the plain sum, change the weighted one. Sign and exponent changes are folded into
    low bits (:func:`_fold`): without it, negating any even number of values was never seen.

    Call it inside a compiled function (:func:`.backend.compile`) to compute the identity in the
    same execution as other work (the activation capture does, so a fresh capture pays no
    separate pass over the weights); turn the result into the identity with
    :func:`identity_from`.
    """
    ops = keras.ops
    small, large = [], []  # small: 1-D values (reinterpreted together); large: int32 bits
    # Python here runs at every call on PyTorch (it compiles nothing), once per trace elsewhere:
    # per variable it is kept to plain arithmetic (np.prod and dtype checks per variable were
    # ~2 ms of ResNet50's 320 on PyTorch).
    for v in variables:
        shape = tuple(v.shape)
        dt = keras.backend.standardize_dtype(v.dtype)
        flat = backend.read_flat(v)
        if math.prod(shape) > _FP_EXACT_MAX:
            # Slice first: reinterpreting the whole of a large variable could materialise a
            # copy of it (400 MB for VGG16's fc1). Its first values enter too (a hand edit of
            # the first filters' first weights is seen whatever the stride).
            small.append((flat[:_FP_HEAD], dt))
            last = int(shape[-1]) if len(shape) else 1
            flat = ops.reshape(backend.every_row(ops.reshape(flat, [-1, last]),
                                                 _sample_rows(shape)), [-1])
        n = _words(flat, dt)
        if n == 0:
            continue
        if n <= _FP_CONCAT_MAX or backend.NAME == "torch":
            small.append((flat, dt))
        else:
            large.append(_int32_bits(flat, dt))
    if small:
        large.insert(0, _joined_bits(small))
    if not large:
        return ops.zeros((2,), "int32")
    longest = max(int(b.shape[0]) for b in large)
    # Odd weights for positions 0..longest-1 of a part; a part starting at position `start` of
    # all values read adds 2*_FP_MIX*start to each of its weights, i.e. 2*_FP_MIX*start times
    # its plain sum to the weighted one.
    weights = ops.arange(0, longest, dtype="int32") * (2 * _FP_MIX) + 1
    # Weight slices are shared by every part of a length: each is an op of the traced graph,
    # and its trace is most of a deep model's first capture (ResNet50: 53 parts).
    prefix = {longest: weights}
    plain, mixed, offsets, start = [], [], [], 0
    for bits in large:
        n = int(bits.shape[0])
        bits = _fold(bits)
        plain.append(backend.wrapped_sum(bits))
        if n not in prefix:
            prefix[n] = weights[:n]
        mixed.append(backend.wrapped_sum(bits * prefix[n]))
        offsets.append(_as_int32(2 * _FP_MIX * start))
        start += n
    if len(plain) == 1:
        return ops.stack([plain[0], mixed[0]])
    plain = ops.stack(plain)
    total = backend.wrapped_sum(plain)
    # sum(mixed + plain * offsets), wrapping: the same value as adding each part's offset
    # term where the part is summed, in two ops instead of three per part.
    weighted = backend.wrapped_sum(ops.stack(mixed)) + backend.wrapped_sum(
        plain * ops.convert_to_tensor(np.array(offsets, np.int32), "int32"))
    return ops.stack([total, weighted])


def weights_ids(obj) -> tuple:
    """Which variables ``obj`` has: the ``id`` of each of ``obj.weights``, in order.

    A Keras variable never changes shape or dtype, and every function that reads these ids
    holds the variables (so an id cannot be reused while it matters).
    """
    return tuple(id(v) for v in obj.weights)


def identity_from(ids: tuple, content) -> tuple:
    """:func:`weights_identity` from :func:`weights_ids` and a :func:`fingerprint_tensor` value."""
    if not ids:
        return ("no-weights",)
    content = np.ascontiguousarray(np.asarray(content), dtype=np.int64)
    return (hashlib.blake2b(repr(ids).encode(), digest_size=8).digest(),
            hashlib.blake2b(content.tobytes(), digest_size=16).digest())


def weights_identity(obj) -> tuple:
    """An identity of the current weights of a model or layer: equal identities, equal weights.

    **The one rule for staleness.** Every cached result computed from weights (activations,
    Grad-CAM maps, maximized patterns, the KernelViewer's kernels) keys its cache entries
    with this identity, read at the time of the request. It is made of the weights
    themselves, whoever changed them:

    * which variables there are (each of ``obj.weights``, trainable or not, so BatchNorm
      statistics count);
    * their content, read at each call (no hook into Keras, nothing patched, so writes through
      ``set_weights``, ``load_weights``, ``variable.assign``, ``fit``, a custom loop or the raw
      ``tf.Variable`` are all seen the same way): every variable up to 65,536 values summed
      exactly (the wrapping int32 sum of its bits: one changed bit of one weight changes it;
      every kernel of the demo model and of the lessons' models is this small), with a second
      sum that weighs every value by its position (swapped filters change it); larger
      variables through their first 4,096 values and whole rows of their last axis (the
      output units), at least two rows and 2,048 values — ablating, zeroing or scaling one
      filter or unit changes it, and so do a training step and other loaded weights. The
      sums are integers on every backend (:func:`fingerprint_tensor`).

    Nothing needs to be told; :func:`convviz_widgets.clear_cache` only frees memory. **What it
    cannot see:** a hand edit of a few single values (not a whole filter or unit) deep inside a
    variable above 65,536 values, outside its sampled rows and its first 4,096 values. That is
    the lead's product decision of session 33 (docs/architecture.md): reading every value costs
    VGG16 60 ms per call, and summing every kernel up to 262,144 values exactly cost the
    all-layer capture of ResNet50 0.15x of its forward pass on every fresh image. Captures and
    cache hits use this same rule: it is one identity.

    Cost: one small compiled reduction per call, independent of the image size: about 0.6 ms
    of CPU for the demo model and 1.6-1.8 ms for ``VGG16(weights=None)`` (32 variables, 138 M
    values) on 2 cores of an AMD EPYC, TensorFlow (``benchmarks/bench_identity.py``); the
    activation capture computes it inside its own graph, so a fresh capture needs no separate
    call.

    Parameters
    ----------
    obj : keras.Model or keras.layers.Layer

    Returns
    -------
    tuple
        Hashable; compare with ``==`` or use in cache keys.

    Examples
    --------
    >>> layer = keras.layers.Dense(2); layer.build((None, 3))
    >>> before = weights_identity(layer)
    >>> _ = layer.kernel.assign(layer.kernel * 2.0)
    >>> weights_identity(layer) == before
    False
    """
    ids = weights_ids(obj)
    if not ids:
        return ("no-weights",)
    return identity_from(ids, _content(obj, ids))


def fingerprint_fn(obj, ids: tuple | None = None):
    """``(weights ids, compiled () -> fingerprint)`` of ``obj``'s weights: the one compiled
    :func:`fingerprint_tensor` of ``obj``, made once per variable list and shared.

    :func:`weights_identity` calls it; a fresh Grad-CAM and its kept pullback call it inside
    their trace: on TensorFlow that is one call op to the function traced once (a deep
    model's fingerprint is ~1,450 ops, 0.3-0.4 s of Python to trace each time, and the kept
    pullback's pruned backward graph copies one op instead of all of them); the Grad-CAM
    call was as fast as before (paired, session 36). JAX traces the call into the caller's
    jit; PyTorch runs it. The activation capture traces the fingerprint inline: as a call
    it was 1-3 % slower on every capture. ``ids``: :func:`weights_ids` of ``obj`` if the caller has them (walking a deep model's
    weights costs milliseconds).
    """
    if ids is None:
        ids = weights_ids(obj)
    with _FP_LOCK:
        entry = _FP_FNS.get(obj)
        if entry is None or entry[0] != ids:
            # A new variable list (a layer added, a model rebuilt) needs a new trace; the
            # function holds the variables, so their ids cannot be reused while it exists.
            # One compiled function per object is inherent (each has its own variables), but
            # TensorFlow keeps its "frequent retracing" statistics per *code object*: compiling
            # a lambda made all of them one function, and walking Xception's layers in the
            # KernelViewer printed "N out of the last M calls ... triggered tf.function
            # retracing" into the notebook. A ``functools.partial`` has no code object, so each
            # compiled function counts alone and only a real retrace of one of them would warn
            # (as ``backend.tf_function`` does for the per-layer closures there).
            variables = list(obj.weights)
            entry = (ids, backend.compile(functools.partial(fingerprint_tensor, variables),
                                          variables))
            _FP_FNS[obj] = entry
    return entry


def _content(obj, ids: tuple) -> np.ndarray:
    """The :func:`fingerprint_tensor` value of ``obj``'s weights (one compiled reduction)."""
    entry = fingerprint_fn(obj, ids)
    with backend.no_grad():
        return backend.to_numpy(entry[1]())


def weights_digest(obj) -> str:
    """:func:`weights_identity` spelled as a hex string that means the same after a restart.

    The same rule — the same content fingerprint — with the variables named by their shapes and
    dtypes instead of their ``id`` (which a new process does not reproduce). Use it only to name
    results stored on *disk* (the maximizer's ``cache_dir``); in-memory keys use
    :func:`weights_identity`. Equal weights give equal digests after a restart (re-running the
    same notebook, reloading the same weights file); other weights give a cache miss.

    Examples
    --------
    >>> layer = keras.layers.Dense(2); layer.build((None, 3))
    >>> before = weights_digest(layer)
    >>> layer.set_weights([w * 2.0 for w in layer.get_weights()])
    >>> weights_digest(layer) == before, len(before)
    (False, 32)
    """
    ids = weights_ids(obj)
    h = hashlib.blake2b(digest_size=16)
    if ids:
        h.update(repr([(tuple(v.shape), str(v.dtype)) for v in obj.weights]).encode())
        h.update(np.ascontiguousarray(_content(obj, ids), dtype=np.int64).tobytes())
    return h.hexdigest()
