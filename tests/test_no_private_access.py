"""Tests drive views through public traits and controls, not private attributes.

A test that reads ``view._slider`` or calls ``view._count()`` breaks whenever the view's
internals are reorganised, although nothing a user sees changed. Widget tests go through
:class:`_driver.Driver` (controls found by role or visible label) and public traits instead.

This test scans every ``tests/*.py`` for ``something._name`` (one leading underscore, not a
dunder; ``self._x`` inside a test's own helper class is its own business) and for
``setattr(obj, "_name", ...)`` / ``monkeypatch.setattr(obj, "_name", ...)``. What remains is
listed in :data:`ALLOWED` with the reason: compute-level internals that are the thing under
test, the driver's one entry for front-end messages, and the few view internals not yet
converted (each says why). An entry that is no longer used must be removed, so the list only
shrinks with the tests.
"""
from __future__ import annotations

import ast
from pathlib import Path

HERE = Path(__file__).resolve().parent

#: file name -> {private name: why this test may use it}.
ALLOWED: dict[str, dict[str, str]] = {
    # The driver is the one place that simulates the browser: ipywidgets' entry points for a
    # front end's custom message and for a whole comm message (an upload's state update).
    "_driver.py": {
        "_handle_custom_msg": "front-end click message, as the kernel delivers it",
        "_handle_msg": "front-end comm message (an upload), as the kernel delivers it",
        # ipywidgets keeps add_class()'s roles in this trait and offers no getter.
        "_dom_classes": "the CSS roles a control carries (read only)",
    },
    # anywidget names a widget's front end by the class attribute `_esm` (its public API).
    "test_bundle.py": {"_esm": "anywidget's documented front-end module attribute"},
    # The late-bytes protocol (open without buffers, send bytes next) is what is tested.
    "test_colab_compat.py": {"_binary_traits": "the LateBytes contract under test"},
    # Compute internals that are the subject of the test (compiled-function and cache reuse,
    # the CAM engine's pieces, the fast maximisation path).
    "test_gradcam.py": {
        "_capture_fn": "spy: one compiled capture per layer",
        "_masked_fn": "spy: Score-CAM's masked batches reuse one function",
        "_meta": "the engine's layer order, checked against the model",
        "_activation_for": "the engine's activation, checked against keras",
        "_head_fn": "the engine's head function, checked against keras",
    },
    "test_example_host.py": {
        "_steps": "the JAX/PyTorch step run on TensorFlow against the TF graph step",
        "_peaks": "the host step's row-then-column peak search against a flat argmax",
    },
    "test_filter_maximizer_widget.py": {"_fns": "trace counts of ModelAccess's compiled steps"},
    "test_gradcam_widget.py": {"_capture_fn": "spy: the viewer's CAMs reuse compiled captures"},
    "test_model_access.py": {
        "_fns": "the bound on ModelAccess's compiled-function cache",
        "_direct_assign": "asserts keras' Variable method is NOT replaced by the package",
    },
    "test_input_size.py": {"_probe_any_size": "counts ModelAccess's size probes"},
    "test_load_and_faults.py": {
        "_items": "the compute cache's entries after a cancelled Score-CAM",
    },
    # Module-level state reset between tests.
    "test_channel_card.py": {"_MEMO": "the bundled examples' memo, emptied per test"},
    "test_widgets_views.py": {"_COLAB_DONE": "Colab's one-time switch, reset per test"},
    # Owned by the raster helper (issue 24 step 5 changes the grid's wire format): its clicks
    # can move to Driver.click_tile, its message spy has no public counterpart.
    "test_grid.py": {
        "_handle_custom_msg": "front-end click (to move to Driver.click_tile)",
        "_send": "spy on the messages a grid sends to the browser",
    },
    # View internals not converted yet (no public way to do the same thing today):
    "test_error_display.py": {
        "_show_error": "puts one TensorFlow error in four views to compare how they show it",
        "_check_layer": "makes one Explorer page alone refuse a layer",
    },
}


def _private(name) -> bool:
    return isinstance(name, str) and name.startswith("_") and not name.startswith("__")


def private_uses(path: Path) -> list[tuple[int, str]]:
    """``(line, name)`` of every private attribute ``path`` reads, writes or sets by name."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and _private(node.attr):
            if isinstance(node.value, ast.Name) and node.value.id in ("self", "cls"):
                continue
            found.append((node.lineno, node.attr))
        elif isinstance(node, ast.Call) and len(node.args) >= 2:
            fn = node.func
            name = fn.attr if isinstance(fn, ast.Attribute) else getattr(fn, "id", "")
            arg = node.args[1]
            if name in ("setattr", "getattr", "delattr") and isinstance(arg, ast.Constant) \
                    and _private(arg.value):
                found.append((node.lineno, arg.value))
    return sorted(found)


def _test_files() -> list[Path]:
    return sorted(HERE.glob("*.py"))


def test_tests_use_no_private_attribute_outside_the_allow_list():
    bad = []
    for path in _test_files():
        allowed = ALLOWED.get(path.name, {})
        bad += [f"{path.name}:{line}: ._{name[1:]}" for line, name in private_uses(path)
                if name not in allowed]
    assert not bad, ("Tests reach into private attributes. Drive the view through its controls "
                     "and public traits (tests/_driver.py: Driver.set/click/click_tile/status/"
                     "html), or give the view a small documented public read-only property; "
                     "a compute internal that is the subject of its test goes into ALLOWED "
                     "with the reason:\n" + "\n".join(bad))


def test_the_allow_list_has_no_stale_entry():
    used = {path.name: {name for _, name in private_uses(path)} for path in _test_files()}
    stale = [f"{file}: {name}" for file, names in ALLOWED.items() for name in names
             if name not in used.get(file, set())]
    assert not stale, "Remove these ALLOWED entries (no longer used):\n" + "\n".join(stale)


def test_the_scan_finds_what_it_must(tmp_path):
    """The scanner itself: a view's private control, a private call, a setattr by name; and
    it lets ``self._x`` and dunders pass."""
    probe = tmp_path / "probe.py"
    probe.write_text("view._slider.value = 3\n"
                     "n = view._count()\n"
                     "monkeypatch.setattr(view, '_check_layer', None)\n"
                     "class Fake:\n"
                     "    def __init__(self):\n"
                     "        self._log = []\n"
                     "        self.__dict__.clear()\n", encoding="utf-8")
    assert private_uses(probe) == [(1, "_slider"), (2, "_count"), (3, "_check_layer")]
