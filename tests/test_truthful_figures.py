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
