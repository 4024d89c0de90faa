"""The site's folder: its manifest (what is finished), refusing or replacing a folder of other
settings, joining shard folders, and copying the front end in."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

__all__ = ["STATIC_SITE", "read_manifest", "write_manifest", "prepare_folder", "folder_bytes",
           "join_shards", "copy_front_end"]

STATIC_SITE = Path(__file__).resolve().parent.parent / "static" / "site"


def read_manifest(root: Path) -> dict | None:
    try:
        return json.loads((root / "manifest.json").read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None


def write_manifest(root: Path, manifest: dict) -> None:
    tmp = root / "manifest.json.tmp"
    tmp.write_text(json.dumps(manifest, indent=1), encoding="utf-8")
    tmp.replace(root / "manifest.json")


def prepare_folder(root: Path, key: str, overwrite: bool) -> dict | None:
    """The folder's manifest if it is a build of these settings; refuse a different one."""
    manifest = read_manifest(root)
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


def folder_bytes(root: Path) -> int:
    return sum(p.stat().st_size for p in root.rglob("*") if p.is_file())


def join_shards(root: Path, pieces, key: str, manifest: dict) -> list:
    """Copy the finished layers and classes of shard folders ``pieces`` into ``root``."""
    joined = []
    for piece in map(Path, pieces):
        other = read_manifest(piece)
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


def copy_front_end(root: Path) -> None:
    if not (STATIC_SITE / "site.js").is_file():
        raise FileNotFoundError(
            f"The site's front end is missing from the package ({STATIC_SITE}); reinstall "
            f"convviz_widgets, or build it with `npm --prefix js run build`.")
    (root / "assets").mkdir(parents=True, exist_ok=True)
    for name in ("site.js", "site.css"):
        shutil.copy2(STATIC_SITE / name, root / "assets" / name)
    shutil.copy2(STATIC_SITE / "index.html", root / "index.html")
