"""FilterMaximizer without a browser: traits, the worker thread, streamed frames, cancel,
the cache, errors shown inside the widget, PNG export."""

import io
import threading
import time

import numpy as np
import pytest
import traitlets
from PIL import Image

import ipywidgets as w

from convviz_widgets.compute import access
from convviz_widgets.compute.progress import Progress
from convviz_widgets.widgets import _maximizer_runs
from convviz_widgets.widgets._filter_maximizer import (FilterMaximizer, display_pixels,
                                                      grid_image)

from _driver import Driver
from conftest import make_functional


@pytest.fixture
def model():
    # A fresh model per test: results cached by one test must not make another one instant.
    return make_functional()


def spy_steps(monkeypatch, before_step=None) -> list:
    """Record every optimisation step a view's Run reports (through the one progress protocol
    maximize talks to), optionally calling ``before_step()`` first; returns the step list."""
    steps = []
    real = _maximizer_runs.maximize

    class Spy(Progress):
        def __init__(self, inner):
            self.inner = inner

        def on_step(self, done, total):
            if before_step is not None:
                before_step()
            steps.append(done)
            return self.inner.on_step(done, total)

        def on_frame(self, *args):
            self.inner.on_frame(*args)

    def maximize(*args, on_step=None, **kwargs):
        return real(*args, on_step=None if on_step is None else Spy(on_step), **kwargs)

    monkeypatch.setattr(_maximizer_runs, "maximize", maximize)
    return steps


def links(view) -> list:
    """The download links the view shows."""
    return [x.value for x in Driver(view).find(w.HTML) if "download=" in x.value]


def run_and_wait(fm, timeout=60):
    fm.run()
    assert fm.wait(timeout), "the run did not finish"
    assert not fm.running


def test_controls_and_traits(model):
    fm = FilterMaximizer(model, prewarm=False)
    d = Driver(fm)
    paths = d.options("convviz-layer")
    assert sorted(paths) == ["last_conv", "shared", "side", "stem"]  # convolution layers only
    channels = {"stem": 5, "shared": 5, "side": 5, "last_conv": 7}
    assert fm.layer in paths and d.control("convviz-channel").max == channels[fm.layer] - 1
    assert fm.steps == 256 and fm.method == "regularized"
    assert d.control("size").disabled and fm.size == 40  # fixed-size model: its own size
    fm.method = "naive"
    assert fm.steps == 40 and d.control("steps").value == 40
    fm.layer = "last_conv"
    assert d.control("convviz-channel").max == 6 and fm.gallery_range == (0, 6)
    with pytest.raises(traitlets.TraitError, match="out of range"):
        fm.filter_index = 7
    with pytest.raises(traitlets.TraitError, match="fixed input size"):
        fm.size = 64
    with pytest.raises(traitlets.TraitError, match="Unknown method"):
        fm.method = "magic"
    with pytest.raises(traitlets.TraitError, match="range of filters"):
        fm.gallery_range = (3, 9)
    # A control change that fails is shown in the widget and the control is reset.
    slider = d.control("convviz-channel")
    slider.max = 10
    slider.value = 9
    assert "out of range" in d.status() and slider.value == fm.filter_index


def test_single_filter_run_streams_frames(model):
    fm = FilterMaximizer(model, layer="last_conv", filter_index=4, steps=30, prewarm=False,
                         frame_interval=0.0)
    seen = []
    fm.pattern.observe(lambda ch: seen.append(ch["new"]), "tiles")
    run_and_wait(fm)
    assert fm.error == ""
    assert fm.frames_shown >= 30 and np.isfinite(fm.first_frame_seconds)
    assert len({bytes(d) for d in seen}) > 10  # the picture changed while it ran
    assert fm.pattern.shape == [1, 40, 56, 3]
    assert fm.result.filters.tolist() == [4] and fm.progress == 1.0
    assert "1 filter in" in fm.run_panel.message
    assert Driver(fm).control("convviz-run").disabled is False


def test_gallery_run_frames_arrive_while_the_notebook_stays_responsive(model, monkeypatch):
    fm = FilterMaximizer(model, layer="last_conv", steps=60, prewarm=False, frame_interval=0.0)
    fm.mode = "gallery"
    progress = []
    fm.observe(lambda ch: progress.append(ch["new"]), "progress")
    # The worker's first step waits until run() has returned: if run() blocked until the run
    # was over, the step would find the gate still closed (behaviour, not a time bound).
    gate, gate_was_open = threading.Event(), []

    def gated():
        if not gate_was_open:
            gate_was_open.append(gate.wait(30))

    spy_steps(monkeypatch, gated)
    fm.run()
    returned_while_running = fm.running and fm.result is None
    gate.set()
    # The main thread is free while the worker runs: traits can change, Python runs.
    fm.stretch = False
    fm.stretch = True
    assert returned_while_running
    assert fm.wait(60)
    assert fm.gallery.shape == [7, 40, 56, 3]
    assert fm.frames_shown > 5 and progress == sorted(progress) and progress[-1] == 1.0
    assert fm.result.activation.shape == (7,)
    # Selecting a filter shows its pattern at once (from the gallery's result).
    fm.filter_index = 3
    assert "filter 3" in fm.pattern.title and fm.gallery.selected == 3
    # Clicking a gallery tile selects that filter.
    # (what the browser's click message reaches: the widget's custom-message handlers)
    Driver(fm).click_tile(fm.gallery, 5, y=1, x=1)
    assert fm.filter_index == 5


def test_cancel_stops_within_a_step(model, monkeypatch):
    fm = FilterMaximizer(model, layer="last_conv", steps=100_000, prewarm=False)
    fm.mode = "gallery"
    # Count the optimisation steps the worker reports, and note how many had been reported
    # when Cancel was pressed: "within a step" is a count of steps, not a time bound.
    steps, at_cancel = spy_steps(monkeypatch), []
    fm.run()
    deadline = time.monotonic() + 30
    while fm.frames_shown < 3 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert fm.frames_shown >= 3
    at_cancel.append(len(steps))
    fm.cancel()
    assert fm.wait(30)
    assert fm.result.cancelled and not fm.result.complete.any()
    assert "cancelled" in fm.run_panel.message and fm.run_panel.outcome == "warning"
    # At most the step that was running when Cancel was pressed completes after it.
    assert len(steps) - at_cancel[0] <= 1, (at_cancel, len(steps))
    assert len(steps) < 100_000
    # The partial result is shown and honours the result contract.
    assert fm.gallery.shape[0] == 7 and not fm.running


def test_cached_rerun_is_instant_and_survives_a_new_widget(model, tmp_path, monkeypatch):
    fm = FilterMaximizer(model, layer="last_conv", steps=25, cache_dir=tmp_path, prewarm=False)
    fm.mode = "gallery"
    run_and_wait(fm)
    first = fm.result
    assert not first.from_cache.any()
    # The re-run is served from the cache: no optimisation step runs at all.
    steps = spy_steps(monkeypatch)
    run_and_wait(fm)
    assert steps == []
    assert fm.result.from_cache.all() and fm.frames_shown == 0
    np.testing.assert_array_equal(fm.result.images, first.images)
    # A new widget (and an emptied memory cache: as after a kernel restart) finds the disk.
    access(model).cache.clear()
    fm2 = FilterMaximizer(model, layer="last_conv", filter_index=2, steps=25, cache_dir=tmp_path,
                          prewarm=False)
    assert "mean activation" in fm2.pattern.caption  # shown without pressing Run
    fm2.mode = "gallery"
    run_and_wait(fm2)
    assert fm2.result.from_cache.all()


def test_errors_are_shown_inside_the_widget(model):
    fm = FilterMaximizer(model, layer="last_conv", steps=5, prewarm=False,
                         preprocess=lambda x: x[..., :1])
    run_and_wait(fm)
    assert "preprocess returned shape" in fm.error
    status = Driver(fm).status()
    assert "preprocess returned shape" in status and "⚠" in status
    assert fm.run_panel.outcome == "danger"
    fm.preprocess = None
    run_and_wait(fm)
    assert fm.error == "" and Driver(fm).status() == ""


def test_export_png(model):
    fm = FilterMaximizer(model, layer="last_conv", steps=5, prewarm=False)
    with pytest.raises(ValueError, match="press Run"):
        fm.gallery_png()
    fm.mode = "gallery"
    run_and_wait(fm)
    png = fm.gallery_png()
    img = Image.open(io.BytesIO(png))
    cols = 3  # 7 tiles of 40×56 -> about square
    assert img.size == (cols * 56 + (cols - 1) * 2, 3 * 40 + 2 * 2)
    Driver(fm).click("Export PNG")
    # The generic export of every view: named by model, layer and settings.
    assert len(links(fm)) == 1 and "func_last_conv_filter0" in links(fm)[0]


@pytest.mark.parametrize("style", ["nested", "subclassed", "grayscale"])
def test_other_model_styles(models, style):
    fm = FilterMaximizer(models[style], steps=4, prewarm=False)
    fm.mode = "gallery"
    fm.gallery_range = (0, 1)
    run_and_wait(fm)
    assert fm.error == "" and fm.gallery.shape[0] == 2
    assert fm.gallery.shape[-1] == (1 if style == "grayscale" else 3)


def test_prewarm_compiles_in_the_background(model):
    fm = FilterMaximizer(model, layer="last_conv", steps=10)
    # The compile runs in the background (a Run would cancel it): wait for it alone.
    assert fm.wait_warmup(30)
    # The Run reuses what the prewarm compiled: no new compiled function, no retrace.
    traced = _tracing_counts(model)
    run_and_wait(fm)
    assert fm.frames_shown > 0 and _tracing_counts(model) == traced


def _tracing_counts(model) -> dict:
    """How often each compiled function of the model was traced (key -> counts)."""
    counts = {}
    for key, fns in access(model)._fns.items():
        fns = fns if isinstance(fns, tuple) else (fns,)
        counts[key] = [f.experimental_get_tracing_count() for f in fns
                       if hasattr(f, "experimental_get_tracing_count")]
    return counts


def test_objective_menu(models):
    """Every objective from the menu: what reaches maximize, what the views show."""
    fm = FilterMaximizer(models["nested"], steps=4, prewarm=False)
    d = Driver(fm)
    assert d.options("convviz-objective") == ["channel", "neuron", "negative", "class",
                                              "diversity"]
    conv = fm.layer
    run_and_wait(fm)
    # channel: the lesson's recipe, untouched (maximize's default objective)
    assert fm.result.objective_name == "channel"
    # Class / Dense unit: the layer menu offers the output (its classes) and Dense layers.
    d.set("convviz-objective", "class")
    assert fm.objective == "class"
    assert d.options("convviz-layer") == ["dense_1", "flatten", "dense"]
    assert fm.layer == "dense_1" and d.control("convviz-channel").max == 1  # -z and z
    fm.filter_index = 1
    run_and_wait(fm)
    assert fm.error == "" and fm.result.layer == "<logits>" and "class 1" in fm.pattern.title
    assert d.control("convviz-channel").description == "class"
    assert "1 class in" in fm.run_panel.message
    fm.layer = "dense"
    assert d.control("convviz-channel").max == 7
    assert d.control("convviz-channel").description == "unit"
    fm.mode = "gallery"
    fm.gallery_range = (0, 2)
    run_and_wait(fm)
    assert fm.gallery.title == "dense: units 0–2" and "3 units" in fm.run_panel.message
    fm.mode = "filter"
    # Back to feature maps: the convolution layer chosen before comes back.
    fm.objective = "negative"
    assert fm.layer == conv and "dense" not in d.options("convviz-layer")
    run_and_wait(fm)
    assert fm.result.objective_name == "negative"
    # Neuron: a click on the pattern chooses the unit under that pixel.
    fm.objective = "neuron"
    centre = d.control("centre", w.Button)
    assert centre.layout.display is None and "centre" in d.text()
    d.click_tile(fm.pattern, 0, y=10, x=149)
    assert fm.neuron_position == (10, 149) and "(10, 149)" in d.text()
    run_and_wait(fm)
    assert fm.result.objective_name == "neuron"
    obj = fm.result.settings["objective"]
    assert obj.fraction and obj.x == pytest.approx(149.5 / 150)
    centre.click()
    assert fm.neuron_position is None
    with pytest.raises(traitlets.TraitError, match="outside"):
        fm.neuron_position = (200, 0)
    # Diversity: N patterns of the selected filter, shown as the gallery.
    fm.objective = "diversity"
    fm.n_patterns = 3
    assert d.control("patterns").layout.display is None
    assert d.control("gallery", w.IntRangeSlider).disabled
    run_and_wait(fm)
    assert fm.result.filters.tolist() == [fm.filter_index] * 3
    assert fm.gallery.shape[0] == 3 and "3 diverse patterns" in fm.gallery.title
    assert "3 patterns" in fm.run_panel.message
    with pytest.raises(traitlets.TraitError, match="2 to 16"):
        fm.n_patterns = 1


def test_class_objective_in_the_constructor_and_languages(models):
    fm = FilterMaximizer(models["subclassed"], objective="class", steps=3, prewarm=False,
                         lang="pt")
    d = Driver(fm)
    assert fm.layer == "head" and d.control("convviz-channel").max == 2
    assert d.control("convviz-objective").description == "objetivo"
    assert dict(d.control("convviz-objective").options)["classe / unidade densa"] == "class"
    run_and_wait(fm)
    assert fm.error == "" and "classe 0" in fm.pattern.title
    # A class run reports the unit's logit, not a "mean activation".
    assert "logit" in fm.run_panel.message and "ativação média" not in fm.run_panel.message
    assert fm.pattern.caption.startswith("logit ")


def test_display_helpers():
    grey = np.full((2, 3, 4, 3), 0.5, np.float32)
    assert np.all(display_pixels(grey) == 128)
    ramp = np.linspace(0.45, 0.55, 24, dtype=np.float32).reshape(1, 2, 4, 3)
    px = display_pixels(ramp).astype(np.float64)
    # The lesson's deprocess_image: centred on mid-grey, std 0.1 (25.5 levels), nothing clipped.
    assert abs(px.mean() - 127.5) < 1 and abs(px.std() - 25.5) < 1
    assert px.min() > 5 and px.max() < 250
    assert display_pixels(ramp, stretch=False).max() < 150
    assert display_pixels(np.zeros((1, 2, 2, 5), np.float32)).shape == (1, 2, 2, 3)
    assert display_pixels(np.zeros((1, 2, 2, 2), np.float32)).shape == (1, 2, 2, 1)
    assert grid_image(np.zeros((3, 2, 2, 1), np.uint8), 2, gap=1).shape == (5, 5, 1)
