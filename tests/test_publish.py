"""cv.publish: the static site builder (issue 26; format in convviz_widgets/publish/FORMAT.md).

Small builds (a slice of the demo data, two layers, k=2, a few steps) so the file stays near a
minute; the browser side is tests/browser/test_publish_site.py.
"""

import json
import re
import threading
from pathlib import Path

import numpy as np
import pytest

import convviz_widgets as cv
from conftest import H, W, make_nested, make_subclassed

LAYERS = ["block1_conv1", "block3_conv2"]
SMALL = dict(k=2, steps=4, cam_images=1)


class Scenes:
    """The first images of the demo data set, with its labels and class names."""

    def __init__(self, n=60):
        full = cv.demo_dataset()
        self.images, self.labels = full.images[:n], full.labels[:n]
        self.class_names = full.class_names


def read_js(path: Path) -> dict:
    """The object a data/*.js file assigns (the site's data is JavaScript, see FORMAT.md)."""
    text = path.read_text(encoding="utf-8")
    body = text.split("\n", 1)[1]
    return json.loads(body.split(" = ", 1)[1].rstrip().rstrip(";"))


def referenced(value) -> list[str]:
    """Every "img/..." path a data object names."""
    if isinstance(value, dict):
        return [p for v in value.values() for p in referenced(v)]
    if isinstance(value, list):
        return [p for v in value for p in referenced(v)]
    return [value] if isinstance(value, str) and value.startswith("img/") else []


def all_files(root: Path) -> dict:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


@pytest.fixture(scope="module")
def demo():
    return cv.demo_model()


@pytest.fixture(scope="module")
def scenes():
    return Scenes()


@pytest.fixture(scope="module")
def built(demo, scenes, tmp_path_factory):
    base = tmp_path_factory.mktemp("pub")
    result = cv.publish(demo, scenes, base / "site", layers=LAYERS, **SMALL)
    return base, result


def test_demo_site_follows_the_format(built, scenes):
    base, result = built
    root = base / "site"
    assert sorted(p.name for p in base.iterdir()) == ["site"]  # no file outside the folder
    for name in ("index.html", "assets/site.js", "assets/site.css", "data/index.js",
                 "manifest.json"):
        assert (root / name).is_file(), name
    index = read_js(root / "data" / "index.js")
    assert index["format"] == 1 and index["lang"] == "en"
    assert [entry["path"] for entry in index["layers"]] == LAYERS
    assert index["data"]["n_images"] == len(scenes.images)
    assert index["settings"]["k"] == 2 and index["settings"]["steps"] == 4
    assert [c["name"] for c in index["classes"]] == list(scenes.class_names)
    published = [entry for entry in index["model"]["layers"] if entry["published"]]
    assert [entry["slug"] for entry in published] == LAYERS
    for slug in LAYERS:
        layer = read_js(root / "data" / f"layer-{slug}.js")
        channels = layer["channels"]
        assert [c["i"] for c in channels] == list(range(len(channels)))
        assert len(channels) == next(e for e in index["layers"] if e["slug"] == slug)["channels"]
        for c in channels:
            assert 0.0 <= c["rate"] <= 1.0
            assert c["dead"] == (c["rate"] == 0.0)
            assert len(c["examples"]) == 2
            ranks = sorted(r for r in c["cam_rank"].values())
            assert all(1 <= r <= len(channels) for r in ranks)
            assert abs(sum(c["class_mix"].values()) - 1.0) < 1e-6
            y0, x0, y1, x1 = c["examples"][0]["box"]
            assert 0 <= y0 < y1 <= 64 and 0 <= x0 < x1 <= 64
            assert c["kernel"]["vmin"] == -c["kernel"]["vmax"]
        # For each class, competition ranks: 1 is taken, and a rank r is held by channels
        # that have exactly r - 1 channels above them.
        for j in range(len(scenes.class_names)):
            ranks = sorted(c["cam_rank"][str(j)] for c in channels)
            assert ranks[0] == 1
            assert all(r == 1 + sum(q < r for q in ranks) for r in ranks)
        for path in referenced(layer):
            assert (root / path).is_file(), path
    first = read_js(root / "data" / "layer-block1_conv1.js")["channels"][0]["kernel"]
    assert len(first["slices"]) == 3 and first["rgb"] and first["omitted"] == 0
    for j in range(len(scenes.class_names)):
        page = read_js(root / "data" / f"class-{j}.js")
        assert page["best"] and page["worst"]
        assert all(row["label"] == j for row in page["best"] + page["worst"])
        assert page["best"][0]["p"] >= page["worst"][0]["p"]
        for path in referenced(page):
            assert (root / path).is_file(), path


def test_result_size_and_repr(built):
    base, result = built
    root = base / "site"
    assert result.path == root
    assert result.bytes == sum(len(b) for b in all_files(root).values())
    assert result.bytes < 5e6  # two layers of a 60-image slice
    assert result.pages == 1 + 2 + (16 + 64) + 5
    assert not result.cancelled and set(LAYERS) <= set(result.built)
    assert set(result.layer_seconds) == set(LAYERS)
    text = repr(result)
    assert "\n" not in text and text.startswith("PublishResult(") and "pages=88" in text


def test_second_call_resumes_and_other_settings_are_refused(built, demo, scenes):
    base, _ = built
    root = base / "site"
    before = all_files(root)
    again = cv.publish(demo, scenes, root, layers=LAYERS, **SMALL)
    assert again.built == [] and set(LAYERS) <= set(again.resumed)
    after = all_files(root)
    # At most the index (its build time, to the second) is rewritten; every picture and page
    # stays as it was.
    assert {n for n in after if after[n] != before.get(n)} <= {"data/index.js"}
    assert set(after) == set(before)
    with pytest.raises(FileExistsError, match="overwrite=True"):
        cv.publish(demo, scenes, root, layers=LAYERS, k=3, steps=4, cam_images=1)


def test_cancel_leaves_a_resumable_folder(demo, scenes, tmp_path):
    root = tmp_path / "site"

    def stop_after_first_layer(done, total):
        return not (root / "data" / "layer-block1_conv1.js").exists()

    part = cv.publish(demo, scenes, root, layers=LAYERS, on_step=stop_after_first_layer,
                      **SMALL)
    assert part.cancelled and part.built == ["block1_conv1"]
    index = read_js(root / "data" / "index.js")
    assert [e["path"] for e in index["layers"]] == ["block1_conv1"]  # a working partial site
    kept = (root / "data" / "layer-block1_conv1.js").read_bytes()
    rest = cv.publish(demo, scenes, root, layers=LAYERS, **SMALL)
    assert not rest.cancelled and rest.resumed == ["block1_conv1"]
    assert "block3_conv2" in rest.built and "block1_conv1" not in rest.built
    assert (root / "data" / "layer-block1_conv1.js").read_bytes() == kept
    assert [e["path"] for e in read_js(root / "data" / "index.js")["layers"]] == LAYERS


def test_cancel_event_before_start(demo, scenes, tmp_path):
    stop = threading.Event()
    stop.set()
    res = cv.publish(demo, scenes, tmp_path / "s", layers=LAYERS, cancel=stop, **SMALL)
    assert res.cancelled and res.built == []
    assert read_js(tmp_path / "s" / "data" / "index.js")["layers"] == []


def test_shards_join_to_the_same_site(built, demo, scenes, tmp_path):
    base, _ = built
    for i in range(2):
        piece = cv.publish(demo, scenes, tmp_path / f"part{i}", layers=LAYERS, shard=(i, 2),
                           **SMALL)
        assert piece.built[0] == LAYERS[i]
    joined = cv.publish(demo, scenes, tmp_path / "site", layers=LAYERS,
                        join=[tmp_path / "part0", tmp_path / "part1"], **SMALL)
    assert set(LAYERS) <= set(joined.built)
    one, two = all_files(base / "site"), all_files(tmp_path / "site")
    assert set(one) == set(two)
    differ = {n for n in one if one[n] != two[n]}
    assert differ <= {"data/index.js", "manifest.json"}
    a, b = read_js(base / "site" / "data" / "index.js"), read_js(tmp_path / "site" / "data" /
                                                                "index.js")
    a.pop("made"), b.pop("made")
    assert a == b


def test_overwrite_and_foreign_folders(demo, scenes, tmp_path):
    foreign = tmp_path / "notes"
    foreign.mkdir()
    (foreign / "mine.txt").write_text("keep me")
    with pytest.raises(FileExistsError, match="no manifest.json"):
        cv.publish(demo, scenes, foreign, layers=LAYERS[:1], **SMALL)
    assert (foreign / "mine.txt").read_text() == "keep me"
    root = tmp_path / "site"
    cv.publish(demo, scenes, root, layers=LAYERS[:1], **SMALL)
    res = cv.publish(demo, scenes, root, layers=LAYERS[1:], overwrite=True, **SMALL)
    assert res.built[0] == LAYERS[1] and res.resumed == []
    assert not (root / "img" / "block1_conv1").exists()


@pytest.mark.parametrize("make", [make_subclassed, make_nested], ids=["subclassed", "nested"])
def test_other_model_styles_build(make, tmp_path):
    # Non-square inputs (the subclassed model was built on 40×56); a small nested backbone.
    model, (h, w, c) = (make(), (H, W, 3)) if make is make_subclassed else (make(48, 64), (48, 64, 3))
    rng = np.random.default_rng(0)
    images = rng.random((6, h, w, c), dtype=np.float32)
    labels = np.arange(6) % 2
    res = cv.publish(model, images, tmp_path / "site", labels=labels, k=2, steps=3,
                     cam_images=1, lang="es")
    assert not res.cancelled
    index = read_js(tmp_path / "site" / "data" / "index.js")
    kernel_layers = [i.path for i in cv.conv_layers(model, kind="kernel")]
    assert [e["path"] for e in index["layers"]] == kernel_layers
    assert index["lang"] == "es" and len(index["classes"]) >= 2
    for e in index["layers"]:
        assert re.fullmatch(r"[A-Za-z0-9_-]+", e["slug"])
        layer = read_js(tmp_path / "site" / "data" / f"layer-{e['slug']}.js")
        for path in referenced(layer):
            assert (tmp_path / "site" / path).is_file()
    if make is make_nested:
        nested = [e for e in index["model"]["layers"] if e["depth"] == 1]
        assert {e["path"] for e in nested} >= {"vgg16/block1_conv1", "vgg16/block2_conv1"}


def test_bad_arguments_say_what_to_do(demo, scenes, tmp_path):
    with pytest.raises(ValueError, match="feature map"):
        cv.publish(demo, scenes, tmp_path / "a", layers=["predictions"], **SMALL)
    with pytest.raises(ValueError, match="shard"):
        cv.publish(demo, scenes, tmp_path / "b", shard=(2, 2), **SMALL)
    with pytest.raises(ValueError, match="array"):
        cv.publish(demo, scenes.images[0], tmp_path / "c", **SMALL)


def test_publish_panel_builds_and_cancels_through_its_controls(demo, scenes, tmp_path):
    from convviz_widgets.widgets._publish_panel import PublishPanel

    panel = PublishPanel(demo, scenes, lang="es", **SMALL)
    assert panel.build_button.description == "Construir sitio"
    assert set(panel.layer_picker.options) == {i.path for i in cv.conv_layers(demo, "kernel")}
    panel.folder_box.value = str(tmp_path / "site")
    panel.layer_picker.value = ("block1_conv1",)
    panel.build_button.click()
    panel.cancel_button.click()  # stops before the next unit of work
    panel.wait(600)
    # Cancelled before or after its first unit of work: no finished site, and it says so.
    assert not panel.running and (panel.result is None or panel.result.cancelled)
    assert "Construye de nuevo" in panel.status.value
    panel.build_button.click()  # resumes
    panel.wait(600)
    assert panel.result is not None and not panel.result.cancelled
    assert panel.progress.value == panel.progress.max
    assert "Sitio escrito" in panel.status.value and "index.html" in panel.status.value
    assert "Abrir el sitio" in panel.status.value
    assert (tmp_path / "site" / "data" / "layer-block1_conv1.js").is_file()
    assert not panel.build_button.disabled and panel.cancel_button.disabled
    # Another site's folder: the panel says what to do, in Spanish.
    panel.layer_picker.value = ("block3_conv2",)
    panel.build_button.click()
    panel.wait(600)
    assert "elige otra carpeta" in panel.status.value


def test_docstring_examples_run():
    import doctest

    from convviz_widgets.publish import _build, _folder, _pages

    results = [doctest.testmod(m, extraglobs={"cv": cv}) for m in (_build, _folder, _pages)]
    assert sum(r.failed for r in results) == 0
    assert sum(r.attempted for r in results) >= 1
