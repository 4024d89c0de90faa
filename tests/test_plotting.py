"""Static figures: they show the computed values, on the documented scales."""

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest

import convviz_widgets as cv
from convviz_widgets import plotting

from conftest import random_images


def _image_of(fig):
    ax = fig.axes[0]
    return ax.images[0]


def test_filter_slices_shared_symmetric_scale_and_blank_cells(models):
    model = models["nested"]
    fig = plotting.plot_filter_slices(model, "vgg16/block2_conv1", 3, cols=4)
    im = _image_of(fig)
    w = cv.kernels(model, "vgg16/block2_conv1")[..., 3]  # (3, 3, 5): 5 slices in a 4-wide grid
    data = np.asarray(im.get_array())
    assert data.shape == (2 * 3 + 1, 4 * 3 + 3)
    np.testing.assert_allclose(data[:3, 4:7], w[:, :, 1])  # slice 1 at row 0, col 1
    np.testing.assert_allclose(data[4:7, :3], w[:, :, 4])  # slice 4 starts row 1
    assert np.isnan(data[4:7, 4:]).all()  # unused cells blank
    lo, hi = im.get_clim()
    assert lo == -hi == pytest.approx(-np.abs(w).max())


def test_kernel_matrix_marks_dead_filters(models):
    import keras

    model = keras.models.clone_model(models["sequential"])
    model.set_weights(models["sequential"].get_weights())
    w, b = model.get_layer("conv_b").get_weights()
    w[..., 2] = 0
    model.get_layer("conv_b").set_weights([w, b])
    fig = plotting.plot_kernel_matrix(model, "conv_b")
    assert len(fig.axes[0].patches) == 1  # one red frame
    assert "dead filters 1" in fig.axes[0].get_title()
    data = np.asarray(_image_of(fig).get_array())
    assert data.shape == (7 * 4 - 1, 5 * 4 - 1)
    np.testing.assert_allclose(data[4:7, 8:11], w[:, :, 2, 1])  # filter 1, channel 2


def test_rgb_filters(models):
    fig = plotting.plot_rgb_filters(models["sequential"], "conv_a")
    data = np.asarray(_image_of(fig).get_array())
    assert data.shape[-1] == 3 and 0 <= data.min() and data.max() <= 1
    with pytest.raises(ValueError, match="3 channels"):
        plotting.plot_rgb_filters(models["sequential"], "conv_b")


@pytest.mark.parametrize("mode", ["channel", "layer"])
def test_activation_grid_values_and_blank_marks(models, mode):
    model = models["sequential"]
    x = random_images(model, 1, seed=4)
    fig = plotting.plot_activation_grid(model, x[0], "conv_b", cols=4, normalize=mode)
    a = cv.activations(model, x, "conv_b")["conv_b"][0]
    data = np.asarray(_image_of(fig).get_array())
    h, w = a.shape[:2]
    expect = plotting.normalize_channels(a, mode)
    np.testing.assert_allclose(data[:h, (w + 1):(2 * w + 1)], expect[..., 1], atol=1e-6)
    blank = int((a.max(axis=(0, 1)) <= 0).sum())
    assert len(fig.axes[0].lines) == 2 * blank
    assert "blank" in fig.axes[0].get_title()


def test_channel_and_sparsity_figures(models):
    model = models["grayscale"]
    x = random_images(model, 2, seed=1)
    fig = plotting.plot_channel(model, x[0], "uconv64", 2)
    a = cv.activations(model, x[:1], "uconv64")["uconv64"][0, :, :, 2]
    np.testing.assert_allclose(np.asarray(fig.axes[1].images[0].get_array()), a)
    with pytest.raises(ValueError, match="use 0 to 4"):
        plotting.plot_channel(model, x[0], "uconv64", 5)
    fig = plotting.plot_sparsity(model, x)
    assert len(fig.axes[0].patches) == len(cv.conv_layers(model, kind="spatial"))


@pytest.mark.parametrize("scale", ["shared", "per_slice", "standardize"])
def test_filter_slices_on_the_handouts_scales(models, scale):
    """The 000 handout's shared [min, max] of one filter, the 001 handout's per-slice
    normalisation, the Chollet standardisation — each equal to a plain numpy version."""
    model = models["nested"]
    fig = plotting.plot_filter_slices(model, "vgg16/block2_conv1", 3, cols=4, scale=scale,
                                      cmap="gray")
    im = _image_of(fig)
    data = np.asarray(im.get_array())
    f = cv.kernels(model, "vgg16/block2_conv1")[..., 3]  # (3, 3, 5)
    s1 = f[:, :, 1]
    if scale == "shared":
        np.testing.assert_allclose(data[:3, 4:7], s1)
        assert im.get_clim() == pytest.approx((f.min(), f.max()))
    elif scale == "per_slice":
        np.testing.assert_allclose(data[:3, 4:7], (s1 - s1.min()) / (s1.max() - s1.min()),
                                   atol=1e-6)
        assert im.get_clim() == (0.0, 1.0)
    else:
        z = np.clip(((s1 - s1.mean()) / (s1.std() + 1e-5) * 64 + 128) / 255, 0, 1)
        np.testing.assert_allclose(data[:3, 4:7], z, atol=1e-5)
    assert scale in fig.axes[1].get_ylabel()  # the colour bar says which scale


def test_activation_grid_standardized_like_the_lessons(models):
    model = models["sequential"]
    x = random_images(model, 1, seed=4)
    fig = plotting.plot_activation_grid(model, x[0], "conv_b", cols=4, normalize="standardize")
    a = cv.activations(model, x, "conv_b")["conv_b"][0]
    data = np.asarray(_image_of(fig).get_array())
    h, w = a.shape[:2]
    ch = a[..., 1]
    expected = np.clip(((ch - ch.mean()) / (ch.std() + 1e-5) * 64 + 128) / 255, 0, 1)
    np.testing.assert_allclose(data[:h, (w + 1):(2 * w + 1)], expected, atol=1e-5)
    with pytest.raises(ValueError, match="standardize"):
        plotting.plot_activation_grid(model, x[0], "conv_b", normalize="zscore")


def test_figure_and_widget_show_the_same_pattern_pixels():
    """The maximizer widget's tiles and the static gallery use one stretch rule."""
    from convviz_widgets.widgets._filter_maximizer import display_pixels

    rng = np.random.default_rng(3)
    images = rng.uniform(0.45, 0.55, size=(3, 9, 7, 3)).astype(np.float32)
    widget = display_pixels(images)
    figure = plotting.stretch_patterns(images)
    np.testing.assert_array_equal(widget, np.clip(figure * 255 + 0.5, 0, 255).astype(np.uint8))


def test_every_figure_is_importable_from_plotting():
    """plotting is a package of subject modules; handouts keep using cv.plotting.<name>."""
    import convviz_widgets as cv

    names = ["flat_map_warning", "normalize_channels", "plot_activation_grid", "plot_channel",
             "plot_conv_arithmetic", "plot_dataset_examples", "plot_deepdream",
             "plot_filter_slices", "plot_gradcam",
             "plot_kernel_matrix", "plot_maximize_comparison", "plot_maximize_gallery",
             "plot_raw_pattern", "plot_rgb_filters", "plot_sparsity", "rgb_filters",
             "stretch_patterns"]
    # and the labelled figure every view's Export PNG is made of (issue 23)
    names = sorted(names + ["ColourBar", "figure_png", "labelled_figure"])
    assert sorted(plotting.__all__) == names
    for name in names:
        assert callable(getattr(cv.plotting, name))
        assert getattr(cv.plotting, name).__module__.startswith("convviz_widgets.plotting.")


def test_maximize_gallery_colours_one_channel_patterns():
    """A grayscale model's patterns in a colour table (the U-Net lesson's viridis), gaps white;
    the tile pixels are the colour table applied to the stretched pattern."""
    import matplotlib

    from convviz_widgets.compute.maximize import MaximizeResult

    rng = np.random.default_rng(0)
    images = rng.random((3, 6, 5, 1)).astype(np.float32)
    res = MaximizeResult(images=images, activation=np.ones(3, np.float32),
                         history=np.zeros((1, 3), np.float32), objective=np.ones(3, np.float32),
                         layer="c", filters=np.arange(3), method="naive", steps=1, seed=0,
                         complete=np.ones(3, bool), from_cache=np.zeros(3, bool))
    fig = plotting.plot_maximize_gallery(res, colormap="viridis", labels=False)
    im = fig.axes[0].images[0]
    assert im.get_cmap().name.startswith("viridis")
    grid = np.asarray(im.get_array())
    tiles = plotting.stretch_patterns(images)
    np.testing.assert_allclose(grid[:6, :5], tiles[0])
    assert np.isnan(grid[:, 5]).all()  # the gap column, drawn white
    assert matplotlib.colors.to_hex(im.get_cmap().get_bad()) == "#ffffff"
    grey = plotting.plot_maximize_gallery(res, labels=False)  # default unchanged: grey
    assert grey.axes[0].images[0].get_cmap().name.startswith("gray")
