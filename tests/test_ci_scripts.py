"""The scripts the README tells people to run: ``.ci/demo`` and ``.ci/run``.

Both run with a stock ``PATH`` (``/usr/bin:/bin``: ``python3`` only, no ``python``) and, so
that no test installs anything, with ``CONVVIZ_SETUP=skip`` and an existing environment
(``CONVVIZ_VENV``, default: the one running these tests).

* ``.ci/demo``: the flags a user passes (port, token, ip, root directory, in every spelling)
  win over the demo's defaults, and the URL it prints is one that answers — right port, right
  token, or no token at all.
* ``.ci/run``: layers that need a tool from ``../shared/`` (tests/_shared_tools.py) are not run
  where the tool is absent, with one summary line saying why and how; a CI run requires them.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
#: The environment running these tests (a venv's prefix; its bin/python may be a symlink).
VENV = Path(os.environ.get("CONVVIZ_VENV", sys.prefix))
sys.path.insert(0, str(REPO / "tests"))
import _shared_tools  # noqa: E402  (tests/ is not a package)


def _stock_env(tmp_path: Path, **extra) -> dict:
    """A stock machine's environment: no `python` on PATH, nothing inherited."""
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    env = {"PATH": "/usr/bin:/bin", "HOME": str(home), "CONVVIZ_VENV": str(VENV),
           "CONVVIZ_SETUP": "skip"}
    env.update(extra)
    return env


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str) -> tuple[int, str]:
    """Status and final URL (after redirects) of a GET; an HTTP error is a status too."""
    try:
        with urllib.request.urlopen(url, timeout=10) as r:
            return r.status, r.geturl()
    except urllib.error.HTTPError as e:
        return e.code, url


@contextlib.contextmanager
def _run_demo(tmp_path: Path, *flags: str, timeout: float = 180.0):
    """Start ``.ci/demo FLAGS``; once its printed URL answers, yield ``(url, status, final URL,
    log)``; then stop the server."""
    demo_dir = tmp_path / "demo copy"  # a space: the URL must quote the path
    env = _stock_env(tmp_path, CONVVIZ_DEMO_DIR=str(demo_dir))
    log = tmp_path / "demo.log"
    with open(log, "w") as out:
        proc = subprocess.Popen(["bash", str(REPO / ".ci" / "demo"), *flags], cwd=tmp_path, env=env,
                                stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    # cwd=tmp_path: the script finds its repository itself; relative flags are the caller's.
    deadline = time.monotonic() + timeout
    url = None
    try:
        while time.monotonic() < deadline:
            text = log.read_text()
            if url is None:
                m = re.search(r"demo: JupyterLab on the quickstart notebook: (\S+)", text)
                url = m.group(1) if m else None
            if proc.poll() is not None:
                pytest.fail(f".ci/demo {' '.join(flags)} exited {proc.returncode}:\n{text[-3000:]}")
            if url is not None:
                try:
                    status, final = _get(url)
                except (urllib.error.URLError, ConnectionError, OSError):
                    status = None
                if status is not None:
                    yield url, status, final, text
                    return
            time.sleep(1.0)
        pytest.fail(f".ci/demo {' '.join(flags)}: no answer in {timeout} s:\n"
                    f"{log.read_text()[-3000:]}")
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()


def _api(url: str, token: str | None) -> int:
    """Status of the quickstart's contents API on the server of ``url``."""
    parts = urllib.parse.urlsplit(url)
    query = f"?token={token}" if token else ""
    return _get(f"{parts.scheme}://{parts.netloc}/api/contents/00_quickstart.ipynb{query}")[0]


@pytest.mark.slow
@pytest.mark.parametrize("spelling", ["--port {p}", "--port={p}", "--ServerApp.port={p}"])
def test_demo_port_flag_wins_and_the_url_answers(tmp_path, spelling):
    """The header's own example, ``--no-browser --port 8890``, in each spelling."""
    port = _free_port()
    with _run_demo(tmp_path, "--no-browser", *spelling.format(p=port).split()) as (
            url, status, final, log):
        assert "only accepts one value" not in log
        parts = urllib.parse.urlsplit(url)
        assert parts.port == port and parts.path == "/lab/tree/00_quickstart.ipynb", url
        token = urllib.parse.parse_qs(parts.query)["token"][0]
        # The page itself (not a redirect to the login page), and the token really is required.
        assert status == 200 and "/login" not in final, (status, final)
        assert _api(url, token) == 200
        assert _api(url, None) == 403


@pytest.mark.slow
@pytest.mark.parametrize("flag", ["--ServerApp.token=", "--IdentityProvider.token="])
def test_demo_empty_token_gives_a_server_without_one(tmp_path, flag):
    port = _free_port()
    with _run_demo(tmp_path, "--no-browser", f"--port={port}", flag) as (url, status, final, _):
        assert url == f"http://127.0.0.1:{port}/lab/tree/00_quickstart.ipynb", url
        assert status == 200 and "/login" not in final, (status, final)
        assert _api(url, None) == 200  # no token needed at all


@pytest.mark.slow
def test_demo_token_ip_and_root_dir_win(tmp_path):
    """A given token, ``--ip`` with a space-separated value, and a root directory (relative to
    the caller's directory) that holds the working copy one level down."""
    port = _free_port()
    with _run_demo(tmp_path, "--no-browser", "--ServerApp.port", str(port),
                   "--IdentityProvider.token=s3cret", "--ip", "127.0.0.1",
                   "--notebook-dir=.") as (url, status, final, _):
        assert url == (f"http://127.0.0.1:{port}/lab/tree/demo%20copy/00_quickstart.ipynb"
                       "?token=s3cret"), url
        assert status == 200 and "/login" not in final, (status, final)
        api = f"http://127.0.0.1:{port}/api/contents/demo%20copy/00_quickstart.ipynb"
        assert _get(api + "?token=s3cret")[0] == 200
        assert _get(api + "?token=wrong")[0] == 403


# ------------------------------------------------------------------------------ .ci/run
@pytest.fixture()
def lone_clone(tmp_path):
    """A copy of the scripts and tests/_shared_tools.py in a folder with no ``../shared``, whose
    'python' runs the helper for real and records every pytest call instead of running it."""
    repo = tmp_path / "lone" / "repo"
    (repo / "tests" / "colab").mkdir(parents=True)
    shutil.copytree(REPO / ".ci", repo / ".ci")
    shutil.copy(REPO / "tests" / "_shared_tools.py", repo / "tests")
    venv = tmp_path / "venv"
    (venv / "bin").mkdir(parents=True)
    calls = tmp_path / "pytest-calls"
    stub = venv / "bin" / "python"
    stub.write_text(f"""#!/bin/bash
if [ "$1 $2" = "-m pytest" ]; then
  echo "$* | CONVVIZ_SHARED_TOOLS=${{CONVVIZ_SHARED_TOOLS:-}}" >> {calls}
  exit 0
fi
exec {sys.executable} "$@"
""")
    stub.chmod(0o755)
    return repo, venv, calls


def _ci_run(repo, venv, tmp_path, *args, **env):
    return subprocess.run(["bash", ".ci/run", *args], cwd=repo, capture_output=True, text=True,
                          env=_stock_env(tmp_path, CONVVIZ_VENV=str(venv), **env), timeout=120)


def test_ci_run_without_shared_tools_says_so_once_and_passes(lone_clone, tmp_path):
    repo, venv, calls = lone_clone
    proc = _ci_run(repo, venv, tmp_path)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    not_run = [ln for ln in lines if ln.startswith("== not run:")]
    # One line, printed before the run and repeated as the last line of the summary.
    assert len(set(not_run)) == 1 and lines[-1] == not_run[0], proc.stdout
    assert "the Colab layer" in not_run[0] and "tests/colab" in not_run[0]
    assert str(repo.parent / "shared" / "colab-emu" / "run.sh") in not_run[0]
    assert "CONVVIZ_COLAB_EMU=" in not_run[0] and "bash .ci/run" in not_run[0]
    assert "look" not in not_run[0]  # this clone has no tests/look: nothing to say about it
    recorded = calls.read_text().splitlines()
    assert len(recorded) == 2, recorded  # both passes ran
    assert "-m not colab | CONVVIZ_SHARED_TOOLS=absent" in recorded[0]
    assert "-m compute" in recorded[1]


def test_ci_run_deselects_every_absent_layer(lone_clone, tmp_path):
    repo, venv, calls = lone_clone
    (repo / "tests" / "look").mkdir()
    proc = _ci_run(repo, venv, tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "-m not colab and not look" in calls.read_text().splitlines()[0]
    not_run = [ln for ln in proc.stdout.splitlines() if ln.startswith("== not run:")]
    assert "the Colab layer" in not_run[0] and "the look layer" in not_run[0]


def test_ci_run_in_ci_requires_the_tools(lone_clone, tmp_path):
    repo, venv, calls = lone_clone
    proc = _ci_run(repo, venv, tmp_path, CI="true")
    assert proc.returncode == 1 and not calls.exists(), proc.stdout
    assert "== not run:" in proc.stderr and "CONVVIZ_REQUIRE_SHARED_TOOLS=0" in proc.stderr
    # Someone else's CI can opt out.
    proc = _ci_run(repo, venv, tmp_path, CI="true", CONVVIZ_REQUIRE_SHARED_TOOLS="0")
    assert proc.returncode == 0, proc.stderr


def test_ci_run_with_the_tools_present_runs_every_layer(lone_clone, tmp_path):
    repo, venv, calls = lone_clone
    emu = repo.parent / "shared" / "colab-emu"
    emu.mkdir(parents=True)
    (emu / "run.sh").write_text("exit 0\n")
    proc = _ci_run(repo, venv, tmp_path, CI="true")
    assert proc.returncode == 0, proc.stderr
    assert "not run" not in proc.stdout + proc.stderr
    first = calls.read_text().splitlines()[0]
    assert " -m " not in first and first.endswith("CONVVIZ_SHARED_TOOLS="), first


def test_ci_run_with_arguments_skips_absent_layers_with_the_reason(lone_clone, tmp_path):
    repo, venv, calls = lone_clone
    proc = _ci_run(repo, venv, tmp_path, "tests/colab")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("== not run:")
    assert calls.read_text().splitlines() == [
        "-m pytest -q -p no:cacheprovider tests/colab | CONVVIZ_SHARED_TOOLS=absent"]


# ------------------------------------------------------------------- tests/_shared_tools.py
def _run_colab_layer(env_extra: dict, tmp_path) -> subprocess.CompletedProcess:
    env = dict(os.environ, CONVVIZ_COLAB_EMU=str(tmp_path / "no-such-emulator"))
    env.pop("CONVVIZ_SHARED_TOOLS", None)
    env.update(env_extra)
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                           "-rs", "tests/colab"], cwd=REPO, env=env, capture_output=True,
                          text=True, timeout=300)


def test_colab_layer_run_by_hand_without_the_emulator_fails_loudly_where_required(tmp_path):
    proc = _run_colab_layer({"CI": "true"}, tmp_path)
    assert proc.returncode == 1, proc.stdout[-2000:]
    assert "The tool of the Colab layer" in proc.stdout and "is not there" in proc.stdout
    assert "CONVVIZ_COLAB_EMU" in proc.stdout


def test_colab_layer_run_by_hand_in_a_users_clone_is_reported_not_run(tmp_path):
    proc = _run_colab_layer({"CI": "", "CONVVIZ_REQUIRE_SHARED_TOOLS": "0"}, tmp_path)
    assert proc.returncode == 0, proc.stdout[-2000:]
    assert re.search(r"\d+ skipped", proc.stdout) and "error" not in proc.stdout
    assert "not run: the Colab layer" in proc.stdout


def test_colab_layer_told_absent_is_skipped_with_the_reason(tmp_path):
    proc = _run_colab_layer({"CONVVIZ_SHARED_TOOLS": "absent"}, tmp_path)
    assert proc.returncode == 0, proc.stdout[-2000:]  # skipped, never exit 5 (nothing collected)
    assert re.search(r"\d+ skipped", proc.stdout) and "passed" not in proc.stdout
    assert "not run: the Colab layer" in proc.stdout


def test_shared_tool_lookup_follows_a_worktree_to_its_main_checkout(tmp_path, monkeypatch):
    monkeypatch.delenv("CONVVIZ_COLAB_EMU", raising=False)
    main = tmp_path / "main"
    (main / ".git" / "worktrees" / "wt").mkdir(parents=True)
    (tmp_path / "shared" / "colab-emu").mkdir(parents=True)
    (tmp_path / "shared" / "colab-emu" / "run.sh").write_text("")
    wt = tmp_path / "elsewhere" / "wt"
    (wt / "tests" / "colab").mkdir(parents=True)
    (wt / ".git").write_text(f"gitdir: {main / '.git' / 'worktrees' / 'wt'}\n")
    assert _shared_tools.tool_dir("colab", wt) == tmp_path / "shared" / "colab-emu"
    assert _shared_tools.absent_layers(wt) == []
    (tmp_path / "shared" / "colab-emu" / "run.sh").unlink()
    assert [la.marker for la in _shared_tools.absent_layers(wt)] == ["colab"]
