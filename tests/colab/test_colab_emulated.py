"""Every view under Colab's widget front end, emulated by ../shared/colab-emu.

Colab runs ipywidgets 7.7.1 in the kernel and draws widgets with its own manager built on the
ipywidgets 8 *alpha* JavaScript, one manager per output frame. ``colab-emu`` bundles that public
manager (googlecolab/colab-cdn-widget-manager) unmodified, runs the cells of
``colab_cells.py`` in a real kernel with those pins and renders every output in headless
Chromium, one frame per cell; it fails a cell on a console error, a view that failed or an
empty output. Here we also check what the cells are for: every view drawn, a second frame of
views drawn earlier, each Explorer page the only visible one when selected, a page-button click
and an upload from the page reaching the kernel (the cells assert those in Python).

The emulator lives next to the repository (``../shared/colab-emu``; ``CONVVIZ_COLAB_EMU``
overrides it); where it is absent, tests/_shared_tools.py says what happens (skipped by
``.ci/run`` with one summary line; a failure when run by hand or in CI). Its venv (ipywidgets
7.7.1, anywidget 0.9.21, ipycanvas 0.14.3, tensorflow-cpu) is made on first use in
``.colab-emu-venv/`` (git-ignored; ``CONVVIZ_COLAB_EMU_VENV`` overrides it); later runs reuse it. Screenshots go to ``tests/browser/_artifacts/colab/``.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests"))
from _shared_tools import require  # noqa: E402  (tests/ is not a package)

pytestmark = [pytest.mark.browser, pytest.mark.colab]

VENV = Path(os.environ.get("CONVVIZ_COLAB_EMU_VENV", REPO / ".colab-emu-venv"))
CELLS = "tests/colab/colab_cells.py"
ARTIFACTS = REPO / "tests" / "browser" / "_artifacts" / "colab"
#: The first run builds the emulator's venv and installs tensorflow-cpu (a large download).
TIMEOUT = 45 * 60


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    # Absent emulator: skipped where .ci/run said so (CONVVIZ_SHARED_TOOLS=absent), else a failure.
    run_sh = require("colab")
    out = tmp_path_factory.mktemp("colab-emu") / "out"
    env = dict(os.environ)
    env["COLAB_EMU_VENV"] = str(VENV)
    # The emulator installs this checkout (editable) into its venv; a PYTHONPATH pointing at
    # another checkout must not win inside its kernel.
    env.pop("PYTHONPATH", None)
    proc = subprocess.run(["bash", str(run_sh), CELLS, f"{out}/"], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=TIMEOUT)
    report_path = out / "report.json"
    if not report_path.is_file():
        pytest.fail(f"colab-emu wrote no report (exit {proc.returncode}):\n"
                    f"{proc.stderr[-4000:]}\n{proc.stdout[-2000:]}")
    report = json.loads(report_path.read_text())
    if ARTIFACTS.exists():
        shutil.rmtree(ARTIFACTS)
    ARTIFACTS.mkdir(parents=True)
    for f in list(out.glob("*.png")) + [report_path]:
        shutil.copyfile(f, ARTIFACTS / f.name)
    return proc, report


def _cell(report, first_line: str) -> dict:
    """The cell whose first code line (comments skipped) starts with ``first_line``."""
    found = [c for c in report["cells"] if c["first_line"].startswith(first_line)]
    assert len(found) == 1, (first_line, [c["first_line"] for c in report["cells"]])
    return found[0]


def _why(cell) -> str:
    return json.dumps({k: cell.get(k) for k in ("index", "first_line", "problems",
                                                "kernel_errors", "failed_views",
                                                "console_errors", "page_errors")}, indent=1)


def test_every_cell_renders_cleanly(run):
    proc, report = run
    bad = [c for c in report["cells"] if c["status"] != "ok"]
    assert not bad and not report["problems"], (
        "cells failed under emulated Colab:\n" + "\n".join(_why(c) for c in bad)
        + f"\nrun problems: {report['problems']}\nscreenshots: {ARTIFACTS}")
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert report["ok"] and report["summary"]["failed"] == 0


def test_it_is_the_colab_setup(run):
    """Kernel ipywidgets 7.7.1 drawn by the ipywidgets 8 alpha JavaScript of Colab's manager."""
    _, report = run
    assert report["versions"]["ipywidgets"] == "7.7.1"
    assert "colab-cdn-widget-manager" in report["frontend"]
    assert "controls 4.0.0-alpha" in report["frontend"]


@pytest.mark.parametrize("first_line, canvases", [
    ("kv = cv.KernelViewer", 3), ("av = cv.ActivationViewer", 3),
    ("gc = cv.GradCAMViewer", 2), ("fm = cv.FilterMaximizer", 0), ("ex = cv.Explorer", 3),
    ("cs = cv.ConvStepViewer", 2), ("dd = cv.DeepDreamViewer", 1), ("cb = cv.ChannelBrowser", 2),
])
def test_every_view_is_drawn(run, first_line, canvases):
    _, report = run
    cell = _cell(report, first_line)
    assert cell["views_failed"] == 0 and cell["views_visible"] > 5, _why(cell)
    assert cell["canvases_drawn"] >= canvases, _why(cell)
    # Still drawn after every later cell, and the maximizer's pattern drawn by its run.
    assert cell["views_visible_at_end"] > 5 and cell["canvases_drawn_at_end"] >= max(canvases, 1)


def test_a_second_frame_draws_views_shown_before(run):
    _, report = run
    first = _cell(report, "kv = cv.KernelViewer")
    second = _cell(report, "w.VBox([kv, av])")
    assert second["views_visible"] > first["views_visible"], _why(second)
    assert second["canvases_drawn"] >= 6, _why(second)


def test_no_comm_open_fails_in_an_earlier_frame(run):
    """Colab's manager drops the buffers of a comm opened after a frame exists (its
    commChannelOpened), so that frame cannot take a widget that opens with binary buffers.
    Our anywidgets open without them and send their bytes in the next update
    (widgets/_late_bytes.py): no frame reports a failed comm open, although every view cell
    creates widgets while earlier frames exist."""
    _, report = run
    failed = {c["index"]: c["comm_open_errors"] for c in report["cells"]
              if c["comm_open_errors"]}
    assert not failed, failed


def test_each_explorer_page_is_shown_alone(run):
    """The cells probe each page in the page itself; the report's counts agree: the Model
    page (a table) shows no canvas at all, the view pages before it show theirs."""
    _, report = run
    pages = [_cell(report, "p_pages = {}")] + [
        _cell(report, f"ex.tabs.selected_index = {k}") for k in range(1, 6)]
    model_page = _cell(report, 'last = ex.tabs.titles.index("Model")')
    for k, cell in enumerate(pages + [model_page]):
        assert cell["views_visible"] > 0 and cell["views_failed"] == 0, (k, _why(cell))
    for k, cell in enumerate(pages):
        assert cell["canvases_visible"] > 0, (k, _why(cell))
    assert model_page["canvases_visible"] == 0, _why(model_page)
    publish_page = _cell(report, 'pub = ex.tabs.titles.index("Publish")')
    assert publish_page["views_visible"] > 0 and publish_page["views_failed"] == 0, \
        _why(publish_page)
    assert _cell(report, "{k: check_page(p, k)")["status"] == "ok"
    assert _cell(report, "check_page(p_pages[5], 5)")["status"] == "ok"


def test_a_dream_run_from_a_later_cell_reaches_its_frame(run):
    _, report = run
    assert _cell(report, "dd.run()")["status"] == "ok"
    cell = _cell(report, "dd = cv.DeepDreamViewer")
    assert cell["canvases_drawn_at_end"] >= 2, _why(cell)  # before and after


def test_click_and_upload_from_the_page_reach_the_kernel(run):
    _, report = run
    cell = _cell(report, 'assert p_click.finding()["clicked"]')
    assert cell["status"] == "ok", _why(cell)
    assert _cell(report, "check_page(p_after, 3)")["status"] == "ok"


def test_values_set_from_python_survive_the_front_end(run):
    _, report = run
    cell = _cell(report, "assert [kv.filter_index")
    assert cell["status"] == "ok", _why(cell)
