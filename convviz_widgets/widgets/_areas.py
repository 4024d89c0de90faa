"""compute's areas as the running Keras backend has them (issue 25).

Views only see numpy; what a view asks of compute beyond its public names (a menu's methods,
a recipe's default steps) lives in an area's package: :mod:`..compute.cam`,
:mod:`..compute.maximize`, … ``compute/__init__.py`` imports an area on the backends it runs
on; on the others it is never imported (it would load TensorFlow). A view reads an area at
use through :func:`area`, so the view is built on every backend, and an area that is not on
this backend yet is the one error that says so (``backend.only_tensorflow``), shown in the
view's status line like any other failure.
"""

from __future__ import annotations

import sys

from .. import compute
from ..compute import backend


def area(name: str):
    """compute's module ``name`` (``"cam"``, ``"maximize"``, …) on this backend, or the
    error that says it runs on TensorFlow only so far.

    Examples
    --------
    >>> area("cam").cam_methods()["gradcam"]  # doctest: +SKIP
    'Grad-CAM'
    """
    module = sys.modules.get(f"{compute.__name__}.{name}")
    if module is None:
        raise backend.only_tensorflow(f"convviz_widgets.compute.{name}")
    return module


def available(name: str) -> bool:
    """Whether compute's area ``name`` runs on this backend."""
    return f"{compute.__name__}.{name}" in sys.modules
