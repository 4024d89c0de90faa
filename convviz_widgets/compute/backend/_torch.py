"""The PyTorch side of :mod:`convviz_widgets.compute.backend`."""

from __future__ import annotations

import contextlib
import functools
import math

import keras
import numpy as np
import torch

from ._errors import only_tensorflow

#: A pullback outlives the call that made it (it keeps autograd's recorded graph).
KEEPS_PULLBACK = True

#: The widest float the backend computes in (identities and accumulations use it).
WIDE_FLOAT = "float64"


#: The max-pooling gradient is slow here (max_pool2d's backward scatters by the saved indices).
SLOW_MAX_POOL_GRADIENT = False


def compile(fn, variables=(), signature=None, pullback=False):  # noqa: A001 - the seam's verb
    """``fn`` itself, NumPy arguments converted: PyTorch runs eagerly (Keras' torch backend
    reads the live variables; a returned pullback keeps autograd's graph)."""
    del variables, signature

    def call(*args):
        out = fn(*[keras.ops.convert_to_tensor(a) if isinstance(a, np.ndarray) else a
                   for a in args])
        if pullback and len(out[-1]) > 2:
            y, pull, also = out[-1]
            out = (*out[:-1], (y, functools.partial(_with_also, pull, also)))
        return out

    return call


def _with_also(pull, also, cts):
    """A kept pullback and its ``also`` (eager: one after the other); ``(None, None)`` when a
    tensor autograd saved was written in place since (a weight: ``assign``, ``set_weights``)."""
    try:
        grads = pull(keras.ops.convert_to_tensor(cts))
    except RuntimeError:  # "modified by an inplace operation": the kept state is stale
        return None, None
    return grads, also()


def user_function(fn):
    """A user's function as compiled code runs it: as it is (no autograph here)."""
    return fn


def tf_function(fn=None, /, **kwargs):
    """No ``tf.function`` here: the TensorFlow-only code paths stop with a clear error."""
    raise only_tensorflow("This computation")


def value_and_grad(fn, x, has_aux=False):
    """The input's gradient alone (autograd runs back only the nodes that lead to ``x``);
    zeros where ``fn`` does not reach ``x``."""
    x = keras.ops.convert_to_tensor(x).detach().requires_grad_(True)
    with torch.enable_grad():
        out = fn(x)
        y = out[0] if has_aux else out
        g = torch.autograd.grad(y, x, allow_unused=True)[0] if y.requires_grad else None
    return keras.tree.map_structure(torch.Tensor.detach, out), \
        torch.zeros_like(x) if g is None else g


def vjp(fn, x):
    """``fn(x) -> (y, aux)`` recorded by autograd: ``(y, aux, pullback)`` (see the interface)."""
    x = keras.ops.convert_to_tensor(x).detach().requires_grad_(True)
    with torch.enable_grad():
        y, aux = fn(x)
    return y.detach(), _detached(aux), _each(y, x)


def watched_vjp(fn):
    """``fn(watch) -> (y, aux)`` run once, with autograd recording only from the tensor given to
    ``watch`` on (the part before it runs as under :func:`no_grad`): ``(y, aux, a, pullback)``."""
    box = {}

    def watch(t):
        box["a"] = t.detach().requires_grad_(True)
        torch.set_grad_enabled(True)
        return box["a"]

    before = torch.is_grad_enabled()
    torch.set_grad_enabled(False)
    try:
        y, aux = fn(watch)
    finally:
        torch.set_grad_enabled(before)
    a = box["a"]
    return y.detach(), _detached(aux), a.detach(), _each(y, a)


def _detached(tree):
    return keras.tree.map_structure(
        lambda t: t.detach() if isinstance(t, torch.Tensor) else t, tree)


def _each(y, x):
    """One vector-Jacobian product per cotangent row (the recorded graph is kept between them)."""

    def pullback(cts):
        grads = []
        for ct in cts:
            (g,) = torch.autograd.grad(y, x, ct, retain_graph=True, allow_unused=True)
            grads.append(torch.zeros_like(x) if g is None else g.detach())
        return torch.stack(grads).to(torch.float32)

    return pullback


class _ReluCounter(torch.overrides.TorchFunctionMode):
    """Counts the ``relu``/``relu6`` calls (functional, ``torch.relu``, methods) it sees."""

    def __init__(self):
        super().__init__()
        self.n = 0

    def __torch_function__(self, func, types, args=(), kwargs=None):
        if getattr(func, "__name__", None) in ("relu", "relu_", "relu6"):
            self.n += 1
        return func(*args, **(kwargs or {}))


def relu_ops(fn, shape, dtype) -> int:
    """ReLU calls of one forward pass of ``fn`` on zeros (PyTorch has no graph to read)."""
    x = keras.ops.zeros(tuple(d or 1 for d in shape), dtype)
    with torch.no_grad(), _ReluCounter() as counter:
        fn(x)
    return counter.n


def no_grad():
    return torch.no_grad()


def eager():
    return contextlib.nullcontext()


def trace(fn, shape, dtype):
    """One forward pass on zeros (no autograd graph): PyTorch has no symbolic run for Keras."""
    with torch.no_grad():
        fn(keras.ops.zeros(tuple(d or 1 for d in shape), dtype))


def device() -> str:
    return str(keras.ops.convert_to_tensor(0.0).device)


def host_view(x):
    """``Tensor.numpy()``: on CPU the tensor's own memory, no copy (strides kept)."""
    return x.detach().cpu().numpy()


def row_max(a):
    """``(n, h, w, C) -> (n, h, C)``: the max of each row of each channel's map, as
    ``keras.ops.max(a, axis=2)`` gives it, faster on maps whose channels are the innermost
    axis and not a multiple of 32.

    ATen reduces an axis that is not the innermost ("outer" reduction) with vector
    instructions over inner runs of 32 floats only; the columns left over run one float at a
    time (measured, one thread: 0.3 Gfloat/s for 8, 16 or 24 channels, 0.7 for 48, 2-4.7 for
    32, 64 or 128). The demo model's 16-channel maps of 64² took 9 ms each a batch of 64,
    against 0.3 ms for a 32-channel map of a quarter the size (session 36). Folding ``f``
    neighbouring columns into the channel axis (a view: ``(n, h, w / f, f·C)``, ``f·C`` a
    multiple of 32) vectorises all of it; the ``f`` partial maxima of each channel are then
    folded by halves (``maximum`` of the two halves). A max is exact in any order: the same
    values (NaN propagates in both). Maps of other layouts, or whose width ``f`` does not
    divide, are reduced as they are."""
    n, h, w, c = a.shape
    f = _INNER_RUN // math.gcd(c, _INNER_RUN)  # a power of two
    if f == 1 or w % f or a.stride(3) != 1 or a.stride(2) != c:
        return torch.amax(a, dim=2)
    r = torch.amax(a.unflatten(2, (w // f, f)).flatten(3), dim=2)  # (n, h, f·C), a view read
    while r.shape[2] > c:
        half = r.shape[2] // 2
        r = torch.maximum(r[..., :half], r[..., half:])
    return r


#: The inner run of floats ATen's outer reductions vectorise (measured on this AVX-512 CPU:
#: 32; columns beyond a multiple of it run scalar).
_INNER_RUN = 32


def read_flat(variable):
    """A variable's values as one 1-D tensor, a view of its storage (no autograd record).
    Through ``keras.ops`` each read and reshape converts and checks its input in Python:
    ResNet50's 320 variables took 5.7 ms of a 12.8 ms weights fingerprint that way, 2.7 ms
    as plain tensor calls (session 38)."""
    return variable.value.detach().reshape(-1)


def wrapped_sum(t):
    """The int32 sum of an int32 tensor, wrapping. ``torch.sum`` widens integers to int64
    unless told: 0.29 ms for 1.1 M values, 0.04 ms summed as int32 (the same value modulo
    2**32)."""
    return torch.sum(t, dtype=torch.int32)


def concat1d(parts):
    """1-D tensors joined (``torch.cat``): ``keras.ops.concatenate`` converts and checks each
    part in Python, ~300 of them for ResNet50's fingerprint at every call (session 38)."""
    return torch.cat(parts)


def high_halves(bits):
    """``bits >>> 16`` of a 1-D int32 tensor, as int32: PyTorch has no ``uint32`` shift, so the
    arithmetic shift, then the low 16 bits."""
    return torch.bitwise_and(torch.bitwise_right_shift(bits, 16), 0xFFFF)
