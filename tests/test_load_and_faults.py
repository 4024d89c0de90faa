"""Load and faults: storms of expensive requests are coalesced (no backlog), Cancel leaves the
widgets usable and the caches consistent, exceptions in worker threads are shown, and a script
that ends while a worker is busy exits cleanly.

The storms are made deterministic with a *gate*: the first computation waits on an event while
the storm is fired, so every later request arrives while one is running — exactly the
situation of a user dragging a control through Score-CAM classes or pressing Run repeatedly.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading
import time

import numpy as np
import pytest

import convviz_widgets as cv
import convviz_widgets.compute.cam as cam
from convviz_widgets.compute import access
from convviz_widgets.compute.cam import CAMCancelled
from convviz_widgets.widgets._filter_maximizer import FilterMaximizer
from convviz_widgets.widgets._gradcam_viewer import GradCAMViewer

from _driver import Driver
from conftest import make_functional, make_sequential, random_images

# ``convviz_widgets.compute.maximize`` the attribute is the function; the module is this one.
maximize_mod = sys.modules["convviz_widgets.compute.maximize"]
fm_runs = sys.modules["convviz_widgets.widgets._maximizer_runs"]


def ctl(view, role):
    """The control with CSS role ``role`` (what the browser tests find it by)."""
    return Driver(view).control(role)


# --------------------------------------------------------------------- Grad-CAM viewer storms
@pytest.fixture(scope="module")
def seq():
    return make_sequential()


def _gated_scorecam(monkeypatch, gate):
    """Patch ``cam.gradcam`` so the first Score-CAM waits on ``gate``; count real runs.

    Returns the list of targets the patched function was called with and an event set when
    the first call is waiting on the gate."""
    reached = threading.Event()
    real = cam.gradcam
    calls = []

    def gated(model, image, **kw):
        if kw.get("method") == "scorecam":
            calls.append(kw.get("target"))
            if len(calls) == 1:
                reached.set()
                assert gate.wait(20)
            if kw["cancel"].is_set():
                raise CAMCancelled("superseded")
        return real(model, image, **kw)

    monkeypatch.setattr(cam, "gradcam", gated)
    return calls, reached


def test_scorecam_class_storm_computes_only_the_newest(seq, monkeypatch):
    viewer = GradCAMViewer(seq, random_images(seq, 3, seed=5), class_names=list("abcd"))
    gate = threading.Event()
    calls, reached = _gated_scorecam(monkeypatch, gate)
    viewer.method = "scorecam"
    assert reached.wait(20)
    for k in range(60):  # 60 clicks on the class menu while the first map is computing
        ctl(viewer, "convviz-target").value = k % 4
    assert viewer.busy
    gate.set()
    assert viewer.wait(30)
    # The first (gated) request and the last: the 59 in between were never started.
    assert calls == [None, 59 % 4], calls
    assert viewer.worker_stats == {"submitted": 61, "started": 2, "dropped": 59, "failed": 0}
    assert viewer.result.method == "scorecam" and viewer.result.target == 59 % 4
    assert viewer.target == 59 % 4 == ctl(viewer, "convviz-target").value and not viewer.busy
    assert ctl(viewer, "convviz-progress").layout.visibility == "hidden"
    direct = cv.gradcam(seq, viewer.images[0], target=59 % 4, method="scorecam")
    np.testing.assert_allclose(viewer.result.heatmap, direct.heatmap, atol=1e-6)


def test_a_quick_change_supersedes_a_running_scorecam(seq, monkeypatch):
    """Switching back to Grad-CAM while Score-CAM runs: the old job must not draw afterwards
    nor put the method menu back."""
    viewer = GradCAMViewer(seq, random_images(seq, 3, seed=6))
    gate = threading.Event()
    calls, reached = _gated_scorecam(monkeypatch, gate)
    viewer.method = "scorecam"
    assert reached.wait(20)
    viewer.method = "gradcam++"  # synchronous
    shown = viewer.overlay.heatmap
    assert viewer.result.method == "gradcam++"
    gate.set()
    assert viewer.wait(30) and not viewer.busy
    assert calls == [None]
    assert viewer.method == "gradcam++" == ctl(viewer, "convviz-gradcam-method").value
    assert viewer.overlay.heatmap == shown and viewer.result.method == "gradcam++"
    assert "Cancelled" not in Driver(viewer).status()


def test_failure_after_a_storm_restores_what_the_view_shows(seq, monkeypatch):
    """Several changes wait behind a request that fails: every control goes back to the state
    the picture shows, not only the last changed one."""
    viewer = GradCAMViewer(seq, random_images(seq, 3, seed=7), class_names=list("abcd"))
    shown = (viewer.method, viewer.target, viewer.image_index)
    before = viewer.overlay.heatmap
    real = cam.gradcam
    gate, reached = threading.Event(), threading.Event()

    def failing(model, image, **kw):
        if kw.get("method") == "scorecam":
            if not reached.is_set():
                reached.set()
                gate.wait(20)  # the storm arrives while the first request runs
            raise ValueError("masked pass exploded")
        return real(model, image, **kw)

    monkeypatch.setattr(cam, "gradcam", failing)
    viewer.method = "scorecam"
    assert reached.wait(20)
    viewer.target = 2
    ctl(viewer, "convviz-target").value = 3
    gate.set()
    assert viewer.wait(30)
    assert "masked pass exploded" in Driver(viewer).status()
    assert (viewer.method, viewer.target, viewer.image_index) == shown
    assert ctl(viewer, "convviz-gradcam-method").value == shown[0]
    assert viewer.overlay.heatmap == before
    monkeypatch.setattr(cam, "gradcam", real)
    viewer.method = "scorecam"  # the next valid action works
    assert viewer.wait(30) and viewer.result.method == "scorecam"


def test_a_job_failing_at_once_still_shows_its_error(seq, monkeypatch):
    """Found by the browser test: a Score-CAM that failed before its job was submitted had
    its error overwritten by the "computing…" note set after submitting."""
    viewer = GradCAMViewer(seq, random_images(seq, 2, seed=15))
    real = cam.gradcam

    def failing(model, image, **kw):
        if kw.get("method") == "scorecam":
            raise RuntimeError("failed at once")
        return real(model, image, **kw)

    monkeypatch.setattr(cam, "gradcam", failing)
    runner = viewer.jobs.runners["cam"]
    start = runner.start

    def start_and_finish(work, **kw):  # the worker is faster than the kernel's main thread
        done = threading.Event()

        def job(j):
            try:
                return work(j)
            finally:
                done.set()

        started = start(job, **kw)
        assert done.wait(10)
        return started

    monkeypatch.setattr(runner, "start", start_and_finish)
    viewer.method = "scorecam"
    assert viewer.wait(10)
    assert "failed at once" in Driver(viewer).status() and viewer.method == "gradcam"
    assert not viewer.busy and ctl(viewer, "convviz-progress").layout.visibility == "hidden"


def test_gallery_error_in_the_worker_is_shown(seq, monkeypatch):
    viewer = GradCAMViewer(seq, random_images(seq, 4, seed=8), labels=[0, 1, 2, 3])

    def broken(*a, **k):
        raise RuntimeError("ranking failed on image 3")

    monkeypatch.setattr(cam, "rank_predictions", broken)
    viewer.find_best_and_worst(wait=True)
    status = Driver(viewer).status()
    assert "ranking failed on image 3" in status and "⚠" in status
    assert not viewer.busy and viewer.gallery is None
    monkeypatch.undo()
    viewer.find_best_and_worst(wait=True)
    assert viewer.gallery is not None and "⚠" not in Driver(viewer).status()


# --------------------------------------------------------------- cancel and cache consistency
def test_cancelled_scorecam_leaves_the_cache_consistent(models):
    model = models["nested"]
    image = random_images(model, 1, seed=9)[0]
    cache = access(model).cache
    cache.clear()
    with pytest.raises(CAMCancelled):
        cam.gradcam(model, image, method="scorecam", batch_size=2,
                    on_step=lambda done, total: done < 2)
    keys = list(cache._items)
    assert not any(k[0] == "cam_masked" for k in keys if isinstance(k, tuple)), keys
    assert cache.nbytes == sum(size for _, size in cache._items.values())
    after = cam.gradcam(model, image, method="scorecam", batch_size=2)
    clean = cam.gradcam(model, image, method="scorecam", batch_size=2, cache=False)
    np.testing.assert_allclose(after.heatmap, clean.heatmap, atol=1e-6)
    np.testing.assert_allclose(after.weights, clean.weights, atol=1e-6)


def test_cancel_in_the_viewer_then_scorecam_again_matches_a_clean_run(seq, monkeypatch):
    viewer = GradCAMViewer(seq, random_images(seq, 2, seed=10))
    started = threading.Event()
    real = cam.gradcam

    def slow(model, image, **kw):
        if kw.get("method") == "scorecam":
            def step(done, total, on_step=kw["on_step"]):
                started.set()
                time.sleep(0.05)
                return on_step(done, total)
            kw = dict(kw, on_step=step, batch_size=1)
        return real(model, image, **kw)

    monkeypatch.setattr(cam, "gradcam", slow)
    viewer.method = "scorecam"
    assert started.wait(20)
    viewer.cancel()
    assert viewer.wait(20) and viewer.method == "gradcam" and "Cancelled" in Driver(viewer).status()
    monkeypatch.setattr(cam, "gradcam", real)
    viewer.method = "scorecam"
    assert viewer.wait(30)
    clean = cam.gradcam(seq, viewer.images[0], method="scorecam", cache=False)
    np.testing.assert_allclose(viewer.result.heatmap, clean.heatmap, atol=1e-6)


# ----------------------------------------------------------------- filter maximizer storms
@pytest.fixture
def func():
    return make_functional()


def _gated_maximize(monkeypatch, gate):
    real = maximize_mod.maximize
    calls = []
    reached = threading.Event()

    def gated(model, layer, filters, **kw):
        if kw.get("cached_only"):  # the widget's cache lookup: computes nothing
            return real(model, layer, filters, **kw)
        calls.append(list(np.asarray(filters).tolist()))
        if len(calls) == 1:
            reached.set()
            assert gate.wait(20)
        return real(model, layer, filters, **kw)

    # The view's runs call maximize as imported into their module.
    monkeypatch.setattr(fm_runs, "maximize", gated)
    return calls, reached


def test_run_storm_optimises_only_the_first_and_the_last(func, monkeypatch):
    fm = FilterMaximizer(func, layer="last_conv", steps=20, prewarm=False)
    gate = threading.Event()
    calls, reached = _gated_maximize(monkeypatch, gate)
    fm.run()
    assert reached.wait(20)
    for k in range(1, 30):  # a user pressing Run on filter after filter, faster than they finish
        fm.filter_index = k % 7
        fm.run()
    assert fm.running
    gate.set()
    assert fm.wait(60)
    assert calls == [[0], [29 % 7]], calls
    assert fm.worker_stats == {"submitted": 30, "started": 2, "dropped": 28, "failed": 0}
    assert not fm.running and fm.result.filters.tolist() == [29 % 7]
    assert fm.result.complete.all() and not fm.result.cancelled
    assert fm.run_panel.outcome == "success" and "mean activation" in fm.pattern.caption


def test_cancel_with_a_run_waiting_leaves_the_widget_usable(func, monkeypatch):
    fm = FilterMaximizer(func, layer="last_conv", steps=20, prewarm=False)
    gate = threading.Event()
    calls, reached = _gated_maximize(monkeypatch, gate)
    fm.run()
    assert reached.wait(20)
    fm.filter_index = 3
    fm.run()  # waits behind the first
    fm.cancel()
    gate.set()
    assert fm.wait(60)
    assert calls == [[0]] and not fm.running
    assert "cancelled" in fm.run_panel.message and fm.run_panel.outcome == "warning"
    fm.run()  # the next Run works
    assert fm.wait(60) and fm.result.filters.tolist() == [3] and fm.result.complete.all()


def test_cancelled_maximization_leaves_the_cache_consistent(func):
    fm = FilterMaximizer(func, layer="last_conv", steps=400, prewarm=False, frame_interval=0.0)
    fm.mode = "gallery"
    fm.gallery_range = (0, 3)
    fm.run()
    deadline = time.monotonic() + 30
    while fm.frames_shown < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    fm.cancel()
    assert fm.wait(30) and fm.result.cancelled
    # Nothing half-optimised was cached: a later run computes every filter and matches a run
    # that never saw the cache.
    fm.steps = 30
    fm.run()
    assert fm.wait(60) and not fm.result.from_cache.any()
    clean = cv.maximize(func, "last_conv", [0, 1, 2, 3], steps=30, cache=False)
    np.testing.assert_allclose(fm.result.images, clean.images, atol=1e-5)


def test_layer_storm_prewarms_only_the_newest_layer(func, monkeypatch):
    gate = threading.Event()
    calls, reached = _gated_maximize(monkeypatch, gate)
    fm = FilterMaximizer(func, layer="stem", steps=10)
    assert reached.wait(20)
    d = Driver(fm)
    layers = d.options("convviz-layer")
    for k in range(20):
        d.set("convviz-layer", layers[k % len(layers)])
    gate.set()
    assert fm.wait_warmup(60)
    # the constructor's warm-up (gated) and the last layer's; the others were dropped
    assert len(calls) == 2 and fm.warmup_stats["started"] == 2
    assert fm.layer == layers[19 % len(layers)]


# ------------------------------------------------------------------------ clean interpreter exit
def test_a_script_ending_while_workers_compute_exits_cleanly():
    """A daemon thread inside TensorFlow at interpreter exit used to abort the process
    (exit 134, "terminate called ... exception not rethrown")."""
    code = textwrap.dedent("""
        import sys
        sys.path.insert(0, "tests")
        from conftest import make_functional
        from convviz_widgets.widgets._filter_maximizer import FilterMaximizer
        fm = FilterMaximizer(make_functional(), layer="last_conv", steps=100000)
        fm.mode = "gallery"
        fm.run()
        import time; time.sleep(1.0)
        print("leaving while running:", fm.running)
    """)
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "leaving while running: True" in proc.stdout


# ----------------------------------------------------------------------------- explorer storm
def test_explorer_storm_ends_in_one_consistent_state(models):
    """100 rapid changes of the shared layer menu and filter slider: every view ends on the
    final layer and filter, the views show that state, and the background compile of the
    pattern view is not queued once per change."""
    from convviz_widgets.widgets._explorer import Explorer

    model = models["functional"]
    ex = Explorer(model, random_images(model, 2, seed=11), class_names=["a", "b", "c"])
    d = Driver(ex)
    layers = d.options("convviz-layer")
    for k in range(60):
        d.set("convviz-layer", layers[k % len(layers)])
    final = layers[59 % len(layers)]
    for k in range(40):
        d.set("convviz-channel", k % (d.top("convviz-channel") + 1))
    f = 39 % (d.top("convviz-channel") + 1)
    assert ex.layer == final and ex.filter_index == f
    for view in (ex.activations, ex.patterns):
        assert view.layer == final and view.filter_index == f
    assert ex.patterns.wait_warmup(60)
    stats = ex.patterns.warmup_stats
    # Not one compile per change: 60 layer changes start far fewer compiles. How many of the
    # submitted ones are superseded before they start depends on the machine's speed, so the
    # bound is on the changes, not on the submissions.
    assert stats["started"] <= stats["submitted"] and stats["started"] < 60 // 2
    expected = cv.activations(model, ex.activations.images[0], final)[final][0, ..., f]
    np.testing.assert_allclose(ex.activations.channel, expected, atol=1e-6)
    # The Grad-CAM page computed nothing while hidden; shown, it explains the final state.
    assert ex.gradcam.result is None
    ex.tabs.selected_index = ex.tabs.titles.index("Grad-CAM")
    assert ex.gradcam.wait(30) and ex.gradcam.result.layer == ex.gradcam.layer


# --------------------------------------------------------------------------- retracing noise
def test_switching_layers_prints_no_retracing_warning(models):
    """Each layer gets its own compiled function, traced once. TensorFlow counts traces per
    code object, so without care the per-layer closures looked like one function retracing
    and notebooks printed "... triggered tf.function retracing" after a few layers."""
    import logging

    import tensorflow as tf

    messages = []

    class Keep(logging.Handler):
        def emit(self, record):
            messages.append(record.getMessage())

    handler = Keep()
    tf.get_logger().addHandler(handler)
    try:
        model = models["nested"]
        image = random_images(model, 1, seed=12)[0]
        batch = random_images(model, 6, seed=13)
        paths = [i.path for i in cv.conv_layers(model, kind="spatial") if not i.is_container]
        for p in paths:
            cv.gradcam(model, image, layer=p)
            cv.activations(model, batch, p)
        for p in [i.path for i in cv.conv_layers(model) if i.has_kernel][:4]:
            cv.maximize(model, p, [0, 1], steps=2, cache=False)
    finally:
        tf.get_logger().removeHandler(handler)
    assert not [m for m in messages if "retracing" in m], messages


# ------------------------------------------------------------------- per-image state is bounded
def test_activation_viewer_keeps_a_bounded_number_of_images_as_fed(models):
    """Found with tracemalloc while switching through 100 VGG16 images: the viewer kept a
    model-input copy of every image it had shown (0.6 MB each at 224², never freed)."""
    from convviz_widgets.widgets._activation_frame import KEEP_FED, KEEP_FRAMES
    from convviz_widgets.widgets._activation_viewer import ActivationViewer

    model = models["functional"]
    images = random_images(model, 30, seed=14)
    viewer = ActivationViewer(model, images)
    first = viewer.channel.copy()
    for k in range(30):
        Driver(viewer).set("convviz-image", k)
    assert len(viewer.frames.fed) <= KEEP_FED and len(viewer.frames.frames) <= KEEP_FRAMES == 6
    Driver(viewer).set("convviz-image", 0)  # long evicted: shown again, the same as the first time
    np.testing.assert_array_equal(viewer.channel, first)
