"""Errors a user of a view can cause are shown in the view's language (issue 24); Python code
that catches them still reads the English sentence and a ``ValueError``.

Each case: the error raised to Python is English (and a ValueError / TraitError as before); the
one sentence the status line shows (:func:`widgets._errors.short_message`) is Spanish for a
``lang="es"`` view and Portuguese for a ``lang="pt"`` one, and has no English left in it.
"""

from __future__ import annotations

import ipywidgets as w
import keras
import pytest
import traitlets

import convviz_widgets as cv
from convviz_widgets.compute import InputError
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
    def block(name):
        return keras.Sequential([keras.Input((16, 20, 3)),
                                 keras.layers.Conv2D(3, 3, padding="same", name="conv")], name=name)

    inp = keras.Input((16, 20, 3))
    model = keras.Model(inp, block("b2")(block("b1")(inp)))
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
