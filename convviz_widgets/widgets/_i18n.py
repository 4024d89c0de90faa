"""What the views add to the catalogue (:mod:`convviz_widgets.i18n`): keyed errors, hover words.

Views build every label translated with :func:`convviz_widgets.i18n.tr`; this module holds only
what needs a widget library: :class:`ViewError`, the keyed ``TraitError`` a view raises for bad
input, and :func:`localise_hovers`.
"""

from __future__ import annotations

import traitlets

from ..i18n import tr
from ._overlay import OverlayView
from ._raster import RasterView


class ViewError(traitlets.TraitError, ValueError):
    """A ``TraitError`` (and ``ValueError``) for bad input whose message is a catalogue entry
    ``err.<key>``.

    ``str(error)`` is the English sentence (what Python code setting a trait reads); a view's
    status line shows it in the view's language, found by :attr:`message_key` — the same way
    as compute's :class:`~convviz_widgets.compute.InputError`.

    Examples
    --------
    >>> err = ViewError("range_filters", name="filter_index", value=9, layer="conv", n=8,
    ...                 last=7)
    >>> str(err)
    "filter_index 9 is out of range for layer 'conv', which has 8 filters: use 0 to 7."
    >>> tr(f"err.{err.message_key}", "es", **err.message_args)[:40]
    'filter_index 9 está fuera de rango para '
    """

    def __init__(self, key: str, **args):
        self.message_key = key
        self.message_args = args
        super().__init__(tr(f"err.{key}", "en", **args))


#: Position words the views' rasters were built with, and their catalogue keys.
_WHERE_WORDS = {"y": "hover.row", "x": "hover.col", "row": "hover.row", "col": "hover.col"}


def localise_hovers(widget, lang: str) -> None:
    """Hover lines in ``lang`` that say what their numbers are: every raster and overlay below
    ``widget`` reads ``"row 3, col 4 · value 0.83"`` (``"fila 3, col 4 · valor 0,83"``...).

    Views build their rasters with ``labels=[tile, "y", "x"]``; the ``y``/``x`` (which
    students read as a plot's axes, x first) become row and column words, row first.
    """
    stack, seen = [widget], set()
    while stack:
        wd = stack.pop()
        if id(wd) in seen:
            continue
        seen.add(id(wd))
        if isinstance(wd, RasterView):
            labels = list(wd.labels) + ["", "", ""]
            wd.labels = [labels[0]] + [tr(_WHERE_WORDS[v], lang) if v in _WHERE_WORDS else v
                                       for v in labels[1:3]]
            wd.value_label = tr("hover.value", lang)
        elif isinstance(wd, OverlayView):
            wd.where_labels = [tr("hover.row", lang), tr("hover.col", lang)]
        stack.extend(getattr(wd, "children", ()) or ())
