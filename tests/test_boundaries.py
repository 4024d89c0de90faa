"""Package boundaries: a private module or name is private to its top-level subpackage.

The rule: a private module ``convviz_widgets.a._x`` (or ``convviz_widgets.a.b._x``) may be
imported only by modules inside ``convviz_widgets.a``, and an underscore name may be imported only
from inside its own top-level subpackage. Top-level private modules (``convviz_widgets._demo``,
``convviz_widgets._quiet``) serve the whole package. Widgets reach compute through its public
names (``convviz_widgets.compute``, ``convviz_widgets.compute.cam``), so a refactoring inside
compute cannot break them.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import convviz_widgets

ROOT = Path(convviz_widgets.__file__).parent
PKG = "convviz_widgets"


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def resolve(importer: str, is_package: bool, node: ast.ImportFrom) -> str:
    """The absolute module a ``from ... import`` names."""
    if not node.level:
        return node.module or ""
    base = importer.split(".")
    if not is_package:
        base = base[:-1]
    base = base[:len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def owner(module: str) -> str:
    """The top-level subpackage a module belongs to (``convviz_widgets.a``)."""
    return ".".join(module.split(".")[:2])


def is_private_module(module: str) -> bool:
    """A module below a top-level subpackage with an underscore component."""
    parts = module.split(".")
    return any(p.startswith("_") and not p.startswith("__") for p in parts[2:])


def violations(path: Path) -> list[str]:
    importer = module_name(path)
    is_package = path.name == "__init__.py"
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []

    def check(target: str, names: list[str], lineno: int) -> None:
        if not target.startswith(PKG + ".") or owner(target) == owner(importer) and \
                importer.startswith(owner(target)):
            return
        where = f"{path.relative_to(ROOT.parent)}:{lineno}"
        if is_private_module(target):
            found.append(f"{where} imports private module {target}")
        for n in names:
            if n.startswith("_") and not n.startswith("__"):
                found.append(f"{where} imports private name {n} from {target}")

    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            check(resolve(importer, is_package, node), [a.name for a in node.names],
                  node.lineno)
        elif isinstance(node, ast.Import):
            for a in node.names:
                check(a.name, [], node.lineno)
    return found


def all_modules() -> list[Path]:
    return sorted(p for p in ROOT.rglob("*.py") if "_artifacts" not in p.parts)


def test_rule_catches_a_widget_importing_compute_privately(tmp_path):
    fake = ROOT / "widgets" / "_boundary_probe.py"
    try:
        fake.write_text("from ..compute.cam._engine import _meta\n"
                        "from ..compute import _access\n"
                        "from ..compute import output_info\n"
                        "from .._demo import demo_model\n"
                        "from ._base import View\n", encoding="utf-8")
        found = violations(fake)
    finally:
        fake.unlink()
    assert len(found) == 3, found  # private module, its private name, a private module by name
    assert any("private module convviz_widgets.compute.cam._engine" in f for f in found)
    assert any("private name _access" in f for f in found)


def test_compute_imports_its_own_private_modules_freely():
    assert violations(ROOT / "compute" / "cam" / "_engine.py") == []
    assert violations(ROOT / "compute" / "trust.py") == []


@pytest.mark.parametrize("path", all_modules(), ids=lambda p: str(p.relative_to(ROOT)))
def test_no_module_imports_another_subpackage_privately(path):
    assert violations(path) == []
