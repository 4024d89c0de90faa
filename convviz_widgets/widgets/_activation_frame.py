"""One image's feature maps at one layer, with the display range of every scale, kept together;
and the viewer's bounded store of them (:class:`FrameCache`)."""

from __future__ import annotations

from collections import OrderedDict

import numpy as np

from ..compute import activations, weights_identity
from ..display import NORMALIZE_ALIASES, range_text
from ..i18n import tr
from ._pixels import colour_index, tile_limits


#: (image, layer) frames kept with their display ranges, so going back to a layer is free.
KEEP_FRAMES = 6
#: Images kept as fed to the model (resized, scaled). Bounded: a viewer over a dataset of
#: thousands of pictures must not keep a model-input copy of each one it has shown.
KEEP_FED = 8


class Frame:
    """One image's activations at one layer, with the display ranges derived from them."""

    def __init__(self, acts, path: str):
        self.a = acts[path][0]  # (h, w, c) float32
        stats = acts.stats(path)
        self.blank = np.asarray(stats.blank[0], bool)  # (c,)
        self.blank_fraction = float(stats.blank_fraction[0])
        self.mean = np.asarray(stats.mean[0])
        self.ch_lo = self.a.min(axis=(0, 1))  # (c,)
        self.ch_hi = np.asarray(stats.max[0], np.float32)  # (c,) compute already reduced it
        self.image = acts.images[0]  # (H, W, C) display image actually fed
        self.resized_from = acts.resized_from
        self.weights_version = acts.weights_version
        self._limits: dict[str, tuple[np.ndarray, np.ndarray]] = {}

    def limits(self, scale: str) -> tuple[np.ndarray, np.ndarray]:
        """Per-channel ``(lo, hi)`` arrays ``(c,)`` of a named scale over the whole layer.

        The one-range scales (symmetric, shared, raw) give every channel the layer's range, as
        :func:`convviz_widgets.plotting.plot_activation_grid` does; the per-tile ones give each
        channel its own. Kept per scale: a percentile over a big layer takes a while.
        """
        scale = NORMALIZE_ALIASES.get(scale, scale)
        got = self._limits.get(scale)
        if got is None:
            if scale == "per_slice":  # already reduced: no pass over the maps
                got = (self.ch_lo, self.ch_hi)
            elif scale == "shared":
                c = len(self.ch_lo)
                got = (np.full(c, self.ch_lo.min(), np.float32),
                       np.full(c, self.ch_hi.max(), np.float32))
            else:
                got = tile_limits(np.moveaxis(self.a, -1, 0), scale)  # tiles: (c, h, w)
            self._limits[scale] = got
        return got


def codes_on(values: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Maps ``(..., c)`` on per-channel ranges to colour-table bytes, with the arithmetic of
    :func:`convviz_widgets.display.scale_tiles` (so plotting draws the same pixels); a flat
    channel (blank) shows the bottom colour."""
    span = hi - lo
    ok = span > 0
    v = np.where(ok, np.clip((values - lo) / np.where(ok, span, np.float32(1.0)), 0.0, 1.0),
                 np.float32(0.0))
    return colour_index(v)


def values_caption(fr: Frame, layer: str, f: int, scale: str, lang: str) -> str:
    """The channel's own min … max, then the scale's window when it differs: a ReLU map
    on the standardize scale is shown over −0.32 … 0.39 but its values are 0 … 2.41."""
    lo, hi = fr.limits(scale)
    rt = range_text(np.array([fr.ch_lo[f], fr.ch_hi[f]]), lo[f], hi[f])
    text = tr("av.values", lang, layer=layer, lo=rt.lo, hi=rt.hi)
    if rt.window_differs:
        text += tr("av.shown", lang, lo=rt.shown_lo, hi=rt.shown_hi)
        if scale == "shared":
            text += tr("av.layer_range", lang)
    return text


def tile_lines(fr: Frame, start: int, n: int, lang: str) -> list[str]:
    """One hover line per tile of the grid page ``start … start + n`` (the browser shows it;
    no round trip): the channel's range and mean, and whether it is blank."""
    blank = " · " + tr("ui.blank", lang)
    return [tr("av.hover", lang, ch=ch, lo=f"{float(fr.ch_lo[ch]):.3g}",
               hi=f"{float(fr.ch_hi[ch]):.3g}", m=f"{float(fr.mean[ch]):.3g}")
            + (blank if fr.blank[ch] else "") for ch in range(start, start + n)]


class FrameCache:
    """The frames a viewer has shown, computed once and kept (bounded) while the weights stay.

    Attributes
    ----------
    fed : OrderedDict
        Image index → the display image as fed to the model (the last :data:`KEEP_FED`).
    frames : OrderedDict
        ``(image index, layer, id(image))`` → :class:`Frame` (the last :data:`KEEP_FRAMES`).
    """

    def __init__(self, model):
        self.model = model
        self.fed: OrderedDict[int, np.ndarray] = OrderedDict()
        self.frames: OrderedDict[tuple, Frame] = OrderedDict()

    def clear(self) -> None:
        """Forget everything (the image list changed: an index means another picture)."""
        self.fed.clear()
        self.frames.clear()

    def frame(self, images, index: int, path: str, preprocess=None, input_size=None) -> Frame:
        """Activations of ``images[index]`` at layer ``path``, computed or kept (``preprocess``
        and ``input_size`` as the viewer's, see :class:`~convviz_widgets.widgets.View`)."""
        key = (index, path, id(images[index]))
        fr = self.frames.get(key)
        # A kept frame is shown only while the weights are the ones it was computed from
        # (compute's staleness rule): after fit or set_weights it is computed again.
        if fr is not None and fr.weights_version != weights_identity(self.model):
            fr = None
        if fr is None:
            fr = Frame(self._activations(images, index, path, preprocess, input_size), path)
            self.frames[key] = fr
            while len(self.frames) > KEEP_FRAMES:
                self.frames.popitem(last=False)
        else:
            self.frames.move_to_end(key)
        return fr

    def _activations(self, images, index: int, path: str, preprocess, input_size):
        fed = self.fed.get(index)
        if fed is None:
            # First look at this image (or none lately): one forward pass captures every spatial
            # layer (compute caches them), so each later layer change is a cache hit.
            acts = activations(self.model, images[index], layers=None, preprocess=preprocess,
                               input_size=input_size)
            self.fed[index] = acts.images[0]
            while len(self.fed) > KEEP_FED:
                self.fed.popitem(last=False)
            return acts
        self.fed.move_to_end(index)
        return activations(self.model, fed, layers=[path], preprocess=preprocess,
                           input_size=input_size)
