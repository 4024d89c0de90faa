"""Reading a picture from a file, a URL or bytes into a display image (float32 in [0, 1]).

This is the way in for the user's own pictures where a notebook's upload button cannot help:
Colab does not deliver uploads of 1 MB or more through ``FileUpload``
(jupyter-widgets/ipywidgets#3452), but a file dropped into Colab's file pane is a path
(``/content/photo.jpg``) that this function reads. Only Pillow and numpy are used here.
"""

from __future__ import annotations

import io
import os
import urllib.error
import urllib.request
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

#: A URL download stops here: a picture is never this big, a wrong link (a video, an archive)
#: should fail quickly instead of filling the kernel's memory.
MAX_DOWNLOAD_BYTES = 64 * 1024 * 1024
_URL_TIMEOUT = 30.0


def _read_url(url: str) -> bytes:
    req = urllib.request.Request(url, headers={"User-Agent": "convviz_widgets"})
    try:
        with urllib.request.urlopen(req, timeout=_URL_TIMEOUT) as r:  # noqa: S310 - user's URL
            data = r.read(MAX_DOWNLOAD_BYTES + 1)
    except (urllib.error.URLError, OSError, ValueError) as exc:
        raise OSError(
            f"Could not download {url!r} ({exc}). If this machine has no network access, "
            "download the picture yourself and pass its path (in Colab: drag it into the file "
            "pane and use load_image('/content/<name>')) or its bytes.") from None
    if len(data) > MAX_DOWNLOAD_BYTES:
        raise ValueError(f"{url!r} is larger than {MAX_DOWNLOAD_BYTES // 2**20} MB; that is not "
                         "a picture this function reads. Check the link.")
    return data


def _source_bytes(source) -> tuple[bytes, str]:
    """The encoded bytes of ``source`` and a name for messages."""
    if isinstance(source, (bytes, bytearray, memoryview)):
        return bytes(source), "the given bytes"
    if hasattr(source, "read"):
        data = source.read()
        if not isinstance(data, (bytes, bytearray)):
            raise TypeError("load_image() needs a file opened in binary mode ('rb').")
        return bytes(data), repr(getattr(source, "name", "the file object"))
    if isinstance(source, str) and source.split("://", 1)[0].lower() in ("http", "https"):
        return _read_url(source), repr(source)
    if isinstance(source, (str, os.PathLike)):
        path = Path(source).expanduser()
        if not path.is_file():
            where = "is a folder, not a file" if path.is_dir() else "does not exist"
            raise FileNotFoundError(
                f"Image file {str(path)!r} {where} (working directory: {os.getcwd()!r}). Check "
                "the spelling; in Colab, files dragged into the file pane are in /content, e.g. "
                "load_image('/content/photo.jpg').")
        return path.read_bytes(), repr(str(path))
    raise TypeError(f"load_image() takes a path, a URL, bytes or a binary file object; got "
                    f"{type(source).__name__}.")


def _target_size(h: int, w: int, size) -> tuple[int, int] | None:
    """``(height, width)`` to resize to, or None to keep ``(h, w)``."""
    if size is None:
        return None
    if isinstance(size, (int, np.integer)) and not isinstance(size, bool):
        if size < 1:
            raise ValueError(f"size must be a positive number of pixels, got {size}.")
        scale = size / max(h, w)
        return max(1, round(h * scale)), max(1, round(w * scale))
    try:
        th, tw = (int(s) for s in size)
    except (TypeError, ValueError):
        raise ValueError(f"size must be None, an int (longest side) or (height, width); got "
                         f"{size!r}.") from None
    if th < 1 or tw < 1:
        raise ValueError(f"size must be positive, got {size!r}.")
    return th, tw


def _to_float(im) -> np.ndarray:
    """A PIL image as float32 ``(h, w, 1)`` gray or ``(h, w, 3)`` RGB in [0, 1]."""
    mode = im.mode
    if mode in ("I;16", "I;16B", "I;16L", "I;16N", "I"):
        # 16-bit grayscale (PNG/TIFF); older Pillow opens it as 32-bit "I" holding 0..65535.
        # (8-bit grayscale always opens as "L", so "I" here means 16-bit data.)
        arr = np.asarray(im).astype(np.float32)
        return np.clip(arr / 65535.0, 0.0, 1.0)[..., None]
    if mode == "F":
        arr = np.asarray(im, np.float32)
        hi = float(np.nanmax(arr)) if arr.size else 1.0
        arr = arr / hi if hi > 1.0 else arr
        return np.clip(np.nan_to_num(arr), 0.0, 1.0)[..., None]
    if mode == "P":
        im = im.convert("RGBA" if "transparency" in im.info else "RGB")
        mode = im.mode
    if mode in ("1", "L"):
        return (np.asarray(im.convert("L"), np.float32) / 255.0)[..., None]
    if mode in ("LA", "La", "RGBA", "RGBa", "PA"):
        # Transparent parts become white, as the picture looks on a white page.
        rgba = im.convert("LA" if mode in ("LA", "La") else "RGBA")
        white = Image.new(rgba.mode, rgba.size, (255,) * len(rgba.mode))
        flat = Image.alpha_composite(white.convert("RGBA"), rgba.convert("RGBA"))
        if mode in ("LA", "La"):
            return (np.asarray(flat.convert("L"), np.float32) / 255.0)[..., None]
        return np.asarray(flat.convert("RGB"), np.float32) / 255.0
    return np.asarray(im.convert("RGB"), np.float32) / 255.0


def _resize(x: np.ndarray, th: int, tw: int) -> np.ndarray:
    """Resize float ``(h, w, c)`` channel by channel (antialiased, in float: 16-bit survives)."""
    if x.shape[:2] == (th, tw):
        return x
    shrink = th < x.shape[0] or tw < x.shape[1]
    method = Image.Resampling.LANCZOS if shrink else Image.Resampling.BICUBIC
    chans = [np.asarray(Image.fromarray(np.ascontiguousarray(x[..., k]), "F")
                        .resize((tw, th), method), np.float32) for k in range(x.shape[-1])]
    return np.clip(np.stack(chans, axis=-1), 0.0, 1.0)


def load_image(source, size=None) -> np.ndarray:
    """Read a picture into a display image: float32 in [0, 1], RGB or grayscale.

    The image every view takes (``ActivationViewer``, ``GradCAMViewer``, ``Explorer``,
    :func:`convviz_widgets.activations`, :func:`convviz_widgets.gradcam`...). It is the way to
    use your own photo in Colab, where the Upload button cannot deliver files of 1 MB or more:
    drag the file into Colab's file pane (it lands in ``/content``), then
    ``img = cv.load_image("/content/photo.jpg")``.

    Parameters
    ----------
    source : str, path-like, bytes or binary file object
        A file path (``~`` is expanded), an ``http(s)://`` URL (needs network access; a
        download of more than 64 MB is refused), encoded bytes (PNG, JPEG, GIF, BMP, TIFF,
        WebP: whatever Pillow reads), or a file opened with ``"rb"``.
    size : int or (int, int), optional
        ``None`` keeps the picture's size; an int scales it so that its longest side has that
        many pixels (aspect ratio kept); ``(height, width)`` resizes to exactly that. The views
        resize to the model's input anyway, so ``size`` only saves memory (a 12-megapixel
        phone photo is 144 MB as float32 RGB; ``size=512`` makes it 2.3 MB).

    Returns
    -------
    ndarray
        float32, C-contiguous, values in [0, 1]: ``(h, w, 3)`` for colour pictures, ``(h, w, 1)``
        for grayscale ones (8- or 16-bit). The camera's EXIF orientation is applied; transparent
        pixels (RGBA, LA, palette transparency) are composited onto white.

    Raises
    ------
    FileNotFoundError
        The path does not exist or is a folder; the message shows the working directory.
    OSError
        A URL could not be downloaded.
    ValueError
        The bytes are not a picture Pillow can read, or ``size`` is invalid.
    TypeError
        ``source`` is not a path, URL, bytes or binary file.

    Examples
    --------
    >>> import io
    >>> from PIL import Image
    >>> buf = io.BytesIO(); Image.new("RGB", (40, 30), (255, 0, 0)).save(buf, "PNG")
    >>> img = load_image(buf.getvalue())
    >>> img.shape, img.dtype, float(img[0, 0, 0])
    ((30, 40, 3), dtype('float32'), 1.0)
    >>> load_image(buf.getvalue(), size=20).shape
    (15, 20, 3)
    """
    data, name = _source_bytes(source)
    try:
        with Image.open(io.BytesIO(data)) as im:
            th_tw = _target_size(im.height, im.width, size)
            if th_tw is not None and im.format == "JPEG":
                # Let the JPEG decoder skip detail we would throw away (much faster on photos).
                # Square request: the EXIF rotation below may still swap the axes.
                im.draft(im.mode, (max(th_tw),) * 2)
            im = ImageOps.exif_transpose(im)
            x = _to_float(im)
    except UnidentifiedImageError:
        head = data[:16]
        raise ValueError(f"{name} is not a picture Pillow can read (first bytes {head!r}); pass a "
                         "PNG, JPEG, GIF, BMP, TIFF or WebP file.") from None
    except (OSError, SyntaxError) as exc:
        raise ValueError(f"{name} could not be decoded as a picture ({exc}); the file may be "
                         "truncated or damaged.") from None
    if th_tw is not None:
        # exif_transpose may have swapped the axes: an int size means the longest side.
        th_tw = _target_size(x.shape[0], x.shape[1], size)
        x = _resize(x, *th_tw)
    return np.ascontiguousarray(x, dtype=np.float32)
