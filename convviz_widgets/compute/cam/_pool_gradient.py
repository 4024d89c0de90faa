"""Max pooling with its input gradient taken by a one-hot of each window's argmax.

XLA's CPU gradient of max pooling (``select_and_scatter``) is far slower than the pooling itself:
44x the forward pass on a 25 x 64 x 64 x 32 batch (70 ms against 1.6 ms of CPU; a 3x3 convolution
of the same batch back-propagates in 37 ms), so on JAX it was most of a batched input gradient of
the demo model. For windows that tile the map (``pool_size == strides``, ``"valid"``, channels
last: every MaxPooling2D of VGG-style models) the same gradient is cheap to write out: reshape
the map into its windows, take each window's first maximum (``argmax``, the element
TensorFlow's and XLA's own gradients choose), and place the incoming gradient there. Rows and
columns that no window covers get zero. Other poolings keep the backend's gradient.

The seam says where this pays (``backend.SLOW_MAX_POOL_GRADIENT``: JAX);
:func:`pool_wrappers` gives ``run_model(wrap_calls=...)`` entries for every such layer.
"""

from __future__ import annotations

from typing import Callable

import keras
from keras import ops


def _tiles(layer) -> bool:
    pool = tuple(getattr(layer, "pool_size", ()) or ())
    strides = tuple(getattr(layer, "strides", ()) or ())
    return (type(layer).__name__ in ("MaxPooling2D", "MaxPool2D") and len(pool) == 2
            and pool == strides and getattr(layer, "padding", None) == "valid"
            and getattr(layer, "data_format", "channels_last") == "channels_last")


def _argmax_pool(call, ph: int, pw: int):
    @keras.ops.custom_gradient
    def pool(x):
        y = call(x)

        def grad(*args, upstream=None):
            dy = args[0] if upstream is None else upstream  # (n, h', w', c)
            h, w, c = x.shape[1], x.shape[2], x.shape[3]
            hh, ww = h // ph, w // pw
            win = ops.reshape(x[:, :hh * ph, :ww * pw], (-1, hh, ph, ww, pw, c))
            win = ops.reshape(ops.transpose(win, (0, 1, 3, 5, 2, 4)), (-1, hh, ww, c, ph * pw))
            first = ops.one_hot(ops.argmax(win, axis=-1), ph * pw, dtype=dy.dtype)
            g = ops.reshape(first * dy[..., None], (-1, hh, ww, c, ph, pw))
            g = ops.reshape(ops.transpose(g, (0, 1, 4, 2, 5, 3)), (-1, hh * ph, ww * pw, c))
            if hh * ph != h or ww * pw != w:
                g = ops.pad(g, [(0, 0), (0, h - hh * ph), (0, w - ww * pw), (0, 0)])
            return g

        return y, grad

    return pool


def pool_wrappers(acc) -> dict[str, Callable]:
    """``{path: wrapper}`` for ``run_model(wrap_calls=...)``: every tiling MaxPooling2D layer
    back-propagates by the argmax one-hot (see the module docstring)."""
    infos = acc.infos()
    out = {}
    for path in acc.paths:
        layer = acc.layer(path)
        if infos[path].is_container or not _tiles(layer):
            continue

        def wrap(layer, call):
            pool = _argmax_pool(call, *layer.pool_size)
            return lambda *args, **kwargs: pool(args[0] if args else kwargs["inputs"])

        out[path] = wrap
    return out
