"""Build the static site (``FORMAT.md``): one dataset pass, batched patterns, PNGs, data as JS.

The build is a list of units — one per layer, one per class — each written completely (its
images, then its ``data/*.js``) before ``manifest.json`` lists it. A cancelled or crashed build
therefore leaves a folder whose manifest names exactly what is finished; the next call with
the same settings builds only the rest. Settings and model are hashed into the manifest, so a
folder made from another model or other settings is refused rather than mixed.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import keras
import numpy as np

from .. import compute
from ..compute import Cancelled, Tracker
from ..display import deprocess_tiles
from ._folder import (copy_front_end, folder_bytes, join_shards, prepare_folder,
                      write_manifest)
from ._pages import (FORMAT, cam_ranks, class_page, class_probabilities, index_page,
                     layer_page, slug_of)

__all__ = ["PublishResult", "publish"]


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



# ----------------------------------------------------------------------------- the inputs
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
    manifest = prepare_folder(root, key, overwrite) or {
        "format": FORMAT, "key": key, "settings": settings, "layers": {}, "classes": {},
        "shard": None if shard is None else [i_shard, n_shard]}
    (root / "data").mkdir(parents=True, exist_ok=True)
    write_manifest(root, manifest)
    resumed = [e["path"] for e in manifest["layers"].values()] + [
        f"class {j}" for j in manifest["classes"]]
    joined = join_shards(root, join or (), key, manifest)
    write_manifest(root, manifest)

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
            ranks = (cam_ranks(model, info.path, data, range(n_classes), preprocess,
                                int(cam_images), cancel, input_size) if n_classes else None)
            try:
                rf = int(max(compute.receptive_field(model, info.path,
                                                     input_size=input_size).size))
            except ValueError:  # a layer whose field cannot be traced: the page says "—"
                rf = None
            entry = layer_page(model, info, slug, examples[info.path], res, var, w, ranks,
                                data, root, rf)
            seconds = (time.perf_counter() - t_layer
                       + pass_seconds * info.channels / max(channels_total, 1))
            manifest["layers"][slug] = dict(entry, seconds=seconds)
            write_manifest(root, manifest)
            layer_seconds[info.path] = seconds
            built.append(info.path)
            stages.next()
        if class_todo:
            t_class = time.perf_counter()
            probs = class_probabilities(model, data, preprocess, n_classes, input_size)
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
            class_page(model, j, names[j] if names else str(j), data, probs, picture,
                        preprocess, root, input_size)
            manifest["classes"][str(j)] = {"seconds": time.perf_counter() - t_class + shared}
            write_manifest(root, manifest)
            built.append(f"class {j}")
            stages.next()
    except Cancelled:
        cancelled = True
    finally:
        tracker.end()
    copy_front_end(root)
    index_page(root, model, all_infos, chosen, slugs, manifest, data, names, lang, title,
                 time.perf_counter() - t0)
    n_channels = sum(e["channels"] for e in manifest["layers"].values())
    return PublishResult(path=root, pages=1 + len(manifest["layers"]) + n_channels
                         + len(manifest["classes"]), bytes=folder_bytes(root),
                         seconds=time.perf_counter() - t0, layer_seconds=layer_seconds,
                         built=built + joined, resumed=resumed, cancelled=cancelled)
