"""Issue 23 (items 6–8): the words, numbers and labels a student reads must mean what is shown.

Each test asserts the text a student sees on one of the hard models (nested transfer-learning
models, grayscale non-square inputs), not only that something was drawn.
"""

import numpy as np
import pytest

import convviz_widgets as cv
from convviz_widgets.display import fmt_value

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
    res = ex.gradcam.result
    assert res is not None and res.layer == "conv_b"
    for page in range(len(ex.tabs.children)):
        ex.tabs.selected_index = page
        shown = ex._gradcam_status.layout.display != "none"
        # Kernels, Activations, Patterns, Channel (own rank), DeepDream, Model: no Grad-CAM line
        assert shown == (page == ex._gradcam_page), page
    ex.tabs.selected_index = ex._gradcam_page
    weights = np.asarray(res.weights).reshape(-1)
    rank = int((weights > weights[2]).sum()) + 1
    text = ex._rank.value
    assert f"rank {rank} of {weights.size}" in text
    # the class the rank is for is named: the one the Grad-CAM page explains
    assert f"“{names[res.target]}”" in text
