"""What a Grad-CAM target is called in a view: class names (one sigmoid unit names its
positive class), regions of an image-shaped output, and the notes a misleading map needs
(a flat map, an early layer). Shared by the Grad-CAM viewer, the Explorer, the Channel card and
the Filter maximizer, so every place names a target the same way."""

from __future__ import annotations

from ..compute import access, class_labels
from ..compute.cam import default_layer
from ._i18n import register, tr

register({
    # "{}" is filled with the positive class name by compute.class_labels.
    "tg:not_class": ("not {}", "no {}", "não {}"),
    "tg:region": ("region: {what}", "región: {what}", "região: {what}"),
    "tg:region_px": ("{what} ({n} px)", "{what} ({n} px)", "{what} ({n} px)"),
    "tg:foreground": ("foreground", "primer plano", "primeiro plano"),
    "tg:background": ("background", "fondo", "fundo"),
    "tg:all": ("whole output", "toda la salida", "saída inteira"),
    "tg:box": ("box", "recuadro", "retângulo"),
    "tg:mask": ("mask", "máscara", "máscara"),
    "tg:region_menu": ("region", "región", "região"),
    "tg:region_head": ("explained region", "región explicada", "região explicada"),
    "tg:region_note": ("The output is an image: Grad-CAM explains the sum of output channel "
                       "{ch} over a region of its pixels (Seg-Grad-CAM). Set rows and columns "
                       "below and press 'explain box' to explain a box.",
                       "La salida es una imagen: Grad-CAM explica la suma del canal {ch} de "
                       "la salida sobre una región de sus píxeles (Seg-Grad-CAM). Elija filas "
                       "y columnas abajo y pulse «explicar recuadro» para explicar un recuadro.",
                       "A saída é uma imagem: o Grad-CAM explica a soma do canal {ch} da saída "
                       "sobre uma região dos seus pixels (Seg-Grad-CAM). Escolha linhas e "
                       "colunas abaixo e clique em «explicar retângulo» para explicar um "
                       "retângulo."),
    "tg:rows": ("rows", "filas", "linhas"),
    "tg:cols": ("columns", "columnas", "colunas"),
    "tg:explain_box": ("explain box", "explicar recuadro", "explicar retângulo"),
    "tg:flat": ("The map is all zero at {layer}: {why}.",
                "El mapa es todo cero en {layer}: {why}.",
                "O mapa é todo zero em {layer}: {why}."),
    "tg:try": ("Try layer {layer}.", "Pruebe la capa {layer}.", "Experimente a camada {layer}."),
    "tg:try_none": ("No other layer gives a non-zero map for this target; try another target "
                    "or method.",
                    "Ninguna otra capa da un mapa no nulo para este objetivo; pruebe otro "
                    "objetivo o método.",
                    "Nenhuma outra camada dá um mapa não nulo para este alvo; experimente "
                    "outro alvo ou método."),
    "tg:early": ("{layer} is an early layer: Grad-CAM is most meaningful at the last conv "
                 "layer, {best}.",
                 "{layer} es una capa temprana: Grad-CAM tiene más sentido en la última capa "
                 "convolucional, {best}.",
                 "{layer} é uma camada inicial: o Grad-CAM faz mais sentido na última camada "
                 "convolucional, {best}."),
    "flag:nonfinite_input": ("the image contains NaN or infinite values; nothing was computed",
                             "la imagen contiene valores NaN o infinitos; no se calculó nada",
                             "a imagem contém valores NaN ou infinitos; nada foi calculado"),
    "flag:constant_input": ("the image is constant, so no region can stand out",
                            "la imagen es constante, ninguna región puede destacar",
                            "a imagem é constante, nenhuma região pode se destacar"),
    "flag:nonfinite_map": ("the model produced NaN or infinite values for this image",
                           "el modelo produjo valores NaN o infinitos para esta imagen",
                           "o modelo produziu valores NaN ou infinitos para esta imagem"),
    "flag:no_gradient": ("the target score does not depend on this layer (all gradients are 0)",
                         "la puntuación no depende de esta capa (todos los gradientes son 0)",
                         "a pontuação não depende desta camada (todos os gradientes são 0)"),
    "flag:no_positive_evidence": ("no channel combination raises the score (0 after the ReLU)",
                                  "ninguna combinación de canales sube la puntuación (0 tras "
                                  "la ReLU)",
                                  "nenhuma combinação de canais aumenta a pontuação (0 após a "
                                  "ReLU)"),
    "flag:empty_region": ("the region has no pixels (nothing is predicted as foreground); "
                          "choose another region or draw a box",
                          "la región no tiene píxeles (nada se predice como primer plano); "
                          "elija otra región o dibuje un recuadro",
                          "a região não tem pixels (nada é previsto como primeiro plano); "
                          "escolha outra região ou desenhe um retângulo"),
    "flag:flat": ("the map is constant", "el mapa es constante", "o mapa é constante"),
})


def class_names_for(model, class_names, output, lang: str) -> list[str]:
    """The views' class names: :func:`~convviz_widgets.compute.class_labels` in ``lang``."""
    return class_labels(model, class_names, output=output, negative=tr("tg:not_class", lang),
                        unnamed=tr("class_n", lang, i="{}"))


def region_text(region, lang: str) -> str:
    """``"foreground (812 px)"`` in ``lang`` (a box says its corners)."""
    what = tr(f"tg:{region.kind}", lang)
    if region.kind == "box":
        what += " ({}, {})–({}, {})".format(*region.box)
    if region.pixels is None:
        return what
    return tr("tg:region_px", lang, what=what, n=region.pixels)


def is_flat(result) -> bool:
    """True when a map shows nothing: flagged, or the same value everywhere."""
    h = result.heatmap
    return result.flag is not None or not h.size or float(h.max()) <= float(h.min())


def flag_text(result, lang: str) -> str:
    """Why a map is blank, in ``lang`` (a flag of a newer method falls back to its English
    reason rather than showing a key)."""
    key = f"flag:{result.flag or 'flat'}"
    text = tr(key, lang)
    return result.reason or text if text == key else text


def flat_warning(result, try_layer, lang: str) -> str:
    """``"The map is all zero at uconv32: …. Try layer conv64."`` (empty for a good map)."""
    if not is_flat(result) or result.flag == "nonfinite_input":
        return ""
    why = flag_text(result, lang)
    text = tr("tg:flat", lang, layer=result.layer, why=why)
    if result.flag in ("constant_input", "empty_region", "nonfinite_map"):
        return text  # another layer would not help
    return text + " " + (tr("tg:try", lang, layer=try_layer) if try_layer else
                         tr("tg:try_none", lang))


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
        return tr("tg:early", lang, layer=layer, best=best)
    return ""


def target_label(target, class_names, lang: str) -> str:
    """How a view names a resolved Grad-CAM target: its class name, ``"region: foreground
    (812 px)"`` for a region, or the callable's name."""
    if target is None:
        return "top-1"
    if callable(target) and getattr(target, "kind", None) is not None:
        return tr("tg:region", lang, what=region_text(target, lang))
    if callable(target):
        return getattr(target, "__name__", tr("custom score", lang))
    names = class_names or []
    index = int(target)
    return names[index] if 0 <= index < len(names) else tr("class_n", lang, i=index)


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
