"""The test driver (tests/_driver.py) finds controls the way a user does — by role or by visible
label — on every view style, so widget tests need no private attribute."""
import ipywidgets as w
import pytest

import convviz_widgets as cv
from _driver import Driver


def test_kernel_viewer_is_driven_by_its_roles(models):
    model = models["functional"]
    d = Driver(cv.KernelViewer(model))
    layers = d.options("convviz-layer")
    assert len(layers) >= 2
    d.set("convviz-layer", layers[-1])
    view = d.view
    assert view.layer == layers[-1]
    n_filters = cv.kernels(model, layers[-1]).shape[-1]
    assert d.control("convviz-channel").max == n_filters - 1
    d.set("convviz-channel", n_filters - 1)
    assert view.filter_index == n_filters - 1


def test_roles_do_not_depend_on_the_language(models):
    en = Driver(cv.KernelViewer(models["sequential"]))
    es = Driver(cv.KernelViewer(models["sequential"], lang="es"))
    assert en.control("convviz-layer").description != es.control("convviz-layer").description
    assert es.options("convviz-layer") == en.options("convviz-layer")
    assert es.status() == ""                    # a fresh view shows no error


def test_control_lookup_lists_what_there_is(models):
    d = Driver(cv.KernelViewer(models["nested"]))
    with pytest.raises(LookupError, match="convviz-layer"):
        d.control("no such control")
    assert d.find(w.Dropdown)
