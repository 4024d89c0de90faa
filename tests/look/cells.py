# Cells for ../shared/look (JupyterLab in headless Chromium): every view and every Explorer
# page, in one language. tests/look/test_look.py writes one copy per language (the LANG line
# below replaced) and expects the tool to find nothing: no clipped control, no one-colour
# drawing (a panel waiting for Run says so in words), no error output, and in es/pt no English
# word of tests/look/english_words.txt.
# %%
import numpy as np

import convviz_widgets as cv

LANG = "en"
model = cv.demo_model()
demo = cv.demo_images()
images = [np.asarray(im) for im in demo.images[:3]]
# A non-square picture (a phone photo's shape) next to the square demo scenes.
images.append(np.ascontiguousarray(images[0][:, 8:56]))
LANG
# %%
cv.KernelViewer(model, lang=LANG)
# %%
cv.ActivationViewer(model, images, lang=LANG)
# %%
# With labels: the "find best & worst predictions" gallery is there too.
cv.GradCAMViewer(model, demo.images[:6], labels=demo.labels[:6], class_names=demo.class_names,
                 lang=LANG)
# %%
cv.FilterMaximizer(model, steps=8, size=48, prewarm=False, lang=LANG)
# %%
# The demo scenes by default: their menu names are in LANG too.
cv.DeepDreamViewer(model, lang=LANG)
# %%
cv.ConvStepViewer(model, images, lang=LANG)
# %%
cv.ChannelCard(lang=LANG)
# %%
cv.ChannelBrowser(lang=LANG)
# %%
ex = cv.Explorer(model, images, lang=LANG)
# A file that is not a picture, put into the Upload button as the browser would: the error
# under the button must be one sentence in LANG (no Python internals).
ex._upload.set_state({"value": [{"name": "notes.txt", "type": "text/plain", "size": 5,
                                 "last_modified": 0, "content": memoryview(b"hello")}]})
ex
# %%
# Every other page of the same Explorer, each in its own output (a hidden page is not checked).
# Selecting a page is what makes its view compute and draw (pages render only while shown); the
# page's output keeps what it drew when the next page is selected.
ex.tabs.selected_index = 1
ex.tabs.pages[1]
# %%
ex.tabs.selected_index = 2
ex.tabs.pages[2]
# %%
ex.tabs.selected_index = 3
ex.tabs.pages[3]
# %%
ex.tabs.selected_index = 4
ex.tabs.pages[4]
# %%
ex.tabs.selected_index = 5
ex.tabs.pages[5]
# %%
ex.tabs.selected_index = 6
ex.tabs.pages[6]
# %%
ex.tabs.selected_index = 7
ex.tabs.pages[7]
