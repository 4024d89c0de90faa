"""plotting.plot_deepdream: before and after as the DeepDream view shows them, the score curve."""

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest

import convviz_widgets as cv
from convviz_widgets import plotting

from conftest import random_images, suptitle


@pytest.mark.parametrize("style", ["sequential", "grayscale"])
def test_before_after_and_history(models, style):
    model = models[style]
    images = random_images(model, 2)
    res = cv.deepdream(model, images, octaves=2, steps=3)
    fig = plotting.plot_deepdream(res, images, layers="x")
    axes = fig.axes
    assert len(axes) == 2 * 3  # two rows: before, after, score
    before, after = axes[0].images[0].get_array(), axes[1].images[0].get_array()
    c = res.images.shape[-1]
    want_after = res.images[0] if c == 3 else res.images[0, ..., 0]
    np.testing.assert_allclose(np.asarray(after), np.clip(want_after, 0, 1), atol=1e-6)
    np.testing.assert_allclose(np.asarray(before), np.squeeze(images[0]), atol=1e-6)
    line = axes[2].lines[0].get_ydata()
    np.testing.assert_allclose(line, res.history[:, 0])
    assert "score" in axes[1].get_title() and "octaves" in suptitle(fig)


def test_after_only_and_mismatched_images(models):
    model = models["functional"]
    images = random_images(model, 1)
    res = cv.deepdream(model, images, octaves=1, steps=2)
    fig = plotting.plot_deepdream(res, history=False, title="t")
    assert len(fig.axes) == 1 and suptitle(fig) == "t"
    with pytest.raises(ValueError, match="images given to deepdream"):
        plotting.plot_deepdream(res, random_images(model, 2))
