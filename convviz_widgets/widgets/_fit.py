"""Controls as wide as their label, in every language.

A fixed pixel width fitted the English label and cut the Spanish or Portuguese one ("Exportar
P…", "Cance…", "Subir…"). A button whose width is ``auto`` and which never shrinks
(``flex: 0 0 auto``) takes the width its text needs in whatever font the page has; the minimum
keeps short labels from making a row of buttons ragged.
"""

from __future__ import annotations

import ipywidgets as w


def fit_layout(min_width: str = "90px", **kwargs) -> w.Layout:
    """A ``Layout`` for a button or upload that is as wide as its label, never narrower than
    ``min_width``.

    Examples
    --------
    >>> lay = fit_layout()
    >>> lay.width, lay.flex, lay.min_width
    ('auto', '0 0 auto', '90px')
    """
    return w.Layout(width="auto", min_width=min_width, flex="0 0 auto", **kwargs)


#: ``style=`` of a ToggleButtons whose buttons are as wide as their labels.
FIT_BUTTONS = {"button_width": "auto"}
