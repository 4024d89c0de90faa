"""The display rules the widgets use, from :mod:`convviz_widgets.display` (shared with plotting).

Kept as the widgets' one import point for pixels: quantisation to uint8 and colour tables are
display arithmetic, the only arithmetic widgets do on model outputs.
"""

from __future__ import annotations

from ..display import (DIVERGING_COLORMAPS, SEQUENTIAL_COLORMAPS, apply_lut, lut, lut_bytes,
                       quantize, symmetric_limit, tile_limits)
from ..display import to_u8 as to_rgb_u8
from ..display.codes import colour_index, scale_codes

__all__ = ["DIVERGING_COLORMAPS", "apply_lut", "colour_index", "scale_codes", "SEQUENTIAL_COLORMAPS", "lut", "lut_bytes", "quantize",
           "symmetric_limit", "tile_limits", "to_rgb_u8"]
