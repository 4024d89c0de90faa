"""The image chooser of :class:`GradCAMViewer`, a component: the image menu, Upload and the
thumbnail strip. It tells the view what the user picked or uploaded through two callbacks and
shows what the view says is shown; it knows nothing of the model. Also the images as the viewer
explains them (:class:`CappedImages`), their labels and names (:class:`ImageNames`)."""

from __future__ import annotations

import ipywidgets as w
import numpy as np
import traitlets

from ..compute import prepare_images
from ._fit import fit_layout
from ..i18n import tr
from ._images import UPLOAD_MAX_SIDE
from ._overlay import _rgb_u8
from ._raster import RasterView
from ._upload import ImageUpload, decode_uploads


def _capped(image: np.ndarray) -> np.ndarray:
    """The image with its longest side at most ``UPLOAD_MAX_SIDE`` (the rule uploads follow).

    The viewer explains and shows images at this size: a 3000×4000 photo then sends ~3 MB per
    update instead of 48 MB, and a class switch does not resize 12 megapixels each time. The
    model sees the same picture either way (it is resized to the model's input).
    """
    h, w_ = image.shape[:2]
    if max(h, w_) <= UPLOAD_MAX_SIDE:
        return image
    scale = UPLOAD_MAX_SIDE / max(h, w_)
    th, tw = max(1, round(h * scale)), max(1, round(w_ * scale))
    if image.dtype.kind == "f" and not np.isfinite(image).all():
        return image  # let gradcam flag the NaN image rather than fail here
    return prepare_images(image, (None, th, tw, None)).images[0]


class CappedImages:
    """Each image as the viewer explains and shows it (see :func:`_capped`), kept per index."""

    def __init__(self):
        self._held: dict[int, tuple] = {}

    def get(self, images, i: int) -> np.ndarray:
        im = images[i]
        hit = self._held.get(i)
        if hit is None or hit[0] is not im:  # the list was replaced or the image changed
            hit = (im, _capped(im))
            self._held[i] = hit
        return hit[1]


def check_labels(labels, n_images: int | None = None):
    """The gallery's labels as integers: ``(n,)`` class indices, or ``(n, units)`` 0/1 for a
    multi-label output; None stays None. More labels than ``n_images`` is an error."""
    if labels is None:
        return None
    lab = np.asarray(labels).astype(np.int64)
    lab = lab if lab.ndim == 2 else lab.ravel()
    if n_images is not None and len(lab) > n_images:
        raise ValueError(f"Got {len(lab)} labels for {n_images} images; "
                         "pass one label per image.")
    return lab


def label_name(label, name_of) -> str:
    """A true label as words: a class name, or the present units of a multi-hot label
    (``name_of``: class index → name)."""
    if np.ndim(label):
        present = [name_of(int(k)) for k in np.flatnonzero(label)]
        return "+".join(present) if present else "—"
    return name_of(int(label))


def image_names(n: int, given, labels, name_of, lang: str) -> list[str]:
    """The menu's names of ``n`` images: the ``given`` ones, then "image i (label)" for a
    labelled image, else "image i"."""
    names = list(given or [])[:n]
    for i in range(len(names), n):
        if labels is not None and i < len(labels):
            names.append(tr("gc.image_label", lang, i=i, label=label_name(labels[i], name_of)))
        else:
            names.append(tr("ui.image_n", lang, i=i))
    return names


class ImageNames:
    """The viewer's images as it explains, names and labels them: each image capped as
    :class:`CappedImages` keeps it, the menu's names (:func:`image_names`; uploads join the
    given ones) and the true labels' words for the gallery.

    Parameters
    ----------
    labels : array-like or None
        See :func:`check_labels`.
    given : list of str or None
        Names given to the images (``image_labels=``).
    name_of : callable
        ``name_of(class_index)`` -> the class's name.
    lang : str

    Examples
    --------
    >>> names = ImageNames([1, 0], None, lambda k: f"class {k}", "en")
    >>> names.names(3), names.label_name(0)
    (['image 0: class 1', 'image 1: class 0', 'image 2'], 'class 1')
    """

    def __init__(self, labels, given, name_of, lang: str):
        self.labels = check_labels(labels)
        self.given = list(given) if given is not None else None
        self._name_of, self.lang = name_of, lang
        self._capped = CappedImages()

    def image(self, images, i: int) -> np.ndarray:
        """Image ``i`` of ``images`` as the viewer explains and shows it."""
        return self._capped.get(images, i)

    def names(self, n: int) -> list[str]:
        """The menu's names of the first ``n`` images."""
        return image_names(n, self.given, self.labels, self._name_of, self.lang)

    def label_name(self, i: int) -> str:
        """Image ``i``'s true label in words."""
        return label_name(self.labels[i], self._name_of)

    def add_uploads(self, n: int, uploaded: list[str]) -> None:
        """Files ``uploaded`` (their names) join the ``n`` images: they are named after them."""
        self.given = self.names(n) + [tr("ui.upload_n", self.lang, name=name) for name in uploaded]


class ImageChooser(w.VBox):
    """Pick one of a list of images: a menu, a strip of thumbnails (click one) and Upload.

    Parameters
    ----------
    lang : str
        Language of the labels.
    on_pick : callable
        ``on_pick(index)``: the user chose image ``index`` (the view decides whether it is shown).
    on_upload : callable
        ``on_upload([(file name, image), ...])``: the user uploaded pictures (decoded).
    on_error : callable
        ``on_error(exc)``: an upload could not be read.

    Attributes
    ----------
    index : int
        The image shown as chosen (set by :meth:`show`).
    names : list of str
        The menu's entries.
    thumbnails : RasterView
        The strip of thumbnails.

    Examples
    --------
    >>> chooser = ImageChooser("en", print, print, print)
    >>> chooser.set_images([np.zeros((8, 8, 3), np.float32)], ["image 0"])
    >>> chooser.names
    ['image 0']
    """

    index = traitlets.Int(0)
    names = traitlets.List(traitlets.Unicode())

    def __init__(self, lang: str, on_pick, on_upload, on_error):
        self._following = False  # the menu follows show(): its observer must not call on_pick
        self.menu = w.Dropdown(description=tr("ui.image", lang), style={"description_width": "initial"},
                               layout=w.Layout(width="260px"))
        self.menu.add_class("convviz-image")
        self.menu.observe(lambda c: None if self._following else on_pick(c["new"]), "value")
        self.upload = ImageUpload(accept="image/*", multiple=False, description=tr("ui.upload", lang),
                                  layout=fit_layout())
        self.upload.add_class("convviz-upload")
        self.upload.observe(lambda c: self._uploaded(c["new"], on_upload, on_error), "value")
        self.thumbnails = RasterView(gap=3, lang=lang, tile_label=tr("ui.image", lang),
                                     background="#ffffff")
        self.thumbnails.add_class("convviz-gradcam-thumbs")
        self.thumbnails.on_click(lambda tile, y, x: on_pick(tile))
        #: The menu and Upload (what a view hides with ``controls=False``; the strip stays).
        self.bar = w.HBox([self.menu, self.upload])
        super().__init__([self.bar, self.thumbnails])

    def set_images(self, images: list, names: list[str]) -> None:
        """New images (and their menu names): the menu and the thumbnails are rebuilt."""
        self.names = list(names)
        self._following = True
        try:
            self.menu.options = [(n, i) for i, n in enumerate(self.names)]
        finally:
            self._following = False
        if not images:
            self.thumbnails.set_tiles(np.zeros((1, 1, 3), np.uint8))
            return
        # Thumbnails 48 px high (aspect kept, width capped) padded into equal tiles so they line
        # up in one strip; resizing is display work, done by the helper that feeds the model.
        th = 48
        small = []
        for im in images:
            h, w_ = im.shape[:2]
            tw = int(np.clip(round(th * w_ / h), 16, 2 * th))
            # A NaN pixel must not stop the strip from drawing; the CAM flags such images.
            im = np.nan_to_num(im) if im.dtype.kind == "f" else im
            small.append(_rgb_u8(prepare_images(im, (None, th, tw, None)).images[0]))
        width = max(t.shape[1] for t in small)
        tiles = np.full((len(small), th, width, 3), 255, np.uint8)
        for k, t in enumerate(small):
            tiles[k, :, :t.shape[1]] = t
        self.thumbnails.set_tiles(tiles, columns=min(len(small), 16), zoom=1,
                                  selected=self.index)

    def show(self, index: int | None) -> None:
        """Show image ``index`` as the chosen one (``None``: there is no image)."""
        self._following = True
        try:
            if len(self.menu.options) != len(self.names):
                self.menu.options = [(n, i) for i, n in enumerate(self.names)]
            if index is not None:
                self.index = int(index)
                self.menu.value = self.index
        finally:
            self._following = False
        self.thumbnails.selected = -1 if index is None else int(index)

    def _uploaded(self, value, on_upload, on_error) -> None:
        if not value:
            return
        try:
            on_upload(decode_uploads(value))
        except Exception as exc:  # noqa: BLE001 - shown by the view; the old view stays
            on_error(exc)
        finally:
            self.upload.clear()
