"""Errors inside every view: one short sentence (what failed, what to do), details folded.

A TensorFlow error is many lines long, with a graph traceback and the server's file paths; the
views show one sentence without paths and keep the full text in a closed <details> element.
"""

from __future__ import annotations

import html
import re

import pytest
import tensorflow as tf

from convviz_widgets.widgets import (ActivationViewer, Explorer, FilterMaximizer, GradCAMViewer,
                                     KernelViewer)
from convviz_widgets.widgets._errors import error_html, short_message

from _driver import Driver
from conftest import make_sequential, random_images

SERVER_PATH = "/srv/jupyter/venv/lib/python3.11/site-packages/convviz_widgets/compute/loop.py"
TF_MESSAGE = (
    "Graph execution error:\n\nDetected at node gradient_tape/Conv2DBackpropInput defined at "
    "(most recent call last):\n"
    f'  File "{SERVER_PATH}", line 275, in step\n\n'
    f'  File "{SERVER_PATH}", line 439, in optimize\n\n'
    "Incompatible shapes: [1,32,32,8] vs. [1,16,16,8]\n"
    "\t [[{{node gradient_tape/Conv2DBackpropInput}}]] [Op:__inference_function_1038]")


def tf_error():
    return tf.errors.InvalidArgumentError(None, None, TF_MESSAGE)


def parts(value: str) -> tuple[str, str, str]:
    """(visible text, the <details> element, its folded text) of a status line's HTML."""
    m = re.search(r"<details\b[^>]*>.*?</details>", value, re.S)
    assert m, f"no <details> element in {value!r}"
    visible = html.unescape(re.sub(r"<[^>]+>", "", value[:m.start()] + value[m.end():]))
    folded = html.unescape(re.sub(r"<[^>]+>", "", m.group(0)))
    return visible.strip(), m.group(0), folded


def check_shown(value: str, cause: str = "Incompatible shapes") -> str:
    visible, details, folded = parts(value)
    assert "convviz-error" in value and visible.startswith("⚠")
    assert cause in visible
    assert not re.search(r"/[\w.-]+/", visible) and "File " not in visible, visible
    assert "\n" not in visible and len(visible) < 400, visible
    assert " open" not in details.split(">", 1)[0]  # folded away by default
    assert SERVER_PATH in folded or "Traceback" in folded or cause in folded
    return visible


def test_short_message_of_a_tensorflow_error_is_one_line_without_paths():
    msg = short_message(tf_error())
    assert msg.startswith("TensorFlow could not compute this view")
    assert "Incompatible shapes: [1,32,32,8] vs. [1,16,16,8]" in msg
    assert "check that the model and preprocess=" in msg
    assert SERVER_PATH not in msg and "node" not in msg and "\n" not in msg


def test_our_own_messages_stay_as_written_and_others_ask_for_a_report():
    ours = ValueError("filter_index 9 is out of range for layer 'conv', which has 8 filters: "
                      "use 0 to 7.")
    assert short_message(ours) == str(ours)
    # A one-line message of ours that names a file keeps its words, without the path.
    assert short_message(ValueError("Cannot write /home/me/cache/x.npz: disk full; free space "
                                    "or pass cache_dir=None.")) == \
        "Cannot write …: disk full; free space or pass cache_dir=None."
    # Keras's many-line ValueError from tracing ("in user code:") shows its last line.
    traced = ValueError(f'in user code:\n\n    File "{SERVER_PATH}", line 3, in f\n'
                        "        return g(x)\n\n    ValueError: Cannot reshape a tensor with "
                        "12 elements to shape [7]\n")
    msg = short_message(traced)
    assert "ValueError: Cannot reshape a tensor with 12 elements to shape [7]" in msg
    assert msg.startswith("TensorFlow could not compute") and SERVER_PATH not in msg
    bug = short_message(RuntimeError("boom"))
    assert bug.startswith("Unexpected error (RuntimeError: boom)") and "issue" in bug
    assert short_message(MemoryError()).startswith("Out of memory")
    # A wrapped TensorFlow message loses the op decorations, keeps what failed.
    wrapped = ValueError("preprocess raised InvalidArgumentError: {{function_node __wrapped__"
                         "Reshape_device_/job:localhost/replica:0/task:0/device:CPU:0}} Input to "
                         "reshape is a tensor with 12 values [Op:Reshape]. Use TensorFlow ops.")
    assert short_message(wrapped) == ("preprocess raised InvalidArgumentError: Input to reshape "
                                      "is a tensor with 12 values. Use TensorFlow ops.")
    # An op suffix with an empty name does not take the sentence's full stop with it.
    assert short_message(ValueError("f raised X: Tensor had NaN values [Op:CheckNumerics] name: "
                                     ". Use ops.")) == "f raised X: Tensor had NaN values. Use ops."
    assert "detalles" in error_html(ours, "es") and "detalhes" in error_html(ours, "pt")


@pytest.fixture(scope="module")
def model():
    return make_sequential()


def test_every_view_shows_an_error_the_same_way(model):
    images = random_images(model, 2)
    views = [KernelViewer(model), ActivationViewer(model, images),
             FilterMaximizer(model, prewarm=False), GradCAMViewer(model, images)]
    shown = []
    for view in views:
        view._show_error(tf_error())
        shown.append(check_shown(Driver(view).control("convviz-status").value))
        assert "previous view is kept" in shown[-1]
    assert len(set(shown)) == 1  # the same sentence, the same style, in every view


def test_a_real_tensorflow_failure_in_a_run_is_one_sentence(model):
    # Fails while the compiled step runs (not while it is traced): TensorFlow's message.
    fm = FilterMaximizer(model, layer="conv_b", steps=3, prewarm=False,
                         preprocess=lambda x: tf.debugging.check_numerics(
                             tf.math.log(x - 2.0), "preprocess made NaN"))
    fm.run()
    assert fm.wait(60)
    status = Driver(fm).control("convviz-status").value
    visible = check_shown(status, cause="preprocess made NaN")
    assert "Tensor had NaN values" in visible
    assert "InvalidArgumentError" in fm.error  # the trait keeps the whole message
    assert "Traceback" in parts(status)[2]  # and the fold the traceback


def test_explorer_tabs_show_a_failing_view_the_same_way(model, monkeypatch):
    ex = Explorer(model, random_images(model, 2))
    other = next(p for p in Driver(ex.patterns).options("convviz-layer") if p != ex.layer)

    def refuse(value):
        raise tf_error()

    monkeypatch.setattr(ex.patterns, "_check_layer", refuse)
    ex.layer = other
    check_shown(Driver(ex).beside(ex.patterns, "convviz-page-note").value)
    assert ex.kernels.layer == other  # the other tabs followed
