"""The error of a TensorFlow-only code path on another backend (one wording, every caller).

Every area of compute runs on every backend (issue 25); what stays TensorFlow's own is the
data set mining's one-graph top-k step (``_example_pass``, imported on TensorFlow only: the
other backends merge on the host). ``backend.tf_function`` on JAX and PyTorch raises this, so a
TensorFlow-only path reached by mistake says so instead of failing somewhere inside.
"""

from __future__ import annotations

import keras


def only_tensorflow(what: str) -> NotImplementedError:
    """The error to raise when ``what``, a TensorFlow-only code path, is reached on another
    backend."""
    return NotImplementedError(
        f"{what} is a TensorFlow-only code path (tf.function); this session runs on Keras' "
        f"{keras.backend.backend()!r} backend.")
