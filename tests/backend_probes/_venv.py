"""Where the cross-backend tests find each other backend's Python (a venv without TensorFlow)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent.parent


def backend_python(name: str, needs: tuple[str, ...] = ()) -> str:
    """``CONVVIZ_<NAME>_PYTHON``, else ``.venv-<name>`` at the repository root, able to import
    ``needs``. Missing: a skip locally, a FAILURE under ``CI=true`` (CI must make them:
    ``.ci/setup-backends``)."""
    exe = os.environ.get(f"CONVVIZ_{name.upper()}_PYTHON") or str(
        ROOT / f".venv-{name}" / "bin" / "python")
    missing = None
    if not Path(exe).exists():
        missing = f"No Python with Keras' {name} backend at {exe}"
    elif needs and subprocess.run([exe, "-c", "import " + ", ".join(needs)],
                                  capture_output=True).returncode != 0:
        missing = f"{exe} cannot import {', '.join(needs)}"
    if missing:
        msg = f"{missing}: set CONVVIZ_{name.upper()}_PYTHON or run .ci/setup-backends."
        if os.environ.get("CI") == "true":
            pytest.fail(msg)
        pytest.skip(msg)
    return exe
