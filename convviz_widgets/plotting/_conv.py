"""The figure of one convolution output computed by hand (patch × filter, summed)."""

from __future__ import annotations

from typing import Callable

import numpy as np
from matplotlib.figure import Figure

from .. import compute, display
from ._common import _figure, _rect


def plot_conv_arithmetic(model, image, layer, filter_index: int, position=None, *,
                         max_channels: int = 6, numbers: bool = True,
                         preprocess: Callable | None = None, input_size=None) -> Figure:
    """How one output value of a convolution is computed, drawn as the lessons draw it.

    Left: the image with the window the unit reads (for a first layer). Then, per input channel,
    the input patch, the filter slice and their products (numbers written in the cells when
    ``numbers``), and below, the sum per channel; the title adds them up with the bias and the
    activation and names the value the layer produced. ``input_size=(height, width)`` runs
    the image at that size (as for :func:`convviz_widgets.conv_arithmetic`).

    Examples
    --------
    >>> import convviz_widgets as cv
    >>> fig = cv.plotting.plot_conv_arithmetic(cv.demo_model(), cv.demo_images().images[0],
    ...                                        "block1_conv1", 3, (20, 30))   # doctest: +SKIP
    """
    u = compute.conv_arithmetic(model, image, layer, filter_index, position,
                                preprocess=preprocess, input_size=input_size)
    kh, kw, cin = u.patch.shape
    m = min(cin, max_channels)
    fig = _figure(1.3 * m + 2.6, 4.4)
    grid = fig.add_gridspec(3, m + 1, width_ratios=[1.8] + [1] * m)
    ax = fig.add_subplot(grid[:, 0])
    shown = display.as_display_rgb(u.image)
    ax.imshow(shown, interpolation="nearest")
    if u.reads_image:
        r0, c0 = u.rows[u.rows >= 0], u.cols[u.cols >= 0]
        if len(r0) and len(c0):
            ax.add_patch(_rect((c0.min() - 0.5, r0.min() - 0.5), c0.max() - c0.min() + 1,
                               r0.max() - r0.min() + 1, "red"))
        ax.set_title("input: the window", fontsize=8)
    else:
        ax.set_title(f"input image ({u.layer} reads\nan inner feature map)", fontsize=8)
    ax.set_axis_off()
    limit_w = float(np.abs(u.kernel).max()) or 1.0
    limit_p = float(np.abs(u.products).max()) or 1.0
    rows = [("patch", u.patch, "gray", None), ("filter", u.kernel, "RdBu_r", limit_w),
            ("product", u.products, "RdBu_r", limit_p)]
    for j in range(m):
        for i, (name, arr, cmap, lim) in enumerate(rows):
            a = fig.add_subplot(grid[i, j + 1])
            sl = arr[..., j]
            if lim is None:  # the input on one range for every channel, as the model sees it
                a.imshow(sl, cmap=cmap, vmin=float(u.patch.min()), vmax=float(u.patch.max()),
                         interpolation="nearest")
            else:
                a.imshow(sl, cmap=cmap, vmin=-lim, vmax=lim, interpolation="nearest")
            if numbers and kh * kw <= 25:
                for (y, x), v in np.ndenumerate(sl):
                    a.text(x, y, f"{v:.2g}", ha="center", va="center", fontsize=5.5,
                           color="black", bbox=dict(boxstyle="square,pad=0.05", fc="white",
                                                    alpha=0.6, lw=0))
            a.set_xticks([])
            a.set_yticks([])
            if j == 0:
                a.set_ylabel(name, fontsize=8)
            if i == 0:
                a.set_title(f"channel {j}", fontsize=8)
            if i == 2:
                a.set_xlabel(f"Σ = {u.channel_sums[j]:.3g}", fontsize=8)
    rest = float(u.channel_sums[m:].sum()) if cin > m else None
    more = f" + {cin - m} more channels ({rest:.3g})" if rest is not None else ""
    fig.suptitle(f"{u.layer} filter {u.filter_index} at {u.position}:\n"
                 f"Σ channels {float(u.channel_sums.sum()):.4g}{more and ' incl.' + more}"
                 f" + bias {u.bias:.3g} = {u.pre_activation:.4g} → activation "
                 f"{u.activation:.4g} (the layer output {u.output:.4g})", fontsize=9)
    return fig
