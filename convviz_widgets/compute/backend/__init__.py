"""The one seam between compute/ and the Keras backend: TensorFlow, JAX or PyTorch.

Everything else in compute/ is ``keras.ops`` and numpy; what differs between backends lives in
one small module per backend (:mod:`._tf`, :mod:`._jax`, :mod:`._torch`), all with the same
functions, and the one Keras runs on (``keras.backend.backend()``, i.e. ``KERAS_BACKEND``) is
chosen here, once, at import — Keras itself fixes its backend at import. The other backends'
modules are never imported, so a JAX or PyTorch session never loads TensorFlow.

The interface:

``NAME``
    ``"tensorflow"``, ``"jax"`` or ``"torch"``.
``compile(fn, variables, signature=None, pullback=False)``
    ``fn(*tensors)`` compiled for repeated calls. ``variables`` are the Keras variables ``fn``
    reads (``model.weights``): JAX feeds them as arguments (a stateless call), so new weights
    are read at every call instead of being baked into the compiled function. ``signature``,
    ``[(shape, dtype)]`` per argument with ``None`` sizes, lets TensorFlow trace once for every
    batch size (JAX traces per shape; PyTorch does not trace). ``pullback=True`` (with a
    ``signature``): ``fn`` returns ``(*outputs, kept)`` with ``kept`` ``()`` or ``(y, pullback)``
    from :func:`watched_vjp`, and the compiled function returns a ``pullback`` that still works
    after the call, as the backward pass alone (TensorFlow prunes it out of the traced graph,
    or returns ``()`` where it cannot; JAX and PyTorch return their pullbacks as they are).
    ``kept`` may be ``(y, pullback, also)`` with ``also()`` reading variables only (the weights
    fingerprint): the kept pullback then returns ``(grads, also())`` computed in the same
    compiled call (its cotangents may be NumPy); ``also.value``, if set, is ``also()``'s value
    in ``fn``'s own trace (TensorFlow fetches it into the backward graph instead of tracing
    ``also`` again; its ops still run at each backward call), so a class switch checks the weights after
    the fact instead of in a call of its own (TensorFlow runs the backward pass once per
    cotangent row: if the rows' ``also()`` values differ, weights were written during the
    call, and it returns them all joined, a value of another shape that matches no
    fingerprint); ``(None, None)`` when the kept state cannot be
    used any more (PyTorch: a weight autograd saved was written in place).
    The compiled function takes NumPy arrays as well as tensors, and converts them the
    backend's cheapest way (JAX's jit takes them as they are; ``keras.ops.convert_to_tensor``
    first costs 0.1-0.2 ms a call there, docs/architecture.md "The fixed cost per call").
``value_and_grad(fn, x, has_aux=False)``
    ``(fn(x), d fn(x) / d x)`` for a scalar ``fn``: the gradient with respect to ``x`` alone,
    never the weights' (filter maximization, pixel attributions), and zeros where ``fn`` does
    not depend on ``x``. The gradient with respect to a captured tensor is this applied to the
    part of the model after it (``run_model(replace=...)``). ``has_aux``: ``fn`` returns
    ``(scalar, aux)`` and the gradient is the scalar's (``aux`` comes back as it is, without a
    gradient graph). On TensorFlow, inside compiled code, stride-1 convolutions back-propagate
    to ``x`` as forward convolutions (:mod:`.._input_gradient`, a speed path without oneDNN).
``vjp(fn, x)``
    ``fn(x) -> (y, aux)`` run once; returns ``(y, aux, pullback)`` where ``pullback(cts)``
    maps cotangents ``(k, *y.shape)`` to ``(k, *x.shape)`` float32, one vector-Jacobian product
    per row in sequence (zeros where ``y`` does not depend on ``x``). Grad-CAM's head: k
    targets, one forward pass, k backward passes.
``watched_vjp(fn)``
    The same for a tensor made *inside* the run: ``fn(watch) -> (y, aux)`` calls
    ``watch(t)`` once and continues with what it returns; returns ``(y, aux, a, pullback)``
    with ``a`` that tensor. One forward pass (TensorFlow's tape watches ``t`` as it is made,
    PyTorch records from ``t`` on, JAX's jit merges the two functional runs).
``relu_ops(fn, shape, dtype)``
    How many ReLU / ReLU6 ops one call of ``fn`` on a ``shape`` tensor executes (TensorFlow:
    ops of the traced graph; JAX: ``relu``/``relu6`` in the jaxpr; PyTorch: ``relu``/``relu6``
    calls seen by a ``TorchFunctionMode`` in one forward pass on zeros). Guided
    backpropagation counts the raw ReLUs it cannot reach with it.
``KEEPS_PULLBACK``
    True when a pullback (of :func:`watched_vjp`) may be kept after the compiled call that
    made it returned it, and applied later without running the forward pass again (JAX: a
    ``Partial`` holding the residuals; PyTorch: autograd's graph; TensorFlow: a graph of the
    gradient ops alone, fed the forward tensors they read, see ``compile(pullback=True)``).
    Grad-CAM's class switch uses it.
``SLOW_MAX_POOL_GRADIENT``
    True where the backend's max-pooling gradient costs many forward passes (XLA CPU's
    ``select_and_scatter`` on JAX: 44x): input gradients then route it by an argmax one-hot
    (:mod:`..cam._pool_gradient`).
``no_grad()``
    A context for forward-only runs (PyTorch records no autograd graph inside it).
``eager()``
    A context that runs eagerly even while a function is being compiled (TensorFlow's
    ``init_scope``); nothing elsewhere.
``trace(fn, shape, dtype)``
    Run ``fn`` on a tensor of ``shape`` symbolically when the backend can (TensorFlow graph,
    ``jax.eval_shape``), on zeros otherwise; ``fn`` records what it learns in Python. A
    ``None`` size stays unknown on TensorFlow and is 1 elsewhere.
``WIDE_FLOAT``
    ``"float64"``, or ``"float32"`` on JAX without ``jax_enable_x64``.
``device()``
    Where new tensors are placed (the backend's default device).
``to_numpy(x)``
    A tensor (or nest of them) as numpy.
``row_max(a)``
    ``(n, h, w, C) -> (n, h, C)``, the max over the width axis (``keras.ops.max(a, axis=2)``,
    the same values), the cheapest way the backend has: on PyTorch channels innermost and not
    a multiple of 32 (the demo model's 16) reduce one float at a time in ATen, so columns are
    folded into the channel axis first (dataset examples' per-row max: 20 -> 4 ms a batch,
    session 36).
``high_halves(bits)``
    ``bits >>> 16`` (logical shift) of a 1-D int32 tensor, as int32, the cheapest way the
    backend has (the weights fingerprint folds every value read with it): TensorFlow's shift
    runs one value at a time, so it takes the high halves of the ``uint16`` view; JAX shifts
    the ``uint32`` view; PyTorch has no ``uint32`` shift and shifts arithmetically, then masks.
``read_flat(variable)``
    A Keras variable's values as one 1-D tensor (PyTorch: a view of its storage, without
    ``keras.ops``' per-call conversions).
``concat1d(parts)``
    1-D tensors joined in order (PyTorch: ``torch.cat`` without ``keras.ops``' per-part checks).
``wrapped_sum(t)``
    The sum of an int32 tensor as int32, wrapping modulo 2**32 (PyTorch sums in int32 instead
    of widening to int64).
``every_row(a, stride)``
    ``a[::stride]`` of a 2-D tensor (the fingerprint's sampled rows of a large variable):
    gathered on TensorFlow, where a strided slice copies value by value.
``host_view(x)``
    The same without a copy where the tensor's memory is the host's (CPU): read-only on JAX,
    the tensor's own strides on PyTorch. Keras' ``convert_to_numpy`` copies (``np.array``):
    the dataset-examples host step returns every captured map per batch, 65 MB for the demo
    model's batch of 64, and reads a few values of each.
``tf_function(fn, **kwargs)``
    ``tf.function`` (autograph off) for the TensorFlow-only code paths (a clear error on other
    backends).
``user_function(fn)``
    A user's function (``preprocess``) as compiled code must run it: autograph-converted on
    TensorFlow (Python branches on tensor values), as it is elsewhere.
"""

from __future__ import annotations

import keras

NAME = keras.backend.backend()

if NAME == "tensorflow":
    from ._tf import (KEEPS_PULLBACK, SLOW_MAX_POOL_GRADIENT, WIDE_FLOAT, compile,
                      every_row as _every_row, high_halves, host_view as _host_view,
                      device, eager, no_grad, relu_ops, tf_function, trace, user_function,
                      value_and_grad, vjp, watched_vjp)
elif NAME == "jax":
    from ._jax import (KEEPS_PULLBACK, SLOW_MAX_POOL_GRADIENT, WIDE_FLOAT, compile,
                       high_halves, host_view as _host_view,
                       device, eager, no_grad, relu_ops, tf_function, trace, user_function,
                       value_and_grad, vjp, watched_vjp)
elif NAME == "torch":
    from ._torch import (KEEPS_PULLBACK, SLOW_MAX_POOL_GRADIENT, WIDE_FLOAT, compile,
                         concat1d as _concat1d, high_halves, host_view as _host_view,
                         read_flat as _read_flat,
                         row_max as _row_max, wrapped_sum as _wrapped_sum,
                         device, eager, no_grad, relu_ops, tf_function, trace, user_function,
                         value_and_grad, vjp, watched_vjp)
else:  # pragma: no cover - Keras knows only these three (and "numpy", which cannot derive)
    raise ImportError(
        f"convviz_widgets runs on Keras' tensorflow, jax or torch backend, not {NAME!r}: set "
        "KERAS_BACKEND=tensorflow (or jax, or torch) before importing keras.")

__all__ = ["KEEPS_PULLBACK", "NAME", "SLOW_MAX_POOL_GRADIENT", "WIDE_FLOAT", "compile",
           "concat1d", "device", "eager", "every_row", "high_halves", "host_view", "no_grad",
           "read_flat", "relu_ops", "row_max", "tf_function", "to_numpy", "trace", "user_function",
           "value_and_grad", "vjp", "watched_vjp", "wrapped_sum"]


def to_numpy(x):
    """A tensor, or a list/tuple/dict of tensors, as numpy arrays (on the host)."""
    return keras.tree.map_structure(keras.ops.convert_to_numpy, x)


def host_view(x):
    """A tensor, or a nest of them, as numpy arrays on the host without a copy where the
    backend can (:func:`to_numpy` copies)."""
    return keras.tree.map_structure(_host_view, x)


def row_max(a):
    """``(n, h, w, C) -> (n, h, C)``: ``keras.ops.max(a, axis=2)``, by the backend's own
    cheaper way where it has one (PyTorch: columns folded into the channel axis of maps whose
    channels are not a multiple of 32; XLA fuses the plain max on JAX, and TensorFlow's graph
    step reduces in its own graph)."""
    if NAME == "torch":
        return _row_max(a)
    return keras.ops.max(a, axis=2)


def every_row(a, stride: int):
    """``a[::stride]`` of a 2-D tensor (a gather of whole rows on TensorFlow)."""
    if NAME == "tensorflow":
        return _every_row(a, stride)
    return a[::stride]


def read_flat(variable):
    """A Keras variable's values as one 1-D tensor (PyTorch: a view of its storage)."""
    if NAME == "torch":
        return _read_flat(variable)
    t = keras.ops.convert_to_tensor(variable)
    return t if len(variable.shape) == 1 else keras.ops.reshape(t, [-1])


def wrapped_sum(t):
    """The sum of an int32 tensor as int32, wrapping modulo 2**32."""
    if NAME == "torch":
        return _wrapped_sum(t)
    return keras.ops.sum(t)


def concat1d(parts):
    """1-D tensors joined in order."""
    if NAME == "torch":
        return _concat1d(parts)
    return keras.ops.concatenate(parts, 0)
