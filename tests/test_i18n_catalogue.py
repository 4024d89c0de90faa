"""The one i18n catalogue (convviz_widgets/i18n): complete, one key style, plurals, errors.

Every text a view writes is an entry ``area.name -> {en, es, pt}``; a text that depends on a
count is a plural (each language ``{one, other}``). These tests check the data (every key in
every language, the same placeholders in each), that ``tr`` picks plural forms and refuses
unknown keys, that every key the source asks for exists (so code moved by a merge cannot ask
for a key that was renamed), and that an error a Spanish-speaking user sees is in Spanish.
"""

from __future__ import annotations

import ast
import doctest
import datetime
import re
import string
from pathlib import Path

import ipywidgets
import numpy as np
import pytest
import traitlets

from _driver import Driver

import convviz_widgets as cv
import convviz_widgets.i18n as i18n
from convviz_widgets.compute import MESSAGES, InputError
from convviz_widgets.i18n import CATALOGUE, LANGUAGES, tr
from convviz_widgets.widgets import _errors, _view_error

ROOT = Path(cv.__file__).parent
KEY = re.compile(r"^[a-z]+\.[a-z0-9_]+$")
SPANISH = re.compile(r"[áéíóúñ¿¡]|\b(?:la|el|de|una?|está|capa|imagen|use)\b")


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def _forms(entry, lang):
    """[(form, text)] of one language of an entry (a plain text is the form "text")."""
    text = entry[lang]
    return sorted(text.items()) if isinstance(text, dict) else [("text", text)]


# -- the data ----------------------------------------------------------------------------------

def test_every_key_has_one_style_and_every_language():
    bad_keys = [k for k in CATALOGUE if not KEY.match(k)]
    assert bad_keys == [], "keys are area.name, lower case"
    for key, entry in CATALOGUE.items():
        assert sorted(entry) == sorted(LANGUAGES), key
        kinds = {type(entry[lang]) for lang in LANGUAGES}
        assert len(kinds) == 1, f"{key}: a plural in one language is a plural in all"
        for lang in LANGUAGES:
            forms = _forms(entry, lang)
            assert [f for f, _ in forms] in (["text"], ["one", "other"]), (key, lang)
            assert all(isinstance(t, str) and t for _, t in forms), (key, lang)


def test_translations_keep_the_placeholders():
    """A Spanish or Portuguese text fills the same values as the English one (a dropped or
    misspelt ``{name}`` would raise or lose a number at run time)."""
    wrong = []
    for key, entry in CATALOGUE.items():
        for form, en in _forms(entry, "en"):
            for lang in ("es", "pt"):
                other = dict(_forms(entry, lang))[form]
                if _fields(other) != _fields(en):
                    wrong.append(f"{key}[{lang}/{form}]: {_fields(other)} != {_fields(en)}")
    assert wrong == []


def test_no_english_left_in_spanish_or_portuguese():
    """A text with words in it (placeholders aside) is not the English one in es or pt."""
    same = []
    for key, entry in CATALOGUE.items():
        for form, en in _forms(entry, "en"):
            words = re.sub(r"\{[^}]*\}", " ", en)
            for lang in ("es", "pt"):
                if dict(_forms(entry, lang))[form] == en and re.search(r"[A-Za-z]{3,}", words):
                    same.append(f"{key}[{lang}]")
    # Names, loanwords the Spanish and Portuguese courses use as they are, and Portuguese
    # "classes" (spelt as in English).
    assert sorted(same) == ["fm.classes[pt]", "fm.value_logit[es]", "fm.value_logit[pt]",
                            "page.deepdream[es]", "page.deepdream[pt]", "page.grad_cam[es]",
                            "page.grad_cam[pt]", "page.kernels[es]", "page.kernels[pt]"]


def test_compute_messages_are_all_translated_from_compute_english():
    """compute raises InputError(key, **values); the English lives in compute (one copy), the
    catalogue adds es/pt under err.<key> for every key."""
    for key, en in MESSAGES.items():
        assert CATALOGUE[f"err.{key}"]["en"] == en
        assert CATALOGUE[f"err.{key}"]["es"] != en and CATALOGUE[f"err.{key}"]["pt"] != en


# -- tr ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("lang, one, many", [
    ("en", "1 filter", "{} filters"), ("es", "1 filtro", "{} filtros"),
    ("pt", "1 filtro", "{} filtros")])
def test_plural_picks_the_form_of_the_count(lang, one, many):
    assert tr("fm.filters", lang, n=1) == one
    for n in (0, 2, 5, 21):
        assert tr("fm.filters", lang, n=n) == many.format(n)
    assert tr("gc.mistakes", lang, n=1).startswith("1 ")
    assert tr("gc.mistakes", lang, n=3) != tr("gc.mistakes", lang, n=1).replace("1", "3")


def test_a_plural_needs_a_count_and_an_unknown_key_is_an_error():
    with pytest.raises(TypeError, match=r"n=…"):
        tr("fm.filters", "es")
    with pytest.raises(KeyError, match="not in the catalogue"):
        tr("no.such_key", "es")
    with pytest.raises(KeyError, match="lang must be one of"):
        tr("ui.layer", "fr")


def test_every_key_the_source_asks_for_exists():
    """Every literal key in a ``tr(...)`` call of the package (conditional ones included) is in
    the catalogue; f-string keys must at least start like one."""
    missing = []
    for path in sorted(ROOT.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and getattr(node.func, "id", None) == "tr"
                    and node.args):
                continue
            arg = node.args[0]
            if isinstance(arg, ast.JoinedStr):
                head = arg.values[0]
                prefix = head.value if isinstance(head, ast.Constant) else ""
                if not any(k.startswith(prefix) for k in CATALOGUE):
                    missing.append(f"{path.name}:{node.lineno} f{prefix!r}…")
                continue
            for sub in ast.walk(arg):
                if isinstance(sub, ast.Constant) and isinstance(sub.value, str) and \
                        KEY.match(sub.value) and sub.value not in CATALOGUE:
                    missing.append(f"{path.name}:{node.lineno} {sub.value!r}")
    assert missing == []


def test_one_catalogue_no_tables_in_view_modules():
    """Texts live in convviz_widgets/i18n only: no module elsewhere registers a table."""
    offenders = [p.name for p in ROOT.rglob("*.py") if "i18n" not in p.parts
                 and re.search(r"^register\(\{", p.read_text(encoding="utf-8"), re.M)]
    assert offenders == []
    # Nor a second mechanism relabelling a built tree (translate_tree, localise_hovers): the
    # module that held them is gone; rasters get their hover words when built.
    assert not (ROOT / "widgets" / "_i18n.py").exists()
    names = {n for p in ROOT.rglob("*.py") for n in ("translate_tree", "localise_hovers")
             if re.search(rf"\bdef {n}\b", p.read_text(encoding="utf-8"))}
    assert names == set()


@pytest.mark.parametrize("module", [i18n, _view_error])
def test_docstring_examples(module):
    assert doctest.testmod(module, raise_on_error=True).attempted > 0


# -- errors reach a Spanish-speaking user in Spanish -------------------------------------------

def _error_sentence(view) -> str:
    """The one sentence of the view's error line (the folded details keep Python's own text)."""
    values = " ".join(x.value for x in Driver(view).find("convviz-status"))
    found = re.search(r"<span class='convviz-error-msg'>(.*?)</span>", values, re.S)
    assert found, values
    return found.group(1)


def test_a_view_error_shown_to_an_es_user_is_spanish(models):
    model = models["sequential"]
    kv = cv.KernelViewer(model, lang="es")
    with pytest.raises(_view_error.ViewError) as info:
        kv.filter_index = 999
    assert "out of range" in str(info.value)  # Python code reads English
    sentence = _errors.short_message(info.value, "es")
    assert "fuera de rango" in sentence and "999" in sentence and SPANISH.search(sentence)
    with pytest.raises(_view_error.ViewError) as info:
        kv.layer = "no_such_layer"
    assert "Esta vista muestra" in _errors.short_message(info.value, "es")


def test_a_compute_error_shown_to_a_pt_user_is_portuguese(models):
    with pytest.raises(traitlets.TraitError) as info:  # the view's trait, raised from compute's
        cv.ActivationViewer(models["sequential"], np.zeros((2, 3, 4, 5, 6)), lang="pt")
    assert isinstance(info.value.__cause__, InputError)
    sentence = _errors.short_message(info.value, "pt")
    assert sentence.startswith("As imagens devem ser") and "5-D" in sentence


def test_an_unreadable_upload_shows_spanish_in_the_status_line(models):
    """End to end: a user of a lang="es" view uploads a text file; the status line says, in
    Spanish, what went wrong and what to upload."""
    view = cv.ActivationViewer(models["sequential"], lang="es")
    upload = Driver(view).control("convviz-upload")
    if int(ipywidgets.__version__.split(".")[0]) >= 8:
        upload.value = ({"name": "notas.txt", "type": "text/plain", "size": 4,
                         "content": memoryview(b"hola"),
                         "last_modified": datetime.datetime.now(datetime.timezone.utc)},)
    else:
        upload.set_trait("value", {"notas.txt": {"metadata": {"name": "notas.txt"},
                                                 "content": b"hola"}})
    sentence = _error_sentence(view)
    assert "No se pudo leer «notas.txt» como imagen" in sentence, sentence
    assert "Could not read" not in sentence


def test_a_slider_the_user_moves_out_of_range_says_so_in_spanish(models):
    """End to end through a control: the status line of a lang="es" view is Spanish (the
    control goes back to the trait)."""
    fm = cv.FilterMaximizer(models["sequential"], lang="es")
    slider = Driver(fm).control("convviz-channel")
    slider.max = slider.max + 5
    slider.value = slider.max
    sentence = _error_sentence(fm)
    assert "fuera de rango" in sentence and "filtros" in sentence, sentence
    assert "out of range" not in sentence and slider.value == fm.filter_index


def test_an_export_with_nothing_shown_says_so_in_portuguese():
    """Module-level checks (export) raise the same keyed error; it is a ValueError too, so
    code that caught ValueError before still does."""
    err = _view_error.ViewError("export_nothing")
    assert isinstance(err, ValueError) and str(err).startswith("Nothing is shown yet")
    assert _errors.short_message(err, "pt").startswith("Ainda nada é mostrado")
