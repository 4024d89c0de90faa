"""The TensorFlow side of :mod:`convviz_widgets.compute.backend`."""

from __future__ import annotations

import contextlib
import functools
import weakref

import tensorflow as tf

# The TensorFlow-only speed path of input gradients (convolutions back-propagated as forward
# convolutions); the other backends need nothing of the kind.
from .._input_gradient import conv_as_forward, input_gradient

#: A pullback is a tape's gradient inside one compiled call: it cannot be kept after it.
KEEPS_PULLBACK = False

#: The widest float the backend computes in (identities and accumulations use it).
WIDE_FLOAT = "float64"


#: The max-pooling gradient is slow here (MaxPoolGrad is one pass over the map).
SLOW_MAX_POOL_GRADIENT = False


def compile(fn, variables=(), signature=None):  # noqa: A001 - the seam's verb
    """``fn`` as a ``tf.function`` (variables are read by the graph at each call); with a
    ``signature``, traced once for it (a ``None`` size is left unknown)."""
    del variables
    if signature is not None:
        specs = [tf.TensorSpec(tuple(shape), dtype) for shape, dtype in signature]
        return tf_function(fn, input_signature=specs)
    return tf_function(fn, reduce_retracing=True)


def tf_function(fn=None, /, **kwargs):
    """``tf.function`` for a function built per layer or settings (a closure); call or decorator.

    TensorFlow keeps its "frequent retracing" statistics per *code object*, so all closures one
    builder makes (one per layer path, say) count as a single function: tracing each of them
    once, as intended, prints "N out of the last M calls to <fn> triggered tf.function
    retracing" after a few layers. Compiling a ``functools.partial`` of the closure gives each
    compiled function statistics of its own, so only a real retrace of one function warns.

    Autograph is off unless asked for: our own code has no Python branch on a tensor's value,
    and translating it was the largest avoidable cost of a fresh process — about half the CPU
    of building an Explorer (1.3 s → 0.6 s) and of a first maximization (3.4 s → 1.8 s on the
    demo model; ``benchmarks/bench_first_call.py``, ``bench_explorer_draw.py``). A user's
    ``preprocess`` is the one function that may branch on values: :func:`user_function`
    converts it alone.
    """
    if fn is None:
        return lambda f: tf_function(f, **kwargs)
    kwargs.setdefault("autograph", False)
    return tf.function(functools.partial(fn), **kwargs)


_CONVERTED: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def user_function(fn):
    """A user's function (``preprocess``) as compiled code runs it: converted by autograph, so
    Python ``if``/``for`` on tensor values work inside our compiled functions (which have
    autograph off, see :func:`tf_function`). Callables autograph cannot convert (a Keras layer,
    a builtin) are returned as they are; they need no conversion."""
    try:
        return _CONVERTED[fn]
    except (KeyError, TypeError):
        pass
    try:
        converted = tf.autograph.to_graph(fn)
    except Exception:  # noqa: BLE001 - not a plain Python function: use it as it is
        converted = fn
    try:
        _CONVERTED[fn] = converted
    except TypeError:  # not weak-referenceable
        pass
    return converted


def value_and_grad(fn, x, has_aux=False):
    """Inside a compiled function the convolutions back-propagate to ``x`` as forward
    convolutions (:mod:`.._input_gradient`: only ``x``'s gradient is asked for)."""
    x = tf.convert_to_tensor(x)
    with tf.GradientTape() as tape, conv_as_forward():
        tape.watch(x)
        out = fn(x)
    y = out[0] if has_aux else out
    return out, input_gradient(tape, y, x)


def vjp(fn, x):
    """``fn(x) -> (y, aux)`` run under a tape: ``(y, aux, pullback)`` (see the interface)."""
    x = tf.convert_to_tensor(x)
    with tf.GradientTape(persistent=True, watch_accessed_variables=False) as tape:
        tape.watch(x)
        y, aux = fn(x)
    return y, aux, _pullback(tape, y, x)


def watched_vjp(fn):
    """``fn(watch) -> (y, aux)`` run once under a tape that watches the tensor given to
    ``watch`` as the model makes it: ``(y, aux, a, pullback)``."""
    box = {}

    def watch(t):
        tape.watch(t)
        box["a"] = t
        return t

    with tf.GradientTape(persistent=True, watch_accessed_variables=False) as tape:
        y, aux = fn(watch)
    return y, aux, box["a"], _pullback(tape, y, box["a"])


def _pullback(tape, y, x):
    def one(ct):
        return tf.cast(tape.gradient(y, x, output_gradients=ct,
                                     unconnected_gradients=tf.UnconnectedGradients.ZERO),
                       tf.float32)

    def pullback(cts):
        return tf.map_fn(one, cts, fn_output_signature=tf.float32)

    return pullback


def value_and_input_grad(fn, x):
    """``value_and_grad`` for the input alone: inside a compiled function, convolutions
    back-propagate as forward convolutions (:mod:`.._input_gradient`; unconnected: zeros)."""
    x = tf.convert_to_tensor(x)
    with tf.GradientTape(watch_accessed_variables=False) as tape, conv_as_forward():
        tape.watch(x)
        y = fn(x)
    return y, input_gradient(tape, y, x, tf.UnconnectedGradients.ZERO)


def relu_ops(fn, shape, dtype) -> int:
    """``Relu``/``Relu6`` ops in the graph of ``fn`` traced on ``shape`` (nothing computed)."""
    graph = tf.function(fn, autograph=False).get_concrete_function(
        tf.TensorSpec(tuple(shape), dtype)).graph
    return sum(op.type in ("Relu", "Relu6") for op in graph.get_operations())


def no_grad():
    return contextlib.nullcontext()


def eager():
    return tf.init_scope()


def trace(fn, shape, dtype):
    """Trace ``fn`` into a graph without running it (every static shape, no computation)."""
    tf.function(fn, autograph=False).get_concrete_function(tf.TensorSpec(tuple(shape), dtype))


def device() -> str:
    gpus = tf.config.list_logical_devices("GPU")
    return gpus[0].name if gpus else "/device:CPU:0"
