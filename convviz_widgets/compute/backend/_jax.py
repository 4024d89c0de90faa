"""The JAX side of :mod:`convviz_widgets.compute.backend`."""

from __future__ import annotations

import contextlib

import jax
import keras
import numpy as np

from ._errors import only_tensorflow

#: A pullback outlives the compiled call that made it (its residuals are arrays it holds).
KEEPS_PULLBACK = True

#: The widest float the backend computes in: JAX has no float64 unless ``jax_enable_x64``.
WIDE_FLOAT = "float64" if jax.config.jax_enable_x64 else "float32"


#: The max-pooling gradient is slow here (XLA CPU's select_and_scatter: 44x the pooling itself).
SLOW_MAX_POOL_GRADIENT = True


def compile(fn, variables=(), signature=None, pullback=False):  # noqa: A001 - the seam's verb
    """``fn`` under ``jax.jit``, stateless: the variables' values are arguments of every call.

    A plain jit of a Keras call would read each variable once, while tracing, and keep that
    value as a constant: new weights (``set_weights``, training) would never be seen. Inside a
    :class:`keras.StatelessScope` every variable reads the value passed in instead.

    A variable's value that ``fn`` returns as it is (a pullback's residuals hold the weights
    of the layers it goes back through) is not copied out of the compiled call: it leaves as
    an empty placeholder and the live value is put back (VGG16's kept head: 494 MB of
    weights copied per image otherwise, 0.8x a forward pass).

    ``pullback=True``: a kept ``(y, pullback, also)`` comes back as ``(y, pullback')`` where
    ``pullback'(cts)`` runs the backward pass and ``also()`` in one jit: ``(grads, also)``.
    """
    # jit traces once per shape it is called with; a returned pullback is a Partial already.
    del signature
    variables = list(variables)
    forwarded = {}  # output structure -> {leaf position: variable index}, learnt while tracing
    also = {}  # a kept pullback's ``also`` (a function, not an array: it cannot leave the jit)

    @jax.jit
    def inner(values, *args):
        with keras.StatelessScope(state_mapping=list(zip(variables, values))):
            out = fn(*args)
        if pullback and len(out[-1]) > 2:
            also["fn"] = out[-1][2]
            out = (*out[:-1], tuple(out[-1][:2]))
        leaves, tree = jax.tree_util.tree_flatten(out)
        index = {id(v): i for i, v in enumerate(values)}
        found = {}
        for pos, leaf in enumerate(leaves):
            if id(leaf) in index:
                found[pos] = index[id(leaf)]
                leaves[pos] = jax.numpy.zeros((0,), leaf.dtype)
        forwarded[tree] = found
        return jax.tree_util.tree_unflatten(tree, leaves)

    @jax.jit
    def with_also(values, pull, cts):
        # A kept pullback and its ``also`` in one compiled call (see the interface).
        with keras.StatelessScope(state_mapping=list(zip(variables, values))):
            return pull(cts), also["fn"]()

    def call(*args):
        values = [v.value for v in variables]
        out = inner(values, *args)
        leaves, tree = jax.tree_util.tree_flatten(out)
        found = forwarded.get(tree)
        if found:
            for pos, i in found.items():
                leaves[pos] = values[i]
            out = jax.tree_util.tree_unflatten(tree, leaves)
        if pullback and "fn" in also and out[-1]:
            y, pull = out[-1]
            out = (*out[:-1], (y, lambda cts: with_also([v.value for v in variables], pull,
                                                        cts)))
        return out

    return call


def user_function(fn):
    """A user's function as compiled code runs it: as it is (no autograph here)."""
    return fn


def tf_function(fn=None, /, **kwargs):
    """No ``tf.function`` here: the TensorFlow-only code paths stop with a clear error."""
    raise only_tensorflow("This computation")


def value_and_grad(fn, x, has_aux=False):
    return jax.value_and_grad(fn, has_aux=has_aux)(keras.ops.convert_to_tensor(x))


def vjp(fn, x):
    """``jax.vjp`` of ``fn(x) -> (y, aux)``: ``(y, aux, pullback)`` (see the interface)."""
    y, pull, aux = jax.vjp(fn, keras.ops.convert_to_tensor(x), has_aux=True)
    return y, aux, _each(pull)


def watched_vjp(fn):
    """``fn(watch) -> (y, aux)``: ``(y, aux, a, pullback)`` with respect to the tensor given to
    ``watch``. JAX differentiates functions, not tensors, so ``watch`` adds a zero ``eps`` to
    the tensor and the pullback is taken with respect to ``eps`` (the same gradient): one
    forward pass. ``eps``'s shape comes from ``jax.eval_shape`` (a trace, nothing computed).
    Running ``fn`` once to find the tensor and again as a function of it cost a second forward
    pass under ``jax.jit`` (VGG16: a fresh Grad-CAM at 2.0x a forward pass instead of 1.2x)."""

    def find(_):
        box = {}

        def record(t):
            box["a"] = t
            return t

        fn(record)
        return box["a"]

    shape = jax.eval_shape(find, 0)

    def perturbed(eps):
        box = {}

        def watch(t):
            box["a"] = t
            return t + eps

        y, aux = fn(watch)
        return y, (aux, box["a"])

    zero = jax.numpy.zeros(shape.shape, shape.dtype)
    y, pull, (aux, a) = jax.vjp(perturbed, zero, has_aux=True)
    return y, aux, a, _each(pull)


def _each(pull):
    """One vector-Jacobian product per cotangent row, in sequence: ``lax.map`` inside
    ``jax.jit`` (batching them with ``vmap`` turns a dense layer's matrix-vector products into a
    matrix product), a Python loop outside it. A :class:`jax.tree_util.Partial`: a compiled
    function can return it, residuals and all (:data:`KEEPS_PULLBACK`)."""
    return jax.tree_util.Partial(_apply_each, pull)


def _apply_each(pull, cts):
    if isinstance(cts, jax.core.Tracer):
        return _mapped(pull, cts)
    return _kept_apply(pull, cts)


def _mapped(pull, cts):
    return jax.lax.map(lambda ct: pull(ct)[0].astype("float32"), cts)


#: A kept pullback applied after its compiled call (a class switch), compiled too: run
#: eagerly, each backward op was dispatched (and first compiled) alone — the demo model's
#: switch cost 2x its forward pass. The pullback's function is the same object for every call
#: of the compiled function that returned it (it is part of the output's tree structure), so
#: this compiles once per head and target count; its residuals are arguments.
_kept_apply = jax.jit(_mapped)


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


def host_view(x):
    """``np.asarray``: on CPU a read-only view of the array's own buffer, no copy."""
    return np.asarray(x)


def high_halves(bits):
    """``bits >>> 16`` of a 1-D int32 array (the logical shift of its ``uint32`` view), as
    int32: XLA fuses and vectorises it."""
    return jax.lax.bitcast_convert_type(
        jax.lax.shift_right_logical(jax.lax.bitcast_convert_type(bits, "uint32"),
                                    np.uint32(16)), "int32")
