"""The activation viewer's channel grid on an ipycanvas ``MultiCanvas``: pixels, marks, outline.

A mixin so the viewer module keeps to its traits and rendering; it draws what the viewer's
``_grid_layout``, ``_grid_index``, ``_grid_state``, ``colormap`` and ``filter_index`` say.
"""

from __future__ import annotations

import html

import numpy as np

from ._canvas import put_indexed
from ._grid import PAGE_SIZE, GridLayout, grid_palette
from ._i18n import tr
from ._pixels import lut


class ChannelGridCanvas:
    """Drawing of the channel grid (layer 0 pixels, 1 blank marks, 2 selection outline)."""

    # -- the ipycanvas grid -----------------------------------------------------------------
    def _draw_grid(self, resize: bool = False) -> int:
        """Send the page image, the blank marks and the outline (all three layers)."""
        from ipycanvas import hold_canvas

        layout = self._grid_layout
        if layout is None or self._grid_index is None:
            return 0
        base, marks, _ = self.canvas[0], self.canvas[1], self.canvas[2]
        with hold_canvas():
            if resize or self.canvas.width != layout.width or self.canvas.height != layout.height:
                self.canvas.width = layout.width
                self.canvas.height = layout.height
            base.clear()
            base.save()
            # Resizing resets the 2-D context, so smoothing is switched off on every draw.
            base.image_smoothing_enabled = False
            base.scale(layout.zoom)
            sent = put_indexed(base, self._grid_index, grid_palette(lut(self.colormap)), 0, 0)
            base.restore()
            marks.clear()
            self._draw_blank_marks(marks, layout)
            self._draw_selection(hold=False)
        return sent

    def _draw_blank_marks(self, canvas, layout: GridLayout) -> None:
        blank = self._grid_state.get("blank", [])
        if not blank:
            return
        segs = []
        for i in blank:
            x, y, tw, th = layout.tile_rect(i)
            inset = max(1.0, min(tw, th) / 8)
            segs.append([[x + inset, y + inset], [x + tw - inset, y + th - inset]])
            segs.append([[x + tw - inset, y + inset], [x + inset, y + th - inset]])
        canvas.stroke_style = "#dc1414"
        canvas.line_width = max(1.5, min(layout.tile_rect(0)[2:]) / 12)
        canvas.stroke_line_segments(np.asarray(segs, dtype=np.float32))  # (2*n, 2, 2)

    def _draw_selection(self, hold: bool = True) -> int:
        from ipycanvas import hold_canvas

        layout = self._grid_layout
        if layout is None:
            return 0
        top = self.canvas[2]
        i = self.filter_index - self._grid_state.get("start", 0)

        def draw():
            top.clear()
            if 0 <= i < layout.n:
                x, y, tw, th = layout.tile_rect(i)
                top.line_width = 4
                top.stroke_style = "#000000"
                top.stroke_rect(x - 2, y - 2, tw + 4, th + 4)
                top.line_width = 2
                top.stroke_style = "#ffd400"
                top.stroke_rect(x - 2, y - 2, tw + 4, th + 4)

        if hold:
            with hold_canvas():
                draw()
        else:
            draw()
        return 0

    def _redraw_canvas(self, *_args) -> None:
        """A client (re)connected: ipycanvas keeps no pixels, so replay the current page."""
        self._draw_grid(resize=True)

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

    def _on_canvas_move(self, x, y) -> None:
        layout = self._grid_layout
        fr = self._frame
        i = None if layout is None or fr is None else layout.tile_at(x, y)
        if i is None:
            return
        ch = self.page * PAGE_SIZE + i
        if ch >= fr.a.shape[-1]:
            return
        blank = f" · <b style='color:#b00020'>{tr('blank', self.lang)}</b>" if fr.blank[ch] else ""
        self._hover.value = "<code>" + html.escape(tr(
            "av_hover", self.lang, ch=ch, lo=f"{float(fr.ch_lo[ch]):.3g}",
            hi=f"{float(fr.ch_hi[ch]):.3g}", m=f"{float(fr.mean[ch]):.3g}")) + f"</code>{blank}"
