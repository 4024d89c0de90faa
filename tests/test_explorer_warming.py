"""The Explorer's heavy pages warm in the background once it is drawn: computed, not drawn."""

import importlib
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
