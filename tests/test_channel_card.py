"""ChannelCard and ChannelBrowser on every model style; the Explorer's Channel page; the demo's
cached data set to mine."""

from __future__ import annotations

import numpy as np
import pytest
import traitlets

import keras
import tensorflow as tf

import convviz_widgets as cv
from convviz_widgets import display
from convviz_widgets import _demo_examples
from convviz_widgets.widgets import ChannelBrowser, ChannelCard

from _driver import Driver
from conftest import H, W, input_hw, random_images

#: Patterns are optimised for a few steps only: the card's use of maximize is under test here,
#: not the optimiser (tests/test_maximize.py).
STEPS = 4


def _data(model, n=14, seed=3):
    """Images with some structure (random blobs) and labels in 0..2."""
    imgs = random_images(model, n, seed=seed)
    labels = np.arange(n) % 3
    return imgs, labels


def part(card, role: str) -> str:
    """The text of one part of the card, found by its role class ``convviz-card-<role>``."""
    return Driver(card).control(f"convviz-card-{role}").value


def _click(view, tile):
    """What the browser sends when a tile is clicked."""
    Driver(view).click_tile(view, tile)


def _card(model, **kw):
    imgs, labels = _data(model)
    card = ChannelCard(model, imgs, labels=labels, class_names=["a", "b", "c"], image=imgs[0],
                       steps=STEPS, **kw)
    assert card.wait(240)
    return card, imgs


def test_card_every_style(models, style):
    model = models[style]
    card, imgs = _card(model)
    h, w, c = input_hw(model)
    ex = card.examples
    assert ex is not None and ex.layer == card.layer and ex.n_images == len(imgs)
    row = ex.row(card.filter_index)
    # The top patches shown are the summary's, strongest first, at the image's channel count.
    assert card.examples_view.shape == [9, ex.patches.shape[2], ex.patches.shape[3], c]
    assert np.array_equal(card.examples_view.pixels, ex.patches[row])
    # The map sits over the image as the model saw it (non-square sizes kept).
    assert card.map_view.image_shape == [h, w]
    assert card.map_view.layout.display is None
    # The pattern was optimised (and kept for this channel).
    assert "mean activation" in card.pattern_view.caption
    assert card.pattern_view.shape[1:3] == [h, w]
    # ... and shown well exposed, as the maximizer's gallery shows it (issue 23, item 4).
    shown = card.pattern_view.pixels.astype(np.float32) / 255.0
    assert display.saturated_share(shown).max() <= 0.05
    # Rank or a reason why there is none (the U-Net has no class scores to rank by).
    assert "Grad-CAM rank" in part(card, "rank-line")
    assert "fires on" in part(card, "fires") or "never fires" in part(card, "fires")
    if {i.path: i for i in cv.conv_layers(model, kind="spatial")}[card.layer].has_kernel:
        kh, kw, cin, _ = cv.kernels(model, card.layer).shape
        assert card.kernel_view.shape[0] == min(cin, 64)
    assert Driver(card).status() == ""


def test_card_rank_matches_gradcam(models):
    model = models["functional"]
    card, imgs = _card(model)
    res = cv.gradcam(model, imgs[0], layer=card.layer)
    weights = np.asarray(res.weights).reshape(-1)
    rank = int((weights > weights[card.filter_index]).sum()) + 1
    assert f": {rank} of {weights.size}" in part(card, "rank-line")


@pytest.mark.parametrize("style", ["sequential", "subclassed", "grayscale", "nested"])
def test_patch_click_makes_that_image_current(models, style):
    model = models[style]
    card, imgs = _card(model)
    ex = card.examples
    row = ex.row(card.filter_index)
    before = card.map_view.image_pixels
    _click(card.examples_view, 2)
    assert card.picked == int(ex.index[row, 2])
    assert np.array_equal(card.image, imgs[card.picked])
    assert card.picked_name.startswith(f"#{card.picked}")
    assert not np.array_equal(card.map_view.image_pixels, before) or card.picked == 0
    assert Driver(card).status() and "current image" in Driver(card).status()


def test_selection_follows_layer_and_channel(models):
    model = models["nested"]
    card, _ = _card(model)
    card.layer = "vgg16/block2_conv1"
    card.filter_index = 5
    assert card.wait(120)
    assert card.examples.layer == "vgg16/block2_conv1"
    assert "vgg16/block2_conv1 · channel 5" in part(card, "head")
    assert Driver(card).control("convviz-channel").value == 5 and Driver(card).control("convviz-layer").value == "vgg16/block2_conv1"
    # A pooling layer: no kernel of its own, the rest is shown.
    card.layer = "vgg16/block1_pool"
    assert card.kernel_view.layout.display == "none"
    assert "has no kernel" in part(card, "kernel-note")
    assert card.examples is not None


def test_never_firing_channel_is_said_so():
    keras.utils.set_random_seed(1)
    model = keras.Sequential([keras.Input((H, W, 3)),
                              keras.layers.Conv2D(3, 3, activation="relu", name="c1"),
                              keras.layers.GlobalAveragePooling2D(),
                              keras.layers.Dense(2, activation="softmax")])
    kernel, bias = model.get_layer("c1").get_weights()
    kernel[..., 1] = 0.0
    bias[1] = -1.0  # channel 1 is -1 before its ReLU on every input: it never fires
    model.get_layer("c1").set_weights([kernel, bias])
    card, _ = _card(model, layer="c1", filter_index=1)
    assert "never fires on this data" in part(card, "fires")
    card.filter_index = 0
    assert "fires on 100%" in part(card, "fires")


def test_bad_input_is_refused_and_the_card_stays_usable(models):
    model = models["sequential"]
    card, imgs = _card(model)
    shown = (card.layer, card.filter_index, part(card, "head"))
    with pytest.raises(traitlets.TraitError, match="out of range"):
        card.filter_index = 999
    with pytest.raises(traitlets.TraitError, match="choose one of|This view shows"):
        card.layer = "no_such_layer"
    with pytest.raises(traitlets.TraitError, match="cv.load_image"):
        card.image = np.zeros(7)
    assert (card.layer, card.filter_index, part(card, "head")) == shown
    # A failing preprocess shows its error; traits go back to what is shown.
    card.preprocess = lambda x: tf.reshape(x, (-1,))
    with pytest.raises(Exception):
        card.image = imgs[1]
    assert "view is kept" in Driver(card).status() or "kept" in Driver(card).status()
    assert np.array_equal(card.image, imgs[0])
    card.preprocess = None
    card.filter_index = 2  # still works
    assert "channel 2" in part(card, "head")
    # A click on an empty slot or past the end is shown, never raised into the comm.
    _click(card.examples_view, 50)
    assert "pick 0 to" in Driver(card).status()
    with pytest.raises(ValueError, match="data must be images"):
        ChannelCard(model, np.zeros(5))


def test_no_data_says_how_to_get_examples(models):
    model = models["functional"]
    card = ChannelCard(model, image=random_images(model, 1)[0], steps=STEPS)
    assert card.wait(30)
    assert card.examples is None and "pass data=" in part(card, "examples-note")
    assert card.examples_view.layout.display == "none"
    assert card.map_view.layout.display is None  # the rest of the card is there


def test_folder_data_gives_labels_and_clicks_load_the_file(models, tmp_path):
    from PIL import Image

    model = models["grayscale"]
    rng = np.random.default_rng(0)
    for cls in ("cats", "dogs"):
        (tmp_path / cls).mkdir()
        for i in range(5):
            Image.fromarray(rng.integers(0, 255, (30, 20), np.uint8)).save(
                tmp_path / cls / f"{i}.png")
    card = ChannelCard(model, str(tmp_path), steps=STEPS)
    assert card.wait(120)
    assert card.examples.class_names == ["cats", "dogs"]
    assert "by class" in card.examples_view.caption
    card.pick(0)
    assert card.picked_name.endswith("(cats)") or card.picked_name.endswith("(dogs)")
    assert card.image.shape[:2] == (30, 20)  # the file itself, at its own size


def test_dataset_source_click_explains_itself(models):
    model = models["functional"]
    imgs, labels = _data(model)
    ds = tf.data.Dataset.from_tensor_slices((imgs, labels)).batch(4)
    card = ChannelCard(model, ds, image=imgs[0], steps=STEPS)
    assert card.wait(120)
    assert card.examples.n_images == len(imgs)
    _click(card.examples_view, 0)
    assert "cannot be indexed" in Driver(card).status()
    assert card.picked == -1 and np.array_equal(card.image, imgs[0])


def test_inactive_card_computes_nothing_until_shown(models):
    """A hidden card (``active=False``, as the Explorer's Channel page until shown) mines no
    data, draws no map and optimises no pattern; shown, it does all of it once."""
    model = models["sequential"]
    imgs, labels = _data(model)
    card = ChannelCard(model, imgs, labels=labels, image=imgs[0], active=False, steps=STEPS)
    assert card.wait(120)
    assert card.examples is None and card.last_update["what"] is None
    assert part(card, "rank-line") == "" and "mean activation" not in card.pattern_view.caption
    card.active = True
    assert card.wait(120)
    assert "Grad-CAM rank" in part(card, "rank-line")
    assert "mean activation" in card.pattern_view.caption


# -------------------------------------------------------------------------------- the browser
def test_browser_every_style(models, style):
    model = models[style]
    imgs, labels = _data(model)
    b = ChannelBrowser(model, imgs, labels=labels, steps=STEPS)
    assert b.wait(240)
    ex = b.source.get(b.layer)
    assert ex is not None and b.tiles.shape[0] == len(ex.channels)
    assert np.array_equal(b.tiles.pixels, ex.patches[np.searchsorted(ex.channels, b.order), 0])
    b.sort = "firing"
    rates = ex.firing_rate[np.searchsorted(ex.channels, b.order)]
    assert np.all(np.diff(rates) <= 0)
    b.sort = "purity"
    purity = np.nan_to_num(ex.purity[np.searchsorted(ex.channels, b.order)], nan=-1)
    assert np.all(np.diff(purity) <= 0)
    _click(b.tiles, len(b.order) - 1)
    assert b.filter_index == b.order[-1] == b.card.filter_index
    assert b.tiles.selected == len(b.order) - 1
    assert f"channel {b.order[-1]}" in part(b.card, "head")


def test_browser_marks_never_firing_and_follows_layers(models):
    model = models["nested"]
    imgs, labels = _data(model)
    b = ChannelBrowser(model, imgs, labels=labels, layer="vgg16/block1_conv2", steps=STEPS)
    assert b.wait(240)
    never = np.flatnonzero(b.source.get(b.layer).never_fires)
    assert sorted(b.tiles.marked) == sorted(int(np.flatnonzero(b.order == c)[0])
                                            for c in never)
    b.layer = "vgg16/block2_conv1"
    assert b.card.layer == "vgg16/block2_conv1" and len(b.order) == 7
    with pytest.raises(traitlets.TraitError):
        b.layer = "no_such_layer"
    assert b.layer == "vgg16/block2_conv1"
    _click(b.tiles, 99)
    assert "use 0 to" in Driver(b).status()
    assert b.filter_index < 7


# ------------------------------------------------------------------------------ the Explorer
def test_explorer_channel_page_follows_and_patch_click_switches_image(models):
    model = models["nested"]
    imgs, labels = _data(model, seed=5)
    shown = random_images(model, 3, seed=9)
    ex = cv.Explorer(model, shown, class_names=["no", "yes"], data=imgs, data_labels=labels)
    card = ex.card
    assert "Channel" in ex.tabs.titles
    ex.tabs.selected_index = ex.tabs.titles.index("Channel")  # a hidden page mines nothing
    ex.layer = "vgg16/block2_conv1"
    ex.activations.filter_index = 3  # a click on the activation grid
    assert card.layer == "vgg16/block2_conv1" and card.filter_index == 3
    ex.kernels.filter_index = 1  # a kernel row
    assert card.filter_index == 1
    card.filter_index = 4  # the card's own selection reaches the others
    assert ex.filter_index == 4 and ex.activations.filter_index == 4
    ex.image_index = 2
    assert np.array_equal(card.image, ex.activations.images[2])
    assert card.wait(240)
    n = len(ex.activations.images)
    _click(card.examples_view, 0)
    row = card.examples.row(4)
    picked = int(card.examples.index[row, 0])
    assert ex.image_index == n and len(ex.activations.images) == n + 1
    assert np.allclose(ex.activations.images[n], imgs[picked])
    assert Driver(ex).control("convviz-image").value == n and ex.activations.image_names[n] == card.picked_name
    assert np.array_equal(card.image, ex.activations.images[n])
    ex.image_index = 0
    _click(card.examples_view, 0)  # the same patch again: selected, not added twice
    assert ex.image_index == n and len(ex.activations.images) == n + 1


def test_explorer_card_waits_while_hidden(models):
    model = models["functional"]
    imgs, labels = _data(model)
    ex = cv.Explorer(model, imgs[:2], data=imgs, data_labels=labels)
    assert not ex.card.active
    ex.tabs.selected_index = ex.tabs.titles.index("Channel")
    assert ex.card.active
    ex.tabs.selected_index = 0
    assert not ex.card.active


# ---------------------------------------------------------------------- the demo's data set
def test_demo_dataset_is_cached_and_deterministic(monkeypatch, tmp_path):
    monkeypatch.setenv("CONVVIZ_CACHE", str(tmp_path))
    monkeypatch.setattr(_demo_examples, "DEMO_DATASET_SIZE", 25)
    monkeypatch.setattr(_demo_examples, "_MEMO", {})
    first = cv.demo_dataset()
    assert first.images.shape == (25, 64, 64, 3) and not first.images.flags.writeable
    assert len(list(tmp_path.glob("demo_dataset_*.npz"))) == 1
    ex = cv.demo_dataset_examples()
    paths = [i.path for i in cv.conv_layers(cv.demo_model(), kind="spatial")]
    assert sorted(ex) == sorted(paths)
    assert len(list(tmp_path.glob("demo_examples_*/*.npz"))) == len(paths)
    # A new process reads the files: same scenes, same examples.
    monkeypatch.setattr(_demo_examples, "_MEMO", {})
    again = cv.demo_dataset()
    assert np.array_equal(again.images, first.images)
    assert np.array_equal(again.labels, first.labels)
    loaded = cv.demo_dataset_examples()
    for p in paths:
        assert np.array_equal(loaded[p].index, ex[p].index)
        assert np.array_equal(loaded[p].patches, ex[p].patches)
    # The images are the generator's (seeded), stored as uint8 like the bundled scenes.
    made = cv.datasets.make_shapes(25, seed=_demo_examples.MINING_SEED)
    assert np.abs(first.images - made.images).max() <= 0.5 / 255 + 1e-6
    # The clicked image of a demo example is the data set's image of that index.
    card = ChannelCard(steps=STEPS)
    assert card.wait(60)
    card.pick(0)
    assert np.array_equal(card.image, first.images[card.picked])


def test_unwritable_cache_still_works(monkeypatch, tmp_path):
    blocked = tmp_path / "file"
    blocked.write_text("not a folder")
    monkeypatch.setenv("CONVVIZ_CACHE", str(blocked))
    monkeypatch.setattr(_demo_examples, "DEMO_DATASET_SIZE", 10)
    monkeypatch.setattr(_demo_examples, "_MEMO", {})
    assert cv.demo_dataset().images.shape[0] == 10
