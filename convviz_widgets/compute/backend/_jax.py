"""The JAX side of :mod:`convviz_widgets.compute.backend`."""

from __future__ import annotations

import contextlib

import jax
import keras

from ._errors import only_tensorflow

#: The widest float the backend computes in: JAX has no float64 unless ``jax_enable_x64``.
WIDE_FLOAT = "float64" if jax.config.jax_enable_x64 else "float32"


def compile(fn, variables=(), signature=None):  # noqa: A001 - the seam's verb
    """``fn`` under ``jax.jit``, stateless: the variables' values are arguments of every call.

    A plain jit of a Keras call would read each variable once, while tracing, and keep that
    value as a constant: new weights (``set_weights``, training) would never be seen. Inside a
    :class:`keras.StatelessScope` every variable reads the value passed in instead.
    """
    del signature  # jit traces once per shape it is called with
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


def value_and_grad(fn, x, has_aux=False):
    return jax.value_and_grad(fn, has_aux=has_aux)(keras.ops.convert_to_tensor(x))


def no_grad():
    return contextlib.nullcontext()


def eager():
    return contextlib.nullcontext()


def trace(fn, shape, dtype):
    """``jax.eval_shape``: shapes and dtypes only, nothing computed."""
    jax.eval_shape(fn, jax.ShapeDtypeStruct(tuple(d or 1 for d in shape), dtype))


def device() -> str:
    return str(jax.devices()[0])
