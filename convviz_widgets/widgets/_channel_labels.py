"""The channel card's labels in English, Spanish and Portuguese (see :func:`._i18n.register`)."""

from ._i18n import register

register({
    "Channel": ("Channel", "Canal", "Canal"),
    "cc:head": ("{layer} · channel {f}", "{layer} · canal {f}", "{layer} · canal {f}"),
    "cc:kernel": ("kernel ({n} input slices)", "pesos ({n} cortes de entrada)",
                  "pesos ({n} fatias de entrada)"),
    "cc:kernel_some": ("kernel (first {n} of {m} input slices)",
                       "pesos (primeros {n} de {m} cortes de entrada)",
                       "pesos (primeiras {n} de {m} fatias de entrada)"),
    "cc:no_kernel": ("{layer} has no kernel of its own.", "{layer} no tiene kernel propio.",
                     "{layer} não tem kernel próprio."),
    "cc:map": ("feature map on the current image", "mapa de características en la imagen actual",
               "mapa de características na imagem atual"),
    "cc:map_max": ("max {v} at row {r}, col {c}", "máx. {v} en fila {r}, col. {c}",
                   "máx. {v} na linha {r}, col. {c}"),
    "cc:map_silent": ("silent on this image (never above 0)",
                      "en silencio en esta imagen (nunca por encima de 0)",
                      "em silêncio nesta imagem (nunca acima de 0)"),
    "cc:slice": ("input slice", "corte de entrada", "fatia de entrada"),
    "cc:no_image": ("No current image: set .image.", "Sin imagen actual: asigne .image.",
                    "Sem imagem atual: defina .image."),
    "cc:pattern": ("optimised pattern", "patrón optimizado", "padrão otimizado"),
    "cc:pattern_wait": ("optimising… (computed once, then cached)",
                        "optimizando… (se calcula una vez y queda en caché)",
                        "otimizando… (calculado uma vez e guardado em cache)"),
    "cc:pattern_act": ("mean activation {v}", "activación media {v}", "ativação média {v}"),
    "cc:examples": ("top {k} of {n} data-set images — click one to make it the current image",
                    "las {k} mejores de {n} imágenes del conjunto — clic en una para hacerla "
                    "la imagen actual",
                    "as {k} melhores de {n} imagens do conjunto — clique em uma para torná-la "
                    "a imagem atual"),
    "cc:mining": ("mining the data set for this channel's strongest images…",
                  "buscando en el conjunto de datos las imágenes más fuertes de este canal…",
                  "buscando no conjunto de dados as imagens mais fortes deste canal…"),
    "cc:no_data": ("No data set to mine: pass data= (an array, a folder or a list of files) "
                   "to see the images that excite this channel most.",
                   "Sin conjunto de datos: pase data= (un arreglo, una carpeta o una lista de "
                   "archivos) para ver las imágenes que más excitan este canal.",
                   "Sem conjunto de dados: passe data= (um array, uma pasta ou uma lista de "
                   "arquivos) para ver as imagens que mais excitam este canal."),
    "cc:no_field": ("This layer's receptive field cannot be derived (an op in the model's call() "
                    "resizes outside a Keras layer), so its data-set patches cannot be cut out; "
                    "pick an earlier layer, or use a Keras layer (e.g. UpSampling2D) for it.",
                    "El campo receptivo de esta capa no se puede derivar (una operación del "
                    "call() del modelo redimensiona fuera de una capa Keras), así que no se "
                    "pueden recortar sus parches del conjunto; elija una capa anterior, o use "
                    "una capa Keras (p. ej. UpSampling2D) para ello.",
                    "O campo receptivo desta camada não pode ser derivado (uma operação do "
                    "call() do modelo redimensiona fora de uma camada Keras), então não dá para "
                    "extrair seus recortes do conjunto; escolha uma camada anterior, ou use "
                    "uma camada Keras (p. ex. UpSampling2D) para isso."),
    "cc:fires": ("fires on {p} of {n} data-set images", "se activa en {p} de {n} imágenes del "
                 "conjunto", "dispara em {p} de {n} imagens do conjunto"),
    "cc:never": ("never fires on this data ({n} images)",
                 "nunca se activa con estos datos ({n} imágenes)",
                 "nunca dispara com estes dados ({n} imagens)"),
    "cc:classes": ("top {k} by class: {h}", "las {k} mejores por clase: {h}",
                   "as {k} melhores por classe: {h}"),
    "cc:rank": ("Grad-CAM rank for the predicted class {cls}: {rank} of {n} (weight {wt})",
                "posición Grad-CAM para la clase predicha {cls}: {rank} de {n} (peso {wt})",
                "posição Grad-CAM para a classe prevista {cls}: {rank} de {n} (peso {wt})"),
    "cc:rank_none": ("Grad-CAM rank unavailable: {why}", "posición Grad-CAM no disponible: {why}",
                     "posição Grad-CAM indisponível: {why}"),
    "cc:global": ("A squeeze-and-excite block feeds this layer: the patches are the windows of "
                  "the convolutional path, and a summary of the whole image also rescales the "
                  "channel.",
                  "Un bloque squeeze-and-excite alimenta esta capa: los recortes son las "
                  "ventanas del camino convolucional, y un resumen de toda la imagen también "
                  "reescala el canal.",
                  "Um bloco squeeze-and-excite alimenta esta camada: os recortes são as janelas "
                  "do caminho convolucional, e um resumo da imagem inteira também reescala o "
                  "canal."),
    "cc:picked": ("current image: {name}", "imagen actual: {name}", "imagem atual: {name}"),
})
