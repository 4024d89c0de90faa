"""Errors a user of a view can cause are shown in the view's language (issue 24); Python code
that catches them still reads the English sentence and a ``ValueError``.

Each case: the error raised to Python is English (and a ValueError / TraitError as before); the
one sentence the status line shows (:func:`widgets._errors.short_message`) is Spanish for a
``lang="es"`` view and Portuguese for a ``lang="pt"`` one, and has no English left in it.
"""

from __future__ import annotations

import html
import re

import ipywidgets as w
import keras
import numpy as np
import pytest
import tensorflow as tf
import traitlets
from _driver import Driver
from conftest import two_blocks_with_a_conv_each

import convviz_widgets as cv
from convviz_widgets.compute import InputError, check_filters
from convviz_widgets.widgets import _errors
from convviz_widgets.widgets._overlay import OverlayView
from convviz_widgets.widgets._pages import PageSwitcher
from convviz_widgets.widgets._view_error import ViewError


def _shown(exc, lang):
    return _errors.short_message(exc, lang)


# -- (1) an unknown layer: compute's resolve_layer raises a keyed InputError ------------------

def test_resolve_layer_raises_a_keyed_value_error_with_the_english_suggestions(models):
    with pytest.raises(InputError) as info:
        cv.resolve_layer(models["nested"], "block2_conv")
    err = info.value
    assert isinstance(err, ValueError) and err.message_key == "layer_missing_close"
    assert str(err) == ("No layer 'block2_conv' in model "
                        f"{models['nested'].name!r}. Did you mean "
                        f"{err.message_args['close']}? (cv.conv_layers(model) lists them all.)")
    assert "vgg16/block2_conv1" in err.message_args["close"]
    with pytest.raises(InputError) as info:
        cv.resolve_layer(models["sequential"], "zzzzzzzzzzzz")
    assert info.value.message_key == "layer_missing" and "Valid layers include" in str(info.value)
    with pytest.raises(InputError, match="not part of model"):
        cv.resolve_layer(models["nested"], keras.layers.Dense(3))


def test_an_ambiguous_layer_name_is_keyed_too():
    model = two_blocks_with_a_conv_each()
    with pytest.raises(InputError, match="ambiguous") as info:
        cv.resolve_layer(model, "conv")
    assert _shown(info.value, "es").startswith("El nombre de capa 'conv' es ambiguo")
    assert _shown(info.value, "pt").startswith("O nome de camada 'conv' é ambíguo")


@pytest.mark.parametrize("lang, words, view_words", [
    ("es", "¿Quiso decir", "Esta vista muestra"),
    ("pt", "Quis dizer", "Esta visualização mostra")])
def test_a_misspelt_layer_set_on_a_view_is_shown_in_its_language(models, lang, words,
                                                                  view_words):
    kv = cv.KernelViewer(models["sequential"], lang=lang)
    with pytest.raises(ViewError) as info:
        kv.layer = "conv_x"
    assert str(info.value).startswith("No layer 'conv_x' in model")  # Python reads English
    assert "Did you mean" in str(info.value) and "This view shows" in str(info.value)
    sentence = _shown(info.value, lang)
    assert words in sentence and view_words in sentence and "'conv_x'" in sentence, sentence
    assert "No layer" not in sentence and "Did you mean" not in sentence


@pytest.mark.parametrize("lang, words", [("es", "Capas válidas"), ("pt", "Camadas válidas")])
def test_an_unknown_layer_without_a_close_name_lists_valid_ones_in_the_language(models, lang,
                                                                                 words):
    kv = cv.KernelViewer(models["sequential"], lang=lang)
    with pytest.raises(ViewError) as info:
        kv.layer = "zzzzzzzzzzzz"
    assert "Valid layers include" in str(info.value)
    sentence = _shown(info.value, lang)
    assert words in sentence and "Valid layers" not in sentence, sentence


@pytest.mark.parametrize("lang, words", [("es", "no forma parte del modelo"),
                                         ("pt", "não faz parte do modelo")])
def test_a_layer_object_of_another_model_is_shown_in_the_language(models, lang, words):
    kv = cv.KernelViewer(models["sequential"], lang=lang)
    with pytest.raises(traitlets.TraitError) as info:
        kv.layer = keras.layers.Conv2D(3, 3, name="stranger")
    assert "is not part of model" in str(info.value)
    sentence = _shown(info.value, lang)
    assert words in sentence and "'stranger'" in sentence and "not part" not in sentence


# -- (2) page switcher and overlay opacity -----------------------------------------------------

@pytest.mark.parametrize("lang, words", [("es", "está fuera de rango: hay 2 páginas"),
                                         ("pt", "está fora do intervalo: há 2 páginas")])
def test_a_page_out_of_range_is_shown_in_the_language(lang, words):
    ps = PageSwitcher([w.HTML("a"), w.HTML("b")])
    with pytest.raises(ViewError) as info:
        ps.selected_index = 5
    assert isinstance(info.value, (traitlets.TraitError, ValueError))
    assert str(info.value) == ("selected_index 5 is out of range: there are 2 pages, use 0 "
                               "to 1.")
    assert _shown(info.value, lang) == f"selected_index 5 {words}, use de 0 a 1."
    assert ps.selected_index == 0


@pytest.mark.parametrize("lang, text", [("es", "opacity debe estar entre 0 y 1; se recibió 1.5."),
                                        ("pt", "opacity deve estar entre 0 e 1; recebido 1.5.")])
def test_an_opacity_out_of_range_is_shown_in_the_language(lang, text):
    view = OverlayView()
    with pytest.raises(ViewError) as info:
        view.opacity = 1.5
    assert isinstance(info.value, traitlets.TraitError)
    assert str(info.value) == "opacity must be between 0 and 1, got 1.5."
    assert _shown(info.value, lang) == text


# -- (3) other input a user of a view can get wrong --------------------------------------------

@pytest.mark.parametrize("images, key, english, es, pt", [
    (np.full((1, 8, 8, 3), 300, np.int32), "images_int_range",
     "Integer images must be in 0..255", "Las imágenes enteras deben", "As imagens inteiras"),
    (np.full((1, 8, 8, 3), np.nan, np.float32), "images_not_finite",
     "Images contain 192 NaN", "Las imágenes contienen 192 valores NaN",
     "As imagens contêm 192 valores NaN"),
    (np.full((1, 8, 8, 3), -2.0, np.float32), "images_negative",
     "Images have negative values (min -2)", "Las imágenes tienen valores negativos (mín. -2)",
     "As imagens têm valores negativos (mín. -2)"),
    (np.full((1, 8, 8, 3), 900.0, np.float32), "images_float_range",
     "Float images must be in [0, 1]", "Las imágenes float deben", "As imagens float devem"),
])
def test_image_values_a_view_refuses_are_shown_in_its_language(models, images, key, english,
                                                                es, pt):
    """The package's image rules (compute/_images.py) are keyed: a view given such images
    says so in its language; Python reads the English sentence and a ValueError."""
    with pytest.raises(InputError) as info:
        cv.activations(models["sequential"], images)
    assert info.value.message_key == key and str(info.value).startswith(english)
    assert isinstance(info.value, ValueError)
    for lang, words in (("es", es), ("pt", pt)):
        with pytest.raises(ValueError) as info:  # the view's TraitError, or compute's error
            cv.ActivationViewer(models["sequential"], images, lang=lang)
        assert str(info.value).startswith(english)
        assert _shown(info.value, lang).startswith(words), _shown(info.value, lang)


def test_a_filter_index_out_of_range_in_compute_is_keyed(models):
    info = cv.conv_layers(models["sequential"], "kernel")[0]
    with pytest.raises(InputError) as err:
        check_filters(info, [99], 4)
    assert str(err.value) == (f"Filter index 99 is out of range for layer {info.path!r}, which "
                              "has 4 filters: use 0 to 3.")
    assert _shown(err.value, "es").startswith("El índice de filtro 99 está fuera de rango")
    assert _shown(err.value, "pt").startswith("O índice de filtro 99 está fora do intervalo")


def test_an_rgba_image_is_refused_in_the_language(models):
    """A view refuses an image with an alpha channel before compute sees it (its own keyed
    error); compute's own rule, for Python callers, is keyed too."""
    rgba = np.zeros((1, 8, 8, 4), np.float32)
    with pytest.raises(traitlets.TraitError) as info:
        cv.ActivationViewer(models["sequential"], rgba, lang="pt")
    assert "each image must be (h, w, 3) RGB" in str(info.value)
    assert _shown(info.value, "pt").startswith("A imagem 0 tem forma (8, 8, 4)")
    assert _shown(info.value, "es").startswith("La imagen 0 tiene forma (8, 8, 4)")
    with pytest.raises(InputError) as info:
        cv.activations(models["sequential"], rgba)
    assert str(info.value).startswith("Images have 4 channels (RGBA?) but the model reads 3")
    assert _shown(info.value, "es").startswith("Las imágenes tienen 4 canales (¿RGBA?)")
    assert _shown(info.value, "pt").startswith("As imagens têm 4 canais (RGBA?)")


def test_exporting_a_gallery_before_run_says_so_in_the_language(models):
    fm = cv.FilterMaximizer(models["sequential"], lang="pt", prewarm=False)
    with pytest.raises(ViewError) as info:
        fm.gallery_png()
    assert str(info.value) == "Nothing to export yet: press Run first."
    assert _shown(info.value, "pt") == ("Ainda não há nada para exportar: clique em Executar "
                                        "primeiro.")
    assert _shown(info.value, "es") == "Aún no hay nada que exportar: pulse Ejecutar primero."


def test_a_click_on_an_example_of_a_dataset_says_why_in_spanish(models):
    """End to end: the status line of a lang="es" card, after a click on a mined example of
    a tf.data.Dataset (which cannot be indexed to show the whole image)."""
    model = models["functional"]
    imgs = np.random.default_rng(3).random((8,) + tuple(model.input_shape[1:])).astype(
        np.float32)
    ds = tf.data.Dataset.from_tensor_slices((imgs, np.arange(8) % 3)).batch(4)
    card = cv.ChannelCard(model, ds, image=imgs[0], steps=4, lang="es")
    assert card.wait(120)
    Driver(card).click_tile(card.examples_view, 0)
    values = " ".join(x.value for x in Driver(card).find("convviz-status"))
    found = re.search(r"<span class='convviz-error-msg'>(.*?)</span>", values, re.S)
    assert found, values
    sentence = html.unescape(found.group(1))
    assert "No se puede mostrar la imagen entera de este ejemplo" in sentence, sentence
    assert "cannot be indexed" not in sentence and card.picked == -1
    with pytest.raises(ViewError) as info:
        card.pick(99)
    assert str(info.value).startswith("There are ") and "pick 0 to" in str(info.value)
    assert _shown(info.value, "es").startswith("Hay ")


def test_a_box_on_a_classifier_and_a_tile_past_the_end_are_shown_in_the_language(models):
    model = models["sequential"]
    imgs = np.random.default_rng(0).random((4,) + tuple(model.input_shape[1:])).astype(
        np.float32)
    gv = cv.GradCAMViewer(model, imgs[:1], lang="pt")
    with pytest.raises(ViewError) as info:
        gv.set_region_box(0, 0, 4, 4)
    assert str(info.value).startswith("Only a model whose output is an image")
    assert _shown(info.value, "pt").startswith("Só um modelo cuja saída é uma imagem")
    browser = cv.ChannelBrowser(model, imgs, labels=np.arange(4) % 3, steps=4, lang="es")
    assert browser.wait(120)
    with pytest.raises(ViewError) as info:
        browser.open_tile(len(browser.order))
    assert str(info.value) == (f"There are {len(browser.order)} tiles; use 0 to "
                               f"{len(browser.order) - 1}.")
    assert _shown(info.value, "es") == (f"Hay {len(browser.order)} mosaicos; use de 0 a "
                                        f"{len(browser.order) - 1}.")
