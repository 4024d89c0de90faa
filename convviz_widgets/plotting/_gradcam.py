"""The static Grad-CAM figure: the image, the region explained (image-shaped outputs) and the
map, titled with what was explained — and a warning, with a layer to try, when the map is
blank."""

from __future__ import annotations

import textwrap
from typing import Callable

import numpy as np
from matplotlib.figure import Figure

from .. import compute


def _target_text(model, res, class_names, output) -> str:
    """``"'not star' (p = 99.8 %)"``, ``"region: foreground (812 px)"`` or the callable."""
    t = res.target
    if isinstance(t, compute.Region):
        return f"region: {t.label}" + (f", channel {t.channel}" if t.channel else "")
    if callable(t):
        return getattr(t, "__name__", "custom score")
    names = compute.class_labels(model, class_names, output=output)
    name = names[int(t)] if 0 <= int(t) < len(names) else f"class {int(t)}"
    prob = f" (p = {res.probability:.1%})" if res.probability is not None else ""
    return f"'{name}'{prob}"


def flat_map_warning(model, image, res, *, method="gradcam", preprocess=None,
                     output=None) -> str:
    """The sentence a blank map needs: why it is blank and which layer to try ("" if not blank).

    Examples
    --------
    >>> import convviz_widgets as cv
    >>> res = cv.gradcam(unet, img, layer="uconv32")                   # doctest: +SKIP
    >>> cv.plotting.flat_map_warning(unet, img, res)                   # doctest: +SKIP
    'The map is all zero at uconv32: … Try layer conv64.'
    """
    h = res.heatmap
    flat = res.flag is not None or not h.size or float(h.max()) <= float(h.min())
    if not flat or res.flag == "nonfinite_input":
        return ""
    text = f"The map is all zero at {res.layer}: {res.reason or 'the map is constant'}."
    if res.flag in ("constant_input", "empty_region", "nonfinite_map"):
        return text
    layer = compute.layer_to_try(model, image, target=res.target, method=method,
                                 preprocess=preprocess, exclude=[res.layer], output=output)
    return text + (f" Try layer {layer}." if layer else
                   " No other layer gives a non-zero map; try another target or method.")


def plot_gradcam(model, image, target=None, layer=None, method: str = "gradcam", *,
                 preprocess: Callable | None = None, class_names=None, output=None,
                 result=None, cmap: str = "jet", opacity: float = 0.5,
                 panel_inches: float = 2.6) -> Figure:
    """The image, what was explained, and the map over the image, as a handout figure.

    The title names the target the way the widgets do: for a model ending in one sigmoid unit
    with ``class_names=["star"]``, class 0 is ``'not star'``; for an image-shaped output (a
    U-Net) the target is a region (default: the predicted foreground), drawn in its own panel.
    A blank map (all zero or constant) says so in red, with the reason and a layer whose map
    is not blank (:func:`~convviz_widgets.compute.layer_to_try`).

    Parameters
    ----------
    model, image, target, layer, method, preprocess, output
        As for :func:`convviz_widgets.gradcam` (``target`` may be a :class:`~convviz_widgets.Region`).
    class_names : list of str, optional
        As for the widgets (one name for one sigmoid unit names its positive class).
    result : CAMResult, optional
        An already computed map (then ``target``, ``layer`` are not used).
    cmap, opacity : optional
        The overlay's colormap and heat opacity.
    panel_inches : float
        Size of one panel.

    Returns
    -------
    matplotlib.figure.Figure
        ``fig.warning`` holds the blank-map sentence ("" for a good map).

    Examples
    --------
    >>> import convviz_widgets as cv
    >>> fig = cv.plotting.plot_gradcam(model, image, class_names=["star"])   # doctest: +SKIP
    >>> fig.savefig("gradcam.png")                                           # doctest: +SKIP
    """
    res = result if result is not None else compute.gradcam(
        model, image, target=target, layer=layer, method=method, preprocess=preprocess,
        output=output)
    if isinstance(res, list):
        raise ValueError("plot_gradcam draws one map; pass one target (not a list), or plot "
                         "each result with result=.")
    shown = res.image if res.image is not None else np.asarray(image, np.float32)
    region = res.target if isinstance(res.target, compute.Region) else None
    panels = 3 if region is not None else 2
    fig = Figure(figsize=(panel_inches * panels, panel_inches + 0.9), layout="constrained")
    axes = fig.subplots(1, panels)
    grey = shown.shape[-1] == 1
    axes[0].imshow(shown[..., 0] if grey else shown, cmap="gray" if grey else None,
                   vmin=0, vmax=1)
    axes[0].set_title("input", fontsize=9)
    if region is not None:
        axes[1].imshow(region.mask, cmap="gray", vmin=0, vmax=1, interpolation="nearest")
        axes[1].set_title(f"region explained ({region.pixels} px)", fontsize=9)
    signed = bool(res.signed)
    heat = (res.heatmap + 1.0) / 2.0 if signed else res.heatmap
    axes[-1].imshow(compute.overlay(heat, shown, "RdBu_r" if signed else cmap,
                                    opacity=opacity))
    axes[-1].set_title(f"{method} @ {res.layer}", fontsize=9)
    for ax in axes:
        ax.axis("off")
    fig.suptitle(_target_text(model, res, class_names, output), fontsize=10)
    warning = flat_map_warning(model, shown, res, method=method, preprocess=preprocess,
                               output=output)
    if warning:
        fig.text(0.5, 0.01, "\n".join(textwrap.wrap(warning, 70 * panels // 2)),
                 ha="center", va="bottom", color="#b00000", fontsize=8)
        fig.get_layout_engine().set(rect=(0, 0.14, 1, 0.86))
    fig.warning = warning
    return fig
