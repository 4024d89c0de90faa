"""Score-CAM's masked forward passes: the image times each upsampled map, batched.

Built per image by :func:`_masked_scorer` (``CAMContext.masked_scores``); the model runs in the
engine's compiled forward-only function (:func:`._engine._masked_fn`, looked up at call time).
"""

from __future__ import annotations

import numpy as np
from keras import ops

from .. import backend
from .._preprocess_identity import preprocess_key
from .._images import image_digest
from ..outputs import probabilities
from . import _engine
from .base import CAMTracker


def _masked_scorer(acc, preprocess, o, oi, x, targets, path, cache, hooks):
    """Build ``ctx.masked_scores`` for one image and its resolved targets.

    ``hooks`` is the call's ``(on_step, cancel, tracker)``: a method passing the context's own
    ``on_step``/``cancel`` reports through the call's tracker (one ``on_begin``/``on_end`` for a
    :class:`~convviz_widgets.compute.Progress`); other hooks get a tracker of their own.
    """

    def masked_scores(maps, on_step=None, cancel=None, batch_size=32):
        maps = np.asarray(maps, np.float32)  # (m, h, w)
        m = maps.shape[0]
        class_targets = not callable(targets[0])
        key = None
        if class_targets and cache:
            key = ("cam_masked", image_digest(x[0]), preprocess_key(preprocess),
                   acc.weights_version(), path, oi, image_digest(maps))
            hit = acc.cache.get(key)
            if hit is not None:
                return hit[:, targets]
        shared = on_step is hooks[0] and cancel is hooks[1]
        tracker = hooks[2] if shared else CAMTracker(on_step, cancel)
        fn = _engine._masked_fn(acc, preprocess, oi, None if class_targets else targets[0])
        xt = ops.convert_to_tensor(x)
        rows = []
        total = -(-m // batch_size)
        try:
            for b, start in enumerate(range(0, m, batch_size)):
                tracker.check_before(b, total)
                up = _engine._upsampled(maps[start:start + batch_size], x.shape[1:3])
                out = backend.to_numpy(fn(xt, ops.convert_to_tensor(up)))
                if class_targets:
                    rows.append(probabilities(out, o))  # (b, classes)
                else:
                    rows.append(out.reshape(-1)[:, None])  # (b,) -> (b, 1)
                tracker.report(b + 1, total)
        finally:
            if not shared:
                tracker.end()
        allout = np.concatenate(rows, axis=0)
        if key is not None and np.isfinite(allout).all():
            acc.cache.put(key, allout)
        return allout[:, targets] if class_targets else allout

    return masked_scores
