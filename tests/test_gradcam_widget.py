"""GradCAMViewer and OverlayView without a browser: traits, binary buffers, worker thread."""

from __future__ import annotations

import datetime
import io
import threading
import time

import ipywidgets
import numpy as np
import pytest
import traitlets
from ipywidgets.widgets.widget import _remove_buffers

from _driver import Driver
from conftest import input_hw, make_functional, make_sequential, random_images

import convviz_widgets.compute.cam as cam
from convviz_widgets.compute.cam import CAMCancelled, CAMMethod, _engine, register, unregister
from convviz_widgets.widgets._pixels import quantize, to_rgb_u8
from convviz_widgets.widgets._gradcam_viewer import GradCAMViewer, OverlayView


@pytest.fixture(scope="module")
def seq():
    return make_sequential()


@pytest.fixture(scope="module")
def func():
    return make_functional()


@pytest.fixture()
def viewer(seq):
    images = random_images(seq, 5, seed=3)
    v = GradCAMViewer(seq, images, labels=[0, 1, 2, 3, 0],
                      class_names=["cat", "dog", "fox", "owl"])
    yield v
    v.cancel()
    v.wait(10)


def topk(view) -> list:
    """The top-prediction buttons the view shows, best first."""
    return Driver(view).find("convviz-topk")


def control(view, role):
    """The control with CSS role ``role`` (what the browser tests find it by)."""
    return Driver(view).control(role)


def click(raster, tile):
    """What the browser sends when a tile of a RasterView is clicked (dispatched the way
    ipywidgets delivers a custom comm message to ``on_msg`` callbacks)."""
    Driver(raster).click_tile(raster, tile)


# ----------------------------------------------------------------------------- overlay view
def test_overlay_view_sends_binary_uint8_buffers():
    view = OverlayView()
    image = np.random.default_rng(0).random((7, 11, 3)).astype(np.float32)
    heat = np.random.default_rng(1).random((7, 11)).astype(np.float32)
    sent = view.set_overlay(image, heat)
    assert view.image_shape == [7, 11] and view.heatmap_shape == [7, 11]
    np.testing.assert_array_equal(view.image_pixels, to_rgb_u8(image))
    np.testing.assert_array_equal(view.heatmap_pixels, quantize(heat, 0.0, 1.0))
    assert sent == 7 * 11 * 3 + 7 * 11
    state, paths, buffers = _remove_buffers(view.get_state())
    assert ["image"] in paths and ["heatmap"] in paths and ["luts"] in paths
    assert all(isinstance(b, (bytes, memoryview)) for b in buffers)
    # No pixel data travels as a (base64) string (`_esm` is the view's source code).
    assert not any(isinstance(v, str) and len(v) > 200 for k, v in state.items()
                   if not k.startswith("_"))


def test_overlay_view_grey_image_and_colormaps():
    view = OverlayView()
    view.set_overlay(np.full((4, 5, 1), 0.5, np.float32), np.zeros((2, 3), np.float32))
    assert view.image_pixels.shape == (4, 5, 3) and view.heatmap_shape == [2, 3]
    n = len(view.colormaps)
    view.colormap = "cividis"  # any matplotlib map joins the menu with its LUT
    assert view.colormaps[-1] == "cividis" and len(view.luts) == 768 * (n + 1)
    with pytest.raises(traitlets.TraitError, match="colormap"):
        view.colormap = "no-such-map"
    with pytest.raises(traitlets.TraitError, match="opacity"):
        view.opacity = 1.5


def test_overlay_view_signed_map_reads_back_in_its_own_units():
    """A signed map travels as codes 0..254 with 0 on a code of its own, plus its scale: the
    hover's reading of each code is the map value to half a code step, 0 reads 0 exactly and a
    negative pixel reads negative. Back to an unsigned map, the plain 0..1 heat again."""
    from convviz_widgets.widgets._overlay import SIGNED_ZERO, is_diverging

    rng = np.random.default_rng(0)
    values = rng.uniform(-0.03, 0.02, (5, 6))
    values[0, 0] = 0.0
    scale = float(np.abs(values).max())
    view = OverlayView()
    view.set_overlay(np.zeros((5, 6, 3)), values / scale, signed=True, scale=scale)
    assert view.signed and view.value_zero == SIGNED_ZERO
    assert view.heatmap_pixels.max() <= 2 * SIGNED_ZERO
    read = view.heatmap_values
    assert np.abs(read - values).max() <= view.value_step / 2 + 1e-12
    assert read[0, 0] == 0.0 and (read[values < -view.value_step] < 0).all()
    assert view.shown_colormap == "RdBu_r" and is_diverging(view.shown_colormap)
    view.set_overlay(np.zeros((5, 6, 3)), np.abs(values) / scale)
    assert not view.signed and view.shown_colormap == "jet" and not is_diverging("jet")
    np.testing.assert_allclose(view.heatmap_values, view.heatmap_pixels / 255.0)
    # Exported as drawn: a signed map through the signed colormap's table.
    from convviz_widgets.widgets._export import overlay_rgb
    from convviz_widgets.widgets._pixels import lut_bytes

    view.set_overlay(np.zeros((5, 6, 3)), values / scale, signed=True, scale=scale)
    view.opacity, view.width = 1.0, 6
    table = np.frombuffer(lut_bytes("RdBu_r"), np.uint8).reshape(256, 3)
    np.testing.assert_array_equal(overlay_rgb(view), table[view.heatmap_pixels])
    # A scale that is no number falls back to 1 rather than sending NaN to the browser.
    view.set_overlay(np.zeros((5, 6, 3)), values / scale, signed=True, scale=float("nan"))
    assert view.value_step == pytest.approx(1 / SIGNED_ZERO)


# ----------------------------------------------------------------------------- the viewer
def test_viewer_shows_the_heatmap_of_the_top_class(viewer, seq):
    r = viewer.result
    h, w, _ = input_hw(seq)
    assert r.layer == "conv_b" == viewer.layer and viewer.target is None
    assert r.target == int(viewer.top.indices[0])
    assert viewer.overlay.image_shape == [h, w]
    np.testing.assert_array_equal(viewer.overlay.heatmap_pixels, quantize(r.heatmap, 0.0, 1.0))
    np.testing.assert_array_equal(viewer.overlay.image_pixels, to_rgb_u8(viewer.images[0]))
    names = [b.description.split()[0] for b in topk(viewer)]
    assert names[0] == ["cat", "dog", "fox", "owl"][r.target] and len(names) == 4
    assert topk(viewer)[0].button_style == "info"
    assert "p = " in viewer.overlay.caption


def test_clicking_a_prediction_reruns_only_the_head(viewer, monkeypatch):
    calls = []
    real = _engine._capture_fn
    monkeypatch.setattr(_engine, "_capture_fn", lambda *a: calls.append(a[1]) or real(*a))
    before = viewer.overlay.heatmap
    second = topk(viewer)[1]
    second.click()
    assert viewer.target == int(viewer.top.indices[1]) == viewer.result.target
    assert second.button_style == "info" and topk(viewer)[0].button_style == ""
    assert viewer.overlay.heatmap != before
    assert calls == []  # the captured feature map was reused
    assert viewer.last_update["what"] == "target"


def test_python_setters(viewer, seq):
    viewer.layer = seq.get_layer("conv_a")          # a layer object
    assert viewer.layer == "conv_a" == viewer.result.layer == control(viewer, "convviz-layer").value
    viewer.method = "Grad-CAM++"                     # an alias
    assert viewer.method == "gradcam++" == viewer.result.method
    viewer.target = 2
    assert viewer.result.target == 2 and control(viewer, "convviz-target").value == 2
    viewer.image_index = 3
    # a new image: top-1 again
    assert viewer.target is None and control(viewer, "convviz-image").value == 3
    np.testing.assert_array_equal(viewer.overlay.image_pixels, to_rgb_u8(viewer.images[3]))
    with pytest.raises(traitlets.TraitError, match="0 to 3"):
        viewer.target = 7
    with pytest.raises(traitlets.TraitError, match="spatial"):
        viewer.layer = "gap"
    with pytest.raises(traitlets.TraitError, match="registered"):
        viewer.method = "nope"
    with pytest.raises(traitlets.TraitError, match="0 to 4"):
        viewer.image_index = 5


def test_controls_drive_the_traits(viewer):
    control(viewer, "convviz-layer").value = "conv_a"
    assert viewer.layer == "conv_a"
    control(viewer, "convviz-gradcam-method").value = "gradcam++"
    assert viewer.result.method == "gradcam++"
    control(viewer, "convviz-target").value = 1
    assert viewer.target == 1
    control(viewer, "convviz-target").value = "top-1"
    assert viewer.target is None
    click(viewer.thumbnails, 2)
    assert viewer.image_index == 2 and viewer.thumbnails.selected == 2


def test_the_target_is_a_typed_choice_not_a_menu_code(viewer):
    """The class menu offers what it explains — "top-1", class indices — and "top-1" is the
    compute target None; no -1/-2 codes."""
    d = Driver(viewer)
    assert d.options("convviz-target") == ["top-1", 0, 1, 2, 3]
    viewer.target = 2
    assert viewer.picker.choice == 2 == d.control("convviz-target").value
    viewer.target = "top-1"
    assert viewer.target is None and viewer.result.target == int(viewer.top.indices[0])
    assert viewer.picker.choice == "top-1" == d.control("convviz-target").value
    with pytest.raises(traitlets.TraitError, match="out of range"):
        viewer.target = -1  # not a code for "top-1" any more


def test_components_and_view_follow_each_other(viewer):
    """The image chooser and the trust panel are components: their controls move the view's
    traits and the view's traits move them."""
    d = Driver(viewer)
    viewer.trust_auto = True
    assert viewer.trust_panel.auto and d.control("convviz-trust-auto").value
    d.set("convviz-trust-auto", False)
    assert viewer.trust_auto is False and not viewer.trust_panel.auto
    d.set("convviz-image", 3)
    assert viewer.image_index == 3 == viewer.chooser.index == viewer.thumbnails.selected
    viewer.image_index = 1
    assert d.control("convviz-image").value == 1 == viewer.chooser.index
    np.testing.assert_array_equal(viewer.overlay.image_pixels, to_rgb_u8(viewer.images[1]))


def test_method_menu_lists_registered_methods(seq):
    @register
    class Uniform(CAMMethod):
        name, label = "uniform-test", "Uniform (test)"

        def channel_weights(self, ctx):
            return np.ones((len(ctx.targets), ctx.activation.shape[-1]), np.float32)

    try:
        v = GradCAMViewer(seq, random_images(seq, 1))
        values = [value for _, value in control(v, "convviz-gradcam-method").options]
        assert values[:3] == ["gradcam", "gradcam++", "scorecam"] and "uniform-test" in values
        v.method = "uniform-test"
        assert v.result.method == "uniform-test"
    finally:
        unregister("uniform-test")


def test_errors_show_in_the_widget_and_keep_the_view(viewer, monkeypatch):
    before = (viewer.overlay.heatmap, viewer.layer)
    real = cam.gradcam

    def failing(model, image, **kw):
        if kw.get("layer") == "conv_a":
            raise RuntimeError("boom in compute")
        return real(model, image, **kw)

    monkeypatch.setattr(cam, "gradcam", failing)
    control(viewer, "convviz-layer").value = "conv_a"  # a user action: no exception escapes
    assert "boom in compute" in Driver(viewer).status()
    assert (viewer.overlay.heatmap, viewer.layer) == before
    assert control(viewer, "convviz-layer").value == before[1]   # the control went back too
    with pytest.raises(RuntimeError):            # from Python the error is raised as well
        viewer.layer = "conv_a"
    assert viewer.layer == before[1]


# ------------------------------------------------------------------------- worker thread
def test_scorecam_runs_in_a_worker_thread(viewer):
    viewer.method = "scorecam"
    viewer.wait(60)
    assert not viewer.busy
    assert viewer.result.method == "scorecam" and viewer.result.flag is None
    assert control(viewer, "convviz-progress").layout.visibility == "hidden"


def test_cancel_keeps_the_previous_view(viewer, monkeypatch):
    started = threading.Event()
    real = cam.gradcam

    def slow(model, image, **kw):
        if kw.get("method") == "scorecam":
            started.set()
            for _ in range(500):
                if kw["cancel"].is_set():
                    raise CAMCancelled("stop")
                time.sleep(0.01)
        return real(model, image, **kw)

    monkeypatch.setattr(cam, "gradcam", slow)
    before = viewer.overlay.heatmap
    control(viewer, "convviz-gradcam-method").value = "scorecam"
    assert started.wait(10) and viewer.busy
    assert control(viewer, "convviz-cancel").layout.visibility == "visible"
    control(viewer, "convviz-cancel").click()
    viewer.wait(10)
    assert not viewer.busy
    assert viewer.method == "gradcam" == control(viewer, "convviz-gradcam-method").value
    assert viewer.overlay.heatmap == before and "Cancelled" in Driver(viewer).status()


def test_worker_errors_show_in_the_widget(viewer, monkeypatch):
    real = cam.gradcam

    def failing(model, image, **kw):
        if kw.get("method") == "scorecam":
            raise ValueError("score-cam exploded")
        return real(model, image, **kw)

    monkeypatch.setattr(cam, "gradcam", failing)
    before = viewer.overlay.heatmap
    viewer.method = "scorecam"
    viewer.wait(10)
    assert "score-cam exploded" in Driver(viewer).status()
    assert viewer.method == "gradcam" and viewer.overlay.heatmap == before


# ---------------------------------------------------------------- comparison and gallery
def test_two_models_side_by_side(seq):
    other = make_sequential()
    rng = np.random.default_rng(0)
    other.set_weights([w + rng.normal(0, 0.3, w.shape).astype(w.dtype)
                       for w in seq.get_weights()])
    images = random_images(seq, 3, seed=1)
    v = GradCAMViewer(seq, images, compare=other, names=("augmented", "plain"))
    assert v.compare_overlay is not None and v.compare_overlay.title == "plain"
    assert v.compare_result.target == v.result.target and v.compare_result.layer == "conv_b"
    assert v.compare_overlay.group == v.overlay.group != ""  # look changes move together
    v.target = 1
    assert v.compare_result.target == 1
    assert v.compare_overlay.heatmap != v.overlay.heatmap


def test_comparison_with_another_architecture(seq, func):
    v = GradCAMViewer(seq, random_images(seq, 2), compare=func)
    # 'conv_b' does not exist in the functional model: its own default layer is used, and
    # its label space differs (3 vs 4 classes): its own top class is explained.
    assert v.compare_result.layer == "last_conv"
    v.layer = "conv_a"
    assert v.compare_result.layer == "last_conv"


def test_best_and_worst_gallery(viewer):
    viewer.find_best_and_worst(n=2, wait=True)
    g = viewer.gallery
    rank = g["ranking"]
    assert g["best"] == [int(i) for i in rank.best[:2]]
    assert g["worst"] == [int(i) for i in rank.worst[:2]]
    assert viewer.gallery_worst.shape[0] == len(g["worst"])
    assert viewer.gallery_worst.shape[-1] == 3
    assert "accuracy" in control(viewer, "convviz-gallery-info").value
    click(viewer.gallery_worst, 1)
    assert viewer.image_index == g["worst"][1]


def test_upload_adds_and_shows_an_image(viewer):
    from PIL import Image

    pic = (np.random.default_rng(0).random((30, 70, 3)) * 255).astype(np.uint8)
    buf = io.BytesIO()
    Image.fromarray(pic).save(buf, format="PNG")
    content = buf.getvalue()
    if int(ipywidgets.__version__.split(".")[0]) >= 8:
        payload = ({"name": "mine.png", "type": "image/png", "size": len(content),
                    "content": memoryview(content),
                    "last_modified": datetime.datetime.now(datetime.timezone.utc)},)
    else:  # ipywidgets 7: {name: {"metadata": ..., "content": bytes}}, and a read-only trait
        payload = {"mine.png": {"metadata": {"name": "mine.png", "type": "image/png",
                                             "size": len(content)}, "content": content}}
    control(viewer, "convviz-upload").set_trait("value", payload)
    assert len(viewer.images) == 6 and viewer.image_index == 5
    assert viewer.result.heatmap.shape == (30, 70) and viewer.overlay.image_shape == [30, 70]
    assert control(viewer, "convviz-image").options[-1][0] == "upload: mine.png"


def test_degenerate_images_are_flagged_in_the_view(seq):
    h, w, c = input_hw(seq)
    nan = random_images(seq, 1)[0]
    nan[0, 0, 0] = np.nan
    v = GradCAMViewer(seq, [np.full((h, w, c), 0.3, np.float32), nan])
    assert v.result.flag == "constant_input" and v.overlay.flagged
    v.image_index = 1
    assert v.result.flag == "nonfinite_input" and v.overlay.flagged
    assert not v.overlay.heatmap_pixels.any()


@pytest.mark.parametrize("style", ["nested", "subclassed", "grayscale"])
def test_viewer_on_other_model_styles(models, style):
    model = models[style]
    v = GradCAMViewer(model, random_images(model, 2))
    h, w, _ = input_hw(model)
    assert v.overlay.heatmap_shape == [h, w] and v.overlay.image_shape == [h, w]
    assert len(v.overlay.image) == h * w * 3  # grey images are sent as RGB
    if style == "grayscale":
        # a U-Net's output is an image: a region is explained, no "class 0 / class 1" list
        assert not topk(v) and v.region_mode
        assert "region: foreground (" in Driver(v).text()
    else:
        assert topk(v)


def test_default_viewer_uses_the_demo_model_and_scenes():
    from convviz_widgets._demo import MODEL_FILE, SCENES_FILE

    # The demo files ship in the package: missing ones are a broken tree, not a reason to skip.
    assert MODEL_FILE.exists() and SCENES_FILE.exists(), (
        f"missing {MODEL_FILE} or {SCENES_FILE}: run python -m convviz_widgets.datasets.train")
    from convviz_widgets._demo import demo_images

    scenes = demo_images()
    v = GradCAMViewer()
    assert len(v.images) == len(scenes.images) and v.class_names == list(scenes.class_names)
    assert v.layer == "block3_conv2" and v.result.flag is None
    assert topk(v)[0].description.split()[0] in scenes.class_names
    v.find_best_and_worst(n=3, wait=True)
    assert len(v.gallery["best"]) == 3 and v.gallery["ranking"].accuracy > 0.8


# ------------------------------------------ issue 11: sigmoid, outputs, callable, large images
_structure_warning = pytest.mark.filterwarnings("ignore:The structure of `inputs`")


def _binary(style):
    from keras import layers
    from test_gradcam import wrapped

    return wrapped(style, lambda y: layers.Dense(1, activation="sigmoid", name="bin")(y),
                   "binary")[0]


@_structure_warning
def test_one_sigmoid_unit_is_cat_and_dog(style):
    model = _binary(style)
    images = random_images(model, 4, seed=31)
    p = model(images).numpy()[:, 0]
    v = GradCAMViewer(model, images, class_names=["cat", "dog"],
                      labels=(p > 0.5).astype(int))
    for i in range(4):
        v.image_index = i
        predicted = int(p[i] > 0.5)
        assert v.result.target == predicted  # the predicted class, not always the unit
        name, shown = topk(v)[0].description.split()
        assert name == ["cat", "dog"][predicted]
        assert shown == f"{max(p[i], 1 - p[i]):.1%}"
        assert [int(k) for k in v.top.indices] == [predicted, 1 - predicted]
        assert [b.description.split()[0] for b in topk(v)] == \
            [["cat", "dog"][predicted], ["cat", "dog"][1 - predicted]]
    assert Driver(v).labels("convviz-target") == ["top-1 prediction", "cat", "dog"]
    control(v, "convviz-target").value = 0  # the user picks "cat"
    assert v.target == 0 and v.result.target == 0
    assert v.result.probability == pytest.approx(1 - p[3], rel=1e-5)
    assert v.overlay.caption.startswith("cat · p = ")
    v.find_best_and_worst(n=2, wait=True)
    assert v.gallery["ranking"].accuracy == 1.0
    assert "0 mistakes" in control(v, "convviz-gallery-info").value
    # Two binary models side by side explain the same class, each with its own probability.
    other = _binary(style)
    p2 = other(images).numpy()[:, 0]
    both = GradCAMViewer(model, images, class_names=["cat", "dog"], compare=other, target=0)
    assert both.result.target == both.compare_result.target == 0
    assert both.compare_result.probability == pytest.approx(1 - p2[0], rel=1e-5)
    assert both.compare_overlay.caption.startswith("cat · p = ")


@_structure_warning
def test_multi_output_viewer_with_output_and_callable_targets(style):
    from test_gradcam import two_heads, wrapped

    model = wrapped(style, two_heads, "two_heads")[0]
    images = random_images(model, 2, seed=32)
    with pytest.raises(ValueError, match=r"2 outputs \['first', 'second'\]"):
        GradCAMViewer(model, images)
    v = GradCAMViewer(model, images, output="second", class_names=["a", "b", "c"])
    probs = model(images[:1])[1].numpy()[0]
    assert v.result.target == int(probs.argmax())
    assert v.top.probabilities[0] == pytest.approx(float(probs.max()), rel=1e-5)
    # A callable target over all outputs: shown as "custom" in the class menu; no top-k list.
    score = lambda ys: ys[1][:, 2]  # noqa: E731
    c = GradCAMViewer(model, images, target=score)
    assert c.result.target is score and c.top is None
    menu = control(c, "convviz-target")
    assert menu.value is score and "custom: <lambda>" in menu.label
    assert c.result.score == pytest.approx(float(probs[2]), rel=1e-5)
    assert [o[1] for o in menu.options] == ["top-1", score]  # no one list of classes
    menu.value = "top-1"  # the top class needs an output: the error shows, the view stays
    assert "output=" in Driver(c).status() and c.result.target is score
    assert menu.value is score
    # A callable on the chosen output, set from Python after creation; then back to a class.
    custom = lambda y: y[:, 1]  # noqa: E731
    v.target = custom
    assert v.result.target is custom and control(v, "convviz-target").value is custom
    assert v.result.score == pytest.approx(float(probs[1]), rel=1e-5)
    control(v, "convviz-target").value = 2
    assert v.result.target == 2
    control(v, "convviz-target").value = custom  # the custom score is still in the menu
    assert v.result.target is custom


def test_a_huge_image_is_capped_for_the_browser(seq):
    from convviz_widgets.widgets._images import UPLOAD_MAX_SIDE

    big = np.random.default_rng(5).integers(0, 256, (3000, 4000, 3), dtype=np.uint8)
    v = GradCAMViewer(seq, [big])
    assert v.result.heatmap.shape == (768, UPLOAD_MAX_SIDE)  # explained as an upload would be
    assert v.overlay.image_shape == [768, UPLOAD_MAX_SIDE]
    assert v.overlay.heatmap_shape == [768, UPLOAD_MAX_SIDE]
    assert v.last_update["bytes"] == 768 * 1024 * 4  # RGB + heat, ~3 MB instead of 48 MB
    v.target = 2
    assert v.overlay.image_shape == [768, UPLOAD_MAX_SIDE]
    assert v.images[0].shape == (3000, 4000, 3)  # the caller's image is untouched


def test_gallery_captions_sit_under_their_tiles_and_count_mistakes(seq):
    images = random_images(seq, 4, seed=33)
    predicted = seq(images).numpy().argmax(1)
    labels = predicted.copy()
    labels[2] = (labels[2] + 1) % 4  # exactly one mistake
    for lang, word in (("en", "1 mistake<"), ("es", "1 error<"), ("pt", "1 erro<")):
        v = GradCAMViewer(seq, images, labels=labels, lang=lang)
        v.find_best_and_worst(n=3, wait=True)
        assert word in control(v, "convviz-gallery-info").value
        for which, view in (("best", v.gallery_best), ("worst", v.gallery_worst)):
            cells = v.gallery_captions[which].value.count("convviz-gallery-caption")
            assert cells == view.shape[0] == len(v.gallery[which])
            assert f"width:{view.shape[2]}px" in v.gallery_captions[which].value
            assert view.caption == ""
        assert "2:" in v.gallery_captions["worst"].value.split("convviz-gallery-caption")[1]


@_structure_warning
def test_multilabel_viewer_and_gallery(style):
    from keras import layers
    from test_gradcam import wrapped

    model = wrapped(style, lambda y: layers.Dense(3, activation="sigmoid", name="tags")(y),
                    "multilabel")[0]
    images = random_images(model, 4, seed=34)
    p = model(images).numpy()
    multi_hot = (p > 0.5).astype(int)
    multi_hot[1] = 1 - multi_hot[1]  # image 1: every unit wrong
    v = GradCAMViewer(model, images, labels=multi_hot, class_names=["sky", "sea", "sand"])
    # Each unit its own probability (not a softmax across units), best first.
    shown = [b.description.split()[1] for b in topk(v)]
    assert shown == [f"{x:.1%}" for x in np.sort(p[0])[::-1]]
    v.find_best_and_worst(n=4, wait=True)
    ranking = v.gallery["ranking"]
    assert ranking.worst[0] == 1 and list(ranking.correct) == [True, False, True, True]
    caption = v.gallery_captions["worst"].value
    names = "+".join(n for n, on in zip(["sky", "sea", "sand"], multi_hot[1]) if on) or "—"
    assert f"image 1: {names} →" in caption
    assert "1 mistake<" in control(v, "convviz-gallery-info").value
