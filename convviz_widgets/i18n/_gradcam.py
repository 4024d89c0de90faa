"""Grad-CAM: the viewer (gc), its trust panel (tr), its targets (tg).

Data only: key -> {"en", "es", "pt"} (a plural: each language -> {"one", "other"}).
"""

from __future__ import annotations

TEXTS: dict[str, dict] = {
    "gc.score": {
        "en": "score {v}",
        "es": "puntuación {v}",
        "pt": "pontuação {v}",
    },
    "gc.says": {
        "en": "says: {c}",
        "es": "dice: {c}",
        "pt": "diz: {c}",
    },
    "gc.accuracy": {
        "en": "accuracy on the {n} labelled images: {acc} · {m}",
        "es": "exactitud en las {n} imágenes etiquetadas: {acc} · {m}",
        "pt": "acurácia nas {n} imagens rotuladas: {acc} · {m}",
    },
    "gc.mistakes": {
        "en": {
            "one": "{n} mistake",
            "other": "{n} mistakes",
        },
        "es": {
            "one": "{n} error",
            "other": "{n} errores",
        },
        "pt": {
            "one": "{n} erro",
            "other": "{n} erros",
        },
    },
    "gc.cancelled": {
        "en": "Cancelled; the previous view is kept.",
        "es": "Cancelado; se mantiene la vista anterior.",
        "pt": "Cancelado; a vista anterior é mantida.",
    },
    "gc.head": {
        "en": ("<b>Grad-CAM</b> <small>which regions drove the score? Click a prediction to "
               "explain it; opacity and colormap act in the browser.</small>"),
        "es": ("<b>Grad-CAM</b> <small>¿qué regiones decidieron la puntuación? Clic en una "
               "predicción para explicarla; la opacidad y el mapa de color actúan en el "
               "navegador.</small>"),
        "pt": ("<b>Grad-CAM</b> <small>que regiões decidiram a pontuação? Clique numa "
               "previsão para explicá-la; a opacidade e o mapa de cores agem no "
               "navegador.</small>"),
    },
    "gc.custom": {
        "en": "custom: {name}",
        "es": "personalizado: {name}",
        "pt": "personalizado: {name}",
    },
    "gc.explain": {
        "en": "explain class {i} ({name})",
        "es": "explicar la clase {i} ({name})",
        "pt": "explicar a classe {i} ({name})",
    },
    "gc.no_prediction": {
        "en": "no prediction for this image",
        "es": "sin predicción para esta imagen",
        "pt": "sem previsão para esta imagem",
    },
    "gc.best_title": {
        "en": "most confident correct predictions",
        "es": "predicciones correctas más seguras",
        "pt": "previsões corretas mais confiantes",
    },
    "gc.worst_title": {
        "en": ("worst predictions (most confident mistakes first, then the least sure correct "
               "ones)"),
        "es": ("peores predicciones (primero los errores más seguros, luego los aciertos "
               "menos seguros)"),
        "pt": ("piores previsões (primeiro os erros mais confiantes, depois os acertos menos "
               "confiantes)"),
    },
    "gc.image_label": {
        "en": "image {i}: {label}",
        "es": "imagen {i}: {label}",
        "pt": "imagem {i}: {label}",
    },
    "gc.gallery_head": {
        "en": ("<b>Best and worst predictions</b> <small>over the labelled images, each with "
               "the heatmap of the predicted class; click one to open it</small>"),
        "es": ("<b>Mejores y peores predicciones</b> <small>sobre las imágenes etiquetadas, "
               "cada una con el mapa de calor de la clase predicha; clic en una para "
               "abrirla</small>"),
        "pt": ("<b>Melhores e piores previsões</b> <small>nas imagens rotuladas, cada uma com "
               "o mapa de calor da classe prevista; clique numa para abri-la</small>"),
    },
    # "{}" is filled with the positive class name by compute.class_labels.
    "tg.not_class": {
        "en": "not {}",
        "es": "no {}",
        "pt": "não {}",
    },
    "tg.region": {
        "en": "region: {what}",
        "es": "región: {what}",
        "pt": "região: {what}",
    },
    "tg.region_px": {
        "en": "{what} ({n} px)",
        "es": "{what} ({n} px)",
        "pt": "{what} ({n} px)",
    },
    "tg.foreground": {
        "en": "foreground",
        "es": "primer plano",
        "pt": "primeiro plano",
    },
    "tg.background": {
        "en": "background",
        "es": "fondo",
        "pt": "fundo",
    },
    "tg.all": {
        "en": "whole output",
        "es": "toda la salida",
        "pt": "saída inteira",
    },
    "tg.box": {
        "en": "box",
        "es": "recuadro",
        "pt": "retângulo",
    },
    "tg.mask": {
        "en": "mask",
        "es": "máscara",
        "pt": "máscara",
    },
    "tg.region_menu": {
        "en": "region",
        "es": "región",
        "pt": "região",
    },
    "tg.region_head": {
        "en": "explained region",
        "es": "región explicada",
        "pt": "região explicada",
    },
    "tg.region_note": {
        "en": ("The output is an image: Grad-CAM explains the sum of output channel {ch} over "
               "a region of its pixels (Seg-Grad-CAM). Set rows and columns below and press "
               "'explain box' to explain a box."),
        "es": ("La salida es una imagen: Grad-CAM explica la suma del canal {ch} de la salida "
               "sobre una región de sus píxeles (Seg-Grad-CAM). Elija filas y columnas abajo "
               "y pulse «explicar recuadro» para explicar un recuadro."),
        "pt": ("A saída é uma imagem: o Grad-CAM explica a soma do canal {ch} da saída sobre "
               "uma região dos seus pixels (Seg-Grad-CAM). Escolha linhas e colunas abaixo e "
               "clique em «explicar retângulo» para explicar um retângulo."),
    },
    "tg.rows": {
        "en": "rows",
        "es": "filas",
        "pt": "linhas",
    },
    "tg.cols": {
        "en": "columns",
        "es": "columnas",
        "pt": "colunas",
    },
    "tg.explain_box": {
        "en": "explain box",
        "es": "explicar recuadro",
        "pt": "explicar retângulo",
    },
    "tg.flat": {
        "en": "The map is all zero at {layer}: {why}.",
        "es": "El mapa es todo cero en {layer}: {why}.",
        "pt": "O mapa é todo zero em {layer}: {why}.",
    },
    "tg.try": {
        "en": "Try layer {layer}.",
        "es": "Pruebe la capa {layer}.",
        "pt": "Experimente a camada {layer}.",
    },
    "tg.try_none": {
        "en": "No other layer gives a non-zero map for this target; try another target or method.",
        "es": ("Ninguna otra capa da un mapa no nulo para este objetivo; pruebe otro objetivo "
               "o método."),
        "pt": ("Nenhuma outra camada dá um mapa não nulo para este alvo; experimente outro "
               "alvo ou método."),
    },
    "tg.early": {
        "en": ("{layer} is an early layer: Grad-CAM is most meaningful at the last conv "
               "layer, {best}."),
        "es": ("{layer} es una capa temprana: Grad-CAM tiene más sentido en la última capa "
               "convolucional, {best}."),
        "pt": ("{layer} é uma camada inicial: o Grad-CAM faz mais sentido na última camada "
               "convolucional, {best}."),
    },
    "tr.head": {
        "en": ("<b>Can this map be trusted?</b> <small>Deletion: the pixels the map ranks "
               "highest are blurred away first; a faithful map makes the probability fall "
               "fast (small area). Insertion: they are revealed first on the blurred picture; "
               "the probability should rise fast (large area). Dashed: a random map, the "
               "baseline to beat.</small>"),
        "es": ("<b>¿Se puede confiar en este mapa?</b> <small>Borrado: se difuminan primero "
               "los píxeles que el mapa pone más alto; un mapa fiel hace caer rápido la "
               "probabilidad (área pequeña). Inserción: se revelan primero sobre la foto "
               "difuminada; la probabilidad debe subir rápido (área grande). Discontinua: un "
               "mapa al azar, la referencia a superar.</small>"),
        "pt": ("<b>Dá para confiar neste mapa?</b> <small>Remoção: os pixels que o mapa põe "
               "mais alto são borrados primeiro; um mapa fiel faz a probabilidade cair rápido "
               "(área pequena). Inserção: eles são revelados primeiro sobre a foto borrada; a "
               "probabilidade deve subir rápido (área grande). Tracejado: um mapa aleatório, "
               "a referência a superar.</small>"),
    },
    "tr.run": {
        "en": "Check faithfulness",
        "es": "Comprobar fidelidad",
        "pt": "Verificar fidelidade",
    },
    "tr.auto": {
        "en": "for every new map",
        "es": "para cada mapa nuevo",
        "pt": "para cada mapa novo",
    },
    "tr.deletion": {
        "en": "deletion",
        "es": "borrado",
        "pt": "remoção",
    },
    "tr.insertion": {
        "en": "insertion",
        "es": "inserción",
        "pt": "inserção",
    },
    "tr.area": {
        "en": "{kind} area {a} vs random {r}",
        "es": "área de {kind} {a} frente a {r} al azar",
        "pt": "área de {kind} {a} contra {r} aleatório",
    },
    "tr.spread": {
        "en": " ± {s} ({n} random maps)",
        "es": " ± {s} ({n} mapas al azar)",
        "pt": " ± {s} ({n} mapas aleatórios)",
    },
    "tr.better": {
        "en": "better than random",
        "es": "mejor que el azar",
        "pt": "melhor que o acaso",
    },
    "tr.not_better": {
        "en": "not better than random",
        "es": "no mejor que el azar",
        "pt": "não melhor que o acaso",
    },
    "tr.within": {
        "en": "within the spread of random maps: not better than random",
        "es": "dentro de la dispersión de los mapas al azar: no mejor que el azar",
        "pt": "dentro da dispersão dos mapas aleatórios: não melhor que o acaso",
    },
    "tr.improbable": {
        "en": ("⚠ The model gives “{c}” p = {p} on this image: the map explains a class the "
               "model does not see here, so these curves say little. Pick the predicted class "
               "to check what drove the prediction."),
        "es": ("⚠ El modelo da a «{c}» p = {p} en esta imagen: el mapa explica una clase que "
               "el modelo no ve aquí, así que estas curvas dicen poco. Elija la clase "
               "predicha para ver qué decidió la predicción."),
        "pt": ("⚠ O modelo dá a “{c}” p = {p} nesta imagem: o mapa explica uma classe que o "
               "modelo não vê aqui, então estas curvas dizem pouco. Escolha a classe prevista "
               "para ver o que decidiu a previsão."),
    },
    "tr.x": {
        "en": "share of pixels",
        "es": "fracción de píxeles",
        "pt": "fração de pixels",
    },
    "tr.y_prob": {
        "en": "probability",
        "es": "probabilidad",
        "pt": "probabilidade",
    },
    "tr.y_score": {
        "en": "score",
        "es": "puntuación",
        "pt": "pontuação",
    },
    "tr.this_map": {
        "en": "this map",
        "es": "este mapa",
        "pt": "este mapa",
    },
    "tr.random": {
        "en": "random",
        "es": "al azar",
        "pt": "aleatório",
    },
    "tr.for": {
        "en": "{m} · {c} · {s} steps",
        "es": "{m} · {c} · {s} pasos",
        "pt": "{m} · {c} · {s} passos",
    },
    "tr.stale": {
        "en": "Press “Check faithfulness” to score this map against a random one.",
        "es": "Pulse «Comprobar fidelidad» para medir este mapa frente a uno al azar.",
        "pt": "Clique em “Verificar fidelidade” para medir este mapa contra um aleatório.",
    },
    "tr.no_map": {
        "en": "No finite map to score.",
        "es": "No hay un mapa finito que medir.",
        "pt": "Não há um mapa finito para medir.",
    },
    "gc.signed": {
        "en": "signed: the middle colour is 0, below it lowers the score, above raises it",
        "es": ("con signo: el color central es 0, por debajo baja la puntuación, por encima "
               "la sube"),
        "pt": "com sinal: a cor central é 0, abaixo dela baixa a pontuação, acima aumenta",
    },
    "gc.heat_signed": {
        "en": "attribution",
        "es": "atribución",
        "pt": "atribuição",
    },
    "gc.pixel_level": {
        "en": "pixel level",
        "es": "nivel de píxel",
        "pt": "nível de pixel",
    },
    "gc.rank_by": {
        "en": "rank by",
        "es": "ordenar por",
        "pt": "ordenar por",
    },
    "gc.rank_confidence": {
        "en": "confidence",
        "es": "confianza",
        "pt": "confiança",
    },
    "gc.rank_deletion": {
        "en": "deletion area (faithfulness)",
        "es": "área de borrado (fidelidad)",
        "pt": "área de remoção (fidelidade)",
    },
    "gc.best_del": {
        "en": "most faithful maps (lowest deletion area, {m})",
        "es": "mapas más fieles (menor área de borrado, {m})",
        "pt": "mapas mais fiéis (menor área de remoção, {m})",
    },
    "gc.worst_del": {
        "en": "least faithful maps (highest deletion area, {m})",
        "es": "mapas menos fieles (mayor área de borrado, {m})",
        "pt": "mapas menos fiéis (maior área de remoção, {m})",
    },
    "gc.del_short": {
        "en": "deletion {a}",
        "es": "borrado {a}",
        "pt": "remoção {a}",
    },
    "gc.other_labels": {
        "en": "{name} has another set of classes: it is not ranked on these labels.",
        "es": "{name} tiene otras clases: no se ordena con estas etiquetas.",
        "pt": "{name} tem outras classes: não é ordenado com estes rótulos.",
    },
}
