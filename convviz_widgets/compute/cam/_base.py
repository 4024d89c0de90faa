"""Deprecated: the old single module of the CAM family, kept as a re-export.

It was split (issue 14) into :mod:`.base` (results, the method hook, the registry),
:mod:`._engine` (capture, compiled functions, the driver), :mod:`.predictions` (top-k, ranking,
the CAM-with-prediction pass) and :mod:`convviz_widgets.compute.outputs` (how outputs are read).
Import from :mod:`convviz_widgets.compute.cam` (or those modules); every name this module had is
still importable from here for code written against it.
"""

from ..outputs import (_Output, _as_float, _callable_scores, _check_targets,  # noqa: F401
                       _class_scores, _looks_like_probabilities, _num_classes, _output_index,
                       _per_class, _pick, _probabilities)
from .._model_trace import (_PROBABILITY_ACTIVATIONS, _activation_name,  # noqa: F401
                            _output_kind, _output_names)
from .base import (FLAGS, CAMCancelled, CAMContext, CAMMethod, CAMResult,  # noqa: F401
                   _REGISTRY, _norm_name, cam_methods, get_method, register, unregister)
from ._engine import (_POOLING, _Meta, _activation_for, _capture_fn,  # noqa: F401
                      _check_preprocess, _display_image, _explained, _forward_fn, _head_fn,
                      _head_impl, _linear_final, _masked_fn, _masked_scorer, _meta,
                      _one_by_one, _pick_default, _upsample, check_batch_size, compute_cam,
                      default_layer)
from .predictions import (PredictionRanking, TopPredictions, model_output,  # noqa: F401
                          rank_predictions, top_predictions)
from .._access import require_spatial  # noqa: F401
from .._identity import preprocess_key  # noqa: F401
from .._model_trace import _PATCH_LOCK, run_model, tf_function  # noqa: F401
from .._images import image_digest, prepare_images  # noqa: F401
from ..progress import Cancelled  # noqa: F401
from .._access import access  # noqa: F401

__all__ = (
    "CAMCancelled", "CAMContext", "CAMMethod", "CAMResult", "FLAGS", "PredictionRanking",
    "TopPredictions", "cam_methods", "compute_cam", "default_layer", "get_method", "model_output",
    "rank_predictions", "register", "top_predictions", "unregister",
)
