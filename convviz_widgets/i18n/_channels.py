"""The channel card (cc), channel browser (cb) and convolution step (cs).

Data only: key -> {"en", "es", "pt"} (a plural: each language -> {"one", "other"}).
"""

from __future__ import annotations

TEXTS: dict[str, dict] = {
    "cs.map": {
        "en": "channel {f} of {path}, {h}×{w} — click a value to take it apart",
        "es": "canal {f} de {path}, {h}×{w} — haga clic en un valor para descomponerlo",
        "pt": "canal {f} de {path}, {h}×{w} — clique num valor para decompô-lo",
    },
    "cs.map_caption": {
        "en": "magenta: unit ({r}, {c}) = {v}",
        "es": "magenta: unidad ({r}, {c}) = {v}",
        "pt": "magenta: unidade ({r}, {c}) = {v}",
    },
    "cs.image": {
        "en": "the image as fed to the model; yellow frame: the window of unit ({r}, {c})",
        "es": ("la imagen tal como entra al modelo; marco amarillo: la ventana de la unidad "
               "({r}, {c})"),
        "pt": "a imagem como entra no modelo; moldura amarela: a janela da unidade ({r}, {c})",
    },
    "cs.patch": {
        "en": "1. the input patch under the filter, one slice per input channel",
        "es": "1. el parche de entrada bajo el filtro, un corte por canal de entrada",
        "pt": "1. o recorte da entrada sob o filtro, uma fatia por canal de entrada",
    },
    "cs.kernel": {
        "en": "2. filter {f}: its weights, one slice per input channel",
        "es": "2. filtro {f}: sus pesos, un corte por canal de entrada",
        "pt": "2. filtro {f}: seus pesos, uma fatia por canal de entrada",
    },
    "cs.products": {
        "en": "3. patch × weights, element by element",
        "es": "3. parche × pesos, elemento a elemento",
        "pt": "3. recorte × pesos, elemento a elemento",
    },
    "cs.padding": {
        "en": ("{n} window positions fall outside the image ('same' padding): they read 0 "
               "(grey italics)."),
        "es": ("{n} posiciones de la ventana caen fuera de la imagen (relleno 'same'): leen 0 "
               "(gris, cursiva)."),
        "pt": ("{n} posições da janela caem fora da imagem (preenchimento 'same'): leem 0 "
               "(cinza, itálico)."),
    },
    "cs.geometry": {
        "en": {
            "one": ("{path}: {kh}×{kw} filter over {cin} input channel, stride {s}, dilation "
                    "{d}, padding '{p}'"),
            "other": ("{path}: {kh}×{kw} filter over {cin} input channels, stride {s}, "
                      "dilation {d}, padding '{p}'"),
        },
        "es": {
            "one": ("{path}: filtro {kh}×{kw} sobre {cin} canal de entrada, paso {s}, "
                    "dilatación {d}, relleno '{p}'"),
            "other": ("{path}: filtro {kh}×{kw} sobre {cin} canales de entrada, paso {s}, "
                      "dilatación {d}, relleno '{p}'"),
        },
        "pt": {
            "one": ("{path}: filtro {kh}×{kw} sobre {cin} canal de entrada, passo {s}, "
                    "dilatação {d}, preenchimento '{p}'"),
            "other": ("{path}: filtro {kh}×{kw} sobre {cin} canais de entrada, passo {s}, "
                      "dilatação {d}, preenchimento '{p}'"),
        },
    },
    "cs.slice_sum": {
        "en": "Σ {ch} = {s}",
        "es": "Σ {ch} = {s}",
        "pt": "Σ {ch} = {s}",
    },
    "cs.total": {
        "en": "4. sum of the products {terms} = {s}",
        "es": "4. suma de los productos {terms} = {s}",
        "pt": "4. soma dos produtos {terms} = {s}",
    },
    "cs.bias": {
        "en": "5. + bias {b} = {z} (pre-activation)",
        "es": "5. + sesgo {b} = {z} (preactivación)",
        "pt": "5. + viés {b} = {z} (pré-ativação)",
    },
    "cs.act": {
        "en": "6. {fn}({z}) = {a}",
        "es": "6. {fn}({z}) = {a}",
        "pt": "6. {fn}({z}) = {a}",
    },
    "cs.check": {
        "en": "the layer's own output at ({r}, {c}, {f}): {o} {mark}",
        "es": "la salida de la propia capa en ({r}, {c}, {f}): {o} {mark}",
        "pt": "a saída da própria camada em ({r}, {c}, {f}): {o} {mark}",
    },
    "cs.big": {
        "en": "{n} taps per slice: the numbers are in the hover of each picture.",
        "es": "{n} posiciones por corte: los números aparecen al pasar el ratón.",
        "pt": "{n} posições por fatia: os números aparecem ao passar o mouse.",
    },
    "cs.channel": {
        "en": "channel {k}",
        "es": "canal {k}",
        "pt": "canal {k}",
    },
    "cs.grey": {
        "en": "grey",
        "es": "gris",
        "pt": "cinza",
    },
    "cs.in_channel": {
        "en": "input channel",
        "es": "canal de entrada",
        "pt": "canal de entrada",
    },
    "cs.none": {
        "en": ("Model {name!r} has no plain Conv2D layer whose input is the image itself, so "
               "there is no pixels × weights step to show. For a convolution deeper in the "
               "network use cv.conv_arithmetic(model, image, layer, filter, (row, col))."),
        "es": ("El modelo {name!r} no tiene una capa Conv2D simple cuya entrada sea la imagen "
               "misma. Para una convolución más profunda use cv.conv_arithmetic(model, image, "
               "layer, filter, (row, col))."),
        "pt": ("O modelo {name!r} não tem uma camada Conv2D simples cuja entrada seja a "
               "própria imagem. Para uma convolução mais profunda use "
               "cv.conv_arithmetic(model, image, layer, filter, (row, col))."),
    },
    "cc.head": {
        "en": "{layer} · channel {f}",
        "es": "{layer} · canal {f}",
        "pt": "{layer} · canal {f}",
    },
    "cc.kernel": {
        "en": "kernel ({n} input slices)",
        "es": "pesos ({n} cortes de entrada)",
        "pt": "pesos ({n} fatias de entrada)",
    },
    "cc.kernel_some": {
        "en": "kernel (first {n} of {m} input slices)",
        "es": "pesos (primeros {n} de {m} cortes de entrada)",
        "pt": "pesos (primeiras {n} de {m} fatias de entrada)",
    },
    "cc.no_kernel": {
        "en": "{layer} has no kernel of its own.",
        "es": "{layer} no tiene kernel propio.",
        "pt": "{layer} não tem kernel próprio.",
    },
    "cc.map": {
        "en": "feature map on the current image",
        "es": "mapa de características en la imagen actual",
        "pt": "mapa de características na imagem atual",
    },
    "cc.map_max": {
        "en": "max {v} at row {r}, col {c}",
        "es": "máx. {v} en fila {r}, col. {c}",
        "pt": "máx. {v} na linha {r}, col. {c}",
    },
    "cc.map_silent": {
        "en": "silent on this image (never above 0)",
        "es": "en silencio en esta imagen (nunca por encima de 0)",
        "pt": "em silêncio nesta imagem (nunca acima de 0)",
    },
    "cc.slice": {
        "en": "input slice",
        "es": "corte de entrada",
        "pt": "fatia de entrada",
    },
    "cc.no_image": {
        "en": "No current image: set .image.",
        "es": "Sin imagen actual: asigne .image.",
        "pt": "Sem imagem atual: defina .image.",
    },
    "cc.pattern": {
        "en": "optimised pattern",
        "es": "patrón optimizado",
        "pt": "padrão otimizado",
    },
    "cc.pattern_wait": {
        "en": "optimising… (computed once, then cached)",
        "es": "optimizando… (se calcula una vez y queda en caché)",
        "pt": "otimizando… (calculado uma vez e guardado em cache)",
    },
    "cc.pattern_act": {
        "en": "mean activation {v}",
        "es": "activación media {v}",
        "pt": "ativação média {v}",
    },
    "cc.examples": {
        "en": "top {k} of {n} data-set images — click one to make it the current image",
        "es": ("las {k} mejores de {n} imágenes del conjunto — clic en una para hacerla la "
               "imagen actual"),
        "pt": ("as {k} melhores de {n} imagens do conjunto — clique em uma para torná-la a "
               "imagem atual"),
    },
    "cc.mining": {
        "en": "mining the data set for this channel's strongest images…",
        "es": "buscando en el conjunto de datos las imágenes más fuertes de este canal…",
        "pt": "buscando no conjunto de dados as imagens mais fortes deste canal…",
    },
    "cc.no_data": {
        "en": ("No data set to mine: pass data= (an array, a folder or a list of files) to "
               "see the images that excite this channel most."),
        "es": ("Sin conjunto de datos: pase data= (un arreglo, una carpeta o una lista de "
               "archivos) para ver las imágenes que más excitan este canal."),
        "pt": ("Sem conjunto de dados: passe data= (um array, uma pasta ou uma lista de "
               "arquivos) para ver as imagens que mais excitam este canal."),
    },
    "cc.no_field": {
        "en": ("This layer's receptive field cannot be derived (an op in the model's call() "
               "resizes outside a Keras layer), so its data-set patches cannot be cut out; "
               "pick an earlier layer, or use a Keras layer (e.g. UpSampling2D) for it."),
        "es": ("El campo receptivo de esta capa no se puede derivar (una operación del call() "
               "del modelo redimensiona fuera de una capa Keras), así que no se pueden "
               "recortar sus parches del conjunto; elija una capa anterior, o use una capa "
               "Keras (p. ej. UpSampling2D) para ello."),
        "pt": ("O campo receptivo desta camada não pode ser derivado (uma operação do call() "
               "do modelo redimensiona fora de uma camada Keras), então não dá para extrair "
               "seus recortes do conjunto; escolha uma camada anterior, ou use uma camada "
               "Keras (p. ex. UpSampling2D) para isso."),
    },
    "cc.fires": {
        "en": "fires on {p} of {n} data-set images",
        "es": "se activa en {p} de {n} imágenes del conjunto",
        "pt": "dispara em {p} de {n} imagens do conjunto",
    },
    "cc.never": {
        "en": "never fires on this data ({n} images)",
        "es": "nunca se activa con estos datos ({n} imágenes)",
        "pt": "nunca dispara com estes dados ({n} imagens)",
    },
    "cc.classes": {
        "en": "top {k} by class: {h}",
        "es": "las {k} mejores por clase: {h}",
        "pt": "as {k} melhores por classe: {h}",
    },
    "cc.rank": {
        "en": "Grad-CAM rank for the predicted class {cls}: {rank} of {n} (weight {wt})",
        "es": "posición Grad-CAM para la clase predicha {cls}: {rank} de {n} (peso {wt})",
        "pt": "posição Grad-CAM para a classe prevista {cls}: {rank} de {n} (peso {wt})",
    },
    "cc.rank_none": {
        "en": "Grad-CAM rank unavailable: {why}",
        "es": "posición Grad-CAM no disponible: {why}",
        "pt": "posição Grad-CAM indisponível: {why}",
    },
    "cc.global": {
        "en": ("A squeeze-and-excite block feeds this layer: the patches are the windows of "
               "the convolutional path, and a summary of the whole image also rescales the "
               "channel."),
        "es": ("Un bloque squeeze-and-excite alimenta esta capa: los recortes son las "
               "ventanas del camino convolucional, y un resumen de toda la imagen también "
               "reescala el canal."),
        "pt": ("Um bloco squeeze-and-excite alimenta esta camada: os recortes são as janelas "
               "do caminho convolucional, e um resumo da imagem inteira também reescala o "
               "canal."),
    },
    "cc.picked": {
        "en": "current image: {name}",
        "es": "imagen actual: {name}",
        "pt": "imagem atual: {name}",
    },
    "cb.channel": {
        "en": "channel number",
        "es": "número de canal",
        "pt": "número do canal",
    },
    "cb.firing": {
        "en": "firing rate",
        "es": "tasa de activación",
        "pt": "taxa de disparo",
    },
    "cb.purity": {
        "en": "class purity",
        "es": "pureza de clase",
        "pt": "pureza de classe",
    },
    "cb.head": {
        "en": ("{n} channels of {layer}, strongest patch of each ({order}) — click one to "
               "open its card"),
        "es": ("{n} canales de {layer}, el parche más fuerte de cada uno ({order}) — clic en "
               "uno para abrir su ficha"),
        "pt": ("{n} canais de {layer}, o recorte mais forte de cada um ({order}) — clique em "
               "um para abrir sua ficha"),
    },
    "cb.never": {
        "en": "{n} never fire on this data (crossed out)",
        "es": "{n} nunca se activan con estos datos (tachados)",
        "pt": "{n} nunca disparam com estes dados (riscados)",
    },
}
