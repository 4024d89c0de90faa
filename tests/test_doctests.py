"""The examples in the docstrings run: compute/, display/ and plotting (widgets' helpers are run
in test_widgets_views). Examples that need a trained model or a notebook are marked +SKIP."""

import doctest
import importlib
import pkgutil

import keras
import numpy as np
import pytest

import convviz_widgets

PACKAGES = ["convviz_widgets.compute", "convviz_widgets.display", "convviz_widgets.plotting"]
#: The backend seam's module per Keras backend: only the running backend's can be imported (the
#: others import jax or torch); tests/test_backends.py runs those under their own backend.
SEAM = {"tensorflow": "_tf", "jax": "_jax", "torch": "_torch"}
OTHER_SEAMS = {f"convviz_widgets.compute.backend.{m}" for b, m in SEAM.items()
               if b != keras.backend.backend()}


def modules():
    names = []
    for pkg in PACKAGES:
        mod = importlib.import_module(pkg)
        names.append(pkg)
        names += [m.name for m in pkgutil.walk_packages(mod.__path__, pkg + ".")]
    return sorted(set(names) - OTHER_SEAMS)


@pytest.mark.parametrize("name", modules())
def test_docstring_examples_run(name):
    mod = importlib.import_module(name)
    globs = {"np": np, "cv": convviz_widgets}
    result = doctest.testmod(mod, extraglobs=globs, optionflags=doctest.NORMALIZE_WHITESPACE
                             | doctest.ELLIPSIS)
    assert result.failed == 0, f"{result.failed} docstring example(s) of {name} failed"


def test_examples_exist():
    attempted = sum(doctest.testmod(importlib.import_module(n), extraglobs={"np": np},
                                    optionflags=doctest.NORMALIZE_WHITESPACE).attempted
                    for n in ["convviz_widgets.display.scaling", "convviz_widgets.display.mosaic",
                              "convviz_widgets.compute.receptive_field"])
    assert attempted >= 10
