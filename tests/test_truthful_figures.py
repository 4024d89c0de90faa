"""Issue 23 (items 6–8): the words, numbers and labels a student reads must mean what is shown.

Each test asserts the text a student sees on one of the hard models (nested transfer-learning
models, grayscale non-square inputs), not only that something was drawn.
"""

import numpy as np
import pytest

import convviz_widgets as cv
from convviz_widgets.display import fmt_value

from _driver import Driver
from conftest import make_nested, make_sequential, make_unet, random_images


@pytest.fixture(scope="module")
def nested():
    return make_nested()


@pytest.fixture(scope="module")
def unet():
    return make_unet()


# -- 6a: a caption gives the data's real range and names the display window apart -------------
@pytest.mark.parametrize("lang, values_word, shown_word",
                         [("en", "values", "shown"), ("es", "valores", "se muestra"),
                          ("pt", "valores", "exibido")])
def test_activation_caption_gives_real_range_and_window_apart(nested, lang, values_word,
                                                              shown_word):
    images = random_images(nested, 1, seed=3)
    av = cv.ActivationViewer(nested, images, layer="vgg16/block2_conv1", scale="standardize",
                             lang=lang)
    ch = int(np.argmax(av.frame().ch_hi))  # a channel that fires (ReLU: min 0, max > 0)
    av.filter_index = ch
    a = av.channel
    assert a.min() >= 0 and a.max() > 0  # a ReLU layer: never negative
    cap = av.enlarged.caption
    lo, hi = av.enlarged.vmin, av.enlarged.vmax  # the window the colours span
    assert lo < 0  # standardize shows a window below 0 although no value is negative
    assert f"{values_word} {fmt_value(a.min())} … {fmt_value(a.max())}" in cap
    assert f"{shown_word} {fmt_value(lo)} … {fmt_value(hi)}" in cap
    # the old caption printed the window as the values
    assert f"[{lo:.4g}, {hi:.4g}]" not in cap
    if lang != "en":
        assert "values" not in cap and "shown" not in cap


def test_activation_caption_names_no_window_when_it_is_the_data(unet):
    av = cv.ActivationViewer(unet, random_images(unet, 1), scale="per_slice")
    a = av.channel
    cap = av.enlarged.caption
    assert f"values {fmt_value(a.min())} … {fmt_value(a.max())}" in cap
    assert "shown" not in cap


def test_plot_channel_title_gives_real_range_and_window(nested):
    images = random_images(nested, 1, seed=3)
    fig = cv.plotting.plot_channel(nested, images[0], "vgg16/block2_conv1", 0,
                                   scale="standardize")
    a = cv.activations(nested, images[0], ["vgg16/block2_conv1"])["vgg16/block2_conv1"][0, ..., 0]
    title = fig.axes[1].get_title()
    assert f"values {fmt_value(a.min())} … {fmt_value(a.max())}" in title
    assert "shown " in title


# -- 6b: one Grad-CAM rank, for one named class, only where it means something ----------------
def test_explorer_rank_line_only_on_the_gradcam_page_naming_its_class():
    model = make_sequential()
    names = ["circle", "square", "star", "triangle"]
    ex = cv.Explorer(model, random_images(model, 2), class_names=names)
    ex.layer = "conv_b"
    ex.filter_index = 2
    ex.tabs.selected_index = ex.tabs.titles.index("Grad-CAM")  # a hidden page computes nothing
    res = ex.gradcam.result
    assert res is not None and res.layer == "conv_b"
    gradcam_page = ex.tabs.titles.index("Grad-CAM")
    status = Driver(ex).control("convviz-gradcam-status")
    for page in range(len(ex.tabs.titles)):
        ex.tabs.selected_index = page
        shown = status.layout.display != "none"
        # Kernels, Activations, Patterns, Channel (own rank), DeepDream, Model, Publish: no
        # Grad-CAM line
        assert shown == (page == gradcam_page), page
    ex.tabs.selected_index = gradcam_page
    weights = np.asarray(res.weights).reshape(-1)
    rank = int((weights > weights[2]).sum()) + 1
    text = Driver(ex).control("convviz-gradcam-rank").value
    assert f"rank {rank} of {weights.size}" in text
    # the class the rank is for is named: the one the Grad-CAM page explains
    assert f"“{names[res.target]}”" in text


# -- 6c: "better than random" only beyond the spread of several random maps; improbable class --
def test_faithfulness_compares_with_the_spread_of_five_random_maps():
    model = make_sequential()
    image = random_images(model, 1, seed=5)[0]
    r = cv.gradcam(model, image)
    f = cv.faithfulness(model, image, r, r.target, steps=8)
    assert f.random_areas.shape == (5,)
    # each random map is its own seed: their areas differ, and the baseline is their mean
    assert np.ptp(f.random_areas) > 0
    assert f.random_area == pytest.approx(float(f.random_areas.mean()))
    single = cv.faithfulness(model, image, r, r.target, steps=8, n_random=1)
    assert single.random_areas[0] == pytest.approx(f.random_areas[0])  # seed 0 first, as before
    assert f.better_than_random == (f.gap > 2 * f.random_spread
                                    and bool(np.all(f.area < f.random_areas)))


def test_trust_panel_says_within_spread_and_warns_for_an_improbable_class():
    from convviz_widgets.compute import FaithfulnessResult
    from convviz_widgets.widgets._gradcam_trust import area_text, improbable_text

    fr = np.linspace(0, 1, 9, dtype=np.float32)
    # The teacher's case: 0.029 against 0.032 while random maps alone spread ±0.01.
    curve = np.full(9, 0.003, np.float32)
    res = FaithfulnessResult("deletion", fr, curve, 0.029, fr, 0.032, 1,
                             np.array([0.02, 0.03, 0.032, 0.034, 0.044]))
    text = area_text(res, "en")
    assert "better than random" not in text.replace("not better than random", "")
    assert "within the spread of random maps" in text and "5 random maps" in text
    assert "dentro de la dispersión" in area_text(res, "es")
    warn = improbable_text(res, "triangle", "en")
    assert "“triangle” p = 0.3 %" in warn and "predicted class" in warn
    assert "«triangle» p = 0.3 %" in improbable_text(res, "triangle", "es")
    sure = FaithfulnessResult("deletion", fr, np.full(9, 0.9, np.float32), 0.01, fr, 0.5, 1,
                              np.array([0.45, 0.5, 0.55, 0.48, 0.52]))
    assert "(better than random)" in area_text(sure) and improbable_text(sure, "x") == ""


def test_gradcam_trust_panel_warns_on_an_improbable_class_in_the_view():
    model = make_sequential()
    dense = model.get_layer("predictions")
    kernel, bias = dense.get_weights()
    bias[3] = -8.0  # class "d" becomes improbable on every image (p well under 5 %)
    dense.set_weights([kernel, bias])
    images = random_images(model, 1, seed=9)
    v = cv.GradCAMViewer(model, images, class_names=["a", "b", "c", "d"])
    probs = np.asarray(model(images[:1]))[0]
    assert probs[3] < 0.05 < probs[:3].max()
    v.target = 3
    v.check_faithfulness(wait=True, steps=4)
    p = float(v.trust["deletion"].curve[0])
    assert p == pytest.approx(float(probs[3]), rel=1e-4)
    shown = Driver(v).control("convviz-trust-text").value
    assert "convviz-trust-improbable" in shown and f"“d” p = {100 * p:.2g} %" in shown
    assert "random maps" in shown
    v.target = int(np.argmax(probs))  # the predicted class: no warning
    v.check_faithfulness(wait=True, steps=4)
    assert "convviz-trust-improbable" not in Driver(v).control("convviz-trust-text").value


# -- 6d: hover lines say what their numbers are (the words the browser writes) ----------------
@pytest.mark.parametrize("lang, row, col, value, act", [("en", "row", "col", "value", "activation"),
                                                         ("es", "fila", "columna", "valor",
                                                          "activación")])
def test_hover_words_name_row_col_and_what_the_value_is(unet, lang, row, col, value, act):
    from convviz_widgets.widgets import OverlayView, RasterView

    av = cv.ActivationViewer(unet, random_images(unet, 1), lang=lang)
    assert av.enlarged.labels[1:] == [row, col]
    assert (av.enlarged.value_label, av.enlarged.value_unit) == (value, act)
    kv = cv.KernelViewer(unet, lang=lang)
    assert kv.slices.labels[1:] == [row, col] and kv.slices.value_unit in ("weight", "peso")
    gc = cv.GradCAMViewer(make_sequential(), random_images(make_sequential(), 1), lang=lang)
    assert gc.overlay.where_labels == [row, col]
    # every raster of every view is localised (no "y"/"x" axis words left)
    for view in (av, kv, gc):
        stack = [view]
        while stack:
            wd = stack.pop()
            if isinstance(wd, RasterView):
                assert "y" not in wd.labels and "x" not in wd.labels, wd.labels
            if isinstance(wd, OverlayView):
                assert wd.where_labels == [row, col]
            stack.extend(getattr(wd, "children", ()) or ())


def test_hover_line_code_writes_rgb_bytes_and_value_with_unit():
    """The bundled front end builds the line from those words: R G B bytes for colour pictures,
    "value … (unit)" for one-channel data, row before column (checked in the built file)."""
    from pathlib import Path

    js = (Path(cv.__file__).parent / "static" / "raster.js").read_text()
    assert "R ${" in js and " G ${" in js and " B ${" in js
    assert "value_unit" in js and "value_label" in js
    ov = (Path(cv.__file__).parent / "static" / "overlay.js").read_text()
    assert "where_labels" in ov


# -- 8: an export is a labelled figure: what, where, scale; no controls; the view's language ---
def _png(view):
    import io

    from PIL import Image

    png = view.export_png()
    im = Image.open(io.BytesIO(png))
    return im, np.asarray(im.convert("RGB")), view.export_labelled()


def _texts(fig) -> str:
    """Every text of a figure: title, subtitle, colour-bar label and end labels."""
    out = [t.get_text() for t in fig.texts]
    for ax in fig.axes:
        out += [ax.get_xlabel(), ax.get_ylabel()]
        out += [t.get_text() for t in ax.get_xticklabels()]
    return " | ".join(out)


def _contains(big, small) -> bool:
    h, w = small.shape[:2]
    ys, xs = np.nonzero(np.all(big[:big.shape[0] - h + 1, :big.shape[1] - w + 1] == small[0, 0],
                               axis=-1))
    return any(np.array_equal(big[y:y + h, x:x + w], small) for y, x in zip(ys, xs))


@pytest.mark.parametrize("lang, channel_word, act_word", [("en", "channel", "activation"),
                                                          ("pt", "canal", "ativação")])
def test_activation_export_names_layer_channel_range_and_scale(nested, lang, channel_word,
                                                               act_word):
    av = cv.ActivationViewer(nested, random_images(nested, 1, seed=3),
                             layer="vgg16/block2_conv1", scale="standardize", lang=lang)
    av.filter_index = 4
    im, rgb, fig = _png(av)
    title = im.text["Title"]
    assert title == f"transfer · vgg16/block2_conv1 · {channel_word} 4 de 7" if lang == "pt" \
        else title == "transfer · vgg16/block2_conv1 · channel 4 of 7"
    a = av.channel
    assert fmt_value(a.max()) in im.text["Description"]  # the real range, not the window
    text = _texts(fig)
    assert title in text and act_word in text
    assert fmt_value(av.enlarged.vmin) in text and fmt_value(av.enlarged.vmax) in text  # bar ends
    body = av.export_figure()
    assert rgb.shape[0] > body.shape[0] and rgb.shape[1] >= body.shape[1]
    assert _contains(rgb, body)  # the view's pixels 1:1 under the labels
    assert im.size == (round(fig.get_figwidth() * fig.dpi), round(fig.get_figheight() * fig.dpi))


def test_kernel_export_names_layer_filter_and_weight_scale(unet):
    kv = cv.KernelViewer(unet, lang="es")
    kv.filter_index = 2
    im, rgb, fig = _png(kv)
    assert im.text["Title"] == f"{unet.name} · {kv.layer} · filtro 2"
    text = _texts(fig)
    assert "peso" in text and "valores" in im.text["Description"]
    assert "filter" not in text and "weight" not in text  # no English left in a Spanish export


def test_gradcam_export_names_class_probability_method_and_has_no_picker_or_gallery():
    model = make_sequential()
    images = random_images(model, 6, seed=4)
    names = ["circle", "square", "star", "triangle"]
    gc = cv.GradCAMViewer(model, images, labels=[0, 1, 2, 3, 0, 1], class_names=names)
    gc.find_best_and_worst()
    gc.wait(120)
    assert gc.gallery_best.shape[0] > 0  # the gallery is shown on screen
    r = gc.result
    im, rgb, fig = _png(gc)
    title = im.text["Title"]
    assert names[r.target] in title and f"p = {r.probability:.1%}" in title
    assert "Grad-CAM" in title and r.layer in title
    assert "heat" in _texts(fig)
    from convviz_widgets.widgets._export import overlay_rgb, raster_rgb

    assert _contains(rgb, overlay_rgb(gc.overlay))
    for picker in (gc.thumbnails, gc.gallery_best, gc.gallery_worst):
        assert not _contains(rgb, raster_rgb(picker))
    # only the overlay (and labels) are exported: not 50 thumbnails wide or tall
    assert rgb.shape[0] < overlay_rgb(gc.overlay).shape[0] + 120
