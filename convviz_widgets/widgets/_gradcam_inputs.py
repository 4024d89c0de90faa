"""What :class:`GradCAMViewer` explains: its images (capped like uploads, the menu, the
thumbnail strip, Upload) and its classes (output choice, class names, the class menu).
A mixin: it uses the viewer's model, traits and controls."""

from __future__ import annotations

import numpy as np

from ._i18n import tr
from ._images import UPLOAD_MAX_SIDE
from ._upload import decode_uploads
from ._overlay import _rgb_u8


def _capped(image: np.ndarray) -> np.ndarray:
    """The image with its longest side at most ``UPLOAD_MAX_SIDE`` (the rule uploads follow).

    The viewer explains and shows images at this size: a 3000×4000 photo then sends ~3 MB per
    update instead of 48 MB, and a class switch does not resize 12 megapixels each time. The
    model sees the same picture either way (it is resized to the model's input).
    """
    from ..compute import prepare_images

    h, w_ = image.shape[:2]
    if max(h, w_) <= UPLOAD_MAX_SIDE:
        return image
    scale = UPLOAD_MAX_SIDE / max(h, w_)
    th, tw = max(1, round(h * scale)), max(1, round(w_ * scale))
    if image.dtype.kind == "f" and not np.isfinite(image).all():
        return image  # let gradcam flag the NaN image rather than fail here
    return prepare_images(image, (None, th, tw, None)).images[0]


class InputsMixin:
    """Images and classes of :class:`GradCAMViewer`."""

    @staticmethod
    def _output_of(model, output, allow_all: bool):
        from ..compute import output_index

        return output_index(model, output, allow_all=allow_all)

    @classmethod
    def _n_classes(cls, model, output=None, allow_all: bool = True) -> int | None:
        from ..compute import output_info

        oi = cls._output_of(model, output, allow_all)
        return None if oi is None else output_info(model)[oi].num_classes

    def _class_options(self) -> list:
        if getattr(self, "region_mode", False):
            return self._region_options()
        custom = []
        if self._custom_target is not None:
            custom = [(tr("gc_custom", self.lang, name=self._class_name(self._custom_target)),
                       -2)]
        return [(tr("top-1 prediction", self.lang), -1)] + custom + \
            [(n, i) for i, n in enumerate(self.class_names)]

    def _region_options(self) -> list:
        """The region menu of an image-shaped output: the predicted foreground (the default,
        ``target=None``), the background, the whole output, and the drawn box if any."""
        from ._targets import region_text

        options = [(tr("tg:foreground", self.lang), "r:foreground"),
                   (tr("tg:background", self.lang), "r:background"),
                   (tr("tg:all", self.lang), "r:all")]
        if self._box_region is not None:
            options.append((region_text(self._box_region, self.lang), "r:box"))
        target = getattr(self, "target", None)
        if target is not None and getattr(target, "kind", None) == "mask":
            options.append((tr("tg:mask", self.lang), "r:mask"))
        return options

    def _target_of_menu(self, value):
        """The target a class/region menu entry stands for."""
        if value == -1:
            return None
        if value == -2:
            return self._custom_target
        if isinstance(value, str) and value.startswith("r:"):
            from ..compute import Region

            kind = value[2:]
            if kind == "foreground":
                return None  # the default target of an image-shaped output
            if kind == "box":
                return self._box_region
            if kind == "mask":
                return self.target
            return Region(kind=kind)
        return value

    def _menu_value(self, target):
        """The menu entry showing ``target``."""
        if getattr(self, "region_mode", False):
            kind = getattr(target, "kind", "foreground") if target is not None else "foreground"
            return f"r:{kind}" if callable(target) or target is None else "r:foreground"
        return -1 if target is None else (-2 if callable(target) else target)

    def set_region_box(self, y0: int, x0: int, y1: int, x1: int) -> None:
        """Explain a box of the output (what drawing a box on the image does).

        Parameters
        ----------
        y0, x0, y1, x1 : int
            Corners in *image* pixels (the shown image), end exclusive; converted to the
            output's pixels.

        Examples
        --------
        >>> v = cv.GradCAMViewer(unet, images)        # doctest: +SKIP
        >>> v.set_region_box(10, 10, 40, 60)          # doctest: +SKIP
        """
        from ..compute import Region, output_info

        if not getattr(self, "region_mode", False):
            raise ValueError("Only a model whose output is an image (U-Net, segmentation) "
                             "takes a box; this one outputs classes: pick a class instead.")
        image = self._image(self.image_index)
        h, w_ = image.shape[:2]
        oh, ow = (d or s for d, s in zip(output_info(self.model)[self._oi].shape[1:3], (h, w_)))
        ys = sorted((int(y0), int(y1)))
        xs = sorted((int(x0), int(x1)))
        box = (ys[0] * oh // h, xs[0] * ow // w_, max(ys[0] * oh // h + 1, -(-ys[1] * oh // h)),
               max(xs[0] * ow // w_ + 1, -(-xs[1] * ow // w_)))
        self.target = Region(box=box)

    def _class_name(self, index) -> str:
        from ._targets import target_label

        return target_label(index, self.class_names, self.lang)

    def target_name(self, target) -> str:
        """What the views call ``target`` (a class index, a Region, a callable), in the view's
        language: ``"not star"``, ``"region: foreground (812 px)"``…"""
        return self._class_name(target)

    def _image(self, i: int) -> np.ndarray:
        """Image ``i`` as the viewer explains and shows it (see :func:`_capped`), cached."""
        im = self.images[i]
        hit = self._capped_cache.get(i)
        if hit is None or hit[0] is not im:  # the list was replaced or the image changed
            hit = (im, _capped(im))
            self._capped_cache[i] = hit
        return hit[1]

    def _label_name(self, i: int) -> str:
        """The true label of image ``i``: a class name, or the present units of a multi-hot."""
        lab = self.labels[i]
        if np.ndim(lab):
            present = [self._class_name(int(k)) for k in np.flatnonzero(lab)]
            return "+".join(present) if present else "—"
        return self._class_name(int(lab))

    def _image_names(self) -> list[str]:
        n = len(self.images)
        names = list(self._image_labels or [])[:n]
        for i in range(len(names), n):
            if self.labels is not None and i < len(self.labels):
                names.append(tr("gc_image_label", self.lang, i=i, label=self._label_name(i)))
            else:
                names.append(tr("image_n", self.lang, i=i))
        return names

    def _refresh_image_menu(self) -> None:
        from ..compute import prepare_images

        with self._quiet():
            self._image_dd.options = [(n, i) for i, n in enumerate(self._image_names())]
        if not self.images:
            self.thumbnails.set_tiles(np.zeros((1, 1, 3), np.uint8))
            return
        # Thumbnails 48 px high (aspect kept, width capped) padded into equal tiles so they line
        # up in one strip; resizing is display work, done by the helper that feeds the model.
        th = 48
        small = []
        for im in self.images:
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
                                  selected=self.image_index)

    def _on_upload(self, change):
        if not change["new"]:
            return
        try:
            decoded = decode_uploads(change["new"])
            names = self._image_names() + [tr("upload_n", self.lang, name=name)
                                           for name, _ in decoded]
            with self._suppressed():
                self.images = list(self.images) + [im for _, im in decoded]
            self._image_labels = names
            self._refresh_image_menu()
            self._set_from_ui("image_index", len(self.images) - 1)
        except Exception as exc:  # noqa: BLE001 - shown in the widget; the old view stays
            self._show_error(exc)
        finally:
            self._upload.clear()
