"""One-line ``repr`` of result objects: what it is (shape, layer, settings), never the arrays.

A notebook prints the last expression of a cell; a result whose dataclass repr printed its
arrays filled the screen with numbers (a DeepDream result: every pixel). Every result type's
``__repr__`` is built here: ``Name(key=value, ...)``, arrays as their shape, long lists cut
to their first items, the whole line at most :data:`MAX_LEN` characters.
"""

from __future__ import annotations

from typing import Any

import numpy as np

#: Longest repr of a result (a line of a notebook's output).
MAX_LEN = 200


def shape(value) -> str:
    """``(2, 30, 40, 3)`` for an array, ``None`` for None, else a short repr.

    Examples
    --------
    >>> shape(np.zeros((2, 3), np.float32)), shape(None)
    ('(2, 3)', 'None')
    """
    if value is None:
        return "None"
    if hasattr(value, "shape"):
        return "(" + ", ".join(str(d) for d in value.shape) + ("," if len(value.shape) == 1
                                                                 else "") + ")"
    return repr(value)


def items(seq, limit: int = 2) -> str:
    """The first ``limit`` items of ``seq`` and how many more, e.g. ``['a', 'b'] +3 more``.

    Examples
    --------
    >>> items(["a", "b", "c"]), items(["a"])
    ("['a', 'b'] +1 more", "['a']")
    """
    seq = list(seq)
    head = repr(seq[:limit])
    return head if len(seq) <= limit else f"{head} +{len(seq) - limit} more"


def number(value) -> str:
    """A float in 4 significant digits (``nan`` for an empty or missing value)."""
    try:
        return f"{float(value):.4g}"
    except (TypeError, ValueError):
        return "nan"


def one_line(name: str, **parts: Any) -> str:
    """``name(key=value, ...)``: values as given (already formatted), None parts left out; at
    most :data:`MAX_LEN` characters, made by cutting the middle out of the longest values (a
    deep layer path keeps its ends, and every other part stays).

    Examples
    --------
    >>> one_line("R", layer="'conv_a'", images="(2, 8, 8, 3)", flag=None)
    "R(layer='conv_a', images=(2, 8, 8, 3))"
    >>> len(one_line("R", layer="'" + "block/" * 60 + "'", images="(2, 8, 8, 3)")) <= MAX_LEN
    True
    """
    values = {k: " ".join(str(v).split("\n")) for k, v in parts.items() if v is not None}

    def text():
        return f"{name}(" + ", ".join(f"{k}={v}" for k, v in values.items()) + ")"

    while len(text()) > MAX_LEN and values:
        key = max(values, key=lambda k: len(values[k]))
        value = values[key]
        keep = len(value) - (len(text()) - MAX_LEN) - 1  # characters left, "…" included
        if keep < 8:  # nothing sensible left of it: drop the part instead
            del values[key]
            continue
        values[key] = value[:keep - keep // 2] + "…" + value[len(value) - keep // 2:]
    return text()


class ShortRepr:
    """Mixed into result classes: IPython prints the one-line ``__repr__`` too (its pretty
    printer has its own rules for dict subclasses and long reprs)."""

    def _repr_pretty_(self, p, cycle) -> None:
        p.text(repr(self))
