"""What a ``preprocess`` is, for cache keys: what it computes, not which object it is.

:func:`preprocess_key` is the one rule every cache key and compiled-function key uses for a
preprocess; :func:`persistent_digest` spells a key made of such identities (and
:func:`~._identity.weights_digest` strings) for files on disk. The weights' side of a key is
:mod:`._identity`.
"""

from __future__ import annotations

import functools
import hashlib
import sys
import types
from typing import Callable

import keras
import numpy as np

from ._identity import weights_identity

__all__ = ["persistent_digest", "preprocess_key"]


class _Ref:
    """A key part that stands for an object by identity and keeps it alive (no id reuse)."""

    __slots__ = ("obj",)

    def __init__(self, obj):
        self.obj = obj

    def __hash__(self):
        return id(self.obj)

    def __eq__(self, other):
        return isinstance(other, _Ref) and other.obj is self.obj

    def __repr__(self):
        return f"_Ref({type(self.obj).__name__})"


def _code_key(code: types.CodeType) -> tuple:
    consts = tuple(_code_key(c) if isinstance(c, types.CodeType) else (type(c).__name__, repr(c))
                   for c in code.co_consts)
    return (code.co_code, consts, code.co_names, code.co_varnames, code.co_freevars,
            code.co_argcount, code.co_kwonlyargcount, code.co_flags)


def _code_names(code: types.CodeType) -> set:
    names = set(code.co_names)
    for c in code.co_consts:
        if isinstance(c, types.CodeType):
            names |= _code_names(c)
    return names


def _concrete(t) -> bool:
    """True for a tensor with values (eager), False for a symbolic one (a graph or a tracer)."""
    try:
        keras.ops.convert_to_numpy(t)
    except Exception:  # noqa: BLE001 - each backend raises its own error for a symbolic tensor
        return False
    return True


def _held(obj):
    """A key part for an object known by identity: a :class:`_Ref` holding it and, for a Keras
    layer or variable, the identity of what it holds now.

    A preprocess that is (or closes over, or is a method of) a Keras layer computes with that
    layer's variables: re-adapting a ``Normalization`` layer, or assigning a variable a lambda
    reads, changes what the preprocess does while the object stays the same. By identity
    alone, cached maps outlived the change on every backend, and on TensorFlow and JAX the
    compiled function kept the old values (traced as constants) even with ``cache=False``
    (session 36). The layer's :func:`weights_identity` (its variables' content, read at each
    request) makes the key change with them; a layer without variables costs nothing more. What
    is not seen: a plain tensor attribute set by hand (not a variable) on the same object.
    """
    ref = _Ref(obj)
    if isinstance(obj, keras.Variable):
        value = np.ascontiguousarray(keras.ops.convert_to_numpy(obj))
        return ("variable", ref, _value_key(value, 0))
    if isinstance(obj, keras.layers.Layer):
        return ("layer", ref, weights_identity(obj))
    return ref


def _value_key(v, depth: int):
    if isinstance(v, keras.Variable):
        return _held(v)
    if v is None or isinstance(v, (bool, int, str, bytes)):
        return (type(v).__name__, v)
    if isinstance(v, (float, complex)):
        return (type(v).__name__, repr(v))  # repr: NaN equals itself
    if isinstance(v, (np.ndarray, np.generic)):
        a = np.ascontiguousarray(v)
        return ("nd", a.shape, a.dtype.str,
                hashlib.blake2b(a.tobytes(), digest_size=16).digest())
    if keras.ops.is_tensor(v) and _concrete(v):
        return _value_key(keras.ops.convert_to_numpy(v), depth)
    if isinstance(v, (tuple, list, frozenset, set)):
        items = sorted(v, key=repr) if isinstance(v, (set, frozenset)) else v
        return (type(v).__name__,) + tuple(_value_key(x, depth) for x in items)
    if isinstance(v, dict):
        return ("dict",) + tuple((repr(k), _value_key(x, depth))
                                 for k, x in sorted(v.items(), key=lambda kv: repr(kv[0])))
    if isinstance(v, types.ModuleType):
        return ("module", v.__name__)
    if callable(v) and depth < 3:
        return _callable_key(v, depth + 1)
    return _held(v)


def _callable_key(fn, depth: int):
    if isinstance(fn, functools.partial):
        return ("partial", _callable_key(fn.func, depth), _value_key(fn.args, depth),
                _value_key(dict(fn.keywords), depth))
    if isinstance(fn, types.MethodType):
        return ("method", _callable_key(fn.__func__, depth), _held(fn.__self__))
    code = getattr(fn, "__code__", None)
    if isinstance(fn, types.FunctionType) and code is not None:
        if fn.__module__ and not fn.__module__.startswith("__") and fn.__name__ != "<lambda>" \
                and getattr(sys.modules.get(fn.__module__), fn.__qualname__, None) is fn:
            # A function importable by name (a library's preprocess_input): its name is enough.
            return ("named", fn.__module__, fn.__qualname__)
        cells = tuple(_value_key(c.cell_contents, depth) if _cell_full(c) else ("empty",)
                      for c in (fn.__closure__ or ()))
        glob = fn.__globals__
        used = tuple((n, _value_key(glob[n], depth)) for n in sorted(_code_names(code))
                     if n in glob)
        return ("fn", _code_key(code), cells, _value_key(fn.__defaults__, depth),
                _value_key(fn.__kwdefaults__, depth), used)
    return _held(fn)


def _cell_full(cell) -> bool:
    try:
        cell.cell_contents
    except ValueError:
        return False
    return True


def preprocess_key(preprocess: Callable | None):
    """The identity of a preprocess callable, for cache keys and compiled-function keys.

    **The one rule for preprocess identity.** Two callables are the same preprocess when they
    compute the same thing: a Python function (a lambda too) is identified by its code
    (bytecode, constants and names, not its source line, so re-running a notebook cell or
    writing the same lambda in every call matches) together with the *values* its closure
    cells, defaults and referenced globals hold (numbers, strings and arrays by content,
    modules by name, functions recursively, any other object by identity, kept alive by the
    key); ``functools.partial`` by function and arguments; a bound method by function and
    ``self``; a function importable by name (``keras.applications.vgg16.preprocess_input``)
    by that name; any other callable by identity. An object known by identity that is a Keras
    layer (a ``Normalization`` preprocess, a model) also brings its :func:`weights_identity`
    read now, and a Keras variable its value, so re-adapting or assigning them changes the key
    (see :func:`_held`). ``None`` is ``None``.

    Every module keys its caches and compiled functions with this, never with the callable
    itself, so ``preprocess=lambda x: x * 2 - 1`` passed anew on each call traces once.

    Why this is safe: a part identified by value is equal only when the computation is; a part
    identified by object identity is a ``_Ref`` that *holds* the object, so while any cache entry
    or compiled function keyed with it exists, that object cannot die and its ``id`` cannot be
    reused by another one (no unbounded registry is needed: the bounded caches own the keys).
    Keys never hold ``id()`` numbers. For files on disk, :func:`persistent_digest` spells a key
    as a string and refuses keys with identity parts (they cannot be found after a restart).

    Examples
    --------
    >>> preprocess_key(lambda x: x * 255.0) == preprocess_key(lambda x: x * 255.0)
    True
    >>> preprocess_key(lambda x: x * 255.0) == preprocess_key(lambda x: x * 2.0)
    False
    """
    if preprocess is None:
        return None
    return ("pp", _callable_key(preprocess, 0))




def _persistent_text(v) -> str:
    if isinstance(v, _Ref):
        raise _NotPersistent
    if isinstance(v, tuple):
        return "(" + ",".join(_persistent_text(x) for x in v) + ")"
    if isinstance(v, bytes):
        return v.hex()
    if v is None or isinstance(v, (bool, int, float, str)):
        return repr(v)
    if isinstance(v, np.ndarray):
        return _persistent_text(_value_key(v, 0))
    # Anything else (a setting object) must say what it is through a stable repr.
    text = repr(v)
    if " at 0x" in text:
        raise _NotPersistent
    return text


class _NotPersistent(Exception):
    pass


def persistent_digest(key) -> str | None:
    """A hex digest of a cache key for files on disk, or ``None`` if it cannot be persistent.

    ``key`` is a tuple of plain values (numbers, strings, bytes, arrays), :func:`weights_digest`
    strings and :func:`preprocess_key` values. A key holding an object known only by identity
    (a preprocess that closes over an arbitrary object) gives ``None``: that object cannot be
    recognised in another process, so its results are kept in memory only.

    Examples
    --------
    >>> a = persistent_digest(("v1", preprocess_key(lambda x: x * 2.0)))
    >>> a == persistent_digest(("v1", preprocess_key(lambda x: x * 2.0)))
    True
    >>> persistent_digest(("v1", preprocess_key(lambda x, o=object(): x))) is None
    True
    """
    try:
        text = _persistent_text(key)
    except _NotPersistent:
        return None
    return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()
