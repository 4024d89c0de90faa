"""TensorFlow's native start-up lines stay out of a notebook; real messages do not."""

import os
import subprocess
import sys
from pathlib import Path

from convviz_widgets._quiet import _is_noise

ROOT = Path(__file__).resolve().parent.parent

# What TensorFlow 2.16-2.21 write to descriptor 2 on import, CPU-only and CUDA-probing builds.
STARTUP_LINES = [
    "WARNING: All log messages before absl::InitializeLog() is called are written to STDERR",
    "I0000 00:00:1795939997.335169   19753 port.cc:153] oneDNN custom operations are on. You may "
    "see slightly different numerical results.",
    "I0000 00:00:1795939997.412581   19753 cpu_feature_guard.cc:227] This TensorFlow binary is "
    "optimized to use available CPU instructions in performance-critical operations.",
    "To enable the following instructions: AVX2 AVX512F FMA, in other operations, rebuild "
    "TensorFlow with the appropriate compiler flags.",
    "2025-09-17 14:44:05.157831: I external/local_xla/xla/tsl/cuda/cudart_stub.cc:32] Could not "
    "find cuda drivers on your machine, GPU will not be used.",
    "E0000 00:00:1758131045.203198 3722035 cuda_dnn.cc:8579] Unable to register cuDNN factory: "
    "Attempting to register factory for plugin cuDNN when one has already been registered",
]


def _run(code: str, **env) -> subprocess.CompletedProcess:
    full = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}
    full.update(PYTHONPATH=str(ROOT), **env)
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env=full, timeout=300, cwd=str(ROOT))


def test_startup_lines_are_recognised_and_other_lines_are_not():
    assert all(_is_noise(line) for line in STARTUP_LINES)
    for line in ["UserWarning: something the user must read", "Traceback (most recent call last):",
                 "  File \"/x/y.py\", line 3, in <module>", "ValueError: bad input",
                 "I think this is fine", ""]:
        assert not _is_noise(line), line


def test_import_writes_nothing_to_stderr_without_any_log_level_set():
    # TF_CPP_MIN_LOG_LEVEL unset: TensorFlow's own default, what a student's kernel has.
    proc = _run("import convviz_widgets as cv; cv.demo_model(); print('ok')")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "ok" and proc.stderr == ""


def test_only_start_up_noise_is_dropped():
    # Inside the quiet block: native noise and a real message, both written to descriptor 2.
    code = (
        "import os, sys\n"
        "from convviz_widgets._quiet import quiet_tensorflow_startup\n"
        "sys.modules.pop('tensorflow', None)\n"  # act as if TensorFlow were not imported yet
        "with quiet_tensorflow_startup():\n"
        f"    os.write(2, {(chr(10).join(STARTUP_LINES) + chr(10)).encode()!r})\n"
        "    os.write(2, b'a real warning\\n')\n"
        "    print('python-level warning', file=sys.stderr)\n"
    )
    proc = _run(code)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.splitlines() == ["a real warning", "python-level warning"]


def test_a_failing_import_shows_everything_it_wrote():
    code = (
        "import os, sys\n"
        "from convviz_widgets._quiet import quiet_tensorflow_startup\n"
        "sys.modules.pop('tensorflow', None)\n"
        "try:\n"
        "    with quiet_tensorflow_startup():\n"
        f"        os.write(2, {(STARTUP_LINES[1] + chr(10)).encode()!r})\n"
        "        raise ImportError('broken install')\n"
        "except ImportError:\n"
        "    pass\n"
    )
    proc = _run(code)
    assert proc.returncode == 0
    assert proc.stderr.splitlines() == [STARTUP_LINES[1]]
