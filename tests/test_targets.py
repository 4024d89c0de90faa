"""Issue 23, items 1–3: what a student *reads* about a Grad-CAM target.

1. One sigmoid unit with one class name names the positive class (a triangle on a star
   detector is "not star 99.x %", never "star 99.x %"), everywhere a class is named.
2. An image-shaped output (U-Net) is explained by regions, not "class 0 / class 1"; a blank
   map says so and names a layer to try.
3. The Explorer's Grad-CAM page opens at the method's layer and notes early layers.
"""

from __future__ import annotations

import keras
import numpy as np
import pytest
from _driver import Driver
from conftest import make_unet, random_images, suptitle

import convviz_widgets as cv
from convviz_widgets.compute.cam import default_layer

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


# ------------------------------------------------------------------------------------ models
def star_detector(h=40, w=56):
    """One sigmoid unit, nested backbone (transfer learning), non-square input; its bias makes
    p(star) about 0.2 % for any image, like the lesson's triangle."""
    keras.utils.set_random_seed(3)
    inp = keras.Input((h, w, 3))
    x = keras.layers.Conv2D(6, 3, activation="relu", name="b_conv1")(inp)
    x = keras.layers.Conv2D(8, 3, activation="relu", name="b_conv2")(x)
    backbone = keras.Model(inp, x, name="backbone")
    model = keras.Sequential([
        backbone,
        keras.layers.Conv2D(8, 3, activation="relu", name="conv2d"),
        keras.layers.GlobalAveragePooling2D(name="gap"),
        keras.layers.Dense(1, activation="sigmoid", name="dense_1",
                           bias_initializer=keras.initializers.Constant(-6.2)),
    ], name="star_detector")
    model.build((None, h, w, 3))
    return model


@pytest.fixture(scope="module")
def star():
    model = star_detector()
    return model, random_images(model, 3, seed=4)


@pytest.fixture(scope="module")
def unet():
    """The lesson's set-up: a grayscale 128 x 128 U-Net."""
    return make_unet(128, 128, 1)


def blob_image(size=128):
    img = np.full((size, size, 1), 0.05, np.float32)
    img[20:60, 30:90] = 0.9
    img[80:110, 70:100] = 0.6
    return img


# ------------------------------------------------------------------------ item 1: class names
def test_one_sigmoid_name_is_the_positive_class_in_compute(star):
    model, _ = star
    assert cv.class_labels(model, ["star"]) == ["not star", "star"]
    assert cv.class_labels(model, ["cat", "dog"]) == ["cat", "dog"]
    assert cv.class_labels(model, ["star"], negative="no {}") == ["no star", "star"]
    with pytest.raises(ValueError, match=r"one sigmoid unit.*Pass one name"):
        cv.class_labels(model, ["a", "b", "c"])


def test_top_predictions_name_the_negative_class(star):
    model, images = star
    top = cv.top_predictions(model, images[0], k=2, class_names=["star"])
    assert top.names == ("not star", "star") and top.probabilities[0] > 0.99


def test_gradcam_viewer_says_not_star_for_a_confident_no(star):
    model, images = star
    v = cv.GradCAMViewer(model, images, class_names=["star"])
    v.wait()
    p_star = float(model.predict(images[:1], verbose=0)[0, 0])
    assert p_star < 0.01
    texts = [b.description for b in Driver(v).find("convviz-topk")]
    # the top prediction is "not star" with 1 - p, the positive class carries p
    assert texts[0] == f"not star  {1 - p_star:.1%}"
    assert texts[1] == f"star  {p_star:.1%}"
    assert v.overlay.caption.startswith("not star · p = ")
    assert Driver(v).labels("convviz-target")[1:] == ["not star", "star"]
    assert v.target_name(1) == "star" and v.target_name(0) == "not star"


@pytest.mark.parametrize("lang,negative", [("es", "no star"), ("pt", "não star")])
def test_the_negative_class_is_translated(star, lang, negative):
    model, images = star
    v = cv.GradCAMViewer(model, images, class_names=["star"], lang=lang)
    v.wait()
    assert Driver(v).find("convviz-topk")[0].description.startswith(f"{negative}  ")


def test_two_names_are_negative_then_positive_and_three_are_refused(star):
    model, images = star
    v = cv.GradCAMViewer(model, images, class_names=["other", "star"])
    v.wait()
    assert Driver(v).find("convviz-topk")[0].description.startswith("other  ")
    with pytest.raises(ValueError, match=r"class_names=\['c'\]"):
        cv.GradCAMViewer(model, images, class_names=["a", "b", "c"])
    with pytest.raises(ValueError, match="one sigmoid unit"):
        cv.Explorer(model, images, class_names=["a", "b", "c"])


def test_explorer_names_the_positive_class_on_every_page(star):
    model, images = star
    ex = cv.Explorer(model, images, class_names=["star"])
    ex.tabs.selected_index = ex.tabs.titles.index("Grad-CAM")  # a hidden page computes nothing
    ex.gradcam.wait()
    assert ex.card.class_names == ["not star", "star"]
    assert ex.patterns.class_names == ["not star", "star"]
    # the status line under the layer menu: the rank of a channel for the explained class
    ex.layer = ex.gradcam.result.layer
    ex.gradcam.wait()
    assert "Grad-CAM, class “not star”, layer conv2d: channel 0" in \
        Driver(ex).html("convviz-gradcam-rank")
    # the Channel page's Grad-CAM rank names the predicted class the same way (shown, the
    # page ranks the channel first, then optimises its pattern: a short one here)
    assert (ex.filter_index, ex.image_index) == (0, 0)
    ex.card.steps = 2
    ex.tabs.selected_index = ex.tabs.titles.index("Channel")
    assert ex.card.wait(240)
    assert "Grad-CAM rank for the predicted class not star:" in \
        Driver(ex.card).html("convviz-card-rank-line")


def test_filter_maximizer_class_objective_names_the_class(star):
    model, _ = star
    fm = cv.FilterMaximizer(model, class_names=["star"], prewarm=False)
    fm.objective = "class"
    fm.filter_index = 1  # the pattern panel names what Run would draw
    assert fm.pattern.title.startswith(f"{fm.layer} · class 1 · star:")
    fm.filter_index = 0
    assert fm.pattern.title.startswith(f"{fm.layer} · class 0 · not star:")


def test_plot_gradcam_titles_the_negative_class(star):
    model, images = star
    fig = cv.plotting.plot_gradcam(model, images[0], class_names=["star"])
    p_star = float(model.predict(images[:1], verbose=0)[0, 0])
    assert suptitle(fig) == f"'not star' (p = {1 - p_star:.1%})"
    fig = cv.plotting.plot_gradcam(model, images[0], target=1, class_names=["star"])
    assert suptitle(fig).startswith("'star' (p = ")


# ------------------------------------------------------------------- item 2: image-shaped outputs
def test_unet_default_target_is_the_predicted_foreground(unet):
    img = blob_image()
    r = cv.gradcam(unet, img)
    assert isinstance(r.target, cv.Region) and r.target.kind == "foreground"
    pred = unet.predict(img[None], verbose=0)[0, ..., 0]
    assert r.target.pixels == int((pred > 0.5).sum()) > 0
    assert r.layer == default_layer(unet)
    assert r.flag is None and r.heatmap.max() > r.heatmap.min()  # not a flat square


def test_a_box_target_changes_the_map(unet):
    img = blob_image()
    fg = cv.gradcam(unet, img, layer="dconv64")
    box = cv.gradcam(unet, img, layer="dconv64", target=cv.Region(box=(0, 0, 32, 32)))
    assert box.target.kind == "box" and box.target.pixels == 32 * 32
    assert box.score != pytest.approx(fg.score)
    assert np.abs(box.heatmap - fg.heatmap).max() > 1e-3
    # HiResCAM keeps locality: before the 1x1 head, only the box's pixels can light up
    hi = cv.gradcam(unet, img, method="hirescam", target=cv.Region(box=(0, 0, 32, 32)))
    assert hi.heatmap[:32, :32].max() > 0 and hi.heatmap[40:, 40:].max() == 0


def test_an_empty_region_is_flagged_and_the_figure_warns(unet):
    img = blob_image()
    r = cv.gradcam(unet, img, target=cv.Region(mask=np.zeros((128, 128), bool)))
    assert r.flag == "empty_region" and r.degenerate and r.heatmap.max() == 0
    fig = cv.plotting.plot_gradcam(unet, img, result=r)
    assert "all zero" in fig.warning and "no pixels" in fig.warning
    texts = [t.get_text() for t in fig.texts]
    assert any("all zero" in t for t in texts)


def dead_branch_unet():
    """A U-Net whose 'dead' layer is all zero (ReLU after a large negative bias): its Grad-CAM
    map is blank, the other layers are not."""
    keras.utils.set_random_seed(2)
    inp = keras.Input((64, 64, 1))
    a = keras.layers.Conv2D(6, 3, padding="same", activation="relu", name="enc")(inp)
    dead = keras.layers.Conv2D(4, 3, padding="same", activation="relu", name="dead",
                               bias_initializer=keras.initializers.Constant(-50.0))(a)
    x = keras.layers.Concatenate(name="cat")([a, dead])
    x = keras.layers.Conv2D(6, 3, padding="same", activation="relu", name="dec")(x)
    out = keras.layers.Conv2D(1, 1, activation="sigmoid", name="head")(x)
    return keras.Model(inp, out, name="dead_unet")


def test_a_blank_map_names_a_layer_to_try_in_figures_and_views():
    model = dead_branch_unet()
    img = blob_image(64)
    r = cv.gradcam(model, img, layer="dead", target=cv.Region(kind="all"))
    assert r.degenerate and r.heatmap.max() == 0
    fig = cv.plotting.plot_gradcam(model, img, layer="dead", target=cv.Region(kind="all"))
    assert fig.warning.startswith("The map is all zero at dead:")
    assert "Try layer" in fig.warning
    suggested = fig.warning.rsplit("Try layer ", 1)[1].rstrip(".")
    good = cv.gradcam(model, img, layer=suggested, target=cv.Region(kind="all"))
    assert good.flag is None and good.heatmap.max() > good.heatmap.min()
    for lang, word in (("en", "Try layer"), ("es", "Pruebe la capa"),
                       ("pt", "Experimente a camada")):
        v = cv.GradCAMViewer(model, [img], layer="dead", target=cv.Region(kind="all"),
                             lang=lang)
        v.wait()
        assert v.overlay.flagged
        assert f"{word} {suggested}" in v.overlay.caption


def test_gradcam_viewer_on_a_unet_shows_regions_not_classes(unet):
    img = blob_image()
    v = cv.GradCAMViewer(unet, [img, img[::-1].copy()])
    v.wait()
    d = Driver(v)
    labels = d.labels("convviz-target")
    assert labels == ["foreground", "background", "whole output"]
    assert not any(lab.startswith("class") for lab in labels)
    assert d.control("convviz-target").description == "region"
    shown = d.control("convviz-region").value
    assert f"region: foreground ({v.result.target.pixels} px)" in shown
    assert "%" not in shown
    assert v.overlay.caption.startswith("region: foreground (")
    # a box chosen with the sliders
    d.set("rows", (0, 31))
    d.set("columns", (0, 31))
    d.click("explain box")
    v.wait()
    assert v.result.target.kind == "box" and v.result.target.box == (0, 0, 32, 32)
    chosen = d.control("convviz-target").value
    assert isinstance(chosen, cv.Region) and chosen.box == (0, 0, 32, 32)
    assert "box (0, 0)–(32, 32) (1024 px)" in d.control("convviz-region").value
    d.set("convviz-target", dict(d.control("convviz-target").options)["background"])
    v.wait()
    assert v.result.target.kind == "background"
    with pytest.raises(Exception, match="is an image"):
        v.target = 1


def test_explorer_on_a_unet_lists_no_classes_es(unet):
    img = blob_image()
    ex = cv.Explorer(unet, [img], lang="es")
    ex.tabs.selected_index = ex.tabs.titles.index("Grad-CAM")  # a hidden page computes nothing
    ex.gradcam.wait()
    d = Driver(ex.gradcam)
    assert d.labels("convviz-target") == ["primer plano", "fondo", "toda la salida"]
    assert "región: primer plano (" in d.control("convviz-region").value
    assert "clase 0" not in d.control("convviz-region").value


# ------------------------------------------------------------- item 3: the Grad-CAM page's layer
def test_fresh_explorer_grad_cam_is_at_the_last_conv():
    ex = cv.Explorer()
    ex.tabs.selected_index = ex.tabs.titles.index("Grad-CAM")  # a hidden page computes nothing
    ex.gradcam.wait()
    best = default_layer(ex.model)
    assert ex.layer == "block1_conv1"  # the other pages start at the first conv
    assert ex.kernels.layer == ex.activations.layer == "block1_conv1"
    assert ex.gradcam.layer == best and ex.gradcam.result.layer == best
    assert Driver(ex).beside(ex.gradcam, "convviz-page-note").value == ""


@pytest.mark.parametrize("lang,text", [
    ("en", "block1_conv1 is an early layer: Grad-CAM is most meaningful at the last conv "
           "layer, {best}."),
    ("es", "block1_conv1 es una capa temprana: Grad-CAM tiene más sentido en la última capa "
           "convolucional, {best}."),
    ("pt", "block1_conv1 é uma camada inicial: o Grad-CAM faz mais sentido na última camada "
           "convolucional, {best}.")])
def test_an_early_grad_cam_layer_gets_a_note(lang, text):
    ex = cv.Explorer(lang=lang)
    best = default_layer(ex.model)
    ex.layer = "block2_conv1"
    ex.layer = "block1_conv1"  # the user's own choice: Grad-CAM follows it, with the note
    ex.gradcam.wait()
    assert ex.gradcam.layer == "block1_conv1"
    note = Driver(ex).beside(ex.gradcam, "convviz-page-note")
    assert text.format(best=best) in note.value
    ex.layer = best
    assert note.value == ""
