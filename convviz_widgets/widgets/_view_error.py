"""The keyed error a view raises for bad input (its status line shows it in the view's language).

A module of its own, below every widget, so the low-level widgets (:mod:`._overlay`,
:mod:`._pages`) raise it too.
"""

from __future__ import annotations

import traitlets

from ..i18n import tr


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
