"""An error inside a view, as a student sees it in JupyterLab: one sentence, details folded.

A run whose ``preprocess`` fails inside TensorFlow used to print TensorFlow's many-line message
with the server's file paths into the widget. The page shows one sentence; the full text is in
a closed <details> element that opens on a click.
"""

from __future__ import annotations

import pytest

from _harness import ARTIFACTS, HERE, NotebookPage, code_notebook

pytestmark = pytest.mark.browser

NB = "errors.ipynb"
ROOT = ".cvt-err"


def _notebook() -> dict:
    cells = [
        f"""import sys
sys.path.insert(0, {str(HERE)!r})
import tensorflow as tf
import _models
from convviz_widgets.widgets import FilterMaximizer
model = _models.small_functional(seed=7)
fm = FilterMaximizer(model, steps=3, prewarm=False,
                     preprocess=lambda x: tf.debugging.check_numerics(tf.math.log(x - 2.0),
                                                                      "preprocess made NaN"))
fm.add_class("cvt-err")
fm""",
        "fm.run(); fm.wait(120)",
    ]
    return code_notebook(cells)


@pytest.fixture(scope="module")
def nb(lab_server, browser):
    page = NotebookPage(lab_server, browser, _notebook(), NB, name="errors",
                        ready=f"document.querySelector('{ROOT} .convviz-error') !== null")
    yield page
    page.close()


def test_an_error_is_one_sentence_with_the_details_folded(nb):
    page = nb.page
    err = page.locator(f"{ROOT} .convviz-error").first
    sentence = err.locator(".convviz-error-msg").inner_text()
    assert sentence.startswith("⚠") and "preprocess made NaN" in sentence
    assert "\n" not in sentence.strip() and "File " not in sentence
    details = err.locator("details.convviz-error-details")
    assert details.evaluate("(d) => d.open") is False
    pre = details.locator("pre")
    assert not pre.is_visible()  # folded away
    # What the student sees before opening the details: one line (plus the note).
    visible = err.inner_text()
    assert "Traceback" not in visible and len(visible.splitlines()) <= 3, visible
    ARTIFACTS.mkdir(exist_ok=True)
    err.screenshot(path=str(ARTIFACTS / "error_folded.png"))
    details.locator("summary").click()
    assert details.evaluate("(d) => d.open") is True and pre.is_visible()
    assert "Traceback" in pre.inner_text() and "InvalidArgumentError" in pre.inner_text()
    err.screenshot(path=str(ARTIFACTS / "error_open.png"))
    assert not [m for m in nb.console if "convviz" in m.lower() or "pageerror" in m], nb.console
