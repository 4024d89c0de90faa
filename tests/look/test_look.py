"""What a student sees, checked in a real JupyterLab: every view and every Explorer page in
English, Spanish and Portuguese, through ``../shared/look``.

The look tool runs a cells file in JupyterLab in headless Chromium, screenshots every output and
reports clipped text ("Exportar P…"), drawings of one flat colour, error and stderr outputs, and
(with a word list) English left in a translated UI. The unit tests check that something is drawn
and numerically consistent; this layer checks what it says. It expects **no finding at all**, so
a panel that is legitimately empty before a click (the pattern before Run, DeepDream's *after*)
draws a placeholder with words instead of a grey square.

``tests/look/cells.py`` holds the cells (the ``LANG = "en"`` line is replaced per language);
``tests/look/english_words.txt`` the English UI words looked for in the es/pt runs. English runs
in one JupyterLab session and Spanish + Portuguese in a second (one kernel builds both: a
session costs a TensorFlow start), the two at once.

The tool lives next to the repository (``../shared/look``; ``CONVVIZ_LOOK`` overrides it),
present in this project's CI and absent in a user's clone. When it is missing the test fails,
unless ``CONVVIZ_SHARED_TOOLS=absent`` says the shared tools are not available here (``.ci/run``
sets it then and deselects ``look``): then it is skipped. Contact sheets and the report go to
``tests/browser/_artifacts/look/``.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from _shared_tools import require  # noqa: E402  (tests/ is not a package)

pytestmark = [pytest.mark.look, pytest.mark.browser]

REPO = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
ARTIFACTS = REPO / "tests" / "browser" / "_artifacts" / "look"
#: Seconds per notebook for the tool (the es+pt notebook builds every view twice).
TIMEOUT = 600
LANG_LINE = re.compile(r'^LANG = "en"$', re.M)


def cells_for(langs: tuple[str, ...]) -> str:
    """One cells file that shows every view in each of ``langs``, one language after the other
    (the cells of tests/look/cells.py, with their ``LANG`` line set)."""
    text = (HERE / "cells.py").read_text()
    if len(LANG_LINE.findall(text)) != 1:
        raise AssertionError('tests/look/cells.py must set the language in one line: LANG = "en"')
    parts = []
    for k, lang in enumerate(langs):
        body = LANG_LINE.sub(f'LANG = "{lang}"', text)
        if k:  # the imports and the model are there already: keep the first cell's work
            body = body.replace("model = cv.demo_model()", "model = model")
        parts.append(body)
    return "\n".join(parts)


def findings(report: dict) -> list[str]:
    """Every finding of a look report as ``notebook/output: check: detail`` lines."""
    lines = []
    if report.get("could_not_run"):
        lines.append(f"could not run: {report['could_not_run']}")
    for nb in report.get("notebooks", []):
        for out in nb.get("outputs", []):
            for f in out.get("findings", []):
                lines.append(f"{nb['dir']}/{out['id']}: {f['check']}: {f['detail']}")
    return lines


def test_cells_cover_every_view_and_page():
    """The cells show every public view and every Explorer page, in a language set per copy."""
    import convviz_widgets as cv

    text = (HERE / "cells.py").read_text()
    for name in cv._WIDGETS:
        assert f"cv.{name}(" in text, f"tests/look/cells.py does not show {name}"
    ex_pages = len(cv.Explorer(lang="es").tabs.pages)
    shown = {int(k) for k in re.findall(r"^ex\.tabs\.pages\[(\d+)\]$", text, re.M)}
    # Page 0 is what the Explorer itself shows; each other page has its own output.
    assert shown == set(range(1, ex_pages)), (shown, ex_pages)
    both = cells_for(("es", "pt"))
    assert both.count('LANG = "es"') == 1 and both.count('LANG = "pt"') == 1
    assert 'LANG = "en"' not in both


@pytest.fixture(scope="module")
def look_runs(tmp_path_factory):
    tool = require("look")  # tests/_shared_tools.py: the one rule for ../shared tools
    work = tmp_path_factory.mktemp("look")
    env = dict(os.environ)
    # The kernel must import this checkout, whichever the venv's editable install points at.
    env["PYTHONPATH"] = os.pathsep.join([str(REPO)] + [p for p in
                                                       [env.get("PYTHONPATH")] if p])
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    runs = {"en": ("en",), "espt": ("es", "pt")}
    procs = {}
    for tag, langs in runs.items():
        cells = work / f"cells_{tag}.py"
        cells.write_text(cells_for(langs))
        cmd = ["bash", str(tool), "--python", sys.executable, "--timeout", str(TIMEOUT)]
        if tag != "en":
            cmd += ["--lang-words", str(HERE / "english_words.txt")]
        cmd += [str(work / f"out_{tag}"), cells.name]
        # Both sessions at once: each is mostly one kernel's TensorFlow start and model work.
        procs[tag] = subprocess.Popen(cmd, cwd=work, env=env, stdout=subprocess.PIPE,
                                      stderr=subprocess.PIPE, text=True)
    results = {}
    for tag, proc in procs.items():
        try:
            out, err = proc.communicate(timeout=TIMEOUT + 180)
        except subprocess.TimeoutExpired:
            proc.terminate()  # run.sh shuts its server and browser down on SIGTERM
            out, err = proc.communicate(timeout=60)
        results[tag] = (proc.returncode, out, err, work / f"out_{tag}")
    if ARTIFACTS.exists():
        shutil.rmtree(ARTIFACTS)
    ARTIFACTS.mkdir(parents=True)
    for tag, (_rc, _out, _err, outdir) in results.items():
        if outdir.is_dir():  # every output's screenshot, the contact sheet and the report
            shutil.copytree(outdir, ARTIFACTS / tag)
        for name in ("contact.png", "report.json"):
            if (outdir / name).is_file():
                shutil.copy(outdir / name, ARTIFACTS / f"{tag}_{name}")
    return results


@pytest.mark.parametrize("tag", ["en", "espt"])
def test_look_finds_nothing(look_runs, tag):
    """Every view and Explorer page, as JupyterLab draws it: nothing clipped, blank, failed or
    (in es/pt) left in English."""
    rc, out, err, outdir = look_runs[tag]
    report_path = outdir / "report.json"
    if rc == 2 or not report_path.is_file():
        pytest.fail(f"look could not run (exit {rc}):\n{err[-3000:]}\n{out[-2000:]}")
    report = json.loads(report_path.read_text())
    found = findings(report)
    assert report["outputs"] >= 16, f"only {report['outputs']} outputs were checked"
    assert not found and rc == 0, (
        f"look found {len(found)} problem(s) (contact sheet: "
        f"{ARTIFACTS / (tag + '_contact.png')}):\n" + "\n".join(found))
