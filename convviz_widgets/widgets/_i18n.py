"""UI labels in English, Spanish and Portuguese (the languages these lessons are taught in).

Keys are the English labels the views use; :func:`translate_tree` relabels a built widget tree,
so a view needs no knowledge of the language it is shown in.
"""

from __future__ import annotations

LANGUAGES = ("en", "es", "pt")

_TABLE: dict[str, tuple[str, str]] = {
    # English: (Spanish, Portuguese)
    "layer": ("capa", "camada"),
    "filter": ("filtro", "filtro"),
    "channel": ("canal", "canal"),
    "image": ("imagen", "imagem"),
    "colormap": ("mapa de color", "mapa de cores"),
    "page": ("página", "página"),
    "method": ("método", "método"),
    "steps": ("pasos", "passos"),
    "size": ("tamaño", "tamanho"),
    "seed": ("semilla", "semente"),
    "gallery": ("galería", "galeria"),
    "class": ("clase", "classe"),
    "opacity": ("opacidad", "opacidade"),
    "Upload": ("Subir", "Enviar"),
    "Run": ("Ejecutar", "Executar"),
    "Cancel": ("Cancelar", "Cancelar"),
    "Export PNG": ("Exportar PNG", "Exportar PNG"),
    "stretch contrast": ("estirar contraste", "esticar contraste"),
    "Find best & worst predictions": ("Buscar mejores y peores predicciones",
                                      "Buscar melhores e piores previsões"),
    "Kernels": ("Kernels", "Kernels"),
    "Activations": ("Activaciones", "Ativações"),
    "Patterns": ("Patrones", "Padrões"),
    "Grad-CAM": ("Grad-CAM", "Grad-CAM"),
    "Model": ("Modelo", "Modelo"),
    "shared layer": ("capa compartida", "camada compartilhada"),
    "no_kernel": ("La capa {path} no tiene kernel de convolución; esta pestaña sigue mostrando "
                  "{shown}.",
                  "A camada {path} não tem kernel de convolução; esta aba continua mostrando "
                  "{shown}."),
    "no_map": ("La capa {path} no produce un mapa de características; esta pestaña sigue "
               "mostrando {shown}.",
               "A camada {path} não produz um mapa de características; esta aba continua "
               "mostrando {shown}."),
    "rank": ("Grad-CAM, clase «{cls}», capa {path}: el canal {ch} tiene peso {wt:.3g}, puesto "
             "{rank} de {n}.",
             "Grad-CAM, classe «{cls}», camada {path}: o canal {ch} tem peso {wt:.3g}, posição "
             "{rank} de {n}."),
    "rank_other": ("Grad-CAM explica la capa {gl}; elija esa capa para ver el peso del canal.",
                   "O Grad-CAM explica a camada {gl}; escolha essa camada para ver o peso do "
                   "canal."),
    "summary_head": ("Capa · Tipo · Forma de salida · Parámetros",
                     "Camada · Tipo · Forma de saída · Parâmetros"),
}

_EN = {
    "no_kernel": "Layer {path} has no convolution kernel; this tab keeps showing {shown}.",
    "no_map": "Layer {path} outputs no feature map; this tab keeps showing {shown}.",
    "rank": "Grad-CAM, class “{cls}”, layer {path}: channel {ch} has weight {wt:.3g}, rank "
            "{rank} of {n}.",
    "rank_other": "Grad-CAM explains layer {gl}; pick that layer to see the channel's weight.",
    "summary_head": "Layer · Type · Output shape · Parameters",
}


def check_lang(lang: str) -> str:
    """Validate a language code."""
    if lang not in LANGUAGES:
        raise ValueError(f"lang must be one of {LANGUAGES} (English, Spanish, Portuguese), not "
                         f"{lang!r}.")
    return lang


def tr(key: str, lang: str = "en", **fmt) -> str:
    """The label ``key`` in ``lang``, formatted with ``fmt``.

    Examples
    --------
    >>> tr("layer", "es"), tr("layer", "pt"), tr("layer")
    ('capa', 'camada', 'layer')
    """
    if lang == "en" or key not in _TABLE:
        text = _EN.get(key, key)
    else:
        text = _TABLE[key][LANGUAGES.index(lang) - 1]
    return text.format(**fmt) if fmt else text


def translate_tree(widget, lang: str) -> None:
    """Relabel the ``description`` of every control below ``widget`` that the table knows."""
    if lang == "en":
        return
    stack = [widget]
    seen = set()
    while stack:
        wd = stack.pop()
        if id(wd) in seen:
            continue
        seen.add(id(wd))
        desc = getattr(wd, "description", None)
        if isinstance(desc, str) and desc in _TABLE:
            wd.description = tr(desc, lang)
        stack.extend(getattr(wd, "children", ()) or ())
