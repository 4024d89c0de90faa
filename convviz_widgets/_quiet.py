"""Keep TensorFlow's native start-up log out of the notebook.

Importing TensorFlow makes its C++ runtime write a few lines straight to file descriptor 2 —
absl's "All log messages before absl::InitializeLog() ..." warning, the oneDNN notice, the
cpu_feature_guard line, CUDA probing on machines without a GPU. They are written before
TensorFlow reads ``TF_CPP_MIN_LOG_LEVEL`` for some of them (TF 2.21 prints the absl and oneDNN
lines even at level 3), and since ipykernel 6 forwards descriptor 2 into the notebook, a
student's first output is a pink box of them. None of them asks the user to do anything.

:func:`quiet_tensorflow_startup` points descriptor 2 at a temporary file while TensorFlow is
imported, drops the lines that are native log records (or the known continuation of one), and
writes everything else back to stderr, so a genuine warning is never lost. If the import fails,
everything it wrote is shown. Nothing is done when TensorFlow was already imported, or when
``CONVVIZ_TF_STARTUP_LOG=show`` is set.
"""

from __future__ import annotations

import contextlib
import os
import re
import sys
import tempfile

#: What the last quieted import wrote to descriptor 2 (native log lines included), for debugging.
startup_log = ""

# glog/absl records: "I0000 00:00:1795.. 21856 port.cc:153] ..." and the older
# "2025-09-17 14:44:05.157831: I external/.../cudart_stub.cc:32] ...".
_NATIVE = re.compile(r"^(\d{4}-\d\d-\d\d [\d:.]+: )?[IWEF]\S*( [\d:.]+)?\s+(\d+ )?"
                     r"\S+\.(cc|h):\d+\] ")
_NOISE = (
    re.compile(r"^WARNING: All log messages before absl::InitializeLog\(\) is called"),
    re.compile(r"^To enable the following instructions: "),  # cpu_feature_guard's 2nd line
)


def _is_noise(line: str) -> bool:
    return bool(_NATIVE.match(line)) or any(p.match(line) for p in _NOISE)


@contextlib.contextmanager
def quiet_tensorflow_startup():
    """Import TensorFlow inside this block without its native start-up lines on stderr.

    Examples
    --------
    >>> with quiet_tensorflow_startup():
    ...     import tensorflow  # doctest: +SKIP
    """
    global startup_log
    if "tensorflow" in sys.modules or os.environ.get("CONVVIZ_TF_STARTUP_LOG") == "show":
        yield
        return
    with contextlib.suppress(Exception):
        sys.stderr.flush()
    try:
        saved = os.dup(2)
    except OSError:  # no descriptor 2 (some embedded interpreters): nothing to quiet
        yield
        return
    tmp = tempfile.TemporaryFile()
    os.dup2(tmp.fileno(), 2)
    ok = False
    try:
        yield
        ok = True
    finally:
        with contextlib.suppress(Exception):
            sys.stderr.flush()
        os.dup2(saved, 2)
        os.close(saved)
        tmp.seek(0)
        startup_log = tmp.read().decode("utf-8", "replace")
        tmp.close()
        kept = startup_log if not ok else "".join(
            line for line in startup_log.splitlines(keepends=True) if not _is_noise(line))
        if kept:
            sys.stderr.write(kept)
