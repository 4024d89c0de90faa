"""Test layers that need a tool from ``../shared/`` beside the repository: one rule for all.

Some layers drive a tool that is not part of the package and not on PyPI: the Colab layer
(``tests/colab``, marker ``colab``) runs ``../shared/colab-emu/run.sh``; the look layer
(``tests/look``, marker ``look``) runs ``../shared/look/run.sh``. This project's CI has that
folder beside its clone; a user's clone does not. The rule:

* **Lookup.** ``<repo>/../shared/<tool>/run.sh``; for a git worktree also beside its main
  checkout (a worktree's ``.git`` is a file naming ``<main>/.git/worktrees/<name>``); the
  layer's environment variable (``CONVVIZ_COLAB_EMU``, ``CONVVIZ_LOOK``) names the tool's
  folder instead.
* **``.ci/run``** asks this module which layers' tools are absent (``python
  tests/_shared_tools.py --markers`` / ``--summary``). None absent: every layer runs, and any
  failure — the tool failing to set up included — fails the run. Some absent: it exports
  ``CONVVIZ_SHARED_TOOLS=absent``, deselects their markers and prints ONE summary line (which
  layer was not run, why, how to run it). Where the tools must be there — ``CI=true``, or
  ``CONVVIZ_REQUIRE_SHARED_TOOLS=1`` (``=0`` turns that off in someone else's CI) — an absent
  tool fails the run instead.
* **A test of such a layer** gets its tool with :func:`require`: the path of ``run.sh``; if
  the tool is absent, the test is *skipped* with the reason when ``CONVVIZ_SHARED_TOOLS=absent``
  (``.ci/run`` said so in its summary) and *fails loudly* otherwise (run by hand, or in CI).

A new layer adds one :class:`Layer` to :data:`LAYERS` and a marker in ``pyproject.toml``; a
layer whose test folder does not exist in this checkout is ignored.

Standard library only: ``.ci/run`` runs it before anything is imported.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Layer:
    marker: str  #: pytest marker of the layer's tests
    tests: str  #: the layer's test folder, relative to the repository root
    tool: str  #: folder name under ../shared/
    env: str  #: environment variable naming the tool's folder instead
    title: str  #: how the summary names the layer


LAYERS = (
    Layer("colab", "tests/colab", "colab-emu", "CONVVIZ_COLAB_EMU",
          "the Colab layer (Colab's widget manager, emulated)"),
    Layer("look", "tests/look", "look", "CONVVIZ_LOOK",
          "the look layer (contact sheets checked in a browser)"),
)


def _layer(name: str) -> Layer:
    for layer in LAYERS:
        if layer.marker == name:
            return layer
    raise KeyError(f"no test layer {name!r}; known: {[la.marker for la in LAYERS]}")


def tool_dir(name: str, repo: Path = REPO) -> Path:
    """The folder of layer ``name``'s tool (it may not exist; :func:`tool_present` says)."""
    layer = _layer(name)
    if os.environ.get(layer.env):
        return Path(os.environ[layer.env])
    here = repo.parent / "shared" / layer.tool
    git = repo / ".git"
    if not (here / "run.sh").is_file() and git.is_file():
        gitdir = Path(git.read_text().partition("gitdir:")[2].strip())
        if gitdir.parent.name == "worktrees":
            main_tool = gitdir.parents[2].parent / "shared" / layer.tool
            if (main_tool / "run.sh").is_file():
                return main_tool
    return here


def tool_present(name: str, repo: Path = REPO) -> bool:
    return (tool_dir(name, repo) / "run.sh").is_file()


def absent_layers(repo: Path = REPO) -> list[Layer]:
    """The layers of this checkout (their test folder exists) whose tool is not there."""
    return [la for la in LAYERS if (repo / la.tests).is_dir() and not tool_present(la.marker, repo)]


def summary(layers: list[Layer], repo: Path = REPO) -> str:
    """``.ci/run``'s one line about layers not run: which, why, and how to run them."""
    if not layers:
        return ""
    which = " and ".join(f"{la.title}, {la.tests}" for la in layers)
    tools = ", ".join(str(repo.parent / "shared" / la.tool / "run.sh") for la in layers)
    envs = " / ".join(f"{la.env}=<folder>" for la in layers)
    its = "its tool is" if len(layers) == 1 else "their tools are"
    it = "it" if len(layers) == 1 else "them"
    return (f"== not run: {which} — {its} not beside this clone ({tools}); to run "
            f"{it}, put this project's shared/ folder next to the clone (or set {envs}) and run "
            f"bash .ci/run again")


def require(name: str) -> Path:
    """``run.sh`` of layer ``name``'s tool; skip (``CONVVIZ_SHARED_TOOLS=absent``) or fail if absent.

    Examples
    --------
    >>> run_sh = require("colab")   # doctest: +SKIP
    """
    import pytest

    layer = _layer(name)
    run_sh = tool_dir(name) / "run.sh"
    if run_sh.is_file():
        return run_sh
    why = (f"{layer.title} needs {run_sh} (this project's shared/ folder next to the "
           f"repository root, {REPO.parent / 'shared'}); put {layer.tool} there or point "
           f"{layer.env} at its folder")
    required = os.environ.get("CONVVIZ_REQUIRE_SHARED_TOOLS",
                              "1" if os.environ.get("CI") == "true" else "0") == "1"
    if os.environ.get("CONVVIZ_SHARED_TOOLS") == "absent" or not required:
        # A user's clone has no shared/: the layer is reported as not run, with how to run it.
        pytest.skip(f"not run: {why}")
    pytest.fail(f"The tool of {layer.title} is not there: {why}. (.ci/run skips this layer "
                "with one summary line where the tool is absent; run by hand, set "
                "CONVVIZ_SHARED_TOOLS=absent to skip it.)", pytrace=False)


if __name__ == "__main__":
    # .ci/run: --markers prints the absent layers' markers (space-separated), --summary the line.
    absent = absent_layers()
    if sys.argv[1:] == ["--markers"]:
        print(" ".join(la.marker for la in absent))
    elif sys.argv[1:] == ["--summary"]:
        print(summary(absent))
    else:
        sys.exit("usage: python tests/_shared_tools.py --markers | --summary")
