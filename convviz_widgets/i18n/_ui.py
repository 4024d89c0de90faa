"""Words every view shares: control labels, menu entries, page titles, status words.

Data only: key -> {"en", "es", "pt"} (a plural: each language -> {"one", "other"}).
"""

from __future__ import annotations

TEXTS: dict[str, dict] = {
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
