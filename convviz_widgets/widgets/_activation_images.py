"""The image chooser component of the viewers that show one image at a time (ActivationViewer,
ConvStepViewer): a menu of named images and an Upload button, with traits of its own; and the
input panel that shows the picture as the model was fed it (:func:`show_fed`)."""

from __future__ import annotations

from typing import Callable

import ipywidgets as w
import traitlets

from ..i18n import tr
from ._images import as_image_list, model_input_shape, numbered_names
from ._pixels import lut_bytes
from ._upload import image_chooser


class ImageMenu(w.HBox):
    """A menu of named images and an Upload button: a component a view composes.

    The view links its ``image_index`` to :attr:`index` (both ways) and keeps :attr:`names` one
    per image; pictures the user uploads reach the view through :meth:`on_pictures`. The menu
    does no model work and knows nothing of the view.

    Parameters
    ----------
    names : list of str
        One menu entry per image.
    lang : str
        Language of the empty-menu entry.

    Attributes
    ----------
    names : list of str
        The menu's entries.
    index : int
        The chosen entry; follows the menu, and the menu follows it.
    dropdown, upload
        The two controls (the menu has the role class ``convviz-image``).

    Examples
    --------
    >>> menu = ImageMenu(names=["cat", "dog"])
    >>> menu.index = 1
    >>> menu.dropdown.value, menu.dropdown.options
    (1, (('cat', 0), ('dog', 1)))
    """

    names = traitlets.List(traitlets.Unicode())
    index = traitlets.Int(0)

    def __init__(self, names=(), lang: str = "en", **kwargs):
        self.lang = lang
        self.dropdown, self.upload = image_chooser(lang)
        super().__init__([self.dropdown, self.upload], **kwargs)
        self._show()
        self.names = [str(n) for n in names]
        self.dropdown.observe(self._on_menu, "value")

    def on_pictures(self, callback: Callable[[list, list], None],
                    on_error: Callable[[Exception], None]) -> None:
        """Call ``callback(images, names)`` with the pictures the user uploads (decoded), or
        ``on_error(exc)`` when one cannot be read or ``callback`` refuses it."""
        self.upload.on_pictures(
            lambda got: callback([im for _, im in got],
                                 [tr("ui.upload_n", self.lang, name=name) for name, _ in got]),
            on_error)

    @traitlets.observe("names", "index")
    def _on_traits(self, _change) -> None:
        self._show()

    def _show(self) -> None:
        # Re-setting equal options would still send state and reset the selection: compare.
        options = tuple((lab, i) for i, lab in enumerate(self.names)) or \
            ((tr("ui.no_image_option", self.lang), 0),)
        if tuple(self.dropdown.options) != options:
            self.dropdown.options = options
        if self.dropdown.value != min(self.index, len(options) - 1):
            self.dropdown.value = min(self.index, len(options) - 1)

    def _on_menu(self, change) -> None:
        if change["new"] is not None and change["new"] != self.index:
            self.index = change["new"]


def append_images(view, images, names=None) -> None:
    """A view's ``add_images``: append ``images`` (named ``names`` in its :class:`ImageMenu`)
    and show the last one; if one cannot be shown, nothing changes and the error is raised (and
    shown). ``view`` has ``images``, ``image_index`` and an ``image_menu``."""
    try:
        # The package's one rule: a path is read, (n, h, w) is n images for a grayscale
        # model; list(images) would split a path into characters.
        images = as_image_list(images, model_input_shape(view))
    except Exception as exc:
        view._show_error(exc)
        raise
    if names is None:
        names = numbered_names(view.lang, len(view.images), len(images))
    menu = view.image_menu
    old_names = list(menu.names)
    try:
        with view._suppressed():
            old_images, old_index = view.images, view.image_index
            menu.names = old_names + [str(n) for n in names]
            view.images = list(view.images) + images
            view.image_index = len(view.images) - 1
        view._render("upload", {"images": old_images, "image_index": old_index})
    except Exception as exc:
        menu.names = old_names
        view._show_error(exc)
        raise


def show_fed(raster, u8, zoom: int, resized_from, lang: str) -> int:
    """Draw the picture as fed to the model (``(h, w, 1|3)`` uint8) on ``raster``, captioned
    with its size (and the size it was resized from); return the bytes sent."""
    hh, ww = u8.shape[:2]
    caption = tr("av.fed", lang, h=hh, w=ww)
    if resized_from is not None:
        caption += tr("av.resized", lang, h=resized_from[0], w=resized_from[1])
    if u8.shape[-1] == 1:
        raster.set_tiles(u8[..., 0], vmin=0.0, vmax=1.0, zoom=zoom, lut=lut_bytes("gray"),
                         caption=caption)
    else:
        raster.set_tiles(u8, vmin=0.0, vmax=1.0, zoom=zoom, caption=caption)
    return u8.nbytes
