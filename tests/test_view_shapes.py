"""Shape rules of the widget layer (issue 24): a view class reads top to bottom, so no view has
more than three project classes above it; views are built from components, not stacked mixins."""
import inspect

import pytest

import convviz_widgets as cv

MAX_PROJECT_BASES = 3


def _views():
    for name in sorted(cv.__all__):
        obj = getattr(cv, name)
        if inspect.isclass(obj) and obj.__module__.startswith("convviz_widgets.widgets"):
            yield name, obj


def _project_bases(cls):
    return [c.__name__ for c in cls.__mro__[1:] if c.__module__.startswith("convviz_widgets")]


@pytest.mark.parametrize("name,cls", list(_views()), ids=[n for n, _ in _views()])
def test_no_view_has_more_than_three_project_classes_above_it(name, cls):
    bases = _project_bases(cls)
    assert len(bases) <= MAX_PROJECT_BASES, (
        f"{name} has {len(bases)} project classes above it ({bases}): make the extra behaviour a "
        f"component (a widget with its own traits) the view composes")
