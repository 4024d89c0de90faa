"""What every viewer shares: the ``layer`` / ``filter_index`` traits, control binding, errors."""

from __future__ import annotations

import contextlib
import html
import operator
import sys
import time

import ipywidgets as w
import traitlets

from ..compute import check_input_size, resolve_layer
from ._export_view import Exportable
from ..i18n import check_lang, tr
from ._view_error import ViewError
from ._errors import error_html

_COLAB_DONE = False

#: Whether integer sliders send every position while dragging. Colab draws an ipywidgets 7
#: kernel's widgets with the ipywidgets 8 *alpha* JavaScript, whose IntSlider/IntRangeSlider
#: floor the slider's float position (2.9999… → 2) on every update, also on updates the kernel
#: made, and with continuous updates send that floored value back: ``filter_index = 3`` set
#: from Python ended as 2. Without them only the end of a drag is sent. An ipywidgets 7 kernel
#: is drawn by Colab or by a classic front end, where the views then follow on release.
INT_SLIDER_CONTINUOUS = int(w.__version__.split(".")[0]) >= 8


def enable_colab_widgets() -> None:
    """Turn on Colab's custom widget manager once, so the anywidget views render there.

    Colab shows only its built-in widgets until ``enable_custom_widget_manager()`` is called;
    users should not have to know that. Outside Colab this does nothing.
    """
    global _COLAB_DONE
    if _COLAB_DONE or "google.colab" not in sys.modules:
        return
    try:
        from google.colab import output  # type: ignore[import-not-found]

        output.enable_custom_widget_manager()
        _COLAB_DONE = True
    except Exception:  # noqa: BLE001 - an older/newer Colab API must not break the widget
        pass


class LayerPath(traitlets.Unicode):
    """A layer trait that also accepts a layer object and stores its path."""

    info_text = "a layer path, unique layer name or keras layer"

    def validate(self, obj, value):
        if isinstance(value, str):
            return value
        if hasattr(value, "name") and hasattr(obj, "_path_of"):
            try:
                return obj._path_of(value)
            except ValueError as exc:
                # "from exc": the view's error line translates compute's message by its key.
                raise traitlets.TraitError(str(exc)) from exc
        self.error(obj, value)


def set_slider(control, value, top: int) -> None:
    """Set a (range) slider's ``value`` and ``max``. Order matters: ipywidgets clamps the value
    to the current max, so the max is raised first and lowered last.

    A slider never gets ``min == max``: Colab's front end (noUiSlider) cannot draw one and the
    whole view fails ("'range' 'min' and 'max' cannot be equal"). A one-value range (a layer of
    one channel) shows ``min … min + 1`` and is disabled, so only its one value can be shown.

    Examples
    --------
    >>> s = w.IntSlider(min=0, max=1)
    >>> set_slider(s, 0, 0); (s.max, s.value, s.disabled)
    (1, 0, True)
    >>> set_slider(s, 3, 7); (s.max, s.value, s.disabled)
    (7, 3, False)
    """
    shown = max(int(top), control.min + 1)
    if control.max < shown:
        control.max = shown
    control.value = value
    control.max = shown
    control.disabled = int(top) <= control.min


def new_slider(range_: bool = False, **kwargs):
    """An (range) slider over ``0 … 1``, disabled until :func:`set_slider` gives it its range
    (never ``min == max``: see :func:`set_slider`)."""
    if range_:
        return w.IntRangeSlider(min=0, max=1, value=(0, 0), disabled=True, **kwargs)
    return w.IntSlider(min=0, max=1, value=0, disabled=True, **kwargs)


def check_in_layer(name: str, value, n: int, layer, unit: str, **fmt) -> int:
    """``value`` as an int, or a :class:`._view_error.ViewError` when it is not one of a
    layer's ``n`` ``unit`` (``"filters"``, ``"pages"`` or ``"images"``: the catalogue's
    ``err.range_<unit>``, formatted with ``fmt`` too).

    Examples
    --------
    >>> check_in_layer("filter_index", 3, 8, "conv", "filters")
    3
    """
    value = int(value)
    if not 0 <= value < n:
        raise ViewError(f"range_{unit}", name=name, value=value, layer=layer, n=n, last=n - 1,
                        **fmt)
    return value


class View(Exportable, w.VBox):
    """Base of every view: a model, a chosen layer, a language and a status line.

    What all five views share lives here once: the ``layer`` trait and its validation against
    the layers the view can show (:attr:`_layers`, path -> LayerInfo, filled by the subclass),
    :meth:`can_show`, the layer menu, control binding (a control's failure is shown in the
    status line, never raised into the comm), the folded error line, and transactional updates:
    a subclass implements ``_prepare(state) -> payload`` (compute and pixels, no widget
    mutation) and ``_apply(payload)`` (push pixels to the views) and calls
    :meth:`_transaction`; if preparing fails, the traits go back to what the view shows and
    the view is untouched. Long actions run through :class:`._jobs.JobRunner`.

    A new view subclasses :class:`View` (or :class:`LayerViewer` when it has a filter/channel
    slider), fills ``_layers``, builds its controls with :meth:`_make_layer_controls` and
    :meth:`_bind`, sets ``children``, calls :meth:`_apply_controls`, and implements
    ``_sync_controls``, ``_prepare`` and ``_apply``.

    Parameters
    ----------
    model : keras.Model
    lang : {"en", "es", "pt"}
        Language of every label and message the view writes.
    controls : bool
        Show the view's own layer menu, filter/channel slider and image menu. A container
        that drives several views from one set of controls (the Explorer) passes False and
        sets the traits instead.
    input_size : (int, int), optional
        Run every image at this ``(height, width)`` instead of the model's own size rule (a
        declared size; each image's own size for a model that takes any size; see
        :attr:`convviz_widgets.compute.ModelAccess.input_shape`). Every computation of the
        view gets it.

    Attributes
    ----------
    layer : str
        Path of the shown layer (``"vgg16/block3_conv1"``). Setting a unique name or a layer
        object stores its path; an unknown or unsuitable layer raises ``TraitError`` listing the
        valid paths.
    controls : bool
        Whether the layer menu, slider and image menu are shown; settable.
    active : bool
        Whether the view is on screen (default True). While False, trait changes are taken
        but nothing is computed or drawn; setting it True draws the current state once. The
        Explorer keeps its hidden pages inactive.
    last_update : dict
        What the last change cost: ``{"what", "ms", "bytes"}`` — Python-side time from the
        trait change to the messages handed to the kernel, and payload bytes sent.
    """

    layer = LayerPath("")
    controls = traitlets.Bool(True)
    active = traitlets.Bool(True)
    #: What the last render cost (see Attributes); a trait so a container or a test can
    #: observe each render.
    last_update = traitlets.Dict()
    #: Why a layer outside :attr:`_layers` is refused: the catalogue entry ``err.<key>`` of the
    #: error a bad ``layer`` raises (formatted with ``path``, ``view`` and ``paths``).
    _unsuitable = "layer_not_shown"

    def __init__(self, model, lang: str = "en", controls: bool = True, input_size=None,
                 **kwargs):
        enable_colab_widgets()
        self.model = model
        #: ``(height, width)`` every computation runs the images at, or None (the model's rule).
        self.input_size = None if input_size is None else check_input_size(input_size)
        self.lang = check_lang(lang)  # what the view writes: "en", "es" or "pt"
        self._layers: dict = {}
        self._syncing = 0
        self._suppress = 0
        self._applied_state: dict | None = None  # the traits the view shows, when it keeps them
        self._stale = False  # a render was skipped while inactive: owed when shown again
        self.last_update = {"what": None, "ms": 0.0, "bytes": 0}
        self._status = w.HTML(value="", layout=w.Layout(min_height="1.4em"))
        self._status.add_class("convviz-status")
        super().__init__(**kwargs)
        self.controls = bool(controls)

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the view's background work is over (scripts, tests, the Explorer's
        warming); False on timeout. A view that computes only when called has none."""
        return True

    # -- re-entrancy: ``_syncing`` while controls follow the traits (their observers must not
    #    write back), ``_suppress`` while traits are set without a render ------------------
    @contextlib.contextmanager
    def _quiet(self):
        """Update controls from Python state without their observers writing back."""
        self._syncing += 1
        try:
            yield
        finally:
            self._syncing -= 1

    @contextlib.contextmanager
    def _suppressed(self):
        """Set traits without triggering renders (reverting, or clamping inside an apply)."""
        self._suppress += 1
        try:
            yield
        finally:
            self._suppress -= 1

    # -- resolution -------------------------------------------------------------------------
    def _path_of(self, layer) -> str:
        return resolve_layer(self.model, layer).path

    def can_show(self, layer) -> bool:
        """Whether this view can show ``layer`` (a path, unique name or keras layer).

        Examples
        --------
        >>> kv = cv.KernelViewer(model)          # doctest: +SKIP
        >>> kv.can_show("max_pooling2d")         # doctest: +SKIP
        False
        """
        if isinstance(layer, str) and layer in self._layers:
            return True
        try:
            return self._path_of(layer) in self._layers
        except (ValueError, TypeError):
            return False

    @staticmethod
    def _label(info) -> str:
        """The layer menu's text for ``info``: its path and output shape."""
        shape = "×".join("?" if d is None else str(d) for d in info.output_shape[1:])
        return f"{info.path}  ({shape})"

    def _valid_paths_text(self, limit: int = 12) -> str:
        paths = list(self._layers)
        more = tr("err.layers_more", self.lang, n=len(paths)) if len(paths) > limit else ""
        return ", ".join(repr(p) for p in paths[:limit]) + more

    def _check_layer(self, value: str) -> str:
        if value in self._layers:
            return value
        try:
            path = self._path_of(value)
        except ValueError as exc:
            # The cause itself (compute's keyed InputError): the status line shows it in the
            # view's language; str() of this error is the English sentence.
            raise ViewError("layer_unknown", cause=exc.with_traceback(None),
                            paths=self._valid_paths_text()) from None
        if path not in self._layers:
            raise ViewError(self._unsuitable, path=path, view=type(self).__name__,
                            paths=self._valid_paths_text())
        return path

    @traitlets.validate("layer")
    def _validate_layer(self, proposal):
        return self._check_layer(proposal["value"])

    # -- controls ---------------------------------------------------------------------------
    def _make_layer_controls(self, infos, slider_label: str | None = None,
                             layer_width: int = 460, slider_width: int = 420,
                             **dropdown) -> None:
        """The layer menu (``_layer_dd``) and, with a label, the filter/channel slider
        (``_slider``)."""
        self._layer_dd = w.Dropdown(options=[(self._label(i), i.path) for i in infos],
                                    description=tr("ui.layer", self.lang),
                                    layout=w.Layout(width=f"{layer_width}px"), **dropdown)
        self._layer_dd.add_class("convviz-layer")  # the role tests and the browser find it by
        if slider_label is not None:
            self._slider = new_slider(description=tr(f"ui.{slider_label}", self.lang),
                                       continuous_update=INT_SLIDER_CONTINUOUS,
                                       layout=w.Layout(width=f"{slider_width}px"))
            self._slider.add_class("convviz-channel")

    def _own_controls(self) -> list:
        """The controls ``controls=False`` hides: layer menu, slider, image menu, upload."""
        return [c for c in (getattr(self, n, None) for n in
                            ("_layer_dd", "_slider", "_image_dd", "_upload")) if c is not None]

    def _built(self) -> None:
        """Called once a view's controls and children exist: the Export buttons added (see
        :class:`._export_view.Exportable`) and ``controls=False`` applied. Labels need nothing
        here: every view builds them translated (``tr(key, self.lang)``), its rasters' and
        overlays' hover words too (``RasterView(lang=self.lang)``)."""
        self._add_export_controls()
        self._apply_controls()

    @traitlets.observe("controls")
    def _apply_controls(self, change=None) -> None:
        """Show or hide :meth:`_own_controls` (subclasses call it once their controls exist)."""
        for control in self._own_controls():
            control.layout.display = None if self.controls else "none"

    def _bind(self, control: w.ValueWidget, trait: str, convert=None) -> None:
        """User moves ``control`` -> set ``trait`` (through ``convert`` when given); a failure
        is shown and the controls go back to the traits."""

        def on_change(change):
            if self._syncing:
                return
            value = change["new"] if convert is None else convert(change["new"])
            self._set_from_ui(trait, value)

        control.observe(on_change, "value")

    def _set_from_ui(self, trait: str, value) -> None:
        """A user action: failures are shown in the widget, never raised into the comm."""
        try:
            setattr(self, trait, value)
        except Exception as exc:  # noqa: BLE001 - shown in the widget, never lost
            self._show_error(exc)
            self._sync_controls()

    def _safe(self, fn) -> None:
        """Call ``fn()`` for a button; an error is shown in the widget."""
        try:
            fn()
        except Exception as exc:  # noqa: BLE001 - a click must never raise into the comm
            self._show_error(exc)

    def _show_error(self, exc: BaseException | None, note: str | None = None) -> None:
        """Show ``exc`` in the view's status line (one sentence, details folded; see
        :func:`._errors.error_html`); ``None`` clears it. ``note`` defaults to "The previous
        view is kept."."""
        if exc is None:
            self._status.value = ""
            return
        self._status.value = error_html(exc, self.lang,
                                        tr("ui.view_kept", self.lang) if note is None else note)

    def _show_note(self, text: str) -> None:
        """A neutral one-line message in the status line (no error)."""
        self._status.value = f"<div class='convviz-note' style='color:#555'>{html.escape(text)}" \
                             "</div>"

    # -- rendering only while shown ---------------------------------------------------------
    def _defer_render(self) -> bool:
        """True while the view is inactive: the caller skips its render, which is owed (one
        :meth:`_refresh` of the then current traits when :attr:`active` turns True)."""
        if self.active:
            return False
        self._stale = True
        return True

    @traitlets.observe("active")
    def _on_active_view(self, change) -> None:
        if change["new"] and self._stale and not self._suppress:
            self._stale = False
            self._safe(self._refresh)

    def _refresh(self) -> None:
        """Draw the current traits in full (a view shown again catching up). Views that defer
        anything besides :meth:`_transaction` override it."""

    # -- transactional updates --------------------------------------------------------------
    def _transaction(self, what: str, reverts: dict, prepare, apply) -> None:
        """Run ``apply(prepare())``; on failure put the traits back (see :meth:`_revert`).
        Nothing runs while the view is inactive (see :meth:`_defer_render`)."""
        if self._suppress or self._defer_render():
            return
        t0 = time.perf_counter()
        try:
            payload = prepare()
        except Exception as exc:
            self._revert(reverts)
            self._show_error(exc)
            raise
        sent = apply(payload) or 0
        self._show_error(None)
        self.last_update = {"what": what, "ms": (time.perf_counter() - t0) * 1e3,
                            "bytes": int(sent)}

    def _revert(self, reverts: dict) -> None:
        """Put the traits back to what the view shows, and the controls with them.

        A view that records :attr:`_applied_state` (the traits its last apply showed) gets
        all of them back — with coalesced background requests several changes may wait behind
        the one that failed; otherwise ``reverts`` (trait -> old value) is restored.
        """
        state = self._applied_state if self._applied_state is not None else reverts
        with self._suppressed():
            for name, old in state.items():
                if name == "image_index" and not 0 <= old < len(getattr(self, "images", ())):
                    continue
                setattr(self, name, old)
        self._sync_controls()

    def _sync_controls(self) -> None:
        """Make the controls show the current trait values (subclasses extend)."""


class LayerViewer(View):
    """A :class:`View` with a filter/channel: the ``filter_index`` trait and its slider.

    Subclasses implement ``_count(path)`` (filters or channels of a layer) and, when the count
    depends on more than the layer, name those traits in ``_channels_depend``.

    Attributes
    ----------
    filter_index : int
        Index of the selected filter (KernelViewer, FilterMaximizer) or channel
        (ActivationViewer).
    channels : int
        How many filters/channels the current layer has: looked up once per layer (by
        :meth:`count_channels`) and read from here afterwards, so a filter-slider move looks
        nothing up.
    """

    filter_index = traitlets.Int(0)

    def _count(self, path: str | None = None) -> int:
        """Number of filters/channels of ``path`` (default: the current layer)."""
        raise NotImplementedError(f"{type(self).__name__} must implement _count(path): a "
                                  "LayerViewer's slider range comes from it.")

    def count_channels(self, path: str | None = None) -> int:
        """Look up how many filters/channels ``path`` has (default: the current layer).

        The one lookup behind :attr:`channels`; prefer :attr:`channels`, which is decided once
        per layer.
        """
        return self._count(path)

    #: What the channel count depends on: the layer (the maximizer adds its objective). An
    #: ``attrgetter``, so reading :attr:`channels` runs no further Python function.
    _channels_depend = operator.attrgetter("layer")

    @property
    def channels(self) -> int:
        """Filters/channels of the current layer, decided once per value of its dependencies."""
        key = self._channels_depend(self)
        held = getattr(self, "_channels_held", None)
        if held is None or held[0] != key:
            held = (key, self.count_channels())
            self._channels_held = held
        return held[1]

    @traitlets.validate("filter_index")
    def _validate_filter_index(self, proposal):
        if not self.layer:
            return int(proposal["value"])
        n = self.channels
        return check_in_layer("filter_index", proposal["value"], n, self.layer, "filters")

    def _sync_layer_controls(self) -> int | None:
        """Put the layer menu and slider on the traits (inside ``_quiet()``); return the layer's
        channel count, or None while the layer is not one this view shows."""
        if self.layer not in self._layers:
            return None
        n = self.channels
        self._layer_dd.value = self.layer
        set_slider(self._slider, min(self.filter_index, n - 1), n - 1)
        return n
