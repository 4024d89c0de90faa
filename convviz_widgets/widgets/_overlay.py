"""``OverlayView``: an image with a heatmap on top (anywidget, ``js/src/overlay.js``).

Image and heatmap travel as binary uint8 buffers; opacity and colormap are applied in the
browser without a kernel round trip. Signed maps travel with their scale, so the browser's hover
reads the map's own values back. Used by :class:`GradCAMViewer`.
"""

from __future__ import annotations

from pathlib import Path

import anywidget
import numpy as np
import traitlets

from ..i18n import tr
from ._late_bytes import BytesAfterOpen
from ._pixels import lut_bytes, quantize, to_rgb_u8
from ._view_error import ViewError

_STATIC = Path(__file__).parent.parent / "static"

#: Colormaps offered in the overlay's menu (their LUTs travel once, 768 bytes each).
OVERLAY_COLORMAPS = ("jet", "turbo", "inferno", "viridis", "magma", "plasma", "hot", "gray",
                     "RdBu_r", "coolwarm")

#: Diverging colormaps (and their ``_r`` reverses): the right kind for a signed map, whose 0
#: sits in the middle; every other map is sequential, the right kind for an unsigned one.
DIVERGING_COLORMAPS = ("RdBu", "coolwarm", "bwr", "seismic", "PiYG", "PRGn", "BrBG", "PuOr",
                       "RdGy", "RdYlBu", "RdYlGn", "Spectral", "berlin", "managua", "vanimo")

#: Code of 0 in a signed heatmap: [-1, 1] travels as codes 0..254, so 0 has a code of its own
#: (with 256 codes it would fall between two and read as a small negative number).
SIGNED_ZERO = 127


def is_diverging(name: str) -> bool:
    """True for a diverging colormap name (the right kind for signed maps).

    Examples
    --------
    >>> is_diverging("RdBu_r"), is_diverging("jet")
    (True, False)
    """
    base = name[:-2] if name.endswith("_r") else name
    return base in DIVERGING_COLORMAPS


def _rgb_u8(image: np.ndarray) -> np.ndarray:
    """``(H, W, C)`` float [0, 1] display image -> ``(H, W, 3)`` uint8 (grey shown as RGB)."""
    u8 = to_rgb_u8(image)
    if u8.ndim == 2:
        u8 = u8[..., None]  # (H, W) -> (H, W, 1)
    if u8.shape[-1] == 1:
        u8 = np.repeat(u8, 3, axis=-1)  # grey -> RGB for the canvas
    return np.ascontiguousarray(u8[..., :3])


class OverlayView(BytesAfterOpen, anywidget.AnyWidget):
    """An image with a heatmap on top; opacity and colormap change in the browser only.

    The image and the heatmap travel as binary uint8 buffers (``Bytes`` traits, never base64).
    The view's own slider and colormap menu recolour the heat canvas locally and send nothing to
    the kernel, so :attr:`opacity` and :attr:`colormap` here are the *initial* look (setting them
    from Python still updates the view). Views with the same :attr:`group` follow each other's
    local changes.

    Parameters
    ----------
    lang : {"en", "es", "pt"}
        The language of the hover line's position words (``"row 5, col 12 · heat 0.83"``,
        ``"fila 5, columna 12 · ..."``) unless ``where_labels`` is given.
    **kwargs
        Any trait below.

    Attributes
    ----------
    image : bytes
        ``h * w * 3`` uint8 RGB, row-major.
    image_shape : list of int
        ``[h, w]``.
    heatmap : bytes
        ``hh * ww`` uint8 codes: 0..255 for heat 0..1 (unsigned), 0..254 for -1..1 with 0 at
        code :data:`SIGNED_ZERO` (signed).
    heatmap_shape : list of int
        ``[hh, ww]`` (the heatmap is stretched over the image when sizes differ).
    opacity : float
        Initial opacity of the heatmap, 0..1.
    colormap : str
        Initial colormap of unsigned maps; one of :attr:`colormaps`.
    signed_colormap : str
        Initial colormap of signed maps (a diverging one).
    signed : bool
        The heatmap is signed. When a map of the other kind arrives, the browser keeps the
        colormap the user picked if it is of the right kind (diverging for signed maps,
        sequential for unsigned ones), else takes the user's last pick of that kind, else
        :attr:`colormap` / :attr:`signed_colormap`.
    diverging : list of str
        Names counted as diverging (:data:`DIVERGING_COLORMAPS`).
    value_zero, value_step : float
        The hover reads code ``c`` as ``(c - value_zero) * value_step``: the map's own units.
    colormaps, luts : list of str, bytes
        The menu, and a 768-byte RGB table per entry.
    width : int
        Display width in CSS pixels (0: natural size).
    title, caption : str
    flagged : bool
        Show the caption as a warning (degenerate heatmap).
    controls : bool
        Show the opacity slider and colormap menu.
    group : str
        Views sharing a non-empty group share local opacity/colormap changes.
    opacity_label, heat_label : str
        The slider's label and the hover line's word for the heat value (the view's language).

    Examples
    --------
    >>> import numpy as np
    >>> view = OverlayView()
    >>> view.set_overlay(np.zeros((4, 6, 3), np.float32), np.ones((4, 6), np.float32))
    96
    >>> view.image_shape, len(view.heatmap)
    ([4, 6], 24)
    """

    _esm = _STATIC / "overlay.js"

    image = traitlets.Bytes(b"").tag(sync=True)
    image_shape = traitlets.List(traitlets.Int(), default_value=[0, 0]).tag(sync=True)
    heatmap = traitlets.Bytes(b"").tag(sync=True)
    heatmap_shape = traitlets.List(traitlets.Int(), default_value=[0, 0]).tag(sync=True)
    opacity = traitlets.Float(0.5).tag(sync=True)
    colormap = traitlets.Unicode("jet").tag(sync=True)
    signed_colormap = traitlets.Unicode("RdBu_r").tag(sync=True)
    signed = traitlets.Bool(False).tag(sync=True)
    diverging = traitlets.List(traitlets.Unicode(),
                               default_value=list(DIVERGING_COLORMAPS)).tag(sync=True)
    value_zero = traitlets.Float(0.0).tag(sync=True)
    value_step = traitlets.Float(1.0 / 255.0).tag(sync=True)
    colormaps = traitlets.List(traitlets.Unicode(),
                               default_value=list(OVERLAY_COLORMAPS)).tag(sync=True)
    luts = traitlets.Bytes(b"".join(lut_bytes(n) for n in OVERLAY_COLORMAPS)).tag(sync=True)
    width = traitlets.Int(256).tag(sync=True)
    title = traitlets.Unicode("").tag(sync=True)
    caption = traitlets.Unicode("").tag(sync=True)
    flagged = traitlets.Bool(False).tag(sync=True)
    controls = traitlets.Bool(True).tag(sync=True)
    group = traitlets.Unicode("").tag(sync=True)
    opacity_label = traitlets.Unicode("opacity").tag(sync=True)
    heat_label = traitlets.Unicode("heat").tag(sync=True)
    #: The hover line's words for the position ("row 5, col 12 · heat 0.83").
    where_labels = traitlets.List(traitlets.Unicode(),
                                  default_value=["row", "col"]).tag(sync=True)

    def __init__(self, lang: str = "en", **kwargs):
        kwargs.setdefault("where_labels", [tr("hover.row", lang), tr("hover.col", lang)])
        super().__init__(**kwargs)

    @traitlets.validate("opacity")
    def _validate_opacity(self, proposal):
        v = float(proposal["value"])
        if not 0.0 <= v <= 1.0:
            raise ViewError("opacity", value=v)
        return v

    @traitlets.validate("colormap", "signed_colormap")
    def _validate_colormap(self, proposal):
        name = proposal["value"]
        if name not in self.colormaps:
            try:
                table = lut_bytes(name)
            except ValueError as exc:
                raise traitlets.TraitError(str(exc)) from None
            # Any matplotlib map works: it joins the menu with its table.
            with self.hold_sync():
                self.luts = self.luts + table
                self.colormaps = list(self.colormaps) + [name]
        return name

    def set_overlay(self, image: np.ndarray, heatmap: np.ndarray, *, signed: bool = False,
                    scale: float = 1.0, **traits) -> int:
        """Send a display image ``(H, W, C)`` in [0, 1] and a heatmap ``(h, w)``.

        ``heatmap`` is in [0, 1], or in [-1, 1] with ``signed=True`` (0 in the middle of a
        diverging colormap). ``scale`` is the map's value where ``heatmap`` is 1, in the map's
        own units: the hover shows ``heatmap * scale``. Returns the number of payload bytes
        sent.

        Examples
        --------
        >>> view = OverlayView()
        >>> _ = view.set_overlay(np.zeros((2, 2, 3)), np.array([[-1, 0], [.5, 1]]),
        ...                      signed=True, scale=0.02)
        >>> view.heatmap_pixels.tolist(), round(view.value_step * 127, 6)
        ([[0, 127], [191, 254]], 0.02)
        """
        img = _rgb_u8(np.asarray(image))
        values = np.asarray(heatmap, np.float32)
        if values.ndim != 2:
            raise ValueError(f"heatmap must be (h, w), got shape {values.shape}.")
        scale = float(scale) if np.isfinite(scale) and scale > 0 else 1.0
        if signed:
            clipped = np.clip(np.nan_to_num(values), -1.0, 1.0)
            heat = (np.round(clipped * SIGNED_ZERO) + SIGNED_ZERO).astype(np.uint8)
            zero, step = float(SIGNED_ZERO), scale / SIGNED_ZERO
        else:
            heat = quantize(values, 0.0, 1.0)
            zero, step = 0.0, scale / 255.0
        with self.hold_sync():
            self.image = img.tobytes()
            self.image_shape = [int(img.shape[0]), int(img.shape[1])]
            self.heatmap = np.ascontiguousarray(heat).tobytes()
            self.heatmap_shape = [int(heat.shape[0]), int(heat.shape[1])]
            self.signed, self.value_zero, self.value_step = bool(signed), zero, step
            for name, value in traits.items():
                setattr(self, name, value)
        return img.nbytes + heat.nbytes

    @property
    def image_pixels(self) -> np.ndarray:
        """The image as sent, ``(h, w, 3)`` uint8 (a copy)."""
        h, w = self.image_shape
        return np.frombuffer(self.image, np.uint8).reshape(h, w, 3).copy()  # bytes -> (h, w, 3)

    @property
    def shown_colormap(self) -> str:
        """The kernel's colormap for the current map (:attr:`signed_colormap` for a signed
        one); the browser may show a colormap the user picked instead."""
        return self.signed_colormap if self.signed else self.colormap

    @property
    def heatmap_values(self) -> np.ndarray:
        """What the hover reads: the codes as sent, back in the map's units (a copy)."""
        return (self.heatmap_pixels.astype(np.float64) - self.value_zero) * self.value_step

    @property
    def heatmap_pixels(self) -> np.ndarray:
        """The heatmap as sent, ``(hh, ww)`` uint8 (a copy)."""
        h, w = self.heatmap_shape
        return np.frombuffer(self.heatmap, np.uint8).reshape(h, w).copy()  # bytes -> (h, w)
