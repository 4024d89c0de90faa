"""The committed front-end bundles match their sources (so ``pip install`` needs no Node).

``js/build.mjs`` records a sha256 over ``js/src/**`` in ``convviz_widgets/static/manifest.json``
and the sha256 of each bundle it wrote. Content hashes, not mtimes: git checkouts reset mtimes.
Fix a failure with ``npm --prefix js run build`` (after ``npm --prefix js install``).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SRC = REPO / "js" / "src"
STATIC = REPO / "convviz_widgets" / "static"
REBUILD = "run `npm --prefix js install && npm --prefix js run build` and commit static/"


def source_hash() -> tuple[str, list[str]]:
    """Same recipe as js/build.mjs: sha256 of "<posix path>\\0<bytes>\\0" in sorted order."""
    files = sorted(p.relative_to(SRC).as_posix() for p in SRC.rglob("*") if p.is_file())
    h = hashlib.sha256()
    for rel in files:
        h.update(rel.encode() + b"\0")
        h.update((SRC / rel).read_bytes())
        h.update(b"\0")
    return h.hexdigest(), files


@pytest.fixture(scope="module")
def manifest() -> dict:
    # The tests run from a checkout; a missing js/src is a broken tree, not a reason to skip.
    assert SRC.is_dir(), f"missing front-end source {SRC}"
    path = STATIC / "manifest.json"
    assert path.is_file(), f"missing {path}: {REBUILD}"
    return json.loads(path.read_text())


def test_bundles_are_built_from_the_current_sources(manifest):
    digest, files = source_hash()
    changed = sorted(set(files) ^ set(manifest.get("sources", [])))
    assert manifest["source_sha256"] == digest, (
        f"js/src changed since the bundles were built (files added/removed: {changed or 'none'}"
        f"): {REBUILD}")


def test_every_entry_point_has_its_bundle(manifest):
    entries = sorted(p.name for p in SRC.glob("*.js"))
    assert entries, "no entry points in js/src"
    for name in entries:
        assert name in manifest["bundles"], f"no bundle for js/src/{name}: {REBUILD}"
        assert (STATIC / name).is_file(), f"static/{name} missing: {REBUILD}"


def test_bundles_are_the_files_the_build_wrote(manifest):
    for name, digest in manifest["bundles"].items():
        data = (STATIC / name).read_bytes()
        assert hashlib.sha256(data).hexdigest() == digest, (
            f"static/{name} differs from what the build wrote (edited by hand?): {REBUILD}")
        # anywidget loads an ES module with a default export.
        assert b"export" in data, f"static/{name} is not an ES module"


def test_widgets_load_the_bundle_from_the_package():
    from convviz_widgets.widgets import RasterView

    esm = str(RasterView._esm)
    assert "render" in esm  # anywidget read the file's contents, not a URL
    assert (STATIC / "raster.js").read_text() == esm
