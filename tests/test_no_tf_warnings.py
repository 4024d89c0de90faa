"""No TensorFlow warning reaches the user's output from normal use (bug 7).

Walking Xception's 40 convolution layers in the KernelViewer printed TensorFlow's "N out of the
last M calls to <function _content.<locals>.<lambda>> triggered tf.function retracing" twice:
the weights identity compiles one small function per layer (each has its own variables), and
TensorFlow counts retracing per *code object*, so one lambda made every layer's function look
like one function retraced 40 times. Each case runs in a fresh interpreter, so TensorFlow's
retracing statistics and its logger start clean, and reads everything the user would see:
the ``tensorflow`` logger, Python warnings and the process's stderr.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

PROBE = r"""
import io, json, logging, sys, warnings
import keras
import convviz_widgets as cv
from convviz_widgets.compute._identity import weights_identity

records = []
class Keep(logging.Handler):
    def emit(self, record):
        records.append(record.getMessage())
logging.getLogger("tensorflow").addHandler(Keep(level=logging.DEBUG))

model = keras.applications.Xception(weights=None, input_shape=(71, 71, 3))
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    paths = [info.path for info in cv.conv_layers(model, kind="kernel")]
    {WORK}
print(json.dumps({"paths": len(paths), "records": records,
                  "warnings": [f"{w.category.__name__}: {w.message}" for w in caught]}))
"""

WORK = {
    # The reported path: the viewer shows each layer in turn (and comes back to the first).
    "kernel_viewer": ("viewer = cv.KernelViewer(model)\n"
                      "    for p in paths + paths[:1]:\n"
                      "        viewer.layer = p; viewer.filter_index = 1\n"),
    # What the viewer keys its cache with, per layer (the root cause), and the public function.
    "identity_and_kernels": ("for p in paths:\n"
                             "        weights_identity(model.get_layer(p))\n"
                             "        assert cv.kernels(model, p).ndim == 4\n"),
}


@pytest.mark.slow
@pytest.mark.parametrize("case", sorted(WORK))
def test_walking_xception_layers_emits_no_tensorflow_warning(case):
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.run([sys.executable, "-c", PROBE.replace("{WORK}", WORK[case])],
                          capture_output=True, text=True, env=env, timeout=600, cwd=str(ROOT))
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert out["paths"] >= 30  # Xception's convolutions, separable ones included: a real walk
    assert out["records"] == [], out["records"]
    assert "retracing" not in proc.stderr and "WARNING:tensorflow" not in proc.stderr, \
        proc.stderr[-3000:]
    # Python's default filters hide DeprecationWarnings raised inside libraries (numpy 2's
    # __array__(copy=) notice from Keras' convert_to_numpy is one); anything else would show.
    shown = [w for w in out["warnings"] if not w.startswith(("DeprecationWarning",
                                                             "PendingDeprecationWarning"))]
    assert shown == [], shown
    assert not any("retracing" in w for w in out["warnings"])
