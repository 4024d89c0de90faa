"""The static DeepDream figure: before and after, with the score over the steps."""

from __future__ import annotations

from typing import Sequence

import numpy as np
from matplotlib.figure import Figure

from .. import compute
from ._patterns import stretch_patterns


def plot_deepdream(result, images=None, *, layers: Sequence[str] | str | None = None,
                   history: bool = True, title: str | None = None,
                   panel_inches: float = 2.6) -> Figure:
    """Before and after of a DeepDream, one row per image, with the score over the steps.

    The same pixels as the :class:`~convviz_widgets.DeepDreamViewer`'s panels: the images in
    [0, 1] as RGB, or as grey for a grayscale model, without contrast stretching.

    Parameters
    ----------
    result : DreamResult
        From :func:`convviz_widgets.deepdream`.
    images : array-like, optional
        The images that were dreamt on (as passed to ``deepdream``); with them each row shows
        *before* beside *after* (brought to the dream's size and channels the way
        ``deepdream`` does).
    layers : str or list of str, optional
        The layers that were amplified, for the title.
    history : bool
        Add a panel with each image's score (the layers' mean squared activation) at every
        step; the dotted lines mark where an octave begins.
    title : str, optional
        Default: the layers and the score before → after.
    panel_inches : float
        Size of one image panel.

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    ValueError
        ``images`` is not one image per dreamed image.

    Examples
    --------
    >>> import convviz_widgets as cv
    >>> scene = cv.demo_images().images[0]                                     # doctest: +SKIP
    >>> res = cv.deepdream(cv.demo_model(), scene, "block3_conv1", steps=20)   # doctest: +SKIP
    >>> fig = cv.plotting.plot_deepdream(res, scene, layers="block3_conv1")    # doctest: +SKIP
    >>> fig.savefig("dream.png")                                               # doctest: +SKIP
    """
    after = np.asarray(result.images)
    n, h, w, c = after.shape
    if n == 0:
        raise ValueError("The result holds no image.")
    before = None
    if images is not None:
        before = compute.prepare_images(images, (None, h, w, c)).images
        if len(before) != n:
            raise ValueError(f"Got {len(before)} images for a dream of {n}; pass the images "
                             "given to deepdream.")
    cols = (2 if before is not None else 1) + (1 if history else 0)
    aspect = w / max(h, w)
    fig = Figure(figsize=(cols * panel_inches * max(aspect, 0.6) + 0.4,
                          n * panel_inches * h / max(h, w) + 0.6), layout="constrained")
    axes = np.asarray(fig.subplots(n, cols, squeeze=False))
    steps_per_octave = len(result.history) // max(1, len(result.octave_sizes))
    for k in range(n):
        panels = ([("before", before[k])] if before is not None else []) + \
                 [("after" + (" (cancelled)" if result.cancelled else ""), after[k])]
        for j, (name, img) in enumerate(panels):
            ax = axes[k, j]
            tile = stretch_patterns(img[None], stretch=False)[0]
            ax.imshow(tile, cmap="gray" if tile.ndim == 2 else None, vmin=0.0, vmax=1.0,
                      interpolation="nearest")
            ax.set_axis_off()
            score = result.start_score[k] if name == "before" else result.score[k]
            ax.set_title(f"{name} · score {float(score):.3g}", fontsize=8)
        if history:
            ax = axes[k, -1]
            ax.plot(np.arange(1, len(result.history) + 1), result.history[:, k], lw=1.2)
            for o in range(1, len(result.octave_sizes)):
                ax.axvline(o * steps_per_octave + 0.5, color="0.6", lw=0.8, ls=":")
            ax.set_xlabel("step", fontsize=7)
            ax.set_ylabel("score", fontsize=7)
            ax.tick_params(labelsize=6)
    if title is None:
        names = [layers] if isinstance(layers, str) else list(layers or [])
        what = ", ".join(names) if names else "DeepDream"
        octaves = " → ".join(f"{a}×{b}" for a, b in result.octave_sizes)
        title = f"{what} — octaves {octaves}, {steps_per_octave} steps each"
    fig.suptitle(title, fontsize=9)
    return fig
