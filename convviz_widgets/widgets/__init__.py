"""Interactive views (ipywidgets and anywidget). They call :mod:`..compute` and only
turn its float arrays into pixels; no tensor math happens here."""

from ._activation_viewer import ActivationViewer
from ._base import LayerViewer, View, enable_colab_widgets
from ._conv_step import ConvStepViewer
from ._deepdream_view import DeepDreamViewer
from ._kernel_viewer import KernelViewer
from ._pixels import DIVERGING_COLORMAPS, SEQUENTIAL_COLORMAPS, lut, quantize
from ._raster import RasterView
from ._channel_browser import ChannelBrowser
from ._channel_card import ChannelCard
from ._explorer import Explorer
from ._filter_maximizer import FilterMaximizer
from ._gradcam_viewer import GradCAMViewer, OverlayView

__all__ = [
    "ActivationViewer", "ChannelBrowser", "ChannelCard", "ConvStepViewer", "DIVERGING_COLORMAPS",
    "DeepDreamViewer", "Explorer", "FilterMaximizer", "GradCAMViewer",
    "OverlayView", "KernelViewer", "LayerViewer", "RasterView",
    "SEQUENTIAL_COLORMAPS", "View", "enable_colab_widgets", "lut", "quantize",
]
