"""How a picture states its numbers: the data's own range, and the display window apart.

A colour scale maps a *window* of values onto the colour table; the window is not the data.
Under a ReLU the data start at 0, yet the standardize or symmetric scale shows a window such as
−0.32 … 0.39. A caption that prints the window as "values in [−0.32, 0.39]" tells a student the
layer produced negative numbers. Every view caption and every static figure therefore states
both, from this one rule: the data's min … max first, then the window when it differs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: English templates (the widgets give the same fields to their i18n catalogue).
VALUES_TEMPLATE = "values {lo} … {hi}"
SHOWN_TEMPLATE = "shown {lo} … {hi}"


def fmt_value(v: float) -> str:
    """A number for a caption: 3 significant digits, a real minus sign.

    Examples
    --------
    >>> fmt_value(-0.32361), fmt_value(2.4137), fmt_value(0.0)
    ('−0.324', '2.41', '0')
    """
    v = float(v)
    if v == 0:
        v = 0.0  # no "−0"
    return f"{v:.3g}".replace("-", "−")


@dataclass(frozen=True)
class RangeText:
    """The formatted ends of the data and of the display window.

    Attributes
    ----------
    lo, hi : str
        The data's own min and max.
    shown_lo, shown_hi : str
        The window the colours span.
    window_differs : bool
        The window is not the data's range (a caption must then name it apart).
    """

    lo: str
    hi: str
    shown_lo: str
    shown_hi: str
    window_differs: bool

    def english(self) -> str:
        """``"values 0 … 2.41; shown −0.324 … 0.389"`` (the window only when it differs)."""
        text = VALUES_TEMPLATE.format(lo=self.lo, hi=self.hi)
        if self.window_differs:
            text += "; " + SHOWN_TEMPLATE.format(lo=self.shown_lo, hi=self.shown_hi)
        return text


def range_text(values, shown_lo=None, shown_hi=None) -> RangeText:
    """The data range of ``values`` and the display window ``shown_lo`` … ``shown_hi``.

    Parameters
    ----------
    values : array-like
        The data as computed (any shape; NaN ignored), or a ``(lo, hi)`` pair already reduced
        (pass ``np.array([lo, hi])``).
    shown_lo, shown_hi : float, optional
        The values the colour table's ends stand for; default: the data's range.

    Examples
    --------
    >>> relu = np.array([0.0, 0.5, 2.41])
    >>> range_text(relu, -0.3236, 0.3895).english()  # 3 significant digits
    'values 0 … 2.41; shown −0.324 … 0.39'
    >>> range_text(relu).english()
    'values 0 … 2.41'
    """
    a = np.asarray(values, np.float64)
    finite = a[np.isfinite(a)]
    lo, hi = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 0.0)
    s_lo = lo if shown_lo is None else float(shown_lo)
    s_hi = hi if shown_hi is None else float(shown_hi)
    lo_t, hi_t, slo_t, shi_t = (fmt_value(v) for v in (lo, hi, s_lo, s_hi))
    return RangeText(lo_t, hi_t, slo_t, shi_t, (lo_t, hi_t) != (slo_t, shi_t))
