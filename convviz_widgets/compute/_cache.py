"""A least-recently-used mapping bounded by the bytes of its values.

Activations of early layers are large (VGG16's ``block1_conv1`` for one 224×224 image is 12.8 MB),
so a count-bounded cache is either useless or a memory leak; the bound has to be in bytes.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any, Hashable

import numpy as np

DEFAULT_CACHE_BYTES = 512 * 2**20  # 512 MiB: every VGG16 layer for ~8 images at 224×224.


def nbytes_of(value: Any) -> int:
    """Bytes held by ``value`` (numpy arrays, or tuples/lists/dicts of them)."""
    if isinstance(value, np.ndarray):
        return int(value.nbytes)
    if isinstance(value, dict):
        return sum(nbytes_of(v) for v in value.values())
    if isinstance(value, (tuple, list)):
        return sum(nbytes_of(v) for v in value)
    nb = getattr(value, "nbytes", None)
    return int(nb) if nb is not None else 64


class ByteLRU:
    """Thread-safe LRU cache whose capacity is a number of bytes.

    Parameters
    ----------
    max_bytes : int
        Capacity. An item larger than the whole capacity is not stored at all.

    Examples
    --------
    >>> c = ByteLRU(max_bytes=1000)
    >>> c.put("a", np.zeros(100, np.float32))   # 400 bytes
    >>> c.get("a").shape
    (100,)
    >>> c.put("b", np.zeros(200, np.float32))   # 800 bytes: "a" is evicted
    >>> c.get("a") is None
    True
    """

    def __init__(self, max_bytes: int = DEFAULT_CACHE_BYTES):
        self.max_bytes = int(max_bytes)
        self._items: OrderedDict[Hashable, tuple[Any, int]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    @property
    def nbytes(self) -> int:
        """Bytes currently held."""
        return self._bytes

    def __len__(self) -> int:
        return len(self._items)

    def __contains__(self, key: Hashable) -> bool:
        return key in self._items

    def get(self, key: Hashable, default: Any = None) -> Any:
        """Return the value for ``key`` (marking it most recently used) or ``default``."""
        with self._lock:
            item = self._items.get(key)
            if item is None:
                self.misses += 1
                return default
            self._items.move_to_end(key)
            self.hits += 1
            return item[0]

    def put(self, key: Hashable, value: Any) -> None:
        """Store ``value``, evicting least recently used items until it fits."""
        size = nbytes_of(value)
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self._bytes -= old[1]
            if size > self.max_bytes:
                return
            self._items[key] = (value, size)
            self._bytes += size
            while self._bytes > self.max_bytes:
                _, (_, evicted) = self._items.popitem(last=False)
                self._bytes -= evicted

    def discard(self, key: Hashable) -> None:
        """Drop ``key``'s value if it is there (a value known to be unusable)."""
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self._bytes -= old[1]

    def clear(self) -> None:
        """Drop everything."""
        with self._lock:
            self._items.clear()
            self._bytes = 0

    def resize(self, max_bytes: int) -> None:
        """Change the capacity, evicting as needed."""
        with self._lock:
            self.max_bytes = int(max_bytes)
            while self._bytes > self.max_bytes and self._items:
                _, (_, evicted) = self._items.popitem(last=False)
                self._bytes -= evicted
