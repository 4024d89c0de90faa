"""Learned convolution kernels and the statistics teachers point at (norms, dead filters)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._access import access, conv_layers, resolve_layer
from ._structure import normalized_kernel
from ._repr import ShortRepr, number, one_line

#: A filter is "dead" when its largest absolute weight is below this share of the layer's largest.
DEAD_TOLERANCE = 1e-3


@dataclass(frozen=True)
class KernelStats(ShortRepr):
    """Per-filter statistics of one convolution layer.

    Attributes
    ----------
    norms : ndarray
        ``(cout,)`` float32, L2 norm of each filter's weights.
    max_abs : ndarray
        ``(cout,)`` float32, largest absolute weight of each filter.
    dead : ndarray
        ``(cout,)`` bool: all weights ~0 (``max_abs <= DEAD_TOLERANCE * layer max``), i.e. the
        filter passes nothing on — the lessons' "not all zeros" check.
    dead_fraction : float
        Share of dead filters in the layer.
    vmin, vmax : float
        Smallest and largest weight in the layer (the shared scale of a layer-wide plot).
    """

    norms: np.ndarray
    max_abs: np.ndarray
    dead: np.ndarray
    dead_fraction: float
    vmin: float
    vmax: float

    def __repr__(self) -> str:
        return one_line("KernelStats", filters=str(len(self.norms)),
                        dead_fraction=number(self.dead_fraction), vmin=number(self.vmin),
                        vmax=number(self.vmax))


def kernels(model, layer) -> np.ndarray:
    """The weights of a convolution layer as ``(kh, kw, cin, cout)`` float32.

    ``Conv2D`` kernels are returned as stored; ``Conv2DTranspose`` kernels (stored as
    ``(kh, kw, out, in)``) are transposed so ``cin`` is what the layer reads; ``DepthwiseConv2D``
    and ``SeparableConv2D`` depthwise kernels become ``(kh, kw, 1, cin * multiplier)`` because each
    output channel reads a single input channel.

    Parameters
    ----------
    model : keras.Model
        Any built model style, nested layers included.
    layer : str or keras.layers.Layer
        Path (``"vgg16/block1_conv1"``), unique name or the layer object.

    Returns
    -------
    ndarray
        ``(kh, kw, cin, cout)`` float32; ``kernels(...)[..., f]`` is filter ``f``'s slices.

    Raises
    ------
    ValueError
        Unknown layer, or a layer with no 2-D convolution kernel (the message lists the layers
        that have one).

    Examples
    --------
    >>> import convviz_widgets as cv
    >>> w = cv.kernels(cv.demo_model(), "block1_conv1")            # doctest: +SKIP
    >>> w.shape                                                     # doctest: +SKIP
    (3, 3, 3, 16)
    """
    info = resolve_layer(model, layer)
    w = normalized_kernel(access(model).layer(info.path))
    if w is None:
        options = [i.path for i in conv_layers(model, kind="kernel")]
        raise ValueError(
            f"Layer {info.path!r} ({info.class_name}) has no 2-D convolution kernel. Layers with "
            f"one: {options[:8]}{' …' if len(options) > 8 else ''}.")
    return w


def kernel_stats(model, layer) -> KernelStats:
    """Norm, dead-filter flag and value range of every filter in a convolution layer.

    Examples
    --------
    >>> import convviz_widgets as cv
    >>> s = cv.kernel_stats(cv.demo_model(), "block1_conv1")       # doctest: +SKIP
    >>> s.norms.shape, 0.0 <= s.dead_fraction <= 1.0                # doctest: +SKIP
    ((16,), True)
    """
    return stats_of_kernel(kernels(model, layer))


def stats_of_kernel(w: np.ndarray) -> KernelStats:
    """:class:`KernelStats` of a ``(kh, kw, cin, cout)`` array."""
    flat = w.reshape(-1, w.shape[-1])  # (kh*kw*cin, cout): one column per filter
    # einsum accumulates in float64 without a float64 copy of the whole layer (10x faster at 512²).
    norms = np.sqrt(np.einsum("ij,ij->j", flat, flat, dtype=np.float64)).astype(np.float32)
    max_abs = np.abs(flat).max(axis=0).astype(np.float32)
    layer_max = float(max_abs.max()) if max_abs.size else 0.0
    dead = max_abs <= DEAD_TOLERANCE * layer_max if layer_max > 0 else np.ones_like(max_abs, bool)
    return KernelStats(norms, max_abs, dead, float(dead.mean()) if dead.size else 0.0,
                       float(w.min()), float(w.max()))
