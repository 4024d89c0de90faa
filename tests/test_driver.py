"""The test driver (tests/_driver.py) finds controls the way a user does — by role or by visible
label — on every view style, so widget tests need no private attribute."""
import ipywidgets as w
import numpy as np
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


def test_menus_are_found_by_what_they_offer_in_any_language(models):
    en = Driver(cv.KernelViewer(models["sequential"]))
    es = Driver(cv.KernelViewer(models["sequential"], lang="es"))
    assert en.menu("per_slice") is not en.menu("seismic")  # the scale and the colormap menus
    assert en.menu("per_slice").description != es.menu("per_slice").description
    es.menu("per_slice").value = "per_slice"
    assert es.view.scale == "per_slice"
    with pytest.raises(LookupError, match="0 menus offer"):
        en.menu("no such value")


def test_a_tile_click_and_a_status_line_as_the_user_meets_them(models):
    model = models["sequential"]
    d = Driver(cv.KernelViewer(model, layer="conv_b"))
    n = d.top("convviz-channel") + 1
    d.click_tile("convviz-overview", 0, y=n - 1)  # the overview's row n-1 is filter n-1
    assert d.view.filter_index == n - 1 and d.status() == ""
    d.click_tile("convviz-overview", 0, y=n + 5)  # below the last filter
    assert d.view.filter_index == n - 1 and "out of range" in d.status()


def test_a_container_s_shown_control_wins_over_its_pages_hidden_ones(models):
    model = models["sequential"]
    ex = cv.Explorer(model, [np.zeros(model.input_shape[1:], np.float32)])
    d = Driver(ex)
    assert len(d.find("convviz-layer")) > 1  # every page has its own, hidden
    d.set("convviz-layer", d.options("convviz-layer")[-1])
    assert ex.layer == d.options("convviz-layer")[-1] == ex.kernels.layer
    note = d.beside(ex.gradcam, "convviz-page-note")
    assert note is not d.beside(ex.kernels, "convviz-page-note")
    assert d.html("convviz-gradcam-trust-line") == ""
    ex.gradcam.cancel()
