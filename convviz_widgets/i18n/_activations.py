"""The activation viewer.

Data only: key -> {"en", "es", "pt"} (a plural: each language -> {"one", "other"}).
"""

from __future__ import annotations

TEXTS: dict[str, dict] = {
    "av.grid_head": {
        "en": ("<b>all channels</b> <small>(click a tile to select it; red cross: blank, "
               "never above 0)</small>"),
        "es": ("<b>todos los canales</b> <small>(clic en un mosaico para elegirlo; cruz roja: "
               "en blanco, nunca por encima de 0)</small>"),
        "pt": ("<b>todos os canais</b> <small>(clique num mosaico para escolhê-lo; cruz "
               "vermelha: em branco, nunca acima de 0)</small>"),
    },
    "av.fed": {
        "en": "as fed to the model, {h}×{w}",
        "es": "tal como entra al modelo, {h}×{w}",
        "pt": "como entra no modelo, {h}×{w}",
    },
    "av.channel": {
        "en": "channel {f} of {c}",
        "es": "canal {f} de {c}",
        "pt": "canal {f} de {c}",
    },
    "av.blank": {
        "en": " — blank (never above 0)",
        "es": " — en blanco (nunca por encima de 0)",
        "pt": " — em branco (nunca acima de 0)",
    },
    "av.values": {
        "en": "{layer} · values {lo} … {hi}",
        "es": "{layer} · valores {lo} … {hi}",
        "pt": "{layer} · valores {lo} … {hi}",
    },
    "av.shown": {
        "en": "; shown {lo} … {hi}",
        "es": "; se muestra {lo} … {hi}",
        "pt": "; exibido {lo} … {hi}",
    },
    "av.layer_range": {
        "en": " (layer range)",
        "es": " (rango de la capa)",
        "pt": " (faixa da camada)",
    },
    "av.sparsity": {
        "en": ("<b>sparsity</b> of {layer} for this image: {n} of {c} channels blank ({p}) · "
               "map size {h}×{w}"),
        "es": ("<b>esparsidad</b> (proporción de canales en blanco) de {layer} para esta "
               "imagen: {n} de {c} canales en blanco ({p}) · tamaño del mapa {h}×{w}"),
        "pt": ("<b>esparsidade</b> de {layer} para esta imagem: {n} de {c} canais em branco "
               "({p}) · tamanho do mapa {h}×{w}"),
    },
    "av.page": {
        "en": "channels {a}–{b}",
        "es": "canales {a}–{b}",
        "pt": "canais {a}–{b}",
    },
    "av.hover": {
        "en": "channel {ch}: min {lo}, max {hi}, mean {m}",
        "es": "canal {ch}: mín {lo}, máx {hi}, media {m}",
        "pt": "canal {ch}: mín {lo}, máx {hi}, média {m}",
    },
    "av.resized": {
        "en": " (resized from {h}×{w})",
        "es": " (redimensionada desde {h}×{w})",
        "pt": " (redimensionada de {h}×{w})",
    },
}
