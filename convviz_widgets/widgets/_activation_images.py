"""The image menu of the viewers that show one image at a time (ActivationViewer,
ConvStepViewer): its options, pictures added from Python, and the upload button's handler."""

from __future__ import annotations

from ._i18n import tr
from ._images import as_image_list, images_or_demo, model_input_shape, numbered_names
from ._upload import decode_uploads, image_chooser


class ImageMenu:
    """The image menu (``_image_dd`` over ``_labels``), ``add_images`` and the upload handler."""

    def _make_image_menu(self, images, image_labels) -> list:
        """Build the menu and the Upload button; return the images to show (the demo scenes
        when ``images`` is None)."""
        images, self._labels = images_or_demo(images, image_labels, self.lang)
        self._image_dd, self._upload = image_chooser()
        self._upload.observe(self._on_upload, "value")
        return images

    def _sync_image_menu(self) -> None:
        """Put the menu on ``_labels`` and ``image_index`` (call inside ``_quiet()``)."""
        # Re-setting equal options would still send state and reset the selection: compare.
        options = tuple((lab, i) for i, lab in enumerate(self._labels)) or \
            ((tr("(no image)", self.lang), 0),)
        if tuple(self._image_dd.options) != options:
            self._image_dd.options = options
        self._image_dd.value = self.image_index

    @property
    def image_names(self) -> list[str]:
        """The image menu's entries, one per image (a copy)."""
        return list(self._labels)

    def add_images(self, images, names=None) -> None:
        """Append ``images`` (named ``names`` in the menu) and show the last one.

        If one cannot be shown, nothing changes and the error is raised (and shown).

        Examples
        --------
        >>> av.add_images([photo], ["my photo"])      # doctest: +SKIP
        """
        try:
            # The package's one rule: a path is read, (n, h, w) is n images for a grayscale
            # model; list(images) would split a path into characters.
            images = as_image_list(images, model_input_shape(self))
        except Exception as exc:
            self._show_error(exc)
            raise
        if names is None:
            names = numbered_names(self.lang, len(self.images), len(images))
        try:
            self._labels = self._labels + [str(n) for n in names]
            with self._suppressed():
                old_images = self.images
                self.images = list(self.images) + images
            old_index = self.image_index
            with self._suppressed():
                self.image_index = len(self.images) - 1
            self._render("upload", {"images": old_images, "image_index": old_index})
        except Exception as exc:
            self._labels = self._labels[:len(self.images)]
            self._show_error(exc)
            raise

    def _on_upload(self, change):
        if not change["new"]:
            return
        try:
            decoded = decode_uploads(change["new"])
            self.add_images([im for _, im in decoded],
                            [tr("upload_n", self.lang, name=name) for name, _ in decoded])
        except Exception as exc:  # noqa: BLE001 - shown in the widget; the old view stays
            self._show_error(exc)
        finally:
            self._reset_upload()

    def _reset_upload(self) -> None:
        """Empty the upload widget so the same file can be chosen again."""
        self._upload.clear()
