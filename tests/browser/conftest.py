"""Real-browser fixtures: a JupyterLab server on localhost, headless Chromium, one notebook.

The whole suite shares one server, one browser and one executed notebook (JupyterLab start and
TensorFlow import in the kernel dominate the cost on a 2-core machine). Missing Chromium,
Playwright or JupyterLab is a test *failure*, never a skip: a green run must mean the views were
seen in a browser.

Environment knobs: ``CONVVIZ_CHROMIUM`` (path of the Chromium binary, default
``/usr/bin/chromium``); ``CONVVIZ_UPDATE_SCREENSHOTS=1`` copies the final screenshots of each
view to ``docs/screenshots/`` for the README (otherwise they stay in ``_artifacts/``).
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import pytest

# This folder is a package (see __init__.py); the helper modules are imported by bare name by
# the tests here and, inside the Jupyter kernel, by the notebooks, so the folder goes on sys.path.
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _harness import (ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, HERE, MIN_RASTERS, NOTEBOOK, REPO,
                      SCREENSHOTS, KernelProbe, NotebookPage, code_notebook)

#: Console errors known to be harmless and not ours. Empty on purpose: a clean JupyterLab 4 on
#: localhost prints none, so every console error (above all from widget code) fails the suite.
#: Add a compiled regex here only with a note on where the message comes from.
BENIGN_CONSOLE: list[re.Pattern] = []


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str, timeout: float = 5.0) -> bytes:
    with urllib.request.urlopen(url, timeout=timeout) as r:  # noqa: S310 - localhost only
        return r.read()


@dataclass
class LabServer:
    url: str
    token: str
    root: Path
    runtime: Path
    log: Path
    proc: subprocess.Popen

    def api(self, path: str, method: str = "GET"):
        req = urllib.request.Request(f"{self.url}{path}", method=method,
                                     headers={"Authorization": f"token {self.token}"})
        with urllib.request.urlopen(req, timeout=10) as r:  # noqa: S310 - localhost only
            body = r.read()
        return json.loads(body) if body else None

    def log_tail(self, n: int = 60) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-n:])
        except OSError:
            return "(no server log)"


def _serve(base: Path):
    """``python -m jupyter lab`` on a free localhost port, with a token, in ``base``; a
    generator yielding the :class:`LabServer` and stopping it afterwards."""
    try:
        import jupyterlab  # noqa: F401
    except ImportError:
        pytest.fail("JupyterLab is not installed: the browser suite needs `pip install "
                    "jupyterlab` (it is in the [dev] extra).")
    root, config, runtime = base / "root", base / "config", base / "runtime"
    for d in (root, config / "labconfig", runtime, base / "settings", base / "workspaces"):
        d.mkdir(parents=True, exist_ok=True)
    # The announcements plugin polls the internet for news and update checks; off, so the
    # run is hermetic and no notification covers the widgets in screenshots.
    (config / "labconfig" / "page_config.json").write_text(json.dumps(
        {"disabledExtensions": {"@jupyterlab/apputils-extension:announcements": True}}))
    port, token = _free_port(), secrets.token_hex(16)
    env = dict(os.environ)
    env.update({
        "JUPYTER_CONFIG_DIR": str(config),
        "JUPYTER_RUNTIME_DIR": str(runtime),
        "JUPYTERLAB_SETTINGS_DIR": str(base / "settings"),
        "JUPYTERLAB_WORKSPACES_DIR": str(base / "workspaces"),
        "PYTHONPATH": os.pathsep.join([str(REPO)] + [p for p in [env.get("PYTHONPATH")] if p]),
        "TF_CPP_MIN_LOG_LEVEL": "2",
        "PYTHONUNBUFFERED": "1",
    })
    cmd = [sys.executable, "-m", "jupyter", "lab", "--no-browser", f"--port={port}",
           "--ServerApp.port_retries=0", "--ServerApp.ip=127.0.0.1",
           f"--ServerApp.token={token}", f"--ServerApp.root_dir={root}",
           "--LabApp.news_url=None",
           "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
           "--LabApp.expose_app_in_browser=True", "--LabApp.extension_manager=readonly",
           # The same server also serves Notebook 7 (/notebooks/...), tested as a front end.
           "--JupyterNotebookApp.expose_app_in_browser=True"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        cmd.append("--allow-root")  # containers and CI images often run as root
    log = base / "server.log"
    with open(log, "w") as fh:
        proc = subprocess.Popen(cmd, env=env, stdout=fh, stderr=subprocess.STDOUT,
                                cwd=str(root), start_new_session=True)
    server = LabServer(f"http://127.0.0.1:{port}", token, root, runtime, log, proc)
    deadline = time.monotonic() + 90
    while True:
        if proc.poll() is not None:
            pytest.fail(f"JupyterLab exited with {proc.returncode}:\n{server.log_tail()}")
        try:
            _get(f"{server.url}/api/status?token={token}", timeout=2)
            break
        except (urllib.error.URLError, ConnectionError, OSError):
            if time.monotonic() > deadline:
                proc.terminate()
                pytest.fail(f"JupyterLab did not answer within 90 s:\n{server.log_tail()}")
            time.sleep(0.3)
    yield server
    try:
        for k in server.api("/api/kernels"):
            server.api(f"/api/kernels/{k['id']}", method="DELETE")
    except Exception:  # noqa: BLE001 - best effort; the server shutdown below ends them too
        pass
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)




@pytest.fixture(scope="session")
def lab_server(tmp_path_factory):
    """The JupyterLab server all JupyterLab tests share."""
    yield from _serve(tmp_path_factory.mktemp("lab"))


@pytest.fixture(scope="module")
def notebook7_server(tmp_path_factory):
    """A server of its own for the Notebook 7 tests: its settings and workspaces must not leak
    into the JupyterLab pages (after a Notebook 7 page, Lab pages of the same server asked for
    a font that is not installed and logged a 403)."""
    yield from _serve(tmp_path_factory.mktemp("notebook7"))


@pytest.fixture(scope="session")
def browser():
    """Headless Chromium from the distribution, driven by Playwright (never downloaded)."""
    if not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        pytest.fail(f"Chromium not found at {CHROMIUM}: install it (`apt-get install chromium`) "
                    "or point CONVVIZ_CHROMIUM at a Chromium binary.")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail("Playwright is not installed: `pip install playwright` (no browser "
                    "download needed; the suite uses the system Chromium).")
    pw = sync_playwright().start()
    try:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
    except Exception as exc:  # noqa: BLE001 - report, do not skip
        pw.stop()
        pytest.fail(f"Could not launch Chromium at {CHROMIUM}: {exc}")
    yield b
    b.close()
    pw.stop()


def _notebook_source() -> dict:
    cells = [
        f"""import sys, json
sys.path.insert(0, {str(HERE)!r})
import numpy as np
from convviz_widgets.widgets import KernelViewer, ActivationViewer
from convviz_widgets import compute
import _models
demo, demo_images, is_demo = _models.demo_or_standin()
nested = _models.nested_model()
scenes = _models.scenes(3, 120, 180)  # non-square: the viewer resizes to 150×150""",
        """kv_demo = KernelViewer(demo)
kv_demo.add_class("cvt-kv-demo")
kv_demo""",
        """av_demo = ActivationViewer(demo, demo_images)
av_demo.add_class("cvt-av-demo")
av_demo""",
        """kv_nested = KernelViewer(nested, layer="vgg16/block2_conv1")
kv_nested.add_class("cvt-kv-nested")
kv_nested""",
        """av_nested = ActivationViewer(nested, scenes, layer="vgg16/block2_conv1")
av_nested.add_class("cvt-av-nested")
av_nested""",
    ]
    return code_notebook(cells)


@dataclass
class Lab:
    server: LabServer
    page: object
    probe: KernelProbe
    console: list = field(default_factory=list)
    nb: NotebookPage | None = None

    def widget_errors(self) -> list[str]:
        return [m for m in self.console if not any(p.search(m) for p in BENIGN_CONSOLE)]

    def shot(self, selector: str, name: str, docs: bool = False) -> Path:
        ARTIFACTS.mkdir(exist_ok=True)
        path = ARTIFACTS / f"{name}.png"
        loc = self.page.locator(selector).first
        loc.scroll_into_view_if_needed()
        loc.screenshot(path=str(path))
        # The README's pictures are refreshed on request only, so a test run does not leave
        # modified binaries in the work tree: CONVVIZ_UPDATE_SCREENSHOTS=1 pytest tests/browser
        if docs and os.environ.get("CONVVIZ_UPDATE_SCREENSHOTS") == "1":
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, SCREENSHOTS / f"{name}.png")
        return path


@pytest.fixture(scope="session")
def lab(lab_server, browser):
    """The notebook opened in Chromium with every cell run and every view drawn."""
    nb = NotebookPage(lab_server, browser, _notebook_source(), NOTEBOOK, name="views",
                      ready=f"document.querySelectorAll('.convviz-raster[data-state=\"drawn\"]')"
                            f".length >= {MIN_RASTERS}")
    lab = Lab(lab_server, nb.page, nb.probe, nb.console, nb)
    try:
        yield lab
    finally:
        nb.close()
