"""The linked Explorer: one layer, one filter, one image drive the four views."""

import numpy as np
import pytest

import convviz_widgets as cv
from convviz_widgets.widgets._i18n import LANGUAGES, tr
from convviz_widgets.widgets._explorer import Explorer, summary_html

from conftest import random_images


@pytest.fixture(scope="module")
def nested_explorer(models):
    model = models["nested"]
    return Explorer(model, random_images(model, 3, seed=2), class_names=["no", "yes"])


def test_shared_layer_and_filter_reach_every_view(nested_explorer):
    ex = nested_explorer
    ex.layer = "vgg16/block2_conv1"
    ex.filter_index = 4
    for view in (ex.kernels, ex.activations, ex.patterns):
        assert view.layer == "vgg16/block2_conv1" and view.filter_index == 4
    assert ex.gradcam.layer == "vgg16/block2_conv1"
    assert ex._slider.max == 6 and ex._slider.value == 4


def test_click_in_one_view_selects_everywhere(nested_explorer):
    ex = nested_explorer
    ex.layer = "vgg16/block1_conv2"
    ex.activations.filter_index = 3  # what a click on a grid tile does
    assert ex.filter_index == 3
    assert ex.kernels.filter_index == 3 and ex.patterns.filter_index == 3
    ex.kernels.filter_index = 1  # a click on a row of the kernel matrix
    assert ex.filter_index == 1 and ex.activations.filter_index == 1


def test_layer_without_kernel_keeps_kernel_tab_and_says_so(nested_explorer):
    ex = nested_explorer
    ex.layer = "vgg16/block1_conv1"
    ex.layer = "vgg16/block1_pool"
    assert ex.kernels.layer == "vgg16/block1_conv1"
    assert "no convolution kernel" in ex._notes[ex.kernels].value
    assert ex.activations.layer == "vgg16/block1_pool"


def test_gradcam_rank_of_selected_channel(nested_explorer):
    ex = nested_explorer
    ex.layer = "conv2d"
    ex.filter_index = 2
    res = ex.gradcam.result
    assert res is not None and res.layer == "conv2d"
    weights = np.asarray(res.weights).reshape(-1)
    rank = int((weights > weights[2]).sum()) + 1
    assert f"channel 2" in ex._rank.value and f"rank {rank} of {weights.size}" in ex._rank.value


def test_shared_image_selection(nested_explorer):
    ex = nested_explorer
    ex.image_index = 2
    assert ex.activations.image_index == 2 and ex.gradcam.image_index == 2
    ex.activations.image_index = 1  # the shared menu is the activation viewer's
    assert ex.image_index == 1 and ex.gradcam.image_index == 1


def test_bad_values_are_refused_and_state_kept(nested_explorer):
    ex = nested_explorer
    ex.layer = "conv2d"
    ex.filter_index = 1
    with pytest.raises(Exception, match="use 0 to 5"):
        ex.filter_index = 6
    with pytest.raises(ValueError, match="vgg16/block2_conv1"):
        ex.layer = "block2_conv"
    assert ex.layer == "conv2d" and ex.filter_index == 1


def test_summary_panel_nested_expandable(models):
    text = summary_html(cv.model_layers(models["nested"]))
    assert text.count("<details") == 1 and "vgg16" in text and "dense_1" in text
    assert f"{models['nested'].count_params():,}" in text


@pytest.mark.parametrize("lang", LANGUAGES)
def test_languages(models, lang):
    model = models["sequential"]
    ex = Explorer(model, random_images(model, 1), lang=lang)
    assert ex._layer_dd.description == tr("layer", lang)
    assert ex.tabs.get_title(1) == tr("Activations", lang)
    assert ex.kernels._cmap_dd.description == tr("colormap", lang)
    if lang != "en":
        assert ex._layer_dd.description != "layer"
    with pytest.raises(ValueError, match="lang must be one of"):
        Explorer(model, random_images(model, 1), lang="fr")


#: Words of each language's stats lines and headings (what the views write, not only the
#: control labels): the English ones must not show in a Spanish or Portuguese Explorer.
_WRITTEN = {"en": ["channels blank", "filters dead", "input-channel slices", "all channels",
                   "top predictions", "press Run"],
            "es": ["canales en blanco", "filtros muertos", "cortes por canal", "todos los canales",
                   "predicciones principales", "pulse Ejecutar"],
            "pt": ["canais em branco", "filtros mortos", "fatias por canal", "todos os canais",
                   "principais previsões", "clique em Executar"]}


def _written(ex) -> str:
    """Every heading, stats line, title and caption the Explorer's views show."""
    import ipywidgets as w

    out, stack, seen = [], [ex], set()
    while stack:
        wd = stack.pop()
        if id(wd) in seen:
            continue
        seen.add(id(wd))
        if isinstance(wd, w.HTML):
            out.append(wd.value)
        for name in ("title", "caption"):
            value = getattr(wd, name, None)
            if isinstance(value, str):
                out.append(value)
        if isinstance(wd, w.ToggleButtons):
            out.extend(label for label in wd._options_labels)
        stack.extend(getattr(wd, "children", ()) or ())
    return "\n".join(out)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_views_write_in_the_explorer_language(models, lang):
    model = models["functional"]
    ex = Explorer(model, random_images(model, 2), lang=lang)
    ex.layer = "last_conv"
    text = _written(ex)
    for phrase in _WRITTEN[lang]:
        assert phrase in text, (lang, phrase)
    for other in LANGUAGES:
        if other != lang:
            for phrase in _WRITTEN[other]:
                assert phrase not in text, (lang, phrase)
    if lang == "es":
        assert "por canal" in text and "escala del filtro" in text and "un filtro" in text


@pytest.mark.parametrize("name", ["subclassed", "grayscale", "functional"])
def test_every_model_style(models, name):
    model = models[name]
    ex = Explorer(model, random_images(model, 2))
    spatial = [i.path for i in cv.conv_layers(model, kind="spatial")]
    ex.layer = spatial[-1]
    ex.filter_index = ex._slider.max
    assert ex.activations.layer == spatial[-1]
    assert ex.activations.filter_index == ex._slider.max


def test_maximizer_and_gradcam_lines_follow_the_language(models):
    from convviz_widgets.widgets._filter_maximizer import FilterMaximizer
    from convviz_widgets.widgets._gradcam_viewer import GradCAMViewer

    model = models["functional"]
    fm = FilterMaximizer(model, layer="last_conv", steps=3, prewarm=False, lang="es")
    fm.run()
    assert fm.wait(60)
    assert "1 filtro en" in fm.run_panel.message and "activación media" in fm.run_panel.message
    assert "activación media" in fm.pattern.caption and "filtro 0" in fm.pattern.title
    gc = GradCAMViewer(model, random_images(model, 2), lang="pt")
    assert "pontuação" in gc.overlay.caption and "score" not in gc.overlay.caption
    gc.cancel()
    en = GradCAMViewer(model, random_images(model, 2))
    assert "score" in en.overlay.caption


@pytest.mark.parametrize("lang", LANGUAGES)
def test_pages_switch_one_at_a_time(models, lang):
    """The Explorer's own page switcher (Colab cannot draw an ipywidgets 7 Tab): the button
    row and ``tabs.selected_index`` agree, and only the selected page is displayed."""
    model = models["grayscale"]
    ex = Explorer(model, random_images(model, 1), lang=lang)
    names = ("Kernels", "Activations", "Patterns", "Grad-CAM")
    labels = [label for label, _ in ex.tabs.bar.options]
    # The four views first, the model summary last; added pages (DeepDream, Channel, ...) in between.
    assert labels[:4] == [tr(n, lang) for n in names] and labels[-1] == tr("Model", lang)
    assert tr("Channel", lang) in labels and tr("DeepDream", lang) in labels
    assert [ex.kernels, ex.activations, ex.patterns, ex.gradcam] == [
        p.children[1] for p in ex.tabs.pages[:4]]
    assert ex.tabs.pages[labels.index(tr("Channel", lang))].children[1] is ex.card
    n = len(labels)
    for k in (3, 0, n - 1, 1):
        ex.tabs.bar.value = k  # a click on button k
        assert ex.tabs.selected_index == k
        assert [h.layout.display != "none" for h in ex.tabs.holders] == [i == k for i in range(n)]
    ex.tabs.selected_index = 2
    assert ex.tabs.bar.value == 2
    ex.gradcam.cancel()
