"""The filter maximizer (fm), DeepDream (dd) and the marks of unfinished patterns (pattern).

Data only: key -> {"en", "es", "pt"} (a plural: each language -> {"one", "other"}).
"""

from __future__ import annotations

TEXTS: dict[str, dict] = {
    "fm.press_run": {
        "en": "{what}: press Run",
        "es": "{what}: pulse Ejecutar",
        "pt": "{what}: clique em Executar",
    },
    "fm.filters": {
        "en": {
            "one": "{n} filter",
            "other": "{n} filters",
        },
        "es": {
            "one": "{n} filtro",
            "other": "{n} filtros",
        },
        "pt": {
            "one": "{n} filtro",
            "other": "{n} filtros",
        },
    },
    "fm.pattern": {
        "en": "{layer} · filter {f}",
        "es": "{layer} · filtro {f}",
        "pt": "{layer} · filtro {f}",
    },
    "fm.gallery": {
        "en": "{layer}: filters {a}–{b}",
        "es": "{layer}: filtros {a}–{b}",
        "pt": "{layer}: filtros {a}–{b}",
    },
    "fm.mean_act": {
        "en": "mean activation {m}",
        "es": "activación media {m}",
        "pt": "ativação média {m}",
    },
    "fm.at": {
        "en": " (at {p})",
        "es": " (al {p})",
        "pt": " (a {p})",
    },
    "fm.optimising": {
        "en": "optimising {what}…",
        "es": "optimizando {what}…",
        "pt": "otimizando {what}…",
    },
    "fm.optimising_p": {
        "en": "optimising… {p}",
        "es": "optimizando… {p}",
        "pt": "otimizando… {p}",
    },
    "fm.cancelled_early": {
        "en": "cancelled before it started",
        "es": "cancelado antes de empezar",
        "pt": "cancelado antes de começar",
    },
    # Worded so that no participle agrees with a count ("1 completos" was wrong): k may be 1.
    "fm.cancelled": {
        "en": "cancelled after completing {k} of {what} · {sec} s",
        "es": "cancelado tras completar {k} de {what} · {sec} s",
        "pt": "cancelado após concluir {k} de {what} · {sec} s",
    },
    "fm.done": {
        "en": "{what} in {sec} s{note} · mean activation {m}",
        "es": "{what} en {sec} s{note} · activación media {m}",
        "pt": "{what} em {sec} s{note} · ativação média {m}",
    },
    "fm.from_cache": {
        "en": " ({k} from cache)",
        "es": " ({k} de la caché)",
        "pt": " ({k} do cache)",
    },
    "fm.click_tile": {
        "en": "Click a tile to select its filter.",
        "es": "Clic en un mosaico para elegir su filtro.",
        "pt": "Clique num mosaico para escolher o seu filtro.",
    },
    "pattern.status_unfinished": {
        "en": "not finished",
        "es": "sin terminar",
        "pt": "não terminado",
    },
    "pattern.status_dead": {
        "en": "dead filter: never fires",
        "es": "filtro muerto: nunca se activa",
        "pt": "filtro morto: nunca dispara",
    },
    "dd.before": {
        "en": "before: {name}",
        "es": "antes: {name}",
        "pt": "antes: {name}",
    },
    "dd.after": {
        "en": "after: {layers}",
        "es": "después: {layers}",
        "pt": "depois: {layers}",
    },
    "dd.press_run": {
        "en": "Choose layers and press Run to dream.",
        "es": "Elija capas y pulse Ejecutar para soñar.",
        "pt": "Escolha camadas e clique em Executar para sonhar.",
    },
    "dd.at": {
        "en": "step {done} of {total} · score {s}",
        "es": "paso {done} de {total} · puntaje {s}",
        "pt": "passo {done} de {total} · pontuação {s}",
    },
    "dd.running": {
        "en": "Dreaming: {octaves} octaves × {steps} steps…",
        "es": "Soñando: {octaves} octavas × {steps} pasos…",
        "pt": "Sonhando: {octaves} oitavas × {steps} passos…",
    },
    "dd.done": {
        "en": "Done in {sec} s: score {a} → {b}.",
        "es": "Listo en {sec} s: puntaje {a} → {b}.",
        "pt": "Pronto em {sec} s: pontuação {a} → {b}.",
    },
    "dd.cancelled": {
        "en": "Cancelled after {sec} s; the dream so far is shown.",
        "es": "Cancelado tras {sec} s; se muestra el sueño hasta ahí.",
        "pt": "Cancelado após {sec} s; o sonho até aqui é mostrado.",
    },
    "dd.cancelled_early": {
        "en": "Cancelled before it started.",
        "es": "Cancelado antes de empezar.",
        "pt": "Cancelado antes de começar.",
    },
    "dd.no_layer": {
        "en": ("No layer is selected: choose at least one layer with a feature map in the "
               "layers list, then press Run."),
        "es": ("No hay ninguna capa elegida: elija al menos una capa con mapa de "
               "características en la lista de capas y pulse Ejecutar."),
        "pt": ("Nenhuma camada escolhida: escolha ao menos uma camada com mapa de "
               "características na lista de camadas e clique em Executar."),
    },
    "dd.no_image": {
        "en": "There is no image to dream on: upload a picture or pass images=.",
        "es": "No hay imagen para soñar: suba una imagen o pase images=.",
        "pt": "Não há imagem para sonhar: envie uma imagem ou passe images=.",
    },
    # The recipes of the method menu (the values stay the API's names).
    "fm.method_regularized": {
        "en": "regularized",
        "es": "regularizado",
        "pt": "regularizado",
    },
    "fm.method_naive": {
        "en": "naive",
        "es": "ingenuo",
        "pt": "ingênuo",
    },
    "fm.obj_channel": {
        "en": "channel (mean)",
        "es": "canal (media)",
        "pt": "canal (média)",
    },
    "fm.obj_neuron": {
        "en": "neuron",
        "es": "neurona",
        "pt": "neurônio",
    },
    "fm.obj_negative": {
        "en": "negative channel",
        "es": "canal negativo",
        "pt": "canal negativo",
    },
    "fm.obj_class": {
        "en": "class / Dense unit",
        "es": "clase / unidad densa",
        "pt": "classe / unidade densa",
    },
    "fm.obj_diversity": {
        "en": "diversity",
        "es": "diversidad",
        "pt": "diversidade",
    },
    "fm.centre": {
        "en": "centre",
        "es": "centro",
        "pt": "centro",
    },
    "fm.neuron_note": {
        "en": "neuron {where} · click the pattern to move it",
        "es": "neurona {where} · haga clic en el patrón para moverla",
        "pt": "neurônio {where} · clique no padrão para movê-lo",
    },
    "fm.at_centre": {
        "en": "at the centre",
        "es": "en el centro",
        "pt": "no centro",
    },
    "fm.at_pixel": {
        "en": "under pixel ({y}, {x})",
        "es": "bajo el píxel ({y}, {x})",
        "pt": "sob o pixel ({y}, {x})",
    },
    "fm.n_rows": {
        "en": "{n} {what}",
        "es": "{n} {what}",
        "pt": "{n} {what}",
    },
    "fm.classes": {
        "en": {"one": "class", "other": "classes"},
        "es": {"one": "clase", "other": "clases"},
        "pt": {"one": "classe", "other": "classes"},
    },
    "fm.units": {
        "en": {"one": "unit", "other": "units"},
        "es": {"one": "unidad", "other": "unidades"},
        "pt": {"one": "unidade", "other": "unidades"},
    },
    "fm.patterns": {
        "en": {
            "one": "pattern",
            "other": "patterns",
        },
        "es": {
            "one": "patrón",
            "other": "patrones",
        },
        "pt": {
            "one": "padrão",
            "other": "padrões",
        },
    },
    "fm.gallery_of": {
        "en": "{layer}: {what} {a}–{b}",
        "es": "{layer}: {what} {a}–{b}",
        "pt": "{layer}: {what} {a}–{b}",
    },
    "fm.what_filter": {
        "en": "filter {f}",
        "es": "filtro {f}",
        "pt": "filtro {f}",
    },
    "fm.what_class": {
        "en": "class {f}",
        "es": "clase {f}",
        "pt": "classe {f}",
    },
    "fm.what_unit": {
        "en": "unit {f}",
        "es": "unidad {f}",
        "pt": "unidade {f}",
    },
    "fm.diverse": {
        "en": "{layer} · filter {f}: {n} diverse patterns",
        "es": "{layer} · filtro {f}: {n} patrones diversos",
        "pt": "{layer} · filtro {f}: {n} padrões diversos",
    },
    # A class / Dense-unit run reports the unit's value before the activation (its logit).
    "fm.value_logit": {
        "en": "logit {m}",
        "es": "logit {m}",
        "pt": "logit {m}",
    },
    "fm.done_logit": {
        "en": "{what} in {sec} s{note} · logit {m}",
        "es": "{what} en {sec} s{note} · logit {m}",
        "pt": "{what} em {sec} s{note} · logit {m}",
    },
    "fm.no_class_layer": {
        "en": "This model has no output or Dense layer to read classes from.",
        "es": "Este modelo no tiene capa de salida ni densa de la que leer clases.",
        "pt": "Este modelo não tem camada de saída nem densa da qual ler classes.",
    },
}
