"""The Explorer (ex) and its Publish page (pub).

Data only: key -> {"en", "es", "pt"} (a plural: each language -> {"one", "other"}).
"""

from __future__ import annotations

TEXTS: dict[str, dict] = {
    "ex.no_kernel": {
        "en": "Layer {path} has no convolution kernel; this tab keeps showing {shown}.",
        "es": ("La capa {path} no tiene kernel de convolución; esta pestaña sigue mostrando "
               "{shown}."),
        "pt": "A camada {path} não tem kernel de convolução; esta aba continua mostrando {shown}.",
    },
    "ex.no_map": {
        "en": "Layer {path} outputs no feature map; this tab keeps showing {shown}.",
        "es": ("La capa {path} no produce un mapa de características; esta pestaña sigue "
               "mostrando {shown}."),
        "pt": ("A camada {path} não produz um mapa de características; esta aba continua "
               "mostrando {shown}."),
    },
    "ex.rank": {
        "en": ("Grad-CAM, class “{cls}”, layer {path}: channel {ch} has weight {wt:.3g}, rank "
               "{rank} of {n}."),
        "es": ("Grad-CAM, clase «{cls}», capa {path}: el canal {ch} tiene peso {wt:.3g}, "
               "puesto {rank} de {n}."),
        "pt": ("Grad-CAM, classe «{cls}», camada {path}: o canal {ch} tem peso {wt:.3g}, "
               "posição {rank} de {n}."),
    },
    "ex.rank_other": {
        "en": "Grad-CAM explains layer {gl}; pick that layer to see the channel's weight.",
        "es": "Grad-CAM explica la capa {gl}; elija esa capa para ver el peso del canal.",
        "pt": "O Grad-CAM explica a camada {gl}; escolha essa camada para ver o peso do canal.",
    },
    "ex.summary_head": {
        "en": "Layer · Type · Output shape · Parameters",
        "es": "Capa · Tipo · Forma de salida · Parámetros",
        "pt": "Camada · Tipo · Forma de saída · Parâmetros",
    },
    "ex.channel": {
        "en": "channel {f}",
        "es": "canal {f}",
        "pt": "canal {f}",
    },
    "ex.filter": {
        "en": "filter {f}",
        "es": "filtro {f}",
        "pt": "filtro {f}",
    },
    "ex.image": {
        "en": "image: {name}",
        "es": "imagen: {name}",
        "pt": "imagem: {name}",
    },
    "ex.value": {
        "en": "value",
        "es": "valor",
        "pt": "valor",
    },
    "pub.folder": {
        "en": "Site folder",
        "es": "Carpeta del sitio",
        "pt": "Pasta do site",
    },
    "pub.layers": {
        "en": "Layers",
        "es": "Capas",
        "pt": "Camadas",
    },
    "pub.build": {
        "en": "Build site",
        "es": "Construir sitio",
        "pt": "Construir site",
    },
    "pub.cancel": {
        "en": "Cancel",
        "es": "Cancelar",
        "pt": "Cancelar",
    },
    "pub.overwrite": {
        "en": "Replace another site in this folder",
        "es": "Reemplazar otro sitio en esta carpeta",
        "pt": "Substituir outro site nesta pasta",
    },
    "pub.idle": {
        "en": ("Choose a folder and the layers, then Build. A second Build resumes a "
               "cancelled one."),
        "es": ("Elige una carpeta y las capas, luego Construir. Un segundo Construir retoma "
               "uno cancelado."),
        "pt": ("Escolha uma pasta e as camadas, depois Construir. Um segundo Construir retoma "
               "um cancelado."),
    },
    "pub.running": {
        "en": "Building… {pct}%",
        "es": "Construyendo… {pct}%",
        "pt": "Construindo… {pct}%",
    },
    "pub.done": {
        "en": ("Site written: {pages} pages, {mb} MB in {s} s ({built} built, {resumed} kept "
               "from before)."),
        "es": ("Sitio escrito: {pages} páginas, {mb} MB en {s} s ({built} construidas, "
               "{resumed} conservadas de antes)."),
        "pt": ("Site escrito: {pages} páginas, {mb} MB em {s} s ({built} construídas, "
               "{resumed} mantidas de antes)."),
    },
    "pub.cancelled": {
        "en": "Cancelled: {built} parts finished are kept. Build again to add the rest.",
        "es": ("Cancelado: se conservan {built} partes terminadas. Construye de nuevo para "
               "añadir el resto."),
        "pt": ("Cancelado: {built} partes terminadas foram mantidas. Construa de novo para "
               "adicionar o resto."),
    },
    "pub.open": {
        "en": "Open the site",
        "es": "Abrir el sitio",
        "pt": "Abrir o site",
    },
    "pub.exists": {
        "en": ("This folder holds other files or a site built with other settings: choose "
               "another folder, or tick “Replace another site”."),
        "es": ("Esta carpeta tiene otros archivos o un sitio hecho con otros ajustes: elige "
               "otra carpeta o marca «Reemplazar otro sitio»."),
        "pt": ("Esta pasta tem outros arquivos ou um site feito com outras configurações: "
               "escolha outra pasta ou marque «Substituir outro site»."),
    },
    "pub.failed": {
        "en": ("The site could not be built ({kind}). Check the folder and layers, then Build "
               "again. Details: {detail}"),
        "es": ("No se pudo construir el sitio ({kind}). Revisa la carpeta y las capas y "
               "vuelve a Construir. Detalle: {detail}"),
        "pt": ("Não foi possível construir o site ({kind}). Verifique a pasta e as camadas e "
               "Construa de novo. Detalhe: {detail}"),
    },
    "pub.no_data": {
        "en": ("No data set to mine: give the Explorer data= (images, or an object with "
               ".images and .labels) to publish this model."),
        "es": ("No hay datos que explorar: pasa data= al Explorer (un array de imágenes, o un "
               "objeto con sus imágenes y etiquetas) para publicar este modelo."),
        "pt": ("Não há dados para explorar: passe data= ao Explorer (um array de imagens, ou "
               "um objeto com as imagens e os rótulos) para publicar este modelo."),
    },
    "pub.no_layers": {
        "en": "Choose at least one layer.",
        "es": "Elige al menos una capa.",
        "pt": "Escolha pelo menos uma camada.",
    },
    "ex.export_no_view": {
        "en": ("The {page} page shows no figure: select a view's page first "
               "(ex.tabs.selected_index = 0 for {first}), then export it."),
        "es": ("La página {page} no muestra una figura: elija antes la página de una vista "
               "(ex.tabs.selected_index = 0 para {first}) y expórtela."),
        "pt": ("A página {page} não mostra uma figura: escolha antes a página de uma "
               "visualização (ex.tabs.selected_index = 0 para {first}) e exporte-a."),
    },
}
