"""Every teaching notebook runs top to bottom, offline, on the bundled model."""

from pathlib import Path

import pytest

from convviz_widgets._quiet import _is_noise

NOTEBOOK_DIR = Path(__file__).resolve().parent.parent / "notebooks"
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("[0-9]*.ipynb"))


def test_notebooks_exist():
    # An empty glob would silently run nothing below; fail loudly instead.
    assert NOTEBOOKS, f"no notebooks found in {NOTEBOOK_DIR}"


@pytest.mark.notebook
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_executes(path, tmp_path):
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, timeout=900, kernel_name="python3",
                            resources={"metadata": {"path": str(tmp_path)}})
    client.execute()  # raises CellExecutionError on the first failing cell
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    # No pink box: TensorFlow's start-up lines stay out (import convviz_widgets quiets them),
    # and the quickstart, a student's first notebook, has no stderr output at all.
    stderr = "".join("".join(o.get("text", "")) for o in outputs
                     if o.get("output_type") == "stream" and o.get("name") == "stderr")
    assert not [line for line in stderr.splitlines() if _is_noise(line)], stderr
    if path.stem == "00_quickstart":
        assert stderr == ""
