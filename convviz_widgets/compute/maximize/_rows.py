"""The rows of one :func:`~convviz_widgets.compute.maximize.maximize` call, run: each distinct
filter once with cached rows served from the result cache, or ``n_patterns`` coupled rows per
filter for the diversity objective. Both hand the work to ``_loop.optimize`` and return the
rows in request order."""

from __future__ import annotations

import numpy as np

from ._loop import auto_batch_size, optimize
from .objectives import LOGITS

__all__ = ["run_cached", "run_diverse"]


def _begin(tracker, n_rows, bs, steps):
    tracker.begin((-(-n_rows // bs) if n_rows else 0) * steps)
    return tracker.total


def _init_rows(run, m):
    start = run["start"]
    if start is None:
        return None
    return np.broadcast_to(start, (m,) + start.shape)


def run_cached(run, filters, batch_size, store, tracker, cached_only=False):
    """Every distinct filter once, cached rows served from ``store``; rows in request order
    (with ``cached_only``, only those: nothing is computed).

    Returns ``(images, activations, objectives, histories, complete, from_cache, filters)``
    lists and whether the run was cancelled."""
    hw, c, steps = run["hw"], run["c"], run["steps"]
    n = len(filters)
    uniq, first = np.unique(filters, return_index=True)  # each filter computed once
    found = {}
    if store is not None:
        for f in uniq:
            item = store.get(int(f))
            if item is not None:
                found[int(f)] = item
    todo = np.array([] if cached_only else [f for f in uniq if int(f) not in found], np.int64)
    todo_rows = np.array([first[np.searchsorted(uniq, f)] for f in todo], np.int64)

    frames = np.full((n,) + hw + (c,), 0.5, np.float32)
    frame_act = np.full((n,), np.nan, np.float32)
    for i, f in enumerate(filters):
        if int(f) in found:
            frames[i] = found[int(f)][0]
            frame_act[i] = found[int(f)][1]

    computed = {}
    cancelled = False
    report = run["path"] if run["path"] != LOGITS else None
    bs = int(batch_size) if batch_size else auto_batch_size(run["acc"], report, hw)
    bs = max(1, min(bs, max(1, len(todo))))
    total = _begin(tracker, len(todo), bs, steps)
    if len(todo):
        loop = optimize(run["acc"], filters=todo, seeds=run["seed"], steps=steps,
                        objective=run["obj"], report_path=run["path"], param=run["p"],
                        transforms=run["t"], optimizer=run["opt"],
                        preprocess=run["preprocess"], hw=hw, channels=c, batch_size=bs,
                        init=_init_rows(run, len(todo)), tracker=tracker, step_total=total,
                        frames=frames, frame_rows=todo_rows, frame_activation=frame_act,
                        # The lesson's recipe stays as taught: stuck when a unit is silent.
                        redirect_dead=run["method"] == "regularized")
        cancelled = loop.cancelled
        for j, r in enumerate(loop.rows):
            f = int(todo[r])
            full = bool(loop.steps_done[j] == steps)
            item = (loop.images[j], float(loop.activation[j]), float(loop.objective[j]),
                    loop.history[:, j])
            computed[f] = (item, full)
            if full and store is not None:
                store.put(f, item)

    out = ([], [], [], [], [], [], [])
    for f in filters:
        f = int(f)
        if f in found:
            item, full, hit = found[f], True, True
        elif f in computed:
            (item, full), hit = computed[f], False
        else:
            continue  # never started (cancelled before its chunk)
        for lst, v in zip(out, (item[0], item[1], item[2], item[3], full, hit, f)):
            lst.append(v)
    return out + (cancelled,)


def run_diverse(run, filters, n_patterns, tracker):
    """``n_patterns`` rows per filter, optimised together (the diversity term couples them);
    returned as :func:`run_cached` returns them (never from the cache)."""
    if n_patterns < 2:
        raise ValueError(f"objective='diversity' needs n_patterns ≥ 2, got {n_patterns}.")
    rows = np.repeat(np.asarray(filters, np.int64), n_patterns)
    keys = np.tile(np.arange(n_patterns), len(filters))
    total = _begin(tracker, len(rows), n_patterns, run["steps"])
    loop = optimize(run["acc"], filters=rows, seeds=run["seed"], steps=run["steps"],
                    objective=run["obj"], report_path=run["path"], param=run["p"],
                    transforms=run["t"], optimizer=run["opt"], preprocess=run["preprocess"],
                    hw=run["hw"], channels=run["c"], batch_size=n_patterns,
                    init=_init_rows(run, len(rows)), tracker=tracker, step_total=total,
                    row_keys=keys)
    full = loop.steps_done == run["steps"]
    return (list(loop.images), list(loop.activation), list(loop.objective),
            list(loop.history.T), list(full), [False] * len(loop.rows),
            [int(f) for f in rows[loop.rows]], loop.cancelled)
