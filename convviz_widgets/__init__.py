"""convviz_widgets: see what a Keras convnet has learned, inline in a notebook."""

from .compute import (Activations, LayerInfo, ModelNotBuiltError, activations, clear_cache,
                      conv_layers, kernel_stats, kernels, resolve_layer)

__version__ = "0.1.0"

__all__ = [
    "Activations", "LayerInfo", "ModelNotBuiltError", "activations", "clear_cache",
    "conv_layers", "kernel_stats", "kernels", "resolve_layer",
]
