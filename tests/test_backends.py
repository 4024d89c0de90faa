"""One model, one set of weights, three Keras backends: the same layers, kernels, activations and
gradient of an output with respect to a feature map (Grad-CAM's gradient, through the seam).

Each model is built on TensorFlow (this process), given random weights, saved as ``.keras`` and
loaded again here and, in a subprocess per backend, under ``KERAS_BACKEND=jax`` and
``KERAS_BACKEND=torch`` with that backend's own Python (a venv without TensorFlow: issue 25).
Every process runs :func:`probe` on the loaded model; this test compares what they wrote.

Where the other Pythons are: ``CONVVIZ_JAX_PYTHON`` / ``CONVVIZ_TORCH_PYTHON``, else
``.venv-jax`` / ``.venv-torch`` at the repository root. A missing one skips locally and FAILS
under ``CI=true`` (CI must install them; see the stop notes for the lines ``.ci/run`` needs).

What is compared: the layer listing (exactly), then every area of compute in
``tests/backend_probes/`` (one module each, with its own tolerances and the reasons for them):
one test per model and area.

Run as a script (``python tests/test_backends.py probe DIR``) it is the subprocess side.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import keras
import numpy as np
import pytest

import convviz_widgets as cv
from convviz_widgets.compute import backend

import backend_probes  # tests/ is on the path: pytest puts it there, and so does running this file
from backend_probes._venv import backend_python

ROOT = Path(__file__).resolve().parent.parent
SIZE = 16
BACKENDS = ("jax", "torch")
MODELS = ("sequential", "functional", "nested", "subclassed", "sigmoid", "grayscale", "anysize")

pytestmark = pytest.mark.backends


@keras.saving.register_keras_serializable(package="convviz_backends")
class TwoBlocks(keras.Model):
    """A subclassed model: no symbolic graph, layers found as attributes."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.conv1 = keras.layers.Conv2D(6, 3, padding="same", activation="relu", name="conv1")
        self.pool = keras.layers.MaxPooling2D(name="pool")
        self.conv2 = keras.layers.Conv2D(8, 3, activation="relu", name="conv2")
        self.gap = keras.layers.GlobalAveragePooling2D(name="gap")
        self.head = keras.layers.Dense(3, activation="softmax", name="head")

    def call(self, x):
        return self.head(self.gap(self.conv2(self.pool(self.conv1(x)))))


def _models() -> dict:
    L = keras.layers
    seq = keras.Sequential([
        keras.Input((SIZE, SIZE, 3)),
        L.Conv2D(8, 3, activation="relu", name="c1"),
        L.BatchNormalization(name="bn"),
        L.MaxPooling2D(name="p1"),
        L.Conv2D(6, 3, padding="same", activation="relu", name="c2"),
        L.Flatten(name="flat"),
        L.Dense(4, activation="softmax", name="pred"),
    ], name="sequential")
    inp = keras.Input((SIZE, SIZE, 3))
    a = L.Conv2D(8, 3, padding="same", activation="relu", name="stem")(inp)
    b = L.DepthwiseConv2D(3, padding="same", depth_multiplier=2, name="dw")(a)
    c = L.SeparableConv2D(8, 3, padding="same", name="sep")(a)
    d = L.Conv2DTranspose(4, 3, strides=2, padding="same", name="up")(a)
    d = L.AveragePooling2D(2, name="down")(d)
    x = L.Concatenate(name="cat")([b, c, d])
    x = L.Activation("relu", name="relu")(x)
    x = L.GlobalAveragePooling2D(name="gap")(x)
    functional = keras.Model(inp, L.Dense(5, name="logits")(x), name="functional")
    backbone = keras.Sequential([
        keras.Input((SIZE, SIZE, 3)),
        L.Conv2D(4, 3, activation="relu", name="b_conv1"),
        L.Conv2D(6, 3, activation="relu", name="b_conv2"),
        L.MaxPooling2D(name="b_pool"),
    ], name="backbone")
    inp = keras.Input((SIZE, SIZE, 3))
    x = L.GlobalAveragePooling2D(name="gap")(backbone(inp))
    nested = keras.Model(inp, L.Dense(3, activation="softmax", name="pred")(x), name="nested")
    sub = TwoBlocks(name="subclassed")
    sub(np.zeros((1, SIZE, SIZE, 3), np.float32))
    inp = keras.Input((SIZE, SIZE, 3))
    x = L.Conv2D(4, 3, activation="relu", name="conv")(inp)
    x = L.GlobalAveragePooling2D(name="gap")(x)
    sigmoid = keras.Model(inp, L.Dense(1, activation="sigmoid", name="unit")(x), name="sigmoid")
    gray = keras.Sequential([
        keras.Input((SIZE, SIZE, 1)),
        L.Conv2D(4, 5, activation="relu", name="g1"),
        L.MaxPooling2D(name="gp"),
        L.Conv2D(4, 3, activation="relu", name="g2"),
        L.GlobalAveragePooling2D(name="gap"),
        L.Dense(2, activation="softmax", name="pred"),
    ], name="grayscale")
    # Any input size: JAX and PyTorch trace with concrete sizes (compute/_trace.py).
    inp = keras.Input((None, None, 3))
    x = L.Conv2D(4, 3, activation="relu", name="a1")(inp)
    x = L.MaxPooling2D(name="ap")(x)
    x = L.Conv2D(5, 3, activation="relu", name="a2")(x)
    x = L.GlobalAveragePooling2D(name="gap")(x)
    anysize = keras.Model(inp, L.Dense(3, activation="softmax", name="pred")(x), name="anysize")
    models = {m.name: m for m in (seq, functional, nested, sub, sigmoid, gray, anysize)}
    assert tuple(models) == MODELS
    return models


def _randomise(model, seed: int) -> None:
    """Weights far from their initial values (BatchNorm statistics included)."""
    rng = np.random.default_rng(seed)
    values = []
    for w in model.weights:
        shape = tuple(w.shape)
        if "moving_variance" in w.path:
            values.append(rng.uniform(0.5, 1.5, shape))
        else:
            values.append(rng.normal(0.0, 0.3, shape))
    model.set_weights([v.astype(np.float32) for v in values])


def _images(model) -> np.ndarray:
    channels = 1 if model.name == "grayscale" else 3
    return np.random.default_rng(7).random((3, SIZE, SIZE, channels), dtype=np.float32)


def _seam() -> dict:
    """The backend seam's own promises, on the running backend."""
    x = keras.ops.convert_to_tensor(np.array([1.0, -2.0, 3.0], np.float32))
    value, grad = backend.value_and_grad(lambda t: keras.ops.sum(t * t), x)
    dense = keras.layers.Dense(1, use_bias=False)
    dense.build((None, 3))
    fn = backend.compile(lambda t: dense(t), dense.weights)
    before = float(backend.to_numpy(fn(x[None]))[0, 0])
    dense.kernel.assign(np.ones((3, 1), np.float32))
    after = float(backend.to_numpy(fn(x[None]))[0, 0])
    return {"value": float(backend.to_numpy(value)), "grad": backend.to_numpy(grad).tolist(),
            "new_weights_seen": bool(after == 2.0 and before != after),
            "device": backend.device()}


def probe(model) -> tuple[dict, dict]:
    """``(json-able values, {key: array})`` of what every backend must agree on: the listing,
    then every area of ``tests/backend_probes`` (keys ``area/key``)."""
    listing = [[i.path, i.class_name, list(i.output_shape),
                None if i.kernel_shape is None else list(i.kernel_shape),
                i.calls, i.depth, i.is_container] for i in cv.model_layers(model)]
    values, arrays = {"layers": listing}, {}
    images = _images(model)
    for area, module in backend_probes.modules().items():
        for key, value in module.probe(model, images).items():
            if isinstance(value, np.ndarray):
                arrays[f"{area}/{key}"] = value
            else:
                values[f"{area}/{key}"] = value
    return values, arrays


def _probe_dir(folder: Path) -> None:
    """The subprocess side: probe every saved model, say whether TensorFlow was imported."""
    report = {"backend": keras.backend.backend(), "seam": _seam(), "models": {}}
    for path in sorted(folder.glob("*.keras")):
        model = keras.saving.load_model(path)
        values, arrays = probe(model)
        report["models"][path.stem] = values
        np.savez(folder / f"{path.stem}.{keras.backend.backend()}.npz", **arrays)
    missing = {}
    for name in cv.__all__:  # every public name, the widget classes and the Explorer included
        try:
            getattr(cv, name)
        except Exception as exc:  # noqa: BLE001 - the report says which and why
            missing[name] = f"{type(exc).__name__}: {exc}"
    report["missing"] = missing
    report["tensorflow_imported"] = "tensorflow" in sys.modules
    (folder / f"report.{keras.backend.backend()}.json").write_text(json.dumps(report))


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    """Every model saved once; the TensorFlow probe of the saved file; its folder."""
    folder = tmp_path_factory.mktemp("backends")
    ref = {}
    for i, (name, model) in enumerate(_models().items()):
        _randomise(model, i)
        model.save(folder / f"{name}.keras")
        loaded = keras.saving.load_model(folder / f"{name}.keras")
        ref[name] = probe(loaded)
    return folder, ref


@pytest.fixture(scope="module", params=BACKENDS)
def other(request, saved):
    """Run the probe under one other backend; return its report and folder."""
    folder, _ = saved
    exe = backend_python(request.param)
    env = {**os.environ, "KERAS_BACKEND": request.param, "PYTHONPATH": str(ROOT),
           "CUDA_VISIBLE_DEVICES": "",
           # Loading a model on JAX runs every kernel's random initializer (then overwritten by
           # the saved weights), one XLA compile per shape; the older non-partitionable
           # generator compiles in half the time (benchmarks/_backend_jax_compiles.py: the
           # subprocess 113 s -> 57 s at load 14). The probes draw their randomness in numpy.
           "JAX_THREEFRY_PARTITIONABLE": "0"}
    run = subprocess.run([exe, __file__, "probe", str(folder)], env=env, capture_output=True,
                         text=True, timeout=600)
    assert run.returncode == 0, run.stderr[-4000:]
    report = json.loads((folder / f"report.{request.param}.json").read_text())
    return request.param, report, folder


def test_other_backend_never_imports_tensorflow(other):
    name, report, _ = other
    assert report["backend"] == name
    assert report["tensorflow_imported"] is False


def test_every_public_name_is_there_on_every_backend(other):
    """Every name of ``convviz_widgets.__all__`` reads on JAX and PyTorch without TensorFlow."""
    _, report, _ = other
    assert report["missing"] == {}


def test_the_seam_differentiates_and_reads_new_weights(other):
    _, report, _ = other
    seam = report["seam"]
    assert seam["value"] == pytest.approx(14.0)
    assert seam["grad"] == pytest.approx([2.0, -4.0, 6.0])
    assert seam["new_weights_seen"], seam


@pytest.mark.parametrize("area", backend_probes.AREAS)
@pytest.mark.parametrize("name", MODELS)
def test_same_results_on_every_backend(other, saved, name, area):
    """One model, one area of compute (tests/backend_probes/<area>.py): the same JSON values
    exactly, the same arrays within the area's stated tolerance."""
    backend, report, folder = other
    ref_values, ref_arrays = saved[1][name]
    module = backend_probes.modules()[area]
    mine = f"{area}/"
    got_values = report["models"][name]
    assert got_values["layers"] == ref_values["layers"]
    ref_keys = sorted(k for k in ref_values if k.startswith(mine))
    assert sorted(k for k in got_values if k.startswith(mine)) == ref_keys
    for key in ref_keys:
        assert got_values[key] == ref_values[key], f"{backend} {name} {key}"
    got = {k: v for k, v in np.load(folder / f"{name}.{backend}.npz").items() if k.startswith(mine)}
    ref_arrays = {k: v for k, v in ref_arrays.items() if k.startswith(mine)}
    assert sorted(got) == sorted(ref_arrays)
    for full_key, ref in ref_arrays.items():
        key = full_key[len(mine):]
        if backend_probes.must_be_nonzero(module, key):
            assert np.abs(ref).max() > 0, f"{name}: {full_key} compared must not be all zeros"
        rtol, atol = backend_probes.tolerance(module, key)
        scale = max(1.0, float(np.abs(ref).max())) if ref.size else 1.0
        np.testing.assert_allclose(got[full_key], ref, rtol=rtol, atol=atol * scale,
                                   err_msg=f"{backend} {name} {full_key}")


def test_every_area_compares_something_on_some_model(saved):
    _, ref = saved
    for area in backend_probes.AREAS:
        assert any(k.startswith(f"{area}/") for values, arrays in ref.values()
                   for k in (*values, *arrays)), f"{area}: its probe returned nothing"


def test_the_reference_sees_every_change_its_probes_make(saved):
    """Probes that report "was the change seen" compare each backend with TensorFlow's answer:
    that answer must be "yes" everywhere, or agreeing would prove nothing."""
    _, ref = saved
    checked = 0
    for name, (values, _) in ref.items():
        for key in ("access/identity_sees_one_bit", "access/preprocess_state_seen",
                    "access/fingerprint_is_the_rule"):
            if key in values:
                assert values[key] and all(values[key]), f"{name}: {key} = {values[key]}"
                checked += 1
    assert checked >= 2 * len(MODELS) - 2


def test_run_model_takes_the_access_and_says_so_for_a_model():
    model = _models()["sigmoid"]
    x = keras.ops.convert_to_tensor(_images(model))
    out, captured = cv.compute.run_model(cv.compute.access(model), x, ["conv"])
    assert tuple(captured["conv"].shape) == (3, SIZE - 2, SIZE - 2, 4)
    with pytest.raises(TypeError, match=r"access\("):
        cv.compute.run_model(model, x, ["conv"])


def test_the_tensorflow_side_runs_the_seam_too():
    assert backend.NAME == keras.backend.backend() == "tensorflow"
    seam = _seam()
    assert seam["value"] == pytest.approx(14.0)
    assert seam["grad"] == pytest.approx([2.0, -4.0, 6.0])
    assert seam["new_weights_seen"]


if __name__ == "__main__":
    if sys.argv[1:2] != ["probe"] or len(sys.argv) != 3:
        sys.exit("usage: python tests/test_backends.py probe FOLDER")
    _probe_dir(Path(sys.argv[2]))
