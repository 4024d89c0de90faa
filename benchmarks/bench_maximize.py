"""Filter maximisation, side by side in one run: convviz_widgets against tf-keras-vis
``ActivationMaximization`` (its default input modifiers, regularisers and optimiser) and the
naive lesson recipe, plus quality and latency figures on the bundled demo model.

1. **VGG16 comparison.** ``keras.applications.VGG16(weights=None, include_top=False)`` at
   128×128 (random weights: the cost is the same as with ImageNet weights, and 128 px keeps the
   run short on 2 CPU cores). Same layer, same image size, same number of steps, same filters:

   * ``tfkv``: tf-keras-vis, one call per filter (its documented usage);
   * ``tfkv_batched``: tf-keras-vis with all filters in one seed batch;
   * ``ours``: ``maximize(method="regularized")``, all filters in one call (chunked batches);
   * ``ours_naive``: ``maximize(method="naive")``;
   * ``lesson``: the naive recipe as the lessons write it (eager GradientTape loop on a
     sub-model, one filter at a time).

   Cases run in rotating order, every case once per round (``_common.paired``), so load drift
   on the shared machine hits all of them alike; each round's time of a case is divided by the
   same round's time of ours, so tf-keras-vis' ratio is the speed-up (median [quartiles], wall
   and CPU). Also reported: the mean activation each case reaches, measured the same way for
   all (the final images in display space through ``cv.activations``); the speed-up at equal
   activation (the fewest steps, doubling from 1, after which our pattern excites every filter
   at least as much as tf-keras-vis' after all its steps); and the plain compiled forward +
   backward pass of the sub-model up to the layer (per image and step, times steps), and
   tf-keras-vis' time over it (``plain_step_speedup_cpu``): the speed-up a plain compiled step
   would have. At deep layers the network is nearly the whole cost, so that is where a step
   must do less than a plain forward + backward pass to pull ahead (ours computes only the
   optimised channel of the target convolution). ``--cases ''`` runs only tf-keras-vis and ours.

   The same five cases also run on the bundled demo model (trained weights, 64×64, layer
   ``block3_conv2``, 8 filters, 128 steps), where the activation reached is meaningful.

2. **Optimisation beats data** on the demo model: for every filter of every convolution layer,
   is the optimised pattern's mean activation above the best of the bundled demo scenes? Dead
   filters (silent on every scene) are reported separately and left out of the share.

3. **Time from Run to the first frame** in ``FilterMaximizer`` on the demo model (headless:
   until the frame's pixels are handed to the widget's comm), cold (compiling on the click)
   and warm (the widget compiles in the background when it is created, its default).

    python benchmarks/bench_maximize.py [--steps 100] [--filters 4] [--rounds 2]
        [--layers block1_conv2,block3_conv1,block5_conv3] [--out PATH]

Run it twice, ``TF_ENABLE_ONEDNN_OPTS=0`` and ``=1``: TensorFlow's CPU kernels (and which ops
have gradients) differ with oneDNN, and it is on by default only on some CPUs. The result goes
to ``benchmarks/results/maximize_onednn_off.json`` or ``..._on.json`` unless ``--out`` is given,
with the CPU model and whether oneDNN was on.

A measurement, not a test: nothing here asserts.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import threading
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
import _common  # noqa: E402,F401  (sets the TF log level first)
from _common import (cpu_flags, cpu_name, environment, paired,  # noqa: E402
                     write_result)
from _common import onednn  # noqa: E402

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from convviz_widgets.compute import activations, conv_layers  # noqa: E402
from convviz_widgets.compute.maximize import maximize  # noqa: E402

SIZE = 128
TARGETS = {"speedup_vs_tfkv": 2.5, "beats_data_share": 0.90, "first_frame_s": 1.0}


def preprocess(x):
    """Display [0, 1] RGB -> VGG16's caffe input (BGR, mean-subtracted), differentiable."""
    return keras.applications.vgg16.preprocess_input(x * 255.0)


def timed(fn):
    w0, c0 = time.perf_counter(), time.process_time()
    out = fn()
    return out, time.perf_counter() - w0, time.process_time() - c0


# ------------------------------------------------------------------------------ VGG16 part
def vgg16(size: int = SIZE):
    keras.utils.set_random_seed(0)
    return keras.applications.VGG16(weights=None, include_top=False,
                                    input_shape=(size, size, 3))


def comparison(model, layer: str, n_filters: int, steps: int, rounds: int,
               ours_pp=None, input_pp=None, only=None) -> dict:
    """Every case on ``filters[:n_filters]`` of ``layer``, ``rounds`` times round-robin.

    ``input_pp`` maps a 0..255 input (tf-keras-vis's default input range, and the lesson's) to
    model input; ``ours_pp`` maps our display space [0, 1] to model input (the same function).
    """
    from tf_keras_vis.activation_maximization import ActivationMaximization

    _, H, W, C = model.input_shape
    filters = list(range(n_filters))
    input_pp = input_pp or (lambda t: t)
    # tf-keras-vis optimises the model input directly in 0..255 (its default input_range), so
    # it gets the same model with the same preprocessing folded in, cut at the layer.
    inp = keras.Input((H, W, C))
    upto = keras.Model(model.inputs, model.get_layer(layer).output)
    wrapped = keras.Model(inp, upto(input_pp(inp)))
    am = ActivationMaximization(wrapped, clone=False)

    def tfkv(steps_):
        out = [am(lambda o, f=f: tf.reduce_mean(o[..., f], axis=[1, 2]), steps=steps_)
               for f in filters]
        return np.concatenate([np.asarray(o) for o in out]) / 255.0

    def tfkv_batched(steps_):
        seed = tf.random.uniform((n_filters, H, W, C), 0, 255, seed=0)
        rows = tf.constant(filters)
        score = lambda o: tf.reduce_mean(tf.gather(o, rows, axis=3, batch_dims=1), axis=[1, 2])  # noqa: E731
        return np.asarray(am(score, seed_input=seed, steps=steps_)) / 255.0

    def ours(steps_):
        return maximize(model, layer, filters, steps=steps_, preprocess=ours_pp,
                        cache=False).images

    def ours_naive(steps_):
        return maximize(model, layer, filters, steps=steps_, method="naive",
                        preprocess=ours_pp, cache=False).images

    def lesson(steps_):
        # The lesson's loop: gray + noise on 0..255, loss = mean of the filter's output,
        # gradient / RMS, step 1.0, eagerly, one filter at a time.
        out = []
        for f in filters:
            x = tf.constant(np.random.default_rng(f).random((1, H, W, C),
                                                            np.float32) * 20 + 128)
            for _ in range(steps_):
                with tf.GradientTape() as tape:
                    tape.watch(x)
                    loss = tf.reduce_mean(wrapped(x)[..., f])
                g = tape.gradient(loss, x)
                g = g / (tf.sqrt(tf.reduce_mean(tf.square(g))) + 1e-5)
                x = tf.clip_by_value(x + g, 0.0, 255.0)
            out.append(x.numpy())
        return np.concatenate(out) / 255.0

    cases = {"tfkv": tfkv, "tfkv_batched": tfkv_batched, "ours": ours,
             "ours_naive": ours_naive, "lesson": lesson}
    if only is not None:  # the two sides of the headline always run
        cases = {k: fn for k, fn in cases.items() if k in {"tfkv", "ours", *only}}
    final = {}

    def keep(name, fn):
        # paired() times fn(arg); the last images of each case are kept for "reached" below.
        return lambda _arg: final.__setitem__(name, fn(steps))

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for fn in cases.values():  # warm-up: traces and compiles every case
            fn(2)
        # Every round runs every case once in a rotating order; each case's time is divided by
        # the same round's time of ours (so tfkv's ratio IS the speed-up), median [quartiles].
        timing = paired({k: (keep(k, fn), None) for k, fn in cases.items()}, rounds,
                        warmup=0, base="ours")

    def reached(images):
        a = activations(model, images, [layer], preprocess=ours_pp, cache=False)[layer]
        return a.mean(axis=(1, 2))[np.arange(n_filters), filters]  # (n,) own channel each

    acts = {k: reached(v) for k, v in final.items()}

    # Equal activation reached: the fewest steps (1, 2, 4, ...) after which our pattern excites
    # every filter at least as much as tf-keras-vis' pattern after all its steps, and what that
    # run costs. At equal steps a step of either is one forward + backward pass of the network
    # up to the layer, so deep layers cap the equal-steps speed-up near the ratio of tf-keras-vis
    # to that floor; what a user waits for is a pattern as strong, which this figure measures.
    match = {"steps": None, "wall_s": None, "cpu_s": None}
    k = 1
    while k <= steps:
        images, w, c = timed(lambda: ours(k))
        if np.all(reached(images) >= acts["tfkv"]):
            match = {"steps": k, "wall_s": w / n_filters, "cpu_s": c / n_filters}
            break
        k *= 2

    @tf.function
    def fwd_bwd(x):
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = tf.reduce_mean(wrapped(x)[..., 0])
        return tape.gradient(y, x)

    x1 = tf.random.uniform((1, H, W, C), 0, 255)
    fwd_bwd(x1)
    floor = []
    for _ in range(3):
        _, w, c = timed(lambda: [fwd_bwd(x1).numpy() for _ in range(10)])
        floor.append((w / 10, c / 10))
    floor_wall = statistics.median(f[0] for f in floor) * steps
    floor_cpu = statistics.median(f[1] for f in floor) * steps

    per_filter = {unit: {k: timing[k][f"{unit}_s"]["median"] / n_filters for k in cases}
                  for unit in ("wall", "cpu")}
    result = {
        "model": model.name, "layer": layer, "size": [H, W], "steps": steps,
        "filters": filters, "rounds": rounds, "timing": timing,
        "per_filter_wall_s": per_filter["wall"], "per_filter_cpu_s": per_filter["cpu"],
        "plain_compiled_fwd_bwd_per_filter_wall_s": floor_wall,
        "plain_compiled_fwd_bwd_per_filter_cpu_s": floor_cpu,
        "mean_activation": {k: float(v.mean()) for k, v in acts.items()},
        "activation_per_filter": {k: v.round(4).tolist() for k, v in acts.items()},
        "equal_activation": match,
    }
    # tf-keras-vis' paired ratio to ours IS the speed-up (median and quartiles over rounds).
    result["speedup_vs_tfkv"] = {"wall": timing["tfkv"]["ratio_wall"],
                                 "cpu": timing["tfkv"]["ratio_cpu"]}
    if "tfkv_batched" in timing:
        result["speedup_vs_tfkv_batched"] = {"wall": timing["tfkv_batched"]["ratio_wall"],
                                             "cpu": timing["tfkv_batched"]["ratio_cpu"]}
    # What a plain compiled step (forward + backward up to the layer) would gain on tf-keras-vis.
    result["plain_step_speedup_cpu"] = per_filter["cpu"]["tfkv"] / floor_cpu
    result["ours_over_plain_compiled_fwd_bwd_cpu"] = per_filter["cpu"]["ours"] / floor_cpu
    if match["steps"] is not None:
        result["speedup_vs_tfkv_equal_activation"] = {
            "wall": per_filter["wall"]["tfkv"] / match["wall_s"],
            "cpu": per_filter["cpu"]["tfkv"] / match["cpu_s"]}
    result["activation_ratio_vs_tfkv"] = (result["mean_activation"]["ours"]
                                          / max(1e-12, result["mean_activation"]["tfkv"]))
    return result


# ------------------------------------------------------------------------------ demo part
def demo_beats_data(method: str = "regularized") -> dict:
    from convviz_widgets._demo import demo_images, demo_model

    model, scenes = demo_model(), demo_images()
    layers = [i.path for i in conv_layers(model, "kernel") if i.is_spatial]
    acts = activations(model, scenes.images, layers, cache=False)
    per_layer, t_total = {}, 0.0
    wins = alive_total = dead_total = 0
    for path in layers:
        data = acts[path].mean(axis=(1, 2)).max(axis=0)  # (c,) best scene per filter
        res, w, _ = timed(lambda: maximize(model, path, None, method=method, cache=False))
        t_total += w
        dead = data <= 1e-6
        beats = res.activation > data
        per_layer[path] = {
            "filters": int(len(data)), "dead": int(dead.sum()),
            "beats_data": int((beats & ~dead).sum()), "alive": int((~dead).sum()),
            "share": float((beats & ~dead).sum() / max(1, (~dead).sum())),
            "seconds": w, "mean_ratio_pattern_over_best_scene": float(
                np.mean(res.activation[~dead] / data[~dead])) if (~dead).any() else None,
            "dead_filters_excited_by_pattern": int((dead & (res.activation > 1e-6)).sum()),
        }
        wins += int((beats & ~dead).sum())
        alive_total += int((~dead).sum())
        dead_total += int(dead.sum())
    return {"method": method, "steps": int(res.steps), "scenes": int(len(scenes.images)),
            "layers": per_layer, "non_dead_filters": alive_total, "dead_filters": dead_total,
            "beats_data": wins, "share": wins / max(1, alive_total), "seconds": t_total}


def first_frame(repeats: int = 3) -> dict:
    from convviz_widgets._demo import demo_model
    from convviz_widgets.widgets._filter_maximizer import FilterMaximizer

    out = {}
    model = demo_model()
    layers = [i.path for i in conv_layers(model, "kernel") if i.is_spatial]
    # Cold: the click pays for tracing and compiling the step.
    fm = FilterMaximizer(model, layer=layers[-1], prewarm=False)
    fm.mode = "gallery"
    t0 = time.perf_counter()
    fm.run()
    while fm.frames_shown == 0 and time.perf_counter() - t0 < 60:
        time.sleep(0.002)
    out["cold_gallery_s"] = fm.first_frame_seconds
    fm.cancel()
    fm.wait(60)
    # Warm (the default): the widget compiles while the student reads the controls.
    warm = {"filter": [], "gallery": []}
    for k in range(repeats):
        model_k = demo_model()  # fresh model: nothing cached, nothing compiled
        fm = FilterMaximizer(model_k, layer=layers[len(layers) // 2])
        for t in threading.enumerate():
            if t.name == "convviz-maximize-warmup":
                t.join(60)
        for mode in ("filter", "gallery"):
            fm.mode = mode
            fm.seed = 100 + k  # never cached
            fm.run()
            t0 = time.perf_counter()
            while fm.frames_shown == 0 and time.perf_counter() - t0 < 60:
                time.sleep(0.002)
            warm[mode].append(fm.first_frame_seconds)
            fm.cancel()
            fm.wait(60)
    out["warm_filter_s"] = statistics.median(warm["filter"])
    out["warm_gallery_s"] = statistics.median(warm["gallery"])
    out["warm_all_s"] = warm
    # A cached re-run: the whole gallery is back without optimising.
    fm.seed = 0
    fm.mode = "gallery"
    fm.steps = 64
    fm.run()
    fm.wait(120)
    t0 = time.perf_counter()
    fm.run()
    fm.wait(60)
    out["cached_gallery_rerun_s"] = time.perf_counter() - t0
    out["gallery_filters"] = int(len(fm.result.filters))
    return out


def _line(r: dict) -> str:
    sw, sc = r["speedup_vs_tfkv"]["wall"], r["speedup_vs_tfkv"]["cpu"]
    eq = r.get("speedup_vs_tfkv_equal_activation")
    return (f"{r['layer']}: tf-keras-vis ÷ ours {sw['median']:.2f}× wall [{sw['q1']:.2f}–"
            f"{sw['q3']:.2f}], {sc['median']:.2f}× CPU [{sc['q1']:.2f}–{sc['q3']:.2f}]; at equal "
            "activation " + (f"{eq['wall']:.1f}× wall, {eq['cpu']:.1f}× CPU "
                             f"({r['equal_activation']['steps']} of {r['steps']} steps)"
                             if eq else "not reached") +
            f"; activation ours {r['mean_activation']['ours']:.3g} vs "
            f"{r['mean_activation']['tfkv']:.3g}; a plain compiled step "
            f"{r['plain_step_speedup_cpu']:.2f}× CPU")


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=64)
    ap.add_argument("--filters", type=int, default=4)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--layers", default="block3_conv1,block1_conv2,block5_conv3",
                    help="comma-separated VGG16 layers; the first is the headline")
    ap.add_argument("--cases", default=None,
                    help="comma-separated cases besides tfkv and ours, '' for none (default: "
                         "all of tfkv_batched,ours_naive,lesson)")
    ap.add_argument("--skip-vgg", action="store_true")
    ap.add_argument("--skip-demo", action="store_true")
    ap.add_argument("--out", default=None,
                    help="default: benchmarks/results/maximize_onednn_{on,off}.json")
    args = ap.parse_args(argv)
    only = None if args.cases is None else set(filter(None, args.cases.split(",")))

    report = {"targets": TARGETS, "load_average_start": os.getloadavg()}
    print(f"oneDNN {onednn()}; CPU {cpu_name()} ({cpu_flags()}); load average "
          f"{report['load_average_start']}", flush=True)
    if not args.skip_vgg:
        report["vgg16"] = []
        model = vgg16()
        for layer in args.layers.split(","):
            r = comparison(model, layer, args.filters, args.steps, args.rounds,
                           ours_pp=preprocess, input_pp=keras.applications.vgg16.preprocess_input,
                           only=only)
            report["vgg16"].append(r)
            print(_line(r), flush=True)
    if not args.skip_demo:
        from convviz_widgets._demo import demo_model

        # The same comparison on a trained model (the demo: 64×64, inputs in [0, 1]), where the
        # activations mean something: trained filters respond to structure, not to noise.
        r = comparison(demo_model(), "block3_conv2", 8, 128, args.rounds,
                       ours_pp=None, input_pp=lambda t: t / 255.0, only=only)
        report["demo_vs_tfkv"] = r
        print("demo " + _line(r), flush=True)
        report["beats_data"] = demo_beats_data("regularized")
        report["beats_data_naive"] = demo_beats_data("naive")
        print(f"optimisation beats data: {report['beats_data']['share']:.1%} of "
              f"{report['beats_data']['non_dead_filters']} non-dead filters (regularized), "
              f"{report['beats_data_naive']['share']:.1%} (naive)", flush=True)
        report["first_frame"] = first_frame()
        print(f"first frame: warm {report['first_frame']['warm_gallery_s']:.3f} s (gallery), "
              f"cold {report['first_frame']['cold_gallery_s']:.3f} s", flush=True)
    report["load_average_end"] = os.getloadavg()
    if args.out is None:
        path = write_result("maximize", report)
    else:
        path = Path(args.out)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps({"environment": environment(), **report}, indent=2,
                                   default=float))
    print(f"wrote {path}")
    return report


if __name__ == "__main__":
    main()
