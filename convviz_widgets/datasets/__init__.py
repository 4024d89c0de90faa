"""Procedurally generated data sets for training and testing the bundled demo model."""

from .augmentation import AugmentationComparison, compare_augmentation, small_classifier
from .shapes import CLASS_NAMES, ShapesData, make_shapes

__all__ = ["AugmentationComparison", "CLASS_NAMES", "ShapesData", "compare_augmentation",
           "make_shapes", "small_classifier"]
