"""What every Keras backend must give alike: one module per area of compute (issue 25).

``tests/test_backends.py`` builds its models on TensorFlow, saves them as ``.keras``, and runs
every module here on each loaded model — in this process (TensorFlow) and in one subprocess per
other backend (JAX, PyTorch; venvs without TensorFlow). It then compares what each returned.

A module here defines:

``probe(model, images) -> dict``
    What this area computes on ``model`` for ``images`` (3 float32 images in 0..1 of the
    model's input size). Values are numpy arrays (compared within the tolerance below) or
    JSON-able values (compared for equality: labels, layer names, counts). Return ``{}`` for a
    model the area does not apply to. Keys are local to the area (the test prefixes them).
``TOLERANCE`` (optional)
    ``{key prefix: (rtol, atol relative to the reference's largest absolute value)}``; the
    longest matching prefix wins, else ``(1e-4, 1e-4)``. Say in the module why each is what
    it is (what was measured).
``NONZERO`` (optional)
    Key prefixes whose reference must not be all zeros (a compared zero proves nothing).

One module per area so that areas are ported, and their probes written, independently.
"""

from __future__ import annotations

import importlib
import pkgutil

#: The areas, in a fixed order.
AREAS = tuple(sorted(m.name for m in pkgutil.iter_modules(__path__) if not m.name.startswith("_")))

DEFAULT_TOLERANCE = (1e-4, 1e-4)


def modules():
    return {name: importlib.import_module(f"{__name__}.{name}") for name in AREAS}


def tolerance(module, key: str) -> tuple[float, float]:
    table = getattr(module, "TOLERANCE", {})
    best = max((p for p in table if key.startswith(p)), key=len, default=None)
    return DEFAULT_TOLERANCE if best is None else table[best]


def must_be_nonzero(module, key: str) -> bool:
    return any(key.startswith(p) for p in getattr(module, "NONZERO", ()))
