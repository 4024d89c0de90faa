"""Backend compute: numpy + TensorFlow/Keras only (never a widget library).

Everything here returns float32 numpy arrays with documented shapes and ranges.
"""

from ._cache import ByteLRU
from ._images import PreparedImages, prepare_images
from ._model_access import (LayerInfo, ModelAccess, ModelNotBuiltError, access, conv_layers,
                            resolve_layer, run_model, spatial_paths)
from .activations import Activations, ChannelStats, activations, channel_stats, clear_cache
from .kernels import DEAD_TOLERANCE, KernelStats, kernel_stats, kernels, stats_of_kernel

__all__ = [
    "Activations", "ByteLRU", "ChannelStats", "KernelStats", "LayerInfo", "ModelAccess",
    "ModelNotBuiltError", "PreparedImages", "access", "activations", "channel_stats",
    "clear_cache", "conv_layers", "kernel_stats", "kernels", "prepare_images", "resolve_layer",
    "run_model", "spatial_paths", "stats_of_kernel", "DEAD_TOLERANCE",
]
