"""Helpers shared by the benchmarks: timing with warm-up and medians, JSON output."""

from __future__ import annotations

import json
import os
import platform
import statistics
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

RESULTS = Path(__file__).parent / "results"


def timeit(fn, repeats: int = 7, warmup: int = 2) -> dict:
    """Median and spread of ``fn()`` wall time in seconds, after ``warmup`` untimed calls."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return {"median_s": statistics.median(times), "min_s": min(times), "max_s": max(times),
            "repeats": repeats}


def machine() -> dict:
    import tensorflow as tf
    import keras

    return {"python": platform.python_version(), "tensorflow": tf.__version__,
            "keras": keras.__version__, "cpus": os.cpu_count(), "machine": platform.machine()}


def write(name: str, payload: dict) -> Path:
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"{name}.json"
    payload = {"machine": machine(), **payload}
    path.write_text(json.dumps(payload, indent=2))
    return path
