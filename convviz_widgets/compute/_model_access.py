"""Deprecated: the old home of model access, kept as a re-export of its three parts.

It was split (issue 14) by concern; import from the new modules, or better from
:mod:`convviz_widgets.compute`:

* :mod:`._model_trace` — the one model trace (:func:`trace_model`, :class:`OutputInfo`) and all
  layer patching (:func:`run_model`, :class:`linear_final`), layer structure and kernels;
* :mod:`._identity` — :func:`weights_identity`, :func:`weights_digest`, :func:`preprocess_key`,
  :func:`persistent_digest`, the weights fingerprint;
* :mod:`._access` — :class:`ModelAccess`, :func:`access`, layer listing and resolution,
  :func:`require_spatial`, :func:`check_filters`;
* :mod:`._preprocess` — :func:`check_preprocess`, :func:`model_input`.
"""

from ._access import (MAX_COMPILED, LayerInfo, ModelAccess, _ACCESS, _ACCESS_LOCK,  # noqa: F401
                      access, check_filters, conv_layers, model_layers, require_spatial,
                      resolve_layer, spatial_paths)
from ._identity import (_FP_EXACT_MAX, _FP_FNS, _FP_LOCK, _FP_POSITIONS,  # noqa: F401
                        _FP_SAMPLE, _Ref, _callable_key, _cell_full, _code_key, _code_names,
                        _int32_bits, _sample_stride, _value_key,
                        fingerprint_tensor, identity_from, preprocess_key, weights_digest,
                        weights_identity, weights_ids)
from ._preprocess import (_PP_CHECKED, _PP_CHECKED_MAX, _library_preprocess,  # noqa: F401
                          check_preprocess, model_input)
from ._model_trace import (_PATCH_LOCK, ModelNotBuiltError, ModelTrace,  # noqa: F401
                           OutputInfo, _children, _has_inputs, _input_shape, _kernel_shape,
                           linear_final, normalized_kernel, run_model, tf_function, trace_model)
