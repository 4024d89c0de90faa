"""Squeeze-and-excite blocks (MobileNetV3, EfficientNet): receptive fields, dataset examples and
the channel card work before and after the block; after it they say that global context enters.

The oracle is the gradient support of one output unit (as in tests/test_receptive_field.py).
Through the squeeze branch every pixel gets a gradient, so the support of a unit after the
block is the whole image; with the squeeze's gradient stopped it is the main path's, which
must lie inside the derived window.
"""

import keras
import numpy as np
import pytest
import tensorflow as tf

import convviz_widgets as cv
from convviz_widgets.compute import access, run_model

from _driver import Driver

_GLOBAL = (keras.layers.GlobalAveragePooling2D, keras.layers.GlobalMaxPooling2D)

#: (builder, input size, a layer before the first SE block, the SE multiply, a layer after it)
CASES = {
    "mobilenetv3": (lambda: keras.applications.MobileNetV3Small(
        weights=None, input_shape=(96, 96, 3), include_top=False,
        include_preprocessing=False), "re_lu", "expanded_conv_squeeze_excite_mul",
        "expanded_conv_1_depthwise"),
    "efficientnet": (lambda: keras.applications.EfficientNetB0(
        weights=None, input_shape=(64, 80, 3), include_top=False), "block1a_activation",
        "block1a_se_excite", "block2a_dwconv"),
}


@pytest.fixture(scope="module", params=sorted(CASES))
def se_case(request):
    keras.utils.set_random_seed(0)
    build, before, mul, after = CASES[request.param]
    model = build()
    if before == "re_lu":
        # Keras numbers auto-named layers per process ("re_lu_41" after other models were
        # built): the first ReLU of this model, whatever its suffix.
        before = next(l.name for l in model.layers if l.name.startswith("re_lu"))
    return model, before, mul, after


def support(model, path, y, x, stop_squeeze=False, seeds=(0, 1)):
    """Bounding box of the pixels with a non-zero gradient for output (y, x) of ``path``."""
    acc = access(model)
    h, w, c = acc.input_shape[1:]
    # Stopping the squeeze's gradient leaves only the main path's dependence on the pixels.
    wraps = {p: (lambda layer, call: lambda *a, **k: tf.stop_gradient(call(*a, **k)))
             for p in acc.paths if isinstance(acc.layer(p), _GLOBAL)} if stop_squeeze else {}
    mask = np.zeros((h, w), bool)
    for seed in seeds:
        inp = tf.constant(np.random.default_rng(seed).random((1, h, w, c)) * 255, tf.float32)
        with tf.GradientTape() as tape:
            tape.watch(inp)
            _, got = run_model(acc, inp, [path], wrap_calls=wraps)
            unit = tf.reduce_sum(got[path][0, y, x, :])
        g = tape.gradient(unit, inp).numpy()[0]
        mask |= np.abs(g).sum(axis=-1) > 0
    rows, cols = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
    return int(rows[0]), int(rows[-1]), int(cols[0]), int(cols[-1])


def _positions(rf):
    oh, ow = rf.rows.shape[0], rf.cols.shape[0]
    return [(0, 0), (oh // 2, ow // 3), (oh - 1, ow - 1)]


def test_a_layer_before_the_block_has_a_plain_field(se_case):
    model, before, _, _ = se_case
    rf = cv.receptive_field(model, before)
    assert not rf.global_context
    for y, x in _positions(rf):
        t, b, l, r = rf.box(y, x)
        st, sb, sl, sr = support(model, before, y, x)
        assert t <= st and sb <= b and l <= sl and sr <= r, (before, y, x)
        # Not the whole image: a window, or the test proves nothing.
        assert (b - t + 1, r - l + 1) != tuple(rf.input_size)


@pytest.mark.parametrize("which", ["mul", "after"])
def test_after_the_block_main_path_window_and_global_flag(se_case, which):
    model, _, mul, after = se_case
    path = mul if which == "mul" else after
    rf = cv.receptive_field(model, path)
    assert rf.global_context
    h, w = rf.input_size
    y, x = rf.rows.shape[0] // 2, rf.cols.shape[0] // 2
    # The squeeze reads every pixel: the true support is the whole image ...
    assert support(model, path, y, x) == (0, h - 1, 0, w - 1)
    # ... and without it, the main path's support lies inside the derived window.
    for y, x in _positions(rf):
        t, b, l, r = rf.box(y, x)
        st, sb, sl, sr = support(model, path, y, x, stop_squeeze=True)
        assert t <= st and sb <= b and l <= sl and sr <= r, (path, y, x)
    t, b, l, r = rf.box(rf.rows.shape[0] // 2, rf.cols.shape[0] // 2)
    assert b - t + 1 < h and r - l + 1 < w


def test_the_window_after_the_multiply_is_the_one_before_it(se_case):
    """The multiply rescales channels: it does not widen the window of its main input."""
    model, _, mul, _ = se_case
    acc = access(model)
    rf = cv.receptive_field(model, mul)
    # The multiply's main input is the layer just before the squeeze (same map size).
    order = acc.trace().order
    squeeze = next(p for p in order if isinstance(acc.layer(p), _GLOBAL))
    main_in = order[order.index(squeeze) - 1]
    before = cv.receptive_field(model, main_in)
    assert np.array_equal(rf.rows, before.rows) and np.array_equal(rf.cols, before.cols)


def test_the_squeeze_itself_sees_the_whole_image(se_case):
    model, _, mul, _ = se_case
    acc = access(model)
    squeeze_conv = [p for p in acc.trace().order
                    if p.endswith(("squeeze_excite_conv", "se_reduce"))][0]
    rf = cv.receptive_field(model, squeeze_conv)
    assert rf.rows.shape == (1, 2) and rf.global_context
    assert rf.box(0, 0) == (0, rf.input_size[0] - 1, 0, rf.input_size[1] - 1)


def test_dataset_examples_before_and_after(se_case):
    model, before, mul, after = se_case
    h, w = access(model).input_shape[1:3]
    imgs = np.random.default_rng(1).random((5, h, w, 3)).astype(np.float32)
    ex = cv.dataset_examples(model, [before, after], imgs, k=2, channels=[0, 1, 2])
    assert not ex[before].global_context and ex[after].global_context
    for path, e in ex.items():
        rf = cv.receptive_field(model, path)
        assert e.n_images == 5 and (e.index >= 0).all()
        # Every box is the field of the position where the channel peaked.
        for row in range(3):
            for rank in range(2):
                y, x = e.position[row, rank]
                assert tuple(e.box[row, rank]) == rf.box(y, x)
        # The recorded peak is the real maximum of that image's map.
        acts = cv.activations(model, imgs, [path])[path]
        i, c = int(e.index[0, 0]), int(e.channels[0])
        assert np.isclose(e.scores[0, 0], acts[i, ..., c].max(), rtol=1e-4, atol=1e-5)


def test_channel_card_on_a_layer_after_the_block(se_case):
    from convviz_widgets.widgets import ChannelCard

    model, _, _, after = se_case
    h, w = access(model).input_shape[1:3]
    imgs = np.random.default_rng(2).random((4, h, w, 3)).astype(np.float32)
    # Mined for this one layer: mining all ~200 layers of EfficientNet is what the card does
    # with data=, and too slow for a unit test (dataset_examples itself is tested above).
    ex = cv.dataset_examples(model, after, imgs, k=3)
    card = ChannelCard(model, examples={after: ex}, image=imgs[0], layer=after,
                       filter_index=1, steps=2, lang="es")
    assert card.wait(240)
    assert Driver(card).status() == ""
    assert card.examples is ex and ex.global_context
    assert card.examples_view.shape[0] == 3
    assert card.map_view.image_shape == [h, w]
    note = Driver(card).html("convviz-card-examples-note")
    assert "squeeze-and-excite" in note
    assert "also rescales" not in note  # Spanish, not English
