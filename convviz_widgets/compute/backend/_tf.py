"""The TensorFlow side of :mod:`convviz_widgets.compute.backend`."""

from __future__ import annotations

import contextlib
import functools

import tensorflow as tf

#: The widest float the backend computes in (identities and accumulations use it).
WIDE_FLOAT = "float64"


def compile(fn, variables=()):  # noqa: A001 - the seam's verb
    """``fn`` as a ``tf.function`` (variables are read by the graph at each call)."""
    del variables
    return tf_function(fn, reduce_retracing=True)


def tf_function(fn=None, /, **kwargs):
    """``tf.function`` for a function built per layer or settings (a closure); call or decorator.

    TensorFlow keeps its "frequent retracing" statistics per *code object*, so all closures one
    builder makes (one per layer path, say) count as a single function: tracing each of them
    once, as intended, prints "N out of the last M calls to <fn> triggered tf.function
    retracing" after a few layers. Compiling a ``functools.partial`` of the closure gives each
    compiled function statistics of its own, so only a real retrace of one function warns.
    """
    if fn is None:
        return lambda f: tf_function(f, **kwargs)
    return tf.function(functools.partial(fn), **kwargs)


def value_and_grad(fn, x):
    x = tf.convert_to_tensor(x)
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = fn(x)
    return y, tape.gradient(y, x)


def no_grad():
    return contextlib.nullcontext()


def eager():
    return tf.init_scope()


def trace(fn, shape, dtype):
    """Trace ``fn`` into a graph without running it (every static shape, no computation)."""
    tf.function(fn).get_concrete_function(tf.TensorSpec(tuple(shape), dtype))


def device() -> str:
    gpus = tf.config.list_logical_devices("GPU")
    return gpus[0].name if gpus else "/device:CPU:0"
