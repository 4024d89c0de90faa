"""Objectives of ``maximize`` on the bundled demo model: what the class patterns are classified
as, and how different the diversity term makes N patterns of one filter.

1. **Class visualisation.** ``maximize(model, None, None, objective="class", steps=S)`` (the
   regularised method maximising each class's pre-softmax logit); reported: the model's
   probability of each class on its own pattern (the test asks for ≥ 0.9 at 40 steps), and the
   wall time of the call.
2. **Diversity.** For each of ``--filters`` filters of ``block3_conv1``, N = 4 patterns
   (``objective="diversity"``, each row its own random start) with the diversity term weighted
   0 (four independent starts, no term), 0.5 (the default) and 1.0. Reported per weight: the
   mean pairwise cosine similarity of the four patterns' Gram matrices at ``block3_conv1``
   (measured on the final images through ``cv.activations``: 1 = the same texture), the mean
   cosine of their spatially pooled ``block3_conv2`` features, and the filter's mean activation
   reached (what the term costs).

    python benchmarks/bench_objectives.py [--steps 128] [--filters 6] [--out PATH]

Run with ``TF_ENABLE_ONEDNN_OPTS=0`` and ``=1``; the result goes to
``benchmarks/results/objectives_onednn_{off,on}.json``. A measurement, not a test.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
import _common  # noqa: E402,F401  (sets the TF log level first)
from _common import RESULTS, environment, onednn  # noqa: E402

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

import convviz_widgets as cv  # noqa: E402
from convviz_widgets.compute.maximize import maximize  # noqa: E402
from convviz_widgets.compute.maximize.objectives import gram_similarity  # noqa: E402

LAYER, NEXT = "block3_conv1", "block3_conv2"
WEIGHTS = (0.0, 0.5, 1.0)


def pooled_cosine(feats: np.ndarray) -> float:
    """Mean pairwise cosine of ``(n, h, w, c)`` features averaged over positions."""
    v = feats.mean(axis=(1, 2))
    v = v / np.maximum(np.linalg.norm(v, axis=1, keepdims=True), 1e-12)
    cos = v @ v.T
    n = len(v)
    return float((cos.sum() - np.trace(cos)) / (n * (n - 1)))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=128)
    ap.add_argument("--class-steps", type=int, default=40)
    ap.add_argument("--filters", type=int, default=6)
    ap.add_argument("--out")
    args = ap.parse_args()
    model = cv.demo_model()
    names = list(cv.demo_images().class_names)

    t0 = time.perf_counter()
    res = maximize(model, None, None, objective="class", steps=args.class_steps, cache=False)
    class_seconds = time.perf_counter() - t0
    probs = np.asarray(model(res.images))
    own = {names[int(c)]: round(float(probs[i, int(c)]), 4) for i, c in enumerate(res.filters)}
    print(f"class patterns ({args.class_steps} steps, {class_seconds:.1f} s): "
          + ", ".join(f"{k} {v:.3f}" for k, v in own.items()))

    rows = {w: {"gram_cos": [], "pooled_cos": [], "activation": []} for w in WEIGHTS}
    for f in range(args.filters):
        for w in WEIGHTS:
            r = maximize(model, LAYER, [f], objective="diversity", n_patterns=4,
                         diversity_weight=w, steps=args.steps, cache=False)
            acts = cv.activations(model, r.images, [LAYER, NEXT], cache=False)
            feats = {k.split("/")[-1]: v for k, v in acts.items()}
            rows[w]["gram_cos"].append(
                float(gram_similarity(tf.constant(feats[LAYER])).numpy().mean()))
            rows[w]["pooled_cos"].append(pooled_cosine(feats[NEXT]))
            rows[w]["activation"].append(float(r.activation.mean()))
    summary = {str(w): {k: round(float(np.mean(v)), 4) for k, v in d.items()}
               for w, d in rows.items()}
    for w, d in summary.items():
        print(f"diversity weight {w}: Gram cosine {d['gram_cos']:.3f}, pooled {NEXT} cosine "
              f"{d['pooled_cos']:.3f}, mean activation {d['activation']:.3f}")

    out = Path(args.out) if args.out else RESULTS / f"objectives_onednn_{onednn()}.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps({
        "environment": environment(),
        "class": {"steps": args.class_steps, "seconds": round(class_seconds, 2),
                  "own_probability": own},
        "diversity": {"layer": LAYER, "n_patterns": 4, "steps": args.steps,
                      "filters": args.filters, "by_weight": summary,
                      "per_filter": {str(w): d for w, d in rows.items()}},
    }, indent=2))
    print(f"oneDNN {onednn()} -> {out}")


if __name__ == "__main__":
    main()
