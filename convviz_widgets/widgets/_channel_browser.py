"""``ChannelBrowser``: every channel of a layer as one tile, its strongest data-set patch.

Sorted by channel number, firing rate or class purity, so the channels that never fire, fire
everywhere, or answer to one class stand out at a glance; a click on a tile opens that
channel's :class:`ChannelCard` below the tiles.
"""

from __future__ import annotations

import html

import ipywidgets as w
import numpy as np
import traitlets

from ._base import LayerViewer
from ._channel_card import ChannelCard
from ..i18n import tr
from ._raster import RasterView
from ._view_error import ViewError
from ._fit import FIT_BUTTONS

#: Order of the tiles: channel number, or the statistic, highest first.
SORTS = ("channel", "firing", "purity")


class ChannelBrowser(LayerViewer):
    """Browse a layer: one tile per channel (its top data-set patch); click opens its card.

    Parameters
    ----------
    model : keras.Model, optional
        Default: the bundled demo model over the demo's 2,000 generated scenes.
    data, labels, class_names, examples, preprocess, image, steps : optional
        As for :class:`ChannelCard` (the browser and its card share one mined summary).
    layer : str, optional
    sort : {"channel", "firing", "purity"}
    lang : {"en", "es", "pt"}
    controls : bool

    Attributes
    ----------
    layer : str
        The layer browsed; settable.
    sort : str
        Tile order; settable.
    filter_index : int
        The channel whose card is open; set by a click on a tile.
    order : ndarray
        Channel shown in each tile, in tile order.
    tiles : RasterView
        The tiles (DOM class ``convviz-browser-tiles``).
    card : ChannelCard
        The card of the selected channel.

    Examples
    --------
    >>> import convviz_widgets as cv
    >>> browser = cv.ChannelBrowser(sort="purity")                   # doctest: +SKIP
    >>> browser.layer = "block2_conv2"                               # doctest: +SKIP
    """

    sort = traitlets.Enum(SORTS, default_value="channel")

    def __init__(self, model=None, data=None, *, labels=None, class_names=None, examples=None,
                 layer=None, sort: str = "channel", preprocess=None, image=None,
                 steps: int | None = None, **kwargs):
        lang = kwargs.get("lang", "en")
        # The card builds the demo model and the example source; the browser shares both.
        self.card = ChannelCard(model, data, labels=labels, class_names=class_names,
                                examples=examples, image=image, preprocess=preprocess,
                                lang=lang, controls=False, steps=steps,
                                input_size=kwargs.get("input_size"))
        super().__init__(self.card.model, **kwargs)
        self._layers = dict(self.card._layers)  # noqa: SLF001 - the card is ours
        self.source = self.card.source
        self.order = np.zeros(0, np.int64)
        self._make_layer_controls([self._layers[p] for p in self._layers], layer_width=420)
        self._sort_tb = w.ToggleButtons(options=[(tr(f"cb.{s}", self.lang), s) for s in SORTS],
                                        description=tr("ui.sort_by", self.lang), style=FIT_BUTTONS)
        self._head = w.HTML()
        self._note = w.HTML()
        self.tiles = RasterView(lang=self.lang, tile_label="", frame="#888", gap=3)
        self.tiles.add_class("convviz-browser-tiles")
        self.tiles.on_click(lambda tile, y, x: self._safe(lambda: self.open_tile(tile)))
        self._bind(self._layer_dd, "layer")
        self._bind(self._sort_tb, "sort")
        self.card.observe(self._from_card, names=["filter_index"])
        self.children = [w.HBox([self._layer_dd]), self._sort_tb, self._head, self._note,
                         self.tiles, self._status, self.card]
        self.add_class("convviz-channel-browser")
        self._built()
        with self._suppressed():
            self.sort = sort
            self.layer = self.card.layer if layer is None else layer
        self._render("init", {})

    @traitlets.observe("layer", "sort")
    def _on_change(self, change):
        self._render(change["name"], {change["name"]: change["old"]})

    def _count(self, path=None) -> int:
        return int(self._layers[path or self.layer].channels)

    @traitlets.observe("filter_index")
    def _on_filter(self, change):
        if self.card.filter_index != change["new"]:
            self.card.filter_index = change["new"]
        self.tiles.selected = int(np.flatnonzero(self.order == change["new"])[0]) \
            if np.any(self.order == change["new"]) else -1

    def _from_card(self, change):
        if change["new"] != self.filter_index:
            self.filter_index = change["new"]

    def _sync_controls(self) -> None:
        with self._quiet():
            self._layer_dd.value = self.layer
            self._sort_tb.value = self.sort

    def _render(self, what: str, reverts: dict) -> None:
        if self._suppress:
            return
        state = {"layer": self.layer, "sort": self.sort}
        self._transaction(what, reverts, lambda: self._prepare(state), self._apply)
        self._applied_state = dict(state)
        self._sync_controls()

    def _prepare(self, s: dict) -> dict:
        ex = self.source.get(s["layer"])
        if ex is None:
            return {"layer": s["layer"], "ex": None}
        key = {"channel": -ex.channels.astype(np.float64), "firing": ex.firing_rate,
               "purity": np.nan_to_num(ex.purity, nan=-1.0)}[s["sort"]]
        rows = np.lexsort((ex.channels, -np.asarray(key, np.float64)))  # stable on ties
        return {"layer": s["layer"], "ex": ex, "rows": rows, "sort": s["sort"]}

    def _apply(self, p: dict) -> int:
        if self.card.layer != p["layer"]:
            self.card.layer = p["layer"]
        ex = p["ex"]
        if ex is None:
            self.order = np.zeros(0, np.int64)
            self.tiles.layout.display = "none"
            self._head.value = ""
            self._note.value = html.escape(tr(self.source.note_key(p["layer"]), self.lang))
            if self.source.can_mine(p["layer"]):
                self.card.on_examples(lambda: self._render("mined", {}))
            return 0
        rows = p["rows"]
        self.order = ex.channels[rows]
        patches = ex.patches[rows, 0]  # (C, P, P, c): each channel's strongest patch
        cols = int(np.ceil(np.sqrt(len(rows) * 1.6)))
        never = [int(t) for t in np.flatnonzero(ex.never_fires[rows])]
        self.tiles.set_tiles(patches, 0.0, 255.0, columns=cols, zoom=1, marked=never)
        self.tiles.layout.display = None
        self._head.value = html.escape(tr("cb.head", self.lang, n=len(rows), layer=p["layer"],
                                          order=tr(f"cb.{p['sort']}", self.lang)))
        self._note.value = html.escape(tr("cb.never", self.lang, n=len(never))) if never else ""
        self.tiles.selected = int(np.flatnonzero(self.order == self.filter_index)[0]) \
            if np.any(self.order == self.filter_index) else -1
        return patches.nbytes

    def open_tile(self, tile: int) -> None:
        """Open the card of the channel in ``tile`` (tile order), as a click on it does."""
        if not 0 <= tile < len(self.order):
            raise ViewError("cb_tile_range", n=len(self.order), last=len(self.order) - 1)
        self.filter_index = int(self.order[tile])

    def wait(self, timeout: float | None = None) -> bool:
        """Block until mining and the card's background work are done; False on timeout."""
        return self.card.wait(timeout)
