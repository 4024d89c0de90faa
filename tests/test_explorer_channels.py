"""The channel count is decided once per layer, in one place per view (issue 24): a filter-slider
move in the Explorer looks nothing up, and still renders only the visible page.

Lookups are counted by wrapping the public ``LayerViewer.count_channels`` (every view's one way
to the count), not through private attributes.
"""

import pytest

import convviz_widgets as cv
from convviz_widgets.widgets._base import LayerViewer
from convviz_widgets.widgets._explorer import Explorer
from convviz_widgets.i18n import tr

from _driver import Driver, render_counts
from conftest import random_images


@pytest.fixture
def lookups(monkeypatch):
    """``[(view class name, path), ...]``: every channel-count lookup from now on."""
    seen = []
    real = LayerViewer.count_channels

    def counted(self, path=None):
        seen.append((type(self).__name__, path))
        return real(self, path)

    monkeypatch.setattr(LayerViewer, "count_channels", counted)
    return seen


def test_a_slider_move_looks_the_channel_count_up_nowhere(models, lookups):
    model = models["functional"]
    ex = Explorer(model, random_images(model, 2, seed=3))
    ex.tabs.selected_index = ex.tabs.titles.index(tr("page.activations", ex.lang))
    slider = Driver(ex).control("convviz-channel", shown_only=True)
    counts = render_counts(ex)
    del lookups[:]
    slider.value = 2
    assert lookups == [] and ex.filter_index == 2
    assert counts == {"kernels": 0, "activations": 1, "patterns": 0, "gradcam": 0, "card": 0,
                      "dream": 0}
    # A layer change decides it once in the Explorer (for the slider and the Selection) and
    # once in each page that follows that layer — not once per trait that needs it.
    layers = [i.path for i in cv.conv_layers(model, kind="spatial") if i.has_kernel]
    del lookups[:]
    ex.layer = layers[-1]
    by_view = sorted(name for name, _ in lookups)
    assert by_view == sorted(["Explorer", "KernelViewer", "ActivationViewer",
                              "FilterMaximizer", "ChannelCard"]), lookups
    n = ex.selection.channels
    assert n == ex.channels == ex.activations.channels == ex.kernels.channels
    assert slider.max == n - 1
    # Further slider moves again look nothing up; a value past the count is still refused.
    del lookups[:]
    for k in (1, n - 1, 0):
        slider.value = k
        assert ex.filter_index == k and ex.activations.filter_index == k
    with pytest.raises(Exception, match=f"use 0 to {n - 1}"):
        ex.filter_index = n
    assert lookups == []


def test_the_maximizer_count_follows_its_objective(models):
    fm = cv.FilterMaximizer(models["subclassed"], steps=3, prewarm=False)
    filters = fm.channels
    assert filters == fm.count_channels()
    fm.objective = "class"  # counts the head's classes, not the layer's filters
    assert fm.layer == "head" and fm.channels == 3
    assert Driver(fm).control("convviz-channel").max == 2
    fm.objective = "channel"
    assert fm.channels == filters
