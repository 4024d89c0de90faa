"""What a Grad-CAM target is called in a view: class names (one sigmoid unit names its
positive class), regions of an image-shaped output, and the notes a misleading map needs
(a flat map, an early layer). Shared by the Grad-CAM viewer, the Explorer, the Channel card and
the Filter maximizer, so every place names a target the same way."""

from __future__ import annotations

from .. import compute
from ..compute import access
from ..compute.cam import default_layer
from ..i18n import CATALOGUE, tr


def class_names_for(model, class_names, output, lang: str) -> list[str]:
    """The views' class names: :func:`~convviz_widgets.compute.class_labels` in ``lang``."""
    return compute.class_labels(model, class_names, output=output,
                                negative=tr("tg.not_class", lang),
                                unnamed=tr("ui.class_n", lang, i="{}"))


def region_text(region, lang: str) -> str:
    """``"foreground (812 px)"`` in ``lang`` (a box says its corners)."""
    what = tr(f"tg.{region.kind}", lang)
    if region.kind == "box":
        what += " ({}, {})–({}, {})".format(*region.box)
    if region.pixels is None:
        return what
    return tr("tg.region_px", lang, what=what, n=region.pixels)


def is_flat(result) -> bool:
    """True when a map shows nothing: flagged, or the same value everywhere."""
    h = result.heatmap
    return result.flag is not None or not h.size or float(h.max()) <= float(h.min())


def flag_text(result, lang: str) -> str:
    """Why a map is blank, in ``lang`` (a flag of a newer method falls back to its English
    reason rather than showing a key)."""
    key = f"flag.{result.flag or 'flat'}"
    return tr(key, lang) if key in CATALOGUE else result.reason or key


def flat_warning(result, try_layer, lang: str) -> str:
    """``"The map is all zero at uconv32: …. Try layer conv64."`` (empty for a good map)."""
    if not is_flat(result) or result.flag == "nonfinite_input":
        return ""
    why = flag_text(result, lang)
    text = tr("tg.flat", lang, layer=result.layer, why=why)
    if result.flag in ("constant_input", "empty_region", "nonfinite_map"):
        return text  # another layer would not help
    return text + " " + (tr("tg.try", lang, layer=try_layer) if try_layer else
                         tr("tg.try_none", lang))


def early_layer_note(model, layer: str, lang: str) -> str:
    """The note for a Grad-CAM layer that comes before the method's own layer (empty if not)."""
    try:
        best = default_layer(model)
    except ValueError:
        return ""
    if layer == best:
        return ""
    order = list(access(model).trace().order)
    if layer in order and best in order and order.index(layer) < order.index(best):
        return tr("tg.early", lang, layer=layer, best=best)
    return ""


def target_label(target, class_names, lang: str) -> str:
    """How a view names a resolved Grad-CAM target: its class name, ``"region: foreground
    (812 px)"`` for a region, or the callable's name."""
    if target is None:
        return "top-1"
    if callable(target) and getattr(target, "kind", None) is not None:
        return tr("tg.region", lang, what=region_text(target, lang))
    if callable(target):
        return getattr(target, "__name__", tr("ui.custom_score", lang))
    names = class_names or []
    index = int(target)
    return names[index] if 0 <= index < len(names) else tr("ui.class_n", lang, i=index)


# -- the typed target of the widget side ---------------------------------------------------------
#: The picker's choice "the model's own answer": the top-1 class, or the predicted foreground of
#: an image-shaped output — what compute calls ``target=None``. A named value, not a ``-1``: a
#: menu entry must say what it stands for, and ``None`` cannot be a menu value (ipywidgets 8
#: reads a ``None`` value as "nothing selected").
TOP_1 = "top-1"


def to_compute(choice):
    """The compute target a picker choice stands for: ``TOP_1`` → ``None``; a class index, a
    :class:`~convviz_widgets.compute.Region` or a callable as they are.

    Examples
    --------
    >>> to_compute(TOP_1) is None, to_compute(3)
    (True, 3)
    """
    return None if choice is None or (isinstance(choice, str) and choice == TOP_1) else choice


def to_choice(target):
    """The picker choice showing a compute target (``None`` → ``TOP_1``).

    Examples
    --------
    >>> to_choice(None), to_choice(2)
    ('top-1', 2)
    """
    return TOP_1 if target is None else target
