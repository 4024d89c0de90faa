"""What the views add to the catalogue (:mod:`convviz_widgets.i18n`): hover words.

Views build every label translated with :func:`convviz_widgets.i18n.tr`; this module holds only
what needs a widget library: :func:`localise_hovers` (the keyed ``TraitError`` a view raises for
bad input is :class:`~._view_error.ViewError`, a module of its own so the low-level widgets this
module imports can raise it too).
"""

from __future__ import annotations

from ..i18n import tr
from ._overlay import OverlayView
from ._raster import RasterView


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
