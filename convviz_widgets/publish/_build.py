"""Build the static site (``FORMAT.md``): one dataset pass, batched patterns, PNGs, data as JS.

The build is a list of units — one per layer, one per class — each written completely (its
images, then its ``data/*.js``) before ``manifest.json`` lists it. A cancelled or crashed build
therefore leaves a folder whose manifest names exactly what is finished; the next call with
the same settings builds only the rest. Settings and model are hashed into the manifest, so a
folder made from another model or other settings is refused rather than mixed.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import re
import shutil
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import keras
import numpy as np
from PIL import Image

from .. import compute
from ..compute import Cancelled, Tracker
from ..display import apply_lut, deprocess_tiles, quantize

__all__ = ["PublishResult", "publish"]

FORMAT = 1
#: Input-channel slices drawn per filter on a channel page (VGG16's 512-channel kernels would
#: otherwise cost 512 small PNGs per channel); the page says how many were left out.
MAX_SLICES = 16
#: Kernel slices are drawn this many times larger (nearest neighbour): a 3×3 PNG is a dot.
KERNEL_ZOOM = 8
#: Best / worst images shown per class page.
CLASS_IMAGES = 4
STATIC_SITE = Path(__file__).resolve().parent.parent / "static" / "site"


@dataclass
class PublishResult:
    """What :func:`publish` wrote.

    Attributes
    ----------
    path : pathlib.Path
        The site folder; open ``path / "index.html"``.
    pages : int
        Pages the site has (index + layers + channels + classes).
    bytes : int
        Size of the folder.
    seconds : float
        Time of this call.
    layer_seconds : dict
        ``{layer path: seconds}`` of the layers built by this call (dataset pass shared out
        by channel count).
    built, resumed : list of str
        Units (layer paths, ``"class <j>"``) built now / found finished in the folder.
    cancelled : bool
        True when stopped: the folder is resumable with the same call.
    """

    path: Path
    pages: int = 0
    bytes: int = 0
    seconds: float = 0.0
    layer_seconds: dict = field(default_factory=dict)
    built: list = field(default_factory=list)
    resumed: list = field(default_factory=list)
    cancelled: bool = False

    def __repr__(self) -> str:
        # One line (as every result of the package): where, how big, how long, what was done.
        return (f"PublishResult(path={str(self.path)!r}, pages={self.pages}, "
                f"MB={self.bytes / 1e6:.3g}, seconds={self.seconds:.3g}, built={len(self.built)}, "
                f"resumed={len(self.resumed)}" + (", cancelled=True" if self.cancelled else "")
                + ")")

    def _repr_pretty_(self, p, cycle) -> None:
        p.text(repr(self))


# ----------------------------------------------------------------------------- helpers
def slug_of(path: str, taken: set) -> str:
    """A file- and URL-safe name for a layer path, unique among ``taken``.

    Examples
    --------
    >>> slug_of("vgg16/block1_conv1", set()), slug_of("a.b", {"a_b"})
    ('vgg16_block1_conv1', 'a_b-2')
    """
    base = re.sub(r"[^A-Za-z0-9_-]", "_", path) or "layer"
    slug, n = base, 1
    while slug in taken:
        n += 1
        slug = f"{base}-{n}"
    taken.add(slug)
    return slug


def _png(path: Path, pixels: np.ndarray) -> None:
    """Write ``pixels`` (float in [0, 1] or uint8; (h, w), (h, w, 1) or (h, w, 3)) as PNG."""
    a = np.asarray(pixels)
    if a.dtype != np.uint8:
        a = (np.clip(a, 0.0, 1.0) * 255 + 0.5).astype(np.uint8)
    if a.ndim == 3 and a.shape[-1] == 1:
        a = a[..., 0]
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(a).save(path, optimize=True)


def _write_js(path: Path, target: str, value) -> None:
    """``data/*.js``: data as a script, since browsers refuse fetch() of file:// JSON."""
    path.parent.mkdir(parents=True, exist_ok=True)
    text = ("window.CONVVIZ_SITE = window.CONVVIZ_SITE || {layers: {}, classes: {}};\n"
            f"{target} = {json.dumps(value, separators=(',', ':'), allow_nan=False)};\n")
    tmp = path.with_suffix(".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)


def _finite(v):
    """JSON has no NaN: a missing number is null."""
    v = float(v)
    return v if np.isfinite(v) else None


class _Data:
    """The data to mine as display images in [0, 1] (an array, or an object with ``images``,
    ``labels``, ``class_names`` such as :func:`convviz_widgets.demo_dataset`)."""

    def __init__(self, data, labels, class_names, name):
        images = getattr(data, "images", data)
        self.images = np.asarray(images)
        if self.images.ndim != 4:
            raise ValueError(
                f"publish takes images as an array (n, h, w, c) or a data set with .images "
                f"(such as cv.demo_dataset()); got shape {self.images.shape}. Load a folder "
                f"with cv.datasets or numpy first.")
        if self.images.dtype == np.uint8:
            self.images = self.images.astype(np.float32) / 255.0
        lab = labels if labels is not None else getattr(data, "labels", None)
        self.labels = None if lab is None else np.asarray(lab, np.int64)
        self.class_names = list(class_names or getattr(data, "class_names", None) or []) or None
        self.name = name or type(data).__name__

    def fingerprint(self) -> str:
        h = hashlib.sha256(np.ascontiguousarray(self.images, np.float32).tobytes())
        if self.labels is not None:
            h.update(self.labels.tobytes())
        return h.hexdigest()[:16]


def _model_fingerprint(model) -> str:
    h = hashlib.sha256(model.name.encode())
    for w in model.weights:
        h.update(w.path.encode() if hasattr(w, "path") else b"")
        h.update(np.asarray(keras.ops.convert_to_numpy(w)).tobytes())
    return h.hexdigest()[:16]


def _n_classes(model) -> int | None:
    """Classes of a one-output classifier ``(n, classes)`` (one sigmoid unit: 2); else None
    (no class pages: a segmentation map or several outputs have no classes to page)."""
    outputs = compute.output_info(model)
    if len(outputs) != 1 or len(outputs[0].shape) != 2:
        return None
    return getattr(outputs[0], "num_classes", None) or None


class _Stages:
    """Maps each stage's own ``on_step(done, total)`` into one overall progress (each stage
    weighs the same), and carries the cancel event to every compute call."""

    SCALE = 1000

    def __init__(self, tracker: Tracker, n_stages: int):
        self.tracker, self.n, self.i = tracker, max(n_stages, 1), 0

    @property
    def total(self) -> int:
        return self.n * self.SCALE

    def inner(self, done, total):
        frac = min(1.0, done / total) if total else 0.0
        return self.tracker.step(int((self.i + frac) * self.SCALE), self.total)

    def next(self):
        self.i += 1
        if not self.tracker.step(self.i * self.SCALE, self.total):
            raise Cancelled(f"cancelled after {self.i} of {self.n} parts")


# ----------------------------------------------------------------------------- the units
def _layer_page(model, info, slug, ex, res, variants, w, cam_rank, data, root, rf):
    """Write one layer's images and ``data/layer-<slug>.js``; return its index entry."""
    img_dir = root / "img" / slug
    pictures = deprocess_tiles(res.images) if len(res.filters) else res.images
    status = dict(zip(res.filters.tolist(), res.status.tolist()))
    row_of = {int(f): r for r, f in enumerate(res.filters)}
    rates, purity = ex.firing_rate, ex.purity
    channels = []
    for r, ch in enumerate(ex.channels.tolist()):
        dead = bool(ex.fired[r] == 0)
        entry = {"i": ch, "rate": float(rates[r]), "purity": _finite(purity[r]),
                 "top_class": None, "dead": dead, "status": "dead" if dead else "done",
                 "pattern": None, "variants": [], "patch": None, "kernel": None,
                 "examples": [], "class_mix": None, "cam_rank": None}
        if ch in row_of:
            entry["pattern"] = f"img/{slug}/pattern-{ch}.png"
            _png(root / entry["pattern"], pictures[row_of[ch]])
            entry["status"] = "dead" if dead else status[ch]
        if variants is not None:
            for v, pic in enumerate(deprocess_tiles(variants[ch])):
                name = f"img/{slug}/variant-{ch}-{v}.png"
                _png(root / name, pic)
                entry["variants"].append(name)
        for j in range(ex.k):
            idx = int(ex.index[r, j])
            if idx < 0:
                break
            patch = f"img/{slug}/patch-{ch}-{j}.png"
            _png(root / patch, ex.patches[r, j])
            hw = [int(v) for v in ex.image_size[r, j]]
            # One file per image for every layer: the same scene is a top example of many
            # channels and layers (for the demo this halves the site).
            image = f"img/data/image-{idx}-{hw[0]}x{hw[1]}.png"
            if not (root / image).is_file():
                _png(root / image, _resized(data.images[idx], hw))
            top, bottom, left, right = (int(v) for v in ex.box[r, j])
            box = [max(top, 0), max(left, 0), min(bottom + 1, hw[0]), min(right + 1, hw[1])]
            label = int(ex.labels[r, j])
            entry["examples"].append({"patch": patch, "image": image, "box": box,
                                      "score": float(ex.scores[r, j]),
                                      "label": label if label >= 0 else None})
        if entry["examples"]:
            entry["patch"] = entry["examples"][0]["patch"]
        if data.labels is not None and entry["examples"]:
            hist = ex.histogram(r)
            if hist.sum():
                entry["class_mix"] = {str(c): float(n / hist.sum())
                                      for c, n in enumerate(hist) if n}
                entry["top_class"] = int(np.argmax(hist))
        if w is not None:
            entry["kernel"] = _kernel_images(w[..., ch], root, slug, ch)
        if cam_rank is not None:
            entry["cam_rank"] = {str(j): int(ranks[ch]) for j, ranks in cam_rank.items()}
        channels.append(entry)
    page = {"slug": slug, "path": info.path, "class": info.class_name,
            "output_shape": list(info.output_shape), "rf": rf, "channels": channels}
    _write_js(root / "data" / f"layer-{slug}.js", f'CONVVIZ_SITE.layers["{slug}"]', page)
    return {"slug": slug, "path": info.path, "channels": len(channels),
            "dead": sum(c["dead"] for c in channels),
            "mean_rate": float(np.mean(rates)) if len(rates) else 0.0}


def _resized(image: np.ndarray, hw) -> np.ndarray:
    """The image at the size the model saw it (boxes are in those pixels)."""
    if tuple(image.shape[:2]) == tuple(hw):
        return image
    c = image.shape[-1]
    out = Image.fromarray((np.clip(image, 0, 1) * 255 + 0.5).astype(np.uint8).squeeze(-1)
                          if c == 1 else (np.clip(image, 0, 1) * 255 + 0.5).astype(np.uint8))
    return np.asarray(out.resize((hw[1], hw[0]), Image.BILINEAR))


def _kernel_images(w: np.ndarray, root: Path, slug: str, ch: int) -> dict:
    """One filter ``(kh, kw, cin)``: its slices on one symmetric scale shared by all of them
    (so slices compare), grey levels from ``vmin`` (black) through 0 (mid-grey) to ``vmax``
    (white) as the site's legend says; an RGB composite for 3 input channels."""
    lim = float(np.abs(w).max()) or 1.0
    codes = quantize(w, -lim, lim)
    slices = []
    for c in range(min(w.shape[-1], MAX_SLICES)):
        rgb = apply_lut(codes[..., c], "gray")
        name = f"img/{slug}/kernel-{ch}-{c}.png"
        _png(root / name, np.kron(rgb, np.ones((KERNEL_ZOOM, KERNEL_ZOOM, 1), np.uint8)))
        slices.append(name)
    rgb_name = None
    if w.shape[-1] == 3:
        lo, hi = float(w.min()), float(w.max())
        comp = (w - lo) / (hi - lo) if hi > lo else np.full_like(w, 0.5)
        rgb_name = f"img/{slug}/kernel-{ch}-rgb.png"
        _png(root / rgb_name, np.kron(comp, np.ones((KERNEL_ZOOM, KERNEL_ZOOM, 1))))
    return {"slices": slices, "rgb": rgb_name, "vmin": -lim, "vmax": lim,
            "scale": "shared across the filter's slices",
            "omitted": max(0, w.shape[-1] - MAX_SLICES)}


def _cam_ranks(model, path, data, class_ids, preprocess, cam_images, cancel, input_size):
    """``{class j: (C,) rank}``: channels of ``path`` ordered by their mean Grad-CAM weight for
    class ``j`` over up to ``cam_images`` images labelled ``j`` (rank 1 = the strongest)."""
    out = {}
    for j in class_ids:
        picks = np.flatnonzero(data.labels == j)[:cam_images]
        if not len(picks):
            continue
        ws = []
        for i in picks:
            if cancel is not None and cancel.is_set():
                raise Cancelled("cancelled during the Grad-CAM ranking")
            ws.append(compute.gradcam(model, data.images[i], target=int(j), layer=path,
                                      preprocess=preprocess, input_size=input_size).weights)
        mean = np.mean(ws, axis=0)
        # Competition ranking: equal weights (e.g. channels silent on these images, weight 0)
        # share a rank instead of being ordered by channel number.
        out[j] = 1 + (mean[None, :] > mean[:, None]).sum(axis=1)
    return out


def _class_page(model, j, name, data, probs, picture, preprocess, root, input_size):
    """Write class ``j``'s visualisation, best / worst images with Grad-CAM, ``data/class-j.js``."""
    vis_name = f"img/class-{j}/visualisation.png"
    _png(root / vis_name, picture)
    mine = np.flatnonzero(data.labels == j) if data.labels is not None else np.zeros(0, int)
    order = mine[np.argsort(-probs[mine, j], kind="stable")]
    page = {"index": int(j), "name": name, "visualisation": vis_name, "best": [], "worst": []}
    for kind, picks in (("best", order[:CLASS_IMAGES]), ("worst", order[::-1][:CLASS_IMAGES])):
        for i in picks.tolist():
            cam = compute.gradcam(model, data.images[i], target=int(j), preprocess=preprocess,
                                  input_size=input_size)
            image, cam_name = f"img/class-{j}/image-{i}.png", f"img/class-{j}/cam-{i}.png"
            _png(root / image, data.images[i])
            _png(root / cam_name, compute.overlay(cam.heatmap, data.images[i]))
            page[kind].append({"image": image, "cam": cam_name, "p": float(probs[i, j]),
                               "label": int(data.labels[i])})
    _write_js(root / "data" / f"class-{j}.js", f'CONVVIZ_SITE.classes["{j}"]', page)


def _probabilities(model, data, preprocess, n_classes, input_size) -> np.ndarray:
    """``(n, classes)``: the probability the model gives each image's own label, in the
    column of that label (NaN elsewhere) — what a class page ranks its images by."""
    true_p = compute.rank_predictions(model, data.images, data.labels, preprocess,
                                      input_size=input_size).true_probability
    out = np.full((len(data.images), n_classes), np.nan, np.float32)
    out[np.arange(len(data.images)), data.labels] = true_p
    return out


# ----------------------------------------------------------------------------- the folder
def _read_manifest(root: Path) -> dict | None:
    try:
        return json.loads((root / "manifest.json").read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None


def _write_manifest(root: Path, manifest: dict) -> None:
    tmp = root / "manifest.json.tmp"
    tmp.write_text(json.dumps(manifest, indent=1), encoding="utf-8")
    tmp.replace(root / "manifest.json")


def _prepare(root: Path, key: str, overwrite: bool) -> dict | None:
    """The folder's manifest if it is a build of these settings; refuse a different one."""
    manifest = _read_manifest(root)
    if manifest is not None and manifest.get("key") == key and not overwrite:
        return manifest
    if manifest is None and root.exists() and any(root.iterdir()):
        # Never delete or mix into files that are not a site this function made.
        raise FileExistsError(
            f"{root} is not empty and holds no convviz site (no manifest.json). Choose a new or "
            f"empty folder for the site.")
    if manifest is not None and not overwrite:
        raise FileExistsError(
            f"{root} holds a site built from another model, data set or settings "
            f"({_differences(manifest.get('settings', {}), None)}). Pass overwrite=True to "
            f"replace it, or choose another folder.")
    if manifest is not None:
        for child in root.iterdir():
            shutil.rmtree(child) if child.is_dir() else child.unlink()
    return None


def _differences(old: dict, new: dict | None) -> str:
    if new is None:
        return "made with k={k}, steps={steps}".format(**{"k": old.get("k"),
                                                          "steps": old.get("steps")})
    return ", ".join(f"{k}: {old.get(k)!r} there, {v!r} now" for k, v in new.items()
                     if old.get(k) != v) or "same settings"


def _folder_bytes(root: Path) -> int:
    return sum(p.stat().st_size for p in root.rglob("*") if p.is_file())


def _join(root: Path, pieces, key: str, manifest: dict) -> list:
    """Copy the finished layers and classes of shard folders ``pieces`` into ``root``."""
    joined = []
    for piece in map(Path, pieces):
        other = _read_manifest(piece)
        if other is None:
            raise FileNotFoundError(f"{piece} holds no convviz site (no manifest.json) to join.")
        if other.get("key") != key:
            raise ValueError(
                f"{piece} was built from another model, data set or settings "
                f"({_differences(other.get('settings', {}), manifest['settings'])}); build every "
                f"shard with the same call, only shard=(i, n) differing.")
        for slug, entry in other["layers"].items():
            if slug in manifest["layers"]:
                continue
            shutil.copytree(piece / "img" / slug, root / "img" / slug, dirs_exist_ok=True)
            shutil.copy2(piece / "data" / f"layer-{slug}.js", root / "data" / f"layer-{slug}.js")
            manifest["layers"][slug] = entry
            joined.append(entry["path"])
        if (piece / "img" / "data").is_dir():  # the shared whole images (same name, same file)
            shutil.copytree(piece / "img" / "data", root / "img" / "data", dirs_exist_ok=True)
        for j, entry in other["classes"].items():
            if j in manifest["classes"]:
                continue
            shutil.copytree(piece / "img" / f"class-{j}", root / "img" / f"class-{j}",
                            dirs_exist_ok=True)
            shutil.copy2(piece / "data" / f"class-{j}.js", root / "data" / f"class-{j}.js")
            manifest["classes"][j] = entry
            joined.append(f"class {j}")
    return joined


def _copy_front_end(root: Path) -> None:
    if not (STATIC_SITE / "site.js").is_file():
        raise FileNotFoundError(
            f"The site's front end is missing from the package ({STATIC_SITE}); reinstall "
            f"convviz_widgets, or build it with `npm --prefix js run build`.")
    (root / "assets").mkdir(parents=True, exist_ok=True)
    for name in ("site.js", "site.css"):
        shutil.copy2(STATIC_SITE / name, root / "assets" / name)
    shutil.copy2(STATIC_SITE / "index.html", root / "index.html")


# ----------------------------------------------------------------------------- the entry point
def publish(model, data, path="site", layers=None, class_names=None, preprocess=None,
            lang: str = "en", k: int = 9, steps: int = 128, *, labels=None,
            input_size=None, variants: int = 0, cam_images: int = 4, title: str | None = None,
            data_name: str | None = None, on_step=None, cancel: threading.Event | None = None,
            shard: tuple | None = None, join=None, overwrite: bool = False) -> PublishResult:
    """Publish what every channel of ``model`` learned as a static site (no Python to view it).

    Writes a self-contained folder (``FORMAT.md``): ``index.html`` opens from ``file://`` or
    any static host with no network request. Pages: the model, one per layer (every channel's
    pattern and strongest patch, firing rate, class purity), one per channel (kernel slices on
    one shared scale, optimised pattern, top-``k`` dataset patches with their whole images,
    class mix, Grad-CAM rank per class) and one per class of a classifier (its visualisation,
    best and worst images with Grad-CAM).

    Parameters
    ----------
    model : keras.Model
        Sequential, functional, nested or subclassed.
    data : array or data set
        Display images ``(n, h, w, c)`` in [0, 1] (or uint8), or an object with ``.images``
        (and ``.labels``, ``.class_names``) such as :func:`convviz_widgets.demo_dataset`.
        Mined once for all layers (:func:`convviz_widgets.dataset_examples`).
    path : str or path
        The site folder (created; an existing site of the same settings is resumed).
    layers : list, optional
        Layers to publish (paths, names or layer objects). Default: every convolution layer,
        nested backbones' included.
    class_names : list of str, optional
        Names of the classes (default: the data set's).
    preprocess : callable, optional
        Display images → model input (TF ops), as everywhere in the package.
    lang : {"en", "es", "pt"}
        The site's default language (readers switch).
    k : int
        Dataset examples per channel.
    steps : int
        Gradient-ascent steps of each pattern (:func:`convviz_widgets.maximize`).
    labels : array-like, optional
        Class per image, when ``data`` is a bare array.
    input_size : (int, int), optional
        Run the model at this size (see :func:`convviz_widgets.maximize`).
    variants : int
        Diverse patterns per channel besides the main one (0: none; they cost ``variants``
        times the pattern time).
    cam_images : int
        Images per class whose Grad-CAM weights rank a layer's channels for that class.
    title, data_name : str, optional
        Shown on the index page.
    on_step : callable or Progress, optional
        The package's progress protocol: ``on_step(done, total)``; return ``False`` to stop.
    cancel : threading.Event, optional
        Set it to stop; what is finished stays and a second call builds the rest.
    shard : (int, int), optional
        ``(i, n)``: build only layers ``i::n`` (and, for ``i == 0``, the class pages) — one
        piece of a build split over processes or machines, each into its own folder.
    join : list of paths, optional
        Shard folders to assemble into ``path`` (built with the same settings); anything they
        lack is then built here.
    overwrite : bool
        Replace a site in ``path`` built from another model or settings (default: refuse).

    Returns
    -------
    PublishResult

    Examples
    --------
    >>> import convviz_widgets as cv
    >>> site = cv.publish(cv.demo_model(), cv.demo_dataset(), "site/")     # doctest: +SKIP
    >>> site                                                                # doctest: +SKIP
    PublishResult(path='site', pages=..., MB=..., seconds=..., built=12, resumed=0)

    Split over two processes, then joined:

    >>> cv.publish(model, data, "part0", shard=(0, 2))                      # doctest: +SKIP
    >>> cv.publish(model, data, "part1", shard=(1, 2))                      # doctest: +SKIP
    >>> cv.publish(model, data, "site", join=["part0", "part1"])            # doctest: +SKIP
    """
    t0 = time.perf_counter()
    if lang not in ("en", "es", "pt"):
        raise ValueError(f"lang must be 'en', 'es' or 'pt', not {lang!r}.")
    if int(k) < 1 or int(steps) < 1:
        raise ValueError(f"k and steps must be at least 1, got k={k}, steps={steps}.")
    i_shard, n_shard = (0, 1) if shard is None else (int(shard[0]), int(shard[1]))
    if not 0 <= i_shard < n_shard:
        raise ValueError(f"shard must be (i, n) with 0 <= i < n, got {shard!r}.")
    if shard is not None and join:
        raise ValueError("Give shard= to build a piece, or join= to assemble pieces; not both.")
    data = _Data(data, labels, class_names, data_name)
    root = Path(path)
    all_infos = compute.model_layers(model)
    if layers is None:
        chosen = [i for i in all_infos if i.has_kernel and i.is_spatial and i.calls > 0]
    else:
        chosen = [compute.resolve_layer(model, layer) for layer in layers]
        flat = [i.path for i in chosen if not i.is_spatial]
        if flat:
            raise ValueError(f"Layers without a feature map cannot be published: {flat}. "
                             f"Choose among {[i.path for i in compute.conv_layers(model)][:8]}.")
    if not chosen:
        raise ValueError("The model has no convolution layer to publish; pass layers=[...] "
                         "with feature-map layers.")
    taken: set = set()
    slugs = {info.path: slug_of(info.path, taken) for info in chosen}
    n_classes = _n_classes(model) if data.labels is not None else None
    names = data.class_names or (compute.class_labels(model) if n_classes else None)
    settings = {"k": int(k), "steps": int(steps), "preprocess": getattr(
                    preprocess, "__qualname__", None if preprocess is None else repr(preprocess)),
                "variants": int(variants), "cam_images": int(cam_images),
                "input_size": None if input_size is None else list(input_size),
                "layers": [i.path for i in chosen], "model": _model_fingerprint(model),
                "data": data.fingerprint(), "classes": names and list(names)}
    key = hashlib.sha256(json.dumps(settings, sort_keys=True).encode()).hexdigest()[:16]
    manifest = _prepare(root, key, overwrite) or {
        "format": FORMAT, "key": key, "settings": settings, "layers": {}, "classes": {},
        "shard": None if shard is None else [i_shard, n_shard]}
    (root / "data").mkdir(parents=True, exist_ok=True)
    _write_manifest(root, manifest)
    resumed = [e["path"] for e in manifest["layers"].values()] + [
        f"class {j}" for j in manifest["classes"]]
    joined = _join(root, join or (), key, manifest)
    _write_manifest(root, manifest)

    mine = [info for n, info in enumerate(chosen) if n % n_shard == i_shard]
    todo = [info for info in mine if slugs[info.path] not in manifest["layers"]]
    class_todo = [j for j in range(n_classes or 0) if i_shard == 0 and str(j) not in
                  manifest["classes"]]
    tracker = Tracker(on_step, cancel)
    stages = _Stages(tracker, (1 if todo else 0) + len(todo) + len(class_todo))
    tracker.begin(stages.total)
    built, layer_seconds, cancelled = [], {}, False
    try:
        if todo:
            t_pass = time.perf_counter()
            examples = compute.dataset_examples(
                model, [i.path for i in todo], data.images, k=int(k), preprocess=preprocess,
                labels=data.labels, class_names=names, on_step=stages.inner, cancel=cancel,
                input_size=input_size)
            if next(iter(examples.values())).cancelled:
                raise Cancelled("cancelled during the dataset pass")
            pass_seconds = time.perf_counter() - t_pass
            channels_total = sum(i.channels for i in todo)
            stages.next()
        for info in todo:
            t_layer = time.perf_counter()
            slug = slugs[info.path]
            res = compute.maximize(model, info.path, None, steps=int(steps),
                                   preprocess=preprocess, on_step=stages.inner, cancel=cancel,
                                   input_size=input_size)
            if res.cancelled:
                raise Cancelled(f"cancelled during the patterns of {info.path}")
            var = None
            if variants:
                div = compute.maximize(model, info.path, None, steps=int(steps),
                                       objective="diversity", n_patterns=int(variants),
                                       preprocess=preprocess, cancel=cancel,
                                       input_size=input_size)
                if div.cancelled:
                    raise Cancelled(f"cancelled during the variants of {info.path}")
                var = {int(f): div.images[div.filters == f] for f in np.unique(div.filters)}
            w = compute.kernels(model, info.path) if info.has_kernel else None
            ranks = (_cam_ranks(model, info.path, data, range(n_classes), preprocess,
                                int(cam_images), cancel, input_size) if n_classes else None)
            try:
                rf = int(max(compute.receptive_field(model, info.path,
                                                     input_size=input_size).size))
            except ValueError:  # a layer whose field cannot be traced: the page says "—"
                rf = None
            entry = _layer_page(model, info, slug, examples[info.path], res, var, w, ranks,
                                data, root, rf)
            seconds = (time.perf_counter() - t_layer
                       + pass_seconds * info.channels / max(channels_total, 1))
            manifest["layers"][slug] = dict(entry, seconds=seconds)
            _write_manifest(root, manifest)
            layer_seconds[info.path] = seconds
            built.append(info.path)
            stages.next()
        if class_todo:
            t_class = time.perf_counter()
            probs = _probabilities(model, data, preprocess, n_classes, input_size)
            # Every class's visualisation in one batched optimisation (one compiled step).
            vis = compute.maximize(model, None, class_todo, objective="class", steps=int(steps),
                                   preprocess=preprocess, on_step=stages.inner, cancel=cancel,
                                   input_size=input_size)
            if vis.cancelled:
                raise Cancelled("cancelled during the class visualisations")
            pictures = deprocess_tiles(vis.images)
            shared = (time.perf_counter() - t_class) / len(class_todo)
        for j, picture in zip(class_todo, pictures if class_todo else []):
            t_class = time.perf_counter()
            _class_page(model, j, names[j] if names else str(j), data, probs, picture,
                        preprocess, root, input_size)
            manifest["classes"][str(j)] = {"seconds": time.perf_counter() - t_class + shared}
            _write_manifest(root, manifest)
            built.append(f"class {j}")
            stages.next()
    except Cancelled:
        cancelled = True
    finally:
        tracker.end()
    _copy_front_end(root)
    _write_index(root, model, all_infos, chosen, slugs, manifest, data, names, lang, title,
                 time.perf_counter() - t0)
    n_channels = sum(e["channels"] for e in manifest["layers"].values())
    return PublishResult(path=root, pages=1 + len(manifest["layers"]) + n_channels
                         + len(manifest["classes"]), bytes=_folder_bytes(root),
                         seconds=time.perf_counter() - t0, layer_seconds=layer_seconds,
                         built=built + joined, resumed=resumed, cancelled=cancelled)


def _write_index(root, model, all_infos, chosen, slugs, manifest, data, names, lang, title,
                 seconds):
    done = {e["path"]: slug for slug, e in manifest["layers"].items()}
    params = int(sum(np.prod(w.shape) for w in model.weights))
    shape = compute.access(model).input_shape  # a subclassed model has no .input_shape
    made_seconds = sum(e.get("seconds", 0.0) for e in manifest["layers"].values()) + sum(
        e.get("seconds", 0.0) for e in manifest["classes"].values())
    index = {
        "format": FORMAT, "title": title or model.name, "lang": lang,
        "made": {"when": datetime.datetime.now(datetime.timezone.utc).isoformat(
                     timespec="seconds"),
                 "convviz": _version(), "keras": keras.__version__,
                 "backend": keras.backend.backend(), "seconds": round(made_seconds, 3)},
        "model": {"name": model.name, "input_shape": list(shape[1:]), "params": params,
                  "layers": [{"path": i.path, "name": i.name, "class": i.class_name,
                              "output_shape": list(i.output_shape),
                              "kernel_shape": None if i.kernel_shape is None
                              else list(i.kernel_shape), "depth": i.depth,
                              "published": i.path in done, "slug": done.get(i.path)}
                             for i in all_infos]},
        "data": {"name": data.name, "n_images": int(len(data.images)),
                 "image_size": list(data.images.shape[1:3]), "skipped": 0},
        "settings": {"k": manifest["settings"]["k"], "steps": manifest["settings"]["steps"],
                     "image_size": int(data.images.shape[1]),
                     "preprocess": manifest["settings"]["preprocess"],
                     "variants": manifest["settings"]["variants"],
                     "cam_images": manifest["settings"]["cam_images"]},
        "classes": ([{"index": int(j), "name": names[int(j)] if names else str(j)}
                     for j in sorted(manifest["classes"], key=int)]
                    if manifest["classes"] else None),
        "layers": [{key: manifest["layers"][done[i.path]][key]
                    for key in ("slug", "path", "channels", "dead", "mean_rate")}
                   for i in chosen if i.path in done],
    }
    _write_js(root / "data" / "index.js", "CONVVIZ_SITE.index", index)


def _version() -> str:
    from .. import __version__  # noqa: PLC0415 (the package's top module imports this one)

    return __version__
