"""``PageSwitcher``: tabs made of widgets that every front end draws the same way.

``ipywidgets.Tab`` is not one of them. Colab draws widgets with the ipywidgets 8 alpha
JavaScript on an ipywidgets 7.7.1 kernel: its ``TabView`` reads ``titles`` while the 7.7.1
kernel sends ``_titles``, so the whole tab area fails to render; with titles patched in, every
page shows at once, because hiding the other pages relies on Lumino's CSS, which Colab's page
does not load. A row of ``ToggleButtons`` and pages hidden with ``layout.display = "none"``
need nothing but core widgets and a standard CSS property, in ipywidgets 7 and 8, JupyterLab,
Notebook 7 and Colab alike.
"""

from __future__ import annotations

import ipywidgets as w
import traitlets

from ._view_error import ViewError


class PageSwitcher(w.VBox):
    """A row of page buttons above pages of which only the selected one is shown.

    The API follows ``ipywidgets.Tab`` where the Explorer used it: ``selected_index``,
    ``set_title`` / ``get_title`` and ``titles``.

    Parameters
    ----------
    pages : list of widgets
        One widget per page.
    titles : list of str, optional
        The buttons' labels (default ``"page 1"``, ...).

    Attributes
    ----------
    selected_index : int
        The page shown; settable from Python, and set by a click on a button.
    pages : tuple of widgets
        The pages, as given.
    bar : ipywidgets.ToggleButtons
        The row of buttons (DOM class ``convviz-pagebar``).

    Examples
    --------
    >>> import ipywidgets as w
    >>> ps = PageSwitcher([w.HTML("a"), w.HTML("b")], titles=["A", "B"])
    >>> ps.selected_index = 1
    >>> [h.layout.display for h in ps.holders], ps.get_title(1)
    (['none', None], 'B')
    """

    selected_index = traitlets.Int(0)

    def __init__(self, pages, titles=None, **kwargs):
        self.pages = tuple(pages)
        if not self.pages:
            raise ValueError("PageSwitcher needs at least one page.")
        titles = list(titles or [])
        titles += [f"page {k + 1}" for k in range(len(titles), len(self.pages))]
        self._titles = [str(t) for t in titles[:len(self.pages)]]
        # Each page sits in a holder of ours, so hiding a page never touches the layout of a
        # widget the caller gave us (its own display setting stays as the caller left it).
        self.holders = tuple(w.VBox([p]) for p in self.pages)
        for holder in self.holders:
            holder.add_class("convviz-page")
        self.bar = w.ToggleButtons(options=self._options(), value=0,
                                   style={"button_width": "auto"})
        self.bar.add_class("convviz-pagebar")
        super().__init__(**kwargs)
        self.children = [self.bar, w.VBox(list(self.holders))]
        self.add_class("convviz-pages")
        self.bar.observe(self._from_bar, "value")
        self._show(0)

    def _options(self):
        return [(t, k) for k, t in enumerate(self._titles)]

    # -- Tab-like API ---------------------------------------------------------------------------
    @property
    def titles(self) -> tuple:
        """The buttons' labels, in page order."""
        return tuple(self._titles)

    def set_title(self, index: int, title: str) -> None:
        """Label the button of page ``index``."""
        self._titles[index] = str(title)
        value = self.bar.value
        self.bar.options = self._options()
        self.bar.value = value

    def get_title(self, index: int) -> str:
        """The label of page ``index``."""
        return self._titles[index]

    # -- switching ------------------------------------------------------------------------------
    @traitlets.validate("selected_index")
    def _valid_index(self, proposal):
        value = int(proposal["value"])
        if not 0 <= value < len(self.pages):
            raise ViewError("range_tabs", value=value, n=len(self.pages),
                            last=len(self.pages) - 1)
        return value

    @traitlets.observe("selected_index")
    def _on_index(self, change):
        self._show(change["new"])

    def _from_bar(self, change):
        if change["new"] is not None and change["new"] != self.selected_index:
            self.selected_index = change["new"]

    def _show(self, index: int) -> None:
        if self.bar.value != index:
            self.bar.value = index
        for k, holder in enumerate(self.holders):
            # None removes the inline style: the holder is a flex box again.
            holder.layout.display = None if k == index else "none"
