"""The images an ActivationViewer chooses from: validation, the demo default, uploads."""

from __future__ import annotations

import io

import numpy as np
import traitlets
from PIL import Image, ImageOps, UnidentifiedImageError

from .._demo import demo_images
from ..compute import access, split_images
from ..i18n import tr
from ._view_error import ViewError

#: Uploaded pictures are shrunk to this longest side before anything else: the model resizes to
#: its own input anyway, and a 12-megapixel phone photo should not sit in the kernel's memory.
UPLOAD_MAX_SIDE = 1024


def check_image_index(value, n: int) -> int:
    """Validate an ``image_index`` against ``n`` images (0 when there are none)."""
    value = int(value)
    if n and not 0 <= value < n:
        raise ViewError("range_images", value=value, n=n, last=n - 1)
    return value if n else 0


def as_image_list(images, input_shape: tuple | None = None) -> list[np.ndarray]:
    """Validate ``images`` and return one array per image.

    The rule of what is one image is compute's (:func:`convviz_widgets.compute.split_images`),
    so a view reads images exactly as :func:`convviz_widgets.activations` does: file paths are
    read, and an ``(n, h, w)`` stack is ``n`` grayscale images for a grayscale model.

    Parameters
    ----------
    images : array-like, path, or list of those
        ``(n, h, w, c)``, one ``(h, w, c)`` / ``(h, w)`` image, a list of images of any sizes,
        image files (a path, ``pathlib.Path``, or a list of them); uint8 (0–255) or float in
        [0, 1]; ``c`` is 1 or 3.
    input_shape : tuple, optional
        The model's input shape ``(None, H, W, C)``; its ``C`` decides what ``(n, h, w)`` is.

    Returns
    -------
    list of ndarray
        ``(h, w, c)`` arrays (read-only views where possible; nothing is rescaled here — the
        compute module owns conversion to model input).

    Raises
    ------
    ValueError
        Wrong rank, channel count or dtype; the message says what shape was expected.

    Examples
    --------
    >>> [im.shape for im in as_image_list(np.zeros((2, 5, 7, 3)))]
    [(5, 7, 3), (5, 7, 3)]
    >>> as_image_list(np.zeros((5, 7)))[0].shape
    (5, 7, 1)
    >>> len(as_image_list(np.zeros((4, 28, 28)), (None, 28, 28, 1)))
    4
    """
    if images is None:
        return []
    out = []
    for k, arr in enumerate(split_images(images, input_shape)):
        if arr.shape[-1] not in (1, 3) or min(arr.shape[:2]) < 1:
            raise ViewError("image_shape_rgb", k=k, shape=arr.shape)
        out.append(arr)
    return out


def model_input_shape(view) -> tuple | None:
    """The input shape of ``view.model``, or ``None`` when it has none yet (or no model)."""
    model = getattr(view, "model", None)
    if model is None:
        return None
    try:
        return access(model).at_size(getattr(view, "input_size", None)).input_shape
    except Exception:  # noqa: BLE001 - the model's own error is shown where it is used
        return None


def demo_scenes(lang: str = "en") -> tuple[list[np.ndarray], list[str]]:
    """The bundled demo scenes and their labels in ``lang``, or empty lists when their data file
    cannot be read."""
    try:
        scenes = demo_images()
    except Exception:  # noqa: BLE001 - a missing data file must not break the viewer
        return [], []
    images = as_image_list(getattr(scenes, "images", scenes))
    labels = [tr("ui.scene_n", lang, i=i) for i in range(len(images))]
    names = getattr(scenes, "class_names", None)
    ys = getattr(scenes, "labels", None)
    if names is not None and ys is not None:
        try:
            # The class name stays as the model names it (it is data, not UI text).
            labels = [tr("ui.scene_named", lang, i=i, name=names[int(y)])
                      for i, y in enumerate(np.asarray(ys))]
        except (IndexError, TypeError, ValueError):
            pass
    return images, labels


def numbered_names(lang: str, start: int, count: int) -> list[str]:
    """Menu names of ``count`` images numbered from ``start`` ("image 3", "imagen 3", ...).

    Examples
    --------
    >>> numbered_names("en", 2, 2)
    ['image 2', 'image 3']
    """
    return [tr("ui.image_n", lang, i=i) for i in range(start, start + count)]


def images_or_demo(images, labels=None, lang: str = "en") -> tuple:
    """``(images, labels)`` as given, or the demo scenes and their labels when ``images`` is None.

    Examples
    --------
    >>> images_or_demo([np.zeros((2, 2, 3))], ["mine"])[1]
    ['mine']
    """
    if images is None:
        images, default_labels = demo_scenes(lang)
        labels = labels or default_labels
    return images, list(labels or [])


def uploaded_files(value) -> list[tuple[str, bytes]]:
    """``(name, content)`` pairs from a ``FileUpload.value`` of ipywidgets 7 or 8.

    ipywidgets 8 gives a tuple of dicts ``{"name", "content": memoryview, ...}``; ipywidgets 7
    a dict ``{name: {"metadata": {...}, "content": bytes}}``.

    Examples
    --------
    >>> uploaded_files(({"name": "a.png", "content": memoryview(b"x")},))
    [('a.png', b'x')]
    >>> uploaded_files({"a.png": {"metadata": {"name": "a.png"}, "content": b"x"}})
    [('a.png', b'x')]
    """
    if not value:
        return []
    files = []
    if isinstance(value, dict):  # ipywidgets 7
        for name, item in value.items():
            content = item.get("content") if isinstance(item, dict) else None
            if content is not None:
                files.append((str(name), bytes(content)))
        return files
    for item in value:  # ipywidgets 8
        if isinstance(item, dict) and item.get("content") is not None:
            files.append((str(item.get("name", "upload")), bytes(item["content"])))
    return files


def decode_image(content: bytes, name: str = "upload") -> np.ndarray:
    """Decode an uploaded picture to ``(h, w, 3)`` uint8 RGB (alpha dropped, EXIF-rotated).

    Raises
    ------
    UnreadableImage
        The bytes are not an image PIL can read (a ``ValueError``).
    """
    try:
        with Image.open(io.BytesIO(content)) as im:
            im = ImageOps.exif_transpose(im)
            im.thumbnail((UPLOAD_MAX_SIDE, UPLOAD_MAX_SIDE))
            return np.asarray(im.convert("RGB"))
    except (UnidentifiedImageError, OSError) as exc:
        raise UnreadableImage(name, exc) from None


class UnreadableImage(ValueError):
    """An uploaded file that is not a picture. Its message names the file and what to upload
    (the catalogue's ``err.unreadable``: the status line shows it in the view's language, by
    :attr:`message_key`), and never PIL's text: that quotes Python internals ("cannot identify
    image file <_io.BytesIO object at 0x7f…>").

    Examples
    --------
    >>> err = UnreadableImage("notes.txt")
    >>> tr(f"err.{err.message_key}", "es", **err.message_args)
    'No se pudo leer «notes.txt» como imagen: suba un archivo PNG o JPEG.'
    """

    def __init__(self, name: str, cause: BaseException | None = None):
        self.name = str(name)
        self.message_key, self.message_args = "unreadable", {"name": self.name}
        # PIL's reason stays behind the error's folded details, not in the sentence.
        self.cause = "" if cause is None else f"{type(cause).__name__}: {cause}"
        super().__init__(tr("err.unreadable", "en", name=self.name))


class ImageList(traitlets.TraitType):
    """A trait holding a list of ``(h, w, c)`` images, validated by :func:`as_image_list`."""

    default_value: list = []
    info_text = "images: (n, h, w, c), (h, w, c), (h, w) or a list of such images"

    def validate(self, obj, value):
        try:
            return as_image_list(value, model_input_shape(obj))
        except (ValueError, TypeError, OSError) as exc:
            # "from exc": the view's error line translates compute's message by its key.
            raise traitlets.TraitError(str(exc)) from exc

    def make_dynamic_default(self):
        return []
