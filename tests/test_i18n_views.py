"""Every view built with lang="es" or "pt" shows no English word a user reads.

The test walks the built widget tree and collects everything shown as text: control
descriptions, menu and toggle labels, button texts and tooltips, placeholders, HTML values
(tags stripped), and the titles, captions and axis labels of the raster and overlay views.
Model data (layer paths, class names, colormap and method names) is not language and is
allowed; the words below are the English UI vocabulary of the views.
"""

from __future__ import annotations

import html
import re

import ipywidgets as w
import pytest

from _driver import Driver

import convviz_widgets as cv
from convviz_widgets.widgets import OverlayView, RasterView

#: English words of the views' own labels and messages (whole words, case-insensitive).
ENGLISH = ("layer", "layers", "filter", "filters", "channel", "channels", "image", "images",
           "colormap", "page", "method", "steps", "size", "seed", "gallery", "class", "upload",
           "run", "cancel", "export", "stretch", "contrast", "prediction", "predictions",
           "computing", "mistake", "mistakes", "accuracy", "sparsity", "blank", "values",
           "click", "press", "input", "mean", "opacity", "heat", "rank", "worst", "best",
           "custom", "explain", "params", "scale", "composite", "shared", "activations",
           "patterns", "model", "weights", "dead", "resized", "deletion", "insertion",
           "faithfulness", "faithful", "signed", "random", "share", "probability")
# Not listed: "Kernels" (the Spanish and Portuguese courses use the loanword) and "None"
# (shape entries in the model summary are Python values).
_WORD = re.compile(r"\b(" + "|".join(ENGLISH) + r")\b", re.IGNORECASE)


def _texts(root) -> list[tuple[str, str]]:
    """(where, text) of everything ``root``'s widget tree shows as words."""
    out, stack, seen = [], [root], set()
    while stack:
        wd = stack.pop()
        if id(wd) in seen:
            continue
        seen.add(id(wd))
        kind = type(wd).__name__
        for attr in ("description", "tooltip", "placeholder"):
            value = getattr(wd, attr, None)
            if isinstance(value, str) and value:
                out.append((f"{kind}.{attr}", value))
        if isinstance(wd, (w.HTML, w.Label)):
            out.append((f"{kind}.value", html.unescape(re.sub(r"<[^>]+>", " ", wd.value))))
        options = getattr(wd, "options", None)
        if isinstance(wd, (w.Dropdown, w.ToggleButtons, w.Select, w.RadioButtons)) and options:
            for opt in options:
                out.append((f"{kind}.option", opt[0] if isinstance(opt, tuple) else str(opt)))
        if isinstance(wd, RasterView):
            out += [(f"{kind}.title", wd.title), (f"{kind}.caption", wd.caption)]
            out += [(f"{kind}.labels", lab) for lab in wd.labels]
        if isinstance(wd, OverlayView):
            out += [(f"{kind}.{a}", getattr(wd, a)) for a in
                    ("opacity_label", "heat_label", "caption")]
        stack.extend(getattr(wd, "children", ()) or ())
    return out


def _english(root, allowed: set[str]) -> list[str]:
    found = []
    for where, text in _texts(root):
        for token in allowed:  # model data: layer paths, class names, method names
            text = text.replace(token, " ")
        hits = _WORD.findall(text)
        if hits:
            found.append(f"{where}: {text!r} ({', '.join(hits)})")
    return found


def _model_words(model) -> set[str]:
    words = {i.path for i in cv.conv_layers(model, kind="all")}
    words |= {i.name for i in cv.model_layers(model)} | {model.name}
    return {wd for wd in words if wd}


@pytest.fixture(scope="module")
def demo():
    return cv.demo_model()


@pytest.mark.parametrize("lang", ["es", "pt"])
@pytest.mark.parametrize("view", ["kernels", "activations", "patterns", "patterns_class",
                                  "gradcam", "explorer", "conv_step", "dream", "card",
                                  "browser"])
def test_no_english_label_in_a_translated_view(demo, lang, view):
    allowed = _model_words(demo)
    if view == "kernels":
        root = cv.KernelViewer(demo, lang=lang)
    elif view == "activations":
        root = cv.ActivationViewer(demo, lang=lang)
    elif view == "patterns":
        root = cv.FilterMaximizer(demo, lang=lang, prewarm=False)
    elif view == "conv_step":
        root = cv.ConvStepViewer(demo, lang=lang, filter_index=4, position=(0, 0))
        allowed |= {"relu"}  # the activation function's name is the model's
    elif view == "patterns_class":  # the objective menu, its Dense-layer menu and neuron note
        root = cv.FilterMaximizer(demo, lang=lang, prewarm=False, objective="class")
        root.objective = "neuron"
        root.neuron_position = (3, 4)
        root.objective = "class"
    elif view == "dream":
        root = cv.DeepDreamViewer(demo, lang=lang)
    elif view == "gradcam":
        root = cv.GradCAMViewer(demo, lang=lang)
        allowed |= set(root.class_names)
    elif view in ("card", "browser"):
        # Mined data (a tiny set) so that the examples, firing and class lines are shown too.
        data = cv.demo_images()
        kind = cv.ChannelCard if view == "card" else cv.ChannelBrowser
        root = kind(demo, data.images[:12], labels=data.labels[:12],
                    class_names=list(data.class_names), image=data.images[0], lang=lang,
                    steps=2)
        assert root.wait(120)
        allowed |= set(data.class_names)
    else:
        root = cv.Explorer(demo, lang=lang)
        allowed |= set(root.gradcam.class_names)
    assert len(_texts(root)) > 10  # the walk reached the controls
    assert _english(root, allowed) == []


@pytest.mark.parametrize("lang", ["es", "pt"])
def test_no_english_in_the_trust_panel_and_both_galleries(demo, lang):
    """The Grad-CAM viewer after its trust panel scored a signed map and both models' galleries
    were ranked by deletion area: every label it then shows is in the view's language."""
    scenes = cv.demo_images()
    root = cv.GradCAMViewer(demo, scenes.images[:4], labels=scenes.labels[:4], compare=demo,
                            names=("a", "b"), method="gradient_x_input", lang=lang)
    root.check_faithfulness(wait=True)
    root.find_best_and_worst(n=2, wait=True, by="deletion")
    assert root.trust is not None and "compare" in root.gallery
    assert "<svg" in Driver(root).control("convviz-trust-plot").value
    assert root.gallery_captions["best"].value
    allowed = _model_words(demo) | set(root.class_names)
    assert _english(root, allowed) == []


def test_the_walk_finds_english_in_an_english_view(demo):
    """The check is not vacuous: the same walk over lang="en" finds the English labels."""
    found = "\n".join(_english(cv.KernelViewer(demo), _model_words(demo)))
    assert "layer" in found and "colormap" in found


@pytest.mark.parametrize("lang, row, col, value", [("en", "row", "col", "value"),
                                                   ("es", "fila", "columna", "valor"),
                                                   ("pt", "linha", "coluna", "valor")])
def test_rasters_and_overlays_are_built_with_their_hover_words(lang, row, col, value):
    """A raster or overlay has its hover words in its language from construction (nothing
    relabels a built tree); words given explicitly are kept as given."""
    raster = RasterView(lang=lang, tile_label="rank")
    assert (raster.labels, raster.value_label) == (["rank", row, col], value)
    assert OverlayView(lang=lang).where_labels == [row, col]
    kept = RasterView(lang=lang, labels=["", "filter", "channel"], value_label="w")
    assert (kept.labels, kept.value_label) == (["", "filter", "channel"], "w")



def test_a_part_built_outside_a_view_speaks_its_language():
    """Hover words come with construction, not from a pass over a built view: the Grad-CAM
    gallery built on its own (no view around it) already reads "fila … columna … valor"."""
    from convviz_widgets.widgets._gradcam_gallery import BestWorstGallery

    gallery = BestWorstGallery("es", ("a", "b"), True, print, print)
    assert len(gallery.rasters) == 4  # best and worst of both models
    for raster in gallery.rasters:
        assert raster.labels[1:] == ["fila", "columna"] and raster.value_label == "valor"
