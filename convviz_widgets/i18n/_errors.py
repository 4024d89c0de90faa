"""What the status line says when something fails.

Data only: key -> {"en", "es", "pt"} (a plural: each language -> {"one", "other"}).
"""

from __future__ import annotations

from ..compute import MESSAGES

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
    "err.layers_more": {
        "en": " … ({n} in all)",
        "es": " … ({n} en total)",
        "pt": " … ({n} no total)",
    },
}

#: Spanish and Portuguese of compute's InputError messages (compute/_messages.py holds the
#: English, so the two cannot drift); the status line shows them by the error's key.
_COMPUTE: dict[str, dict] = {
    "images_not_numeric": {
        "es": ("Las imágenes deben ser arrays numéricos (uint8 o float) o archivos de imagen "
               "(una ruta, un pathlib.Path o una lista de ellos); se recibió dtype {dtype}. "
               "Convierta con np.asarray(image, dtype=np.float32) / 255, o lea archivos con "
               "cv.load_image(ruta)."),
        "pt": ("As imagens devem ser arrays numéricos (uint8 ou float) ou arquivos de imagem "
               "(um caminho, um pathlib.Path ou uma lista deles); recebido dtype {dtype}. "
               "Converta com np.asarray(image, dtype=np.float32) / 255, ou leia arquivos com "
               "cv.load_image(caminho)."),
    },
    "images_empty_list": {
        "es": "Se recibió una lista vacía de imágenes; pase al menos una imagen.",
        "pt": "Recebida uma lista vazia de imagens; passe pelo menos uma imagem.",
    },
    "images_list_shapes": {
        "es": ("Las imágenes de una lista deben tener una misma forma para un modelo que "
               "acepta cualquier tamaño; se recibió {shapes}. Llévelas antes a un mismo "
               "tamaño, o páselas de una en una."),
        "pt": ("As imagens de uma lista devem ter uma mesma forma para um modelo que aceita "
               "qualquer tamanho; recebido {shapes}. Leve-as antes a um mesmo tamanho, ou "
               "passe-as uma de cada vez."),
    },
    "images_rank": {
        "es": ("Las imágenes deben ser (h, w), (h, w, c) o (n, h, w, c); se recibió la forma "
               "{ndim}-D {shape}. (¿Bytes de un archivo? Lea una imagen con "
               "cv.load_image(ruta_o_bytes).)"),
        "pt": ("As imagens devem ser (h, w), (h, w, c) ou (n, h, w, c); recebida a forma "
               "{ndim}-D {shape}. (Bytes de um arquivo? Leia uma imagem com "
               "cv.load_image(caminho_ou_bytes).)"),
    },
    "images_channels_first_image": {
        "es": ("Una imagen de forma {shape} parece tener los canales primero (c, h, w); "
               "convviz_widgets lee imágenes con los canales al final. Transpóngala: "
               "np.transpose(image, (1, 2, 0))."),
        "pt": ("Uma imagem de forma {shape} parece ter os canais primeiro (c, h, w); "
               "convviz_widgets lê imagens com os canais no fim. Transponha-a: "
               "np.transpose(image, (1, 2, 0))."),
    },
    "images_channels_first_batch": {
        "es": ("Imágenes de forma {shape} parecen tener los canales primero (n, c, h, w); "
               "convviz_widgets lee imágenes con los canales al final. Transpóngalas: "
               "np.transpose(images, (0, 2, 3, 1))."),
        "pt": ("Imagens de forma {shape} parecem ter os canais primeiro (n, c, h, w); "
               "convviz_widgets lê imagens com os canais no fim. Transponha-as: "
               "np.transpose(images, (0, 2, 3, 1))."),
    },
    "images_stack_ambiguous": {
        "es": ("Un array de forma {shape} es un lote de {n} imágenes en escala de grises de "
               "{h}×{w} o una imagen con {c} canales, y el modelo lee {want} canales (RGB). "
               "Para {n} imágenes en gris añada el eje de canal: images[..., None] (se "
               "repiten a RGB); una sola imagen debe ser (h, w, 3)."),
        "pt": ("Um array de forma {shape} é um lote de {n} imagens em tons de cinza de "
               "{h}×{w} ou uma imagem com {c} canais, e o modelo lê {want} canais (RGB). Para "
               "{n} imagens em cinza acrescente o eixo de canal: images[..., None] (são "
               "repetidas para RGB); uma única imagem deve ser (h, w, 3)."),
    },
    "images_channels": {
        "es": ("Las imágenes tienen {c} canales pero el modelo lee {want}; solo se convierte "
               "automáticamente entre escala de grises y RGB."),
        "pt": ("As imagens têm {c} canais mas o modelo lê {want}; só se converte "
               "automaticamente entre tons de cinza e RGB."),
    },
    "model_channels_first": {
        "es": ("El modelo {model!r} tiene los canales primero (la capa {layer!r} tiene "
               "data_format='channels_first', su entrada es {shape}); convviz_widgets solo "
               "lee modelos con los canales al final (alto, ancho, canales), lo habitual en "
               "Keras. Reconstrúyalo con los canales al final "
               "(keras.config.set_image_data_format('channels_last') antes de construirlo, o "
               "data_format='channels_last' en sus capas) y copie los pesos: "
               "new_model.set_weights(model.get_weights()) — los núcleos se guardan igual en "
               "ambos formatos. Envolverlo, keras.Sequential([keras.Input({last}), "
               "keras.layers.Permute((3, 1, 2)), model]), no basta: cambia lo que recibe, "
               "pero sus mapas de activación siguen con los canales primero."),
        "pt": ("O modelo {model!r} tem os canais primeiro (a camada {layer!r} tem "
               "data_format='channels_first', sua entrada é {shape}); convviz_widgets só lê "
               "modelos com os canais no fim (altura, largura, canais), o padrão do Keras. "
               "Reconstrua-o com os canais no fim "
               "(keras.config.set_image_data_format('channels_last') antes de construí-lo, ou "
               "data_format='channels_last' nas suas camadas) e copie os pesos: "
               "new_model.set_weights(model.get_weights()) — os núcleos são guardados igual "
               "nos dois formatos. Envolvê-lo, keras.Sequential([keras.Input({last}), "
               "keras.layers.Permute((3, 1, 2)), model]), não basta: muda o que ele recebe, "
               "mas seus mapas de ativação continuam com os canais primeiro."),
    },
    "maximize_diversity_args": {
        "es": ('{args} solo actúan con objective="diversity" (varios patrones distintos por '
               "filtro); el objetivo de esta ejecución es {objective!r}, así que no "
               'cambiarían nada. Pase objective="diversity", u omita {args}.'),
        "pt": ('{args} só atuam com objective="diversity" (vários padrões diferentes por '
               "filtro); o objetivo desta execução é {objective!r}, então não mudariam nada. "
               'Passe objective="diversity", ou omita {args}.'),
    },
    "maximize_cache_dir_off": {
        "es": ("cache_dir= guarda resultados en disco, pero cache=False desactiva la caché, "
               "así que no guardaría nada. Pase cache=True, u omita cache_dir."),
        "pt": ("cache_dir= guarda resultados em disco, mas cache=False desativa o cache, "
               "então não guardaria nada. Passe cache=True, ou omita cache_dir."),
    },
    "maximize_cache_dir_diversity": {
        "es": ("cache_dir= no guardaría nada: las ejecuciones de diversidad nunca se guardan "
               "en caché (sus patrones dependen unos de otros). Omita cache_dir."),
        "pt": ("cache_dir= não guardaria nada: execuções de diversidade nunca vão para o "
               "cache (seus padrões dependem uns dos outros). Omita cache_dir."),
    },
    "maximize_dense_channel": {
        "es": ("La capa {layer!r} es una capa Dense de {units} unidades, no un mapa de "
               'activación: maximice una de sus unidades con objective="class", p. ej. '
               'cv.maximize(model, {layer!r}, [0], objective="class") (sube el valor de la '
               "unidad antes de su activación)."),
        "pt": ("A camada {layer!r} é uma camada Dense de {units} unidades, não um mapa de "
               'ativação: maximize uma de suas unidades com objective="class", p. ex. '
               'cv.maximize(model, {layer!r}, [0], objective="class") (sobe o valor da '
               "unidade antes da sua ativação)."),
    },
    "dream_layers_and_objective": {
        "es": ("Pase layers= u objective=, no ambos: con un objetivo, layers={layers!r} no "
               "cambiaría nada. Ponga las capas en el objetivo (términos "
               "deepdream_objective(capa)), u omita objective."),
        "pt": ("Passe layers= ou objective=, não ambos: com um objetivo, layers={layers!r} "
               "não mudaria nada. Ponha as camadas no objetivo (termos "
               "deepdream_objective(camada)), ou omita objective."),
    },
    "dream_octave_scale": {
        "es": ("octave_scale solo actúa con varias octavas; con octaves=1 la imagen se sueña "
               "solo a su propio tamaño, así que no cambiaría nada. Pase octaves=2 o más, u "
               "omita octave_scale."),
        "pt": ("octave_scale só atua com várias oitavas; com octaves=1 a imagem é sonhada só "
               "no seu próprio tamanho, então não mudaria nada. Passe octaves=2 ou mais, ou "
               "omita octave_scale."),
    },
    "dream_seed": {
        "es": ("seed no cambiaría nada: DeepDream parte de sus imágenes y no usa "
               "transformaciones aleatorias. Omita seed."),
        "pt": ("seed não mudaria nada: o DeepDream parte das suas imagens e não usa "
               "transformações aleatórias. Omita seed."),
    },
    "cam_layer_pixel": {
        "es": ("El método {method!r} atribuye los píxeles de la entrada y no lee ninguna "
               "capa, así que layer={layer!r} no cambiaría nada. Omita layer, o elija un "
               "método que lea una capa: {methods}."),
        "pt": ("O método {method!r} atribui os pixels da entrada e não lê nenhuma camada, "
               "então layer={layer!r} não mudaria nada. Omita layer, ou escolha um método que "
               "leia uma camada: {methods}."),
    },
    "cam_batch_size": {
        "es": ("batch_size solo actúa con métodos que ejecutan el modelo muchas veces "
               "({methods}); {method!r} lo ejecuta una vez, así que no cambiaría nada. Omita "
               "batch_size."),
        "pt": ("batch_size só atua com métodos que executam o modelo muitas vezes "
               "({methods}); {method!r} o executa uma vez, então não mudaria nada. Omita "
               "batch_size."),
    },
    "faithfulness_blur_sigma": {
        "es": ('blur_sigma solo actúa con baseline="blur"; con baseline="black" los píxeles '
               'quitados se vuelven negros, así que no cambiaría nada. Pase baseline="blur", '
               "u omita blur_sigma."),
        "pt": ('blur_sigma só atua com baseline="blur"; com baseline="black" os pixels '
               'removidos ficam pretos, então não mudaria nada. Passe baseline="blur", ou '
               "omita blur_sigma."),
    },
    "layer_not_in_model": {
        "es": ("La capa {name!r} no forma parte del modelo {model!r}. Pase una capa de este "
               "modelo, o su ruta, p. ej. {examples}."),
        "pt": ("A camada {name!r} não faz parte do modelo {model!r}. Passe uma camada deste "
               "modelo, ou o seu caminho, p. ex. {examples}."),
    },
    "layer_ambiguous": {
        "es": ("El nombre de capa {layer!r} es ambiguo en el modelo {model!r}: nombra {paths}. "
               "Pase la ruta completa."),
        "pt": ("O nome de camada {layer!r} é ambíguo no modelo {model!r}: nomeia {paths}. "
               "Passe o caminho completo."),
    },
    "layer_missing_close": {
        "es": ("No hay ninguna capa {layer!r} en el modelo {model!r}. ¿Quiso decir {close}? "
               "(cv.conv_layers(model) las enumera todas.)"),
        "pt": ("Não há nenhuma camada {layer!r} no modelo {model!r}. Quis dizer {close}? "
               "(cv.conv_layers(model) lista todas.)"),
    },
    "layer_missing": {
        "es": ("No hay ninguna capa {layer!r} en el modelo {model!r}. Capas válidas son, entre "
               "otras, {examples}. (cv.conv_layers(model) las enumera todas.)"),
        "pt": ("Não há nenhuma camada {layer!r} no modelo {model!r}. Camadas válidas são, "
               "entre outras, {examples}. (cv.conv_layers(model) lista todas.)"),
    },
    "examples_labels_dataset": {
        "es": ("labels= no cambiaría nada: un tf.data.Dataset da sus propias etiquetas, como "
               "pares (imágenes, etiquetas). Ponga las etiquetas en el dataset, u omita "
               "labels."),
        "pt": ("labels= não mudaria nada: um tf.data.Dataset dá os seus próprios rótulos, "
               "como pares (imagens, rótulos). Ponha os rótulos no dataset, ou omita labels."),
    },
}

TEXTS.update({f"err.{key}": {"en": MESSAGES[key], **_COMPUTE[key]} for key in MESSAGES})
