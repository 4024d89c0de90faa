"""convviz_widgets: see what a Keras convnet has learned, inline in a notebook."""

from ._quiet import quiet_tensorflow_startup

# Keras imports its backend here. On the TensorFlow backend that is TensorFlow's first import,
# and its native start-up lines (absl, oneDNN, cpu_feature_guard, CUDA probing) would otherwise
# be a notebook's first output (see _quiet.py); on JAX or PyTorch, TensorFlow is never imported.
with quiet_tensorflow_startup():
    import keras  # noqa: F401

from . import compute  # noqa: E402
from .compute import backend  # noqa: E402

# One name per line: several branches add public names at once.
from .compute import (  # noqa: E402
    Activations,
    CAMCancelled,
    CAMResult,
    Cancelled,
    ConvArithmetic,
    DatasetExamples,
    LayerInfo,
    MaximizeResult,
    ModelNotBuiltError,
    Progress,
    Region,
    activations,
    cam_methods,
    class_labels,
    clear_cache,
    conv_arithmetic,
    conv_layers,
    dataset_examples,
    deepdream,
    faithfulness,
    gradcam,
    kernel_stats,
    kernels,
    load_image,
    maximize,
    model_layers,
    overlay,
    receptive_field,
    resolve_layer,
    sanity_check,
    top_predictions,
)
from . import datasets  # noqa: E402
from ._demo import demo_images, demo_model  # noqa: E402
from ._demo_examples import demo_dataset, demo_dataset_examples  # noqa: E402

# Views, plots and the site builder only see numpy: on every backend (issue 25).
from . import plotting  # noqa: E402
from .publish import PublishResult, publish  # noqa: E402
from ._version import __version__  # noqa: E402

# The widget classes load ipywidgets/anywidget; they are imported on first use so that
# `import convviz_widgets.compute` (scripts, workers, tests of the boundary) stays widget-free.
_WIDGETS = ("ActivationViewer", "ChannelBrowser", "ChannelCard", "ConvStepViewer", "DeepDreamViewer",
            "Explorer", "FilterMaximizer",
            "GradCAMViewer", "KernelViewer")


def __getattr__(name):
    if name in _WIDGETS:
        from . import widgets

        return getattr(widgets, name)
    raise AttributeError(f"module 'convviz_widgets' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(__all__))


__all__ = [
    "Activations",
    "ActivationViewer",
    "CAMCancelled",
    "CAMResult",
    "Cancelled",
    "ChannelBrowser",
    "ChannelCard",
    "ConvArithmetic",
    "ConvStepViewer",
    "DatasetExamples",
    "DeepDreamViewer",
    "Explorer",
    "FilterMaximizer",
    "GradCAMViewer",
    "KernelViewer",
    "LayerInfo",
    "MaximizeResult",
    "ModelNotBuiltError",
    "Progress",
    "PublishResult",
    "Region",
    "activations",
    "cam_methods",
    "class_labels",
    "clear_cache",
    "conv_arithmetic",
    "conv_layers",
    "dataset_examples",
    "datasets",
    "deepdream",
    "faithfulness",
    "demo_dataset",
    "demo_dataset_examples",
    "demo_images",
    "demo_model",
    "gradcam",
    "kernel_stats",
    "kernels",
    "load_image",
    "maximize",
    "model_layers",
    "overlay",
    "plotting",
    "publish",
    "receptive_field",
    "resolve_layer",
    "sanity_check",
    "top_predictions",
]
