"""Gradients with respect to the *input* image, with convolutions back-propagated as convolutions.

Filter maximisation and SmoothGrad differentiate a convnet with respect to its input image, never
its weights: each backward step through a ``Conv2D`` only needs the gradient with respect to the
layer's input. TensorFlow computes that with ``Conv2DBackpropInput``, whose CPU kernel without
oneDNN is much slower than a forward convolution of the same size (measured on a 2-core Xeon,
oneDNN off: 108 ms against 34 ms on 4 maps of 16×16×512, 1.2× at 32×32×256): on VGG16 up to
``block5_conv3`` at 128 px, the backward pass cost twice the forward pass instead of about once.

For a stride-1, undilated ``NHWC`` convolution with an odd kernel, that gradient *is* a forward
convolution: the incoming gradient convolved with the kernel rotated by 180° and its in/out
channels swapped (``SAME`` padding stays ``SAME``; ``VALID`` becomes ``VALID`` on the gradient
padded by the kernel size - 1). :func:`conv_as_forward` makes the convolutions created inside it
use that rule; any other convolution keeps TensorFlow's own gradient. The weight gradient is left
as TensorFlow's (it is pruned from the compiled function when nobody reads it).

TensorFlow only honours a gradient override in graph mode through ``tf.gradients`` (a
``GradientTape`` looks up the op type's registered gradient), so :func:`input_gradient` uses
``tf.gradients`` inside a compiled function and the tape otherwise (functions run eagerly).

The rotated, channel-swapped kernel is kept between calls (:func:`_flipped`): swapping a
512×512 kernel's channel axes is a slow strided copy (9 ms for VGG16's ``block4_conv3``, more
than its forward convolution on two images), and a compiled step made it for every kernel on
every call — a quarter of a maximization step at ``block5_conv3``. Each call now compares the
kernel with the copy the kept one was made from (one pass over it, exact) and makes it again
only when a value changed.

Examples
--------
>>> x = tf.random.uniform((1, 6, 6, 2)); k = tf.random.normal((3, 3, 2, 4))
>>> @tf.function
... def both(x):
...     with tf.GradientTape() as tape, conv_as_forward():
...         tape.watch(x)
...         total = tf.reduce_sum(tf.nn.conv2d(x, k, 1, "SAME") ** 2)
...     return input_gradient(tape, total, x), tf.gradients(total, x)[0]
>>> fast, plain = both(x)
>>> float(tf.reduce_max(tf.abs(fast - plain))) < 1e-3
True
"""

from __future__ import annotations

import contextlib
import threading
import weakref

import tensorflow as tf
from tensorflow.python.ops import nn_grad
# The variable class itself (private): tf.Variable() inside a tf.function's first trace is
# recorded by the function, which then traces its Python code a second time.
from tensorflow.python.ops.resource_variable_ops import ResourceVariable

try:  # a private module: may move between TensorFlow versions
    from tensorflow.python.util._pywrap_util_port import IsMklEnabled
except ImportError:  # pragma: no cover
    IsMklEnabled = None

__all__ = ["ONEDNN", "conv_as_forward", "input_gradient"]

_GRADIENT = "ConvvizConv2DInputAsConv"
#: Fewest input channels a convolution needs for its gradient to be taken as a forward conv.
MIN_CHANNELS = 16
#: Whether this process runs oneDNN kernels (fixed when TensorFlow loads).
ONEDNN = bool(IsMklEnabled()) if IsMklEnabled is not None else False
#: TensorFlow's own Conv2D gradient (private; where a future TensorFlow moves it,
#: :func:`conv_as_forward` does nothing and every gradient stays TensorFlow's).
_TF_CONV_GRAD = getattr(nn_grad, "_Conv2DGrad", None)


@tf.RegisterGradient(_GRADIENT)
def _conv2d_grad(op, grad):
    """``[d input, d kernel]`` of a ``Conv2D``; ``d input`` as a forward convolution when the
    convolution allows it, otherwise TensorFlow's own ``Conv2DBackpropInput``."""
    kernel = op.inputs[1]
    padding = op.get_attr("padding")
    kh, kw = kernel.shape[0], kernel.shape[1]
    plain = (op.get_attr("data_format") == b"NHWC"
             and list(op.get_attr("strides")) == [1, 1, 1, 1]
             and list(op.get_attr("dilations")) == [1, 1, 1, 1]
             and padding in (b"SAME", b"VALID")
             and kh is not None and kw is not None and kh % 2 == 1 and kw % 2 == 1
             # A forward conv with a handful of output channels (the first layer's gradient
             # to an RGB image) is slower than TensorFlow's kernel (block1_conv2: +20 %).
             and (kernel.shape[2] or 0) >= MIN_CHANNELS)
    if not plain:
        return _TF_CONV_GRAD(op, grad)
    flipped = _flipped(kernel)
    if padding == b"VALID":
        grad_in = tf.pad(grad, [[0, 0], [kh - 1, kh - 1], [kw - 1, kw - 1], [0, 0]])
        d_input = tf.nn.conv2d(grad_in, flipped, 1, "VALID")
    else:
        d_input = tf.nn.conv2d(grad, flipped, 1, "SAME")
    # The weight gradient as TensorFlow computes it (pruned when unused).
    d_kernel = _TF_CONV_GRAD(op, grad)[1]
    return [d_input, d_kernel]


def _flip(kernel):
    return tf.transpose(tf.reverse(kernel, [0, 1]), [0, 1, 3, 2])  # (kh, kw, out, in)


#: Smallest kernel (values) whose flip is kept: a smaller one fits the CPU's caches and is
#: flipped in microseconds, while keeping it costs a compare-and-refresh branch in every traced
#: graph (the demo model's first maximization, whose largest kernel has 36,864 values, took
#: 0.65 s more CPU with every kernel kept).
KEEP_FLIP_MIN = 65_536
#: ``id(variable handle) -> kept``: one ``(2, n)`` variable per model kernel (row 0 a copy of
#: the kernel, row 1 its flip, both flat), dropped when the kernel's variable is (a
#: ``weakref.finalize`` on its handle).
_KEPT: dict = {}
_KEPT_LOCK = threading.Lock()


def _kept_pair(handle, kernel):
    """The kept ``(2, n)`` variable of the variable behind ``handle``: a copy of the kernel and
    the flip made from it in ONE variable, so one read sees a copy with its own flip and one
    write replaces both. (Two variables, written one after the other, could be left holding
    one thread's copy and another thread's flip when two calls refreshed them with different
    kernel values — a weight written while the Explorer warms — and every later call with that
    kernel then used the wrong flip.) Made on first use, NaN: it differs from every value, so
    the first call fills it."""
    with _KEPT_LOCK:
        kept = _KEPT.get(id(handle))
        if kept is None:
            with tf.init_scope():  # variables live outside the function being traced
                kept = ResourceVariable(
                    tf.fill([2, kernel.shape.num_elements()],
                            tf.constant(float("nan"), kernel.dtype)),
                    trainable=False, name="convviz_kernel_flip")
            _KEPT[id(handle)] = kept
            weakref.finalize(handle, _KEPT.pop, id(handle), None)
        return kept


def _flipped(kernel):
    """The kernel rotated by 180° with its channel axes swapped. For a model variable of at
    least :data:`KEEP_FLIP_MIN` values read in a compiled function: the kept flip, made again
    only when the kernel's values changed (an exact comparison with the copy it was made from,
    one pass over the kernel, ~10x cheaper than the flip). Anything else (a smaller, cast or
    computed kernel) is flipped here."""
    if kernel.op.type != "ReadVariableOp" or not kernel.shape.is_fully_defined() or \
            kernel.shape.num_elements() < KEEP_FLIP_MIN:
        return _flip(kernel)
    handle = kernel.op.inputs[0]
    outer = [ext for ext, internal in getattr(kernel.graph, "captures", ()) if internal is handle]
    if not outer or tf.is_symbolic_tensor(outer[0]):  # not a variable of the eager program
        return _flip(kernel)
    kept = _kept_pair(outer[0], kernel)
    shape = kernel.shape.as_list()
    flat = tf.reshape(kernel, [-1])
    # One read: the copy and the flip made from it, whatever another thread writes meanwhile
    # (a write replaces the variable's buffer while a read holds it).
    pair = kept.read_value()

    def refresh():
        new = _flip(kernel)
        with tf.control_dependencies([kept.assign(tf.stack([flat, tf.reshape(new, [-1])]))]):
            return tf.identity(new)

    def reuse():
        return tf.reshape(pair[1], shape[:2] + [shape[3], shape[2]])

    changed = tf.reduce_any(tf.not_equal(flat, pair[0]))  # NaN: always changed
    return tf.cond(changed, refresh, reuse)


@contextlib.contextmanager
def conv_as_forward():
    """Inside a compiled function: convolutions created here back-propagate to their input as
    forward convolutions (see the module docstring). Eagerly, with oneDNN on, or where
    TensorFlow's own gradient is not found: does nothing."""
    if tf.executing_eagerly() or ONEDNN or _TF_CONV_GRAD is None:
        yield
        return
    with tf.compat.v1.get_default_graph().gradient_override_map({"Conv2D": _GRADIENT}):
        yield


def input_gradient(tape: tf.GradientTape, total, x, unconnected=tf.UnconnectedGradients.NONE):
    """``d total / d x``: by ``tf.gradients`` inside a compiled function (it honours
    :func:`conv_as_forward`), by ``tape`` when running eagerly."""
    if tf.executing_eagerly():
        return tape.gradient(total, x, unconnected_gradients=unconnected)
    return tf.gradients(total, x, unconnected_gradients=unconnected)[0]
