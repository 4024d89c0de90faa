"""The TensorFlow side of :mod:`convviz_widgets.compute.backend`."""

from __future__ import annotations

import contextlib
import functools
import sys
import weakref

import numpy as np
import tensorflow as tf

# The TensorFlow-only speed path of input gradients (convolutions back-propagated as forward
# convolutions); the other backends need nothing of the kind.
from .._input_gradient import conv_as_forward, input_gradient

#: A tape's gradient exists only inside its compiled call; ``compile(..., pullback=True)``
#: keeps a backward-only graph instead (:func:`_kept`), where the head can be pruned.
KEEPS_PULLBACK = True

#: The widest float the backend computes in (identities and accumulations use it).
WIDE_FLOAT = "float64"


#: The max-pooling gradient is slow here (MaxPoolGrad is one pass over the map).
SLOW_MAX_POOL_GRADIENT = False


def compile(fn, variables=(), signature=None, pullback=False):  # noqa: A001 - the seam's verb
    """``fn`` as a ``tf.function`` (variables are read by the graph at each call); with a
    ``signature``, traced once for it (a ``None`` size is left unknown). ``pullback=True``
    (with a ``signature``): :func:`_kept`."""
    del variables
    if pullback:
        return _kept(fn, signature)
    if signature is not None:
        specs = [tf.TensorSpec(tuple(shape), dtype) for shape, dtype in signature]
        return _Direct(tf_function(fn, input_signature=specs), specs)
    return _Direct(tf_function(fn, reduce_retracing=True))


class _Direct:
    """A ``tf.function`` called through its concrete functions, one per argument shapes.

    Calling a ``tf.function`` binds the arguments to its signature and looks up its trace on
    every call: ~0.1 ms more than calling the concrete function (0.2 ms with
    ``reduce_retracing``), as much as the demo model's whole backward pass, and every user call
    makes one or two such calls (docs/architecture.md, "The fixed cost per call"). Tensor and
    NumPy arguments (converted here, to the signature's dtype if there is one: ``tf.constant``
    costs half of ``keras.ops``' conversion) take the concrete function traced for their shapes
    and dtypes (the ``tf.function``'s own, so its retracing rule is kept); anything else (Python
    numbers, variables, a call inside another compiled function) goes through the
    ``tf.function``.
    """

    __slots__ = ("function", "concrete", "dtypes")

    #: Argument shapes remembered at most (a new batch size each call would grow it).
    KEEP = 16

    def __init__(self, function, specs=None):
        self.function = function
        self.concrete = {}
        self.dtypes = [s.dtype for s in specs] if specs is not None else None

    def __call__(self, *args):
        if not tf.executing_eagerly():
            return self.function(*args)
        args = [_constant(a, None if self.dtypes is None else self.dtypes[i])
                if isinstance(a, np.ndarray) else a for i, a in enumerate(args)]
        if not all(isinstance(a, tf.Tensor) for a in args):
            return self.function(*args)
        key = tuple((tuple(a.shape), a.dtype) for a in args)
        concrete = self.concrete.get(key)
        if concrete is None:
            if len(self.concrete) >= self.KEEP:
                self.concrete.clear()
            concrete = self.concrete[key] = self.function.get_concrete_function(*args)
        return concrete(*args)

    def __getattr__(self, name):
        # Everything else is the tf.function's (its graph, its tracing count).
        return getattr(self.function, name)


def _constant(a: np.ndarray, dtype):
    """``tf.constant(a, dtype)``, refusing what it would do silently: fractional values fed to
    an integer argument (``tf.constant`` truncates 1.7 to 1; session 35's review)."""
    if dtype is not None and dtype.is_integer and a.dtype.kind in "fc":
        raise TypeError(f"a {a.dtype} array was given for a {dtype.name} argument of a compiled "
                        "function; convert it on purpose (np.rint, astype) before the call.")
    return tf.constant(a, dtype)


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
    """Only ``x``'s gradient is asked for (the tape watches no variable; zeros where ``fn``
    does not reach ``x``): inside a compiled function the convolutions back-propagate to ``x``
    as forward convolutions (:mod:`.._input_gradient`)."""
    x = tf.convert_to_tensor(x)
    with tf.GradientTape(watch_accessed_variables=False) as tape, conv_as_forward():
        tape.watch(x)
        out = fn(x)
    y = out[0] if has_aux else out
    return out, input_gradient(tape, y, x, tf.UnconnectedGradients.ZERO)


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

    pullback.ends = (y, x)  # the graph tensors :func:`_kept` prunes the backward pass between
    return pullback


#: Forward tensors a backward graph may recompute: reading a weight or a constant is free.
_FREE_OPS = ("Const", "ReadVariableOp", "VarHandleOp")

#: Kept forward tensors may take at most this many times the watched tensor's bytes (a layer
#: early in the model would keep every later activation; its switch then runs the head again).
_KEPT_MAX_MAPS = 4


def _kept(fn, signature):
    """``fn(*args) -> (*outputs, kept)``, with ``kept = (y, pullback)`` from :func:`watched_vjp`
    (or ``()``), compiled so that ``pullback`` still works after the call: backward only.
    ``kept = (y, pullback, also)``: ``also()`` is traced into the backward graph too, and the
    kept pullback returns ``(grads, also's value)`` from that one run.

    One graph (``tf.compat.v1.wrap_function``) holds the forward pass, the tape's gradients and
    one more vector-Jacobian product ``tf.gradients(y, a, ct)``. The forward tensors its
    gradient ops read (ReLU outputs, pooling inputs and outputs, a dense layer's input: small
    next to the weights) become outputs of the call, and ``prune(feeds=[those, ct])`` makes a
    function of them alone: the forward matrix products are not in it (VGG16: fc1's 411 MB
    read once, not twice). Where pruning cannot separate the two (or would keep more than
    :data:`_KEPT_MAX_MAPS` maps), ``kept`` comes back as ``()``.
    """
    specs = [tf.TensorSpec(tuple(shape), dtype) for shape, dtype in signature]
    box = {}

    def traced(*args):
        *main, kept = fn(*args)
        box["main"] = main
        flat = tf.nest.flatten(main)
        if not kept:
            return flat
        y, pull = kept[0], kept[1]
        # ``also``'s value in this very graph when the caller has it (``also.value``): the
        # backward function fetches it as it is (its ops read the variables again at each
        # run), instead of a second trace of it (ResNet50's fingerprint: ~0.3 s).
        also = None if len(kept) < 3 else getattr(kept[2], "value", None)
        if len(kept) > 2 and also is None:
            also = kept[2]()  # read in the backward's own run
        y_, a = pull.ends
        ct = tf.zeros_like(y_)
        before = set(y_.graph.get_operations())
        grad = tf.cast(tf.gradients(y_, a, grad_ys=ct,
                                    unconnected_gradients=tf.UnconnectedGradients.ZERO)[0],
                       tf.float32)
        feeds = {}
        for op in y_.graph.get_operations():
            if op in before:
                continue
            for t in op.inputs:
                if (t.op in before and t.op.type not in _FREE_OPS and t.dtype != tf.resource
                        and t is not ct):
                    feeds.setdefault(t.name, t)
        keep = list(feeds.values())
        if not _fits(keep, grad):
            return flat
        box["kept"] = (keep, ct, grad, also)
        # The call's outputs are the forward's and the kept state: the wrapped function is
        # called as it is (the backward ops for ``ct`` are not reachable from them, so they
        # never run). Pruning a second function out of the graph for the call copied every
        # forward op in Python (``lift_to_graph``): ~1 s of a ResNet50's first Grad-CAM.
        return flat + [y, *keep]

    wrapped = tf.compat.v1.wrap_function(traced, specs)
    main = box["main"]
    flat = tf.nest.flatten(main)
    step = None
    if "kept" in box:
        keep, ct, grad, also = box["kept"]
        try:
            step = _callable(wrapped.prune(feeds=[*keep, ct],
                                           fetches=[grad] if also is None else [grad, also]),
                             [*keep, ct])
        except Exception:  # noqa: BLE001 - the backward pass needs the forward one
            step = None  # the kept outputs are then read by nobody
    run = _callable(wrapped, [tf.TensorSpec(s.shape, s.dtype) for s in specs])

    def call(*xs):
        out = run(*xs)
        packed = tf.nest.pack_sequence_as(main, out[:len(flat)])
        if step is None:
            return (*packed, ())
        state = out[len(flat) + 1:]

        def pullback(cts):
            # NumPy rows are fed as they are (an eager unstack and stack cost more than the
            # demo model's backward pass).
            runs = [step(*state, c) for c in cts]
            grads = tf.stack([r[0] for r in runs]) if len(runs) > 1 else runs[0][0][None]
            return grads if also is None else (grads, _one_also([r[1] for r in runs]))

        return (*packed, (out[len(flat)], pullback))

    return call


def _one_also(values):
    """The ``also`` value of a pullback that ran once per target: the runs' common value, or all
    of them joined when they differ. ``also`` is the weights fingerprint: weights written
    between two targets' runs (and perhaps restored before the last) gave grads of two weight
    states, and the last run's fingerprint alone could vouch for all of them. Joined, the value
    matches no fingerprint (another shape), so the caller recomputes (session 35's review)."""
    first = values[0]
    if all(np.array_equal(first.numpy(), v.numpy()) for v in values[1:]):
        return first
    return tf.concat([tf.reshape(v, [-1]) for v in values], 0)


def _callable(pruned, feeds):
    """A wrapped or pruned function behind a ``tf.function`` of its feeds' signature (tensors
    or specs): called directly, each call first fails to bind its structured signature and
    formats the error message, tensors' values and all (0.5 ms a call, more than the demo
    model's backward pass)."""
    specs = [tf.TensorSpec(t.shape, t.dtype) for t in feeds]
    return _Direct(tf_function(lambda *xs: pruned(*xs), input_signature=specs), specs)


def _fits(keep, grad) -> bool:
    """The kept tensors have static shapes and take at most :data:`_KEPT_MAX_MAPS` maps."""
    sizes = [t.shape.num_elements() for t in keep] + [grad.shape.num_elements()]
    if any(n is None for n in sizes):
        return False
    return sum(sizes[:-1]) <= _KEPT_MAX_MAPS * sizes[-1]


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


def host_view(x):
    """``EagerTensor.numpy()``: on CPU it may share the tensor's memory."""
    return x.numpy()


#: Where the high 16 bits of an int32 sit in its ``uint16`` view (``tf.bitcast`` keeps the
#: machine's byte order).
_HIGH_HALF = 1 if sys.byteorder == "little" else 0


def high_halves(bits):
    """``bits >>> 16`` of a 1-D int32 tensor (the logical shift), as int32.

    TensorFlow's ``RightShift`` kernel has no vector form (it clamps the shift of each value
    and shifts one value at a time): in ResNet50's weights fingerprint its 23 ops took 2.0 of
    the 2.8 ms that all ops took, against 0.16 ms for the ``BitwiseXor`` over the same values
    (profiler, session 38). The high halves of the ``uint16`` view, cast back, are the same
    values through a strided copy and a vectorised cast."""
    return tf.cast(tf.bitcast(bits, tf.uint16)[:, _HIGH_HALF], tf.int32)


def every_row(a, stride: int):
    """``a[::stride]`` of a 2-D tensor, as a gather of those rows: each row is one contiguous
    copy. ``StridedSlice`` copied them value by value (ResNet50's 35 sampled kernels: 0.8 ms
    of its fingerprint, 0.1 ms gathered; session 38)."""
    rows = int(a.shape[0])
    return tf.gather(a, tf.constant(np.arange(0, rows, stride, dtype=np.int32)))
