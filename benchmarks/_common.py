"""Helpers shared by the benchmarks: timing with warm-up and medians, JSON output."""

from __future__ import annotations

import json
import os
import platform
import statistics
import sys
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
    """Versions and cores; TensorFlow's version only where Keras runs on it (the JAX and PyTorch
    venvs have no TensorFlow)."""
    import keras

    out = {"python": platform.python_version(), "keras": keras.__version__,
           "backend": keras.backend.backend(), "cpus": os.cpu_count(),
           "machine": platform.machine()}
    if out["backend"] == "tensorflow":
        import tensorflow as tf

        out["tensorflow"] = tf.__version__
    return out


def write(name: str, payload: dict) -> Path:
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"{name}.json"
    payload = {"machine": machine(), **payload}
    path.write_text(json.dumps(payload, indent=2))
    return path


def cpu_name() -> str:
    """The CPU model (``/proc/cpuinfo``), so that figures from different machines are not mixed."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def cpu_flags() -> str:
    """The widest vector units: AMX / AVX-512 / AVX2 change which TensorFlow kernels are fast."""
    try:
        flags = set(Path("/proc/cpuinfo").read_text().split())
    except OSError:
        return "unknown"
    return "+".join(f for f, mark in (("AVX2", "avx2"), ("AVX-512", "avx512f"),
                                       ("AMX", "amx_tile")) if mark in flags) or "none"


def onednn() -> str:
    """The oneDNN setting this process runs with ("on" is TensorFlow's default on x86)."""
    return "off" if os.environ.get("TF_ENABLE_ONEDNN_OPTS", "").strip() == "0" else "on"


def load() -> float:
    """The 1-minute load average at the time of the call (2 cores are shared)."""
    try:
        return os.getloadavg()[0]
    except OSError:
        return float("nan")


def _on_tensorflow() -> bool:
    """Whether this process runs Keras on TensorFlow (or has not imported Keras)."""
    keras = sys.modules.get("keras")
    return keras is None or keras.backend.backend() == "tensorflow"


def environment() -> dict:
    """What every result file records next to its figures (oneDNN is TensorFlow's switch:
    "n/a" on Keras' other backends, where it used to print "on")."""
    setting = onednn() if _on_tensorflow() else "n/a"
    return {**machine(), "cpu": cpu_name(), "cpu_flags": cpu_flags(), "onednn": setting,
            "TF_ENABLE_ONEDNN_OPTS": os.environ.get("TF_ENABLE_ONEDNN_OPTS", "(default)"),
            "load_1min": load()}


def _spread(values: list) -> dict:
    q = statistics.quantiles(values, n=4) if len(values) > 1 else [values[0]] * 3
    return {"median": statistics.median(values), "q1": q[0], "q3": q[2],
            "min": min(values), "max": max(values)}


def paired(cases: dict, rounds: int, warmup: int = 1, base: str | None = None) -> dict:
    """Wall and CPU time of each case, alternated in one process, and paired ratios to ``base``.

    ``cases`` maps a name to ``(fn, setup)``: ``setup()`` (untimed, may be ``None``) makes a
    fresh input for this round (a new image, so that no cache is hit), ``fn(arg)`` is timed.
    Every round runs every case once, in a rotating order, so load drift on a shared machine
    hits all sides alike; each round's time of a case is divided by the same round's time of
    ``base``, and the median and quartiles of those paired ratios are reported — wall AND CPU
    (process time: all threads), since a side that uses more cores can look faster on wall
    time while costing the user's other work more.
    """
    names = list(cases)
    for _ in range(warmup):
        for fn, setup in cases.values():
            fn(setup() if setup else None)
    wall = {n: [] for n in names}
    cpu = {n: [] for n in names}
    for r in range(rounds):
        order = names[r % len(names):] + names[:r % len(names)]
        for name in order:
            fn, setup = cases[name]
            arg = setup() if setup else None
            t0, c0 = time.perf_counter(), time.process_time()
            fn(arg)
            cpu[name].append(time.process_time() - c0)
            wall[name].append(time.perf_counter() - t0)
    out = {}
    for n in names:
        out[n] = {"wall_s": _spread(wall[n]), "cpu_s": _spread(cpu[n]), "rounds": rounds}
        if base and n != base:
            out[n]["ratio_wall"] = _spread([a / b for a, b in zip(wall[n], wall[base])])
            out[n]["ratio_cpu"] = _spread([a / b for a, b in zip(cpu[n], cpu[base])])
    return out


def print_paired(results: dict, width: int = 26, indent: str = "") -> None:
    """One line per case of :func:`paired`'s result: median time, and the paired ratios to the
    base (wall and CPU, with quartiles) where the case has them."""
    for k, r in results.items():
        ratio = ""
        if "ratio_wall" in r:
            ratio = (f"  {r['ratio_wall']['median']:.2f}x wall "
                     f"[{r['ratio_wall']['q1']:.2f}-{r['ratio_wall']['q3']:.2f}], "
                     f"{r['ratio_cpu']['median']:.2f}x CPU "
                     f"[{r['ratio_cpu']['q1']:.2f}-{r['ratio_cpu']['q3']:.2f}]")
        print(f"{indent}{k:<{width}} {r['wall_s']['median'] * 1e3:8.1f} ms{ratio}")


def write_result(name: str, payload: dict) -> Path:
    """Write ``results/<name>_onednn_<on|off>.json`` with the environment (``<name>.json`` on
    Keras' other backends, where oneDNN's TensorFlow switch means nothing); returns the path."""
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / (f"{name}_onednn_{onednn()}.json" if _on_tensorflow() else f"{name}.json")
    path.write_text(json.dumps({"environment": environment(), **payload}, indent=2) + "\n")
    return path


def backend_environment() -> dict:
    """``environment()`` for any Keras backend: TensorFlow is imported only when Keras runs on it
    (the JAX and PyTorch venvs have none), and each backend's own versions and threading."""
    import keras
    import numpy

    name = keras.backend.backend()
    env = {"backend": name, "python": platform.python_version(), "keras": keras.__version__,
           "numpy": numpy.__version__, "cpu": cpu_name(), "cpu_flags": cpu_flags(),
           "cpus": os.cpu_count(), "machine": platform.machine(), "load_1min": load()}
    if name == "tensorflow":
        import tensorflow as tf

        env.update(tensorflow=tf.__version__, onednn=onednn(),
                   TF_ENABLE_ONEDNN_OPTS=os.environ.get("TF_ENABLE_ONEDNN_OPTS", "(default)"))
    elif name == "jax":
        import jax
        import jaxlib

        env.update(jax=jax.__version__, jaxlib=jaxlib.__version__,
                   jax_device=str(jax.devices()[0]), jax_enable_x64=bool(jax.config.jax_enable_x64),
                   XLA_FLAGS=os.environ.get("XLA_FLAGS", "(unset)"))
    elif name == "torch":
        import torch

        env.update(torch=torch.__version__, torch_threads=torch.get_num_threads(),
                   mkldnn=bool(torch.backends.mkldnn.is_available()))
    return env
