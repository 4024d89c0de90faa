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

from _any_size import fcn_model, strided_fcn_layers
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
    for bad in ((3, 3), (-1, 2), (1,), "0/2"):
        with pytest.raises(ValueError, match="shard"):
            cv.dataset_examples(model, "block1_conv1", images, shard=bad)


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


# --------------------------------------------------------------------- unreadable image files
def _save(path, image, fmt=None):
    Image.fromarray(image).save(path, format=fmt)
    return str(path)


def _truncated(path, image, fmt, keep=0.5):
    import io

    buf = io.BytesIO()
    Image.fromarray(image).save(buf, format=fmt)
    data = buf.getvalue()
    path.write_bytes(data[:int(len(data) * keep)])
    return str(path)


def test_unreadable_files_are_skipped_with_one_warning_each(tmp_path, demo):
    """A truncated JPEG and PNG, a zero-byte file and a text file named .png are skipped, each
    with one warning naming it, listed in .skipped; the rest is mined as if they were absent."""
    model, images, _, _ = demo
    u8 = np.clip(images[:8] * 255 + 0.5, 0, 255).astype(np.uint8)
    good = [_save(tmp_path / f"g{i}.png", im) for i, im in enumerate(u8)]
    bad = [_truncated(tmp_path / "t_jpeg.jpg", u8[0], "JPEG"),
           _truncated(tmp_path / "t_png.png", u8[1], "PNG"),
           _truncated(tmp_path / "t_png_head.png", u8[2], "PNG", keep=0.1)]
    (tmp_path / "zero.png").write_bytes(b"")
    (tmp_path / "text.png").write_text("not an image\n")
    bad += [str(tmp_path / "zero.png"), str(tmp_path / "text.png")]
    steps = []
    with pytest.warns(UserWarning) as got:
        ex = cv.dataset_examples(model, "block2_conv1", tmp_path, k=3, batch_size=3,
                                 on_step=lambda d, t: steps.append((d, t)))
    messages = [str(w.message) for w in got]
    for f in bad:
        assert sum(repr(f) in m for m in messages) == 1, (f, messages)
    assert len(messages) == len(bad)
    assert sorted(ex.skipped) == sorted(bad) and ex.n_images == len(good)
    assert steps[-1] == (len(good) + len(bad), len(good) + len(bad))  # progress reaches the end
    ref = cv.dataset_examples(model, "block2_conv1", good, k=3)
    np.testing.assert_array_equal(ex.scores, ref.scores)
    np.testing.assert_array_equal(ex.source, ref.source)
    np.testing.assert_array_equal(ex.patches, ref.patches)
    assert not set(ex.source.ravel()) & set(bad)
    # A file list skips the same way; the skipped list survives save and load.
    with pytest.warns(UserWarning, match="zero.png"):
        listed = cv.dataset_examples(model, "block2_conv1", good + bad[3:4], k=3)
    listed.save(tmp_path / "ex.npz")
    assert cv.DatasetExamples.load(tmp_path / "ex.npz").skipped == [bad[3]]


# ------------------------------------------------------------------- identity and merging
def _ids_sorted_equal(a, b):
    np.testing.assert_array_equal(a.ids, b.ids)
    np.testing.assert_array_equal(a.scores, b.scores)


@pytest.mark.parametrize("n", [3, 4])
def test_interleaved_shards_merge_into_exactly_one_pass(demo, n):
    """shard=(i, n) on images[i::n] and on Dataset.shard(n, i) (the README's recipe, which
    interleaves): merged in any order, field by field the one-pass summary."""
    model, images, labels, _ = demo
    one = cv.dataset_examples(model, "block3_conv1", images, k=6, labels=labels)
    parts = [cv.dataset_examples(model, "block3_conv1", images[i::n], k=6, labels=labels[i::n],
                                 shard=(i, n), batch_size=5) for i in range(n)]
    forward = parts[0]
    for p in parts[1:]:
        forward = forward.merge(p)
    backward = parts[-1]
    for p in parts[-2::-1]:
        backward = backward.merge(p)
    assert_same(forward, one)
    assert_same(backward, one)
    _ids_sorted_equal(forward, one)
    ds = tf.data.Dataset.from_tensor_slices((images, labels))
    total = None
    for i in range(n):
        part = cv.dataset_examples(model, "block3_conv1", ds.shard(n, i).batch(4), k=6,
                                   shard=(i, n))
        total = part if total is None else total.merge(part)
    assert_same(total, one)
    np.testing.assert_array_equal(total.labels, one.labels)
    assert len(total.seen_runs) == 1 or sum(r[2] for r in total.seen_runs) == len(images)


def test_shards_without_identities_are_refused_not_double_named(demo):
    """Shards mined without shard= / index_offset= all call their first image #0: merging them
    would give two images one name, so it is refused and the message says what to pass."""
    model, images, _, _ = demo
    a = cv.dataset_examples(model, "block2_conv1", images[0::2], k=3)
    b = cv.dataset_examples(model, "block2_conv1", images[1::2], k=3)
    with pytest.raises(ValueError, match=r"share images.*shard=\(i, n\)"):
        a.merge(b)


def test_self_merge_and_overlapping_merges_are_refused(tmp_path, demo):
    model, images, _, _ = demo
    a = cv.dataset_examples(model, "block2_conv1", images[:25], k=3)
    with pytest.raises(ValueError, match="share images"):
        a.merge(a)
    b = cv.dataset_examples(model, "block2_conv1", images[15:], k=3, index_offset=15)
    with pytest.raises(ValueError, match="share images"):
        a.merge(b)
    # Shared images outside both top-k lists are still found (from what each summary saw):
    # shard 0 of 2 and shard 0 of 4 share images 0, 4, 8, ...
    c = cv.dataset_examples(model, "block2_conv1", images[0::2], k=1, shard=(0, 2))
    d = cv.dataset_examples(model, "block2_conv1", images[0::4], k=1, shard=(0, 4))
    with pytest.raises(ValueError, match="share images"):
        d.merge(c)
    # ... also after a save and load, and for files.
    c.save(tmp_path / "c.npz")
    with pytest.raises(ValueError, match="share images"):
        cv.DatasetExamples.load(tmp_path / "c.npz").merge(d)
    u8 = np.clip(images[:6] * 255 + 0.5, 0, 255).astype(np.uint8)
    files = [_save(tmp_path / f"{i}.png", im) for i, im in enumerate(u8)]
    e = cv.dataset_examples(model, "block2_conv1", files[:4], k=1)
    f = cv.dataset_examples(model, "block2_conv1", files[3:], k=1)
    with pytest.raises(ValueError, match="share images"):
        e.merge(f)
    # Disjoint shards do merge (and n_images adds up).
    assert c.merge(cv.dataset_examples(model, "block2_conv1", images[1::2], k=1,
                                       shard=(1, 2))).n_images == len(images)


def test_folder_shards_merge_by_path(tmp_path, demo):
    """Two folders mined separately both number their files from 0; merged, every image is
    named by its path, and the result is the one pass over all the files."""
    model, images, _, _ = demo
    u8 = np.clip(images[:12] * 255 + 0.5, 0, 255).astype(np.uint8)
    files = []
    for i, im in enumerate(u8):
        d = tmp_path / f"shard{i % 2}"
        d.mkdir(exist_ok=True)
        files.append(_save(d / f"{i:02d}.png", im))
    a = cv.dataset_examples(model, "block2_conv2", tmp_path / "shard0", k=4)
    b = cv.dataset_examples(model, "block2_conv2", tmp_path / "shard1", k=4)
    one = cv.dataset_examples(model, "block2_conv2", files, k=4)
    both = b.merge(a)
    np.testing.assert_array_equal(both.source, one.source)
    np.testing.assert_array_equal(both.ids, one.source)  # the identity is the path
    for f in ("scores", "position", "box", "patches", "fired"):
        np.testing.assert_array_equal(getattr(both, f), getattr(one, f), err_msg=f)
    assert both.n_images == 12 and len(both.seen_paths) == 12


def test_runs_meet_and_runs_of_against_sets():
    """The exact overlap test of two position runs against Python sets, on many random runs."""
    from convviz_widgets.compute._example_summary import _coalesce, _runs_meet, runs_of

    rng = np.random.default_rng(0)
    for _ in range(2000):
        p, q = [(int(rng.integers(0, 40)), int(rng.integers(1, 9)), int(rng.integers(0, 8)))
                for _ in range(2)]
        sp, sq = ({a + s * j for j in range(n)} for a, s, n in (p, q))
        hit = _runs_meet(p, q)
        assert (hit is not None) == bool(sp & sq), (p, q)
        assert hit is None or (hit in sp and hit in sq)
    for _ in range(300):
        pos = np.unique(rng.integers(0, 60, rng.integers(0, 25)))
        runs = runs_of(pos)
        covered = sorted(a + s * j for a, s, n in runs.tolist() for j in range(n))
        assert covered == pos.tolist()
        assert sorted(a + s * j for a, s, n in _coalesce(runs).tolist()
                      for j in range(n)) == pos.tolist()
    assert runs_of(np.arange(3, 400, 7)).tolist() == [[3, 7, 57]]


# ------------------------------------------------------------------- models of any input size
def _any_size(style):
    return fcn_model(style, strided_fcn_layers, seed=7)


def _oracle(model, images, path, k):
    """Image by image at its own size: each channel's max, top-k by (score desc, index asc)."""
    maps = [cv.activations(model, im, path, cache=False)[path][0] for im in images]
    s = np.stack([m.reshape(-1, m.shape[-1]).max(axis=0) for m in maps])  # (n, C)
    order = np.array([np.lexsort((np.arange(len(s)), -s[:, c].astype(np.float64)))[:k]
                      for c in range(s.shape[1])])
    return s, order, maps


def _check_any_size(model, ex, images, path, k, patch):
    s, order, maps = _oracle(model, images, path, k)
    np.testing.assert_array_equal(ex.index, order)
    np.testing.assert_allclose(ex.scores, np.take_along_axis(s.T, order, axis=1), rtol=1e-5,
                               atol=1e-6)
    np.testing.assert_array_equal(ex.fired, (s > 0).sum(axis=0))
    for r in range(len(ex.channels)):
        for j in range(k):
            img = np.asarray(images[ex.index[r, j]], np.float32)
            if img.dtype != np.float32 or img.max() > 1.5:
                img = img / 255.0
            size = img.shape[:2]
            assert tuple(ex.image_size[r, j]) == size
            y, x = ex.position[r, j]
            m = maps[ex.index[r, j]][..., r]
            assert m[y, x] == m.max()  # the position of the channel's peak in that image
            rf = cv.receptive_field(model, path, input_size=size)
            assert tuple(ex.box[r, j]) == rf.box(y, x)
            whole = _square_boxes(ex.box[r, j][None], size, rf.size)
            np.testing.assert_array_equal(ex.patches[r, j],
                                          _crops(img[None], np.zeros(1), whole, patch)[0])


@pytest.mark.parametrize("style", ["functional", "subclassed"])
def test_any_size_model_on_arrays_of_one_size_and_lists_of_many(style):
    model = _any_size(style)
    rng = np.random.default_rng(3)
    same = rng.random((9, 30, 46, 3)).astype(np.float32)
    ex = cv.dataset_examples(model, "c3", same, k=3, batch_size=4, patch_size=8)
    _check_any_size(model, ex, list(same), "c3", 3, 8)
    sizes = [(30, 46), (21, 33), (30, 46), (40, 24), (21, 33), (17, 17), (30, 46), (40, 24)]
    mixed = [rng.random((h, w, 3)).astype(np.float32) for h, w in sizes]
    for bs in (2, 3):
        ex = cv.dataset_examples(model, ["c2", "c3"], mixed, k=4, batch_size=bs, patch_size=8)
        _check_any_size(model, ex["c3"], mixed, "c3", 4, 8)
        _check_any_size(model, ex["c2"], mixed, "c2", 4, 8)


def test_any_size_model_on_a_folder_of_different_sizes(tmp_path):
    model = _any_size("functional")
    rng = np.random.default_rng(5)
    sizes = [(32, 48), (25, 25), (48, 20), (32, 48), (19, 37), (25, 25), (41, 30)]
    images = [(rng.random((h, w, 3)) * 255).astype(np.uint8) for h, w in sizes]
    files = [_save(tmp_path / f"{i:02d}.png", im) for i, im in enumerate(images)]
    ex = cv.dataset_examples(model, "c2", tmp_path, k=3, batch_size=3, patch_size=6)
    _check_any_size(model, ex, images, "c2", 3, 6)
    np.testing.assert_array_equal(ex.source, np.asarray(files)[ex.index])


def test_any_size_ties_go_to_the_first_image_whatever_the_batching():
    """A channel that never fires scores 0 on every image: its top-k must be the first k images
    (the documented tie-break), even though batching by size reorders the stream."""
    keras.utils.set_random_seed(1)
    inp = keras.Input((None, None, 3))
    dead = keras.layers.Conv2D(2, 3, activation="relu", name="dead",
                               kernel_initializer="zeros", bias_initializer="zeros")(inp)
    model = keras.Model(inp, dead)
    rng = np.random.default_rng(0)
    mixed = [rng.random((h, 20, 3)).astype(np.float32) for h in (30, 10, 30, 12, 10, 30, 12)]
    ex = cv.dataset_examples(model, "dead", mixed, k=3, batch_size=2)
    assert (ex.scores == 0).all() and ex.index.tolist() == [[0, 1, 2]] * 2
    assert (ex.fired == 0).all()


def test_size_batching_holds_about_two_batches_and_keeps_every_image():
    """Images of all different sizes: batches go out early, so no more than batch_size images
    wait at any time; every image comes out once, each batch of one size."""
    from convviz_widgets.compute._example_sources import Batch, _bucketed

    rng = np.random.default_rng(1)
    sizes = [(int(h), int(w)) for h, w in rng.integers(8, 14, (60, 2))]
    pulled = []

    def chunks():
        for p, (h, w) in enumerate(sizes):
            pulled.append(p)
            yield Batch(np.zeros((1, h, w, 3), np.float32), np.array([p]), np.array([-1]),
                        np.array([p]))

    out = []
    for b in _bucketed(chunks(), 4):
        assert len(b.images) <= 4 and len({im.shape for im in b.images}) == 1
        assert all(sizes[p] == b.images.shape[1:3] for p in b.key)
        out.extend(b.key.tolist())
        assert len(pulled) - len(out) <= 4  # images waiting in the buckets
    assert sorted(out) == list(range(len(sizes)))


def test_patches_cut_after_the_pass_equal_those_cut_while_streaming(demo):
    """Arrays are read again after the pass and only the kept images' patches are cut; a
    tf.data stream has them cut in the graph as images enter. Both must give the same bytes —
    for images the model's input size resizes and for 0–255 floats whose dark images alone
    would read as [0, 1]."""
    model, images, labels, _ = demo
    big = tf.image.resize(images[:24], (70, 70)).numpy().clip(0, 1) * 255.0
    big[::3] *= 1.4 / 255.0  # dark images: their own maximum is ≤ 1.5
    layers = ["block1_conv1", "block2_pool", "block3_conv2"]
    arr = cv.dataset_examples(model, layers, big, k=3, batch_size=5, patch_size=11)
    ds = cv.dataset_examples(model, layers, tf.data.Dataset.from_tensor_slices(big).batch(5),
                             k=3, batch_size=5, patch_size=11)
    for p in layers:
        assert (arr[p].index >= 0).all()
        for f in ("scores", "index", "position", "box", "patches"):
            np.testing.assert_array_equal(getattr(arr[p], f), getattr(ds[p], f), err_msg=f)


def test_arrays_read_again_are_prepared_as_streamed():
    """``images_at`` (arrays read again to cut patches) gives the streamed images, also for a
    0–255 float batch whose dark images alone would read as [0, 1] and for a [0, 1] batch."""
    from convviz_widgets.compute._example_sources import open_source

    rng = np.random.default_rng(3)
    arr = rng.random((10, 9, 9, 3)).astype(np.float32) * 255.0
    arr[[1, 2, 6]] *= 1.2 / 255.0  # dark: their own maximum says [0, 1]
    arr[5:] = rng.random((5, 9, 9, 3))  # the second batch is a [0, 1] one
    src = open_source(arr, None, 5, (None, 8, 8, 3))
    streamed = np.concatenate([b.images for b in src.batches])
    for p in ([1, 2], [1, 2, 6], [0, 1, 7], [6, 9], list(range(10))):
        p = np.asarray(p)
        np.testing.assert_array_equal(src.images_at(p), streamed[p])
    assert streamed[1].max() < 0.01  # read as 0–255 with its batch, not as [0, 1]
