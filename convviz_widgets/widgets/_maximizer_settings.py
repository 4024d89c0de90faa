"""The FilterMaximizer's settings: which layers its menu offers, what each setting accepts (pure
checks the view's validators call, so a bad value raises the same ``TraitError`` from Python,
from a control and from the constructor), and the row of their controls (:class:`SettingsBar`)."""

from __future__ import annotations

import ipywidgets as w

from ..compute import access, conv_layers, require_spatial
from ..compute.maximize import METHODS
from ..i18n import tr
from ._view_error import ViewError

#: Largest gallery the widget runs at once (a 512-filter layer is split by the range slider).
MAX_GALLERY = 256


def pattern_layers(model, layers, input_size) -> tuple:
    """``(fixed_size, infos)``: the pattern's (h, w) when the model fixes it at the view's
    ``input_size`` (else None), and the feature-map layers the menu offers (``layers``: "conv",
    "all" or a list of layers)."""
    acc = access(model).at_size(input_size)  # a forced size is fixed for the view
    _, mh, mw, _ = acc.input_shape
    fixed = (int(mh), int(mw)) if mh is not None and mw is not None else None
    return fixed, feature_map_layers(model, layers, acc)


def feature_map_layers(model, layers, acc) -> list:
    """The feature-map layers the menu offers (``layers``: "conv", "all" or a list of layers);
    ``acc`` is the model's access at the view's input size."""
    if layers == "conv":
        infos = [i for i in conv_layers(model, "kernel") if i.is_spatial and i.calls]
        infos = infos or conv_layers(model, "spatial")
    elif layers == "all":
        infos = [i for i in conv_layers(model, "spatial") if not i.is_container]
    else:
        infos = [acc.infos()[require_spatial(model, l, "filters to maximise")] for l in layers]
    if not infos:
        raise ValueError(f"Model {getattr(model, 'name', '')!r} has no layer with a feature map "
                         "(batch, height, width, channels): there is nothing to maximise.")
    return infos


def middle_layer(infos) -> str:
    """The default layer: the middle of the network (early layers give colours and edges, late
    ones parts)."""
    return infos[len(infos) // 2].path


def check_method(value) -> str:
    if value not in METHODS:
        raise ViewError("unknown_method", method=value, methods=list(METHODS))
    return value


def check_steps(value) -> int:
    v = int(value)
    if v < 1:
        raise ViewError("fm_steps", v=v)
    return v


def check_size(value, fixed) -> int:
    """``fixed``: the model's ``(height, width)`` when it takes only that size, else None."""
    v = int(value)
    if fixed is not None and v != fixed[0]:
        raise ViewError("fm_fixed_size", h=fixed[0], w=fixed[1])
    if v < 16:
        raise ViewError("fm_size", v=v)
    return v


def check_patterns(value) -> int:
    v = int(value)
    if not 2 <= v <= 16:
        raise ViewError("fm_patterns", v=v)
    return v


def check_position(pos, hw) -> tuple[int, int] | None:
    """A neuron position ``(y, x)`` inside a pattern of size ``hw``, or None (the centre)."""
    if pos is None:
        return None
    h, w_ = hw
    try:
        y, x = (int(v) for v in pos)
    except (TypeError, ValueError):
        raise ViewError("fm_position", pos=pos) from None
    if not (0 <= y < h and 0 <= x < w_):
        raise ViewError("fm_position_outside", pos=(y, x), h=h, w=w_)
    return (y, x)


def check_range(value, n: int, layer: str) -> tuple[int, int]:
    """A gallery range ``(first, last)`` of the ``n`` filters of ``layer``."""
    a, b = (int(v) for v in value)
    if not layer:
        return (a, b)
    if not (0 <= a <= b < n):
        raise ViewError("fm_gallery_range", ab=(a, b), layer=layer, n=n, last=n - 1)
    if b - a + 1 > MAX_GALLERY:
        raise ViewError("fm_gallery_max", most=MAX_GALLERY)
    return (a, b)


class SettingsBar(w.HBox):
    """The row of the optimisation settings: method, steps, size, seed, stretch contrast.

    A component: the view binds each of :attr:`controls` to its trait of the same name and
    calls :meth:`show` to make them follow the traits.

    Attributes
    ----------
    controls : dict
        Trait name → its control.
    """

    def __init__(self, lang: str, fixed_size: bool):
        self.controls = {
            "method": w.Dropdown(options=[(tr(f"fm.method_{m}", lang), m)
                                          for m in METHODS],
                                 description=tr("ui.method", lang), layout=w.Layout(width="240px")),
            "steps": w.BoundedIntText(min=1, max=10000, description=tr("ui.steps", lang),
                                      layout=w.Layout(width="160px")),
            # A model of a fixed input size optimises at that size: nothing to choose.
            "size": w.BoundedIntText(min=16, max=1024, description=tr("ui.size", lang),
                                     layout=w.Layout(width="160px"), disabled=fixed_size),
            "seed": w.IntText(description=tr("ui.seed", lang), layout=w.Layout(width="160px")),
            "stretch": w.Checkbox(value=True, description=tr("ui.stretch_contrast", lang), indent=False,
                                  layout=w.Layout(width="150px")),
        }
        super().__init__(list(self.controls.values()))

    def show(self, values: dict) -> None:
        """Put each control on ``values[trait]`` (inside the view's ``_quiet()``)."""
        for trait, control in self.controls.items():
            control.value = values[trait]
