"""GradCAMViewer and the attribution family (issue 16) and the lessons' model comparison (18):
every registered method in the menu, signed maps centred on 0, the trust panel (deletion and
insertion against random, equal to ``cv.faithfulness``), the gallery ranked by faithfulness and
both models' best and worst side by side — on every model style."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from _driver import Driver
from conftest import input_hw, make_sequential, random_images

import convviz_widgets as cv
from convviz_widgets.compute import Cancelled
from convviz_widgets.widgets._gradcam_viewer import GradCAMViewer
from convviz_widgets.i18n import method_label
from convviz_widgets.widgets._pixels import quantize

_structure_warning = pytest.mark.filterwarnings("ignore:The structure of `inputs`")


def ctl(view, role):
    """The control with CSS role ``role`` (what the browser tests find it by)."""
    return Driver(view).control(role)


def click(raster, tile):
    Driver(raster).click_tile(raster, tile)


def _binary(style):
    from keras import layers
    from test_gradcam import wrapped

    return wrapped(style, lambda y: layers.Dense(1, activation="sigmoid", name="bin")(y),
                   "binary")[0]


@pytest.fixture(scope="module")
def seq():
    return make_sequential()


@pytest.fixture(scope="module")
def seq2():
    """Same architecture and classes as ``seq``, other weights: a second model to compare."""
    m = make_sequential()
    rng = np.random.default_rng(5)
    m.set_weights([w + rng.normal(0, 0.3, w.shape).astype(w.dtype) for w in m.get_weights()])
    return m


# ------------------------------------------------------------------------------ method menu
@pytest.mark.parametrize("lang", ["en", "es", "pt"])
def test_the_menu_lists_every_registered_method_with_translated_labels(seq, lang):
    v = GradCAMViewer(seq, random_images(seq, 1), lang=lang)
    methods = cv.cam_methods()
    assert [val for _, val in ctl(v, "convviz-gradcam-method").options] == list(methods)
    assert len(methods) >= 13
    assert [lab for lab, _ in ctl(v, "convviz-gradcam-method").options] == [
        method_label(n, lab, lang) for n, lab in methods.items()]
    if lang == "es":
        assert ("Gradientes integrados", "integrated_gradients") in \
            ctl(v, "convviz-gradcam-method").options


def _expected_codes(result) -> np.ndarray:
    if result.signed:  # [-1, 1] on codes 0..254, 0 on code 127
        return (np.round(np.asarray(result.heatmap, np.float64) * 127) + 127).astype(np.uint8)
    return quantize(np.asarray(result.heatmap, np.float32), 0.0, 1.0)


@_structure_warning
@pytest.mark.filterwarnings("ignore::convviz_widgets.compute.cam.UnguidedReLUWarning")
@pytest.mark.parametrize("style", ["sequential", "functional", "nested", "subclassed",
                                   "grayscale", "sigmoid"])
def test_every_method_on_every_model_style(models, style):
    """Each method's map reaches the overlay as compute made it: at the image's resolution,
    signed ones on the diverging colormap with 0 in its middle, unsigned ones as before."""
    model = _binary("sequential") if style == "sigmoid" else models[style]
    h, w, _ = input_hw(model)
    image = random_images(model, 1, seed=11)[0]
    v = GradCAMViewer(model, [image], colormap="viridis")
    seen_signed = False
    for name, meth in ((n, cv.compute.cam.get_method(n)) for n in cv.cam_methods()):
        v.method = name
        v.wait(120)
        status = ctl(v, "convviz-status").value
        assert status.find("convviz-error") < 0, (name, status)
        r = v.result
        assert r.method == name and v.overlay.heatmap_shape == [h, w]
        # layer= only for methods that read one (a pixel method refuses it)
        layer = v.layer if cv.compute.cam.reads_layer(meth) else None
        direct = cv.gradcam(model, image, target=r.target, layer=layer, method=name)
        np.testing.assert_allclose(r.heatmap, direct.heatmap, atol=1e-5)
        np.testing.assert_array_equal(v.overlay.heatmap_pixels, _expected_codes(r))
        if r.signed:
            seen_signed = True
            assert v.overlay.signed and v.overlay.shown_colormap == "RdBu_r"
            assert "signed" in v.overlay.caption and v.overlay.heat_label == "attribution"
            # The hover reads the map in its own units: heatmap × scale, to half a code step.
            real = r.heatmap * r.details["scale"]
            assert np.abs(v.overlay.heatmap_values - real).max() <= v.overlay.value_step / 2 \
                + 1e-9
            if (h, w) == tuple(r.cam.shape):  # no resize: the raw map itself
                assert np.abs(v.overlay.heatmap_values - r.cam).max() <= \
                    v.overlay.value_step / 2 + 1e-6
            neg = np.unravel_index(np.argmin(r.heatmap), r.heatmap.shape)
            if r.heatmap[neg] < -0.01:
                assert v.overlay.heatmap_values[neg] < 0
        else:
            assert not v.overlay.signed and v.overlay.shown_colormap == "viridis"
            assert "signed" not in v.overlay.caption
            np.testing.assert_allclose(v.overlay.heatmap_values,
                                       v.overlay.heatmap_pixels / 255.0)
        assert meth.signed == r.signed
    assert seen_signed


# ------------------------------------------------------------------------------ trust panel
@_structure_warning
@pytest.mark.parametrize("style", ["sequential", "functional", "nested", "subclassed",
                                   "grayscale", "sigmoid"])
def test_trust_panel_shows_what_faithfulness_computes(models, style):
    model = _binary("nested") if style == "sigmoid" else models[style]
    images = random_images(model, 2, seed=12)
    v = GradCAMViewer(model, images)
    assert v.trust is None and "Check faithfulness" in ctl(v, "convviz-trust-text").value
    v.check_faithfulness(wait=True)
    r = v.result
    assert v.trust["result"] is r
    for kind in ("deletion", "insertion"):
        want = cv.faithfulness(model, images[0], r.heatmap, r.target, kind=kind, steps=32)
        got = v.trust[kind]
        np.testing.assert_allclose(got.curve, want.curve, atol=1e-6)
        np.testing.assert_allclose(got.random_curve, want.random_curve, atol=1e-6)
        assert got.area == pytest.approx(want.area, abs=1e-6)
        line = f"{kind} area {want.area:.3f} vs random {want.random_area:.3f}"
        assert line in ctl(v, "convviz-trust-text").value
    plot = ctl(v, "convviz-trust-plot").value
    assert plot.count("<svg") == 2 and plot.count("<polyline") == 4
    assert "matplotlib" not in plot and not v.busy
    # A new map: the old numbers go, and with trust_auto the new map is scored by itself.
    v.image_index = 1
    assert v.trust is None and ctl(v, "convviz-trust-plot").value == ""
    v.trust_auto = True
    v.wait(60)
    assert v.trust is not None and v.trust["result"] is v.result
    assert ctl(v, "convviz-trust-auto").value is True
    v.method = "gradcam++"
    v.wait(60)
    assert v.trust["result"].method == "gradcam++"


@_structure_warning
@pytest.mark.parametrize("style", ["sequential", "subclassed", "sigmoid"])
def test_trust_panel_scores_the_comparison_map_too(seq, seq2, style):
    """With compare=, both maps are scored, each on its own model: two rows of curves under the
    models' names, both pairs of areas equal to ``cv.faithfulness``."""
    if style == "sigmoid":
        model, other = _binary("functional"), _binary("nested")
    elif style == "subclassed":
        from conftest import make_subclassed

        model, other = make_subclassed(), make_subclassed()
        other.set_weights([w * 1.7 for w in other.get_weights()])
    else:
        model, other = seq, seq2
    images = random_images(model, 2, seed=21)
    v = GradCAMViewer(model, images, compare=other, names=("aug", "full"))
    v.check_faithfulness(wait=True, steps=8)
    assert v.trust["result"] is v.result and v.trust["compare"]["result"] is v.compare_result
    for part, m, r in ((v.trust, model, v.result),
                       (v.trust["compare"], other, v.compare_result)):
        for kind in ("deletion", "insertion"):
            want = cv.faithfulness(m, images[0], r.heatmap, r.target, kind=kind, steps=8)
            np.testing.assert_allclose(part[kind].curve, want.curve, atol=1e-6)
            assert part[kind].area == pytest.approx(want.area, abs=1e-6)
            prefix = "compare-" if part is not v.trust else ""
            line = f"{kind} area {want.area:.3f} vs random {want.random_area:.3f}"
            assert f"convviz-trust-{prefix}{kind}'>{line}" in ctl(v, "convviz-trust-text").value
    plot = ctl(v, "convviz-trust-plot").value
    assert plot.count("<svg") == 4 and plot.count("<polyline") == 8
    assert plot.index(">aug<") < plot.index("convviz-trust-compare-row") < plot.index(">full<")
    # A new image: both rows go; scored again, both come back.
    v.image_index = 1
    assert v.trust is None and ctl(v, "convviz-trust-plot").value == ""
    v.check_faithfulness(wait=True, steps=8)
    assert v.trust["compare"]["result"] is v.compare_result


def test_trust_panel_on_a_signed_map_and_a_callable_target(seq):
    images = random_images(seq, 1, seed=13)

    def fox(y):
        return y[:, 2]

    v = GradCAMViewer(seq, images, method="integrated_gradients", target=fox)
    v.wait(60)
    assert v.result.signed
    v.check_faithfulness(wait=True)
    want = cv.faithfulness(seq, images[0], v.result.heatmap, fox, kind="deletion", steps=32)
    assert v.trust["deletion"].area == pytest.approx(want.area, abs=1e-6)
    assert "score" in ctl(v, "convviz-trust-plot").value  # a callable is followed by its raw score


def test_trust_runs_in_the_worker_and_cancel_keeps_the_view(seq, monkeypatch):
    import convviz_widgets.compute as compute

    v = GradCAMViewer(seq, random_images(seq, 1, seed=14))
    started = threading.Event()
    real = compute.faithfulness

    def slow(*args, cancel=None, on_step=None, **kw):
        on_step(1, 4)
        started.set()
        cancel.wait(30)  # until the user presses Cancel
        raise Cancelled("cancelled (test)")

    monkeypatch.setattr(compute, "faithfulness", slow)
    ctl(v, "convviz-trust-run").click()
    assert started.wait(30)
    assert v.busy and ctl(v, "convviz-cancel").layout.visibility == "visible"
    # step 1 of 4 of the first of two curves
    assert ctl(v, "convviz-progress").value == pytest.approx(0.125)
    ctl(v, "convviz-cancel").click()
    assert v.wait(30)
    assert not v.busy and v.trust is None
    assert ctl(v, "convviz-progress").layout.visibility == "hidden"
    assert v.result is not None and v.overlay.heatmap_shape != [0, 0]  # the map stays
    monkeypatch.setattr(compute, "faithfulness", real)
    v.check_faithfulness(wait=True)
    assert v.trust is not None


def test_scores_of_an_old_map_are_not_shown_for_a_new_one(seq, monkeypatch):
    import convviz_widgets.compute as compute

    v = GradCAMViewer(seq, random_images(seq, 2, seed=15))
    go = threading.Event()
    real = compute.faithfulness

    def held(*args, **kw):
        go.wait(30)
        return real(*args, **kw)

    monkeypatch.setattr(compute, "faithfulness", held)
    v.check_faithfulness()
    v.image_index = 1  # the map changes while the old one is scored
    go.set()
    v.wait(60)
    assert v.trust is None and ctl(v, "convviz-trust-plot").value == ""


# ------------------------------------------------------------------ gallery: faithfulness
def test_gallery_ranked_by_deletion_area(seq):
    images = random_images(seq, 5, seed=16)
    v = GradCAMViewer(seq, images, labels=[0, 1, 2, 3, 0], method="layercam")
    assert [val for _, val in ctl(v, "convviz-gallery-rank").options] == ["confidence", "deletion"]
    ctl(v, "convviz-gallery-rank").value = "deletion"
    ctl(v, "convviz-gallery-find").click()
    v.wait(120)
    g = v.gallery
    assert g["by"] == "deletion"
    want = []
    for i, im in enumerate(images):
        r = cv.gradcam(seq, im, target=int(g["ranking"].explain[i]), layer=v.layer,
                       method="layercam")
        want.append(cv.faithfulness(seq, im, r, r.target, steps=16).area)
    np.testing.assert_allclose(g["areas"], want, atol=1e-6)
    order = np.argsort(want, kind="stable")
    assert g["best"] == [int(i) for i in order[:4]]
    assert g["worst"] == [int(i) for i in order[::-1][:4]]
    assert "most faithful maps" in v.gallery_best.title and "LayerCAM" in v.gallery_best.title
    assert f"deletion {want[g['best'][0]]:.2f}" in v.gallery_captions["best"].value
    click(v.gallery_worst, 0)
    assert v.image_index == g["worst"][0]
    # Back to confidence: the lesson's gallery again.
    v.find_best_and_worst(n=2, wait=True, by="confidence")
    assert v.gallery["areas"] is None and v.gallery_best.title.startswith("most confident")
    with pytest.raises(ValueError, match="by must be one of"):
        v.find_best_and_worst(by="insertion")


@pytest.mark.parametrize("by", ["confidence", "deletion"])
def test_both_gallery_rankings_show_the_viewers_method(seq, by):
    """The confidence gallery draws the maps of the viewer's method too (not Grad-CAM), says
    which in its titles, and each tile is that method's map over its image."""
    from convviz_widgets.widgets._gradcam_gallery import gallery_tile

    images = random_images(seq, 4, seed=19)
    v = GradCAMViewer(seq, images, labels=[0, 1, 2, 3], method="gradient_x_input")
    v.find_best_and_worst(n=2, wait=True, by=by)
    g = v.gallery
    assert g["method"] == "gradient_x_input"
    label = method_label("gradient_x_input", cv.cam_methods()["gradient_x_input"], "en")
    assert label in v.gallery_best.title and label in v.gallery_worst.title
    look = ("jet", "RdBu_r", v.overlay.opacity)  # the viewer's default colormaps
    for which, view in (("best", v.gallery_best), ("worst", v.gallery_worst)):
        for k, i in enumerate(g[which]):
            # a pixel method reads no layer (layer= would raise)
            r = cv.gradcam(seq, images[i], target=int(g["ranking"].explain[i]),
                           method="gradient_x_input")
            assert r.signed
            tile = gallery_tile(r, look)
            th, tw = tile.shape[:2]
            np.testing.assert_array_equal(view.pixels[k, :th, :tw], tile)


# ------------------------------------------------------ gallery: both models side by side
@_structure_warning
@pytest.mark.parametrize("style", ["sequential", "subclassed", "sigmoid"])
def test_best_and_worst_of_both_models_side_by_side(seq, seq2, style):
    from convviz_widgets.compute.cam import rank_predictions

    if style == "sigmoid":
        model, other = _binary("functional"), _binary("nested")
        images = random_images(model, 6, seed=17)
        labels = [0, 1, 0, 1, 1, 0]
    elif style == "subclassed":
        from conftest import make_subclassed

        model, other = make_subclassed(), make_subclassed()
        other.set_weights([w * 1.7 for w in other.get_weights()])
        images = random_images(model, 6, seed=17)
        labels = [0, 1, 2, 0, 1, 2]
    else:
        model, other = seq, seq2
        images = random_images(model, 6, seed=17)
        labels = [0, 1, 2, 3, 0, 1]
    v = GradCAMViewer(model, images, labels=labels, compare=other, names=("aug", "full"))
    v.find_best_and_worst(n=3, wait=True)
    g = v.gallery
    for key, m, part in (("main", model, g), ("compare", other, g["compare"])):
        rank = rank_predictions(m, images, np.asarray(labels))
        assert part["best"] == [int(i) for i in rank.best[:3]], key
        assert part["worst"] == [int(i) for i in rank.worst[:3]], key
    assert v.compare_gallery_best.shape[0] == len(g["compare"]["best"])
    assert v.compare_gallery_worst.shape[0] == len(g["compare"]["worst"])
    # The two columns sit in one row, each under its model's name.
    row = v.gallery_best
    columns = next(c for c in v.children[-1].children if any(
        row in getattr(col, "children", ()) for col in getattr(c, "children", ())))
    assert len(columns.children) == 2
    info = ctl(v, "convviz-gallery-info").value
    assert "aug: " in info and "full: " in info
    click(v.compare_gallery_worst, 0)
    assert v.image_index == g["compare"]["worst"][0]


def test_a_comparison_model_with_other_classes_is_not_ranked(seq):
    from conftest import make_functional

    other = make_functional()  # 3 classes against seq's 4
    v = GradCAMViewer(seq, random_images(seq, 3, seed=18), labels=[0, 1, 2], compare=other)
    v.find_best_and_worst(n=2, wait=True)
    assert "compare" not in v.gallery and v.gallery["worst"]
    assert "another set of classes" in ctl(v, "convviz-gallery-info").value


# ------------------------------------------------------------------------------- explorer
def test_the_explorer_shows_the_trust_verdict(seq):
    ex = cv.Explorer(seq, random_images(seq, 2, seed=19))
    line = Driver(ex).control("convviz-gradcam-trust-line")
    assert line.value == ""
    ex.tabs.selected_index = 3  # the Grad-CAM page: a hidden page computes no map
    ex.gradcam.check_faithfulness(wait=True)
    t = ex.gradcam.trust
    assert f"deletion area {t['deletion'].area:.3f}" in line.value
    assert "Grad-CAM" in line.value
    ex.image_index = 1  # a new image, a new map: the verdict of the old one goes
    assert ex.gradcam.trust is None and line.value == ""
