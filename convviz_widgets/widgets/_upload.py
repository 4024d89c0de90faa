"""An image Upload button that understands both ipywidgets wire formats.

Colab runs ipywidgets 7.7.1 in the kernel but draws widgets with the ipywidgets 8 (alpha)
JavaScript. The 8 front end sends an upload as ``value`` (a list of ``{name, type, size,
last_modified, content}``); the 7 kernel knows only ``data`` / ``metadata`` / ``_counter`` and
silently drops ``value``, so the Upload button did nothing there. The reverse (an ipywidgets 7
front end on an ipywidgets 8 kernel) drops ``data`` the same way. :class:`ImageUpload` takes
whichever format arrives and stores it as the kernel's own ``value``, so
:func:`~convviz_widgets.widgets._images.uploaded_files` reads it either way.
"""

from __future__ import annotations

import datetime

import ipywidgets as w
import numpy as np

from ..i18n import tr
from ._images import decode_image, uploaded_files
from ._fit import fit_layout


def decode_uploads(value) -> list[tuple[str, np.ndarray]]:
    """The pictures in a ``FileUpload.value`` (ipywidgets 7 or 8) as ``(name, image)`` pairs.

    The one upload decoder of every view: images are ``(h, w, 3)`` uint8 RGB, EXIF-rotated and
    shrunk to ``UPLOAD_MAX_SIDE`` (:func:`~convviz_widgets.widgets._images.decode_image`).

    Raises
    ------
    ValueError
        A file is not a picture PIL can read (the message names it and says what to upload).

    Examples
    --------
    >>> import io
    >>> from PIL import Image
    >>> buf = io.BytesIO(); Image.new("RGB", (5, 3), "red").save(buf, "PNG")
    >>> [(name, im.shape) for name, im in decode_uploads(
    ...     ({"name": "red.png", "content": memoryview(buf.getvalue())},))]
    [('red.png', (3, 5, 3))]
    >>> decode_uploads(())
    []
    """
    return [(name, decode_image(content, name)) for name, content in uploaded_files(value)]


def _as_bytes(content) -> bytes:
    return content.tobytes() if isinstance(content, memoryview) else bytes(content)


def value_from_v8(files) -> dict:
    """ipywidgets 8 ``value`` (list of dicts) → ipywidgets 7 ``value`` (dict by file name).

    Examples
    --------
    >>> v = value_from_v8([{"name": "a.png", "type": "image/png", "size": 1, "content": b"x"}])
    >>> v["a.png"]["content"], v["a.png"]["metadata"]["size"]
    (b'x', 1)
    """
    out = {}
    for item in files or ():
        if not isinstance(item, dict) or item.get("content") is None:
            continue
        content = _as_bytes(item["content"])
        name = str(item.get("name", "upload"))
        meta = {"name": name, "type": item.get("type", ""),
                "size": int(item.get("size", len(content))),
                "lastModified": item.get("last_modified", 0)}
        out[name] = {"metadata": meta, "content": content}
    return out


def value_from_v7(metadata, data) -> tuple:
    """ipywidgets 7 ``metadata`` + ``data`` lists → ipywidgets 8 ``value`` (tuple of dicts).

    Examples
    --------
    >>> v = value_from_v7([{"name": "a.png", "type": "image/png", "size": 1}], [b"x"])
    >>> [(f["name"], f["size"], bytes(f["content"])) for f in v]
    [('a.png', 1, b'x')]
    """
    out = []
    for meta, content in zip(metadata or (), data or ()):
        if content is None:
            continue
        meta = meta if isinstance(meta, dict) else {}
        raw = _as_bytes(content)
        # ipywidgets 8 keeps the time as an aware datetime (and serialises it back so).
        ms = meta.get("lastModified", meta.get("last_modified", 0)) or 0
        when = datetime.datetime.fromtimestamp(float(ms) / 1000, tz=datetime.timezone.utc)
        out.append({"name": str(meta.get("name", "upload")), "type": meta.get("type", ""),
                    "size": int(meta.get("size", len(raw))), "last_modified": when,
                    "content": memoryview(raw)})
    return tuple(out)


class ImageUpload(w.FileUpload):
    """``FileUpload`` for one picture that accepts the upload format of either front end.

    Examples
    --------
    >>> up = ImageUpload(accept="image/*", description="Upload")
    >>> up.set_state({"value": [{"name": "a.png", "type": "image/png", "size": 1,
    ...                          "last_modified": 0, "content": memoryview(b"x")}]})
    >>> from convviz_widgets.widgets._images import uploaded_files
    >>> uploaded_files(up.value)
    [('a.png', b'x')]
    """

    def set_state(self, sync_data):
        native_v8 = "value" in self.keys  # ipywidgets 8 kernel: `value` is a synced trait
        foreign = None
        if not native_v8 and isinstance(sync_data.get("value"), (list, tuple)):
            foreign = value_from_v8(sync_data["value"])  # an 8 front end on a 7 kernel
        elif native_v8 and isinstance(sync_data.get("data"), (list, tuple)):
            foreign = value_from_v7(sync_data.get("metadata"), sync_data["data"])
        super().set_state(sync_data)
        if foreign:
            # `value` is read-only on ipywidgets 7 (computed from data/metadata): set_trait
            # is its documented way in, and observers of `value` fire as for a native upload.
            self.set_trait("value", foreign)

    def on_pictures(self, callback, on_error) -> None:
        """Read every upload: ``callback([(name, image), ...])`` with the pictures decoded
        (``(h, w, 3)`` uint8, see :func:`._images.decode_image`), or ``on_error(exc)`` when one
        cannot be read or ``callback`` refuses it; then the button is emptied (:meth:`clear`).

        Examples
        --------
        >>> up, got = ImageUpload(), []
        >>> up.on_pictures(got.extend, got.append)
        >>> up.set_state({"value": [{"name": "a.txt", "type": "", "size": 1,
        ...                          "last_modified": 0, "content": memoryview(b"x")}]})
        >>> isinstance(got[0], ValueError), got[0].message_key
        (True, 'unreadable')
        """
        def read(change):
            files = uploaded_files(change["new"])
            if not files:
                return
            try:
                callback([(name, decode_image(content, name)) for name, content in files])
            except Exception as exc:  # noqa: BLE001 - the view shows it; the old view stays
                on_error(exc)
            finally:
                self.clear()

        self.observe(read, "value")

    def clear(self) -> None:
        """Empty the button so the same file can be chosen again (every view does this after
        reading an upload)."""
        try:
            with self.hold_trait_notifications():
                self.value = () if isinstance(self.value, tuple) else {}
        except Exception:  # noqa: BLE001 - ipywidgets 7 may refuse; re-uploading still works
            pass


def image_chooser(lang: str = "en", menu_width: str = "300px") -> tuple[w.Dropdown, ImageUpload]:
    """The image menu and the one-picture Upload button of a view that shows images.

    The caller fills the menu and connects the button (its handler, or
    :meth:`ImageUpload.on_pictures`).

    Examples
    --------
    >>> menu, upload = image_chooser()
    >>> menu.description, upload.multiple
    ('image', False)
    """
    menu = w.Dropdown(description=tr("ui.image", lang), layout=w.Layout(width=menu_width))
    upload = ImageUpload(accept="image/*", multiple=False, description=tr("ui.upload", lang),
                         layout=fit_layout())
    # The roles tests and the browser find them by, whichever view they are in.
    menu.add_class("convviz-image")
    upload.add_class("convviz-upload")
    return menu, upload
