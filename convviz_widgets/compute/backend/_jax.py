"""The JAX side of :mod:`convviz_widgets.compute.backend`."""

from __future__ import annotations

import contextlib

import jax
import keras

from ._errors import only_tensorflow

#: The widest float the backend computes in: JAX has no float64 unless ``jax_enable_x64``.
WIDE_FLOAT = "float64" if jax.config.jax_enable_x64 else "float32"


#: The max-pooling gradient is slow here (XLA CPU's select_and_scatter: 44x the pooling itself).
SLOW_MAX_POOL_GRADIENT = True


def compile(fn, variables=()):  # noqa: A001 - the seam's verb
    """``fn`` under ``jax.jit``, stateless: the variables' values are arguments of every call.

    A plain jit of a Keras call would read each variable once, while tracing, and keep that
    value as a constant: new weights (``set_weights``, training) would never be seen. Inside a
    :class:`keras.StatelessScope` every variable reads the value passed in instead.
    """
    variables = list(variables)

    @jax.jit
    def inner(values, *args):
        with keras.StatelessScope(state_mapping=list(zip(variables, values))):
            return fn(*args)

    def call(*args):
        return inner([v.value for v in variables], *args)

    return call


def user_function(fn):
    """A user's function as compiled code runs it: as it is (no autograph here)."""
    return fn


def tf_function(fn=None, /, **kwargs):
    """No ``tf.function`` here: the TensorFlow-only code paths stop with a clear error."""
    raise only_tensorflow("This computation")


def value_and_grad(fn, x):
    return jax.value_and_grad(fn)(keras.ops.convert_to_tensor(x))


#: JAX has one gradient for every purpose: the input's alone is ``value_and_grad``.
value_and_input_grad = value_and_grad

#: What ``jax.nn.relu`` / ``relu6`` (Keras' ``ops.relu``, ``ops.relu6``) appear as in a jaxpr.
_RELU_NAMES = ("relu", "relu6")


def relu_ops(fn, shape, dtype) -> int:
    """``relu``/``relu6`` calls in the jaxpr of ``fn`` on ``shape`` (nothing computed)."""
    closed = jax.make_jaxpr(fn)(jax.ShapeDtypeStruct(tuple(d or 1 for d in shape), dtype))
    return _count_relus(closed.jaxpr)


def _count_relus(jaxpr) -> int:
    n = 0
    for eqn in jaxpr.eqns:
        if eqn.params.get("name") in _RELU_NAMES:
            n += 1
            continue
        for value in eqn.params.values():
            for sub in value if isinstance(value, (list, tuple)) else (value,):
                inner = getattr(sub, "jaxpr", sub)
                if hasattr(inner, "eqns"):
                    n += _count_relus(inner)
    return n


def no_grad():
    return contextlib.nullcontext()


def eager():
    return contextlib.nullcontext()


def trace(fn, shape, dtype):
    """``jax.eval_shape``: shapes and dtypes only, nothing computed."""
    jax.eval_shape(fn, jax.ShapeDtypeStruct(tuple(d or 1 for d in shape), dtype))


def device() -> str:
    return str(jax.devices()[0])
