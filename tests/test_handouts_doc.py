"""docs/handouts.md: the setup block and every call in its tables run offline."""

import re
from pathlib import Path

import matplotlib
import pytest

matplotlib.use("Agg")

DOC = Path(__file__).resolve().parents[1] / "docs" / "handouts.md"
TEXT = DOC.read_text()
SETUP = re.search(r"```python\n(.*?)```", TEXT, re.S).group(1)
ROWS = [m.group(1) for m in re.finditer(r"^\|[^|]+\| `([^`]+)` \|", TEXT, re.M)]


def test_the_doc_has_rows():
    assert len(ROWS) >= 20


@pytest.fixture(scope="module")
def namespace():
    ns: dict = {}
    exec(SETUP, ns)
    return ns


@pytest.mark.parametrize("call", ROWS)
def test_every_row_runs(namespace, call):
    result = eval(call, namespace)
    assert result is not None
