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


# ------------------------------------------------------------------- opening a notebook page
#: A notebook cell that raised shows a rendered error; checked first so a failing cell ends
#: the wait at once instead of after the full timeout.
_ERROR_CELL = '.jp-RenderedText[data-mime-type="application/vnd.jupyter.error"]'


class NotebookPage:
    """One notebook open in its own browser context, its cells run, its widgets drawn.

    ``ready`` is a JavaScript expression that is true once the notebook's widgets are drawn;
    it is waited for after running the cells and again after :meth:`reload`. ``ui`` is
    ``"lab"`` (JupyterLab) or ``"notebook"`` (Notebook 7, same server and helpers: both expose
    the same application object).
    """

    def __init__(self, server, browser, nb, path: str, *, ready: str, name: str,
                 viewport=(1400, 1700), default_workspace: bool = False, on_page=None,
                 timeout_ms: int = 180_000, ui: str = "lab"):
        import nbformat

        self.server, self.path, self.ready, self.name = server, path, ready, name
        nbformat.write(nb, str(server.root / path))
        self.console: list[str] = []
        self.context = browser.new_context(viewport={"width": viewport[0],
                                                     "height": viewport[1]})
        self.page = page = self.context.new_page()
        page.on("console", lambda m: m.type == "error" and
                self.console.append(f"console.error: {m.text}"))
        page.on("pageerror", lambda exc: self.console.append(f"pageerror: {exc}"))
        if on_page is not None:
            on_page(page)
        # Its own, freshly reset workspace unless the test needs the default one; Notebook 7
        # (ui="notebook") has one page per notebook and no workspaces.
        if ui == "notebook":
            url = f"{server.url}/notebooks/{path}?token={server.token}"
        elif default_workspace:
            url = f"{server.url}/lab/tree/{path}?token={server.token}"
        else:
            url = notebook_url(server.url, server.token, path)
        page.goto(url, wait_until="domcontentloaded")
        wait_kernel_idle_and_app(page, path=path)
        run_all_cells(page, path)
        self.wait_ready(timeout_ms, "failed-startup")
        sessions = server.api("/api/sessions")
        kernel_id = next(s["kernel"]["id"] for s in sessions if s["path"].endswith(path))
        self.probe = KernelProbe(server.runtime / f"kernel-{kernel_id}.json")

    def wait_ready(self, timeout_ms: int, what: str) -> None:
        """Wait for ``ready`` (or a failing cell), then for an idle kernel; fail with evidence."""
        page = self.page
        try:
            state = page.wait_for_function(
                f"""() => {{
                    if (document.querySelector('{_ERROR_CELL}')) return 'error';
                    return ({self.ready}) ? 'drawn' : false;
                }}""", timeout=timeout_ms, polling=250).json_value()
            if state != "error":
                wait_kernel_idle_and_app(page, path=self.path)
        except Exception:  # noqa: BLE001 - turned into a failure with a screenshot and logs
            state = "timeout"
        if state == "drawn":
            return
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"{self.name}-{what}.png"), full_page=True)
        if state == "error":
            text = page.locator(_ERROR_CELL).first.inner_text()
            raise AssertionError(f"{self.path}: a notebook cell raised:\n{text[-3000:]}")
        raise AssertionError(
            f"{self.path}: the widgets were not drawn within {timeout_ms / 1000:.0f} s "
            f"({what}); console:\n" + "\n".join(self.console[-20:]) +
            "\nServer log:\n" + self.server.log_tail())

    def save(self) -> None:
        """Save the notebook, so a reload finds the widget outputs in the file."""
        self.page.evaluate("window.jupyterapp.commands.execute('docmanager:save')")
        self.page.wait_for_function(
            "(p) => { const w = Array.from(window.jupyterapp.shell.widgets('main')).find("
            "x => x.context && x.context.path === p); return w && !w.context.model.dirty; }",
            arg=self.path, timeout=20_000)

    def reload(self, timeout_ms: int = 120_000) -> None:
        """Save, reload the page mid-session (same kernel) and wait for the views to redraw
        from the kernel's state; nothing is re-run."""
        self.save()
        self.page.reload(wait_until="domcontentloaded")
        wait_kernel_idle_and_app(self.page, path=self.path)
        self.wait_ready(timeout_ms, "after-reload")

    def close(self) -> None:
        self.probe.close()
        self.context.close()


def code_notebook(cells: list[str]):
    """A notebook of code cells with the Python 3 kernel (what each browser test opens)."""
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(src) for src in cells]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    return nb
