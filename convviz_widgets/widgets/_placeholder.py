"""A panel that has nothing to show yet says so in words, inside the panel.

A one-colour grey square before the first Run reads as "broken" (and a look at the page cannot
tell it from a canvas that failed to draw). The placeholder is the same size as the picture it
stands for, grey, with its words written in the middle, so the layout does not jump when the
picture arrives.
"""

from __future__ import annotations

import importlib.util
import textwrap
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

#: Grey of the placeholder (the views' "nothing yet" grey) and of its words.
_BACKGROUND = 128
_INK = 250


def _font_file() -> str | None:
    """DejaVu Sans from matplotlib's data (found without importing matplotlib): Pillow's own
    default font has no accented letters (ñ, ã, ç) for the Spanish and Portuguese words."""
    spec = importlib.util.find_spec("matplotlib")
    if spec and spec.origin:
        path = Path(spec.origin).parent / "mpl-data" / "fonts" / "ttf" / "DejaVuSans.ttf"
        if path.is_file():
            return str(path)
    return None


def _font(size: int):
    path = _font_file()
    if path:
        try:
            return ImageFont.truetype(path, size)
        except OSError:  # no FreeType in this Pillow
            pass
    try:
        return ImageFont.load_default(size=size)  # Pillow >= 10.1: a scalable font
    except TypeError:  # older Pillow: its small bitmap font
        return ImageFont.load_default()


def placeholder_pixels(height: int, width: int, text: str, font_px: int = 14) -> np.ndarray:
    """A ``(height, width)`` uint8 grey image with ``text`` written across its middle.

    Parameters
    ----------
    height, width : int
        Size in display pixels (draw it with ``zoom=1``, so the words stay sharp).
    text : str
        What the panel is waiting for, e.g. "block2_conv1 · filter 3: press Run". Wrapped to the
        width; lines that do not fit the height are left out.
    font_px : int
        Height of the letters.

    Examples
    --------
    >>> px = placeholder_pixels(120, 200, "press Run")
    >>> px.shape, px.dtype, len(np.unique(px)) > 1
    ((120, 200), dtype('uint8'), True)
    """
    height, width = max(8, int(height)), max(8, int(width))
    img = Image.new("L", (width, height), _BACKGROUND)
    draw = ImageDraw.Draw(img)
    font = _font(font_px)
    # Characters per line from the font's own width of a typical letter.
    em = max(1.0, draw.textlength("n", font=font))
    lines = textwrap.wrap(str(text), max(4, int((width - 12) / em))) or [""]
    line_h = int(font_px * 1.3)
    lines = lines[:max(1, (height - 8) // line_h)]
    y = (height - line_h * len(lines)) // 2
    for line in lines:
        x = (width - draw.textlength(line, font=font)) / 2
        draw.text((max(4, x), y), line, fill=_INK, font=font)
        y += line_h
    return np.asarray(img, np.uint8)
