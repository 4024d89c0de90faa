"""Issue 23, items 9 and 10: what a student reads and sees, asserted on the words and values.

Item 9 (Spanish/Portuguese): upload errors in the UI's language without Python internals, no
English left (scene and upload names, maximizer methods, the card's kernel label), plural forms,
"esparsidad" for sparsity, buttons as wide as their label, a placeholder with words instead of a
flat grey panel before Run. Item 10 (kernels): grey in the colormap menu, a diverging map's
window symmetric around 0 (live view and figure alike), slices named by input channel, the
matrix title counting what is drawn, readable colour-bar captions, the raw-pattern colour bar
spanning the values' printed range. The real-browser check of the same is tests/look/.
"""

from __future__ import annotations

import io
import re

import ipywidgets as w
import numpy as np
import pytest
from PIL import Image

import convviz_widgets as cv
from convviz_widgets.i18n import tr

from _driver import Driver

NOT_PICTURE = [{"name": "notes.txt", "type": "text/plain", "size": 5, "last_modified": 0,
                "content": memoryview(b"hello")}]
SENTENCE = {"en": "Could not read “notes.txt” as an image: upload a PNG or JPEG file.",
            "es": "No se pudo leer «notes.txt» como imagen: suba un archivo PNG o JPEG.",
            "pt": "Não foi possível ler «notes.txt» como imagem: envie um arquivo PNG ou JPEG."}


@pytest.fixture(scope="module")
def demo():
    return cv.demo_model()


def _png(name="photo.png"):
    buf = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 30, 30)).save(buf, "PNG")
    return [{"name": name, "type": "image/png", "size": len(buf.getvalue()),
             "last_modified": 0, "content": memoryview(buf.getvalue())}]


def _visible_text(html_value: str) -> str:
    """The sentence a student sees: the error line, without the folded details."""
    shown = re.sub(r"<details.*?</details>", "", html_value, flags=re.S)
    return re.sub(r"<[^>]+>", "", shown)


def _tree(widget):
    stack, seen = [widget], set()
    while stack:
        wd = stack.pop()
        if id(wd) in seen:
            continue
        seen.add(id(wd))
        yield wd
        stack.extend(getattr(wd, "children", ()) or ())


def _upload(view):
    """The Upload button the user sees (hidden pages' own buttons do not count)."""
    return Driver(view).control(w.FileUpload, shown_only=True)


def _image_menu(view):
    return Driver(view).control("convviz-image", w.Dropdown, shown_only=True)


# -- item 9: errors, words, plurals --------------------------------------------------------------
@pytest.mark.parametrize("lang", ["en", "es", "pt"])
def test_upload_of_a_non_picture_says_so_in_the_ui_language(demo, lang):
    ex = cv.Explorer(demo, lang=lang)
    _upload(ex).set_state({"value": NOT_PICTURE})
    seen = _visible_text(Driver(ex).text())
    assert SENTENCE[lang] in seen
    for internal in ("BytesIO", "0x", "_io", "UnidentifiedImageError", "cannot identify"):
        assert internal not in seen, seen


@pytest.mark.parametrize("make", ["activations", "gradcam", "dream"])
def test_every_upload_button_reports_the_same_sentence_in_spanish(demo, make):
    images = [np.asarray(im) for im in cv.demo_images().images[:2]]
    view = {"activations": lambda: cv.ActivationViewer(demo, images, lang="es"),
            "gradcam": lambda: cv.GradCAMViewer(demo, images, lang="es"),
            "dream": lambda: cv.DeepDreamViewer(demo, images, lang="es")}[make]()
    _upload(view).set_state({"value": NOT_PICTURE})
    texts = " ".join(_visible_text(getattr(wd, "value", "")) for wd in _tree(view)
                     if isinstance(wd, w.HTML))
    assert SENTENCE["es"] in texts and "BytesIO" not in texts


@pytest.mark.parametrize("lang, scene, upload", [("es", "escena", "subida"),
                                                 ("pt", "cena", "envio"),
                                                 ("en", "scene", "upload")])
def test_image_menus_name_scenes_and_uploads_in_the_ui_language(demo, lang, scene, upload):
    ex = cv.Explorer(demo, lang=lang)  # images=None: the demo scenes
    labels = Driver(ex).labels(_image_menu(ex))
    assert labels[0].startswith(f"{scene} 0: ") and all(lab.startswith(scene) for lab in labels)
    _upload(ex).set_state({"value": _png()})
    labels = Driver(ex).labels(_image_menu(ex))
    assert labels[-1] == f"{upload}: photo.png"
    dream = cv.DeepDreamViewer(demo, lang=lang)
    assert Driver(dream).labels(_image_menu(dream))[0].startswith(f"{scene} 0")


def test_maximizer_method_menu_is_translated_and_keeps_its_values(demo):
    fm = cv.FilterMaximizer(demo, steps=4, size=32, prewarm=False, lang="es")
    menu = Driver(fm).menu("naive")
    assert menu.options == (("regularizado", "regularized"), ("ingenuo", "naive"))
    fm.method = "naive"
    assert menu.value == "naive" and menu.label == "ingenuo"
    pt = cv.FilterMaximizer(demo, steps=4, size=32, prewarm=False, lang="pt")
    assert [lab for lab, _ in Driver(pt).menu("naive").options] == ["regularizado", "ingênuo"]


@pytest.mark.parametrize("lang", ["es", "pt"])
def test_counts_use_the_singular_for_one(lang):
    one, two = (tr("fm.cancelled", lang, k=k, what=tr("fm.filters", lang, n=4), sec="1.0")
                for k in (1, 2))
    assert "1 completos" not in one and "1 concluídos" not in one
    assert tr("fm.filters", lang, n=1) == "1 filtro" and tr("fm.filters", lang, n=3) == "3 filtros"
    assert "1 de 4 filtros" in one and "2 de 4 filtros" in two


def _geometry(view) -> str:
    """The conv-step view's geometry line (role ``convviz-step-geometry``), as HTML."""
    return Driver(view).control("convviz-step-geometry").value


def test_conv_step_counts_input_channels_with_the_right_plural(demo, models):
    gray = models["grayscale"]  # one input channel
    for lang, one, many in (("es", "1 canal de entrada", "3 canales de entrada"),
                            ("pt", "1 canal de entrada", "3 canais de entrada"),
                            ("en", "1 input channel,", "3 input channels")):
        assert one in _geometry(cv.ConvStepViewer(gray, lang=lang))
        assert many in _geometry(cv.ConvStepViewer(demo, lang=lang))
    assert "(is)" not in _geometry(cv.ConvStepViewer(demo, lang="pt"))


def test_sparsity_is_named_esparsidad_not_dispersion(demo):
    av = cv.ActivationViewer(demo, lang="es")
    text = " ".join(getattr(wd, "value", "") for wd in _tree(av) if isinstance(wd, w.HTML))
    assert "esparsidad" in text and "dispersión" not in text
    assert "esparsidade" in " ".join(getattr(wd, "value", "") for wd in
                                     _tree(cv.ActivationViewer(demo, lang="pt"))
                                     if isinstance(wd, w.HTML))


@pytest.mark.parametrize("lang, word", [("es", "pesos (3 cortes de entrada)"),
                                        ("pt", "pesos (3 fatias de entrada)")])
def test_channel_card_kernel_label_has_no_english(demo, lang, word):
    card = cv.ChannelCard(demo, layer="block1_conv1", lang=lang)
    assert card.kernel_view.title == word


@pytest.mark.parametrize("lang", ["en", "es", "pt"])
def test_buttons_are_as_wide_as_their_label(demo, lang):
    """A fixed pixel width cut "Exportar P…", "Cance…", "Subir…": every button, upload and
    toggle button of every view sizes itself to its label."""
    views = [cv.Explorer(demo, lang=lang),
             cv.GradCAMViewer(demo, cv.demo_images().images[:4],
                              labels=cv.demo_images().labels[:4], lang=lang),
             cv.ChannelBrowser(lang=lang), cv.ConvStepViewer(demo, lang=lang)]
    checked = 0
    for view in views:
        for wd in _tree(view):
            if isinstance(wd, (w.Button, w.FileUpload)):
                assert wd.layout.width in (None, "", "auto"), (wd.description, wd.layout.width)
                checked += 1
            elif isinstance(wd, w.ToggleButtons):
                assert wd.style.button_width in ("", "auto"), (wd.options, wd.style.button_width)
    assert checked >= 10


def _distinct(raster) -> int:
    return len(np.unique(np.frombuffer(raster.tiles.tobytes(), np.uint8)))


@pytest.mark.parametrize("lang, words", [("en", "press Run"), ("es", "pulse Ejecutar"),
                                         ("pt", "clique em Executar")])
def test_panels_waiting_for_run_are_not_flat_grey(demo, lang, words):
    fm = cv.FilterMaximizer(demo, steps=4, size=32, prewarm=False, lang=lang)
    assert _distinct(fm.pattern) > 1 and words in fm.pattern.title
    dream = cv.DeepDreamViewer(demo, lang=lang)
    assert _distinct(dream.after) > 1
    assert dream.after.shape[1:3] == [s * dream.before.zoom for s in dream.before.shape[1:3]]
    card = cv.ChannelCard(demo, lang=lang, active=False, steps=2)
    card.active = True  # shown: drawn at once, the pattern optimised in the background
    assert card.pattern_view.caption == tr("cc.pattern_wait", lang)  # still waiting for it
    assert _distinct(card.pattern_view) > 1
    assert card.wait(240)


# -- item 10: kernels ----------------------------------------------------------------------------
def test_kernel_colormap_menu_offers_grey(demo):
    kv = cv.KernelViewer(demo)
    menu = Driver(kv).control("colormap", w.Dropdown)
    assert "gray" in menu.options
    kv.colormap = "gray"
    assert menu.value == "gray"


@pytest.mark.parametrize("style_name", ["sequential", "nested", "grayscale"])
def test_shared_scale_on_a_diverging_map_is_symmetric_around_zero(models, style_name):
    model = models[style_name]
    kv = cv.KernelViewer(model, scale="shared")
    w_ = kv.kernel[..., kv.filter_index]
    m = float(np.abs(w_).max())
    assert kv.slices.vmin == pytest.approx(-m, rel=1e-5)
    assert kv.slices.vmax == pytest.approx(m, rel=1e-5)
    assert "−" in kv.scale_bar.value  # the bar's low end is the negative window end
    # The caption says the window is centred, so its ends are not read as the data's min/max.
    assert "centred on 0" in kv.scale_bar.value
    # Grey is not diverging: the 000 handout's [min, max], black = min, white = max.
    kv.colormap = "gray"
    assert kv.slices.vmin == pytest.approx(float(w_.min()), rel=1e-5)
    assert kv.slices.vmax == pytest.approx(float(w_.max()), rel=1e-5)
    kv.colormap = "RdBu_r"
    assert kv.slices.vmin == pytest.approx(-m, rel=1e-5)


def test_display_rule_centres_any_window_for_a_diverging_map():
    from convviz_widgets.display import is_diverging, scale_tiles

    tiles = np.array([[[-0.1, 0.3]], [[0.2, 0.5]]], np.float32)
    s = scale_tiles(tiles, "shared", centre_zero=True)
    assert s.lo.tolist() == pytest.approx([-0.5, -0.5]) and s.hi.tolist() == pytest.approx([0.5,
                                                                                            0.5])
    p = scale_tiles(tiles, "per_slice", centre_zero=True)
    assert p.lo.tolist() == pytest.approx([-0.3, -0.5]) and p.hi.tolist() == pytest.approx([0.3,
                                                                                            0.5])
    zero = scale_tiles(np.array([[[-0.1, 0.0, 0.3]]], np.float32), "shared", centre_zero=True)
    assert zero.values[0, 0, 1] == pytest.approx(0.5)  # 0 sits at the map's middle colour
    assert is_diverging("RdBu_r") and is_diverging("RdBu") and not is_diverging("viridis")


def test_figure_slices_on_a_diverging_map_use_the_same_symmetric_window(demo):
    fig = cv.plotting.plot_filter_slices(demo, "block2_conv1", 3, scale="shared", cmap="RdBu_r")
    lo, hi = fig.axes[0].images[0].get_clim()
    assert lo == pytest.approx(-hi)
    assert "centred on 0" in fig.axes[-1].yaxis.label.get_text()
    kv = cv.KernelViewer(demo, layer="block2_conv1", filter_index=3, scale="shared")
    assert (kv.slices.vmin, kv.slices.vmax) == pytest.approx((lo, hi), rel=1e-5)
    grey = cv.plotting.plot_filter_slices(demo, "block2_conv1", 3, scale="shared", cmap="gray")
    w_ = kv.kernel[..., 3]
    assert grey.axes[0].images[0].get_clim() == pytest.approx((w_.min(), w_.max()), rel=1e-5)


@pytest.mark.parametrize("lang", ["en", "es", "pt"])
def test_slices_say_which_input_channel_they_are(demo, lang):
    kv = cv.KernelViewer(demo, layer="block1_conv1", lang=lang)  # reads R, G, B
    assert all(f"({c})" in info for c, info in zip("RGB", kv.slices.tile_info))
    assert "R" in kv.slices.caption and "B" in kv.slices.caption
    kv.layer = "block2_conv1"
    cin = kv.kernel.shape[2]
    assert len(kv.slices.tile_info) == cin and kv.slices.tile_info[-1].endswith(str(cin - 1))
    assert f"0–{cin - 1}" in kv.slices.caption
    fig = cv.plotting.plot_filter_slices(demo, "block1_conv1", 0)
    assert [t.get_text() for t in fig.axes[0].texts] == ["R", "G", "B"]


def test_matrix_title_counts_the_rows_and_columns_drawn(demo):
    fig = cv.plotting.plot_kernel_matrix(demo, "block3_conv1", max_filters=24, max_channels=16)
    ax = fig.axes[0]
    assert "filters 0–23 of 64 (rows)" in ax.get_title()
    assert "input channels 0–15 of 32 (columns)" in ax.get_title()
    assert len(ax.get_yticks()) == 24
    full = cv.plotting.plot_kernel_matrix(demo, "block1_conv2")
    assert "16 filters (rows) × 16 input channels (columns)" in full.axes[0].get_title()


def test_colour_bar_captions_are_readable(demo):
    figs = [cv.plotting.plot_filter_slices(demo, "block1_conv1", 0),
            cv.plotting.plot_kernel_matrix(demo, "block2_conv1")]
    for fig in figs:
        bar = fig.axes[-1]
        label = bar.yaxis.label
        assert label.get_text() and label.get_fontsize() >= 9


def test_raw_pattern_colour_bar_spans_the_printed_range(demo):
    raw = cv.maximize(demo, "block1_conv1", 0, method="naive", init="uniform", space="model",
                      steps=3)
    fig = cv.plotting.plot_raw_pattern(raw)
    lo, hi = fig.axes[0].images[0].get_clim()
    assert (lo, hi) == pytest.approx((float(raw.raw.min()), float(raw.raw.max())), rel=1e-5)
    assert f"{raw.raw.min():.3g}" in fig.axes[-1].yaxis.label.get_text()
