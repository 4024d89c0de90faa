"""The figure of each channel's top dataset patches beside its optimised pattern."""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from ._patterns import stretch_patterns


def plot_dataset_examples(examples, channels=None, *, patterns=None, max_channels: int = 8,
                          tile_inches: float = 0.8) -> Figure:
    """Each channel's top dataset patches in a row, its optimised pattern first if given.

    The two halves of "what does this filter respond to?" side by side (Distill's *Feature
    Visualization*): a row per channel — the pattern from :func:`convviz_widgets.maximize`, then
    the receptive-field patches of the images that excite the channel most, best first. The row
    label gives the firing rate and, with labels, the most common class among the top images.

    Parameters
    ----------
    examples : DatasetExamples
        From :func:`convviz_widgets.dataset_examples`.
    channels : sequence of int, optional
        Channels to show (default: the first ``max_channels`` summarised).
    patterns : MaximizeResult or ndarray, optional
        Optimised patterns of the same channels (a result whose ``filters`` include them, or an
        array ``(len(channels), H, W, C)`` in [0, 1]).

    Examples
    --------
    >>> ex = cv.dataset_examples(model, "block3_conv1", scenes.images, labels=scenes.labels)  # doctest: +SKIP
    >>> fig = cv.plotting.plot_dataset_examples(ex, [0, 5, 9],
    ...                                         patterns=cv.maximize(model, "block3_conv1", [0, 5, 9]))  # doctest: +SKIP
    """
    chans = list(examples.channels[:max_channels]) if channels is None else [int(c) for c in
                                                                            channels]
    rows = [examples.row(c) for c in chans]
    k = examples.k
    pat = None
    if patterns is not None:
        if hasattr(patterns, "filters"):
            where = {int(f): i for i, f in enumerate(patterns.filters)}
            missing = [c for c in chans if c not in where]
            if missing:
                raise ValueError(f"The maximisation result has no pattern for channels {missing}; "
                                 f"run cv.maximize(model, {examples.layer!r}, {chans}).")
            pat = stretch_patterns(np.asarray(patterns.images)[[where[c] for c in chans]])
        else:
            pat = stretch_patterns(np.asarray(patterns, np.float32))
    cols = k + (1 if pat is not None else 0)
    fig = Figure(figsize=(cols * tile_inches + 1.6, len(rows) * tile_inches + 0.6),
                 layout="constrained")
    axes = fig.subplots(len(rows), cols, squeeze=False)
    names = examples.class_names
    for i, (c, r) in enumerate(zip(chans, rows)):
        j0 = 0
        if pat is not None:
            img = pat[i]
            axes[i, 0].imshow(img, cmap="gray" if img.ndim == 2 else None, vmin=0, vmax=1)
            if i == 0:
                axes[i, 0].set_title("pattern", fontsize=7)
            j0 = 1
        for j in range(k):
            ax = axes[i, j0 + j]
            if examples.index[r, j] >= 0:
                p = examples.patches[r, j]
                ax.imshow(p[..., 0] if p.shape[-1] == 1 else p, cmap="gray", vmin=0, vmax=255)
                ax.set_title(f"{examples.scores[r, j]:.3g}", fontsize=6)
        label = f"ch {c}\nfires {examples.firing_rate[r]:.0%}"
        if (examples.labels[r] >= 0).any():
            h = examples.histogram(r)
            top = int(np.argmax(h))
            label += f"\n{names[top] if names else top} {h[top]}/{h.sum()}"
        axes[i, 0].set_ylabel(label, fontsize=7, rotation=0, ha="right", va="center")
    for ax in axes.ravel():
        ax.set_xticks([])
        ax.set_yticks([])
    fig.suptitle(f"{examples.layer}: top {k} of {examples.n_images} images per channel "
                 f"({examples.score_kind} score; receptive-field patches)", fontsize=9)
    return fig
