"""Attribution cost and quality (issue 16), side by side in one run.

Cost: SmoothGrad (25 samples) and integrated gradients (32 steps) as ratios to one compiled
forward pass, on ``keras.applications.VGG16(weights=None)`` at 224x224 and on the demo model,
for convviz_widgets (batched), tf-keras-vis ``Saliency(model)(score, x, smooth_samples=25)``
(which loops over the samples) and a plain eager ``tf.GradientTape`` loop. "fwd+bwd" is one
forward+backward pass of one image through the same compiled function convviz uses, so
``batched / (samples x fwd+bwd)`` says how much batching saves (goal: <= 1.3).

Quality (``--quality``): on the demo scenes with masks, the pointing game per method (the
heatmap's maximum within the object mask, dilated by 5 % of the side) and the deletion area
(black and blurred baselines, 16 steps) against the random-map baseline.

    TF_ENABLE_ONEDNN_OPTS=0 python benchmarks/bench_attribution.py [--repeats 3]
        [--vgg-repeats 1] [--quality | --quality-only]

Per sample, on any Keras backend (issue 25: SmoothGrad / integrated gradients per sample
<= 1.5x that backend's compiled forward pass of one image): ``--per-sample`` runs, paired and
alternated, one compiled forward pass of one image (``backend.compile``: ``tf.function``,
stateless ``jax.jit``, eager PyTorch under ``no_grad``) and the public ``gradcam(...,
method=SmoothGrad(25) | IntegratedGradients(32))``; each round's ratio is (call / samples) /
forward, and the median and spread of those ratios are reported, wall and CPU time:

    KERAS_BACKEND=jax python benchmarks/bench_attribution.py --per-sample [--rounds 5]
        [--model demo|vgg16] [--size 224]

Writes ``benchmarks/results/attribution[_onednn_off].json`` and ``attribution_quality.json``.
The machine's load average is recorded: the figures are medians of interleaved rounds, so every
case sees the same drift, but absolute times on a shared machine are noisy. Nothing asserts.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time
import warnings

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from pathlib import Path  # noqa: E402

import keras  # noqa: E402
import numpy as np  # noqa: E402

import convviz_widgets as cv  # noqa: E402
from convviz_widgets.compute import access, backend  # noqa: E402
from convviz_widgets.compute.cam import IntegratedGradients, SmoothGrad, gradcam  # noqa: E402
from convviz_widgets.compute.cam import _engine, _pixel  # noqa: E402

if backend.NAME == "tensorflow":
    import tensorflow as tf  # noqa: E402

try:
    from _common import paired, write, write_result  # noqa: E402
except ImportError:  # run from the repository root
    from benchmarks._common import paired, write, write_result  # noqa: E402

SAMPLES, STEPS = 25, 32
RESULTS = Path(__file__).resolve().parent / "results"


def onednn() -> str:
    return os.environ.get("TF_ENABLE_ONEDNN_OPTS", "default")


def interleaved(cases: dict, rounds: int, warmup) -> dict:
    """Median seconds per case, one call of every case per round (shared drift), after a cheap
    untimed warm-up (``warmup()``: every trace, a few samples each; on a loaded 2-core machine
    a full warm-up round of VGG16 costs minutes)."""
    warmup()
    times = {k: [] for k in cases}
    for _ in range(rounds):
        for name, fn in cases.items():
            t0 = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - t0)
    return {k: {"median_s": statistics.median(v), "min_s": min(v), "max_s": max(v)}
            for k, v in times.items()}


def cost(model, image, target, batch_size: int, rounds: int) -> dict:
    acc = access(model)
    meta = _engine._meta(acc)
    x = tf.constant(image[None])
    fwd = _engine._forward_fn(acc, None, 0)
    grad = _pixel._grad_fn(acc, None, meta, 0, None, False)
    cls = tf.constant(target, tf.int32)
    from tf_keras_vis.saliency import Saliency

    tfkv = Saliency(model, clone=False)
    score = lambda out: out[:, target]  # noqa: E731
    rng = np.random.default_rng(0)
    noisy = image[None] + 0.15 * rng.standard_normal((SAMPLES,) + image.shape).astype(np.float32)
    alphas = (np.arange(STEPS) + 0.5) / STEPS
    path = (alphas[:, None, None, None] * image[None]).astype(np.float32)

    def tape_loop(batch):
        total = 0.0
        for xi in batch:
            xi = tf.constant(xi[None])
            with tf.GradientTape() as tape:
                tape.watch(xi)
                s = model(xi, training=False)[:, target]
            total = total + tape.gradient(s, xi)
        return total

    cases = {
        "forward": lambda: fwd(x).numpy(),
        "fwd+bwd": lambda: grad(x, cls).numpy(),
        "smoothgrad_convviz": lambda: gradcam(model, image, target, cache=False,
                                              method=SmoothGrad(SAMPLES, 0.15),
                                              batch_size=batch_size),
        "smoothgrad_tf_keras_vis": lambda: tfkv(score, image[None], smooth_samples=SAMPLES,
                                                smooth_noise=0.15),
        "smoothgrad_tape_loop": lambda: tape_loop(noisy),
        "ig_convviz": lambda: gradcam(model, image, target, cache=False,
                                      method=IntegratedGradients(STEPS), batch_size=batch_size),
        "ig_tape_loop": lambda: tape_loop(path),
    }
    def warmup():
        # Two batch sizes make reduce_retracing generalise the batch axis: every later batch
        # size reuses that trace. gradcam() traces its single-image scoring functions.
        for n in (2, 3):
            grad(tf.constant(noisy[:n]), cls)
        fwd(x)
        gradcam(model, image, target, method="saliency", cache=False)
        gradcam(model, image, target, method=IntegratedGradients(2), cache=False)
        tfkv(score, image[None], smooth_samples=2, smooth_noise=0.15)
        tape_loop(noisy[:2])

    t = interleaved(cases, rounds, warmup)
    f = t["forward"]["median_s"]
    fb = t["fwd+bwd"]["median_s"]
    ratios = {k: v["median_s"] / f for k, v in t.items()}
    return {
        "times": t,
        "ratio_to_forward": ratios,
        "smoothgrad_speedup_vs_tf_keras_vis": t["smoothgrad_tf_keras_vis"]["median_s"] /
        t["smoothgrad_convviz"]["median_s"],
        "smoothgrad_vs_samples_x_fwdbwd": t["smoothgrad_convviz"]["median_s"] / (SAMPLES * fb),
        "ig_vs_steps_x_fwdbwd": t["ig_convviz"]["median_s"] / (STEPS * fb),
        "batch_size": batch_size,
    }


def per_sample(model, image, target, batch_size: int, rounds: int) -> dict:
    """Paired per-sample ratios on the running backend (see the module docstring)."""
    fwd = backend.compile(lambda t: model(t, training=False), model.weights)
    x = keras.ops.convert_to_tensor(image[None])

    def forward():
        with backend.no_grad():
            return backend.to_numpy(fwd(x))

    calls = {"smoothgrad": (SmoothGrad(SAMPLES, 0.15), SAMPLES),
             "integrated_gradients": (IntegratedGradients(STEPS), STEPS)}
    # Warm-up: every compile (the batch shapes the calls use, the scoring passes).
    for method, _ in calls.values():
        gradcam(model, image, target, method=method, cache=False, batch_size=batch_size)
    forward()
    wall = {k: [] for k in calls}
    cpu = {k: [] for k in calls}
    for _ in range(rounds):
        for name, (method, n) in calls.items():
            t0, c0 = time.perf_counter(), time.process_time()
            for _ in range(3):  # one forward is short: time three and take the mean
                forward()
            fw, fc = (time.perf_counter() - t0) / 3, (time.process_time() - c0) / 3
            t0, c0 = time.perf_counter(), time.process_time()
            gradcam(model, image, target, method=method, cache=False, batch_size=batch_size)
            cw, cc = time.perf_counter() - t0, time.process_time() - c0
            wall[name].append(cw / n / fw)
            cpu[name].append(cc / n / max(fc, 1e-9))

    def summary(v):
        return {"median": statistics.median(v), "min": min(v), "max": max(v)}

    return {"backend": backend.NAME, "batch_size": batch_size, "rounds": rounds,
            "per_sample_over_forward_wall": {k: summary(v) for k, v in wall.items()},
            "per_sample_over_forward_cpu": {k: summary(v) for k, v in cpu.items()}}


def vs_tf_keras_vis(rounds: int, batch_size: int) -> dict:
    """Issue 27: our SmoothGrad against tf-keras-vis ``Saliency`` with equal samples on VGG16
    224: both sides alternated in one process (``_common.paired``), a fresh image every round,
    tf-keras-vis' time ÷ ours per round (the speed-up), median and quartiles, wall and CPU."""
    from tf_keras_vis.saliency import Saliency

    model = keras.applications.VGG16(weights=None)
    rng = np.random.default_rng(0)
    tfkv = Saliency(model, clone=False)

    def score(out):
        return out[:, 1]

    def fresh():
        return rng.random((224, 224, 3)).astype(np.float32)

    def ours(image):
        gradcam(model, image, 1, cache=False, method=SmoothGrad(SAMPLES, 0.15),
                batch_size=batch_size)

    def theirs(image):
        tfkv(score, image[None], smooth_samples=SAMPLES, smooth_noise=0.15)

    timing = paired({"ours": (ours, fresh), "tf_keras_vis": (theirs, fresh)}, rounds,
                    warmup=1, base="ours")
    return {"samples": SAMPLES, "noise": 0.15, "batch_size": batch_size, "timing": timing,
            "speedup": {"wall": timing["tf_keras_vis"]["ratio_wall"],
                        "cpu": timing["tf_keras_vis"]["ratio_cpu"]}}


def run_per_sample(args) -> None:
    load = os.getloadavg()
    print(f"backend={backend.NAME} oneDNN={onednn()} load average {load}", flush=True)
    if args.model == "vgg16":
        model = keras.applications.VGG16(weights=None, input_shape=(args.size, args.size, 3))
        image = np.random.default_rng(0).random((args.size, args.size, 3)).astype(np.float32)
        target = 1
    else:  # the bundled demo model, loaded directly (runs wherever Keras loads a .keras file)
        model = keras.saving.load_model(Path(cv.__file__).parent / "data" / "demo_model.keras")
        size = model.input_shape[1:3]
        image = np.random.default_rng(0).random(size + (3,)).astype(np.float32)
        target = 0
    r = per_sample(model, image, target, args.batch, args.rounds)
    r.update(model=args.model, onednn=onednn(), load_average_start=load,
             load_average_end=os.getloadavg(), samples=SAMPLES, steps=STEPS)
    r.update(cpu=platform.processor() or platform.machine(), keras=keras.__version__,
             cores=os.cpu_count())
    print(r, flush=True)
    suffix = "" if backend.NAME != "tensorflow" else ("_onednn_off" if onednn() == "0" else "")
    # _common.write reads TensorFlow's build for its machine record: not on JAX/PyTorch.
    path = RESULTS / f"attribution_per_sample_{backend.NAME}_{args.model}{suffix}.json"
    path.parent.mkdir(exist_ok=True)
    path.write_text(json.dumps(r, indent=1))
    print(path)


def dilate(mask: np.ndarray, r: int) -> np.ndarray:
    out = mask.copy()
    padded = np.pad(mask, r)
    h, w = mask.shape
    for dy in range(2 * r + 1):
        for dx in range(2 * r + 1):
            out |= padded[dy:dy + h, dx:dx + w]
    return out


def quality(model, scenes, methods) -> dict:
    rows = {}
    for method in methods:
        t0 = time.perf_counter()
        hits, dele, dele_rand, blur, blur_rand = [], [], [], [], []
        for image, label, mask in zip(scenes.images, scenes.labels, scenes.masks):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                r = gradcam(model, image, target=int(label), method=method)
            y, x = np.unravel_index(np.argmax(r.heatmap), r.heatmap.shape)
            hits.append(bool(dilate(mask, max(1, round(0.05 * min(mask.shape))))[y, x]))
            f = cv.faithfulness(model, image, r, int(label), steps=16, baseline="black")
            g = cv.faithfulness(model, image, r, int(label), steps=16, baseline="blur")
            dele.append(f.area)
            dele_rand.append(f.random_area)
            blur.append(g.area)
            blur_rand.append(g.random_area)
        rows[method] = {
            "pointing_game": float(np.mean(hits)),
            "deletion_black": float(np.mean(dele)),
            "deletion_black_random": float(np.mean(dele_rand)),
            "deletion_black_wins": float(np.mean(np.array(dele) < np.array(dele_rand))),
            "deletion_blur": float(np.mean(blur)),
            "deletion_blur_random": float(np.mean(blur_rand)),
            "deletion_blur_wins": float(np.mean(np.array(blur) < np.array(blur_rand))),
            "seconds_per_map_incl_faithfulness": (time.perf_counter() - t0) / len(scenes.images),
        }
        print(method, {k: round(v, 3) for k, v in rows[method].items()}, flush=True)
    return rows


def sanity(model, scenes, methods) -> dict:
    out = {}
    for method in methods:
        rho = []
        for i in (0, 11, 22, 33):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                s = cv.sanity_check(model, scenes.images[i], method, int(scenes.labels[i]))
            rho.append(s.correlations)
        mean = np.mean(rho, axis=0)
        out[method] = {p: float(c) for (p, _), c in zip(s.steps, mean)}
        print("sanity", method, {p: round(c, 2) for p, c in out[method].items()}, flush=True)
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--vgg-repeats", type=int, default=1)
    ap.add_argument("--quality", action="store_true")
    ap.add_argument("--quality-only", action="store_true", help="skip the cost part")
    ap.add_argument("--no-vgg", action="store_true")
    ap.add_argument("--vgg-batch", type=int, default=16)
    ap.add_argument("--per-sample", action="store_true",
                    help="per-sample ratios on the running Keras backend (any backend)")
    ap.add_argument("--vs-tf-keras-vis", action="store_true",
                    help="SmoothGrad vs tf-keras-vis on VGG16 224, paired (TensorFlow)")
    ap.add_argument("--model", choices=("demo", "vgg16"), default="demo")
    ap.add_argument("--size", type=int, default=224, help="VGG16 input size (--per-sample)")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--batch", type=int, default=32, help="batch size (--per-sample)")
    args = ap.parse_args()
    if args.per_sample:
        return run_per_sample(args)
    if args.vs_tf_keras_vis:
        r = vs_tf_keras_vis(args.rounds, args.vgg_batch)
        w, c = r["speedup"]["wall"], r["speedup"]["cpu"]
        print(f"SmoothGrad ({SAMPLES} samples), tf-keras-vis ÷ ours: {w['median']:.2f}× wall "
              f"[{w['q1']:.2f}–{w['q3']:.2f}], {c['median']:.2f}× CPU [{c['q1']:.2f}–"
              f"{c['q3']:.2f}]", flush=True)
        return print(write_result("attribution_vs_tf_keras_vis", r))
    load = os.getloadavg()
    print(f"oneDNN={onednn()} load average {load}", flush=True)
    demo, scenes = cv.demo_model(), cv.demo_images()
    if args.quality_only:
        return run_quality(demo, scenes)
    payload = {"onednn": onednn(), "load_average_start": load, "samples": SAMPLES,
               "steps": STEPS, "models": {}}
    payload["models"]["demo"] = cost(demo, scenes.images[0], int(scenes.labels[0]), 32,
                                     args.repeats)
    print("demo", payload["models"]["demo"]["ratio_to_forward"], flush=True)
    if not args.no_vgg:
        vgg = keras.applications.VGG16(weights=None)
        img = np.random.default_rng(0).random((224, 224, 3)).astype(np.float32)
        payload["models"]["vgg16"] = cost(vgg, img, 1, args.vgg_batch, args.vgg_repeats)
        print("vgg16", payload["models"]["vgg16"]["ratio_to_forward"], flush=True)
    payload["load_average_end"] = os.getloadavg()
    name = "attribution" + ("_onednn_off" if onednn() == "0" else "")
    print(write(name, payload))
    if args.quality:
        run_quality(demo, scenes)


def run_quality(demo, scenes):
    q = {"onednn": onednn(), "load_average_start": os.getloadavg(),
         "quality": quality(demo, scenes, list(cv.cam_methods())),
         "sanity": sanity(demo, scenes, ["gradcam", "layercam", "eigencam", "saliency",
                                         "smoothgrad", "integrated_gradients",
                                         "guided_backprop", "guided_gradcam"])}
    q["load_average_end"] = os.getloadavg()
    print(write("attribution_quality", q))


if __name__ == "__main__":
    main()
