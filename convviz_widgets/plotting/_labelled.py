"""A labelled figure for a slide: what (title), where (subtitle), scale (colour bar).

The widgets' Export PNG and save_png go through here, so an exported view and a handout figure
follow one rule: a title naming the model, layer and channel (or class, probability and
method), a subtitle with the data's real range (:func:`convviz_widgets.display.range_text`),
and a colour bar with its units and ends. The view's pixels are placed 1:1 with
``Figure.figimage`` (never resampled), so the export holds the pixels the browser was sent.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import numpy as np
from matplotlib.cm import ScalarMappable
from matplotlib.colors import ListedColormap, Normalize
from matplotlib.figure import Figure

from ..display import fmt_value

#: Pixels per inch of an exported figure (sizes below are in pixels).
_DPI = 100
_MARGIN = 10
_TITLE_PX = 22
_SUBTITLE_PX = 18
_BAR_PX = 56
_BAR_W = 300


@dataclass(frozen=True)
class ColourBar:
    """A colour bar: the colour table, the values its ends stand for, and their name.

    Attributes
    ----------
    colors : ndarray
        ``(256, 3)`` uint8, the colour table the picture was drawn with.
    lo, hi : float
        The values of the first and last colour (the display window).
    label : str
        What the values are, in the view's language (e.g. ``"activation — standardize"``).
    """

    colors: np.ndarray
    lo: float
    hi: float
    label: str


def labelled_figure(pixels, title: str, subtitle: str = "",
                    colorbar: ColourBar | None = None) -> Figure:
    """``pixels`` (``(h, w, 3)`` uint8, placed 1:1) under a title and subtitle, over a colour bar.

    Parameters
    ----------
    pixels : ndarray
        What the view shows, as composed for export.
    title : str
        What and where: model, layer, channel or class (the figure's first text).
    subtitle : str
        Further facts: the data's range, the scale, the image.
    colorbar : ColourBar, optional
        The scale of a one-channel picture; None for colour pictures.

    Returns
    -------
    matplotlib.figure.Figure
        Its ``texts`` hold the title and subtitle; the colour bar is its one axes.

    Examples
    --------
    >>> import numpy as np
    >>> from convviz_widgets.display import lut
    >>> fig = labelled_figure(np.zeros((20, 30, 3), np.uint8), "demo · block1_conv1 · channel 3",
    ...                       "values 0 … 2.41", ColourBar(lut("viridis"), 0.0, 2.41, "activation"))
    >>> [t.get_text() for t in fig.texts][0]
    'demo · block1_conv1 · channel 3'
    """
    img = np.asarray(pixels)
    if img.dtype != np.uint8 or img.ndim != 3 or img.shape[-1] != 3:
        raise ValueError(f"labelled_figure needs (h, w, 3) uint8 pixels, got {img.dtype} "
                         f"{img.shape}.")
    h, w = img.shape[:2]
    top = _MARGIN + _TITLE_PX + (_SUBTITLE_PX if subtitle else 0)
    bottom = _BAR_PX if colorbar is not None else _MARGIN
    # Wide enough for the title (about 7 px per character at 11 pt) and the colour bar.
    width = max(w, _BAR_W + 40 if colorbar is not None else 0,
                min(1400, 7 * max(len(title), len(subtitle)))) + 2 * _MARGIN
    height = top + h + bottom
    fig = Figure(figsize=(width / _DPI, height / _DPI), dpi=_DPI, facecolor="white")
    # figimage's origin is the lower left corner; pixels land unscaled.
    fig.figimage(img, xo=_MARGIN, yo=bottom, origin="upper")
    y = 1 - (_MARGIN / 2) / height
    fig.text(_MARGIN / width, y, title, ha="left", va="top", fontsize=11, weight="bold")
    if subtitle:
        fig.text(_MARGIN / width, y - _TITLE_PX / height, subtitle, ha="left", va="top",
                 fontsize=9, color="#333333")
    if colorbar is not None:
        # Inset so the end labels (centred on the ends) stay inside the figure.
        ax = fig.add_axes(((_MARGIN + 16) / width, (bottom - 22) / height, _BAR_W / width,
                           10 / height))
        lo, hi = float(colorbar.lo), float(colorbar.hi)
        if not hi > lo:
            hi = lo + 1.0  # a flat picture: one colour, a valid bar
        cmap = ListedColormap(np.asarray(colorbar.colors, np.float64).reshape(-1, 3) / 255.0)
        bar = fig.colorbar(ScalarMappable(Normalize(lo, hi), cmap), cax=ax,
                           orientation="horizontal")
        bar.set_ticks([lo, hi])
        bar.set_ticklabels([fmt_value(lo), fmt_value(hi)])
        bar.ax.tick_params(labelsize=8, length=2, pad=1)
        bar.set_label(colorbar.label, fontsize=8, labelpad=1)
    return fig


def figure_png(fig: Figure, metadata: dict | None = None) -> bytes:
    """``fig`` as PNG bytes at its own size, with ``metadata`` as PNG text chunks (``Title``,
    ``Description``...: what a slide tool or ``PIL.Image.open(...).text`` reads).

    Examples
    --------
    >>> import numpy as np
    >>> png = figure_png(labelled_figure(np.zeros((4, 4, 3), np.uint8), "t"), {"Title": "t"})
    >>> png[:4]
    b'\\x89PNG'
    """
    buf = io.BytesIO()
    meta = {"Software": "convviz_widgets"}
    meta.update({k: str(v) for k, v in (metadata or {}).items() if v})
    fig.savefig(buf, format="png", dpi=_DPI, metadata=meta, facecolor="white")
    return buf.getvalue()
