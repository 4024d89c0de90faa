"""The lessons' named scales in the live views: the menu, and the colour bar that names them.

The scales themselves (how values become [0, 1]) live in :mod:`convviz_widgets.display.scaling`,
shared with :mod:`convviz_widgets.plotting`; this module only labels them, in the view's
language, and draws a colour bar as HTML (a CSS gradient of the view's colour table), so the bar
says which scale a picture is on and what its ends stand for.
"""

from __future__ import annotations

import html

import ipywidgets as w
import numpy as np

from ..display import SCALES, lut
from ..i18n import tr

#: Scales whose range is one for every tile (the bar's ends are values); the others map each
#: tile on its own range (the bar's ends are "this tile's" low and high).
GROUP_SCALES = ("symmetric", "shared", "raw")


def scale_name(scale: str, lang: str = "en") -> str:
    """The scale's menu text in ``lang`` (it names the rule, e.g. ``"shared [min, max]"``).

    Examples
    --------
    >>> scale_name("standardize", "es")
    'estandarizar (media/desv ×64+128)'
    """
    return tr(f"scale.{scale}", lang)


def scale_options(lang: str = "en") -> list[tuple[str, str]]:
    """``(label, scale)`` pairs for a menu, in :data:`display.SCALES` order.

    Examples
    --------
    >>> [v for _, v in scale_options()][:2]
    ['symmetric', 'shared']
    """
    return [(scale_name(s, lang), s) for s in SCALES]


def _num(v: float) -> str:
    return f"{float(v):.3g}".replace("-", "−")  # a real minus sign: "−0.21" reads as negative


def scale_label(scale: str, lo, hi, lang: str = "en", *, one_tile: bool = False,
                centred: bool = False) -> str:
    """The colour bar's caption: the scale's name and, where one range holds, its limits.

    Parameters
    ----------
    scale : str
        A key of :data:`display.SCALES`.
    lo, hi : float or ndarray
        The range(s) the picture was mapped from (one per tile).
    lang : str
    one_tile : bool
        The bar describes one tile (an enlarged channel): its own range is shown for every scale.
    centred : bool
        The window was made symmetric around 0 for a diverging map (``centre_zero``).

    Examples
    --------
    >>> scale_label("shared", np.array([-0.21, -0.21]), np.array([0.34, 0.34]))
    'shared [min, max] [−0.21, 0.34]'
    >>> scale_label("per_slice", np.array([0.0, 1.0]), np.array([1.0, 2.0]))
    'per slice [min, max]: each tile on its own range'
    """
    lo, hi = np.atleast_1d(np.asarray(lo, float)), np.atleast_1d(np.asarray(hi, float))
    name = scale_name(scale, lang)
    if not len(lo):
        return name
    if one_tile and scale not in GROUP_SCALES:
        return tr("scalebar.this", lang, name=name, lo=_num(lo[0]), hi=_num(hi[0]))
    if np.all(lo == lo[0]) and np.all(hi == hi[0]):
        key = "scalebar.centred" if centred and scale != "symmetric" else "scalebar.group"
        return tr(key, lang, name=name, lo=_num(lo[0]), hi=_num(hi[0]))
    return tr("scalebar.tile", lang, name=name)


def colourbar_html(colormap: str, text: str, lo_text: str = "", hi_text: str = "") -> str:
    """An HTML colour bar: the colour table as a CSS gradient between two end labels, then
    ``text`` (the scale's caption).

    Examples
    --------
    >>> "linear-gradient" in colourbar_html("gray", "shared [0, 1]", "0", "1")
    True
    """
    table = lut(colormap)
    stops = ", ".join(f"rgb({r},{g},{b}) {100 * k / 15:.1f}%"
                      for k, (r, g, b) in enumerate(table[np.linspace(0, 255, 16).astype(int)]))
    # flex-wrap: in a narrow column (the Activations side panel) the scale's name goes under
    # the bar instead of being squeezed into a tall narrow block beside it.
    return ("<div class='convviz-scalebar' style='display:flex;flex-wrap:wrap;"
            "align-items:center;gap:2px 6px;"
            "font-size:12px'>"
            f"<span class='cv-lo'>{html.escape(lo_text)}</span>"
            f"<span style='display:inline-block;width:140px;height:10px;border:1px solid #999;"
            f"background:linear-gradient(to right, {stops})'></span>"
            f"<span class='cv-hi'>{html.escape(hi_text)}</span>"
            f"<span class='cv-scale'>{html.escape(text)}</span></div>")


class ScaleBar(w.HTML):
    """A colour bar (HTML) that names the scale a picture is drawn on and its limits."""

    def show(self, colormap: str, scale: str, lo, hi, lang: str = "en", *,
             one_tile: bool = False, centred: bool = False) -> None:
        """Describe a picture on ``scale`` mapped from ``lo``..``hi`` (per tile) with
        ``colormap``."""
        lo_a, hi_a = np.atleast_1d(np.asarray(lo, float)), np.atleast_1d(np.asarray(hi, float))
        text = scale_label(scale, lo_a, hi_a, lang, one_tile=one_tile, centred=centred)
        one = bool(len(lo_a)) and (one_tile or bool(np.all(lo_a == lo_a[0])
                                                    and np.all(hi_a == hi_a[0])))
        # Ends in value units where one range holds; else the bar's ends are each tile's own.
        ends = (_num(lo_a[0]), _num(hi_a[0])) if one else \
            (tr("scalebar.lo", lang), tr("scalebar.hi", lang))
        self.value = colourbar_html(colormap, text, *ends)


