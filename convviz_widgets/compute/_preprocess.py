"""What callers pass as ``preprocess``, checked once; and display images turned into model input.

A ``preprocess`` maps display images (float32 in [0, 1]) to what the model expects; every compute
function runs it eagerly, compiled and differentiated, so :func:`check_preprocess` tries all of
that once per function and input size and says how to fix what fails. What a preprocess *is*
for caching (its identity) is :func:`._identity.preprocess_key`.
"""

from __future__ import annotations

import functools
import threading
from collections import OrderedDict
from typing import TYPE_CHECKING, Callable

import keras
import numpy as np

from . import backend
from ._preprocess_identity import preprocess_key
from ._model_trace import float_feed

if TYPE_CHECKING:
    from ._access import ModelAccess

__all__ = ["check_preprocess", "model_input"]


_PP_CHECKED: "OrderedDict[tuple, bool]" = OrderedDict()
_PP_CHECKED_MAX = 256
_PP_LOCK = threading.Lock()


def _library_preprocess(fn) -> str | None:
    """``"keras.applications.resnet50.preprocess_input"`` for a Keras applications function."""
    while isinstance(fn, functools.partial):
        fn = fn.func
    mod = getattr(fn, "__module__", "") or ""
    name = getattr(fn, "__name__", "")
    if name == "preprocess_input" and (
            mod.startswith(("keras.src.applications.", "keras.applications.",
                            "tf_keras.", "tensorflow.python.keras.", "keras_core."))):
        app = mod.rsplit(".", 1)[-1]
        return f"keras.applications.{app}.preprocess_input"
    return None


def check_preprocess(preprocess: Callable | None, sample: np.ndarray, input_shape: tuple) -> None:
    """Check ``preprocess`` once on a display-image sample, eagerly *and* compiled.

    Parameters
    ----------
    preprocess : callable or None
    sample : ndarray
        ``(1, h, w, c)`` float32 display images in [0, 1].
    input_shape : tuple
        The model's input shape ``(None, H, W, C)``.

    Raises
    ------
    TypeError
        ``preprocess`` is not callable.
    ValueError
        A Keras applications ``preprocess_input`` passed directly (it expects 0–255 pixels, we
        pass [0, 1]); an error when run; a wrong output shape; or an error only when compiled
        (NumPy calls on tensors) — each message says how to fix it.

    Examples
    --------
    >>> check_preprocess(lambda x: x * 2.0 - 1.0, np.zeros((1, 8, 8, 3), np.float32),
    ...                  (None, 8, 8, 3))
    """
    if preprocess is None:
        return
    if not callable(preprocess):
        raise TypeError(f"preprocess must be a callable mapping display images to model input, "
                        f"got {type(preprocess).__name__}.")
    lib = _library_preprocess(preprocess)
    if lib is not None:
        raise ValueError(
            f"preprocess is Keras' preprocess_input ({lib}), which expects pixels in 0–255, "
            "but convviz_widgets passes display images in [0, 1], so the model would see "
            "almost-constant input. Scale first: preprocess=lambda x: preprocess_input(x * 255.0)")
    try:
        out = preprocess(keras.ops.convert_to_tensor(sample))
    except Exception as exc:  # noqa: BLE001 - any user error is re-raised with context
        raise ValueError(
            f"preprocess raised {type(exc).__name__}: {exc}. It receives a float32 tensor "
            f"(n, h, w, c) of display images in [0, 1] and must return the model input, using "
            "TensorFlow/Keras ops (it is also differentiated through).") from exc
    shape = tuple(getattr(out, "shape", ()))
    want = tuple(input_shape[1:])
    if len(shape) != 4 or any(w is not None and s != w for s, w in zip(shape[1:], want)):
        raise ValueError(f"preprocess returned shape {shape}; the model expects (n,) + {want}.")
    key = (preprocess_key(preprocess), tuple(sample.shape[1:]))
    with _PP_LOCK:
        if key in _PP_CHECKED:
            _PP_CHECKED.move_to_end(key)
            return
    # The compiled functions trace preprocess symbolically; a function that only works on
    # eager tensors (np.asarray(x), x.numpy(), Python branching on values) passes the call
    # above and would fail there with the backend's internals. Trace it alone, now, to say so.
    try:
        backend.trace(lambda x: backend.user_function(preprocess)(x), (None,) + tuple(sample.shape[1:]), "float32")
    except Exception as exc:  # noqa: BLE001
        # TensorFlow prefixes "in user code:" and a traceback; the last line is the cause.
        lines = [ln.strip() for ln in str(exc).strip().splitlines() if ln.strip()]
        first = lines[-1] if lines else ""
        raise ValueError(
            f"preprocess works on an eager tensor but fails when compiled (tf.function, jax.jit) "
            f"({type(exc).__name__}: {first[:200]}). convviz_widgets compiles and "
            "differentiates it, so it must use TensorFlow/Keras ops on the tensor it gets: "
            "replace NumPy calls (np.asarray, np.clip, x.numpy()) with keras.ops / tf "
            "equivalents, e.g. lambda x: keras.ops.clip(x * 2.0 - 1.0, -1.0, 1.0).") from exc
    with _PP_LOCK:
        _PP_CHECKED[key] = True
        while len(_PP_CHECKED) > _PP_CHECKED_MAX:
            _PP_CHECKED.popitem(last=False)


def model_input(acc: "ModelAccess", x, preprocess: Callable | None):
    """Display images ``x`` (float32 in [0, 1]) as the model's input.

    With a ``preprocess``, its output. Without one, ``x`` itself — except for a model whose
    ``Input`` is an integer type (``keras.Input(..., dtype="uint8")``), which is fed 0–255
    values: casting [0, 1] floats would give it black images. They are fed as float32 (the
    model takes them as they are, :func:`~._model_trace.float_feed`), rounded to the integers
    the model would see with a straight-through gradient, so Grad-CAM, saliency and the
    maximizer get the gradient the rounding would otherwise cut.

    Every compute function turns display images into model input here, and runs the model
    through :func:`~._model_trace.run_model`.

    Examples
    --------
    >>> model_input(access(model), tf.zeros((1, 8, 8, 3)), None).dtype  # doctest: +SKIP
    tf.float32
    """
    if preprocess is not None:
        return backend.user_function(preprocess)(x)
    dt = acc.input_dtype
    if np.issubdtype(dt, np.integer):
        x255 = x * 255.0
        if float_feed(acc):
            # forward: round(x255); backward: the identity (round has zero gradient)
            return x255 + keras.ops.stop_gradient(keras.ops.round(x255) - x255)
        return keras.ops.cast(keras.ops.round(x255), dt.name)
    return x
