"""What :class:`GradCAMViewer` can explain: the output, its classes (or, for an image-shaped
output, its regions), and the one typed target of the widget side.

:class:`TargetSpace` is where a target is checked, offered in the picker's menu and named. A
choice is typed — :data:`._targets.TOP_1` (the model's own answer), a class index, a callable, a
:class:`~convviz_widgets.compute.Region` — and maps one to one onto compute's target forms
(``None``, int, callable, Region): no menu codes.
"""

from __future__ import annotations

import numpy as np

from .. import compute
from ._gradcam_display import target_options
from ..i18n import tr
from ._view_error import ViewError
from ._targets import TOP_1, class_names_for, target_label, to_choice


def output_of(model, output, allow_all: bool):
    """The index of the explained output (None: all of them, for a callable target)."""
    return compute.output_index(model, output, allow_all=allow_all)


def n_classes(model, output=None, allow_all: bool = True) -> int | None:
    """How many classes the explained output has (None for all outputs)."""
    oi = output_of(model, output, allow_all)
    return None if oi is None else compute.output_info(model)[oi].num_classes


class TargetSpace:
    """The targets of one model's output, in one language.

    Parameters
    ----------
    model : keras.Model
    output : int or str or None
        The output explained (see :class:`GradCAMViewer`).
    target : optional
        The first target (a callable one is kept in the menu as "custom").
    class_names : list of str or None
        Names given by the user (or the demo's).
    lang : str

    Attributes
    ----------
    index : int or None
        Index of the explained output; None when a callable explains all outputs at once.
    class_names : list of str
    region_mode : bool
        The output is an image (U-Net, segmentation): targets are regions, not classes.

    Examples
    --------
    >>> space = TargetSpace(model, None, None, ["cat", "dog"], "en")   # doctest: +SKIP
    >>> space.check(TOP_1) is None, space.check(1)                     # doctest: +SKIP
    (True, 1)
    """

    def __init__(self, model, output, target, class_names, lang: str):
        self.model, self.lang = model, lang
        # A wrong output fails here with the list of outputs.
        self.index = output_of(model, output, callable(target))
        # One rule for every name a class gets (compute.class_labels): one name for a single
        # sigmoid unit is its positive class; a wrong count is refused with what to pass.
        self.class_names = class_names_for(model, class_names, self.index if self.index
                                           is not None else output, lang) \
            if self.index is not None or class_names is None else [str(c) for c in class_names]
        # An image-shaped output (U-Net, segmentation) has no classes: its targets are regions.
        self.region_mode = self.index is not None and \
            compute.image_shaped(compute.output_info(model)[self.index])
        #: A callable target once given stays in the menu (pick a class, then come back).
        self.custom = target if callable(target) and not isinstance(target, compute.Region) \
            else None
        #: The last box region explained (offered in the region menu).
        self.box = None

    def name(self, target) -> str:
        """``"cat"``, ``"region: foreground (812 px)"``, the callable's name…"""
        return target_label(target, self.class_names, self.lang)

    def check(self, value):
        """The compute form of a target given to the view (raises a ``ViewError`` saying what to
        pass instead)."""
        model = getattr(self.model, "name", "model")
        if isinstance(value, compute.Region):
            if not self.region_mode:
                raise ViewError("target_region_on_classes", model=model)
            if value.kind == "box":
                self.box = value
            return value
        if value is None or (isinstance(value, str) and value == TOP_1):
            return None
        if self.region_mode and not callable(value):
            raise ViewError("target_class_on_image", model=model, value=value)
        if callable(value):
            self.custom = value
            return value
        if self.index is None:
            raise ViewError("target_several_outputs", model=model)
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
            raise ViewError("target_kind", value=value)
        n = len(self.class_names)
        if not 0 <= int(value) < n:
            raise ViewError("target_range", value=value, n=n, last=n - 1)
        return int(value)

    def choice(self, target):
        """The picker's choice showing ``target`` (an image-shaped output's predicted
        foreground is its top-1, as ``None`` is for compute)."""
        if self.region_mode and isinstance(target, compute.Region) and target.kind == "foreground" \
                and target.channel is None:
            return TOP_1
        return to_choice(target)

    def options(self, target) -> list:
        """The picker's menu while ``target`` is explained: ``(label, choice)`` pairs."""
        extra = [self.custom] if self.custom is not None else []
        if self.region_mode:
            extra = ([self.box] if self.box is not None else []) + extra
        options = target_options(self.class_names, self.region_mode, extra, self.lang,
                                 self.name)
        choice = self.choice(target)
        if not any(_same(choice, value) for _, value in options):
            # A region the menu does not list (a given mask, a channel): listed while shown.
            options.append((tr("tg.mask", self.lang) if getattr(choice, "kind", "") == "mask"
                            else self.name(choice), choice))
        return options

    def box_region(self, image_hw, y0: int, x0: int, y1: int, x1: int) -> compute.Region:
        """The region of a box given in image pixels (end exclusive), in output pixels."""
        if not self.region_mode:
            raise ViewError("target_box_on_classes")
        h, w_ = image_hw
        oh, ow = (d or s for d, s in zip(compute.output_info(self.model)[self.index].shape[1:3],
                                         (h, w_)))
        ys = sorted((int(y0), int(y1)))
        xs = sorted((int(x0), int(x1)))
        box = (ys[0] * oh // h, xs[0] * ow // w_, max(ys[0] * oh // h + 1, -(-ys[1] * oh // h)),
               max(xs[0] * ow // w_ + 1, -(-xs[1] * ow // w_)))
        return compute.Region(box=box)


def _same(a, b) -> bool:
    """Menu values compare by type first: ``0 == False`` and a Region's ``==`` are not what a
    menu entry means."""
    return type(a) is type(b) and (a is b or a == b)
