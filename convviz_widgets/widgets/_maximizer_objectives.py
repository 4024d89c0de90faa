"""The FilterMaximizer's objective menu: channel (the lesson's recipe), neuron (the centre or a
point clicked on the pattern), negative channel, class / Dense unit (the layer menu then offers
the model's output and its Dense layers), and diversity (N patterns of one filter).

What each objective *computes* is :func:`convviz_widgets.compute.maximize.maximize`'s business;
this module is the menu (a component), the naming of rows, and the menu turned into keyword
arguments."""

from __future__ import annotations

import ipywidgets as w
import numpy as np
import traitlets

from ..compute.maximize import class_layers, neuron, target_count
from ._fit import fit_layout
from ._maximizer_settings import middle_layer
from ..i18n import tr

__all__ = ["OBJECTIVE_LABELS", "ObjectivePicker", "ObjectiveRows", "objective_settings",
           "value_key"]

#: Menu entries: objective name -> i18n key.
OBJECTIVE_LABELS = {"channel": "fm.obj_channel", "neuron": "fm.obj_neuron",
                    "negative": "fm.obj_negative", "class": "fm.obj_class",
                    "diversity": "fm.obj_diversity"}


class ObjectivePicker(w.HBox):
    """The objective menu of :class:`FilterMaximizer`: the menu, N patterns (diversity), the
    neuron's Centre button and note. A component: the view binds its controls to its own
    traits and calls :meth:`show` so the controls follow them.

    Attributes
    ----------
    objective : str
        The objective shown.
    n_patterns : int
    neuron_position : (int, int) or None
    menu, patterns_box, centre_button : ipywidgets controls

    Examples
    --------
    >>> picker = ObjectivePicker("es")
    >>> picker.show("neuron", 4, (3, 5))
    >>> picker.centre_button.layout.display is None, "(3, 5)" in picker.note.value
    (True, True)
    """

    objective = traitlets.Unicode("channel")
    n_patterns = traitlets.Int(4)
    neuron_position = traitlets.Any(None, allow_none=True)

    def __init__(self, lang: str = "en"):
        self.lang = lang
        self.menu = w.Dropdown(
            options=[(tr(key, lang), name) for name, key in OBJECTIVE_LABELS.items()],
            description=tr("ui.objective", lang), layout=w.Layout(width="260px"))
        self.patterns_box = w.BoundedIntText(min=2, max=16, description=tr("ui.patterns", lang),
                                             layout=w.Layout(width="160px"))
        self.centre_button = w.Button(description=tr("fm.centre", lang), icon="crosshairs",
                                      layout=fit_layout())
        self.note = w.HTML(value="")
        self.menu.add_class("convviz-objective")
        super().__init__([self.menu, self.patterns_box, self.centre_button, self.note])

    def show(self, objective: str, n_patterns: int, neuron_position) -> None:
        """Controls, visibility and the neuron note for these settings (the caller keeps its
        own observers quiet meanwhile)."""
        self.objective, self.n_patterns = objective, int(n_patterns)
        self.neuron_position = neuron_position
        self.menu.value = objective
        self.patterns_box.value = int(n_patterns)
        self.patterns_box.layout.display = None if objective == "diversity" else "none"
        neuron = objective == "neuron"
        self.centre_button.layout.display = None if neuron else "none"
        self.note.layout.display = None if neuron else "none"
        where = tr("fm.at_centre", self.lang) if neuron_position is None else \
            tr("fm.at_pixel", self.lang, y=neuron_position[0], x=neuron_position[1])
        self.note.value = tr("fm.neuron_note", self.lang, where=where)


class ObjectiveRows:
    """What one row of a run is under each objective: the layers offered, their row counts,
    and the words naming rows ("filter 3", "class 1 · star", "4 patterns").

    Parameters
    ----------
    model : keras.Model
    map_infos : list of LayerInfo
        The feature-map layers (every objective but ``class``).
    lang : str
    class_names : list of str, optional

    Examples
    --------
    >>> rows = ObjectiveRows(model, infos)                       # doctest: +SKIP
    >>> rows.what("channel", "conv_b", 3), rows.rows_text("channel", "conv_b", 2)  # doctest: +SKIP
    ('filter 3', '2 filters')
    """

    def __init__(self, model, map_infos, lang: str = "en", class_names=None):
        self.model, self.map_infos, self.lang = model, list(map_infos), lang
        self.class_names = class_names or []
        self._map_counts = {i.path: int(i.channels) for i in self.map_infos}
        self._class = None  # (class-objective layers, their unit counts), when first needed
        self._map_layer = None  # the feature-map layer to return to after the class objective

    def class_infos(self) -> list:
        """The output and the Dense layers (the class objective's layers)."""
        if self._class is None:
            infos = class_layers(self.model)
            self._class = (infos, {i.path: target_count(self.model, i.path, "class")
                                   for i in infos})
        return self._class[0]

    def infos(self, objective: str) -> list:
        """The layers the menu offers for ``objective``."""
        return self.class_infos() if objective == "class" else self.map_infos

    def switch(self, old: str, new: str, layer: str):
        """The layers to offer and the one to show when the objective changes from ``old`` to
        ``new`` (``layer`` is shown now): ``(infos, layer)``, or None when both read the same
        kind of layer. Leaving the class objective returns to the feature-map layer shown
        before it (else the middle one)."""
        if (old == "class") == (new == "class"):
            return None
        infos = self.infos(new)
        if new == "class":
            if not infos:
                raise ValueError(tr("fm.no_class_layer", self.lang))
            self._map_layer = layer
            return infos, infos[0].path
        paths = {i.path for i in infos}
        return infos, self._map_layer if self._map_layer in paths else middle_layer(infos)

    def count(self, objective: str, path: str) -> int:
        """Rows (filters, classes or units) of ``path`` under ``objective``."""
        if objective == "class":
            self.class_infos()
            return int(self._class[1][path])
        return self._map_counts[path]

    def kind(self, objective: str, layer: str) -> str:
        """What one row is: ``"filter"``, ``"class"`` (the output layer) or ``"unit"``."""
        if objective != "class":
            return "filter"
        infos = self.class_infos()
        return "class" if infos and layer == infos[0].path else "unit"

    def what(self, objective: str, layer: str, f: int) -> str:
        """"filter 3", "class 3" or "unit 3" in the view's language."""
        kind = self.kind(objective, layer)
        text = tr(f"fm.what_{kind}", self.lang, f=int(f))
        if kind == "class" and 0 <= int(f) < len(self.class_names):
            text += f" · {self.class_names[int(f)]}"  # "class 1 · star", never a bare index
        return text

    def rows_text(self, objective: str, layer: str, n: int) -> str:
        """"7 filters", "5 classes", "4 patterns" … in the view's language."""
        kind = "diversity" if objective == "diversity" else self.kind(objective, layer)
        if kind == "filter":
            return tr("fm.filters", self.lang, n=n)
        what = {"diversity": "fm.patterns", "class": "fm.classes", "unit": "fm.units"}[kind]
        return tr("fm.n_rows", self.lang, n=n, what=tr(what, self.lang, n=n))

    def gallery_title(self, objective: str, layer: str, filters: np.ndarray) -> str:
        n = len(filters)
        if objective == "diversity" and n and (filters == filters[0]).all():
            return tr("fm.diverse", self.lang, layer=layer, f=int(filters[0]), n=n)
        kind = self.kind(objective, layer)
        if kind == "filter":
            return tr("fm.gallery", self.lang, layer=layer, a=int(filters[0]),
                      b=int(filters[-1]))
        what = tr("fm.classes" if kind == "class" else "fm.units", self.lang, n=n)
        return tr("fm.gallery_of", self.lang, layer=layer, what=what, a=int(filters[0]),
                  b=int(filters[-1]))


def objective_settings(objective: str, layer: str, hw, neuron_position,
                       n_patterns: int) -> dict:
    """``maximize`` keyword arguments for the chosen objective.

    Examples
    --------
    >>> objective_settings("channel", "conv", (32, 32), None, 4)
    {}
    >>> objective_settings("diversity", "conv", (32, 32), None, 3)
    {'objective': 'diversity', 'n_patterns': 3}
    """
    if objective == "channel":
        return {}  # the lesson's recipe, exactly: maximize's default objective
    if objective == "neuron" and neuron_position is not None:
        h, w_ = hw
        y, x = neuron_position
        # The pixel's centre as a fraction of the pattern: maximize maps it onto the layer's
        # own map, whatever its size.
        return {"objective": neuron(layer, y=(y + 0.5) / h, x=(x + 0.5) / w_,
                                                     fraction=True)}
    if objective == "diversity":
        return {"objective": "diversity", "n_patterns": int(n_patterns)}
    return {"objective": objective}


def value_key(objective: str, done: bool = False) -> str:
    """The label of a run's value: a class / Dense-unit objective reports a logit, the others
    a mean activation.

    Examples
    --------
    >>> value_key("class"), value_key("channel", done=True)
    ('fm.value_logit', 'fm.done')
    """
    if objective == "class":
        return "fm.done_logit" if done else "fm.value_logit"
    return "fm.done" if done else "fm.mean_act"
