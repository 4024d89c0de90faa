"""The display rules the widgets use, from :mod:`convviz_widgets.display` (shared with plotting).

Kept as the widgets' one import point for pixels: quantisation to uint8 and colour tables are
display arithmetic, the only arithmetic widgets do on model outputs.
"""

from __future__ import annotations

from ..display import (DIVERGING_COLORMAPS, SEQUENTIAL_COLORMAPS, lut, lut_bytes, quantize,
                       symmetric_limit)
from ..display import to_u8 as to_rgb_u8

__all__ = ["DIVERGING_COLORMAPS", "SEQUENTIAL_COLORMAPS", "lut", "lut_bytes", "quantize",
           "symmetric_limit", "to_rgb_u8"]
