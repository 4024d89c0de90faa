"""The optimisation loop: one compiled gradient-ascent step for a batch of images, chunked.

The step is a pure function ``(params, optimiser state, filters, randoms) -> (new params, new
state, image, activation, objective)`` compiled once per model, layer and settings through the
backend seam (``backend.compile``): a ``tf.function`` with a ``None`` batch dimension on
TensorFlow, so every chunk (including a shorter last one) reuses one trace; a stateless
``jax.jit`` on JAX, the optimiser state going in and out as arguments; eager on PyTorch. The
loop around it is plain Python: it hands each step its random numbers, checks for cancellation
before every step and reports frames through a callback instead of printing. What the step
computes forward (the features, the one-channel fast path) is ``_forward``'s.

Randomness is drawn on the host from ``numpy.random.default_rng([seed, filter])``: the starting
image and every transform of a filter depend only on the seed and the filter index, never on
which other filters share its chunk, so results are reproducible and can be cached per filter.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np
from keras import ops

from .. import backend
from .._preprocess_identity import preprocess_key
from ..progress import Progress, Tracker
from ._forward import (dense_units, fast_target, features, is_relu, report_value,
                       selected_preactivation)
from .objectives import Channel, Context, Neuron, Objective
from .param import Parameterization
from .transforms import Compose, Transform

__all__ = ["LoopResult", "optimize", "auto_batch_size"]

#: Activation memory a chunk may use (forward + backward), in bytes.
MEMORY_BUDGET = 768 * 2**20
#: Largest chunk. A default gallery (64 filters) of a small model then forms all at once; larger
#: chunks gain nothing on a CPU and only delay the first frame.
MAX_BATCH = 64


def build_step(acc, *, objective: Objective, report_path: str | None,
               param: Parameterization, transform: Transform | None, optimizer,
               preprocess: Callable | None, hw: tuple, channels: int,
               model_hw: tuple | None = None, redirect_dead: bool = False):
    """Compile (once per settings, memoised on the model) the ascent step and the evaluator.

    ``redirect_dead``: a ReLU channel that is ≤ 0 at every position for the current image has
    no gradient at all, so ascent never starts (filters that need specific structure are
    silent on a grey start). While a row's objective is exactly 0, its gradient is taken from
    the same objective on the pre-activation instead, which climbs until the unit fires; the
    objective's *value* is unchanged. Only where the pre-activation is reachable (see
    :func:`fast_target`).
    """
    h, w = hw
    c = channels
    paths = tuple(sorted(set(objective.layers()) | ({report_path} if report_path else set())))
    pshape = param.shape(h, w, c)
    n_rand = transform.n_random if transform is not None else 0
    project = not param.bounded and getattr(param, "clip", True)
    fast = fast_target(acc, objective, report_path)
    dense_pre = dense_units(acc, paths)
    redirect = bool(redirect_dead and fast is not None and type(objective) in (Channel, Neuron))
    key = ("maximize-step", fast[0] if fast else None, redirect, paths, objective.key,
           report_path, param.key, None if transform is None else transform.key, optimizer.key,
           # What the preprocess computes (one rule, _identity.preprocess_key): an equal
           # new lambda reuses the trace.
           preprocess_key(preprocess), hw, c, model_hw)

    def forward(x, image, filters):
        """``(features, objective value)``; one channel per row on the fast path."""
        if fast is None:
            feats = features(acc, x, paths, preprocess, model_hw, dense_pre)
            value = objective(Context(feats, image, filters))
            return report_value(feats, report_path, filters, value), value
        z, activation = selected_preactivation(acc, fast[0], report_path, x, filters,
                                                preprocess, model_hw)
        # Each row's own channel now sits at index 0 of a one-channel map.
        rows = ops.zeros_like(filters)
        feats = {report_path: ops.cast(activation(z), "float32")}
        # The pre-activation too: "what turns a filter off" is read before its ReLU (after
        # it, every image that silences the unit is equally good and has no gradient).
        value = objective(Context(feats, image, rows, {report_path: ops.cast(z, "float32")}))
        if redirect and is_relu(activation):
            dead = ops.stop_gradient(ops.cast(value <= 0.0, "float32"))  # (n,)
            pre = objective(Context({report_path: ops.cast(z, "float32")}, image, rows))
            value = value + dead * (pre - ops.stop_gradient(pre))  # same value, live gradient
        return report_value(feats, report_path, rows, value), value

    def build():
        pspec = ((None,) + pshape, "float32")
        fspec = ((None,), "int32")
        specs = [pspec, ((), "float32"), fspec, ((None, n_rand), "float32")]
        specs += [pspec] * optimizer.n_state

        def step(params, t, filters, u, *state):
            def total(p):
                image = param.to_image(p, h, w, c)
                x = transform(image, u) if transform is not None else image
                act, value = forward(x, image, filters)
                # Rows are independent: each gets its own gradient from the sum.
                return ops.sum(value), (image, act, value)

            # Only the image's gradient is taken (on TensorFlow the convolutions back-propagate
            # as forward convolutions: the backward pass was 2x the forward without it).
            (_, (image, act, value)), g = backend.value_and_grad(total, params, has_aux=True)
            delta, new_state = optimizer.update(g, state, t)
            new = params + delta
            if project:
                # Pixel parameters must stay a valid display image (the result must be one).
                new = ops.clip(new, 0.0, 1.0)
            return (new, image, act, value) + tuple(new_state)

        def evaluate(params, filters):
            image = param.to_image(params, h, w, c)
            act, value = forward(image, image, filters)
            return image, act, value

        weights = acc.model.weights
        return (backend.compile(step, weights, specs),
                backend.compile(evaluate, weights, [pspec, fspec]))

    return acc.compiled(key, build)


def auto_batch_size(acc, report_path: str | None, hw: tuple, budget: int = MEMORY_BUDGET) -> int:
    """Images per chunk so that activations (forward and backward) fit in ``budget`` bytes.

    Layers are counted in model order up to ``report_path`` (later layers are pruned from the
    compiled step); unknown spatial sizes (fully convolutional models) count at input size,
    an overestimate that only makes chunks smaller.

    Examples
    --------
    >>> auto_batch_size(access(model), "block3_conv1", (128, 128))        # doctest: +SKIP
    14
    """
    floats = 0
    for path, info in acc.infos().items():
        if info.is_spatial and not info.is_container and info.calls:
            oh, ow, oc = info.output_shape[1:]
            floats += (oh or hw[0]) * (ow or hw[1]) * (oc or 1) * max(1, info.calls)
        if path == report_path:
            break
    per_image = max(1, floats) * 4 * 3  # float32; forward output, its gradient, and slack
    return int(max(1, min(MAX_BATCH, budget // per_image)))


# ------------------------------------------------------------------------------- the loop
def wants_frames(tracker: Tracker) -> bool:
    """True when the tracker's observer overrides :meth:`Progress.on_frame`."""
    p = tracker.progress
    return p is not None and type(p).on_frame is not Progress.on_frame


@dataclass
class LoopResult:
    """What :func:`optimize` produced for the rows it ran.

    Attributes
    ----------
    rows : ndarray
        ``(m,)`` indices (into the caller's arrays) of rows that were started.
    images : ndarray
        ``(m, H, W, C)`` float32 in [0, 1]: the final optimised images.
    activation, objective : ndarray
        ``(m,)`` float32, measured on ``images`` (no transforms).
    history : ndarray
        ``(steps, m)`` float32: the reported activation at each step (on the transformed image
        the step saw); NaN for steps not run after a cancel.
    steps_done : ndarray
        ``(m,)`` int.
    cancelled : bool
    """

    rows: np.ndarray
    images: np.ndarray
    activation: np.ndarray
    objective: np.ndarray
    history: np.ndarray
    steps_done: np.ndarray
    cancelled: bool


def optimize(acc, *, filters: np.ndarray, seeds: Sequence[int] | int, steps: int,
             objective: Objective, report_path: str | None, param: Parameterization,
             transforms: Sequence[Transform] | Transform | None, optimizer,
             preprocess: Callable | None, hw: tuple, channels: int,
             model_hw: tuple | None = None, batch_size: int | None = None,
             init: np.ndarray | None = None, tracker: Tracker | None = None,
             step_offset: int = 0, step_total: int | None = None,
             frames: np.ndarray | None = None, frame_rows: np.ndarray | None = None,
             frame_activation: np.ndarray | None = None, redirect_dead: bool = False,
             row_keys: Sequence[int] | None = None) -> LoopResult:
    """Run ``steps`` ascent steps for every row of ``filters``, ``batch_size`` rows at a time.

    Parameters
    ----------
    filters : ndarray
        ``(m,)`` the filter (channel of the report layer) each row optimises.
    seeds : int or sequence of int
        Per-row seeds for the starting image and the transforms (an int: one for all rows,
        combined with each row's filter index).
    init : ndarray, optional
        ``(m,) + param shape`` starting parameters instead of random ones.
    tracker : Tracker, optional
        The caller's :class:`~convviz_widgets.compute.progress.Tracker`: checked for a cancel
        before every step, told ``step(done, total)`` after it (``done`` counts from
        ``step_offset``; ``total`` is ``step_total``, default this call's steps), and handed
        ``frames`` / ``frame_activation`` through ``frame()`` when its observer has an
        ``on_frame`` hook. A stop returns the rows started so far.
    frames, frame_rows, frame_activation : ndarray, optional
        The caller's ``(N, H, W, C)`` / ``(N,)`` display buffers, and where row ``i`` of
        ``filters`` lives in them; defaults to buffers of just these rows.
    row_keys : sequence of int, optional
        Extra per-row entropy for the random start (several patterns of one filter).
    redirect_dead : bool
        Climb the pre-activation of ReLU units that are silent everywhere (see
        :func:`build_step`).
    """
    filters = np.asarray(filters, np.int64)
    m = len(filters)
    h, w = hw
    c = channels
    if isinstance(transforms, Transform):
        transform = transforms
    elif transforms:
        transform = Compose(list(transforms))
    else:
        transform = None
    n_rand = transform.n_random if transform is not None else 0
    step_fn, evaluate = build_step(
        acc, objective=objective, report_path=report_path, param=param, transform=transform,
        optimizer=optimizer, preprocess=preprocess, hw=hw, channels=c, model_hw=model_hw,
        redirect_dead=redirect_dead)
    seeds = np.broadcast_to(np.asarray(seeds, np.int64), (m,))
    bs = int(batch_size) if batch_size else auto_batch_size(acc, report_path, hw)
    bs = max(1, min(bs, max(1, m)))
    if frames is None:
        frames = np.full((m, h, w, c), 0.5, np.float32)
        frame_rows = np.arange(m)
    if frame_activation is None:
        frame_activation = np.full((len(frames),), np.nan, np.float32)
    if frame_rows is None:
        frame_rows = np.arange(m)

    n_chunks = -(-m // bs) if m else 0
    total = step_total if step_total is not None else n_chunks * steps
    tracker = tracker if tracker is not None else Tracker()
    # Frames cost a device-to-host copy per step: only for observers that look at them.
    want_frames = wants_frames(tracker)
    out_images = np.empty((m, h, w, c), np.float32)
    out_act = np.full((m,), np.nan, np.float32)
    out_obj = np.full((m,), np.nan, np.float32)
    history = np.full((steps, m), np.nan, np.float32)
    steps_done = np.zeros((m,), np.int64)
    started = np.zeros((m,), bool)
    cancelled = False
    done = int(step_offset)

    for k in range(n_chunks):
        idx = np.arange(k * bs, min(m, (k + 1) * bs))
        if tracker.cancel_requested:
            cancelled = True
            break
        rngs = [np.random.default_rng([int(seeds[i]), int(filters[i])]
                                      + ([int(row_keys[i])] if row_keys is not None else []))
                for i in idx]
        if init is not None:
            p0 = np.asarray(init[idx], np.float32)
        else:
            p0 = np.stack([param.init(r, h, w, c) for r in rngs])  # (b,) + param shape
        # Draw every step's randoms up front: (b, steps, k) -> (steps, b, k) for slicing.
        rand = np.stack([r.random((steps, n_rand), np.float32) for r in rngs], axis=1)
        params = ops.convert_to_tensor(p0)
        state = [ops.zeros_like(params) for _ in range(optimizer.n_state)]
        f = ops.convert_to_tensor(filters[idx].astype(np.int32))
        started[idx] = True
        rows_view = frame_rows[idx]
        for s in range(steps):
            if tracker.cancel_requested:
                cancelled = True
                break
            out = step_fn(params, ops.convert_to_tensor(np.float32(s + 1)), f,
                          ops.convert_to_tensor(rand[s]), *state)
            params, image, act = out[0], out[1], out[2]
            state = list(out[4:])
            act_np = backend.to_numpy(act)
            history[s, idx] = act_np
            steps_done[idx] = s + 1
            done += 1
            go_on = tracker.step(done, total)
            if want_frames:
                frames[rows_view] = backend.to_numpy(image)
                frame_activation[rows_view] = act_np
                tracker.frame(frames, frame_activation)
            if not go_on:
                cancelled = True
                break
        with backend.no_grad():  # PyTorch: no autograd graph for the final measurement
            image, act, value = backend.to_numpy(evaluate(params, f))
        out_images[idx] = image
        out_act[idx] = act
        out_obj[idx] = value
        if want_frames:
            # The view ends on the final images (not the last pre-update frame).
            frames[rows_view] = out_images[idx]
            frame_activation[rows_view] = out_act[idx]
            tracker.frame(frames, frame_activation)
        if cancelled:
            break

    keep = np.flatnonzero(started)
    return LoopResult(keep, out_images[keep], out_act[keep], out_obj[keep], history[:, keep],
                      steps_done[keep], cancelled)
