"""The activation viewer's channel grid (a :class:`._grid.ChannelGrid` raster): the page, the
blank marks, the outline and one hover line per tile, all drawn and hit-tested in the browser.

A mixin so the viewer module keeps to its traits and rendering; it draws what the viewer's
``_grid_layout``, ``_grid_index``, ``_grid_state``, ``_frame``, ``colormap`` and
``filter_index`` say.
"""

from __future__ import annotations

from ._grid import PAGE_SIZE, grid_palette
from ._i18n import tr
from ._pixels import lut


class ChannelGridCanvas:
    """Drawing of the channel grid and the handling of a click on it."""

    def _draw_grid(self) -> int:
        """Send the page: tiles, palette, blank marks, outline and hover lines in one message."""
        layout = self._grid_layout
        if layout is None or self._grid_index is None or self._frame is None:
            return 0
        start = self._grid_state.get("start", 0)
        return self.canvas.show_page(
            self._grid_index, layout, grid_palette(lut(self.colormap)),
            marked=self._grid_state.get("blank", []), selected=self.filter_index - start,
            tile_info=self._tile_info(self._frame, start, layout.n))

    def _draw_selection(self) -> int:
        if self._grid_layout is not None:
            self.canvas.select(self.filter_index - self._grid_state.get("start", 0))
        return 0

    def _tile_info(self, fr, start: int, n: int) -> list[str]:
        """One hover line per tile of the page (the browser shows it; no round trip)."""
        blank = " · " + tr("blank", self.lang)
        return [tr("av_hover", self.lang, ch=ch, lo=f"{float(fr.ch_lo[ch]):.3g}",
                   hi=f"{float(fr.ch_hi[ch]):.3g}", m=f"{float(fr.mean[ch]):.3g}")
                + (blank if fr.blank[ch] else "") for ch in range(start, start + n)]

    def _on_canvas_click(self, x, y) -> None:
        layout = self._grid_layout
        if layout is None:
            return
        i = layout.tile_at(x, y)
        if i is None:
            return
        try:
            self.filter_index = self.page * PAGE_SIZE + i
        except Exception as exc:  # noqa: BLE001 - a click must never raise into the comm
            self._show_error(exc)

    def _export_leaf(self, widget):
        """Export hook: the grid exports as the page last sent (:attr:`grid_image`, data
        resolution, the grid's own gaps), not through the generic raster layout."""
        if widget is self.canvas:
            return self.grid_image
        return super()._export_leaf(widget)
