"""compute/ and widgets/ have no import circle, and their modules import at the top.

A circle between modules works only by the order Python happens to run them in. The graph here
is built from the source (ast), not by importing: an edge ``a -> b`` for every module-level
``import``/``from ... import`` of a project module in ``a`` (not under ``if TYPE_CHECKING:``).
A lazy import inside a function could hide a circle, so imports inside functions are refused
too, except the few listed in :data:`LAZY_ALLOWED` with their reason.
"""

import ast
from pathlib import Path

import convviz_widgets

ROOT = Path(convviz_widgets.__file__).parent
PKG = "convviz_widgets"
COMPUTE = f"{PKG}.compute"
WIDGETS = f"{PKG}.widgets"
#: Imports inside functions that are deliberate (a heavy optional library, or a module of
#: another helper's area that is still lazy). Keys are modules, values the imported modules.
LAZY_ALLOWED: dict[str, set[str]] = {}


def module_name(path: Path) -> str:
    rel = path.relative_to(ROOT.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def known_modules() -> dict[str, Path]:
    return {module_name(p): p for p in ROOT.rglob("*.py") if "_artifacts" not in p.parts}


def _type_checking(node) -> bool:
    return isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)


def imports(path: Path, known) -> list[tuple[str, bool]]:
    """``(imported module, at module level)`` for every project import of the file."""
    name = module_name(path)
    is_pkg = path.name == "__init__.py"
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out = []

    def visit(node, top: bool):
        for child in ast.iter_child_nodes(node):
            if _type_checking(child):
                continue
            inner = top and not isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef,
                                                    ast.Lambda))
            if isinstance(child, ast.Import):
                out.extend((a.name, top) for a in child.names if a.name in known)
            elif isinstance(child, ast.ImportFrom):
                if child.level:
                    base = name.split(".") if is_pkg else name.split(".")[:-1]
                    base = base[:len(base) - (child.level - 1)]
                    mod = ".".join(base + ([child.module] if child.module else []))
                else:
                    mod = child.module or ""
                for a in child.names:
                    sub = f"{mod}.{a.name}"
                    if sub in known:  # `from . import gradcam`: the submodule
                        out.append((sub, top))
                    elif mod in known:
                        out.append((mod, top))
            visit(child, inner)

    visit(tree, True)
    return [(m, top) for m, top in out if m != name]


def graph(prefix=COMPUTE):
    known = known_modules()
    return {name: imports(path, known) for name, path in known.items()
            if name == prefix or name.startswith(prefix + ".")}


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index, low, stack, on, out = {}, {}, [], set(), []
    counter = [0]

    def strong(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in edges.get(v, ()):
            if w not in index:
                strong(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in list(edges):
        if v not in index:
            strong(v)
    return out


def test_the_cycle_finder_finds_a_circle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_the_graph_sees_relative_lazy_and_submodule_imports():
    g = graph()
    cam = dict(g[f"{COMPUTE}.cam"])
    assert f"{COMPUTE}.cam.gradcam" in cam  # `from . import gradcam as ...`
    # a lazy import (the package's one on purpose: widget classes load on first use) is seen,
    # and seen as not at the top
    assert (WIDGETS, False) in graph(PKG)[PKG]


def test_compute_has_no_import_circle():
    g = graph()
    edges = {m: {t for t, top in deps if top and t.startswith(COMPUTE) and t != COMPUTE}
             for m, deps in g.items()}
    # A package importing its own submodules, and a submodule importing a sibling, is not a
    # circle; a submodule importing its package's __init__ is one only if that __init__ leads
    # back to it, which the graph keeps.
    assert cycles(edges) == [], cycles(edges)


def test_compute_imports_are_at_module_top():
    lazy = sorted((m, t) for m, deps in graph().items() for t, top in deps
                  if not top and t not in LAZY_ALLOWED.get(m, set()))
    assert lazy == [], ("imports inside functions (move them to the top of the module, or "
                        f"break the circle that needs them): {lazy}")


#: The widgets' deliberate lazy imports of project modules: none (google.colab is not ours; the
#: bundled demo is part of the package, which imports it at its top anyway).
WIDGETS_LAZY_ALLOWED: dict[str, set[str]] = {}


def test_widgets_have_no_import_circle():
    g = graph(WIDGETS)
    edges = {m: {t for t, top in deps if top and t.startswith(WIDGETS) and t != WIDGETS}
             for m, deps in g.items()}
    assert cycles(edges) == [], cycles(edges)


def test_widgets_imports_are_at_module_top():
    lazy = sorted((m, t) for m, deps in graph(WIDGETS).items() for t, top in deps
                  if not top and t not in WIDGETS_LAZY_ALLOWED.get(m, set()))
    assert lazy == [], ("imports inside functions (move them to the top of the module, or "
                        f"break the circle that needs them): {lazy}")
