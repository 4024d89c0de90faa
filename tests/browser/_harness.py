"""Constants and helpers shared by the browser fixtures (conftest.py) and the tests.

A plain module, not conftest.py, so test files can import it by name (pytest puts this folder
on sys.path) without clashing with another folder's conftest module.
"""

from __future__ import annotations

import ast
import json
import os
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
ARTIFACTS = HERE / "_artifacts"
SCREENSHOTS = REPO / "docs" / "screenshots"
CHROMIUM = os.environ.get("CONVVIZ_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
NOTEBOOK = "views.ipynb"

#: Views drawn by the notebook: 2 KernelViewers × 3 rasters (composite may be hidden) and
#: 2 ActivationViewers × 2 rasters.
MIN_RASTERS = 8


def wait_kernel_idle_and_app(page, timeout_ms: int = 120_000, path: str | None = None) -> None:
    """Wait until JupyterLab's app object is exposed and the notebook's kernel is idle.

    ``path`` names the notebook (e.g. ``"views.ipynb"``); without it, the current widget.
    Naming it matters when a workspace restored other notebooks next to ours.
    """
    page.wait_for_function(
        """(path) => {
            const app = window.jupyterapp;
            if (!app || !app.shell) return false;
            let w = app.shell.currentWidget;
            if (path) {
                w = Array.from(app.shell.widgets('main')).find(
                    x => x.context && x.context.path === path);
            }
            const s = w && w.sessionContext;
            return !!(s && s.session && s.session.kernel && s.session.kernel.status === 'idle');
        }""", arg=path, timeout=timeout_ms, polling=250)


def notebook_url(server_url: str, token: str, path: str) -> str:
    """URL that opens ``path`` in its own, freshly reset JupyterLab workspace.

    Pages of one server otherwise share the default workspace, and a second page would
    restore the first page's notebooks next to its own (and may run cells in the wrong one).
    """
    workspace = "cvt-" + path.replace("/", "-").replace(".", "-")
    return f"{server_url}/lab/workspaces/{workspace}/tree/{path}?token={token}&reset"


def run_all_cells(page, path: str) -> None:
    """Activate the notebook ``path`` and run all of its cells."""
    page.evaluate(
        """async (path) => {
            const app = window.jupyterapp;
            const w = Array.from(app.shell.widgets('main')).find(
                x => x.context && x.context.path === path);
            if (!w) throw new Error('notebook not open: ' + path);
            app.shell.activateById(w.id);
            await w.context.ready;
            await w.sessionContext.ready;
            await app.commands.execute('notebook:run-all-cells');
        }""", path)


class KernelProbe:
    """A second client on the notebook's kernel: read widget state, compute expectations."""

    def __init__(self, connection_file: Path):
        from jupyter_client import BlockingKernelClient

        self.kc = BlockingKernelClient(connection_file=str(connection_file))
        self.kc.load_connection_file()
        self.kc.start_channels()
        self.kc.wait_for_ready(timeout=60)

    def eval(self, expr: str, setup: str = "", timeout: float = 60):
        """Run ``setup``, then return ``json.loads`` of the kernel's ``json.dumps(expr)``."""
        msg_id = self.kc.execute(setup, silent=False, store_history=False,
                                 user_expressions={"r": f"json.dumps({expr})"})
        deadline = time.monotonic() + timeout
        while True:
            reply = self.kc.get_shell_msg(timeout=max(0.1, deadline - time.monotonic()))
            if reply["parent_header"].get("msg_id") == msg_id:
                break
        content = reply["content"]
        if content["status"] != "ok":
            raise RuntimeError(f"kernel error: {content.get('ename')}: {content.get('evalue')}")
        r = content["user_expressions"]["r"]
        if r["status"] != "ok":
            raise RuntimeError(f"kernel error: {r.get('ename')}: {r.get('evalue')}")
        return json.loads(ast.literal_eval(r["data"]["text/plain"]))

    def run(self, code: str, timeout: float = 60) -> None:
        self.eval("None", setup=code, timeout=timeout)

    def close(self) -> None:
        self.kc.stop_channels()
