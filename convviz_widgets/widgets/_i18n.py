"""UI labels in English, Spanish and Portuguese (the languages these lessons are taught in).

Keys are the English labels the views use; :func:`translate_tree` relabels a built widget tree,
so a view needs no knowledge of the language it is shown in.
"""

from __future__ import annotations

from ._overlay import OverlayView
from ._raster import RasterView

LANGUAGES = ("en", "es", "pt")

_TABLE: dict[str, tuple[str, str]] = {
    # Attribution methods whose names are words, not proper names (Grad-CAM, SmoothGrad stay).
    "method:gradient_x_input": ("Gradiente × entrada", "Gradiente × entrada"),
    "method:saliency": ("Saliencia (gradiente)", "Saliência (gradiente)"),
    "method:integrated_gradients": ("Gradientes integrados", "Gradientes integrados"),
    "method:guided_backprop": ("Retropropagación guiada", "Retropropagação guiada"),
    "method:guided_gradcam": ("Grad-CAM guiado", "Grad-CAM guiado"),
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
    # -- what the views write (headings, stats lines, titles) -------------------------------
    "per channel": ("por canal", "por canal"),
    "per layer": ("por capa", "por camada"),
    "filter scale": ("escala del filtro", "escala do filtro"),
    "layer scale": ("escala de la capa", "escala da camada"),
    "one filter": ("un filtro", "um filtro"),
    "input": ("entrada", "entrada"),
    "RGB composite": ("composición RGB", "composição RGB"),
    "av_grid_head": ("<b>todos los canales</b> <small>(clic en un mosaico para elegirlo; cruz "
                     "roja: en blanco, nunca por encima de 0)</small>",
                     "<b>todos os canais</b> <small>(clique num mosaico para escolhê-lo; cruz "
                     "vermelha: em branco, nunca acima de 0)</small>"),
    "av_fed": ("tal como entra al modelo, {h}×{w}", "como entra no modelo, {h}×{w}"),
    "av_channel": ("canal {f} de {c}", "canal {f} de {c}"),
    "av_blank": (" — en blanco (nunca por encima de 0)", " — em branco (nunca acima de 0)"),
    "av_values": ("{layer} · valores {lo} … {hi}", "{layer} · valores {lo} … {hi}"),
    "av_shown": ("; se muestra {lo} … {hi}", "; exibido {lo} … {hi}"),
    "av_layer_range": (" (rango de la capa)", " (faixa da camada)"),
    "av_sparsity": ("<b>esparsidad</b> (proporción de canales en blanco) de {layer} para esta imagen: {n} de {c} canales en blanco "
                    "({p}) · tamaño del mapa {h}×{w}",
                    "<b>esparsidade</b> de {layer} para esta imagem: {n} de {c} canais em branco "
                    "({p}) · tamanho do mapa {h}×{w}"),
    "kv_stats": ("<b>filtro {f}</b>{flag}: norma L2 {norm}, máx |w| {mx} · <b>capa</b>: {dead} "
                 "de {cout} filtros muertos ({frac}), pesos en [{lo}, {hi}]",
                 "<b>filtro {f}</b>{flag}: norma L2 {norm}, máx |w| {mx} · <b>camada</b>: {dead} "
                 "de {cout} filtros mortos ({frac}), pesos em [{lo}, {hi}]"),
    "dead": ("muerto", "morto"),
    "kv_slices": ("filtro {f}: sus {n} cortes por canal de entrada, una escala común ±{lim}",
                  "filtro {f}: suas {n} fatias por canal de entrada, uma escala comum ±{lim}"),
    "kv_overview": ("{path}: los {cout} filtros (filas) × {cin} canales de entrada (columnas)",
                    "{path}: os {cout} filtros (linhas) × {cin} canais de entrada (colunas)"),
    "kv_overview_caption": ("Cada píxel: el peso de mayor magnitud del corte, con su signo. "
                            "Barras rojas a la izquierda: filtros muertos (todos los pesos ~0). "
                            "Clic en una fila para elegirla.",
                            "Cada pixel: o peso de maior magnitude da fatia, com o sinal. "
                            "Barras vermelhas à esquerda: filtros mortos (todos os pesos ~0). "
                            "Clique numa linha para escolhê-la."),
    "fm_press_run": ("{what}: pulse Ejecutar", "{what}: clique em Executar"),
    "fm_filters": ("{n} filtros", "{n} filtros"),
    "fm_filters:one": ("{n} filtro", "{n} filtro"),
    "fm_pattern": ("{layer} · filtro {f}", "{layer} · filtro {f}"),
    "fm_gallery": ("{layer}: filtros {a}–{b}", "{layer}: filtros {a}–{b}"),
    "fm_mean_act": ("activación media {m}", "ativação média {m}"),
    "fm_at": (" (al {p})", " (a {p})"),
    "fm_optimising": ("optimizando {what}…", "otimizando {what}…"),
    "fm_optimising_p": ("optimizando… {p}", "otimizando… {p}"),
    "fm_cancelled_early": ("cancelado antes de empezar", "cancelado antes de começar"),
    # Worded so that no participle agrees with a count ("1 completos" was wrong): k may be 1.
    "fm_cancelled": ("cancelado tras completar {k} de {what} · {sec} s",
                     "cancelado após concluir {k} de {what} · {sec} s"),
    "fm_done": ("{what} en {sec} s{note} · activación media {m}",
                "{what} em {sec} s{note} · ativação média {m}"),
    "fm_from_cache": (" ({k} de la caché)", " ({k} do cache)"),
    "gc_score": ("puntuación {v}", "pontuação {v}"),
    "gc_says": ("dice: {c}", "diz: {c}"),
    "gc_accuracy": ("exactitud en las {n} imágenes etiquetadas: {acc} · {m}",
                    "acurácia nas {n} imagens rotuladas: {acc} · {m}"),
    "gc_mistake_1": ("1 error", "1 erro"),
    "gc_mistakes": ("{k} errores", "{k} erros"),
    "view_kept": ("Se mantiene la vista anterior.", "A vista anterior é mantida."),
    "err_tf": ("TensorFlow no pudo calcular esta vista ({cause}): comprueba que el modelo y "
               "preprocess= aceptan estas imágenes.",
               "O TensorFlow não conseguiu calcular esta vista ({cause}): verifique se o modelo e "
               "preprocess= aceitam estas imagens."),
    "err_memory": ("Memoria agotada al calcular esta vista: prueba con un tamaño menor, menos "
                   "filtros o menos imágenes.",
                   "Memória esgotada ao calcular esta vista: tente um tamanho menor, menos "
                   "filtros ou menos imagens."),
    "err_bug": ("Error inesperado ({kind}: {cause}); si se repite, abre un issue con los "
                "detalles.",
                "Erro inesperado ({kind}: {cause}); se repetir, abra um issue com os detalhes."),
    "err_details": ("detalles", "detalhes"),
    "gc_cancelled": ("Cancelado; se mantiene la vista anterior.",
                     "Cancelado; a vista anterior é mantida."),
    "fm_click_tile": ("Clic en un mosaico para elegir su filtro.",
                      "Clique num mosaico para escolher o seu filtro."),
    "gc_head": ("<b>Grad-CAM</b> <small>¿qué regiones decidieron la puntuación? Clic en una "
                "predicción para explicarla; la opacidad y el mapa de color actúan en el "
                "navegador.</small>",
                "<b>Grad-CAM</b> <small>que regiões decidiram a pontuação? Clique numa "
                "previsão para explicá-la; a opacidade e o mapa de cores agem no "
                "navegador.</small>"),
    "top predictions": ("predicciones principales", "principais previsões"),
    # -- menus, hover lines, notes and titles of the views -------------------------------
    "av_page": ("canales {a}–{b}", "canais {a}–{b}"),
    "av_hover": ("canal {ch}: mín {lo}, máx {hi}, media {m}",
                 "canal {ch}: mín {lo}, máx {hi}, média {m}"),
    "blank": ("en blanco", "em branco"),
    "no_image": ("No hay imagen que mostrar: pase images= o use Subir.",
                 "Nenhuma imagem para mostrar: passe images= ou use Enviar."),
    "image_n": ("imagen {i}", "imagem {i}"),
    "upload_n": ("subida: {name}", "envio: {name}"),
    "scene_n": ("escena {i}", "cena {i}"),
    "scene_named": ("escena {i}: {name}", "cena {i}: {name}"),
    "err_unreadable": ("No se pudo leer «{name}» como imagen: suba un archivo PNG o JPEG.",
                       "Não foi possível ler «{name}» como imagem: envie um arquivo PNG ou "
                       "JPEG."),
    "(no image)": ("(sin imagen)", "(sem imagem)"),
    "input channel": ("canal de entrada", "canal de entrada"),
    "rank_axis": ("puesto", "posição"),
    "computing": ("calculando…", "calculando…"),
    "top-1 prediction": ("predicción top-1", "previsão top-1"),
    "gc_custom": ("personalizado: {name}", "personalizado: {name}"),
    "class_n": ("clase {i}", "classe {i}"),
    "custom score": ("puntuación personalizada", "pontuação personalizada"),
    "gc_explain": ("explicar la clase {i} ({name})", "explicar a classe {i} ({name})"),
    "gc_no_prediction": ("sin predicción para esta imagen", "sem previsão para esta imagem"),
    "gc_best_title": ("predicciones correctas más seguras", "previsões corretas mais confiantes"),
    "gc_worst_title": ("peores predicciones (primero los errores más seguros, luego los aciertos "
                       "menos seguros)",
                       "piores previsões (primeiro os erros mais confiantes, depois os acertos "
                       "menos confiantes)"),
    "(none)": ("(ninguna)", "(nenhuma)"),
    "heat": ("calor", "calor"),
    "av_resized": (" (redimensionada desde {h}×{w})", " (redimensionada de {h}×{w})"),
    "params": ("parámetros", "parâmetros"),
    "total_params": ("Parámetros totales: {n}", "Total de parâmetros: {n}"),
    "gc_image_label": ("imagen {i}: {label}", "imagem {i}: {label}"),
    "gc_gallery_head": ("<b>Mejores y peores predicciones</b> <small>sobre las imágenes "
                        "etiquetadas, cada una con el mapa de calor de la clase predicha; clic "
                        "en una para abrirla</small>",
                        "<b>Melhores e piores previsões</b> <small>nas imagens rotuladas, cada "
                        "uma com o mapa de calor da classe prevista; clique numa para "
                        "abri-la</small>"),
}

_EN = {
    "method:gradient_x_input": "Gradient × input",
    "method:saliency": "Saliency (gradient)",
    "method:integrated_gradients": "Integrated gradients",
    "method:guided_backprop": "Guided backprop",
    "method:guided_gradcam": "Guided Grad-CAM",
    "no_kernel": "Layer {path} has no convolution kernel; this tab keeps showing {shown}.",
    "no_map": "Layer {path} outputs no feature map; this tab keeps showing {shown}.",
    "rank": "Grad-CAM, class “{cls}”, layer {path}: channel {ch} has weight {wt:.3g}, rank "
            "{rank} of {n}.",
    "rank_other": "Grad-CAM explains layer {gl}; pick that layer to see the channel's weight.",
    "summary_head": "Layer · Type · Output shape · Parameters",
    "av_grid_head": "<b>all channels</b> <small>(click a tile to select it; red cross: blank, "
                    "never above 0)</small>",
    "av_fed": "as fed to the model, {h}×{w}",
    "av_channel": "channel {f} of {c}",
    "av_blank": " — blank (never above 0)",
    "av_values": "{layer} · values {lo} … {hi}",
    "av_shown": "; shown {lo} … {hi}",
    "av_layer_range": " (layer range)",
    "av_sparsity": "<b>sparsity</b> of {layer} for this image: {n} of {c} channels blank ({p}) · "
                   "map size {h}×{w}",
    "kv_stats": "<b>filter {f}</b>{flag}: L2 norm {norm}, max |w| {mx} · <b>layer</b>: {dead} of "
                "{cout} filters dead ({frac}), weights in [{lo}, {hi}]",
    "kv_slices": "filter {f}: its {n} input-channel slices, one shared scale ±{lim}",
    "kv_overview": "{path}: all {cout} filters (rows) × {cin} input channels (columns)",
    "kv_overview_caption": "Each pixel: the slice's largest-magnitude weight, sign kept. Red bars "
                           "at the left: dead filters (all weights ~0). Click a row to select it.",
    "fm_press_run": "{what}: press Run",
    "fm_click_tile": "Click a tile to select its filter.",
    "fm_filters": "{n} filters",
    "fm_filters:one": "{n} filter",
    "fm_pattern": "{layer} · filter {f}",
    "fm_gallery": "{layer}: filters {a}–{b}",
    "fm_mean_act": "mean activation {m}",
    "fm_at": " (at {p})",
    "fm_optimising": "optimising {what}…",
    "fm_optimising_p": "optimising… {p}",
    "fm_cancelled_early": "cancelled before it started",
    "fm_cancelled": "cancelled after completing {k} of {what} · {sec} s",
    "fm_done": "{what} in {sec} s{note} · mean activation {m}",
    "fm_from_cache": " ({k} from cache)",
    "gc_score": "score {v}",
    "gc_says": "says: {c}",
    "gc_accuracy": "accuracy on the {n} labelled images: {acc} · {m}",
    "gc_mistake_1": "1 mistake",
    "gc_mistakes": "{k} mistakes",
    "view_kept": "The previous view is kept.",
    "err_tf": "TensorFlow could not compute this view ({cause}): check that the model and "
              "preprocess= accept these images.",
    "err_memory": "Out of memory while computing this view: try a smaller size, fewer filters "
                  "or fewer images.",
    "err_bug": "Unexpected error ({kind}: {cause}); if it happens again, please file an issue "
               "with the details.",
    "err_details": "details",
    "gc_cancelled": "Cancelled; the previous view is kept.",
    "gc_head": "<b>Grad-CAM</b> <small>which regions drove the score? Click a prediction to "
               "explain it; opacity and colormap act in the browser.</small>",
    "av_page": "channels {a}–{b}",
    "av_hover": "channel {ch}: min {lo}, max {hi}, mean {m}",
    "no_image": "No image to show: pass images= or use Upload.",
    "image_n": "image {i}",
    "upload_n": "upload: {name}",
    "scene_n": "scene {i}",
    "scene_named": "scene {i}: {name}",
    "err_unreadable": "Could not read “{name}” as an image: upload a PNG or JPEG file.",
    "rank_axis": "rank",
    "av_resized": " (resized from {h}×{w})",
    "computing": "computing…",
    "gc_custom": "custom: {name}",
    "class_n": "class {i}",
    "gc_explain": "explain class {i} ({name})",
    "gc_no_prediction": "no prediction for this image",
    "gc_best_title": "most confident correct predictions",
    "gc_worst_title": "worst predictions (most confident mistakes first, then the least sure "
                      "correct ones)",
    "total_params": "Total params: {n}",
    "gc_image_label": "image {i}: {label}",
    "gc_gallery_head": "<b>Best and worst predictions</b> <small>over the labelled images, each "
                       "with the heatmap of the predicted class; click one to open it</small>",
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


def trn(key: str, lang: str, n: int, **fmt) -> str:
    """The label ``key`` for a count ``n``: the singular form ``key + ":one"`` when ``n`` is 1
    and that form is registered, else ``key`` (the plural). ``n`` is passed to the text too.

    English, Spanish and Portuguese all use the singular for exactly one ("1 complete",
    "1 completo", "1 concluído") and the plural for every other count, 0 included.

    Examples
    --------
    >>> _ = register({"doc:n": ("{n} files", "{n} archivos", "{n} arquivos"),
    ...               "doc:n:one": ("{n} file", "{n} archivo", "{n} arquivo")})
    >>> trn("doc:n", "es", 1), trn("doc:n", "es", 2), trn("doc:n", "pt", 0)
    ('1 archivo', '2 archivos', '0 arquivos')
    """
    one = f"{key}:one"
    use = one if int(n) == 1 and (one in _EN or one in _TABLE) else key
    return tr(use, lang, n=n, **fmt)


def method_label(name: str, label: str, lang: str = "en") -> str:
    """A registered CAM method's menu label in ``lang`` (its own label if the table lacks it).

    Examples
    --------
    >>> method_label("integrated_gradients", "Integrated gradients", "es")
    'Gradientes integrados'
    >>> method_label("mycam", "My CAM", "pt")
    'My CAM'
    """
    key = f"method:{name}"
    return tr(key, lang) if key in _EN else label


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


#: Position words the views' rasters were built with, and their catalogue keys.
_WHERE_WORDS = {"y": "hover:row", "x": "hover:col", "row": "hover:row", "col": "hover:col"}


def localise_hovers(widget, lang: str) -> None:
    """Hover lines in ``lang`` that say what their numbers are: every raster and overlay below
    ``widget`` reads ``"row 3, col 4 · value 0.83"`` (``"fila 3, col 4 · valor 0,83"``...).

    Views build their rasters with ``labels=[tile, "y", "x"]``; the ``y``/``x`` (which
    students read as a plot's axes, x first) become row and column words, row first.
    """
    stack, seen = [widget], set()
    while stack:
        wd = stack.pop()
        if id(wd) in seen:
            continue
        seen.add(id(wd))
        if isinstance(wd, RasterView):
            labels = list(wd.labels) + ["", "", ""]
            wd.labels = [labels[0]] + [tr(_WHERE_WORDS[v], lang) if v in _WHERE_WORDS else v
                                       for v in labels[1:3]]
            wd.value_label = tr("hover:value", lang)
        elif isinstance(wd, OverlayView):
            wd.where_labels = [tr("hover:row", lang), tr("hover:col", lang)]
        stack.extend(getattr(wd, "children", ()) or ())


def register(table: dict[str, tuple[str, str, str]]) -> dict[str, tuple[str, str, str]]:
    """Add a view module's own labels: ``{key: (english, spanish, portuguese)}``.

    A view defines its labels next to its code and registers them at import, so views added in
    parallel never edit the same table. Keys must be new (a clash is a bug, raised at import).

    Examples
    --------
    >>> _ = register({"doc:hello": ("hello", "hola", "olá")})
    >>> tr("doc:hello", "pt"), tr("doc:hello")
    ('olá', 'hello')
    """
    for key, (en, es, pt) in table.items():
        if key in _EN or key in _TABLE:
            if _EN.get(key, key) == en and _TABLE.get(key) == (es, pt):
                continue  # a module imported twice (reload) registers the same labels
            raise ValueError(f"i18n key {key!r} is already registered with other labels.")
        _EN[key] = en
        _TABLE[key] = (es, pt)
    return table


register({
    "hover:row": ("row", "fila", "linha"),
    "hover:col": ("col", "columna", "coluna"),
    "hover:value": ("value", "valor", "valor"),
    "hover:activation": ("activation", "activación", "ativação"),
    "hover:weight": ("weight", "peso", "peso"),
    "hover:kernel_max": ("largest-magnitude weight", "peso de mayor magnitud",
                         "peso de maior magnitude"),
})
