"""``Selection``: what the Explorer's pages show — one layer, channel, image and target — and
the declared links (``Link``) that keep each page on it over public traits.

A page is linked, never programmed: one row of a table says which selection trait drives which
trait of the page, whether the page writes back (a click on a tile selects a channel), and when
the page follows (a kernel page cannot show a pooling layer and keeps its own). What a page does
with a new value — and whether it draws at all while hidden — is its own business
(:attr:`View.active`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import traitlets


def _same(a, b) -> bool:
    """Equal values (arrays and lists of arrays compared without raising)."""
    if a is b:
        return True
    try:
        return bool(a == b)
    except (ValueError, TypeError):  # arrays: no single truth value; a new array is news
        return False


class Selection(traitlets.HasTraits):
    """The Explorer's one selection; its pages link to these traits.

    Set it through the Explorer (``ex.layer``, ``ex.filter_index``, ``ex.image_index``): the
    Explorer validates against the model, then the selection changes and every linked page
    follows.

    Attributes
    ----------
    layer : str
        Path of the selected layer.
    channel : int
        Selected filter/channel of that layer.
    channels : int
        How many channels ``layer`` has (decided once per layer change, by the Explorer).
    images : list of arrays
        The images every page can show (the Activations page's list; an upload extends it).
    image_names : list of str
        Their names, as the image menu shows them.
    image_index : int
        The current image.
    image : array or None
        ``images[image_index]``: what a page showing one image shows.
    target : object
        The Grad-CAM target (class index, ``None`` for top-1, ...).

    Examples
    --------
    >>> s = Selection(layer="block1_conv1", channels=8)
    >>> s.channel = 3
    >>> s.layer, s.channel
    ('block1_conv1', 3)
    """

    layer = traitlets.Unicode("")
    channel = traitlets.Int(0)
    channels = traitlets.Int(1)
    images = traitlets.List()
    image_names = traitlets.List(traitlets.Unicode())
    image_index = traitlets.Int(0)
    image = traitlets.Any(None, allow_none=True)
    target = traitlets.Any(None, allow_none=True)

    @traitlets.observe("images", "image_index")
    def _current_image(self, change):
        k = self.image_index
        self.image = self.images[k] if 0 <= k < len(self.images) else None


@dataclass(frozen=True)
class Link:
    """One row of a link table: ``Selection.<name>`` drives ``view.<trait>``.

    Parameters
    ----------
    name : str
        The selection's trait.
    view : HasTraits
        The page (or any object with traits).
    trait : str
        Its trait that follows. Empty when ``apply`` does the setting.
    back : bool
        Also the other way: a change of ``view.<trait>`` (a click in the page) changes the
        selection, while ``when`` holds.
    when : callable, optional
        ``when(value) -> bool``: the page follows (and writes back) only then; otherwise
        ``skipped(link, value)`` is told (a page that cannot show that layer says so).
    transform : callable, optional
        ``transform(view_value) -> selection value`` for the way back.
    apply : callable, optional
        ``apply(value)`` instead of setting ``trait`` (a page whose setter is a method).
    """

    name: str
    view: Any
    trait: str = ""
    back: bool = False
    when: Callable | None = None
    transform: Callable | None = None
    apply: Callable | None = None


class Links:
    """Connect a :class:`Selection` to pages through a table of :class:`Link` rows.

    A page's failure to take a value (its own validation refusing it) goes to ``failed(link,
    exc)``; a value a page does not follow (``when`` False) to ``skipped(link, value)``; a value it
    took to ``followed(link)``. The selection changes only through the Explorer or a ``back`` link,
    so a value written back never bounces (traitlets notify only real changes, and a guard stops
    the echo, as ``ipywidgets.link`` does).

    Examples
    --------
    >>> import traitlets
    >>> class Page(traitlets.HasTraits):
    ...     filter_index = traitlets.Int(0)
    >>> s, p = Selection(), Page()
    >>> links = Links(s, [Link("channel", p, "filter_index", back=True)])
    >>> s.channel = 2; p.filter_index
    2
    >>> p.filter_index = 5; s.channel
    5
    """

    def __init__(self, selection: Selection, table, failed=None, skipped=None, followed=None):
        self.selection = selection
        self.table = tuple(table)
        self._failed = failed or (lambda link, exc: None)
        self._skipped = skipped or (lambda link, value: None)
        self._followed = followed or (lambda link: None)
        self._busy = 0
        for link in self.table:
            selection.observe(lambda c, link=link: self.push(link, c["new"]), link.name)
            if link.back:
                link.view.observe(lambda c, link=link: self._pull(link, c["new"]), link.trait)

    def push(self, link: Link, value) -> None:
        """Make ``link``'s page follow ``value`` (if ``when`` lets it)."""
        if link.when is not None and not link.when(value):
            self._skipped(link, value)
            return
        self._busy += 1
        try:
            if link.apply is not None:
                link.apply(value)
            elif not _same(getattr(link.view, link.trait), value):
                setattr(link.view, link.trait, value)
            self._followed(link)
        except Exception as exc:  # noqa: BLE001 - one page refusing must not stop the others
            self._failed(link, exc)
        finally:
            self._busy -= 1

    def push_all(self, name: str) -> None:
        """Push the selection's current ``name`` to every page linked to it (a first sync)."""
        value = getattr(self.selection, name)
        for link in self.table:
            if link.name == name:
                self.push(link, value)

    def _pull(self, link: Link, value) -> None:
        if self._busy:
            return  # our own push echoing
        if link.when is not None and not link.when(getattr(self.selection, link.name)):
            return
        new = link.transform(value) if link.transform is not None else value
        if not _same(getattr(self.selection, link.name), new):
            setattr(self.selection, link.name, new)
