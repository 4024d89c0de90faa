"""Procedurally generated data sets for training and testing the bundled demo model."""

from .shapes import CLASS_NAMES, ShapesData, make_shapes

__all__ = ["CLASS_NAMES", "ShapesData", "make_shapes"]
