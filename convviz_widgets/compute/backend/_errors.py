"""The error of a TensorFlow-only code path on another backend (one wording, every caller)."""

from __future__ import annotations

import keras


def only_tensorflow(what: str) -> NotImplementedError:
    """The error to raise when ``what`` runs on TensorFlow only so far."""
    return NotImplementedError(
        f"{what} runs on Keras' TensorFlow backend only so far; this session runs on "
        f"{keras.backend.backend()!r}. Set KERAS_BACKEND=tensorflow before importing keras (and "
        "install tensorflow), or use what already runs on every backend: conv_layers, "
        "model_layers, resolve_layer, kernels, kernel_stats and activations (one forward pass).")
