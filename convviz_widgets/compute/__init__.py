"""Backend compute: numpy + TensorFlow/Keras only (never a widget library).

Everything here returns float32 numpy arrays with documented shapes and ranges.
"""

from ._cache import ByteLRU
from ._images import PreparedImages, prepare_images
from ._model_access import (LayerInfo, ModelAccess, ModelNotBuiltError, access, conv_layers,
                            model_layers, resolve_layer, run_model, spatial_paths)
from .activations import Activations, ChannelStats, activations, channel_stats, clear_cache
from .cam import (CAMCancelled, CAMMethod, CAMResult, cam_methods, colorize, gradcam, overlay,
                  rank_predictions, register, top_predictions)
from .kernels import DEAD_TOLERANCE, KernelStats, kernel_stats, kernels, stats_of_kernel
from .maximize import DreamResult, MaximizeResult, deepdream, maximize
from .trust import FaithfulnessResult, SanityResult, faithfulness, sanity_check

__all__ = [
    "Activations", "ByteLRU", "CAMCancelled", "CAMMethod", "CAMResult", "ChannelStats",
    "DEAD_TOLERANCE", "DreamResult", "FaithfulnessResult", "KernelStats", "LayerInfo",
    "MaximizeResult", "ModelAccess", "ModelNotBuiltError", "PreparedImages", "SanityResult",
    "access", "activations", "cam_methods", "channel_stats", "clear_cache", "colorize",
    "conv_layers", "deepdream", "faithfulness", "gradcam", "kernel_stats", "kernels", "maximize",
    "model_layers", "overlay", "prepare_images", "rank_predictions", "register", "resolve_layer",
    "run_model", "sanity_check", "spatial_paths", "stats_of_kernel", "top_predictions",
]
