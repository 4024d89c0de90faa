"""convviz_widgets: see what a Keras convnet has learned, inline in a notebook."""

from . import datasets, plotting
from ._demo import demo_images, demo_model
from .compute import (Activations, CAMResult, LayerInfo, MaximizeResult, ModelNotBuiltError,
                      activations, cam_methods, clear_cache, conv_layers, deepdream, faithfulness,
                      gradcam, kernel_stats, kernels, maximize, model_layers, overlay,
                      resolve_layer, sanity_check, top_predictions)

__version__ = "0.1.0"

# The widget classes load ipywidgets/anywidget/ipycanvas; they are imported on first use so that
# `import convviz_widgets.compute` (scripts, workers, tests of the boundary) stays widget-free.
_WIDGETS = ("ActivationViewer", "Explorer", "FilterMaximizer", "GradCAMViewer", "KernelViewer")


def __getattr__(name):
    if name in _WIDGETS:
        from . import widgets

        return getattr(widgets, name)
    raise AttributeError(f"module 'convviz_widgets' has no attribute {name!r}")


def __dir__():
    return sorted(list(globals()) + list(_WIDGETS))


__all__ = [
    "ActivationViewer", "Activations", "CAMResult", "Explorer", "FilterMaximizer",
    "GradCAMViewer", "KernelViewer", "LayerInfo", "MaximizeResult", "ModelNotBuiltError",
    "activations", "cam_methods", "clear_cache", "conv_layers", "datasets", "deepdream",
    "demo_images", "demo_model", "faithfulness", "gradcam", "kernel_stats", "kernels", "maximize",
    "model_layers", "overlay", "plotting", "resolve_layer", "sanity_check", "top_predictions",
]
