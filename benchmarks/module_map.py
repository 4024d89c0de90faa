"""Count the package's module map: modules, lines, and modules over 450 / 500 lines.

    python benchmarks/module_map.py                 # the working tree
    python benchmarks/module_map.py 67b2874 HEAD    # git revisions, side by side
    python benchmarks/module_map.py --by-package HEAD

Lines are physical lines of ``convviz_widgets/**/*.py`` (as ``wc -l`` counts them, a last line
without a newline included). Read from git with ``git ls-tree``/``git show``, so a revision is
counted without checking it out.
"""

from __future__ import annotations

import argparse
import subprocess
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PKG = "convviz_widgets"
LIMITS = (450, 500)


def sources(rev: str | None) -> dict[str, str]:
    """``{path: text}`` of every package module at ``rev`` (None: the working tree)."""
    if rev is None:
        return {str(p.relative_to(REPO)): p.read_text(encoding="utf-8")
                for p in sorted((REPO / PKG).rglob("*.py"))}
    names = subprocess.run(["git", "ls-tree", "-r", "--name-only", rev, PKG], cwd=REPO,
                           check=True, capture_output=True, text=True).stdout.split()
    return {n: subprocess.run(["git", "show", f"{rev}:{n}"], cwd=REPO, check=True,
                              capture_output=True, text=True).stdout
            for n in names if n.endswith(".py")}


def count(texts: dict[str, str]) -> dict:
    lines = {p: len(t.splitlines()) for p, t in texts.items()}
    out = {"modules": len(lines), "lines": sum(lines.values())}
    for limit in LIMITS:
        out[f"> {limit}"] = sorted((p for p, n in lines.items() if n > limit),
                                   key=lambda p: -lines[p])
    out["largest"] = max(lines.values(), default=0)
    out["by_package"] = defaultdict(lambda: [0, 0])
    for p, n in lines.items():
        parts = Path(p).parts
        group = "/".join(parts[:2]) if len(parts) > 2 else PKG
        out["by_package"][group][0] += 1
        out["by_package"][group][1] += n
    out["_lines"] = lines
    return out


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("revs", nargs="*", help="git revisions (default: the working tree)")
    ap.add_argument("--by-package", action="store_true", help="modules and lines per package")
    ap.add_argument("--list", action="store_true", help="name the modules over the limits")
    args = ap.parse_args(argv)
    for rev in args.revs or [None]:
        c = count(sources(rev))
        over = ", ".join(f"{k}: {len(c[k])}" for k in (f"> {x}" for x in LIMITS))
        print(f"{rev or 'working tree'}: {c['modules']} modules, {c['lines']:,} lines, {over}, "
              f"largest {c['largest']}")
        if args.list:
            for limit in LIMITS:
                print(f"  > {limit}: " + ", ".join(f"{p} ({c['_lines'][p]})"
                                                 for p in c[f"> {limit}"]))
        if args.by_package:
            for group, (n, lines) in sorted(c["by_package"].items()):
                print(f"  {group:34s} {n:3d} modules {lines:6,d} lines")


if __name__ == "__main__":
    main()
