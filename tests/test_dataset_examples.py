"""Dataset examples: top-k per channel equal to a brute-force argsort, shards merge into exactly
one pass, every data source (arrays, folders, tf.data) gives the same summary."""

import threading

import keras
import numpy as np
import pytest
import tensorflow as tf
from PIL import Image

import convviz_widgets as cv
from convviz_widgets.compute.dataset_examples import _crops, _square_boxes

from conftest import random_images


@pytest.fixture(scope="module")
def demo():
    scenes = cv.demo_images()
    return cv.demo_model(), scenes.images[:40], scenes.labels[:40], list(scenes.class_names)


def brute_force(model, images, path, score, k):
    acts = cv.activations(model, images, path, cache=False)[path]  # (n, h, w, C)
    flat = acts.reshape(len(acts), -1, acts.shape[-1])
    s = flat.max(axis=1) if score == "max" else flat.mean(axis=1)  # (n, C)
    # score descending, then image index ascending (the documented tie-break)
    order = np.array([np.lexsort((np.arange(len(s)), -s[:, c].astype(np.float64)))[:k]
                      for c in range(s.shape[1])])
    return s, order, flat.argmax(axis=1), (flat.max(axis=1) > 0).sum(axis=0)


def assert_same(a, b):
    for f in ("scores", "index", "source", "labels", "position", "box", "patches", "fired"):
        np.testing.assert_array_equal(getattr(a, f), getattr(b, f), err_msg=f)
    assert a.n_images == b.n_images


@pytest.mark.parametrize("score", ["max", "mean"])
def test_topk_equals_brute_force(demo, score):
    model, images, labels, names = demo
    ex = cv.dataset_examples(model, "block2_conv2", images, k=5, score=score, batch_size=7,
                             labels=labels, class_names=names)
    s, order, argmax, fired = brute_force(model, images, "block2_conv2", score, 5)
    np.testing.assert_array_equal(ex.index, order)
    np.testing.assert_allclose(ex.scores, np.take_along_axis(s.T, order, axis=1), rtol=1e-5)
    np.testing.assert_array_equal(ex.labels, labels[order])
    np.testing.assert_array_equal(ex.fired, fired)
    ow = cv.activations(model, images[:1], "block2_conv2")["block2_conv2"].shape[2]
    pos = np.take_along_axis(argmax.T, order, axis=1)
    if score == "max":
        np.testing.assert_array_equal(ex.position[..., 0] * ow + ex.position[..., 1], pos)
    assert ex.n_images == 40 and ex.histogram(0).sum() == 5
    assert ex.class_names == names and np.all((0 < ex.purity) & (ex.purity <= 1))


def test_four_shards_merge_into_one_pass_in_any_order(demo):
    model, images, labels, _ = demo
    one = cv.dataset_examples(model, "block3_conv1", images, k=6, labels=labels)
    cuts = [0, 9, 20, 31, 40]
    shards = [cv.dataset_examples(model, "block3_conv1", images[a:b], k=6, labels=labels[a:b],
                                  index_offset=a) for a, b in zip(cuts, cuts[1:])]
    forward = shards[0].merge(shards[1]).merge(shards[2]).merge(shards[3])
    backward = shards[3].merge(shards[1]).merge(shards[0].merge(shards[2]))
    assert_same(forward, one)
    assert_same(backward, one)


def test_save_and_load(tmp_path, demo):
    model, images, labels, names = demo
    ex = cv.dataset_examples(model, "block1_conv2", images[:12], k=3, labels=labels[:12],
                             class_names=names)
    ex.save(tmp_path / "ex.npz")
    back = cv.DatasetExamples.load(tmp_path / "ex.npz")
    assert_same(back, ex)
    assert back.class_names == names and back.layer == "block1_conv2"


def test_folders_file_lists_and_tf_data_give_the_same_summary(tmp_path, demo):
    model, images, labels, names = demo
    u8 = np.clip(images[:14] * 255 + 0.5, 0, 255).astype(np.uint8)
    files = []
    for i, (im, lab) in enumerate(zip(u8, labels[:14])):
        d = tmp_path / "data" / f"class_{lab}"
        d.mkdir(parents=True, exist_ok=True)
        files.append(d / f"{i:03d}.png")
        Image.fromarray(im).save(files[-1])
    ref_arr = cv.dataset_examples(model, "block2_conv1", u8, k=4)
    from_files = cv.dataset_examples(model, "block2_conv1", [str(f) for f in files], k=4)
    np.testing.assert_array_equal(from_files.scores, ref_arr.scores)
    np.testing.assert_array_equal(from_files.index, ref_arr.index)
    assert from_files.source[0, 0] == str(files[from_files.index[0, 0]])
    folder = cv.dataset_examples(model, "block2_conv1", tmp_path / "data", k=4)
    present = sorted({f.parent.name for f in files})
    assert folder.class_names == present
    assert set(folder.labels.ravel()) <= set(range(len(present)))
    ds = tf.data.Dataset.from_tensor_slices((u8, labels[:14]))
    for d in (ds, ds.batch(5)):
        got = cv.dataset_examples(model, "block2_conv1", d, k=4, batch_size=3)
        np.testing.assert_array_equal(got.index, ref_arr.index)
        np.testing.assert_array_equal(got.labels, labels[:14][ref_arr.index])


def test_patches_are_the_receptive_field_windows(demo):
    model, images, _, _ = demo
    ex = cv.dataset_examples(model, "block1_conv1", images[:6], k=2, patch_size=12)
    rf = cv.receptive_field(model, "block1_conv1")
    y, x = ex.position[3, 0]
    assert tuple(ex.box[3, 0]) == rf.box(y, x)
    img = cv.activations(model, images[:6], "block1_conv1").images[ex.index[3, 0]]
    whole = _square_boxes(ex.box[3, 0][None], rf.input_size, rf.size)
    np.testing.assert_array_equal(ex.patches[3, 0], _crops(img[None], np.zeros(1), whole, 12)[0])
    # An interior 3×3 window resampled to 3×3 is the window itself.
    ex3 = cv.dataset_examples(model, "block1_conv1", images[:6], k=2, patch_size=3)
    for r, j in zip(*np.nonzero(ex3.index >= 0)):
        t, b, l, rr = ex3.box[r, j]
        if b - t == 2 and rr - l == 2:
            src = cv.activations(model, images[:6], "block1_conv1").images[ex3.index[r, j]]
            want = np.clip(src[t:b + 1, l:rr + 1] * 255 + 0.5, 0, 255).astype(np.uint8)
            np.testing.assert_array_equal(ex3.patches[r, j], want)


def test_every_kept_patch_is_its_images_window_after_many_evictions(demo):
    """Small batches make images enter and leave the top-k often; the patch pool's slots must
    still hold, at every rank, the window of the image ranked there."""
    model, images, _, _ = demo
    for path in ("block1_conv2", "block3_conv2"):
        ex = cv.dataset_examples(model, path, images, k=4, batch_size=3, patch_size=10)
        rf = cv.receptive_field(model, path)
        whole = _square_boxes(ex.box.reshape(-1, 4), rf.input_size, rf.size)
        want = _crops(images.astype(np.float32), ex.index.ravel(), whole, 10)
        np.testing.assert_array_equal(ex.patches.reshape(want.shape), want)


def test_border_windows_keep_their_aspect():
    """A window the image border cuts is made whole again (grey outside), not stretched."""
    boxes = np.array([[0, 2, 5, 9], [10, 14, 0, 1], [3, 7, 3, 7]])  # top-cut, left-cut, inside
    whole = _square_boxes(boxes, (16, 16), (5, 5))
    np.testing.assert_array_equal(whole, [[-2, 2, 5, 9], [10, 14, -3, 1], [3, 7, 3, 7]])


def test_every_model_style_runs(models, style):
    model = models[style]
    path = {"sequential": "conv_b", "functional": "last_conv", "nested": "vgg16/block2_conv1",
            "subclassed": "block2/conv2", "grayscale": "uconv64"}[style]
    x = random_images(model, 7, seed=2)
    ex = cv.dataset_examples(model, path, x, k=3, batch_size=4)
    s, order, _, fired = brute_force(model, x, path, "max", 3)
    np.testing.assert_array_equal(ex.index, order)
    np.testing.assert_array_equal(ex.fired, fired)
    assert ex.patches.shape[-1] == x.shape[-1]


def test_several_layers_in_one_pass_and_channel_subsets(demo):
    model, images, _, _ = demo
    both = cv.dataset_examples(model, ["block1_conv1", "block3_conv2"], images[:10], k=2,
                               channels=[0, 3])
    assert set(both) == {"block1_conv1", "block3_conv2"}
    assert both["block3_conv2"].channels.tolist() == [0, 3]
    alone = cv.dataset_examples(model, "block3_conv2", images[:10], k=2)
    np.testing.assert_array_equal(both["block3_conv2"].index, alone.index[[0, 3]])
    assert both["block3_conv2"].row(3) == 1
    with pytest.raises(ValueError, match="not summarised"):
        both["block3_conv2"].row(5)


def test_cancel_keeps_an_exact_partial_summary(demo):
    model, images, _, _ = demo
    seen = []

    def stop_after_two(done, total):
        seen.append((done, total))
        return len(seen) < 2

    part = cv.dataset_examples(model, "block2_conv1", images, k=3, batch_size=8,
                               on_step=stop_after_two)
    assert part.cancelled and part.n_images == 16 and seen == [(8, 40), (16, 40)]
    exact = cv.dataset_examples(model, "block2_conv1", images[:16], k=3)
    np.testing.assert_array_equal(part.index, exact.index)
    ev = threading.Event()
    ev.set()
    none = cv.dataset_examples(model, "block2_conv1", images, k=3, cancel=ev)
    assert none.cancelled and none.n_images == 0 and (none.index == -1).all()


def test_clear_errors(demo):
    model, images, _, _ = demo
    with pytest.raises(ValueError, match="score"):
        cv.dataset_examples(model, "block1_conv1", images, score="median")
    with pytest.raises(ValueError, match="not a folder"):
        cv.dataset_examples(model, "block1_conv1", "/no/such/folder")
    with pytest.raises(ValueError, match="labels"):
        cv.dataset_examples(model, "block1_conv1", images, labels=[0, 1])
    fcn = keras.Sequential([keras.Input((None, None, 3)), keras.layers.Conv2D(2, 3, name="c")])
    with pytest.raises(ValueError, match="any input size"):
        cv.dataset_examples(fcn, "c", images)


def test_static_figure_rows_hold_the_patches(demo):
    import matplotlib

    matplotlib.use("Agg")
    from convviz_widgets import plotting

    model, images, labels, names = demo
    ex = cv.dataset_examples(model, "block3_conv1", images, k=4, labels=labels,
                             class_names=names)
    res = cv.maximize(model, "block3_conv1", [2, 5], steps=4)
    fig = plotting.plot_dataset_examples(ex, [2, 5], patterns=res)
    axes = np.array(fig.axes).reshape(2, 5)
    np.testing.assert_array_equal(np.asarray(axes[1, 1].images[0].get_array()),
                                  ex.patches[ex.row(5), 0])
    assert "ch 5" in axes[1, 0].get_ylabel() and "fires" in axes[1, 0].get_ylabel()
    with pytest.raises(ValueError, match="no pattern for channels"):
        plotting.plot_dataset_examples(ex, [2, 7], patterns=res)
