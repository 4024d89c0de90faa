"""The Explorer's heavy pages warm in the background once it is drawn: computed, not drawn."""

import importlib
import threading
import types

import pytest
from IPython.core.events import EventManager, available_events

import convviz_widgets as cv
from convviz_widgets.i18n import tr
from convviz_widgets.widgets._explorer import Explorer

from _driver import render_counts
from conftest import random_images

# The module, not a name it exports: the tests stand in for IPython where it asks for it.
warming = importlib.import_module("convviz_widgets.widgets._warming")


def _show(ex, page):
    ex.tabs.selected_index = ex.tabs.titles.index(tr(page, ex.lang))


def _explorer(models, **kwargs):
    model = models["functional"]
    return Explorer(model, random_images(model, 2, seed=5), **kwargs)


def test_warmed_pages_are_computed_but_not_drawn_and_shown_from_the_cache(models):
    ex = _explorer(models)
    # Outside a notebook kernel nothing is drawn, so nothing warms by itself.
    assert not ex.warmer.warming and ex.warmer.warmed == []
    counts = render_counts(ex)
    cache = cv.compute.access(ex.model).cache
    ex.warmer.start()
    assert ex.warmer.wait(300)
    assert ex.warmer.warmed == ["grad_cam", "patterns"] and ex.warmer.errors == {}
    assert not ex.warmer.warming
    # Warming drew nothing: no render of any page, no Grad-CAM result shown.
    assert sum(counts.values()) == 0 and ex.gradcam.result is None
    assert ex.patterns.warmup_stats["started"] == 1
    # The first visit renders once, from what warming cached: the model does not run again.
    misses = cache.misses
    _show(ex, "page.grad_cam")
    assert counts["gradcam"] == 1 and ex.gradcam.result is not None
    assert cache.misses == misses
    # The Patterns page's step is compiled already: showing it starts no second compile.
    _show(ex, "page.patterns")
    assert ex.patterns.wait_warmup(60) and ex.patterns.warmup_stats["submitted"] == 1


def test_a_page_not_warmed_computes_when_shown(models):
    ex = _explorer(models)
    cache = cv.compute.access(ex.model).cache
    cv.clear_cache(ex.model)
    misses = cache.misses
    _show(ex, "page.grad_cam")
    # The counterpart of the test above: without warming, the visit runs the model.
    assert ex.gradcam.result is not None and cache.misses > misses


def test_cancelled_warming_starts_no_further_page_and_draws_nothing(models):
    ex = _explorer(models)
    counts = render_counts(ex)
    ex.warmer.start()
    ex.warmer.cancel()
    assert ex.warmer.wait(300) and not ex.warmer.warming
    assert "patterns" not in ex.warmer.warmed
    assert ex.patterns.warmup_stats["submitted"] == 0
    assert sum(counts.values()) == 0 and ex.gradcam.result is None
    # Started again, it warms what is left.
    ex.warmer.start()
    assert ex.warmer.wait(300) and ex.warmer.warmed[-1] == "patterns"


def test_a_page_shown_while_warming_renders_once(models):
    ex = _explorer(models)
    counts = render_counts(ex)
    ex.warmer.start()
    _show(ex, "page.grad_cam")  # waits for its own warming step, then draws once
    assert counts["gradcam"] == 1 and ex.gradcam.result is not None
    assert ex.warmer.wait(300)
    assert counts["gradcam"] == 1 and sum(counts.values()) == 1


@pytest.mark.parametrize("warm", [True, False])
def test_in_a_notebook_warming_starts_after_the_cell(models, monkeypatch, warm):
    events = EventManager(None, available_events)
    monkeypatch.setattr(warming, "get_ipython", lambda: types.SimpleNamespace(events=events))
    ex = _explorer(models, warm=warm)
    # The cell is still running: the Explorer is not drawn yet.
    assert not ex.warmer.warming and ex.warmer.warmed == []
    events.trigger("post_run_cell", None)
    assert ex.warmer.wait(300)
    assert ex.warmer.warmed == (["grad_cam", "patterns"] if warm else [])
    events.trigger("post_run_cell", None)  # once: a later cell starts nothing new
    assert ex.warmer.wait(300) and not ex.warmer.warming


def test_a_failing_step_is_kept_not_raised_and_the_next_page_still_warms():
    done = []

    def fails(job):
        raise RuntimeError("no map")

    warmer = warming.PageWarmer([("a", fails), ("b", lambda job: done.append("b"))])
    warmer.start()
    assert warmer.wait(60)
    assert warmer.warmed == ["b"] and done == ["b"]
    assert isinstance(warmer.errors["a"], RuntimeError)
    warmer.start()  # neither is tried again: the page reports its own error when shown
    assert warmer.wait(60) and done == ["b"]


# -- warming again after a layer change ----------------------------------------------------------

def _warmed(ex, delay: float = 0.05):
    """``ex`` with its pages warmed once, warming again ``delay`` s after a layer change."""
    ex.warmer.delay = delay
    ex.warmer.start()
    assert ex.warmer.wait(300) and ex.warmer.warmed == ["grad_cam", "patterns"]
    return ex


def test_after_a_layer_change_the_pages_are_warmed_again_for_the_layer(models):
    ex = _warmed(_explorer(models))
    counts = render_counts(ex)
    cache = cv.compute.access(ex.model).cache
    compiles, runs = ex.patterns.warmup_stats["submitted"], ex.warmer.stats["submitted"]
    ex.layer = "side"
    assert ex.warmer.warmed == []  # what was warm is the old layer's
    assert ex.warmer.wait(300) and ex.warmer.warmed == ["grad_cam", "patterns"]
    assert ex.warmer.stats["submitted"] == runs + 1 and ex.warmer.errors == {}
    assert ex.gradcam.layer == ex.patterns.layer == "side"
    assert ex.patterns.warmup_stats["submitted"] == compiles + 1  # the new layer's step
    # Only the visible page drew; the first visit of Grad-CAM draws once, from the cache.
    assert counts["kernels"] >= 1 and sum(counts.values()) == counts["kernels"]
    misses = cache.misses
    _show(ex, "page.grad_cam")
    assert counts["gradcam"] == 1 and ex.gradcam.result.layer == "side"
    assert cache.misses == misses
    _show(ex, "page.patterns")  # its step for "side" is compiled: no second compile
    assert ex.patterns.wait_warmup(60)
    assert ex.patterns.warmup_stats["submitted"] == compiles + 1


def test_layers_passed_on_the_way_are_not_warmed(models):
    # A user going down the layer menu: only the layer settled on is warmed (the delay is
    # only far longer than a layer change of the visible page on this tiny model).
    ex = _warmed(_explorer(models), delay=3.0)
    runs, compiles = ex.warmer.stats["submitted"], ex.patterns.warmup_stats["submitted"]
    for layer in ("side", "stem", "side", "last_conv"):
        ex.layer = layer
    assert ex.warmer.stats["submitted"] == runs  # nothing queued while moving
    assert ex.warmer.wait(300) and ex.warmer.warmed == ["grad_cam", "patterns"]
    assert ex.warmer.stats["submitted"] == runs + 1
    assert ex.patterns.warmup_stats["submitted"] == compiles + 1
    assert ex.patterns.layer == "last_conv"


def test_a_change_while_warming_warms_the_newest_layer(models):
    ex = _warmed(_explorer(models))
    ex.layer = "side"
    assert ex.warmer.wait(300)
    ex.layer = "last_conv"
    ex.layer = "side"  # the warming of "last_conv" (if it started) stops at its next step
    assert ex.warmer.wait(300) and ex.warmer.warmed == ["grad_cam", "patterns"]
    cache = cv.compute.access(ex.model).cache
    misses = cache.misses
    _show(ex, "page.grad_cam")
    assert ex.gradcam.result.layer == "side" and cache.misses == misses


@pytest.mark.parametrize("stop", ["visit", "cancel"])
def test_a_page_visit_or_cancel_stops_the_warming_after_a_change(models, stop):
    ex = _warmed(_explorer(models), delay=60.0)
    runs = ex.warmer.stats["submitted"]
    ex.layer = "side"
    if stop == "visit":
        _show(ex, "page.activations")  # it computes itself, now
    else:
        ex.warmer.cancel()
    assert ex.warmer.wait(30)  # no warming waits any more
    assert ex.warmer.stats["submitted"] == runs and ex.warmer.warmed == []
    # Started again, it warms the layer shown now.
    ex.warmer.start()
    assert ex.warmer.wait(300) and ex.warmer.warmed == ["grad_cam", "patterns"]


def test_no_warming_after_a_layer_change_with_warm_false(models):
    ex = _warmed(_explorer(models, warm=False))
    runs = ex.warmer.stats["submitted"]
    ex.layer = "side"
    assert ex.warmer.wait(30)
    assert ex.warmer.stats["submitted"] == runs and ex.warmer.warmed == []


def test_warming_after_a_change_waits_for_the_visible_pages_work():
    free, done = threading.Event(), []  # free: the visible page computes nothing
    warmer = warming.PageWarmer([("a", lambda job: done.append("a"))], idle=free.wait)
    warmer.delay = 0.01
    warmer.start()
    assert warmer.wait(60) and done == ["a"]
    warmer.changed()  # the visible page computes (free is not set)
    assert not warmer.wait(0.5) and done == ["a"]  # still waiting for it
    free.set()
    assert warmer.wait(60) and done == ["a", "a"] and warmer.warmed == ["a"]


def test_a_change_before_the_first_start_waits_for_it():
    done = []
    warmer = warming.PageWarmer([("a", lambda job: done.append("a"))])
    warmer.delay = 0.01
    warmer.changed()  # the cell that built the view is still running
    assert warmer.wait(5) and done == [] and warmer.stats["submitted"] == 0
