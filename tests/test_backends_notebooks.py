"""The first teaching notebooks (00-02) run top to bottom under ``KERAS_BACKEND=jax``, with no
TensorFlow installed (issue 25).

Each notebook is executed by nbclient inside the JAX venv of ``tests/test_backends.py`` (its own
kernel: ipykernel's native kernel is that venv's Python), with ``PYTHONPATH`` set to this
checkout. The checks are those of ``tests/test_notebooks.py``: no error output, none of
TensorFlow's start-up lines, no stderr at all in the quickstart.

Every area of compute runs on JAX, so any error output fails.

The venv needs nbclient and ipykernel (``.ci/setup-backends`` installs them); without them, or
without the venv, this skips locally and fails under ``CI=true``.

Run as a script (``python tests/test_backends_notebooks.py run NOTEBOOK OUT.json``) it is the
side inside the venv.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from convviz_widgets._quiet import _is_noise
from backend_probes._venv import backend_python

from test_backends_views import FAST_XLA  # XLA's fast compile for model loading, and why

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = [ROOT / "notebooks" / f"{name}.ipynb"
             for name in ("00_quickstart", "01_kernels", "02_activations")]

pytestmark = [pytest.mark.backends, pytest.mark.notebook]


def _run(path: Path, out: Path) -> None:
    """The venv side: execute ``path``; write its errors, its stderr and how long it took."""
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, timeout=900, kernel_name="python3",
                            resources={"metadata": {"path": str(out.parent)}})
    t = time.perf_counter()
    try:
        client.execute()
    except CellExecutionError:
        pass  # the error output of the cell says which; it is reported below
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    out.write_text(json.dumps({
        "seconds": time.perf_counter() - t,
        "errors": [{"ename": o.get("ename"), "evalue": o.get("evalue")}
                   for o in outputs if o.get("output_type") == "error"],
        "stderr": "".join("".join(o.get("text", "")) for o in outputs
                          if o.get("output_type") == "stream" and o.get("name") == "stderr"),
    }))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs_under_jax(path, tmp_path):
    exe = backend_python("jax", ("nbclient", "ipykernel", "nbformat"))
    env = {**os.environ, "KERAS_BACKEND": "jax", "PYTHONPATH": str(ROOT),
           "CUDA_VISIBLE_DEVICES": "", "JAX_PLATFORMS": "cpu",
           "XLA_FLAGS": f"{os.environ.get('XLA_FLAGS', '')} {FAST_XLA}".strip()}
    out = tmp_path / "run.json"
    run = subprocess.run([exe, __file__, "run", str(path), str(out)], env=env,
                         capture_output=True, text=True, timeout=1800)
    assert run.returncode == 0, run.stderr[-4000:]
    got = json.loads(out.read_text())
    print(f"{path.stem}: {got['seconds']:.1f} s under JAX")
    assert got["errors"] == []
    noise = [line for line in got["stderr"].splitlines() if _is_noise(line)]
    assert noise == [], got["stderr"]
    if path.stem == "00_quickstart":
        assert got["stderr"] == ""


if __name__ == "__main__":
    if sys.argv[1:2] != ["run"] or len(sys.argv) != 4:
        sys.exit("usage: python tests/test_backends_notebooks.py run NOTEBOOK OUT.json")
    _run(Path(sys.argv[2]), Path(sys.argv[3]))
