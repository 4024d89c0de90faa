"""What the status line says when something fails.

Data only: key -> {"en", "es", "pt"} (a plural: each language -> {"one", "other"}).
"""

from __future__ import annotations

TEXTS: dict[str, dict] = {
    "err.tf": {
        "en": ("TensorFlow could not compute this view ({cause}): check that the model and "
               "preprocess= accept these images."),
        "es": ("TensorFlow no pudo calcular esta vista ({cause}): comprueba que el modelo y "
               "preprocess= aceptan estas imágenes."),
        "pt": ("O TensorFlow não conseguiu calcular esta vista ({cause}): verifique se o "
               "modelo e preprocess= aceitam estas imagens."),
    },
    "err.memory": {
        "en": ("Out of memory while computing this view: try a smaller size, fewer filters or "
               "fewer images."),
        "es": ("Memoria agotada al calcular esta vista: prueba con un tamaño menor, menos "
               "filtros o menos imágenes."),
        "pt": ("Memória esgotada ao calcular esta vista: tente um tamanho menor, menos "
               "filtros ou menos imagens."),
    },
    "err.bug": {
        "en": ("Unexpected error ({kind}: {cause}); if it happens again, please file an issue "
               "with the details."),
        "es": "Error inesperado ({kind}: {cause}); si se repite, abre un issue con los detalles.",
        "pt": "Erro inesperado ({kind}: {cause}); se repetir, abra um issue com os detalhes.",
    },
    "err.details": {
        "en": "details",
        "es": "detalles",
        "pt": "detalhes",
    },
    "err.unreadable": {
        "en": "Could not read “{name}” as an image: upload a PNG or JPEG file.",
        "es": "No se pudo leer «{name}» como imagen: suba un archivo PNG o JPEG.",
        "pt": "Não foi possível ler «{name}» como imagem: envie um arquivo PNG ou JPEG.",
    },
    # -- bad input a view refuses (widgets._view_error.ViewError) ---------------------------
    "err.range_filters": {
        "en": {"one": ("{name} {value} is out of range for layer {layer!r}, which has {n} "
                       "filter: use 0."),
               "other": ("{name} {value} is out of range for layer {layer!r}, which has {n} "
                         "filters: use 0 to {last}.")},
        "es": {"one": ("{name} {value} está fuera de rango para la capa {layer!r}, que tiene {n} "
                       "filtro: use 0."),
               "other": ("{name} {value} está fuera de rango para la capa {layer!r}, que tiene "
                         "{n} filtros: use de 0 a {last}.")},
        "pt": {"one": ("{name} {value} está fora do intervalo para a camada {layer!r}, que tem "
                       "{n} filtro: use 0."),
               "other": ("{name} {value} está fora do intervalo para a camada {layer!r}, que "
                         "tem {n} filtros: use de 0 a {last}.")},
    },
    "err.range_pages": {
        "en": {"one": ("page {value} is out of range for layer {layer!r}, which has {n} page of "
                       "{size} channels: use 0."),
               "other": ("page {value} is out of range for layer {layer!r}, which has {n} pages "
                         "of {size} channels: use 0 to {last}.")},
        "es": {"one": ("la página {value} está fuera de rango para la capa {layer!r}, que tiene "
                       "{n} página de {size} canales: use 0."),
               "other": ("la página {value} está fuera de rango para la capa {layer!r}, que "
                         "tiene {n} páginas de {size} canales: use de 0 a {last}.")},
        "pt": {"one": ("a página {value} está fora do intervalo para a camada {layer!r}, que tem "
                       "{n} página de {size} canais: use 0."),
               "other": ("a página {value} está fora do intervalo para a camada {layer!r}, que "
                         "tem {n} páginas de {size} canais: use de 0 a {last}.")},
    },
    "err.range_images": {
        "en": {"one": "image_index {value} is out of range: there is {n} image, use 0.",
               "other": "image_index {value} is out of range: there are {n} images, use 0 to "
                        "{last}."},
        "es": {"one": "image_index {value} está fuera de rango: hay {n} imagen, use 0.",
               "other": "image_index {value} está fuera de rango: hay {n} imágenes, use de 0 a "
                        "{last}."},
        "pt": {"one": "image_index {value} está fora do intervalo: há {n} imagem, use 0.",
               "other": "image_index {value} está fora do intervalo: há {n} imagens, use de 0 a "
                        "{last}."},
    },
    "err.range_tabs": {
        "en": {"one": "selected_index {value} is out of range: there is {n} page, use 0.",
               "other": "selected_index {value} is out of range: there are {n} pages, use 0 to "
                        "{last}."},
        "es": {"one": "selected_index {value} está fuera de rango: hay {n} página, use 0.",
               "other": "selected_index {value} está fuera de rango: hay {n} páginas, use de 0 "
                        "a {last}."},
        "pt": {"one": "selected_index {value} está fora do intervalo: há {n} página, use 0.",
               "other": "selected_index {value} está fora do intervalo: há {n} páginas, use de "
                        "0 a {last}."},
    },
    "err.opacity": {
        "en": "opacity must be between 0 and 1, got {value}.",
        "es": "opacity debe estar entre 0 y 1; se recibió {value}.",
        "pt": "opacity deve estar entre 0 e 1; recebido {value}.",
    },
    "err.layer_unknown": {
        "en": "{cause} This view shows: {paths}.",
        "es": "{cause} Esta vista muestra: {paths}.",
        "pt": "{cause} Esta visualização mostra: {paths}.",
    },
    "err.layer_not_shown": {
        "en": "Layer {path!r} cannot be shown by {view}; choose one of {paths}.",
        "es": "{view} no puede mostrar la capa {path!r}; elija una de {paths}.",
        "pt": "{view} não pode mostrar a camada {path!r}; escolha uma de {paths}.",
    },
    "err.layer_not_pixels": {
        "en": ("Layer {path!r} does not read the image (ConvStepViewer shows a convolution of the "
               "pixels); choose one of {paths}."),
        "es": ("La capa {path!r} no lee la imagen (ConvStepViewer muestra una convolución de los "
               "píxeles); elija una de {paths}."),
        "pt": ("A camada {path!r} não lê a imagem (ConvStepViewer mostra uma convolução dos "
               "pixels); escolha uma de {paths}."),
    },
    "err.layer_not_spatial": {
        "en": "Layer {path!r} has no spatial output to explain; choose one of {paths}.",
        "es": "La capa {path!r} no tiene una salida espacial que explicar; elija una de {paths}.",
        "pt": "A camada {path!r} não tem uma saída espacial para explicar; escolha uma de {paths}.",
    },
    "err.layer_not_explorable": {
        "en": ("Layer {path!r} has neither a kernel nor a feature map to explore; choose one of "
               "{paths}."),
        "es": ("La capa {path!r} no tiene ni kernel ni mapa de características que explorar; "
               "elija una de {paths}."),
        "pt": ("A camada {path!r} não tem nem kernel nem mapa de características para explorar; "
               "escolha uma de {paths}."),
    },
    "err.unknown_method": {
        "en": "Unknown method {method!r}; use one of {methods}.",
        "es": "Método desconocido {method!r}; use uno de {methods}.",
        "pt": "Método desconhecido {method!r}; use um de {methods}.",
    },
    "err.fm_steps": {
        "en": "steps must be at least 1, got {v}.",
        "es": "steps debe ser al menos 1; se recibió {v}.",
        "pt": "steps deve ser pelo menos 1; recebido {v}.",
    },
    "err.fm_fixed_size": {
        "en": "This model takes a fixed input size {h}×{w}; patterns are optimised at that size.",
        "es": ("Este modelo recibe un tamaño de entrada fijo {h}×{w}; los patrones se optimizan "
               "a ese tamaño."),
        "pt": ("Este modelo recebe um tamanho de entrada fixo {h}×{w}; os padrões são otimizados "
               "nesse tamanho."),
    },
    "err.fm_size": {
        "en": "size must be at least 16 pixels, got {v}.",
        "es": "size debe ser de al menos 16 píxeles; se recibió {v}.",
        "pt": "size deve ter pelo menos 16 pixels; recebido {v}.",
    },
    "err.fm_patterns": {
        "en": "n_patterns must be 2 to 16, got {v}.",
        "es": "n_patterns debe estar entre 2 y 16; se recibió {v}.",
        "pt": "n_patterns deve estar entre 2 e 16; recebido {v}.",
    },
    "err.fm_position": {
        "en": "neuron_position must be None (the centre) or a pixel (y, x) of the pattern, got "
              "{pos!r}.",
        "es": "neuron_position debe ser None (el centro) o un píxel (y, x) del patrón; se "
              "recibió {pos!r}.",
        "pt": "neuron_position deve ser None (o centro) ou um pixel (y, x) do padrão; recebido "
              "{pos!r}.",
    },
    "err.fm_position_outside": {
        "en": "neuron_position {pos} is outside the {h}×{w} pattern.",
        "es": "neuron_position {pos} está fuera del patrón de {h}×{w}.",
        "pt": "neuron_position {pos} está fora do padrão de {h}×{w}.",
    },
    "err.fm_gallery_range": {
        "en": ("gallery_range {ab} is not a range of filters of {layer!r}, which has {n}: use "
               "(first, last) with 0 ≤ first ≤ last ≤ {last}."),
        "es": ("gallery_range {ab} no es un rango de filtros de {layer!r}, que tiene {n}: use "
               "(primero, último) con 0 ≤ primero ≤ último ≤ {last}."),
        "pt": ("gallery_range {ab} não é um intervalo de filtros de {layer!r}, que tem {n}: use "
               "(primeiro, último) com 0 ≤ primeiro ≤ último ≤ {last}."),
    },
    "err.fm_gallery_max": {
        "en": "A gallery shows at most {most} filters at once; pick a narrower range.",
        "es": "Una galería muestra como máximo {most} filtros a la vez; elija un rango más "
              "estrecho.",
        "pt": "Uma galeria mostra no máximo {most} filtros de uma vez; escolha um intervalo mais "
              "estreito.",
    },
    "err.export_empty_display": {
        "en": "This display shows nothing yet; run or select something first.",
        "es": "Esta vista aún no muestra nada; ejecute o elija algo primero.",
        "pt": "Esta visualização ainda não mostra nada; execute ou escolha algo primeiro.",
    },
    "err.export_empty_overlay": {
        "en": "This overlay shows nothing yet; choose an image first.",
        "es": "Esta superposición aún no muestra nada; elija primero una imagen.",
        "pt": "Esta sobreposição ainda não mostra nada; escolha primeiro uma imagem.",
    },
    "err.export_nothing": {
        "en": ("Nothing is shown yet, so there is nothing to export; choose a layer or press Run "
               "first."),
        "es": ("Aún no se muestra nada, así que no hay nada que exportar; elija una capa o pulse "
               "Ejecutar primero."),
        "pt": ("Ainda nada é mostrado, então não há nada para exportar; escolha uma camada ou "
               "clique em Executar primeiro."),
    },
    "err.export_no_frames": {
        "en": "No frames were recorded yet; press Run and export when frames have arrived.",
        "es": ("Aún no se grabó ningún fotograma; pulse Ejecutar y exporte cuando hayan llegado "
               "fotogramas."),
        "pt": ("Ainda nenhum quadro foi gravado; clique em Executar e exporte quando os quadros "
               "tiverem chegado."),
    },
    "err.dd_count": {
        "en": "{name} must be between 1 and {top}, got {v}.",
        "es": "{name} debe estar entre 1 y {top}; se recibió {v}.",
        "pt": "{name} deve estar entre 1 e {top}; recebido {v}.",
    },
    "err.dd_positive": {
        "en": "{name} must be above {low} and at most {top}, got {v}.",
        "es": "{name} debe ser mayor que {low} y como máximo {top}; se recibió {v}.",
        "pt": "{name} deve ser maior que {low} e no máximo {top}; recebido {v}.",
    },
    "err.target_region_on_classes": {
        "en": ("A Region explains an image-shaped output; model {model!r} outputs classes here: "
               "pass a class index or None (top-1)."),
        "es": ("Una Region explica una salida con forma de imagen; el modelo {model!r} da clases "
               "aquí: pase un índice de clase o None (top-1)."),
        "pt": ("Uma Region explica uma saída com forma de imagem; o modelo {model!r} dá classes "
               "aqui: passe um índice de classe ou None (top-1)."),
    },
    "err.target_class_on_image": {
        "en": ("The output of model {model!r} is an image: there is no class {value!r} to "
               "explain. Pass a region: cv.Region() (the predicted foreground), "
               "cv.Region(kind='background'), cv.Region(box=(y0, x0, y1, x1)) or "
               "cv.Region(mask=...)."),
        "es": ("La salida del modelo {model!r} es una imagen: no hay clase {value!r} que "
               "explicar. Pase una región: cv.Region() (el primer plano predicho), "
               "cv.Region(kind='background'), cv.Region(box=(y0, x0, y1, x1)) o "
               "cv.Region(mask=...)."),
        "pt": ("A saída do modelo {model!r} é uma imagem: não há classe {value!r} para "
               "explicar. Passe uma região: cv.Region() (o primeiro plano previsto), "
               "cv.Region(kind='background'), cv.Region(box=(y0, x0, y1, x1)) ou "
               "cv.Region(mask=...)."),
    },
    "err.target_several_outputs": {
        "en": ("Model {model!r} has several outputs and the viewer explains a callable target "
               "over all of them; to pick a class, create the viewer with output= (an index or "
               "name)."),
        "es": ("El modelo {model!r} tiene varias salidas y el visor explica un objetivo invocable "
               "sobre todas ellas; para elegir una clase, cree el visor con output= (un índice o "
               "un nombre)."),
        "pt": ("O modelo {model!r} tem várias saídas e o visualizador explica um alvo chamável "
               "sobre todas elas; para escolher uma classe, crie o visualizador com output= (um "
               "índice ou um nome)."),
    },
    "err.target_kind": {
        "en": ("target must be a class index, None or 'top-1' (the top-1 prediction) or a "
               "callable, got {value!r}."),
        "es": ("target debe ser un índice de clase, None o 'top-1' (la predicción top-1) o un "
               "invocable; se recibió {value!r}."),
        "pt": ("target deve ser um índice de classe, None ou 'top-1' (a previsão top-1) ou um "
               "chamável; recebido {value!r}."),
    },
    "err.target_range": {
        "en": ("target {value} is out of range: the model has {n} classes, use 0 to {last} (or "
               "None for the top-1)."),
        "es": ("target {value} está fuera de rango: el modelo tiene {n} clases, use de 0 a "
               "{last} (o None para la top-1)."),
        "pt": ("target {value} está fora do intervalo: o modelo tem {n} classes, use de 0 a "
               "{last} (ou None para a top-1)."),
    },
    "err.av_normalize": {
        "en": "normalize must be 'channel', 'layer' or one of {scales}, not {value!r}.",
        "es": "normalize debe ser 'channel', 'layer' o uno de {scales}, no {value!r}.",
        "pt": "normalize deve ser 'channel', 'layer' ou um de {scales}, não {value!r}.",
    },
    "err.kv_scale": {
        "en": ("Unknown scale {value!r}; use one of {scales} (or 'filter'/'layer' for symmetric "
               "over one of them)."),
        "es": ("Escala desconocida {value!r}; use una de {scales} (o 'filter'/'layer' para una "
               "escala simétrica sobre uno de ellos)."),
        "pt": ("Escala desconhecida {value!r}; use uma de {scales} (ou 'filter'/'layer' para uma "
               "escala simétrica sobre um deles)."),
    },
    "err.cc_one_image": {
        "en": "image must be one picture (h, w) or (h, w, c), got {n} images; pick one: images[i].",
        "es": ("image debe ser una sola imagen (h, w) o (h, w, c); se recibieron {n} imágenes; "
               "elija una: images[i]."),
        "pt": ("image deve ser uma única imagem (h, w) ou (h, w, c); recebidas {n} imagens; "
               "escolha uma: images[i]."),
    },
    "err.fm_export_empty": {
        "en": "Nothing to export yet: press Run first.",
        "es": "Aún no hay nada que exportar: pulse Ejecutar primero.",
        "pt": "Ainda não há nada para exportar: clique em Executar primeiro.",
    },
    "err.cc_no_examples": {
        "en": "This channel has no dataset examples yet.",
        "es": "Este canal aún no tiene ejemplos del conjunto de datos.",
        "pt": "Este canal ainda não tem exemplos do conjunto de dados.",
    },
    "err.cc_pick_range": {
        "en": "There are {n} examples; pick 0 to {last}.",
        "es": "Hay {n} ejemplos; elija de 0 a {last}.",
        "pt": "Há {n} exemplos; escolha de 0 a {last}.",
    },
    "err.examples_no_image": {
        "en": "This slot holds no image (fewer images than k were mined).",
        "es": "Esta casilla no tiene imagen (se extrajeron menos imágenes que k).",
        "pt": "Esta posição não tem imagem (foram extraídas menos imagens do que k).",
    },
    "err.examples_not_indexable": {
        "en": ("The whole image of this example cannot be shown: its data set cannot be indexed "
               "(a tf.data.Dataset, or examples given without data). Pass data= as an array or "
               "a list of images or files."),
        "es": ("No se puede mostrar la imagen entera de este ejemplo: su conjunto de datos no se "
               "puede indexar (un tf.data.Dataset, o ejemplos dados sin datos). Pase data= como "
               "un array o una lista de imágenes o archivos."),
        "pt": ("Não é possível mostrar a imagem inteira deste exemplo: o seu conjunto de dados "
               "não pode ser indexado (um tf.data.Dataset, ou exemplos dados sem dados). Passe "
               "data= como um array ou uma lista de imagens ou arquivos."),
    },
    "err.image_shape_rgb": {
        "en": ("Image {k} has shape {shape}; each image must be (h, w, 3) RGB or (h, w, 1) / "
               "(h, w) grayscale (drop an alpha channel with image[..., :3])."),
        "es": ("La imagen {k} tiene forma {shape}; cada imagen debe ser RGB (h, w, 3) o en "
               "escala de grises (h, w, 1) / (h, w) (quite un canal alfa con image[..., :3])."),
        "pt": ("A imagem {k} tem forma {shape}; cada imagem deve ser RGB (h, w, 3) ou em tons "
               "de cinza (h, w, 1) / (h, w) (remova um canal alfa com image[..., :3])."),
    },
    "err.target_box_on_classes": {
        "en": ("Only a model whose output is an image (U-Net, segmentation) takes a box; this one "
               "outputs classes: pick a class instead."),
        "es": ("Solo un modelo cuya salida es una imagen (U-Net, segmentación) admite un "
               "recuadro; este da clases: elija una clase."),
        "pt": ("Só um modelo cuja saída é uma imagem (U-Net, segmentação) aceita uma caixa; "
               "este dá classes: escolha uma classe."),
    },
    "err.cb_tile_range": {
        "en": "There are {n} tiles; use 0 to {last}.",
        "es": "Hay {n} mosaicos; use de 0 a {last}.",
        "pt": "Há {n} mosaicos; use de 0 a {last}.",
    },
    "err.layers_more": {
        "en": " … ({n} in all)",
        "es": " … ({n} en total)",
        "pt": " … ({n} no total)",
    },
}
