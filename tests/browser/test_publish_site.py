"""The static site of cv.publish, opened from file:// in headless Chromium (issue 26).

The site must work with no server and no network: every request the page makes has to be a
file:// URL inside the site folder (anything else is blocked and fails the test), and the page
must log no console error. The walk is the one a student takes: index → layer → channel → click
a patch → its whole image; search; language switch; sort; keyboard.

Two sites are walked: a small hand-made one that follows publish_schema.md exactly (so the front
end is tested against the format, with known numbers: a dead channel, a nested backbone, kernel
slices with omitted channels) and the demo model's site built by ``cv.publish``. Screenshots go
to ``_artifacts/publish/``; with ``CONVVIZ_UPDATE_SCREENSHOTS=1`` also to ``docs/img/publish/``
(the README shows the channel page).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw

import convviz_widgets as cv
from _harness import ARTIFACTS, REPO

SITE_SRC = REPO / "js" / "site"
SITE_STATIC = REPO / "convviz_widgets" / "static" / "site"
SHOTS = REPO / "docs" / "img" / "publish"
REBUILD = "run `npm --prefix js install && npm --prefix js run build` and commit static/site/"


# ---------------------------------------------------------------- the shipped bundle (no browser)

def test_site_bundle_is_built_from_the_current_sources():
    """static/site/ is what js/build.mjs makes of js/site/ (same hash recipe as test_bundle.py)."""
    manifest = json.loads((SITE_STATIC / "manifest.json").read_text())
    files = sorted(p.relative_to(SITE_SRC).as_posix() for p in SITE_SRC.rglob("*") if p.is_file())
    h = hashlib.sha256()
    for rel in files:
        h.update(rel.encode() + b"\0" + (SITE_SRC / rel).read_bytes() + b"\0")
    assert manifest["source_sha256"] == h.hexdigest(), f"js/site changed since the build: {REBUILD}"
    assert set(manifest["bundles"]) == {"index.html", "site.css", "site.js"}
    for name, digest in manifest["bundles"].items():
        data = (SITE_STATIC / name).read_bytes()
        assert hashlib.sha256(data).hexdigest() == digest, f"static/site/{name} edited by hand? {REBUILD}"
    js = (SITE_STATIC / "site.js").read_text()
    # A classic script: Chromium refuses ES modules from file://.
    assert "export " not in js and "import " not in js
    # Nothing the page loads may come from outside the folder.
    for text in (js, (SITE_STATIC / "site.css").read_text(), (SITE_STATIC / "index.html").read_text()):
        assert "http://" not in text and "https://" not in text and "//cdn" not in text


# ---------------------------------------------------------------- a hand-made site (the schema)

CLASSES = ["circle", "square", "triangle"]


def _png(path: Path, arr: np.ndarray) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8)).save(path)


def _scene(rng, j: int, size=(60, 80)) -> np.ndarray:
    """A non-square scene with one shape of class j on noise."""
    h, w = size
    im = Image.fromarray((rng.random((h, w, 3)) * 90 + 60).astype(np.uint8))
    d = ImageDraw.Draw(im)
    box = (20, 12, 48, 40)
    colour = [(220, 40, 40), (40, 180, 60), (40, 80, 220)][j]
    [d.ellipse, d.rectangle, lambda b, fill: d.polygon([(b[0], b[3]), (b[2], b[3]), ((b[0] + b[2]) // 2, b[1])], fill=fill)][j](box, fill=colour)
    return np.asarray(im)


def _js(path: Path, target: str, obj) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"{target} = {json.dumps(obj)};\n")


def copy_front_end(site: Path) -> None:
    """What the builder does: index.html at the root, site.js and site.css in assets/."""
    (site / "assets").mkdir(parents=True, exist_ok=True)
    shutil.copy(SITE_STATIC / "index.html", site / "index.html")
    for name in ("site.js", "site.css"):
        shutil.copy(SITE_STATIC / name, site / "assets" / name)


def make_fixture_site(site: Path, classify: bool = True) -> dict:
    """A site that follows publish_schema.md: a Sequential with a nested backbone, two published
    layers (one inside the backbone), 6 and 5 channels, one dead channel, a 20-input-channel
    kernel (16 slices shown, 4 omitted), three classes."""
    rng = np.random.default_rng(0)
    copy_front_end(site)
    n_img = 9
    labels = [j % 3 for j in range(n_img)]
    for n in range(n_img):
        _png(site / "img" / "shared" / f"image-{n}.png", _scene(rng, labels[n]))
    layers = []
    published = [("backbone_block1_conv1", "backbone/block1_conv1", 6, 3, 3),
                 ("block2_conv1", "block2_conv1", 5, 20, 9)]
    rates = {"backbone_block1_conv1": [0.31, 0.0, 0.72, 0.05, 0.5, 0.18],
             "block2_conv1": [0.12, 0.44, 0.09, 0.61, 0.27]}
    for slug, path, nch, cin, rf in published:
        chans = []
        for i in range(nch):
            rate = rates[slug][i]
            dead = rate == 0.0
            d = site / "img" / slug
            yy, xx = np.mgrid[0:48, 0:48]
            angle = i * np.pi / nch
            stripes = 127 + 120 * np.sin((np.cos(angle) * xx + np.sin(angle) * yy) / 3.0)
            pattern = np.stack([stripes, np.roll(stripes, 8, 0), 255 - stripes], -1)
            _png(d / f"pattern-{i}.png", pattern)
            variants = []
            if i == 0:
                for v in range(2):
                    _png(d / f"pattern-{i}-v{v}.png", np.roll(pattern, 12 * (v + 1), 1))
                    variants.append(f"img/{slug}/pattern-{i}-v{v}.png")
            shown = min(cin, 16)
            slices = []
            w = rng.normal(size=(3, 3, shown))
            vmin, vmax = float(w.min()), float(w.max())
            for c in range(shown):
                _png(d / f"kernel-{i}-{c}.png", np.repeat(((w[..., c] - vmin) / (vmax - vmin) * 255)[..., None], 3, -1))
                slices.append(f"img/{slug}/kernel-{i}-{c}.png")
            rgb = None
            if cin == 3:
                _png(d / f"kernel-{i}-rgb.png", (w - vmin) / (vmax - vmin) * 255)
                rgb = f"img/{slug}/kernel-{i}-rgb.png"
            examples = []
            if not dead:
                for k in range(3):
                    n = (i + 2 * k) % n_img
                    y0, x0 = 10 + k, 16 + 2 * k
                    box = [y0, x0, y0 + rf * 2, x0 + rf * 2]
                    scene = np.asarray(Image.open(site / "img" / "shared" / f"image-{n}.png"))
                    _png(d / f"patch-{i}-{k}.png", scene[box[0]:box[2], box[1]:box[3]])
                    examples.append({"patch": f"img/{slug}/patch-{i}-{k}.png",
                                     "image": f"img/shared/image-{n}.png", "box": box,
                                     "score": round(3.0 - 0.5 * k + i * 0.1, 3), "label": labels[n]})
            mix = None if dead else {str(labels[(i + 2 * k) % n_img]): 0 for k in range(3)}
            if mix:
                for e in examples:
                    mix[str(e["label"])] += 1 / 3
            chans.append({
                "i": i, "rate": rate, "purity": None if dead else round(max(mix.values()), 3),
                "top_class": None if dead else int(max(mix, key=mix.get)), "dead": dead,
                # maximize's status: channel 3 was cancelled; block2_conv1 channel 4 fires on the
                # data but its pattern does not excite it ("dead" pattern, not a dead channel).
                "status": ("dead" if dead or (slug == "block2_conv1" and i == 4)
                           else "unfinished" if i == 3 else "done"),
                "pattern": None if dead else f"img/{slug}/pattern-{i}.png", "variants": variants,
                "patch": examples[0]["patch"] if examples else None,
                "kernel": {"slices": slices, "rgb": rgb, "vmin": vmin, "vmax": vmax,
                           "scale": "shared across the filter's slices", "omitted": cin - shown},
                "examples": examples, "class_mix": mix,
                "cam_rank": None if dead else {str(j): 1 + (i + j) % nch for j in range(3)},
            })
        layer = {"slug": slug, "path": path, "class": "Conv2D", "output_shape": [None, 30, 40, nch],
                 "rf": rf, "channels": chans}
        _js(site / "data" / f"layer-{slug}.js", f'CONVVIZ_SITE.layers["{slug}"]', layer)
        layers.append(layer)
    for j, name in enumerate(CLASSES):
        _png(site / "img" / "class" / f"vis-{j}.png", _scene(rng, j, (48, 48)))
        preds = []
        for n in [m for m in range(n_img) if labels[m] == j][:2]:
            heat = np.asarray(Image.open(site / "img" / "shared" / f"image-{n}.png")).astype(float)
            heat[..., 0] = 255
            _png(site / "img" / "class" / f"cam-{j}-{n}.png", heat)
            preds.append({"image": f"img/shared/image-{n}.png", "cam": f"img/class/cam-{j}-{n}.png",
                          "p": 0.9 - 0.1 * n / n_img, "label": labels[n]})
        _js(site / "data" / f"class-{j}.js", f'CONVVIZ_SITE.classes["{j}"]',
            {"index": j, "name": name, "visualisation": f"img/class/vis-{j}.png",
             "best": preds[:1], "worst": preds[1:]})
    model_layers = [
        {"path": "backbone", "name": "backbone", "class": "Functional", "output_shape": [None, 30, 40, 6],
         "kernel_shape": None, "depth": 0, "published": False, "slug": None},
        {"path": "backbone/block1_conv1", "name": "block1_conv1", "class": "Conv2D",
         "output_shape": [None, 30, 40, 6], "kernel_shape": [3, 3, 3, 6], "depth": 1, "published": True,
         "slug": "backbone_block1_conv1"},
        {"path": "backbone/block1_pool", "name": "block1_pool", "class": "MaxPooling2D",
         "output_shape": [None, 15, 20, 6], "kernel_shape": None, "depth": 1, "published": False, "slug": None},
        {"path": "block2_conv1", "name": "block2_conv1", "class": "Conv2D", "output_shape": [None, 15, 20, 5],
         "kernel_shape": [3, 3, 20, 5], "depth": 0, "published": True, "slug": "block2_conv1"},
        {"path": "head", "name": "head", "class": "Dense", "output_shape": [None, 3], "kernel_shape": None,
         "depth": 0, "published": False, "slug": None},
    ]
    index = {
        "format": 1, "title": "Shapes atlas", "lang": "en",
        "made": {"when": "2026-12-06T04:00:00Z", "convviz": "0.1.0", "keras": "3.13.0",
                 "backend": "tensorflow", "seconds": 12.5},
        "model": {"name": "shapes_net", "input_shape": [60, 80, 3], "params": 12345, "layers": model_layers},
        "data": {"name": "shapes", "n_images": n_img, "image_size": [60, 80], "skipped": 0},
        "settings": {"k": 3, "steps": 16, "image_size": 48, "preprocess": None},
        "classes": [{"index": j, "name": n} for j, n in enumerate(CLASSES)],
        "layers": [{"slug": l["slug"], "path": l["path"], "channels": len(l["channels"]),
                    "dead": sum(c["dead"] for c in l["channels"]),
                    "mean_rate": float(np.mean([c["rate"] for c in l["channels"]]))} for l in layers],
    }
    if not classify:
        # A model that does not classify (regression, segmentation): no classes anywhere.
        index["classes"] = None
        for layer in layers:
            for c in layer["channels"]:
                c.update(purity=None, top_class=None, class_mix=None, cam_rank=None)
                for e in c["examples"]:
                    e["label"] = None
            _js(site / "data" / f"layer-{layer['slug']}.js", f'CONVVIZ_SITE.layers["{layer["slug"]}"]', layer)
        for j in range(len(CLASSES)):
            (site / "data" / f"class-{j}.js").unlink()
    (site / "data").mkdir(exist_ok=True)
    (site / "data" / "index.js").write_text(
        "window.CONVVIZ_SITE = window.CONVVIZ_SITE || {layers:{}, classes:{}};\n"
        f"CONVVIZ_SITE.index = {json.dumps(index)};\n")
    return index


# ---------------------------------------------------------------- the walk in Chromium

class SitePage:
    """One Chromium page on ``site/index.html`` from file://, with every request checked."""

    def __init__(self, browser, site: Path, name: str):
        self.site = site.resolve()
        self.root = self.site.as_uri() + "/"
        self.name = name
        self.requests: list[str] = []
        self.outside: list[str] = []
        self.errors: list[str] = []
        self.ctx = browser.new_context(viewport={"width": 1200, "height": 900})
        # Anything not inside the folder is blocked *and* recorded, so the test fails on it.
        self.ctx.route("**/*", self._route)
        self.page = self.ctx.new_page()
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(f"page error: {e}"))
        self.page.on("requestfailed", lambda r: self.errors.append(f"failed: {r.url} {r.failure}"))

    def _route(self, route):
        url = route.request.url
        if url.startswith(self.root):
            route.continue_()
        else:
            self.outside.append(url)
            route.abort()

    def open(self, hash_: str = "") -> None:
        self.page.goto(self.root + "index.html" + hash_)
        self.wait()

    def wait(self, route: str | None = None) -> None:
        """Until the page drawn is the one of the current address (not the previous page,
        still there between a hash change and its render)."""
        self.page.wait_for_function(
            """(route) => { const m = document.getElementById('cv-main');
                return !!m && !m.hasAttribute('aria-busy') && m.dataset.hash === location.hash
                    && (!route || m.dataset.route === route); }""",
            arg=route, timeout=15_000)

    def go(self, hash_: str, route: str) -> None:
        self.page.evaluate("(h) => { location.hash = h; }", hash_)
        self.page.wait_for_function(f"location.hash === {json.dumps(hash_)}")
        self.wait(route)

    def hash(self) -> str:
        return self.page.evaluate("decodeURIComponent(location.hash)")

    def text(self, sel: str = "#cv-main") -> str:
        return self.page.inner_text(sel)

    def shot(self, name: str) -> Path:
        out = ARTIFACTS / "publish" / f"{self.name}-{name}.png"
        out.parent.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(out), full_page=False)
        if os.environ.get("CONVVIZ_UPDATE_SCREENSHOTS") == "1":
            SHOTS.mkdir(parents=True, exist_ok=True)
            shutil.copy(out, SHOTS / out.name)
        return out

    def sane(self) -> str:
        """The page's text, checked for leaked JavaScript values."""
        text = self.text("body")
        for junk in ("undefined", "null", "[object", "NaN"):
            assert junk not in text, f"{junk!r} shown on {self.hash()}:\n{text}"
        return text

    def all_images_loaded(self) -> None:
        """Scroll every lazy image into view and check it decoded (a broken path fails here)."""
        broken = self.page.evaluate("""async () => {
            const imgs = Array.from(document.querySelectorAll('#cv-main img'));
            for (const im of imgs) { im.scrollIntoView(); im.loading = 'eager'; }
            await Promise.all(imgs.map(im => im.complete ? null : new Promise(r => {
                im.addEventListener('load', r); im.addEventListener('error', r); })));
            window.scrollTo(0, 0);
            return imgs.filter(im => !im.naturalWidth).map(im => im.getAttribute('src'));
        }""")
        assert not broken, f"images that did not load: {broken}"

    def check_clean(self) -> None:
        assert not self.outside, f"requests left the site folder: {self.outside}"
        bad = [u for u in self.requests if not u.startswith(self.root)]
        assert not bad, f"requests outside {self.root}: {bad}"
        assert not self.errors, f"console errors: {self.errors}"

    def close(self) -> None:
        self.ctx.close()


def english_left(sp: SitePage) -> list[str]:
    """English UI fragments (≥ 6 letters between placeholders) on the current page when it is
    shown in another language; names from the data (layers, classes) are not UI strings."""
    en = sp.page.evaluate("window.CONVVIZ_SITE_I18N.table('en')")
    here = sp.page.evaluate("window.CONVVIZ_SITE_I18N.table(document.documentElement.lang)")
    # Screen readers read labels and alt texts too: they must be translated like the text.
    text = sp.text("body") + "\n" + "\n".join(sp.page.eval_on_selector_all(
        "[aria-label], img[alt], [placeholder]",
        "els => els.map(e => [e.getAttribute('aria-label'), e.getAttribute('alt'),"
        " e.getAttribute('placeholder')].filter(Boolean).join('\\n'))"))
    found = []
    for key, s in en.items():
        if here.get(key) == s:
            continue  # the same in both languages ("p = {p}", "{n} px")
        for frag in re.split(r"\{\w+\}", s):
            frag = frag.strip(" ·:,.()“”«»…")
            if len(frag) >= 6 and re.search(rf"(?<!\w){re.escape(frag)}(?!\w)", text):
                found.append(frag)
    return found


def _sorted_by(channels: list[dict], key: str) -> list[int]:
    with_key = [c for c in channels if c.get(key) is not None]
    without = [c for c in channels if c.get(key) is None]
    return ([c["i"] for c in sorted(with_key, key=lambda c: (-c[key], c["i"]))]
            + [c["i"] for c in sorted(without, key=lambda c: c["i"])])


def walk_site(browser, site: Path, name: str) -> dict:
    """The student's walk through a site, driven by the site's own data (read in the page)."""
    sp = SitePage(browser, site, name)
    try:
        sp.open()
        p = sp.page
        index = p.evaluate("window.CONVVIZ_SITE.index")
        missing = p.evaluate("window.CONVVIZ_SITE_I18N.missing()")
        assert missing == {"en": [], "es": [], "pt": []}, f"strings missing in a language: {missing}"
        assert p.title() == index["title"]
        text = sp.text()
        for layer in index["layers"]:
            assert layer["path"] in text
        # Nested backbones are folded: their layers sit in a closed <details>.
        nested = [l for l in index["model"]["layers"] if l.get("depth", 0) >= 1]
        folded = p.eval_on_selector_all(".cv-model details", "ds => ds.map(d => d.open)")
        if nested:
            assert folded and not any(folded)
            assert p.locator(".cv-model details summary").first.is_visible()
        assert str(index["data"]["n_images"]) in text.replace(",", "").replace("\u202f", "")
        sp.sane()
        sp.all_images_loaded()
        sp.shot("index")

        # index → layer: every channel a tile, dead channels marked.
        target = max(index["layers"], key=lambda l: l["dead"])
        slug = target["slug"]
        p.click(f".cv-published a[href='#/layer/{slug}']")
        sp.wait("layer")
        layer = p.evaluate(f"window.CONVVIZ_SITE.layers[{json.dumps(slug)}]")
        chans = layer["channels"]
        tiles = p.locator(".cv-tile")
        assert tiles.count() == len(chans) == target["channels"]
        dead = [c["i"] for c in chans if c["dead"]]
        shown_dead = [int(x) for x in p.eval_on_selector_all(".cv-tile.cv-dead", "ts => ts.map(t => t.dataset.channel)")]
        assert shown_dead == dead
        for i in dead:
            assert "never fires" in p.inner_text(f".cv-tile[data-channel='{i}']")
        for c in chans:
            tile = p.inner_text(f".cv-tile[data-channel='{c['i']}']")
            assert ("no pattern" in tile) == (c["status"] == "dead" and not c["dead"]), tile
            assert ("unfinished" in tile) == (c["status"] == "unfinished" and not c["dead"]), tile
        order = [int(x) for x in p.eval_on_selector_all(".cv-tile", "ts => ts.map(t => t.dataset.channel)")]
        assert order == sorted(order)
        # alt text on every image, lazy loading on every tile image.
        alts = p.eval_on_selector_all("#cv-main img", "is => is.map(i => [i.alt, i.loading])")
        assert alts and all(a and lz == "lazy" for a, lz in alts)
        sp.sane()
        sp.all_images_loaded()
        sp.shot("layer")
        # Keyboard readers see where they are: Tab reaches the tiles and the focus ring shows.
        for _ in range(40):
            p.keyboard.press("Tab")
            if p.evaluate("document.activeElement.classList.contains('cv-tile')"):
                break
        ring = p.evaluate("(() => { const s = getComputedStyle(document.activeElement);"
                          " return [document.activeElement.className, s.outlineStyle, s.outlineWidth]; })()")
        assert "cv-tile" in ring[0] and ring[1] == "solid" and ring[2] != "0px", ring

        # sort by firing rate: the hash keeps it (permalink), the order follows the data.
        p.select_option("#cv-sort", "rate")
        p.wait_for_function("location.hash.includes('sort=rate')")
        sp.wait("layer")
        order = [int(x) for x in p.eval_on_selector_all(".cv-tile", "ts => ts.map(t => t.dataset.channel)")]
        assert order == _sorted_by(chans, "rate")
        p.select_option("#cv-sort", "purity")
        p.wait_for_function("location.hash.includes('sort=purity')")
        sp.wait("layer")
        order = [int(x) for x in p.eval_on_selector_all(".cv-tile", "ts => ts.map(t => t.dataset.channel)")]
        assert order == _sorted_by(chans, "purity")
        p.select_option("#cv-sort", "rate")
        sp.wait("layer")

        # layer → channel: the live channel with the most examples, first in rate order.
        live = [c for c in chans if not c["dead"] and c["examples"]]
        assert live, "no channel with examples to walk"
        ch = max(live, key=lambda c: (len(c["examples"]), c["rate"]))
        p.click(f".cv-tile[data-channel='{ch['i']}']")
        sp.wait("channel")
        assert sp.hash() == f"#/layer/{slug}/channel/{ch['i']}?sort=rate"
        text = sp.text()
        assert f"channel {ch['i']}" in text
        if ch["kernel"]:
            k = ch["kernel"]
            assert p.locator(".cv-slices figure").count() == len(k["slices"]) + (1 if k["rgb"] else 0)
            assert "one scale shared" in p.inner_text(".cv-scale")
            if k["omitted"]:
                assert f"{k['omitted']} more input channels" in p.inner_text(".cv-kernel")
        if ch["cam_rank"]:
            assert p.locator(".cv-cam tbody tr").count() == len(ch["cam_rank"])
        assert p.locator(".cv-patch").count() == len(ch["examples"])
        sp.sane()
        sp.all_images_loaded()
        sp.shot("channel")

        # click a patch → its whole image with the box where the data says.
        ex = ch["examples"][0]
        p.click(".cv-patch[data-k='0']")
        p.wait_for_selector(".cv-dialog .cv-box[data-state=placed]")
        whole = p.evaluate("""() => { const im = document.querySelector('.cv-dialog img');
            const b = document.querySelector('.cv-box').getBoundingClientRect();
            const r = im.getBoundingClientRect();
            return {src: im.getAttribute('src'), nw: im.naturalWidth, nh: im.naturalHeight,
                    box: [(b.top - r.top) / r.height, (b.left - r.left) / r.width,
                          (b.bottom - r.top) / r.height, (b.right - r.left) / r.width]}; }""")
        assert whole["src"] == ex["image"] and whole["nw"] > 0
        y0, x0, y1, x1 = ex["box"]
        want = [y0 / whole["nh"], x0 / whole["nw"], y1 / whole["nh"], x1 / whole["nw"]]
        assert np.allclose(whole["box"], want, atol=0.02), (whole, ex["box"])
        assert p.evaluate("document.activeElement.classList.contains('cv-close')")
        p.keyboard.press("Tab")  # modal: the focus stays in the dialog
        assert p.evaluate("document.activeElement.classList.contains('cv-close')")
        sp.shot("image")
        p.keyboard.press("Escape")
        p.wait_for_selector(".cv-dialog", state="detached")
        assert p.evaluate("document.activeElement.dataset.k") == "0"  # focus back on the patch

        # keyboard: → next channel in the current (rate) order, ↑ up to the layer, ↑ to the index.
        rate_order = _sorted_by(chans, "rate")
        at = rate_order.index(ch["i"])
        p.evaluate("document.activeElement.blur()")
        if at + 1 < len(rate_order):
            p.keyboard.press("ArrowRight")
            p.wait_for_function(f"location.hash.startsWith('#/layer/{slug}/channel/{rate_order[at + 1]}')")
            sp.wait("channel")
            p.keyboard.press("ArrowLeft")
            p.wait_for_function(f"location.hash.startsWith('#/layer/{slug}/channel/{ch['i']}')")
            sp.wait("channel")
        p.keyboard.press("ArrowUp")
        p.wait_for_function(f"location.hash === '#/layer/{slug}?sort=rate'")
        sp.wait("layer")
        p.keyboard.press("ArrowUp")
        sp.wait("index")

        # search: "/" focuses it; "<layer> <i>" finds the channel; Enter opens it.
        p.keyboard.press("/")
        assert p.evaluate("document.activeElement.id") == "cv-search"
        other = [c for c in chans if c["i"] != ch["i"]][-1]["i"]
        p.keyboard.type(f"{layer['path'].split('/')[-1]} {other}")
        p.wait_for_selector("#cv-search-results a")
        assert f"channel {other} of {layer['path']}" in p.inner_text("#cv-search-results")
        p.keyboard.press("ArrowDown")  # into the results; ↑ does not leave the page from there
        assert p.evaluate("document.activeElement.closest('#cv-search-results') !== null")
        p.keyboard.press("ArrowUp")
        assert p.evaluate("document.activeElement.id") == "cv-search" and sp.wait("index") is None
        p.keyboard.press("Enter")
        p.wait_for_function(f"location.hash.startsWith('#/layer/{slug}/channel/{other}')")
        sp.wait("channel")
        p.fill("#cv-search", "no such thing")
        assert "Nothing matches" in p.inner_text("#cv-search-results")

        # a class page through search, when the model classifies.
        if index.get("classes"):
            cl = index["classes"][-1]
            p.fill("#cv-search", cl["name"])
            p.wait_for_selector("#cv-search-results a[href^='#/class/']")
            p.click("#cv-search-results a[href^='#/class/']")
            sp.wait("class")
            assert cl["name"] in p.inner_text("#cv-main h1")
            sp.all_images_loaded()
            sp.shot("class")

        # language switch: the channel page in Spanish, then a Portuguese permalink opened cold.
        sp.go(f"#/layer/{slug}/channel/{ch['i']}", "channel")
        p.select_option("#cv-lang", "es")
        p.wait_for_function("document.documentElement.lang === 'es'")
        sp.wait("channel")
        es = sp.text("body")
        assert "Tasa de activación" in es and "Recortes más fuertes" in es
        assert not english_left(sp), english_left(sp)
        sp.sane()
        sp.shot("channel-es")
        sp.go(f"#/layer/{slug}?lang=pt&sort=rate", "layer")
        pt = sp.text("body")
        assert "Ordenar por" in pt and (not dead or "nunca dispara" in pt)
        assert "never fires" not in pt
        # a broken link says what to do next, in the reader's language.
        sp.page.evaluate(f"location.hash = '#/layer/{slug}/channel/9999?lang=es'")
        sp.page.wait_for_selector("#cv-main .cv-error")
        assert "elige uno de 0 a" in sp.text()
        sp.check_clean()
        assert any(u.endswith(f"data/layer-{slug}.js") for u in sp.requests)
        return {"index": index, "requests": len(sp.requests)}
    finally:
        sp.close()


@pytest.mark.browser
def test_hand_made_site_walk(browser, tmp_path):
    """The front end against the schema: every page, search, sort, keys, languages, no network."""
    site = tmp_path / "site"
    make_fixture_site(site)
    out = walk_site(browser, site, "fixture")
    assert out["requests"] > 10


@pytest.mark.browser
def test_site_of_a_model_without_classes(browser, tmp_path):
    """No classes (a regression or segmentation model): no class links, no purity, no ranks,
    and still no "null" or error anywhere."""
    site = tmp_path / "site"
    make_fixture_site(site, classify=False)
    walk_site(browser, site, "noclass")
    sp = SitePage(browser, site, "noclass-channel")
    try:
        sp.open("#/layer/block2_conv1/channel/1")
        assert sp.page.locator("a[href^='#/class/']").count() == 0
        assert sp.page.locator(".cv-mix, .cv-cam").count() == 0
        sp.sane()
        sp.check_clean()
    finally:
        sp.close()


@pytest.mark.browser
def test_permalink_opens_cold_in_its_language(browser, tmp_path):
    """A channel permalink opened in a fresh page shows that channel, in the link's language."""
    site = tmp_path / "site"
    make_fixture_site(site)
    sp = SitePage(browser, site, "permalink")
    try:
        sp.open("#/layer/block2_conv1/channel/3?lang=pt")
        assert sp.page.evaluate("document.documentElement.lang") == "pt"
        assert "block2_conv1 · canal 3" in sp.text("#cv-main h1")
        assert "inacabado" in sp.text()  # channel 3 of the fixture is unfinished
        assert "construa de novo" in sp.text()  # ... and the page says what to do about it
        # only the index and this one layer's data were loaded, not the other layer's.
        data = sorted(u.rsplit("/", 1)[-1] for u in sp.requests if "/data/" in u)
        assert data == ["index.js", "layer-block2_conv1.js"]
        sp.check_clean()
        # The guard is not vacuous: a request leaving the folder is seen and blocked.
        with sp.page.expect_event("requestfailed"):
            sp.page.evaluate("""() => { const i = new Image(); i.src = 'https://example.invalid/x.png';
                                        document.body.append(i); }""")
        assert sp.outside == ["https://example.invalid/x.png"]
    finally:
        sp.close()


@pytest.mark.browser
@pytest.mark.parametrize("lang", ["es", "pt"])
def test_no_english_left(browser, tmp_path, lang):
    """Every kind of page (and the image dialog, and an error) in es/pt carries no English."""
    site = tmp_path / "site"
    make_fixture_site(site)
    sp = SitePage(browser, site, f"lang-{lang}")
    try:
        sp.open(f"#/?lang={lang}")
        pages = [("#/", "index"), ("#/layer/backbone_block1_conv1", "layer"),
                 ("#/layer/backbone_block1_conv1/channel/0", "channel"),
                 ("#/layer/backbone_block1_conv1/channel/1", "channel"),  # the dead one
                 ("#/layer/block2_conv1/channel/3", "channel"),  # unfinished, omitted slices
                 ("#/class/1", "class")]
        for hash_, route in pages:
            sp.go(f"{hash_}?lang={lang}", route)
            assert sp.page.evaluate("document.documentElement.lang") == lang
            assert not english_left(sp), (hash_, english_left(sp))
            sp.sane()
        sp.go(f"#/layer/block2_conv1/channel/0?lang={lang}", "channel")
        sp.go(f"#/layer/block2_conv1/channel/4?lang={lang}", "channel")  # a flat pattern
        assert not english_left(sp), ("flat", english_left(sp))
        sp.go(f"#/layer/block2_conv1/channel/0?lang={lang}", "channel")
        sp.page.click(".cv-patch[data-k='1']")
        sp.page.wait_for_selector(".cv-dialog .cv-box[data-state=placed]")
        assert not english_left(sp), ("dialog", english_left(sp))
        sp.page.keyboard.press("Escape")
        sp.page.evaluate(f"location.hash = '#/layer/nope?lang={lang}'")
        sp.page.wait_for_selector("#cv-main .cv-error")
        assert not english_left(sp), ("error", english_left(sp))
        sp.page.fill("#cv-search", "zzz")
        assert not english_left(sp), ("search", english_left(sp))
        sp.check_clean()
    finally:
        sp.close()


@pytest.mark.browser
@pytest.mark.slow
def test_demo_site_built_by_cv_publish(browser, tmp_path):
    """The real thing: cv.publish builds the demo model's site (two layers, small k and steps)
    and the student's walk works on it from file://, with no request leaving the folder."""
    site = tmp_path / "site"
    result = cv.publish(cv.demo_model(), cv.demo_dataset(), site, layers=["block1_conv1", "block2_conv1"],
                        k=3, steps=8, cam_images=1)
    assert Path(result.path) == site and (site / "index.html").is_file()
    out = walk_site(browser, site, "demo-test")
    index = out["index"]
    assert [l["path"] for l in index["layers"]] == ["block1_conv1", "block2_conv1"]
    assert index["classes"] and len(index["classes"]) == len(cv.demo_dataset().class_names)
