"""Hop counts of the three user paths: how many of the package's own functions one action runs.

    python benchmarks/hop_counts.py [--json PATH]

(a) filter slider → grid repaint: the Explorer on the demo model, Activations page shown, the
    shared filter slider moved (one channel further; the image's maps are already cached).
(b) Grad-CAM class switch → overlay: a GradCAMViewer on the demo model, the class menu moved to
    another class (the image's feature map is cached: the head runs again).
(c) Run → frames → Cancel: a FilterMaximizer on the demo model, Run pressed, Cancel pressed after
    the second frame reached the view, then waited for the end.

Every path is driven through its widgets (the slider, the class menu, the Run and Cancel
buttons), found by their CSS role classes, as a user's click would. ``sys.setprofile`` (and
``threading.setprofile`` for the worker threads of (c)) records every Python ``call`` event
whose code lives under ``convviz_widgets/``; printed: calls, distinct functions, distinct files,
the widget-side part of each. (c) runs the optimisation loop a number of steps that depends on
the machine (the Cancel lands within one step), so its totals vary from run to run; its distinct
functions and files do not. A measurement, not a test; say ``uptime`` next to the numbers.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import threading
import time
from collections import Counter
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")

import convviz_widgets as cv  # noqa: E402

PACKAGE = str(Path(cv.__file__).resolve().parent) + os.sep


def _walk(widget):
    yield widget
    for child in getattr(widget, "children", ()) or ():
        yield from _walk(child)


def _role(view, role: str):
    """The first widget of ``view`` carrying the CSS class ``role`` (what a user would click)."""
    for widget in _walk(view):
        if role in getattr(widget, "_dom_classes", ()):
            return widget
    raise LookupError(f"no widget with the role {role!r}")


class Hops:
    """Record the package's function calls while active (all threads)."""

    def __init__(self):
        self.calls: Counter = Counter()
        self._lock = threading.Lock()

    def _profile(self, frame, event, arg):
        if event == "call":
            code = frame.f_code
            if code.co_filename.startswith(PACKAGE):
                with self._lock:
                    self.calls[(code.co_filename[len(PACKAGE):], code.co_name,
                                code.co_firstlineno)] += 1

    def __enter__(self):
        threading.setprofile(self._profile)
        sys.setprofile(self._profile)
        return self

    def __exit__(self, *exc):
        sys.setprofile(None)
        threading.setprofile(None)

    def summary(self) -> dict:
        files = {f for f, _, _ in self.calls}
        widget = {k: n for k, n in self.calls.items() if k[0].startswith("widgets")}
        return {"calls": sum(self.calls.values()), "functions": len(self.calls),
                "files": len(files),
                "widget_calls": sum(widget.values()), "widget_functions": len(widget),
                "widget_files": len({f for f, _, _ in widget}),
                "by_file": {f: sum(n for (g, _, _), n in self.calls.items() if g == f)
                            for f in sorted(files)}}


def slider_path() -> dict:
    ex = cv.Explorer()
    ex.tabs.selected_index = 1  # Activations
    slider = next(w for w in _walk(ex) if "convviz-channel" in getattr(w, "_dom_classes", ())
                  and w.layout.display != "none")
    slider.value = (slider.value + 1) % (slider.max + 1)  # warm: maps cached, grid shown
    with Hops() as hops:
        slider.value = (slider.value + 1) % (slider.max + 1)
    return hops.summary()


def class_switch_path() -> dict:
    v = cv.GradCAMViewer()
    menu = _role(v, "convviz-target")
    classes = [value for _, value in menu.options if isinstance(value, int) and value >= 0]
    menu.value = classes[0]  # warm: the image's feature map cached
    v.wait(120)
    with Hops() as hops:
        menu.value = classes[1]
        v.wait(120)
    return hops.summary()


def run_cancel_path() -> dict:
    fm = cv.FilterMaximizer(cv.demo_model(), steps=400, size=64, prewarm=False)
    run, cancel = _role(fm, "convviz-run"), _role(fm, "convviz-cancel")
    run.click()  # warm: compile the step once
    fm.wait(300)
    fm.filter_index = (fm.filter_index + 1) % 2  # another filter: not cached
    with Hops() as hops:
        run.click()
        deadline = time.monotonic() + 120
        while fm.frames_shown < 2 and time.monotonic() < deadline:
            time.sleep(0.01)
        cancel.click()
        fm.wait(120)
    out = hops.summary()
    out["frames_shown"] = int(fm.frames_shown)
    return out


def main() -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--json", help="also write the figures to this file")
    args = ap.parse_args()
    res = {"slider_to_grid": slider_path(), "class_switch_to_overlay": class_switch_path(),
           "run_frames_cancel": run_cancel_path(), "load_1min": os.getloadavg()[0]}
    for name, r in res.items():
        if isinstance(r, dict):
            print(f"{name}: {r['calls']} calls, {r['functions']} functions in {r['files']} files"
                  f" (widgets/: {r['widget_calls']} calls, {r['widget_functions']} functions in "
                  f"{r['widget_files']} files)")
    print(f"load {res['load_1min']:.1f}")
    if args.json:
        Path(args.json).write_text(json.dumps(res, indent=1))
    return res


if __name__ == "__main__":
    main()
