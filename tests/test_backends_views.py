"""Every view and the Explorer on Keras' JAX and PyTorch backends, without TensorFlow (issue 25).

Views only see numpy, so they must be built, driven and render without an error on every
backend.

The demo model and a small nested model (a backbone used as a layer, built and saved here on
TensorFlow as ``.keras``) are loaded in one subprocess per backend (the venvs of
``tests/test_backends.py``), where every view and the Explorer are built and driven through
public traits (``tests/_driver.py``); the subprocess reports what each one rendered and said. The
same report is made here on TensorFlow, and the kernels and activations drawn are compared.

Run as a script (``python tests/test_backends_views.py views DIR``) it is the subprocess side.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import keras
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
import numpy as np
import pytest

import convviz_widgets as cv
from convviz_widgets import plotting
from convviz_widgets.widgets import RasterView

from _driver import Driver
from backend_probes._venv import backend_python

ROOT = Path(__file__).resolve().parent.parent
BACKENDS = ("jax", "torch")
SIZE = 32

pytestmark = pytest.mark.backends

#: Every view; the first two are also compared pixel for pixel with TensorFlow's.
VIEWS = ("KernelViewer", "ActivationViewer", "ConvStepViewer", "FilterMaximizer", "GradCAMViewer",
         "DeepDreamViewer", "ChannelCard", "ChannelBrowser")
#: The Explorer's pages, as ``tests/_driver.py`` names them, and the view class of each.
PAGES = {"kernels": "KernelViewer", "activations": "ActivationViewer",
         "patterns": "FilterMaximizer", "gradcam": "GradCAMViewer", "card": "ChannelCard",
         "dream": "DeepDreamViewer"}
#: Loading a model on JAX runs every kernel's random initializer (then the saved weights
#: replace it): one XLA compile of JAX's threefry sampler per kernel shape, 2.5-7 s each at load
#: 12-15. XLA's lowest optimisation level compiles them 2-3x faster (the demo model loaded in
#: 11.0 s instead of 28.0 s, side by side at load 15); nothing here is timed, and the values
#: compared allow a float32 rounding apart.
FAST_XLA = "--xla_backend_optimization_level=0"


def _nested_model():
    """A backbone used as a layer: its layers are reached through the container.

    Its kernels have the demo model's shapes: loading a model on JAX runs each kernel's random
    initializer before the saved weights replace it, one XLA compile per new kernel shape
    (2.5-7 s each at load 12-15), so shapes the demo already has cost nothing more."""
    L = keras.layers
    backbone = keras.Sequential([
        keras.Input((SIZE, SIZE, 3)),
        L.Conv2D(16, 3, activation="relu", name="b_conv1"),
        L.Conv2D(32, 3, activation="relu", name="b_conv2"),
        L.MaxPooling2D(name="b_pool"),
        L.Conv2D(64, 3, activation="relu", name="b_conv3"),
    ], name="backbone")
    inp = keras.Input((SIZE, SIZE, 3))
    x = L.GlobalAveragePooling2D(name="gap")(backbone(inp))
    model = keras.Model(inp, L.Dense(5, activation="softmax", name="pred")(x), name="nested")
    rng = np.random.default_rng(3)
    model.set_weights([rng.normal(0.0, 0.3, tuple(w.shape)).astype(np.float32)
                       for w in model.weights])
    return model


def _images(model) -> np.ndarray:
    shape = tuple(model.inputs[0].shape[1:])
    return np.random.default_rng(5).random((2, *shape), dtype=np.float32)


def _drawn(view) -> dict:
    """What the rasters shown by ``view`` hold: per raster (in tree order), its pixel sum
    and its pixels' shape (a raster with no tiles counts 0)."""
    out = []
    for r in Driver(view).find(RasterView, shown_only=True):
        px = np.asarray(r.pixels)
        out.append([int(px.astype(np.int64).sum()) if px.size else 0, list(px.shape)])
    return out


def _pixels(view) -> list:
    return [np.asarray(r.pixels) for r in Driver(view).find(RasterView, shown_only=True)]


def _drive(view, layer: str | None) -> dict:
    """Drive ``view`` through its public traits as a user would, then say what it shows."""
    d = Driver(view)
    if layer is not None and getattr(view, "can_show", None) and view.can_show(layer):
        view.layer = layer
        if "filter_index" in view.trait_names():
            view.filter_index = 1
    d.wait(300)
    return {"status": d.status(), "drawn": _drawn(view)}


def report(models: dict, arrays: dict) -> dict:
    """Every view and the Explorer on each model: ``{model: {view: what it shows}}``."""
    out = {}
    for name, model in models.items():
        images = _images(model)
        convs = [i.path for i in cv.conv_layers(model, kind="kernel")]
        layer = convs[-1]
        got = {}
        for view_name in VIEWS:
            t = time.perf_counter()
            # A short pattern (the card's) and no background compile: what is drawn is asked,
            # not how good a pattern is.
            kwargs = {"KernelViewer": {}, "FilterMaximizer": {"prewarm": False},
                      "ChannelCard": {"data": images, "steps": 4},
                      "ChannelBrowser": {"data": images, "steps": 4}}.get(
                view_name, {"images": images})
            try:
                view = getattr(cv, view_name)(model, **kwargs)
            except Exception as exc:  # noqa: BLE001 - reported, and the test says which
                got[view_name] = {"built": False, "error": f"{type(exc).__name__}: {exc}"}
                continue
            shown = _drive(view, layer)
            got[view_name] = {"built": True, **shown, "seconds": time.perf_counter() - t}
            if view_name in ("KernelViewer", "ActivationViewer"):
                for i, px in enumerate(_pixels(view)):
                    arrays[f"{name}/{view_name}/{i}"] = px
        t = time.perf_counter()
        try:
            ex = cv.Explorer(model, images)
        except Exception as exc:  # noqa: BLE001 - reported
            got["Explorer"] = {"built": False, "error": f"{type(exc).__name__}: {exc}"}
        else:
            ex.layer, ex.filter_index = layer, 1
            pages = {}
            for i, page in enumerate(PAGES):
                ex.tabs.selected_index = i
                pages[page] = _drive(getattr(ex, page), None)
            got["Explorer"] = {"built": True, "pages": pages, "status": Driver(ex).status(),
                               "seconds": time.perf_counter() - t}
        out[name] = got
    return out


#: Figures and the site (plotting/ and publish/ only see numpy).
PLOTS = ("plot_activation_grid", "plot_channel", "plot_sparsity", "plot_filter_slices",
         "plot_kernel_matrix", "plot_rgb_filters", "plot_conv_arithmetic", "plot_gradcam",
         "publish")


def plots(model, folder: Path) -> dict:
    """Every figure of ``PLOTS`` for ``model`` (a nested model of ``SIZE``): how much each drew
    or the error it raised."""
    image = _images(model)[0]
    conv1, conv2 = [i.path for i in cv.conv_layers(model, kind="kernel")][:2]
    calls = {
        "plot_activation_grid": lambda: plotting.plot_activation_grid(model, image, conv2),
        "plot_channel": lambda: plotting.plot_channel(model, image, conv1, channel=2),
        "plot_sparsity": lambda: plotting.plot_sparsity(model, image[None]),
        "plot_filter_slices": lambda: plotting.plot_filter_slices(model, conv2, filter_index=0),
        "plot_kernel_matrix": lambda: plotting.plot_kernel_matrix(model, conv2),
        "plot_rgb_filters": lambda: plotting.plot_rgb_filters(model, conv1),
        "plot_conv_arithmetic": lambda: plotting.plot_conv_arithmetic(model, image, conv1, 1),
        "plot_gradcam": lambda: plotting.plot_gradcam(model, image),
        "publish": lambda: cv.publish(model, _images(model), folder / "site", layers=[conv1],
                                      k=2, steps=2, cam_images=1),
    }
    out = {}
    for name, call in calls.items():
        try:
            fig = call()
        except Exception as exc:  # noqa: BLE001 - reported, and the test says which
            out[name] = {"error": f"{type(exc).__name__}: {exc}"}
            continue
        drawn = None
        if isinstance(fig, Figure):  # its share of pixels that are not the white page
            canvas = FigureCanvasAgg(fig)
            canvas.draw()
            rgb = np.asarray(canvas.buffer_rgba())[..., :3]
            drawn = float((rgb < 250).any(axis=-1).mean())
        out[name] = {"drawn": drawn, "error": None}
    return out


def _demo_model():
    """The bundled demo model, as ``cv.Explorer()`` loads it."""
    return keras.saving.load_model(ROOT / "convviz_widgets" / "data" / "demo_model.keras")


def _views_dir(folder: Path) -> None:
    """The subprocess side: every view on the demo model and on the saved nested model."""
    t = time.perf_counter()
    models = {"demo": _demo_model(), "nested": keras.saving.load_model(folder / "nested.keras")}
    loaded = time.perf_counter() - t
    arrays: dict = {}
    got = report(models, arrays)
    drawn = plots(models["nested"], folder)
    t = time.perf_counter()
    cv.Explorer()  # the done-means: the demo Explorer with no argument
    bare = time.perf_counter() - t
    backend = keras.backend.backend()
    np.savez(folder / f"views.{backend}.npz", **arrays)
    (folder / f"views.{backend}.json").write_text(json.dumps({
        "backend": backend, "views": got, "plots": drawn, "seconds_loading": loaded,
        "seconds_bare_explorer": bare,
        "tensorflow_imported": "tensorflow" in sys.modules}))


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    """The nested model saved once, and the TensorFlow report of both models."""
    folder = tmp_path_factory.mktemp("views")
    _nested_model().save(folder / "nested.keras")
    arrays: dict = {}
    models = {"demo": _demo_model(), "nested": keras.saving.load_model(folder / "nested.keras")}
    return folder, report(models, arrays), arrays


@pytest.fixture(scope="module", params=BACKENDS)
def other(request, saved):
    folder = saved[0]
    exe = backend_python(request.param)
    env = {**os.environ, "KERAS_BACKEND": request.param, "PYTHONPATH": str(ROOT),
           "CUDA_VISIBLE_DEVICES": "",
           "XLA_FLAGS": f"{os.environ.get('XLA_FLAGS', '')} {FAST_XLA}".strip()}
    run = subprocess.run([exe, __file__, "views", str(folder)], env=env, capture_output=True,
                         text=True, timeout=900)
    assert run.returncode == 0, run.stderr[-4000:]
    got = json.loads((folder / f"views.{request.param}.json").read_text())
    return request.param, got, dict(np.load(folder / f"views.{request.param}.npz"))


def _expect(shown: dict, where: str) -> None:
    """The view shows no error."""
    assert "⚠" not in shown["status"], f"{where}: {shown['status']!r}"


def test_no_tensorflow_and_every_view_is_built(other):
    backend, got, _ = other
    assert got["backend"] == backend
    assert got["tensorflow_imported"] is False
    for model, views in got["views"].items():
        for name, shown in views.items():
            assert shown["built"], f"{backend} {model} {name}: {shown.get('error')}"


@pytest.mark.parametrize("view", VIEWS)
def test_each_view_renders(other, view):
    backend, got, _ = other
    for model, views in got["views"].items():
        shown = views[view]
        _expect(shown, f"{backend} {model} {view}")
        if view in ("KernelViewer", "ActivationViewer"):  # it draws, and not a blank
            assert shown["drawn"] and all(s > 0 for s, _ in shown["drawn"]), \
                f"{backend} {model} {view}: {shown['drawn']}"


def test_the_explorer_shows_every_page(other):
    backend, got, _ = other
    for model, views in got["views"].items():
        ex = views["Explorer"]
        assert ex["built"], f"{backend} {model}: {ex.get('error')}"
        for page, view in PAGES.items():
            shown = ex["pages"][page]
            _expect(shown, f"{backend} {model} Explorer.{page} ({view})")
        for page in ("kernels", "activations"):
            drawn = ex["pages"][page]["drawn"]
            assert drawn and all(s > 0 for s, _ in drawn), f"{backend} {model} {page}: {drawn}"


@pytest.mark.parametrize("name", PLOTS)
def test_each_figure_draws(other, name):
    backend, got, _ = other
    shown = got["plots"][name]
    assert shown["error"] is None, f"{backend} {name}: {shown['error']}"
    if name != "publish":
        assert shown["drawn"] > 0, f"{backend} {name}: nothing drawn"


def test_kernels_and_activations_draw_the_same_pixels(other, saved):
    """The same model's kernels drawn exactly alike; activation tiles alike up to one colour
    step (the maps agree within 1e-4 of their largest value, tests/backend_probes/access.py,
    so a value on a colour-step boundary may land one step over)."""
    backend, _, got = other
    _, _, ref = saved
    assert sorted(got) == sorted(ref) and ref
    for key, want in ref.items():
        have = got[key]
        assert have.shape == want.shape, key
        if "/KernelViewer/" in key:
            np.testing.assert_array_equal(have, want, err_msg=f"{backend} {key}")
        else:
            diff = np.abs(have.astype(np.int16) - want.astype(np.int16))
            assert diff.max() <= 1 and (diff > 0).mean() < 0.01, f"{backend} {key}"


def test_the_same_views_render_on_tensorflow(saved):
    """The reference side: every view renders here, without an error."""
    _, ref, _ = saved
    for model, views in ref.items():
        for name, shown in views.items():
            assert shown["built"], f"{model} {name}: {shown.get('error')}"
            if name != "Explorer":
                assert "⚠" not in shown["status"], f"{model} {name}: {shown['status']!r}"


if __name__ == "__main__":
    if sys.argv[1:2] != ["views"] or len(sys.argv) != 3:
        sys.exit("usage: python tests/test_backends_views.py views FOLDER")
    _views_dir(Path(sys.argv[2]))
