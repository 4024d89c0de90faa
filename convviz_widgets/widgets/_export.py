"""Export of every view: a PNG of what it shows, an animated GIF/WebP of an optimisation.

One mechanism for all views. The pixels are the ones the view sent to the browser (the uint8
buffers of its :class:`._raster.RasterView` and :class:`._overlay.OverlayView` displays),
composed the way the front end draws them — tiles in a grid with the view's gap, zoom and
colour table, an overlay's heatmap blended at the opacity set from Python — and laid out as the
view's boxes lay them out (an ``HBox`` side by side, a ``VBox`` one under the other). Nothing
here computes from model outputs: it only rearranges bytes that were already displayed.

A view takes part through :class:`ExportMixin` (mixed into :class:`._base.View`); a view with a
display to export other than generically (the ActivationViewer's channel grid) overrides
``_export_leaf``, a view with an optimisation overrides ``_animated_display``.
"""

from __future__ import annotations

import base64
import html
import io
import re
import threading

import ipywidgets as w
import numpy as np
from PIL import Image

from .. import display
from ._view_error import ViewError

#: Background of the space between panels in an exported figure (white, like a handout page).
PAGE_BACKGROUND = 255
#: Pixels between two panels of an exported figure.
PANEL_GAP = 8
#: Frames an animation keeps; beyond it every second frame is dropped (a long run stays small).
MAX_FRAMES = 400
#: Milliseconds each frame of an exported animation is shown.
FRAME_MS = 100


def _css_rgb(colour: str, default=(232, 232, 232)) -> tuple[int, int, int]:
    """``"#e8e8e8"`` / ``"#eee"`` → (232, 232, 232); anything else → ``default``."""
    m = re.fullmatch(r"#([0-9a-fA-F]{3}|[0-9a-fA-F]{6})", (colour or "").strip())
    if not m:
        return default
    hexa = m.group(1)
    if len(hexa) == 3:
        hexa = "".join(ch * 2 for ch in hexa)
    return tuple(int(hexa[k:k + 2], 16) for k in (0, 2, 4))


def raster_rgb(view) -> np.ndarray:
    """What a :class:`RasterView` draws, as ``(H, W, 3)`` uint8.

    Tiles are coloured through the view's ``lut`` (one channel) or taken as RGB, upscaled by
    ``zoom`` / ``zoom_x``, laid ``columns`` wide with ``gap`` pixels of ``background`` between
    them and ``margin`` pixels on the left — the layout of ``static/raster.js``. The selection
    outline and red marks are interactive cues and are not drawn.

    Raises
    ------
    ValueError
        The view shows nothing yet.

    Examples
    --------
    >>> from convviz_widgets.widgets import RasterView
    >>> v = RasterView(gap=2)
    >>> v.set_tiles(np.zeros((3, 4, 5), np.uint8), columns=2, zoom=2)
    >>> raster_rgb(v).shape
    (18, 22, 3)
    """
    px = view.pixels
    n, h, wd, c = px.shape
    if n == 0 or h == 0 or wd == 0:
        raise ViewError("export_empty_display")
    if c == 1:
        table = np.frombuffer(view.lut, np.uint8).reshape(256, 3)
        rgb = table[px[..., 0]]
    else:
        rgb = px[..., :3]
    zoom = max(1, int(view.zoom))
    zoom_x = max(1, int(view.zoom_x or zoom))
    rgb = np.repeat(np.repeat(rgb, zoom, axis=1), zoom_x, axis=2)
    cols = max(1, min(int(view.columns or 1), n))
    gap = max(0, int(view.gap))
    grid = display.mosaic(rgb, cols, pad=gap, fill=0)
    covered = display.mosaic(np.ones(rgb.shape[:3], np.uint8), cols, pad=gap, fill=0)
    grid[covered == 0] = _css_rgb(view.background)
    margin = max(0, int(view.margin))
    if margin:
        pad = np.empty((grid.shape[0], margin, 3), np.uint8)
        pad[:] = _css_rgb(view.background)
        grid = np.concatenate([pad, grid], axis=1)
    return np.ascontiguousarray(grid)


def overlay_rgb(view) -> np.ndarray:
    """What an :class:`OverlayView` draws, as ``(H, W, 3)`` uint8.

    The heatmap is stretched over the image (nearest neighbour) and blended through the colour
    table of ``colormap`` at ``opacity`` — the values set from Python; a change made only with
    the view's own slider in the browser never reaches the kernel.

    Examples
    --------
    >>> from convviz_widgets.widgets import OverlayView
    >>> v = OverlayView(opacity=0.0, width=12)
    >>> _ = v.set_overlay(np.ones((4, 6, 3), np.float32), np.zeros((2, 3), np.float32))
    >>> int(overlay_rgb(v).min()), overlay_rgb(v).shape
    (255, (8, 12, 3))
    """
    h, wd = (int(d) for d in view.image_shape)
    if h == 0 or wd == 0 or len(view.image) != h * wd * 3:
        raise ViewError("export_empty_overlay")
    image = view.image_pixels.astype(np.float32)
    hh, ww = (int(d) for d in view.heatmap_shape)
    if hh == 0 or ww == 0 or len(view.heatmap) != hh * ww:
        return view.image_pixels
    heat = view.heatmap_pixels
    rows = np.minimum((np.arange(h) * hh) // h, hh - 1)
    cols = np.minimum((np.arange(wd) * ww) // wd, ww - 1)
    heat = heat[rows][:, cols]
    names = list(view.colormaps)
    luts = np.frombuffer(view.luts, np.uint8)
    cmap = view.shown_colormap  # the kernel's colormap for this kind of map (signed or not)
    k = names.index(cmap) if cmap in names else 0
    table = luts[k * 768:(k + 1) * 768].reshape(256, 3).astype(np.float32)
    alpha = round(min(1.0, max(0.0, float(view.opacity))) * 255) / 255.0
    out = np.clip(image * (1.0 - alpha) + table[heat] * alpha + 0.5, 0, 255).astype(np.uint8)
    # The front end draws it ``width`` CSS pixels wide, pixelated from twice the size up: the
    # same whole-number enlargement here (a smaller display keeps the image's own size).
    zoom = int(view.width) // wd if int(view.width) > 0 else 1
    if zoom >= 2:
        out = np.repeat(np.repeat(out, zoom, axis=0), zoom, axis=1)
    return out


def as_rgb_u8(pixels) -> np.ndarray:
    """uint8 ``(h, w)``, ``(h, w, 1)``, ``(h, w, 3)`` or ``(h, w, 4)`` → ``(h, w, 3)``.

    Examples
    --------
    >>> as_rgb_u8(np.zeros((2, 3), np.uint8)).shape
    (2, 3, 3)
    """
    arr = np.asarray(pixels)
    if arr.dtype != np.uint8:
        raise TypeError(f"Exported pixels must be uint8, got {arr.dtype}.")
    if arr.ndim == 2:
        arr = arr[..., None]
    if arr.ndim != 3 or arr.shape[-1] not in (1, 3, 4):
        raise ValueError(f"Cannot export pixels of shape {arr.shape}.")
    if arr.shape[-1] == 1:
        arr = np.repeat(arr, 3, axis=-1)  # grey -> RGB
    return np.ascontiguousarray(arr[..., :3])


def compose(panels, direction: str = "row", gap: int = PANEL_GAP,
            background: int = PAGE_BACKGROUND) -> np.ndarray:
    """Panels ``(h, w, 3)`` uint8 side by side (``"row"``) or stacked (``"column"``),
    top/left aligned, ``gap`` pixels of ``background`` between them.

    Examples
    --------
    >>> compose([np.zeros((2, 3, 3), np.uint8), np.zeros((4, 1, 3), np.uint8)]).shape
    (4, 12, 3)
    """
    panels = [as_rgb_u8(p) for p in panels]
    if not panels:
        raise ValueError("Nothing to compose.")
    if len(panels) == 1:
        return panels[0]
    along = 1 if direction == "row" else 0
    across = 1 - along
    size_across = max(p.shape[across] for p in panels)
    size_along = sum(p.shape[along] for p in panels) + gap * (len(panels) - 1)
    shape = [0, 0, 3]
    shape[along], shape[across] = size_along, size_across
    out = np.full(shape, background, np.uint8)
    pos = 0
    for p in panels:
        if along == 1:
            out[:p.shape[0], pos:pos + p.shape[1]] = p
        else:
            out[pos:pos + p.shape[0], :p.shape[1]] = p
        pos += p.shape[along] + gap
    return out


def _hidden(widget) -> bool:
    layout = getattr(widget, "layout", None)
    return layout is not None and getattr(layout, "display", None) == "none"


def figure_of(root, leaf, skip=()) -> np.ndarray:
    """The figure of a widget tree: ``leaf(widget)`` gives a display's pixels (or None for a
    widget that is no display); boxes compose their children's figures (``HBox`` in a row,
    other boxes in a column); hidden widgets, empty displays and the widgets in ``skip`` (and
    everything under them: pickers, galleries) are left out.

    Raises
    ------
    ValueError
        Nothing in the tree shows pixels yet.
    """

    skipped = {id(s) for s in skip if s is not None}

    def walk(widget):
        if _hidden(widget) or id(widget) in skipped:
            return None
        pixels = leaf(widget)
        if pixels is not None:
            return as_rgb_u8(pixels)
        kids = getattr(widget, "children", None)
        if not kids:
            return None
        parts = [p for p in (walk(k) for k in kids) if p is not None]
        if not parts:
            return None
        return compose(parts, "row" if isinstance(widget, w.HBox) else "column")

    figure = walk(root)
    if figure is None:
        raise ViewError("export_nothing")
    return figure


def png_bytes(rgb: np.ndarray) -> bytes:
    """``(h, w, 3)`` uint8 → PNG bytes.

    Examples
    --------
    >>> png_bytes(np.zeros((2, 2, 3), np.uint8))[:4]
    b'\\x89PNG'
    """
    buf = io.BytesIO()
    Image.fromarray(as_rgb_u8(rgb), "RGB").save(buf, "PNG")
    return buf.getvalue()


def animation_bytes(frames, fmt: str = "gif", duration_ms: int = FRAME_MS) -> bytes:
    """Frames ``(h, w, 3)`` uint8 → an animated GIF or WebP (looping), one frame each.

    Frames of different sizes are padded (white) to the largest. The GIF writer merges two
    consecutive frames that are identical after its 256-colour quantisation.

    Examples
    --------
    >>> frames = [np.full((4, 4, 3), v, np.uint8) for v in (0, 128, 255)]
    >>> from PIL import Image
    >>> Image.open(io.BytesIO(animation_bytes(frames))).n_frames
    3
    """
    fmt = fmt.lower()
    if fmt not in ("gif", "webp"):
        raise ValueError(f"Unknown animation format {fmt!r}; use 'gif' or 'webp'.")
    frames = [as_rgb_u8(f) for f in frames]
    if not frames:
        raise ViewError("export_no_frames")
    h = max(f.shape[0] for f in frames)
    wd = max(f.shape[1] for f in frames)
    images = []
    for f in frames:
        if f.shape[:2] != (h, wd):
            f = compose([f, np.full((h, wd, 3), PAGE_BACKGROUND, np.uint8)], "column", gap=0)
            f = f[:h, :wd]
        images.append(Image.fromarray(f, "RGB"))
    buf = io.BytesIO()
    extra = {"lossless": True} if fmt == "webp" else {"optimize": False}
    images[0].save(buf, fmt.upper(), save_all=True, append_images=images[1:],
                   duration=int(duration_ms), loop=0, **extra)
    return buf.getvalue()


def export_name(*parts, ext: str = "png") -> str:
    """A file name from model name, layer and settings: unsafe characters become ``_``.

    Examples
    --------
    >>> export_name("demo", "block2/conv1", "f3", ext="gif")
    'demo_block2_conv1_f3.gif'
    """
    text = "_".join(str(p) for p in parts if p not in (None, ""))
    text = re.sub(r"[^A-Za-z0-9._-]+", "_", text).strip("_") or "convviz"
    return f"{text[:120]}.{ext}"


_MIME = {"png": "image/png", "gif": "image/gif", "webp": "image/webp"}


def download_html(data: bytes, name: str) -> str:
    """An ``<a download>`` link carrying ``data`` (a data URL works in every front end,
    Colab included; live views never go through base64)."""
    mime = _MIME.get(name.rsplit(".", 1)[-1], "application/octet-stream")
    b64 = base64.b64encode(data).decode("ascii")
    kb = max(1, len(data) // 1024)
    return (f"<a class='convviz-download' download='{html.escape(name)}' "
            f"href='data:{mime};base64,{b64}'>⬇ {html.escape(name)} ({kb} kB)</a>")


class FrameRecorder:
    """The frames one display showed during a run (for :func:`animation_bytes`).

    ``start()`` forgets the last run; ``add(rgb)`` keeps a frame unless it equals the previous
    one; past :data:`MAX_FRAMES` every second frame is dropped (the last one stays).
    Thread-safe: frames arrive from a worker thread.

    Examples
    --------
    >>> rec = FrameRecorder()
    >>> for v in (0, 0, 9):
    ...     rec.add(np.full((2, 2, 3), v, np.uint8))
    >>> len(rec.frames)
    2
    """

    def __init__(self, limit: int = MAX_FRAMES):
        self.limit = int(limit)
        self._frames: list[np.ndarray] = []
        self._lock = threading.Lock()

    def start(self) -> None:
        with self._lock:
            self._frames = []

    def add(self, rgb: np.ndarray) -> None:
        with self._lock:
            if self._frames and self._frames[-1].shape == rgb.shape and \
                    np.array_equal(self._frames[-1], rgb):
                return
            self._frames.append(rgb)
            if len(self._frames) > self.limit:
                self._frames = self._frames[:-1:2] + self._frames[-1:]

    @property
    def frames(self) -> list[np.ndarray]:
        """The recorded frames, oldest first (a copy of the list)."""
        with self._lock:
            return list(self._frames)
