"""The linked Explorer: one Selection drives the pages; only the page shown computes and draws."""

import numpy as np
import pytest
import traitlets

import convviz_widgets as cv
import importlib
from convviz_widgets.i18n import LANGUAGES, tr
from convviz_widgets.widgets._explorer import Explorer, summary_html

from _driver import Driver, render_counts
from conftest import random_images

# The module, not the function of the same name that ``convviz_widgets.compute`` exports.
fm_runs = importlib.import_module("convviz_widgets.widgets._maximizer_runs")

@pytest.fixture(scope="module")
def nested_explorer(models):
    model = models["nested"]
    return Explorer(model, random_images(model, 3, seed=2), class_names=["no", "yes"])


def _slider(ex):
    return Driver(ex).control("convviz-channel", shown_only=True)


def _show(ex, page):
    """Select the page whose title is the catalogue's ``page`` key (in the Explorer's lang)."""
    ex.tabs.selected_index = ex.tabs.titles.index(tr(page, ex.lang))


def test_shared_layer_and_filter_reach_every_view(nested_explorer):
    ex = nested_explorer
    ex.layer = "vgg16/block2_conv1"
    ex.filter_index = 4
    for view in (ex.kernels, ex.activations, ex.patterns, ex.card):
        assert view.layer == "vgg16/block2_conv1" and view.filter_index == 4
    assert ex.gradcam.layer == "vgg16/block2_conv1"
    assert ex.selection.layer == "vgg16/block2_conv1" and ex.selection.channel == 4
    assert ex.selection.channels == 7
    assert _slider(ex).max == 6 and _slider(ex).value == 4
    Driver(ex).control("convviz-layer", shown_only=True).value = "vgg16/block1_conv2"
    assert ex.layer == "vgg16/block1_conv2" and ex.activations.layer == "vgg16/block1_conv2"


def test_click_in_one_view_selects_everywhere(nested_explorer):
    ex = nested_explorer
    ex.layer = "vgg16/block1_conv2"
    ex.activations.filter_index = 3  # what a click on a grid tile does
    assert ex.filter_index == 3 and _slider(ex).value == 3
    assert ex.kernels.filter_index == 3 and ex.patterns.filter_index == 3
    ex.kernels.filter_index = 1  # a click on a row of the kernel matrix
    assert ex.filter_index == 1 and ex.activations.filter_index == 1


def test_layer_without_kernel_keeps_kernel_page_and_says_so(nested_explorer):
    ex = nested_explorer
    _show(ex, "page.kernels")
    ex.layer = "vgg16/block1_conv1"
    ex.filter_index = 2
    ex.layer = "vgg16/block1_pool"
    ex.filter_index = 4
    assert ex.kernels.layer == "vgg16/block1_conv1"
    assert "no convolution kernel" in Driver(ex).text()
    assert ex.activations.layer == "vgg16/block1_pool"
    assert ex.kernels.filter_index == 2
    # Back on a conv layer the kernel page takes the channel it did not follow meanwhile.
    ex.layer = "vgg16/block1_conv2"
    assert ex.kernels.layer == "vgg16/block1_conv2" and ex.kernels.filter_index == 4
    assert "no convolution kernel" not in Driver(ex).text()


def test_gradcam_rank_of_selected_channel(nested_explorer):
    ex = nested_explorer
    ex.layer = "conv2d"
    ex.filter_index = 2
    assert "rank" not in Driver(ex).text()  # the rank is a Grad-CAM page line
    _show(ex, "page.grad_cam")  # shown: Grad-CAM catches up with the shared layer
    res = ex.gradcam.result
    assert res is not None and res.layer == "conv2d"
    weights = np.asarray(res.weights).reshape(-1)
    rank = int((weights > weights[2]).sum()) + 1
    text = Driver(ex).text()
    assert "channel 2" in text and f"rank {rank} of {weights.size}" in text
    ex.filter_index = 3  # the rank follows the slider on the page shown
    rank = int((weights > weights[3]).sum()) + 1
    assert f"rank {rank} of {weights.size}" in Driver(ex).text()
    _show(ex, "page.kernels")


def test_shared_image_selection(nested_explorer):
    ex = nested_explorer
    ex.image_index = 2
    assert ex.activations.image_index == 2 and ex.gradcam.image_index == 2
    assert ex.dream.image_index == 2 and np.array_equal(ex.card.image, ex.activations.images[2])
    ex.activations.image_index = 1  # the shared menu is the activation viewer's
    assert ex.image_index == 1 and ex.gradcam.image_index == 1
    menu = Driver(ex).control("convviz-image", shown_only=True)
    assert menu.value == 1
    menu.value = 0  # a pick in the image menu
    assert ex.image_index == 0 and ex.gradcam.image_index == 0


def test_bad_values_are_refused_and_state_kept(nested_explorer):
    ex = nested_explorer
    ex.layer = "conv2d"
    ex.filter_index = 1
    with pytest.raises(traitlets.TraitError, match="use 0 to 5"):
        ex.filter_index = 6
    with pytest.raises(traitlets.TraitError, match="vgg16/block2_conv1"):
        ex.layer = "block2_conv"
    with pytest.raises(traitlets.TraitError, match="use 0 to 2"):
        ex.image_index = 3
    assert ex.layer == "conv2d" and ex.filter_index == 1 and ex.image_index == 0
    # The same mistakes from the controls are shown, never raised into the comm.
    _slider(ex).max = 9
    _slider(ex).value = 8
    assert "use 0 to 5" in Driver(ex).status() and ex.filter_index == 1
    assert _slider(ex).value == 1 and _slider(ex).max == 5


def test_a_slider_move_renders_only_the_visible_page(models, monkeypatch):
    model = models["functional"]
    ex = Explorer(model, random_images(model, 2, seed=3))
    calls = []
    # The Patterns page calls the name its runs module imported (its cache lookup and its
    # background compile).
    real = fm_runs.maximize
    monkeypatch.setattr(fm_runs, "maximize",
                        lambda *a, **k: calls.append(a[1]) or real(*a, **k))
    _show(ex, "page.activations")
    counts = render_counts(ex)
    _slider(ex).value = 2  # a filter slider move
    assert counts == {"kernels": 0, "activations": 1, "patterns": 0, "gradcam": 0, "card": 0,
                      "dream": 0}
    assert ex.kernels.filter_index == 2 and ex.patterns.filter_index == 2  # linked, not drawn
    layers = [i.path for i in cv.conv_layers(model, kind="spatial")]
    ex.layer = layers[-1]  # a layer change: still one page at work, no background compile
    assert counts["activations"] == 2 and sum(counts.values()) == 2 and calls == []
    # Shown, a page catches up once with the current selection.
    _show(ex, "page.kernels")
    assert counts["kernels"] == 1 and ex.kernels.last_update["what"] == "refresh"
    assert "filter2" in ex.kernels.export_filename()
    _show(ex, "page.patterns")
    assert ex.patterns.wait(120) and calls and set(calls) == {layers[-1]}
    assert sum(counts[k] for k in ("gradcam", "card", "dream")) == 0
    ex.active = False  # the whole Explorer hidden (e.g. its output cleared): no page works
    _slider(ex).value = 1
    assert counts["kernels"] == 1 and counts["activations"] == 2
    ex.active = True
    assert ex.patterns.filter_index == 1


def test_selection_links_are_a_table_over_public_traits(nested_explorer):
    ex = nested_explorer
    pages = {(link.name, link.view) for link in ex.links.table}
    for view in (ex.kernels, ex.activations, ex.patterns, ex.card):
        assert ("layer", view) in pages and ("channel", view) in pages
    assert ("image_index", ex.gradcam) in pages and ("target", ex.gradcam) in pages
    for link in ex.links.table:  # every link names a public trait of its page
        assert link.apply is not None or (not link.trait.startswith("_")
                                          and link.view.has_trait(link.trait))
    ex.gradcam.target = 1  # a class picked on the Grad-CAM page is the selection's target
    assert ex.selection.target == 1
    ex.gradcam.target = None


def test_summary_panel_nested_expandable(models):
    text = summary_html(cv.model_layers(models["nested"]))
    assert text.count("<details") == 1 and "vgg16" in text and "dense_1" in text
    assert f"{models['nested'].count_params():,}" in text


@pytest.mark.parametrize("lang", LANGUAGES)
def test_languages(models, lang):
    model = models["sequential"]
    ex = Explorer(model, random_images(model, 1), lang=lang)
    d = Driver(ex)
    assert d.control("convviz-layer", shown_only=True).description == tr("ui.layer", lang)
    assert ex.tabs.get_title(1) == tr("page.activations", lang)
    assert d.find(tr("ui.colormap", lang), shown_only=True)  # the Kernels page's menu
    if lang != "en":
        assert not d.find("layer", shown_only=True)
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
            out.extend(Driver(wd).labels(wd))
        stack.extend(getattr(wd, "children", ()) or ())
    return "\n".join(out)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_views_write_in_the_explorer_language(models, lang):
    model = models["functional"]
    ex = Explorer(model, random_images(model, 2), lang=lang)
    ex.layer = "last_conv"
    text = ""
    for k in range(len(ex.tabs.titles)):  # each page writes its lines once shown
        ex.tabs.selected_index = k
        text += _written(ex)
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
    top = Driver(ex).top(_slider(ex))
    assert top == ex.selection.channels - 1
    assert _slider(ex).disabled == (top == 0)  # one channel: nothing to slide, never min == max
    _slider(ex).value = top
    assert ex.activations.layer == spatial[-1]
    assert ex.activations.filter_index == top
    _show(ex, "page.activations")
    assert ex.activations.last_update["what"] == "refresh"
    assert ex.activations.export_figure().ndim == 3


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
    names = ("page.kernels", "page.activations", "page.patterns", "page.grad_cam")
    labels = [label for label, _ in ex.tabs.bar.options]
    # The four views first, then the added pages (Channel, DeepDream), the model summary and
    # the Publish panel last.
    assert labels[:4] == [tr(n, lang) for n in names]
    assert labels[-2:] == [tr("page.model", lang), tr("page.publish", lang)]
    assert tr("page.publish", lang) == {"en": "Publish", "es": "Publicar", "pt": "Publicar"}[lang]
    assert tr("page.channel", lang) in labels and tr("page.deepdream", lang) in labels
    assert [ex.kernels, ex.activations, ex.patterns, ex.gradcam] == [
        p.children[1] for p in ex.tabs.pages[:4]]
    assert ex.tabs.pages[labels.index(tr("page.channel", lang))].children[1] is ex.card
    n = len(labels)
    for k in (3, 0, n - 1, 1):
        ex.tabs.bar.value = k  # a click on button k
        assert ex.tabs.selected_index == k
        assert [h.layout.display != "none" for h in ex.tabs.holders] == [i == k for i in range(n)]
    ex.tabs.selected_index = 2
    assert ex.tabs.bar.value == 2
    ex.gradcam.cancel()


def test_the_explorer_is_a_view_with_controls_to_hide(nested_explorer):
    from convviz_widgets.widgets import View

    ex = nested_explorer
    assert isinstance(ex, View) and ex.active
    ex.controls = False  # a container driving the Explorer hides its shared bar
    assert not Driver(ex).find("convviz-channel", shown_only=True)
    assert not Driver(ex).find("convviz-layer", shown_only=True)
    ex.controls = True
    assert Driver(ex).control("convviz-channel", shown_only=True).value == ex.filter_index


def test_the_publish_page_builds_the_site_of_the_explored_model(models, tmp_path):
    """The Explorer's Publish page is cv.publish over the data its Channel page mines; without
    data it says, in the Explorer's language, what to give."""
    model = models["functional"]
    data = random_images(model, 6, seed=4)
    ex = Explorer(model, random_images(model, 2, seed=3), data=data)
    _show(ex, "page.publish")
    d = Driver(ex.publisher)
    assert ex.visible_view is None  # a panel, not a figure to export
    ex.publisher.options.update(k=2, steps=4, cam_images=1)
    ex.publisher.folder_box.value = str(tmp_path / "site")
    ex.publisher.layer_picker.value = (ex.publisher.layer_picker.options[0],)
    d.click("convviz-run")
    assert ex.publisher.wait(600)
    result = ex.publisher.result
    assert result is not None and not result.cancelled, d.status()
    assert (tmp_path / "site" / "index.html").is_file()
    assert "index.html" in ex.publisher.status.value  # the link to open it
    # No data: the page says which argument to give (Spanish Explorer, Spanish words).
    bare = Explorer(model, random_images(model, 1, seed=3), lang="es")
    _show(bare, "page.publish")
    Driver(bare.publisher).click("convviz-run")
    assert "data=" in Driver(bare.publisher).status() and "datos" in Driver(bare.publisher).status()
