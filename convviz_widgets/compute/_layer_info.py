"""What the views know about one layer (:class:`LayerInfo`) and the checks of what callers ask
of a layer: an input size and filter indices. Plain data and numpy; :mod:`._access` makes the
infos from the model's trace.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from ._messages import InputError

__all__ = ["LayerInfo", "check_filters", "check_input_size"]


@dataclass(frozen=True)
class LayerInfo:
    """What the views need to know about one layer.

    Attributes
    ----------
    path : str
        ``"/"``-joined names from the outer model down, e.g. ``"vgg16/block3_conv1"``.
    name : str
        The layer's own name.
    class_name : str
        ``"Conv2D"``, ``"MaxPooling2D"``, ``"Functional"``, ...
    output_shape : tuple
        Output shape with the batch dimension as ``None`` (spatial sizes may be ``None`` for a
        fully convolutional model). For a layer called several times, its first call.
    kernel_shape : tuple or None
        Shape of :func:`convviz_widgets.kernels` for this layer, ``(kh, kw, cin, cout)``;
        ``None`` when the layer has no 2-D convolution kernel.
    params : int
        Number of weights (trainable and not) including nested layers.
    depth : int
        Nesting depth: 0 for layers of the outer model.
    is_container : bool
        True for a model or layer that holds other layers (e.g. a nested backbone).
    calls : int
        How many times the layer ran in one forward pass (shared layers run more than once).
    """

    path: str
    name: str
    class_name: str
    output_shape: tuple
    kernel_shape: tuple | None
    params: int
    depth: int = 0
    is_container: bool = False
    calls: int = 1

    @property
    def has_kernel(self) -> bool:
        """True when :func:`convviz_widgets.kernels` works on this layer."""
        return self.kernel_shape is not None

    @property
    def is_spatial(self) -> bool:
        """True when the output is a feature map ``(n, h, w, c)``."""
        return len(self.output_shape) == 4

    @property
    def channels(self) -> int | None:
        """Number of output channels of a spatial layer."""
        return self.output_shape[-1] if self.output_shape else None

    def __str__(self) -> str:
        shape = "×".join("?" if d is None else str(d) for d in self.output_shape[1:])
        return f"{self.path} ({self.class_name}, {shape})"


def check_input_size(input_size) -> tuple[int, int]:
    """``input_size`` as ``(height, width)`` ints, or an error saying what to pass.

    Examples
    --------
    >>> check_input_size([48, 80.0])
    (48, 80)
    """
    try:
        h, w = (int(v) for v in input_size)
        ok = h >= 1 and w >= 1 and all(float(v) == int(v) for v in input_size)
    except (TypeError, ValueError):
        ok = False
    if not ok:
        raise ValueError(f"input_size must be (height, width) in pixels, two positive integers, "
                         f"e.g. input_size=(224, 224); got {input_size!r}.")
    return h, w


def check_filters(info: LayerInfo, filters: Sequence[int] | int | None, n: int) -> np.ndarray:
    """Validate filter indices against ``n`` channels; return them as an int array."""
    if filters is None:
        return np.arange(n)
    arr = np.atleast_1d(np.asarray(filters))
    if arr.dtype.kind not in "iu":
        raise TypeError(f"Filter indices must be integers, got {filters!r}.")
    bad = arr[(arr < 0) | (arr >= n)]
    if bad.size:
        raise InputError("filter_range", index=int(bad[0]), layer=info.path, n=n, last=n - 1)
    return arr.astype(np.int64)
