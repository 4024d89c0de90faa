"""Every module of the package is small enough to read, and imports at its top.

Issue 24: modules are split by responsibility, each at most :data:`MAX_LINES` lines, and imports
sit at the top of the module, where a reader (and the import-circle test) sees them. An import
inside a function hides a dependency — often a circle that should have been removed instead — so
every one is refused except the deliberate lazy ones of :data:`LAZY_ALLOWED`, each with its
reason. The source is read with ``ast``; nothing is imported but the package itself.
"""

from __future__ import annotations

import ast
from pathlib import Path

import convviz_widgets

ROOT = Path(convviz_widgets.__file__).parent
PKG = "convviz_widgets"
MAX_LINES = 500

#: ``{module: {imported module: why it is imported inside a function}}``: the deliberate lazy
#: imports (a heavy or optional dependency that most users never need). Nothing else may import
#: inside a function; an entry nothing matches any more is an error too, so the list stays true.
LAZY_ALLOWED = {
    # `import convviz_widgets.compute` (scripts, workers, the boundary tests) must not load
    # ipywidgets/anywidget: the widget classes are imported on first use (module __getattr__).
    PKG: {f"{PKG}.widgets": "widget classes load ipywidgets/anywidget on first use"},
    # google.colab exists only inside Colab; it is imported only when already loaded there.
    f"{PKG}.widgets._base": {"google.colab": "exists only inside Colab"},
}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def modules() -> dict[str, Path]:
    """Every Python module of the package, by dotted name."""
    return {module_name(p): p for p in sorted(ROOT.rglob("*.py"))}


def line_count(path: Path) -> int:
    return len(path.read_text(encoding="utf-8").splitlines())


def _absolute(module: str, is_package: bool, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    base = module.split(".") if is_package else module.split(".")[:-1]
    base = base[:len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def function_imports(source: str, module: str, is_package: bool = False,
                     known=frozenset()) -> list[tuple[int, str]]:
    """``(line, imported module)`` of every import inside a function, lambda or method of
    ``source``, the text of ``module`` (``from pkg import sub`` names ``pkg.sub`` when it is one
    of the ``known`` modules)."""
    found = []

    def visit(node, inside: bool):
        for child in ast.iter_child_nodes(node):
            if inside and isinstance(child, ast.Import):
                found.extend((child.lineno, a.name) for a in child.names)
            elif inside and isinstance(child, ast.ImportFrom):
                base = _absolute(module, is_package, child)
                found.extend(sorted({(child.lineno, f"{base}.{a.name}" if f"{base}.{a.name}"
                                      in known else base) for a in child.names}))
            visit(child, inside or isinstance(
                child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)))

    visit(ast.parse(source), False)
    return found


def imports_inside_functions() -> list[tuple[str, int, str]]:
    """``(module, line, imported module)`` over the whole package."""
    found = modules()
    return [(name, line, imported) for name, path in found.items()
            for line, imported in function_imports(path.read_text(encoding="utf-8"), name,
                                                   path.name == "__init__.py", set(found))]


def _allowed(module: str, imported: str) -> bool:
    return any(imported == a or imported.startswith(a + ".")
               for a in LAZY_ALLOWED.get(module, {}))


def test_line_count_counts_lines(tmp_path):
    f = tmp_path / "m.py"
    f.write_text("a = 1\n\nb = 2\n", encoding="utf-8")
    assert line_count(f) == 3


def test_function_imports_are_found_and_resolved():
    source = ("import os\n\n\ndef f():\n    import json\n    from .. import progress\n\n\n"
              "class C:\n    def m(self):\n        from ._loop import optimize\n\n\n"
              "if True:\n    from . import param\n")
    found = function_imports(source, f"{PKG}.compute.maximize._api")
    # Module-level imports (also under an `if`) are not counted; relative ones are resolved.
    assert found == [(5, "json"), (6, f"{PKG}.compute"), (11, f"{PKG}.compute.maximize._loop")]
    assert function_imports("def f():\n    from . import x\n", f"{PKG}.display", True) == [
        (2, f"{PKG}.display")]
    assert function_imports("def f():\n    from . import widgets\n", PKG, True,
                            {f"{PKG}.widgets"}) == [(2, f"{PKG}.widgets")]


def test_every_module_is_at_most_500_lines():
    long = {name: n for name, path in modules().items() if (n := line_count(path)) > MAX_LINES}
    assert long == {}, (f"modules over {MAX_LINES} lines — split them by responsibility (what "
                        f"each part owns), not by length: {long}")


def test_no_imports_inside_functions_beyond_the_deliberate_lazy_ones():
    found = sorted(f"{name}:{line} imports {imported}"
                   for name, line, imported in imports_inside_functions()
                   if not _allowed(name, imported))
    assert found == [], ("imports inside functions: move each to the top of its module (remove "
                         "the circle if one needs it), or add a deliberate lazy one to "
                         f"LAZY_ALLOWED with its reason: {found}")


def test_every_allowed_lazy_import_still_exists():
    present = {(name, imported) for name, _, imported in imports_inside_functions()}
    stale = sorted(f"{m} -> {a}" for m, allowed in LAZY_ALLOWED.items() for a in allowed
                   if not any(n == m and (i == a or i.startswith(a + ".")) for n, i in present))
    assert stale == [], f"LAZY_ALLOWED lists imports that are gone; remove them: {stale}"
