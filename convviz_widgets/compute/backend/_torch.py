"""The PyTorch side of :mod:`convviz_widgets.compute.backend`."""

from __future__ import annotations

import contextlib

import keras
import torch

from ._errors import only_tensorflow

#: The widest float the backend computes in (identities and accumulations use it).
WIDE_FLOAT = "float64"


def compile(fn, variables=(), signature=None):  # noqa: A001 - the seam's verb
    """``fn`` itself: PyTorch runs eagerly (Keras' torch backend reads the live variables)."""
    del variables, signature
    return fn


def user_function(fn):
    """A user's function as compiled code runs it: as it is (no autograph here)."""
    return fn


def tf_function(fn=None, /, **kwargs):
    """No ``tf.function`` here: the TensorFlow-only code paths stop with a clear error."""
    raise only_tensorflow("This computation")


def value_and_grad(fn, x, has_aux=False):
    x = keras.ops.convert_to_tensor(x).detach().requires_grad_(True)
    with torch.enable_grad():
        out = fn(x)
        (g,) = torch.autograd.grad(out[0] if has_aux else out, x)
    return keras.tree.map_structure(torch.Tensor.detach, out), g


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
