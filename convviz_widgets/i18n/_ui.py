"""Words every view shares: control labels, page titles, hover lines, method names, flags.

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
    "ui.layer": {
        "en": "layer",
        "es": "capa",
        "pt": "camada",
    },
    "ui.filter": {
        "en": "filter",
        "es": "filtro",
        "pt": "filtro",
    },
    "ui.channel": {
        "en": "channel",
        "es": "canal",
        "pt": "canal",
    },
    "ui.image": {
        "en": "image",
        "es": "imagen",
        "pt": "imagem",
    },
    "ui.colormap": {
        "en": "colormap",
        "es": "mapa de color",
        "pt": "mapa de cores",
    },
    "ui.page": {
        "en": "page",
        "es": "página",
        "pt": "página",
    },
    "ui.method": {
        "en": "method",
        "es": "método",
        "pt": "método",
    },
    "ui.steps": {
        "en": "steps",
        "es": "pasos",
        "pt": "passos",
    },
    "ui.size": {
        "en": "size",
        "es": "tamaño",
        "pt": "tamanho",
    },
    "ui.seed": {
        "en": "seed",
        "es": "semilla",
        "pt": "semente",
    },
    "ui.gallery": {
        "en": "gallery",
        "es": "galería",
        "pt": "galeria",
    },
    "ui.class": {
        "en": "class",
        "es": "clase",
        "pt": "classe",
    },
    "ui.opacity": {
        "en": "opacity",
        "es": "opacidad",
        "pt": "opacidade",
    },
    "ui.upload": {
        "en": "Upload",
        "es": "Subir",
        "pt": "Enviar",
    },
    "ui.run": {
        "en": "Run",
        "es": "Ejecutar",
        "pt": "Executar",
    },
    "ui.cancel": {
        "en": "Cancel",
        "es": "Cancelar",
        "pt": "Cancelar",
    },
    "ui.export_png": {
        "en": "Export PNG",
        "es": "Exportar PNG",
        "pt": "Exportar PNG",
    },
    "ui.stretch_contrast": {
        "en": "stretch contrast",
        "es": "estirar contraste",
        "pt": "esticar contraste",
    },
    "ui.find_best_worst_predictions": {
        "en": "Find best & worst predictions",
        "es": "Buscar mejores y peores predicciones",
        "pt": "Buscar melhores e piores previsões",
    },
    "page.kernels": {
        "en": "Kernels",
        "es": "Kernels",
        "pt": "Kernels",
    },
    "page.activations": {
        "en": "Activations",
        "es": "Activaciones",
        "pt": "Ativações",
    },
    "page.patterns": {
        "en": "Patterns",
        "es": "Patrones",
        "pt": "Padrões",
    },
    "page.grad_cam": {
        "en": "Grad-CAM",
        "es": "Grad-CAM",
        "pt": "Grad-CAM",
    },
    "page.model": {
        "en": "Model",
        "es": "Modelo",
        "pt": "Modelo",
    },
    "ui.shared_layer": {
        "en": "shared layer",
        "es": "capa compartida",
        "pt": "camada compartilhada",
    },
    "ui.per_channel": {
        "en": "per channel",
        "es": "por canal",
        "pt": "por canal",
    },
    "ui.per_layer": {
        "en": "per layer",
        "es": "por capa",
        "pt": "por camada",
    },
    "ui.filter_scale": {
        "en": "filter scale",
        "es": "escala del filtro",
        "pt": "escala do filtro",
    },
    "ui.layer_scale": {
        "en": "layer scale",
        "es": "escala de la capa",
        "pt": "escala da camada",
    },
    "ui.one_filter": {
        "en": "one filter",
        "es": "un filtro",
        "pt": "um filtro",
    },
    "ui.input": {
        "en": "input",
        "es": "entrada",
        "pt": "entrada",
    },
    "ui.rgb_composite": {
        "en": "RGB composite",
        "es": "composición RGB",
        "pt": "composição RGB",
    },
    "ui.dead": {
        "en": "dead",
        "es": "muerto",
        "pt": "morto",
    },
    "ui.view_kept": {
        "en": "The previous view is kept.",
        "es": "Se mantiene la vista anterior.",
        "pt": "A vista anterior é mantida.",
    },
    "ui.top_predictions": {
        "en": "top predictions",
        "es": "predicciones principales",
        "pt": "principais previsões",
    },
    "ui.blank": {
        "en": "blank",
        "es": "en blanco",
        "pt": "em branco",
    },
    "ui.no_image": {
        "en": "No image to show: pass images= or use Upload.",
        "es": "No hay imagen que mostrar: pase images= o use Subir.",
        "pt": "Nenhuma imagem para mostrar: passe images= ou use Enviar.",
    },
    "ui.image_n": {
        "en": "image {i}",
        "es": "imagen {i}",
        "pt": "imagem {i}",
    },
    "ui.upload_n": {
        "en": "upload: {name}",
        "es": "subida: {name}",
        "pt": "envio: {name}",
    },
    "ui.scene_n": {
        "en": "scene {i}",
        "es": "escena {i}",
        "pt": "cena {i}",
    },
    "ui.scene_named": {
        "en": "scene {i}: {name}",
        "es": "escena {i}: {name}",
        "pt": "cena {i}: {name}",
    },
    "ui.no_image_option": {
        "en": "(no image)",
        "es": "(sin imagen)",
        "pt": "(sem imagem)",
    },
    "ui.input_channel": {
        "en": "input channel",
        "es": "canal de entrada",
        "pt": "canal de entrada",
    },
    "ui.rank_axis": {
        "en": "rank",
        "es": "puesto",
        "pt": "posição",
    },
    "ui.computing": {
        "en": "computing…",
        "es": "calculando…",
        "pt": "calculando…",
    },
    "ui.top_1_prediction": {
        "en": "top-1 prediction",
        "es": "predicción top-1",
        "pt": "previsão top-1",
    },
    "ui.class_n": {
        "en": "class {i}",
        "es": "clase {i}",
        "pt": "classe {i}",
    },
    "ui.custom_score": {
        "en": "custom score",
        "es": "puntuación personalizada",
        "pt": "pontuação personalizada",
    },
    "ui.none_option": {
        "en": "(none)",
        "es": "(ninguna)",
        "pt": "(nenhuma)",
    },
    "ui.heat": {
        "en": "heat",
        "es": "calor",
        "pt": "calor",
    },
    "ui.params": {
        "en": "params",
        "es": "parámetros",
        "pt": "parâmetros",
    },
    "ui.total_params": {
        "en": "Total params: {n}",
        "es": "Parámetros totales: {n}",
        "pt": "Total de parâmetros: {n}",
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
    "ui.export_gif": {
        "en": "Export GIF",
        "es": "Exportar GIF",
        "pt": "Exportar GIF",
    },
    "ui.export_webp": {
        "en": "Export WebP",
        "es": "Exportar WebP",
        "pt": "Exportar WebP",
    },
    "ui.scale": {
        "en": "scale",
        "es": "escala",
        "pt": "escala",
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
    "ui.layers": {
        "en": "layers",
        "es": "capas",
        "pt": "camadas",
    },
    "ui.octaves": {
        "en": "octaves",
        "es": "octavas",
        "pt": "oitavas",
    },
    "ui.step_size": {
        "en": "step size",
        "es": "tamaño de paso",
        "pt": "tamanho do passo",
    },
    "page.deepdream": {
        "en": "DeepDream",
        "es": "DeepDream",
        "pt": "DeepDream",
    },
    "page.channel": {
        "en": "Channel",
        "es": "Canal",
        "pt": "Canal",
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
    "ui.sort_by": {
        "en": "sort by",
        "es": "ordenar por",
        "pt": "ordenar por",
    },
    "ui.objective": {
        "en": "objective",
        "es": "objetivo",
        "pt": "objetivo",
    },
    "ui.patterns": {
        "en": "patterns",
        "es": "patrones",
        "pt": "padrões",
    },
    "ui.unit": {
        "en": "unit",
        "es": "unidad",
        "pt": "unidade",
    },
    "page.publish": {
        "en": "Publish",
        "es": "Publicar",
        "pt": "Publicar",
    },
}
