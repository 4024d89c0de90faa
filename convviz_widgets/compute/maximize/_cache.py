"""Result cache for filter patterns: in memory (the model's LRU) and optionally on disk.

A result is stored per filter under a key made of the model's weights, the layer, the filter,
every setting that changes the optimisation, and the seed. Both identities follow the one rule of
:mod:`convviz_widgets.compute._identity`, like every other cache: the weights through
:func:`~convviz_widgets.compute.weights_digest` (the persistent spelling of
:func:`~convviz_widgets.compute.weights_identity`, so ``set_weights`` and training invalidate
results), the ``preprocess`` through :func:`~convviz_widgets.compute.preprocess_key`. In memory the key is the settings tuple itself;
on disk it is :func:`~convviz_widgets.compute.persistent_digest` of it, and settings that hold an
object known only by identity are kept in memory only (another process could not recognise it).
"""

from __future__ import annotations

import hashlib
import os
import pathlib
import tempfile

import numpy as np

from .._preprocess_identity import persistent_digest

__all__ = ["ResultCache"]


class ResultCache:
    """Per-filter results of one maximisation setting, in memory and optionally on disk.

    Parameters
    ----------
    memory : ByteLRU or None
        The model's in-memory cache (``access(model).cache``).
    settings : tuple
        Everything but the filter that determines a result (hashable, repr-stable).
    cache_dir : str or path, optional
        Directory for ``.npz`` files; created on first write.

    Examples
    --------
    >>> from convviz_widgets.compute._cache import ByteLRU
    >>> c = ResultCache(ByteLRU(10**6), ("demo", 1))
    >>> c.put(3, (np.zeros((2, 2, 1), np.float32), 1.5, 0.5, np.ones(4, np.float32)))
    >>> c.get(3)[1]
    1.5
    """

    def __init__(self, memory, settings: tuple, cache_dir=None):
        self.memory = memory
        self.settings = settings
        # None: the settings hold an object known only by identity; memory only, no files.
        self.digest = persistent_digest(settings)
        self.dir = pathlib.Path(cache_dir).expanduser() \
            if cache_dir is not None and self.digest is not None else None
        try:
            hash(settings)
            # The settings themselves, not a digest: identity parts stay alive with the entry.
            self._mem = settings
        except TypeError:  # an unhashable part (an array in an objective): its spelled digest
            self._mem = self.digest or hashlib.blake2b(repr(settings).encode(),
                                                       digest_size=16).hexdigest()

    def _mem_key(self, f: int):
        return ("maximize", self._mem, int(f))

    def _path(self, f: int) -> pathlib.Path:
        return self.dir / f"{self.digest}-{int(f)}.npz"

    def get(self, f: int):
        """``(image, activation, objective, history)`` for filter ``f``, or ``None``."""
        if self.memory is not None:
            hit = self.memory.get(self._mem_key(f))
            if hit is not None:
                return hit
        if self.dir is not None:
            path = self._path(f)
            if path.exists():
                try:
                    with np.load(path) as z:
                        item = (z["image"].astype(np.float32), float(z["activation"]),
                                float(z["objective"]), z["history"].astype(np.float32))
                except (OSError, KeyError, ValueError):  # a torn or foreign file: recompute
                    return None
                if self.memory is not None:
                    self.memory.put(self._mem_key(f), item)
                return item
        return None

    def put(self, f: int, item) -> None:
        """Store ``(image, activation, objective, history)`` for filter ``f``."""
        image, act, obj, hist = item
        item = (np.asarray(image, np.float32), float(act), float(obj),
                np.asarray(hist, np.float32))
        if self.memory is not None:
            self.memory.put(self._mem_key(f), item)
        if self.dir is not None:
            self.dir.mkdir(parents=True, exist_ok=True)
            # Write then rename: a reader never sees a half-written file.
            fd, tmp = tempfile.mkstemp(dir=self.dir, suffix=".tmp")
            try:
                with os.fdopen(fd, "wb") as fh:
                    np.savez(fh, image=item[0], activation=np.float32(item[1]),
                             objective=np.float32(item[2]), history=item[3])
                os.replace(tmp, self._path(f))
            except BaseException:
                if os.path.exists(tmp):
                    os.unlink(tmp)
                raise
