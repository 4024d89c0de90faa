"""The kernel viewer.

Data only: key -> {"en", "es", "pt"} (a plural: each language -> {"one", "other"}).
"""

from __future__ import annotations

TEXTS: dict[str, dict] = {
    "kv.stats": {
        "en": ("<b>filter {f}</b>{flag}: L2 norm {norm}, max |w| {mx} · <b>layer</b>: {dead} "
               "of {cout} filters dead ({frac}), weights in [{lo}, {hi}]"),
        "es": ("<b>filtro {f}</b>{flag}: norma L2 {norm}, máx |w| {mx} · <b>capa</b>: {dead} "
               "de {cout} filtros muertos ({frac}), pesos en [{lo}, {hi}]"),
        "pt": ("<b>filtro {f}</b>{flag}: norma L2 {norm}, máx |w| {mx} · <b>camada</b>: "
               "{dead} de {cout} filtros mortos ({frac}), pesos em [{lo}, {hi}]"),
    },
    "kv.slices": {
        "en": "filter {f}: its {n} input-channel slices, one shared scale ±{lim}",
        "es": "filtro {f}: sus {n} cortes por canal de entrada, una escala común ±{lim}",
        "pt": "filtro {f}: suas {n} fatias por canal de entrada, uma escala comum ±{lim}",
    },
    "kv.overview": {
        "en": "{path}: all {cout} filters (rows) × {cin} input channels (columns)",
        "es": "{path}: los {cout} filtros (filas) × {cin} canales de entrada (columnas)",
        "pt": "{path}: os {cout} filtros (linhas) × {cin} canais de entrada (colunas)",
    },
    "kv.overview_caption": {
        "en": ("Each pixel: the slice's largest-magnitude weight, sign kept. Red bars at the "
               "left: dead filters (all weights ~0). Click a row to select it."),
        "es": ("Cada píxel: el peso de mayor magnitud del corte, con su signo. Barras rojas a "
               "la izquierda: filtros muertos (todos los pesos ~0). Clic en una fila para "
               "elegirla."),
        "pt": ("Cada pixel: o peso de maior magnitude da fatia, com o sinal. Barras vermelhas "
               "à esquerda: filtros mortos (todos os pesos ~0). Clique numa linha para "
               "escolhê-la."),
    },
    "kv.slices_on": {
        "en": "filter {f}: its {n} input-channel slices",
        "es": "filtro {f}: sus {n} cortes por canal de entrada",
        "pt": "filtro {f}: suas {n} fatias por canal de entrada",
    },
    # Which slice is which channel, written under the slices (hover repeats it per slice).
    "kv.rgb_order": {
        "en": "left to right: input channel 0 = R (red), 1 = G (green), 2 = B (blue)",
        "es": "de izquierda a derecha: canal de entrada 0 = R (rojo), 1 = G (verde), 2 = B (azul)",
        "pt": ("da esquerda para a direita: canal de entrada 0 = R (vermelho), 1 = G (verde), "
               "2 = B (azul)"),
    },
    "kv.one_channel": {
        "en": "its one input channel (a grayscale input)",
        "es": "su único canal de entrada (entrada en escala de grises)",
        "pt": "seu único canal de entrada (entrada em escala de cinza)",
    },
    "kv.row_order": {
        "en": "left to right: input channels 0–{last}",
        "es": "de izquierda a derecha: canales de entrada 0–{last}",
        "pt": "da esquerda para a direita: canais de entrada 0–{last}",
    },
    "kv.grid_order": {
        "en": ("input channels 0–{last}, row by row from the top left, {cols} per row; hover "
               "a slice for its channel"),
        "es": ("canales de entrada 0–{last}, fila por fila desde arriba a la izquierda, "
               "{cols} por fila; pase el puntero sobre un corte para ver su canal"),
        "pt": ("canais de entrada 0–{last}, linha por linha a partir do canto superior "
               "esquerdo, {cols} por linha; passe o ponteiro sobre uma fatia para ver o seu "
               "canal"),
    },
    "kv.slice_info": {
        "en": "input channel {c}",
        "es": "canal de entrada {c}",
        "pt": "canal de entrada {c}",
    },
    "kv.slice_info_rgb": {
        "en": "input channel {c} ({name})",
        "es": "canal de entrada {c} ({name})",
        "pt": "canal de entrada {c} ({name})",
    },
}
