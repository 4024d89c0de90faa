"""Views and the Explorer take ``input_size=`` and show maps at the size the model ran at."""

import numpy as np
import pytest

from convviz_widgets.widgets import (ActivationViewer, ChannelCard, Explorer, FilterMaximizer,
                                     GradCAMViewer)

from _driver import Driver
from _any_size import edge_sum, edges, image  # noqa: F401 - fixtures


def test_activation_viewer_own_size_and_forced_size(edges, image):
    own = ActivationViewer(edges, [image], layer="c2")
    assert own.input_size is None
    assert list(own.enlarged.shape[1:3]) == [35, 45]  # the model ran the 70×90 image as is
    forced = ActivationViewer(edges, [image], layer="c2", input_size=(48, 80))
    assert forced.input_size == (48, 80)
    assert list(forced.enlarged.shape[1:3]) == [24, 40]
    forced.layer = "c1"
    assert list(forced.enlarged.shape[1:3]) == [48, 80]


def test_gradcam_viewer_forced_size(edges, image):
    v = GradCAMViewer(edges, [image], target=edge_sum, layer="c2", input_size=(48, 80))
    assert v.result.cam.shape == (24, 40)  # ran at 48×80 ...
    assert v.overlay.heatmap_shape == [70, 90]  # ... shown over the picture at its size
    own = GradCAMViewer(edges, [image], target=edge_sum, layer="c2")
    assert own.result.cam.shape == (35, 45)


def test_card_and_maximizer_forced_size(edges, image):
    card = ChannelCard(edges, np.stack([image] * 3), image=image, layer="c1", steps=2,
                       input_size=(48, 80))
    assert card.wait(240)
    assert Driver(card).status() == ""
    assert card.map_view.heatmap_shape == [48, 80]
    assert card.examples.box[..., 1].max() < 48 and card.examples.box[..., 3].max() < 80
    assert card.pattern_view.shape[1:3] == [48, 80]
    fm = FilterMaximizer(edges, layer="c1", input_size=(48, 80), steps=2)
    fm.run()
    assert fm.wait(240)
    assert fm.result is not None and fm.result.images.shape[1:3] == (48, 80)


def test_explorer_hands_input_size_to_every_page(edges, image):
    ex = Explorer(edges, [image], input_size=(48, 80), lang="pt")
    pages = [ex.kernels, ex.activations, ex.patterns, ex.gradcam, ex.card, ex.dream]
    assert all(p.input_size == (48, 80) for p in pages)
    ex.layer = "c2"
    ex.tabs.selected_index = 1  # the Activations page computes once it is shown
    assert list(ex.activations.enlarged.shape[1:3]) == [24, 40]


def test_a_bad_input_size_is_refused_with_what_to_pass(edges, image):
    with pytest.raises(ValueError, match="input_size must be"):
        ActivationViewer(edges, [image], input_size=(48,))


def test_deepdream_viewer_dreams_at_the_forced_size(edges, image):
    from convviz_widgets.widgets import DeepDreamViewer

    dv = DeepDreamViewer(edges, [image], layers=["c2"], octaves=1, steps=2,
                         input_size=(48, 80))
    assert dv.before.shape == [1, 48, 80, 3]
    dv.run()
    assert dv.wait(240)
    assert dv.result is not None and dv.result.images.shape == (1, 48, 80, 3)


def test_conv_step_viewer_at_own_and_forced_size(edges, image):
    import convviz_widgets as cv
    from convviz_widgets.widgets import ConvStepViewer

    own = ConvStepViewer(edges, [image], filter_index=2)
    assert own.unit.image.shape[:2] == (70, 90)
    forced = ConvStepViewer(edges, [image], filter_index=2, input_size=(48, 80))
    u = forced.unit
    assert u.image.shape[:2] == (48, 80)
    out = cv.activations(edges, image, "c1", input_size=(48, 80))["c1"][0]
    assert u.output == pytest.approx(out[u.position[0], u.position[1], 2], abs=1e-5)


def test_card_on_a_layer_without_a_receptive_field_says_why(edges, image):
    """HED's fused map comes after a raw tf.image.resize: the card says why it has no patches
    (in the card's language), and the layers before it are mined."""
    card = ChannelCard(edges, np.stack([image] * 3), image=image, layer="fuse", steps=2,
                       lang="es")
    assert card.wait(240)
    assert card.examples is None
    assert "campo receptivo" in Driver(card).html("convviz-card-examples-note")
    card.layer = "c2"  # a layer before the resize: mined, patches shown
    assert card.wait(240)
    assert card.examples is not None and card.examples.layer == "c2"
    assert card.source.get("fuse") is None and Driver(card).status() == ""
