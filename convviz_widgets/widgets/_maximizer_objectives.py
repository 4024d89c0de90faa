"""The FilterMaximizer's objective menu: channel (the lesson's recipe), neuron (the centre or a
point clicked on the pattern), negative channel, class / Dense unit (the layer menu then offers
the model's output and its Dense layers), and diversity (N patterns of one filter).

What each objective *computes* is :func:`convviz_widgets.compute.maximize.maximize`'s business;
this module turns the menu into its keyword arguments and keeps the controls in step."""

from __future__ import annotations

import ipywidgets as w
import numpy as np

from ._i18n import register, tr
from ._fit import fit_layout

__all__ = ["MaximizerObjectiveMixin", "OBJECTIVE_LABELS"]

#: Menu entries: objective name -> i18n key.
OBJECTIVE_LABELS = {"channel": "fm_obj_channel", "neuron": "fm_obj_neuron",
                    "negative": "fm_obj_negative", "class": "fm_obj_class",
                    "diversity": "fm_obj_diversity"}

register({
    # The recipes of the method menu (the values stay the API's names).
    "fm_method:regularized": ("regularized", "regularizado", "regularizado"),
    "fm_method:naive": ("naive", "ingenuo", "ingênuo"),
    "objective": ("objective", "objetivo", "objetivo"),
    "patterns": ("patterns", "patrones", "padrões"),
    "fm_obj_channel": ("channel (mean)", "canal (media)", "canal (média)"),
    "fm_obj_neuron": ("neuron", "neurona", "neurônio"),
    "fm_obj_negative": ("negative channel", "canal negativo", "canal negativo"),
    "fm_obj_class": ("class / Dense unit", "clase / unidad densa", "classe / unidade densa"),
    "fm_obj_diversity": ("diversity", "diversidad", "diversidade"),
    "fm_centre": ("centre", "centro", "centro"),
    "fm_neuron_note": ("neuron {where} · click the pattern to move it",
                       "neurona {where} · haga clic en el patrón para moverla",
                       "neurônio {where} · clique no padrão para movê-lo"),
    "fm_at_centre": ("at the centre", "en el centro", "no centro"),
    "fm_at_pixel": ("under pixel ({y}, {x})", "bajo el píxel ({y}, {x})",
                    "sob o pixel ({y}, {x})"),
    "unit": ("unit", "unidad", "unidade"),
    "fm_n_rows": ("{n} {what}", "{n} {what}", "{n} {what}"),
    "fm_classes": ("classes", "clases", "classes"),
    "fm_units": ("units", "unidades", "unidades"),
    "fm_patterns_n": ("patterns", "patrones", "padrões"),
    "fm_pattern_1": ("pattern", "patrón", "padrão"),
    "fm_gallery_of": ("{layer}: {what} {a}–{b}", "{layer}: {what} {a}–{b}",
                      "{layer}: {what} {a}–{b}"),
    "fm_what_filter": ("filter {f}", "filtro {f}", "filtro {f}"),
    "fm_what_class": ("class {f}", "clase {f}", "classe {f}"),
    "fm_what_unit": ("unit {f}", "unidad {f}", "unidade {f}"),
    "fm_diverse": ("{layer} · filter {f}: {n} diverse patterns",
                   "{layer} · filtro {f}: {n} patrones diversos",
                   "{layer} · filtro {f}: {n} padrões diversos"),
    # A class / Dense-unit run reports the unit's value before the activation (its logit).
    "fm_value_logit": ("logit {m}", "logit {m}", "logit {m}"),
    "fm_done_logit": ("{what} in {sec} s{note} · logit {m}", "{what} en {sec} s{note} · logit {m}",
                      "{what} em {sec} s{note} · logit {m}"),
    "fm_no_class_layer": ("This model has no output or Dense layer to read classes from.",
                          "Este modelo no tiene capa de salida ni densa de la que leer clases.",
                          "Este modelo não tem camada de saída nem densa da qual ler classes."),
})


class MaximizerObjectiveMixin:
    """Objective controls and settings of :class:`FilterMaximizer` (its traits live there)."""

    def _make_objective_controls(self) -> None:
        self._objective_dd = w.Dropdown(
            options=[(tr(key, self.lang), name) for name, key in OBJECTIVE_LABELS.items()],
            description="objective", layout=w.Layout(width="260px"))
        self._patterns_box = w.BoundedIntText(min=2, max=16, description="patterns",
                                              layout=w.Layout(width="160px"))
        self._centre_btn = w.Button(description=tr("fm_centre", self.lang), icon="crosshairs",
                                    layout=fit_layout())
        self._neuron_note = w.HTML(value="")
        self._centre_btn.on_click(lambda _b: self._set_from_ui("neuron_position", None))
        self.pattern.on_click(self._on_pattern_click)

    def _objective_row(self) -> w.HBox:
        return w.HBox([self._objective_dd, self._patterns_box, self._centre_btn,
                       self._neuron_note])

    def _sync_objective_controls(self) -> None:
        """Inside ``_quiet()``: the menu, N and the neuron note follow the traits."""
        self._objective_dd.value = self.objective
        self._patterns_box.value = int(self.n_patterns)
        self._patterns_box.layout.display = None if self.objective == "diversity" else "none"
        neuron = self.objective == "neuron"
        self._centre_btn.layout.display = None if neuron else "none"
        self._neuron_note.layout.display = None if neuron else "none"
        pos = self.neuron_position
        where = tr("fm_at_centre", self.lang) if pos is None else \
            tr("fm_at_pixel", self.lang, y=pos[0], x=pos[1])
        self._neuron_note.value = tr("fm_neuron_note", self.lang, where=where)
        self._range.disabled = self.mode != "gallery" or self.objective == "diversity"
        self._slider.description = tr(self._row_kind(), self.lang)

    # ------------------------------------------------------------------------ the layers
    def _class_infos(self) -> list:
        if self._class_cache is None:
            from ..compute.maximize import class_layers, target_count

            infos = class_layers(self.model)
            self._class_cache = (infos, {i.path: target_count(self.model, i.path, "class")
                                         for i in infos})
        return self._class_cache[0]

    def _objective_count(self, path: str) -> int:
        if self.objective == "class":
            self._class_infos()
            return int(self._class_cache[1][path])
        return int(self._layers[path].channels)

    def _switch_layers(self, old: str, new: str) -> None:
        """The class objective reads Dense layers and the output; the others feature maps."""
        if (old == "class") == (new == "class"):
            return
        if new == "class":
            infos = self._class_infos()
            if not infos:
                raise ValueError(tr("fm_no_class_layer", self.lang))
            self._map_layer = self.layer
            layer = infos[0].path
        else:
            infos = self._map_infos
            layer = self._map_layer if self._map_layer in {i.path for i in infos} \
                else self._default_layer(infos)
        self._layers = {i.path: i for i in infos}
        with self._quiet():
            self._layer_dd.options = [(self._label(i), i.path) for i in infos]
        with self._suppressed():
            self.layer = layer
            n = self._count()
            self.filter_index = min(self.filter_index, n - 1)
            self.gallery_range = (0, min(n, 64) - 1)

    # -------------------------------------------------------------------------- settings
    def _objective_settings(self) -> dict:
        """``maximize`` keyword arguments for the chosen objective."""
        if self.objective == "channel":
            return {}  # the lesson's recipe, exactly: maximize's default objective
        if self.objective == "neuron" and self.neuron_position is not None:
            from ..compute.maximize import neuron

            h, w_ = self._hw()
            y, x = self.neuron_position
            # The pixel's centre as a fraction of the pattern: maximize maps it onto the
            # layer's own map, whatever its size.
            return {"objective": neuron(self.layer, y=(y + 0.5) / h, x=(x + 0.5) / w_,
                                        fraction=True)}
        if self.objective == "diversity":
            return {"objective": "diversity", "n_patterns": int(self.n_patterns)}
        return {"objective": self.objective}

    def _row_kind(self) -> str:
        """What one row is: ``"filter"``, ``"class"`` (the output layer) or ``"unit"``."""
        if self.objective != "class":
            return "filter"
        infos = self._class_infos()
        return "class" if infos and self.layer == infos[0].path else "unit"

    def _what(self, f: int) -> str:
        """"filter 3", "class 3" or "unit 3" in the view's language."""
        kind = self._row_kind()
        text = tr(f"fm_what_{kind}", self.lang, f=int(f))
        names = getattr(self, "class_names", None) or []
        if kind == "class" and 0 <= int(f) < len(names):
            text += f" · {names[int(f)]}"  # "class 1 · star", never a bare index for a name
        return text

    def _rows_text(self, n: int) -> str:
        """"7 filters", "5 classes", "4 patterns" … in the view's language."""
        kind = "diversity" if self.objective == "diversity" else self._row_kind()
        if kind == "filter":
            return self._n_filters(n)
        one, many = {"diversity": ("fm_pattern_1", "fm_patterns_n"),
                     "class": ("class", "fm_classes"), "unit": ("unit", "fm_units")}[kind]
        return tr("fm_n_rows", self.lang, n=n, what=tr(one if n == 1 else many, self.lang))

    def _gallery_title(self, filters: np.ndarray) -> str:
        n = len(filters)
        if self.objective == "diversity" and n and (filters == filters[0]).all():
            return tr("fm_diverse", self.lang, layer=self.layer, f=int(filters[0]), n=n)
        if self._row_kind() == "filter":
            return tr("fm_gallery", self.lang, layer=self.layer, a=int(filters[0]),
                      b=int(filters[-1]))
        what = tr("fm_classes" if self._row_kind() == "class" else "fm_units", self.lang)
        return tr("fm_gallery_of", self.lang, layer=self.layer, what=what, a=int(filters[0]),
                  b=int(filters[-1]))

    def _display_filters(self, filters: np.ndarray) -> np.ndarray:
        """The rows a run shows: N copies of the filter for diversity."""
        if self.objective == "diversity":
            return np.full((int(self.n_patterns),), int(self.filter_index), np.int64)
        return filters

    def _on_pattern_click(self, tile, y, x) -> None:
        try:
            if self.objective == "neuron":
                self.neuron_position = (int(y), int(x))
        except Exception as exc:  # noqa: BLE001 - a click must never raise into the comm
            self._set_error(exc)


def value_key(objective: str, done: bool = False) -> str:
    """The label of a run's value: a class / Dense-unit objective reports a logit, the others
    a mean activation.

    Examples
    --------
    >>> value_key("class"), value_key("channel", done=True)
    ('fm_value_logit', 'fm_done')
    """
    if objective == "class":
        return "fm_done_logit" if done else "fm_value_logit"
    return "fm_done" if done else "fm_mean_act"
