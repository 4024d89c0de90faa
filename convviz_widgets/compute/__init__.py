"""Backend compute: numpy + Keras only (never a widget library).

Everything here returns float32 numpy arrays with documented shapes and ranges. What differs
between Keras' TensorFlow, JAX and PyTorch backends is :mod:`.backend`; the rest is
``keras.ops`` and numpy. Every feature runs on every backend (issue 25).
"""

from . import backend
from ._cache import ByteLRU
from ._images import PreparedImages, prepare_images, split_images
from ._messages import MESSAGES, InputError, InputTypeError
from ._load_image import load_image
from ._access import (ModelAccess, access, check_preprocess, conv_layers, model_input,
                      model_layers, require_spatial, resolve_layer, spatial_paths)
from ._layer_info import LayerInfo, check_filters, check_input_size
from ._identity import weights_digest, weights_identity
from ._preprocess_identity import persistent_digest, preprocess_key
from ._model_trace import run_model
from ._structure import ModelNotBuiltError
from ._trace import ModelTrace, OutputInfo
from .activations import Activations, ChannelStats, activations, channel_stats, clear_cache
from .kernels import DEAD_TOLERANCE, KernelStats, kernel_stats, kernels, stats_of_kernel
from .progress import Cancelled, Progress, Tracker
from .outputs import class_labels, image_shaped, output_index, output_info
from .conv_arithmetic import (ConvArithmetic, ConvUnits, conv_arithmetic, conv_units,
                              image_conv_layers)
from .receptive_field import ReceptiveField, receptive_field
from .dataset_examples import DatasetExamples, dataset_examples
from .maximize import DreamResult, MaximizeResult, deepdream, maximize
from .cam import (CAMCancelled, CAMMethod, CAMResult, Region, cam_methods, colorize, gradcam,
                  layer_to_try, overlay, rank_predictions, register, top_predictions)

from .trust import FaithfulnessResult, SanityResult, faithfulness, sanity_check

__all__ = [
    "check_input_size",
    "Activations", "ByteLRU", "CAMCancelled", "CAMMethod", "CAMResult", "ChannelStats",
    "ConvArithmetic", "DatasetExamples", "ReceptiveField", "conv_arithmetic",
    "dataset_examples", "receptive_field",
    "DEAD_TOLERANCE", "DreamResult", "KernelStats", "LayerInfo", "MaximizeResult", "ModelAccess",
    "ModelNotBuiltError", "PreparedImages", "access", "activations", "cam_methods",
    "channel_stats", "clear_cache", "colorize", "conv_layers", "deepdream", "gradcam",
    "kernel_stats", "kernels", "load_image", "maximize", "model_layers", "overlay",
    "prepare_images", "rank_predictions", "register", "resolve_layer", "run_model", "spatial_paths",
    "stats_of_kernel", "top_predictions",
    "check_preprocess", "model_input", "preprocess_key", "weights_identity",
    "ModelTrace", "OutputInfo", "check_filters", "output_index", "output_info",
    "persistent_digest", "require_spatial", "weights_digest",
    "FaithfulnessResult", "SanityResult", "faithfulness", "sanity_check",
    "Cancelled", "Progress", "Tracker",
    "ConvUnits", "conv_units", "image_conv_layers",
    "InputError", "InputTypeError", "MESSAGES", "split_images",
    "Region", "class_labels", "image_shaped", "layer_to_try",
]
