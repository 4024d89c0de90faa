"""Static matplotlib figures of the same views as the widgets, for handouts, PDFs and docs.

Scales, colour tables and mosaics come from :mod:`convviz_widgets.display`, the module the widgets
use too, so a figure shows the pixels the live view shows.

Every function calls :mod:`convviz_widgets.compute` (never the model directly) and returns a
:class:`matplotlib.figure.Figure` without showing it. Large grids are drawn as one mosaic image
instead of one axes per tile: 512 axes take matplotlib seconds, one image takes milliseconds.

One module per subject (kernels, activations, patterns, the convolution by hand, dataset
examples, DeepDream, Grad-CAM); every figure is importable from here, where handouts look for it.
"""

from ._activations import normalize_channels, plot_activation_grid, plot_channel, plot_sparsity
from ._conv import plot_conv_arithmetic
from ._dream import plot_deepdream
from ._examples import plot_dataset_examples
from ._labelled import ColourBar, figure_png, labelled_figure
from ._gradcam import flat_map_warning, plot_gradcam
from ._kernels import plot_filter_slices, plot_kernel_matrix, plot_rgb_filters, rgb_filters
from ._patterns import (plot_maximize_comparison, plot_maximize_gallery, plot_raw_pattern,
                        stretch_patterns)

__all__ = ["ColourBar", "figure_png", "flat_map_warning", "labelled_figure", "plot_gradcam", "normalize_channels", "plot_activation_grid", "plot_channel", "plot_conv_arithmetic",
           "plot_dataset_examples", "plot_deepdream", "plot_filter_slices", "plot_kernel_matrix",
           "plot_maximize_comparison", "plot_maximize_gallery", "plot_raw_pattern",
           "plot_rgb_filters", "plot_sparsity", "rgb_filters", "stretch_patterns"]
