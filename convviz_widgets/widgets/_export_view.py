"""The export face every :class:`._base.View` has: ``export_png``, ``save_png``, the Export
buttons with a download link and, for views that run an optimisation, an animation of its
frames (see :mod:`._export` for how the pixels are read)."""

from __future__ import annotations

import ipywidgets as w

from ..plotting import ColourBar, figure_png, labelled_figure
from ._export import (FrameRecorder, animation_bytes, download_html, export_name, figure_of,
                      overlay_rgb, raster_rgb)
from ..i18n import tr
from ._fit import fit_layout
import numpy as np
from ._overlay import OverlayView
from ._raster import RasterView

#: Traits whose values name an exported file after model and layer, when a view has them.
_NAME_TRAITS = ("filter_index", "image_index", "method", "target")


class Exportable:
    """Mixed into :class:`._base.View`: what a view shows, as a PNG or an animation.

    Hooks a view may override: ``_export_leaf(widget)`` (pixels of a display this module cannot
    read, else defer to this one), ``_animated_display()`` (the RasterView whose frames make the
    animation of a run; such a view has a ``running`` trait), ``_export_settings()`` (words for
    the file name).
    """

    # -- what is shown --------------------------------------------------------------------------
    def _export_excluded(self) -> list:
        """Widgets left out of the exported figure (pickers, galleries): none by default."""
        return []

    def _export_labels(self) -> dict:
        """``{"title", "subtitle", "colorbar"}`` of the exported figure, in the view's language.

        Default: the model, the layer and the selected channel (when the view has them), no
        colour bar. Views override it to name what they show (class, probability, method) and
        to give the scale of their one-channel picture (:meth:`_colour_bar_of`).
        """
        lang = getattr(self, "lang", "en")
        parts = [getattr(self.model, "name", "model")]
        layer = getattr(self, "layer", "")
        if layer:
            parts.append(str(layer))
        if self.has_trait("filter_index"):
            parts.append(tr("ex.channel", lang, f=self.filter_index))
        return {"title": " · ".join(parts), "subtitle": "", "colorbar": None}

    @staticmethod
    def _colour_bar_of(view, label: str):
        """The colour bar of a one-channel :class:`RasterView`: its colour table and the values
        its ends stand for (the display window), named ``label``; None for colour pictures."""
        if view is None or int(view.shape[0]) == 0 or int(view.shape[-1]) != 1:
            return None
        colors = np.frombuffer(view.lut, np.uint8).reshape(256, 3)
        return ColourBar(colors, float(view.vmin), float(view.vmax), label)

    def export_labelled(self):
        """The exported figure: what the view shows (its displays, without controls or
        pickers), under a title naming model, layer and channel or class, with the data's
        range and a colour bar — a :class:`matplotlib.figure.Figure` (see
        :func:`convviz_widgets.plotting.labelled_figure`).

        Examples
        --------
        >>> fig = kv.export_labelled()                           # doctest: +SKIP
        >>> fig.texts[0].get_text()                              # doctest: +SKIP
        'transfer · vgg16/block2_conv1 · filter 3'
        """
        labels = self._export_labels()
        return labelled_figure(self.export_figure(), labels["title"], labels.get("subtitle", ""),
                               labels.get("colorbar"))

    def _export_leaf(self, widget):
        """Pixels of ``widget`` if it is a display that shows something, else None."""
        try:
            if isinstance(widget, RasterView):
                return raster_rgb(widget)
            if isinstance(widget, OverlayView):
                return overlay_rgb(widget)
        except ValueError:
            return None  # an empty display takes no room in the figure
        return None

    def export_figure(self):
        """What the view shows as ``(H, W, 3)`` uint8: its displays, laid out as on screen.

        Raises
        ------
        ValueError
            Nothing is shown yet.
        """
        return figure_of(self, self._export_leaf, self._export_excluded())

    def export_png(self) -> bytes:
        """A PNG of what the view shows now, labelled for a slide: the pixels it sent to the
        browser (1:1) under a title and the data's range, over a colour bar; the title and
        subtitle are also the PNG's ``Title`` and ``Description`` text chunks.

        Examples
        --------
        >>> kv = cv.KernelViewer(model, layer="block1_conv1")    # doctest: +SKIP
        >>> kv.export_png()[:4]                                  # doctest: +SKIP
        b'\\x89PNG'
        """
        labels = self._export_labels()
        return figure_png(self.export_labelled(), {"Title": labels["title"],
                                                   "Description": labels.get("subtitle", "")})

    def save_png(self, path) -> str:
        """Write :meth:`export_png` to ``path``; return the path.

        Examples
        --------
        >>> kv.save_png(kv.export_filename())                    # doctest: +SKIP
        'demo_block1_conv1_f0.png'
        """
        data = self.export_png()
        with open(path, "wb") as fh:
            fh.write(data)
        return str(path)

    # -- animations -----------------------------------------------------------------------------
    def _animated_display(self):
        """The display whose frames form the animation of a run (None: the view has none)."""
        return None

    @property
    def recorded_frames(self) -> list:
        """Frames of the last run's animated display, ``(h, w, 3)`` uint8 each, oldest first."""
        rec = getattr(self, "_recorder", None)
        return rec.frames if rec is not None else []

    def export_animation(self, fmt: str = "gif") -> bytes:
        """The last run's frames as an animated ``"gif"`` or ``"webp"``, one frame each.

        Raises
        ------
        ValueError
            The view has no optimisation, or no frame was recorded yet.

        Examples
        --------
        >>> dv.run(); dv.wait()                                   # doctest: +SKIP
        >>> open("dream.gif", "wb").write(dv.export_animation("gif"))   # doctest: +SKIP
        """
        if getattr(self, "_recorder", None) is None:
            raise ValueError(f"{type(self).__name__} runs no optimisation; export_png() gives "
                             "what it shows.")
        return animation_bytes(self.recorded_frames, fmt)

    def save_animation(self, path) -> str:
        """Write :meth:`export_animation` to ``path`` (format from its ``.gif`` / ``.webp``
        ending); return the path."""
        fmt = str(path).rsplit(".", 1)[-1].lower()
        data = self.export_animation(fmt)
        with open(path, "wb") as fh:
            fh.write(data)
        return str(path)

    # -- names and the download link -------------------------------------------------------------
    def _export_settings(self) -> list:
        """Words that, after model and layer, name an exported file."""
        words = []
        for name in _NAME_TRAITS:
            if self.has_trait(name):
                value = getattr(self, name)
                if value not in (None, ""):
                    words.append(f"{name.split('_')[0][:6]}{value}")
        return words

    def export_filename(self, ext: str = "png") -> str:
        """The file name the Export buttons use: model, layer and settings.

        Examples
        --------
        >>> cv.KernelViewer(model, layer="block1_conv1").export_filename()  # doctest: +SKIP
        'demo_block1_conv1_filter0.png'
        """
        return export_name(getattr(self.model, "name", "model"), self.layer,
                           *self._export_settings(), ext=ext)

    def _offer(self, fmt: str) -> None:
        """Build the file of ``fmt`` and show its download link next to the buttons."""
        data = self.export_png() if fmt == "png" else self.export_animation(fmt)
        self._download.value = download_html(data, self.export_filename(fmt))

    def _add_export_controls(self) -> None:
        """Add the Export buttons (PNG; GIF and WebP for a view with an animation) and start
        recording frames for those views. Called once from :meth:`View._built`."""
        animated = type(self)._animated_display is not Exportable._animated_display
        buttons = []
        if not hasattr(self, "_export_btn"):
            self._export_btn = w.Button(description=tr("ui.export_png", self.lang), icon="download",
                                        layout=fit_layout())
            self._export_btn.on_click(lambda _b: self._safe(lambda: self._offer("png")))
            buttons.append(self._export_btn)
        if not hasattr(self, "_download"):
            self._download = w.HTML(value="")
        if animated:
            for fmt in ("gif", "webp"):
                btn = w.Button(description=tr(f"ui.export_{fmt}", self.lang),
                               icon="film", layout=fit_layout())
                btn.on_click(lambda _b, f=fmt: self._safe(lambda: self._offer(f)))
                buttons.append(btn)
            self._recorder = FrameRecorder()
            self.observe(self._record_on_running, "running")
            stack = list(self.children)
            while stack:
                wd = stack.pop()
                if isinstance(wd, RasterView):
                    wd.observe(self._record_frame, "tiles")
                stack.extend(getattr(wd, "children", ()) or ())
        row = self._row_of(self._export_btn)
        if row is not None:  # the view has its own export row (FilterMaximizer): join it
            kids = list(row.children)
            at = kids.index(self._download) if self._download in kids else len(kids)
            row.children = kids[:at] + buttons + kids[at:]
            return
        bar = w.HBox(buttons + [self._download])
        bar.add_class("convviz-export")
        kids = list(self.children)
        at = kids.index(self._status) if self._status in kids else len(kids)
        self.children = kids[:at] + [bar] + kids[at:]

    def _row_of(self, widget):
        stack = list(self.children)
        while stack:
            wd = stack.pop()
            kids = getattr(wd, "children", ()) or ()
            if widget in kids:
                return wd
            stack.extend(kids)
        return None

    def _record_on_running(self, change) -> None:
        if change["new"]:
            self._recorder.start()
        else:
            self._record_current()

    def _record_frame(self, change) -> None:
        if getattr(self, "running", False) and change["owner"] is self._animated_display():
            self._record_current()

    def _record_current(self) -> None:
        shown = self._animated_display()
        if shown is None:
            return
        try:
            self._recorder.add(raster_rgb(shown))
        except ValueError:
            pass  # nothing drawn yet
