"""Display rules, in numpy only: colour tables, value scaling, tile mosaics, image conversion.

One module per rule, shared by the widgets (which turn the result into bytes for the browser)
and :mod:`convviz_widgets.plotting` (which hands it to matplotlib), so a static handout figure
and the live view of the same data are the same pixels. Nothing here touches a model or a
widget library; matplotlib is imported lazily, only for its colour tables.
"""

from .colormaps import (DIVERGING_COLORMAPS, SEQUENTIAL_COLORMAPS, apply_lut, is_diverging, lut,
                        lut_bytes)
from .mosaic import grid_columns, mosaic, tile_origin
from .patterns import PATTERN_STATUS, hatch_tiles, saturated_share, status_text
from .scaling import (NORMALIZE_ALIASES, PATTERN_STD, SCALES, Scaled, deprocess_tiles, quantize, scale_tiles,
                      stretch_tiles, symmetric_limit, tile_limits)
from .images import as_display_rgb, to_u8
from .ranges import RangeText, fmt_value, range_text

__all__ = [
    "DIVERGING_COLORMAPS", "NORMALIZE_ALIASES", "PATTERN_STATUS", "PATTERN_STD", "RangeText", "SCALES",
    "SEQUENTIAL_COLORMAPS", "Scaled", "apply_lut", "as_display_rgb", "deprocess_tiles",
    "fmt_value", "grid_columns", "hatch_tiles", "is_diverging", "lut", "lut_bytes", "mosaic",
    "quantize", "range_text", "saturated_share", "scale_tiles", "status_text", "stretch_tiles",
    "symmetric_limit", "tile_limits", "tile_origin", "to_u8",
]
