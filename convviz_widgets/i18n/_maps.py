"""Words about maps: hover lines (hover), value scales and colour bars (scale, scalebar),
why a map is blank (flag) and attribution method names that are words (method).

Data only: key -> {"en", "es", "pt"} (a plural: each language -> {"one", "other"}).
"""

from __future__ import annotations

TEXTS: dict[str, dict] = {
    "method.gradient_x_input": {
        "en": "Gradient × input",
        "es": "Gradiente × entrada",
        "pt": "Gradiente × entrada",
    },
    "method.saliency": {
        "en": "Saliency (gradient)",
        "es": "Saliencia (gradiente)",
        "pt": "Saliência (gradiente)",
    },
    "method.integrated_gradients": {
        "en": "Integrated gradients",
        "es": "Gradientes integrados",
        "pt": "Gradientes integrados",
    },
    "method.guided_backprop": {
        "en": "Guided backprop",
        "es": "Retropropagación guiada",
        "pt": "Retropropagação guiada",
    },
    "method.guided_gradcam": {
        "en": "Guided Grad-CAM",
        "es": "Grad-CAM guiado",
        "pt": "Grad-CAM guiado",
    },
    "hover.row": {
        "en": "row",
        "es": "fila",
        "pt": "linha",
    },
    "hover.col": {
        "en": "col",
        "es": "columna",
        "pt": "coluna",
    },
    "hover.value": {
        "en": "value",
        "es": "valor",
        "pt": "valor",
    },
    "hover.activation": {
        "en": "activation",
        "es": "activación",
        "pt": "ativação",
    },
    "hover.weight": {
        "en": "weight",
        "es": "peso",
        "pt": "peso",
    },
    "hover.kernel_max": {
        "en": "largest-magnitude weight",
        "es": "peso de mayor magnitud",
        "pt": "peso de maior magnitude",
    },
    "scale.symmetric": {
        "en": "symmetric (±max|v|)",
        "es": "simétrica (±máx|v|)",
        "pt": "simétrica (±máx|v|)",
    },
    "scale.shared": {
        "en": "shared [min, max]",
        "es": "común [mín, máx]",
        "pt": "comum [mín, máx]",
    },
    "scale.per_slice": {
        "en": "per slice [min, max]",
        "es": "por corte [mín, máx]",
        "pt": "por fatia [mín, máx]",
    },
    "scale.standardize": {
        "en": "standardize (mean/std ×64+128)",
        "es": "estandarizar (media/desv ×64+128)",
        "pt": "padronizar (média/desvio ×64+128)",
    },
    "scale.stretch": {
        "en": "stretch (0.5–99.5 %)",
        "es": "estirar (0,5–99,5 %)",
        "pt": "esticar (0,5–99,5 %)",
    },
    "scale.raw": {
        "en": "raw [0, 1]",
        "es": "sin escalar [0, 1]",
        "pt": "sem escala [0, 1]",
    },
    "scalebar.group": {
        "en": "{name} [{lo}, {hi}]",
        "es": "{name} [{lo}, {hi}]",
        "pt": "{name} [{lo}, {hi}]",
    },
    # A diverging map's window, widened around 0: its ends are not the data's min and max.
    "scalebar.centred": {
        "en": "{name}, centred on 0: [{lo}, {hi}]",
        "es": "{name}, centrada en 0: [{lo}, {hi}]",
        "pt": "{name}, centrada em 0: [{lo}, {hi}]",
    },
    "scalebar.tile": {
        "en": "{name}: each tile on its own range",
        "es": "{name}: cada mosaico en su propio rango",
        "pt": "{name}: cada mosaico na sua própria faixa",
    },
    "scalebar.this": {
        "en": "{name}: this one [{lo}, {hi}]",
        "es": "{name}: este [{lo}, {hi}]",
        "pt": "{name}: este [{lo}, {hi}]",
    },
    "scalebar.lo": {
        "en": "low",
        "es": "bajo",
        "pt": "baixo",
    },
    "scalebar.hi": {
        "en": "high",
        "es": "alto",
        "pt": "alto",
    },
    "flag.nonfinite_input": {
        "en": "the image contains NaN or infinite values; nothing was computed",
        "es": "la imagen contiene valores NaN o infinitos; no se calculó nada",
        "pt": "a imagem contém valores NaN ou infinitos; nada foi calculado",
    },
    "flag.constant_input": {
        "en": "the image is constant, so no region can stand out",
        "es": "la imagen es constante, ninguna región puede destacar",
        "pt": "a imagem é constante, nenhuma região pode se destacar",
    },
    "flag.nonfinite_map": {
        "en": "the model produced NaN or infinite values for this image",
        "es": "el modelo produjo valores NaN o infinitos para esta imagen",
        "pt": "o modelo produziu valores NaN ou infinitos para esta imagem",
    },
    "flag.no_gradient": {
        "en": "the target score does not depend on this layer (all gradients are 0)",
        "es": "la puntuación no depende de esta capa (todos los gradientes son 0)",
        "pt": "a pontuação não depende desta camada (todos os gradientes são 0)",
    },
    "flag.no_positive_evidence": {
        "en": "no channel combination raises the score (0 after the ReLU)",
        "es": "ninguna combinación de canales sube la puntuación (0 tras la ReLU)",
        "pt": "nenhuma combinação de canais aumenta a pontuação (0 após a ReLU)",
    },
    "flag.empty_region": {
        "en": ("the region has no pixels (nothing is predicted as foreground); choose another "
               "region or draw a box"),
        "es": ("la región no tiene píxeles (nada se predice como primer plano); elija otra "
               "región o dibuje un recuadro"),
        "pt": ("a região não tem pixels (nada é previsto como primeiro plano); escolha outra "
               "região ou desenhe um retângulo"),
    },
    "flag.flat": {
        "en": "the map is constant",
        "es": "el mapa es constante",
        "pt": "o mapa é constante",
    },
}
