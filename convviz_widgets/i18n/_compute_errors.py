"""What the status line says for compute's keyed errors (``InputError``): their Spanish and
Portuguese, under ``"err." + key``.

Data only. The English is compute's own (``compute/_messages.py``), so the two cannot drift;
the views' own errors are in :mod:`._errors`.
"""

from __future__ import annotations

from ..compute import MESSAGES

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
    "images_empty_array": {
        "es": ("Se recibió un array de imágenes vacío de forma {shape}; pase al menos una "
               "imagen no vacía."),
        "pt": ("Recebido um array de imagens vazio de forma {shape}; passe pelo menos uma "
               "imagem não vazia."),
    },
    "images_int_range": {
        "es": ("Las imágenes enteras deben estar en 0..255; se recibieron valores en [{lo}, "
               "{hi}]. Escálelas a 0..255 (uint8) o a floats en [0, 1]."),
        "pt": ("As imagens inteiras devem estar em 0..255; recebidos valores em [{lo}, {hi}]. "
               "Escale-as para 0..255 (uint8) ou para floats em [0, 1]."),
    },
    "images_not_finite": {
        "es": ("Las imágenes contienen {nan} valores NaN y {inf} infinitos; límpielas primero "
               "(p. ej. np.nan_to_num(images))."),
        "pt": ("As imagens contêm {nan} valores NaN e {inf} infinitos; limpe-as primeiro "
               "(p. ex. np.nan_to_num(images))."),
    },
    "images_negative": {
        "es": ("Las imágenes tienen valores negativos (mín. {lo}): parecen ya preprocesadas "
               "para el modelo. Pase imágenes de visualización (floats en [0, 1] o uint8) y dé "
               "el escalado del modelo como `preprocess=` (p. ej. lambda x: "
               "keras.applications.vgg16.preprocess_input(x * 255))."),
        "pt": ("As imagens têm valores negativos (mín. {lo}): parecem já pré-processadas para "
               "o modelo. Passe imagens de exibição (floats em [0, 1] ou uint8) e dê o "
               "escalonamento do modelo como `preprocess=` (p. ex. lambda x: "
               "keras.applications.vgg16.preprocess_input(x * 255))."),
    },
    "images_float_range": {
        "es": ("Las imágenes float deben estar en [0, 1] (o [0, 255]); se recibió un máximo de "
               "{hi}. Divídalas antes por su máximo."),
        "pt": ("As imagens float devem estar em [0, 1] (ou [0, 255]); recebido um máximo de "
               "{hi}. Divida-as antes pelo seu máximo."),
    },
    "images_rgba_model": {
        "es": ("Las imágenes tienen 4 canales (¿RGBA?) pero el modelo lee {want}. Quite antes "
               "el canal alfa: images[..., :3]."),
        "pt": ("As imagens têm 4 canais (RGBA?) mas o modelo lê {want}. Remova antes o canal "
               "alfa: images[..., :3]."),
    },
    "images_rgba": {
        "es": "Las imágenes tienen 4 canales (¿RGBA?); quite el canal alfa: images[..., :3].",
        "pt": "As imagens têm 4 canais (RGBA?); remova o canal alfa: images[..., :3].",
    },
    "filter_range": {
        "es": ("El índice de filtro {index} está fuera de rango para la capa {layer!r}, que "
               "tiene {n} filtros: use de 0 a {last}."),
        "pt": ("O índice de filtro {index} está fora do intervalo para a camada {layer!r}, que "
               "tem {n} filtros: use de 0 a {last}."),
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

TEXTS: dict[str, dict] = {f"err.{key}": {"en": MESSAGES[key], **_COMPUTE[key]}
                          for key in MESSAGES}
