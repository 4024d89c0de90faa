"""Messages of errors that reach the views, under keys a view can show in its language.

``compute/`` never imports the widgets' i18n catalogue; it raises :class:`InputError` with a key
and the values of the message instead. The English text is here (the exception's ``str``); the
views register the Spanish and Portuguese text under ``"err:" + key``
(``widgets/_input_messages.py``) and :func:`widgets._errors.short_message` uses it. A test keeps
the two tables in step (same keys, same placeholders).
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
        "Images must be (h, w), (h, w, c) or (n, h, w, c); got {ndim}-D shape {shape}."),
    "images_channels_first_image": (
        "An image of shape {shape} looks channels-first (c, h, w); convviz_widgets reads "
        "channels-last images. Transpose to channels-last: np.transpose(image, (1, 2, 0))."),
    "images_channels_first_batch": (
        "Images of shape {shape} look channels-first (n, c, h, w); convviz_widgets reads "
        "channels-last images. Transpose to channels-last: np.transpose(images, (0, 2, 3, 1))."),
    "images_stack_ambiguous": (
        "An array of shape {shape} is either {n} grayscale images of {h}×{w} or one image with "
        "{c} channels, and the model reads {want} channels (RGB). For {n} grayscale images add "
        "the channel axis: images[..., None] (they are repeated to RGB); one image must be "
        "(h, w, 3)."),
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
    "arg_needs_objective": (
        "{args} only {verb} with objective=\"diversity\" (several different patterns per "
        "filter); this run's objective is {objective!r}, so {it} would change nothing. Pass "
        "objective=\"diversity\", or leave {args} out."),
    "arg_needs_method": (
        "{arg} only acts with {needs}; this call uses {got}, so it would change nothing. "
        "{fix}"),
}


class InputError(ValueError):
    """A ``ValueError`` a view can show in its language.

    Attributes
    ----------
    message_key : str
        A key of :data:`MESSAGES` (the views translate ``"err:" + key``).
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
