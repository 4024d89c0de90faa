"""Messages of errors that reach the views, under keys a view can show in its language.

``compute/`` raises :class:`InputError` with a key and the values of the message, never a
translated text. The English text is here (the exception's ``str``); the catalogue
(``convviz_widgets/i18n/_compute_errors.py``) adds the Spanish and Portuguese under
``"err." + key`` and :func:`widgets._errors.short_message` shows them. Tests keep the two in
step (same keys, same placeholders).
"""

from __future__ import annotations

__all__ = ["InputError", "InputTypeError", "MESSAGES"]

MESSAGES: dict[str, str] = {
    "images_not_numeric": (
        "Images must be numeric arrays (uint8 or float) or image files (a path, a "
        "pathlib.Path or a list of them); got dtype {dtype}. Convert with "
        "np.asarray(image, dtype=np.float32) / 255, or read files with cv.load_image(path)."),
    "images_empty_list": "Got an empty list of images; pass at least one image.",
    "images_list_shapes": (
        "Images in a list must share one shape for a model that takes any size, got {shapes}. "
        "Resize them to one size first, or pass them one at a time."),
    "images_rank": (
        "Images must be (h, w), (h, w, c) or (n, h, w, c); got {ndim}-D shape {shape}. "
        "(Raw file bytes? Read a picture with cv.load_image(path_or_bytes).)"),
    "images_channels_first_image": (
        "An image of shape {shape} looks channels-first (c, h, w); convviz_widgets reads "
        "channels-last images. Transpose to channels-last: np.transpose(image, (1, 2, 0))."),
    "images_channels_first_batch": (
        "Images of shape {shape} look channels-first (n, c, h, w); convviz_widgets reads "
        "channels-last images. Transpose to channels-last: np.transpose(images, (0, 2, 3, 1))."),
    "images_stack_ambiguous": (
        "An array of shape {shape} is either a batch of {n} grayscale images of {h}×{w} or one "
        "image with "
        "{c} channels, and the model reads {want} channels (RGB). For {n} grayscale images add "
        "the channel axis: images[..., None] (they are repeated to RGB); one image must be "
        "(h, w, 3)."),
    "images_empty_array": (
        "Got an empty image array of shape {shape}; pass at least one non-empty image."),
    "images_int_range": (
        "Integer images must be in 0..255, got values in [{lo}, {hi}]. Scale them to 0..255 "
        "(uint8) or to floats in [0, 1]."),
    "images_not_finite": (
        "Images contain {nan} NaN and {inf} infinite values; clean them first (e.g. "
        "np.nan_to_num(images))."),
    "images_negative": (
        "Images have negative values (min {lo}): they look already preprocessed for the model. "
        "Pass display images (floats in [0, 1] or uint8) and give the model's scaling as "
        "`preprocess=` (e.g. lambda x: keras.applications.vgg16.preprocess_input(x * 255))."),
    "images_float_range": (
        "Float images must be in [0, 1] (or [0, 255]); got max {hi}. Divide by their maximum "
        "first."),
    "images_rgba_model": (
        "Images have 4 channels (RGBA?) but the model reads {want}. Drop the alpha channel "
        "first: images[..., :3]."),
    "images_rgba": "Images have 4 channels (RGBA?); drop the alpha channel: images[..., :3].",
    "images_channels": (
        "Images have {c} channels but the model reads {want}; only grayscale↔RGB is converted "
        "automatically."),
    "model_channels_first": (
        "Model {model!r} is channels-first (layer {layer!r} has data_format='channels_first', "
        "its input is {shape}); convviz_widgets reads channels-last models only (height, width, "
        "channels), Keras' default. Rebuild it channels-last (keras.config."
        "set_image_data_format('channels_last') before building it, or "
        "data_format='channels_last' in its layers) and copy the weights: "
        "new_model.set_weights(model.get_weights()) — kernels are stored the same way in both "
        "formats. Wrapping it, keras.Sequential([keras.Input({last}), keras.layers.Permute((3, "
        "1, 2)), model]), is not enough: that changes what it is fed, but its feature maps stay "
        "channels-first."),
    "maximize_diversity_args": (
        "{args} only act with objective=\"diversity\" (several different patterns per filter); "
        "this run's objective is {objective!r}, so they would change nothing. Pass "
        "objective=\"diversity\", or leave {args} out."),
    "maximize_cache_dir_off": (
        "cache_dir= keeps results on disk, but cache=False turns caching off, so it would store "
        "nothing. Pass cache=True, or leave cache_dir out."),
    "maximize_cache_dir_diversity": (
        "cache_dir= would store nothing: diversity runs are never cached (their patterns depend "
        "on each other). Leave cache_dir out."),
    "maximize_dense_channel": (
        "Layer {layer!r} is a Dense layer of {units} units, not a feature map: maximise one "
        "of its units with objective=\"class\", e.g. cv.maximize(model, {layer!r}, [0], "
        "objective=\"class\") (it climbs the unit's value before its activation)."),
    "dream_layers_and_objective": (
        "Pass layers= or objective=, not both: with an objective, layers={layers!r} would "
        "change nothing. Put the layers in the objective (deepdream_objective(layer) terms), "
        "or leave objective out."),
    "dream_octave_scale": (
        "octave_scale only acts with several octaves; with octaves=1 the image is dreamed at its "
        "own size only, so it would change nothing. Pass octaves=2 or more, or leave "
        "octave_scale out."),
    "dream_seed": (
        "seed would change nothing: DeepDream starts from your images and uses no random "
        "transforms. Leave seed out."),
    "cam_layer_pixel": (
        "Method {method!r} attributes the input's pixels and reads no layer, so layer={layer!r} "
        "would change nothing. Leave layer out, or pick a method that reads a layer: "
        "{methods}."),
    "cam_batch_size": (
        "batch_size only acts with methods that run the model many times ({methods}); "
        "{method!r} runs it once, so it would change nothing. Leave batch_size out."),
    "faithfulness_blur_sigma": (
        "blur_sigma only acts with baseline=\"blur\"; with baseline=\"black\" removed pixels "
        "become black, so it would change nothing. Pass baseline=\"blur\", or leave blur_sigma "
        "out."),
    "filter_range": (
        "Filter index {index} is out of range for layer {layer!r}, which has {n} filters: use 0 "
        "to {last}."),
    "layer_not_in_model": (
        "Layer {name!r} is not part of model {model!r}. Pass a layer of this model, or its "
        "path, e.g. {examples}."),
    "layer_ambiguous": (
        "Layer name {layer!r} is ambiguous in model {model!r}: it names {paths}. Pass the full "
        "path instead."),
    "layer_missing_close": (
        "No layer {layer!r} in model {model!r}. Did you mean {close}? (cv.conv_layers(model) "
        "lists them all.)"),
    "layer_missing": (
        "No layer {layer!r} in model {model!r}. Valid layers include {examples}. "
        "(cv.conv_layers(model) lists them all.)"),
    "examples_labels_dataset": (
        "labels= would change nothing: a tf.data.Dataset gives its labels itself, as "
        "(images, labels) pairs. Put the labels in the dataset, or leave labels out."),
}


class InputError(ValueError):
    """A ``ValueError`` a view can show in its language.

    Attributes
    ----------
    message_key : str
        A key of :data:`MESSAGES` (the views show the catalogue's ``"err." + key``).
    message_args : dict
        The values the message is formatted with.

    Examples
    --------
    >>> str(InputError("images_rank", ndim=5, shape=(1, 2, 3, 4, 5)))[:30]
    'Images must be (h, w), (h, w, '
    """

    def __init__(self, key: str, **args):
        self.message_key = key
        self.message_args = args
        super().__init__(MESSAGES[key].format(**args))


class InputTypeError(InputError, TypeError):
    """An :class:`InputError` about the *kind* of value passed (also a ``TypeError``)."""
