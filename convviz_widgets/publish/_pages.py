"""The site's pages (``FORMAT.md``): what each one holds — computed from the results of one
build — written as PNG images and a ``data/*.js`` script. One function per kind of page (layer,
class, index), plus the file writers they share.
"""

from __future__ import annotations

import datetime
import json
import re
from pathlib import Path

import keras
import numpy as np
from PIL import Image

from .. import compute
from .._version import __version__
from ..compute import Cancelled
from ..display import apply_lut, deprocess_tiles, quantize

__all__ = ["FORMAT", "slug_of", "write_png", "write_js", "layer_page", "class_page",
           "index_page", "cam_ranks", "class_probabilities"]

FORMAT = 1
#: Input-channel slices drawn per filter on a channel page (VGG16's 512-channel kernels would
#: otherwise cost 512 small PNGs per channel); the page says how many were left out.
MAX_SLICES = 16
#: Kernel slices are drawn this many times larger (nearest neighbour): a 3×3 PNG is a dot.
KERNEL_ZOOM = 8
#: Best / worst images shown per class page.
CLASS_IMAGES = 4


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


def write_png(path: Path, pixels: np.ndarray) -> None:
    """Write ``pixels`` (float in [0, 1] or uint8; (h, w), (h, w, 1) or (h, w, 3)) as PNG."""
    a = np.asarray(pixels)
    if a.dtype != np.uint8:
        a = (np.clip(a, 0.0, 1.0) * 255 + 0.5).astype(np.uint8)
    if a.ndim == 3 and a.shape[-1] == 1:
        a = a[..., 0]
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(a).save(path, optimize=True)


def write_js(path: Path, target: str, value) -> None:
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


def layer_page(model, info, slug, ex, res, variants, w, cam_rank, data, root, rf):
    """Write one layer's images and ``data/layer-<slug>.js``; return its index entry."""
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
            write_png(root / entry["pattern"], pictures[row_of[ch]])
            entry["status"] = "dead" if dead else status[ch]
        if variants is not None:
            for v, pic in enumerate(deprocess_tiles(variants[ch])):
                name = f"img/{slug}/variant-{ch}-{v}.png"
                write_png(root / name, pic)
                entry["variants"].append(name)
        for j in range(ex.k):
            idx = int(ex.index[r, j])
            if idx < 0:
                break
            patch = f"img/{slug}/patch-{ch}-{j}.png"
            write_png(root / patch, ex.patches[r, j])
            hw = [int(v) for v in ex.image_size[r, j]]
            # One file per image for every layer: the same scene is a top example of many
            # channels and layers (for the demo this halves the site).
            image = f"img/data/image-{idx}-{hw[0]}x{hw[1]}.png"
            if not (root / image).is_file():
                write_png(root / image, _resized(data.images[idx], hw))
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
    write_js(root / "data" / f"layer-{slug}.js", f'CONVVIZ_SITE.layers["{slug}"]', page)
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
        write_png(root / name, np.kron(rgb, np.ones((KERNEL_ZOOM, KERNEL_ZOOM, 1), np.uint8)))
        slices.append(name)
    rgb_name = None
    if w.shape[-1] == 3:
        lo, hi = float(w.min()), float(w.max())
        comp = (w - lo) / (hi - lo) if hi > lo else np.full_like(w, 0.5)
        rgb_name = f"img/{slug}/kernel-{ch}-rgb.png"
        write_png(root / rgb_name, np.kron(comp, np.ones((KERNEL_ZOOM, KERNEL_ZOOM, 1))))
    return {"slices": slices, "rgb": rgb_name, "vmin": -lim, "vmax": lim,
            "scale": "shared across the filter's slices",
            "omitted": max(0, w.shape[-1] - MAX_SLICES)}


def cam_ranks(model, path, data, class_ids, preprocess, cam_images, cancel, input_size):
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


def class_page(model, j, name, data, probs, picture, preprocess, root, input_size):
    """Write class ``j``'s visualisation, best / worst images with Grad-CAM, ``data/class-j.js``."""
    vis_name = f"img/class-{j}/visualisation.png"
    write_png(root / vis_name, picture)
    mine = np.flatnonzero(data.labels == j) if data.labels is not None else np.zeros(0, int)
    order = mine[np.argsort(-probs[mine, j], kind="stable")]
    page = {"index": int(j), "name": name, "visualisation": vis_name, "best": [], "worst": []}
    for kind, picks in (("best", order[:CLASS_IMAGES]), ("worst", order[::-1][:CLASS_IMAGES])):
        for i in picks.tolist():
            cam = compute.gradcam(model, data.images[i], target=int(j), preprocess=preprocess,
                                  input_size=input_size)
            image, cam_name = f"img/class-{j}/image-{i}.png", f"img/class-{j}/cam-{i}.png"
            write_png(root / image, data.images[i])
            write_png(root / cam_name, compute.overlay(cam.heatmap, data.images[i]))
            page[kind].append({"image": image, "cam": cam_name, "p": float(probs[i, j]),
                               "label": int(data.labels[i])})
    write_js(root / "data" / f"class-{j}.js", f'CONVVIZ_SITE.classes["{j}"]', page)


def class_probabilities(model, data, preprocess, n_classes, input_size) -> np.ndarray:
    """``(n, classes)``: the probability the model gives each image's own label, in the
    column of that label (NaN elsewhere) — what a class page ranks its images by."""
    true_p = compute.rank_predictions(model, data.images, data.labels, preprocess,
                                      input_size=input_size).true_probability
    out = np.full((len(data.images), n_classes), np.nan, np.float32)
    out[np.arange(len(data.images)), data.labels] = true_p
    return out


def index_page(root, model, all_infos, chosen, slugs, manifest, data, names, lang, title,
               seconds):
    """Write ``data/index.js``: the model, its layers (published ones linked), the data, the
    settings, the classes and the finished layers of ``manifest``."""
    done = {e["path"]: slug for slug, e in manifest["layers"].items()}
    params = int(sum(np.prod(w.shape) for w in model.weights))
    shape = compute.access(model).input_shape  # a subclassed model has no .input_shape
    made_seconds = sum(e.get("seconds", 0.0) for e in manifest["layers"].values()) + sum(
        e.get("seconds", 0.0) for e in manifest["classes"].values())
    index = {
        "format": FORMAT, "title": title or model.name, "lang": lang,
        "made": {"when": datetime.datetime.now(datetime.timezone.utc).isoformat(
                     timespec="seconds"),
                 "convviz": __version__, "keras": keras.__version__,
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
    write_js(root / "data" / "index.js", "CONVVIZ_SITE.index", index)
