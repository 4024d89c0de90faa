"""Drive a view the way a user does: through the controls it shows and its public traits.

Widget tests that reach into ``view._slider`` freeze the internals: every refactor of a view
breaks tests that say nothing about behaviour. A test finds a control instead by what the user
sees — its kind and its visible label — or by the CSS role class the view gives it
(``convviz-layer``, ``convviz-channel``, ``convviz-status``, ``convviz-image`` …; the browser tests
find the same elements by the same classes).

Examples
--------
>>> d = Driver(cv.KernelViewer(model))                        # doctest: +SKIP
>>> d.set("convviz-layer", "block1_conv2")                    # doctest: +SKIP
>>> d.control("convviz-channel").max                          # doctest: +SKIP
>>> d.click("Export")                                         # doctest: +SKIP
>>> "out of range" in d.text()                                # doctest: +SKIP
>>> d.click_tile("convviz-grid", 5)       # a click on tile 5  # doctest: +SKIP
>>> d.menu("per_slice").value = "per_slice"  # any language   # doctest: +SKIP

tests/test_no_private_access.py keeps tests off private attributes (with a short allow-list).
"""
from __future__ import annotations

import html
import re

import ipywidgets as w

_TAG = re.compile(r"<[^>]+>")


def walk(widget):
    """Every widget reachable from ``widget`` through ``children`` (depth first, itself first)."""
    yield widget
    for child in getattr(widget, "children", ()) or ():
        yield from walk(child)


def classes_of(widget) -> tuple:
    return tuple(getattr(widget, "_dom_classes", ()) or ())


def _label_of(widget) -> str:
    for name in ("description", "tooltip", "placeholder"):
        value = getattr(widget, name, None)
        if value:
            return str(value)
    return ""


class Driver:
    """A view (or any widget tree) seen through its visible controls.

    ``what`` in the methods below is a CSS role class (a string starting with ``convviz-``), a
    widget class (``w.Dropdown``) or a piece of a control's visible label (its description,
    tooltip or placeholder, case-insensitive). ``kind`` narrows by widget class.
    """

    def __init__(self, view):
        self.view = view

    # -- finding ------------------------------------------------------------------------------
    def shown(self):
        """The widgets of the tree that are displayed (a hidden box hides what is inside)."""
        def visit(widget):
            layout = getattr(widget, "layout", None)
            if layout is not None and getattr(layout, "display", None) == "none":
                return
            yield widget
            for child in getattr(widget, "children", ()) or ():
                yield from visit(child)
        yield from visit(self.view)

    def find(self, what, kind=None, shown_only: bool = False) -> list:
        pool = self.shown() if shown_only else walk(self.view)
        found = []
        for widget in pool:
            if kind is not None and not isinstance(widget, kind):
                continue
            if isinstance(what, type):
                ok = isinstance(widget, what)
            elif isinstance(what, str) and what.startswith("convviz-"):
                ok = what in classes_of(widget)
            else:
                ok = str(what).lower() in _label_of(widget).lower()
            if ok:
                found.append(widget)
        return found

    def control(self, what, kind=None, shown_only: bool = False):
        """The one control matching ``what``; an error lists the candidates when there are
        none or several. A widget passed as ``what`` is itself. When several match but one of
        them is on screen (a container's own control above its pages' hidden ones), that one
        is the control, as for a user."""
        if isinstance(what, w.Widget):
            return what
        found = self.find(what, kind, shown_only)
        if len(found) > 1 and not shown_only:
            found = self.find(what, kind, shown_only=True) or found
        if len(found) != 1:
            seen = sorted({f"{type(x).__name__}({_label_of(x)!r}, {classes_of(x)})"
                           for x in walk(self.view) if isinstance(x, w.DOMWidget)
                           and (_label_of(x) or classes_of(x))})
            raise LookupError(f"{len(found)} controls match {what!r}"
                              f"{'' if kind is None else ' of kind ' + kind.__name__}; "
                              f"controls with a label or role: {seen}")
        return found[0]

    # -- acting -------------------------------------------------------------------------------
    def set(self, what, value, kind=None):
        """Move a control as the user would (a menu pick, a slider drag, typing)."""
        control = self.control(what, kind)
        control.value = value
        return control

    def click(self, what):
        """Press a button (found by its visible label or role)."""
        button = self.control(what, w.Button)
        button.click()
        return button

    def options(self, what) -> list:
        """The values a menu offers (``(label, value)`` pairs become their values)."""
        control = self.control(what)
        return [o[1] if isinstance(o, tuple) else o for o in control.options]

    def top(self, what) -> int:
        """The largest value a user can pick on a slider: its max, or its min when it is
        disabled (a one-value range shows ``min … min + 1`` greyed out, see
        ``widgets._base.set_slider``)."""
        control = self.control(what)
        return control.min if control.disabled else control.max

    def menu(self, value, shown_only: bool = False):
        """The one menu (dropdown, toggle buttons …) that offers ``value``: how a user finds the
        scale or method menu whatever language its label is in."""
        found = [x for x in (self.shown() if shown_only else walk(self.view))
                 if isinstance(x, (w.Dropdown, w.ToggleButtons, w.RadioButtons, w.Select))
                 and value in [o[1] if isinstance(o, tuple) else o for o in x.options]]
        if len(found) > 1 and not shown_only:
            return self.menu(value, shown_only=True)
        if len(found) != 1:
            raise LookupError(f"{len(found)} menus offer {value!r}")
        return found[0]

    def click_tile(self, what, tile, y: int = 0, x: int = 0):
        """Click pixel ``(y, x)`` of tile ``tile`` on a raster (found by role, or passed as the
        widget itself), as the browser does: the front end's ``{"event": "click", ...}``
        message, delivered the way the kernel delivers a comm message to the widget."""
        raster = self.control(what)
        self.send(raster, {"event": "click", "tile": tile, "y": y, "x": x})
        return raster

    @staticmethod
    def send(widget, content: dict) -> None:
        """Deliver a custom message from the front end to ``widget`` (what ``model.send``
        in the browser arrives as). The one place tests touch ipywidgets' message entry."""
        widget._handle_custom_msg(content, [])

    @staticmethod
    def receive(widget, comm_msg: dict) -> None:
        """Deliver a whole comm message (``{"content": {"data": {"method": "update",
        "state": ...}}, "buffers": [...]}``) to ``widget``, as a browser's state update
        arrives (an upload in Colab's or JupyterLab's front end)."""
        widget._handle_msg(comm_msg)

    def labels(self, what) -> list:
        """The labels a menu shows."""
        control = self.control(what)
        return [o[0] if isinstance(o, tuple) else str(o) for o in control.options]

    # -- reading ------------------------------------------------------------------------------
    def text(self, shown_only: bool = True) -> str:
        """All words the view shows (HTML and labels, tags removed, entities decoded)."""
        parts = []
        for widget in (self.shown() if shown_only else walk(self.view)):
            if isinstance(widget, (w.HTML, w.Label, w.HTMLMath)):
                parts.append(html.unescape(_TAG.sub(" ", str(widget.value))))
        return re.sub(r"\s+", " ", " ".join(parts)).strip()

    def html(self, what) -> str:
        """The words of one text widget (found by role), tags removed, entities decoded."""
        return html.unescape(_TAG.sub(" ", str(self.control(what).value))).strip()

    def beside(self, view, role: str):
        """The widget with CSS role ``role`` in the same box as ``view`` (a note a container
        shows above one of its pages)."""
        for box in walk(self.view):
            kids = list(getattr(box, "children", ()) or ())
            if any(k is view for k in kids):
                found = [k for k in kids if role in classes_of(k)]
                if len(found) == 1:
                    return found[0]
        raise LookupError(f"no {role!r} beside {type(view).__name__} in this view")

    def status(self) -> str:
        """The words of the view's status line(s) (role ``convviz-status``)."""
        return " ".join(html.unescape(_TAG.sub(" ", str(x.value)))
                        for x in self.find("convviz-status")).strip()

    def wait(self, timeout: float = 120.0) -> bool:
        """Wait for the view's background work, when it has any."""
        wait = getattr(self.view, "wait", None)
        return True if wait is None else bool(wait(timeout))


#: The Explorer's pages, by the attribute each is public under.
EXPLORER_PAGES = ("kernels", "activations", "patterns", "gradcam", "card", "dream")


def render_counts(ex) -> dict:
    """Per Explorer page, the renders it makes from now on: each view sets its public
    ``last_update`` once per render, so counting its changes counts renders."""
    counts = {name: 0 for name in EXPLORER_PAGES}
    for name in counts:
        getattr(ex, name).observe(lambda c, name=name: counts.__setitem__(
            name, counts[name] + 1), "last_update")
    return counts


class RecordingComm:
    """Stands in for the kernel comm: records the open and every message after it."""

    def __init__(self, log, **kwargs):
        self.kernel = object()
        self.comm_id = f"cvt-comm-{len(log)}"  # one id per comm, as the kernel gives
        log.append((self, "open", kwargs.get("data"), list(kwargs.get("buffers") or [])))
        self._log = log

    def send(self, data=None, metadata=None, buffers=None):
        self._log.append((self, "send", data, list(buffers or [])))

    def on_msg(self, callback):
        pass

    def on_close(self, callback):
        pass

    def close(self, *a, **k):
        pass
