"""What the Grad-CAM viewer explains and shows, computed without touching a widget: the model and
images (the bundled demo's when none are given, :func:`model_and_images`), what it explains
(:class:`Subjects`: the main model and the optional comparison, each an :class:`Explained`, their
layers and targets) and, for one state, the map, the predictions and the hint of a better layer
(:meth:`Subjects.explain`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .._demo import demo_images, demo_model
from .. import compute
from ..compute import conv_layers
# ``cam.gradcam`` is looked up when called, not bound here: the fault tests put a failing or
# slow one in its place.
from ..compute import cam
from ..compute.cam import default_layer, get_method, reads_layer
from ._gradcam_targets import TargetSpace, n_classes, output_of
from ._targets import is_flat

#: Name of the bundled demo model (``convviz_widgets.datasets.train.build_model``).
_DEMO_MODEL_NAME = "shapes_vgg"
#: Flags of a blank map with a reason of its own: no other layer would do better.
_BLANK_FOR_A_REASON = ("nonfinite_input", "constant_input", "empty_region", "nonfinite_map")


def _demo():
    """``(demo_model function, demo scenes)``; the scenes are None when their data file cannot
    be read (a viewer of the user's own model and images must not fail on that)."""
    try:
        return demo_model, demo_images()
    except Exception:  # noqa: BLE001 - a missing data file must not break the viewer
        return demo_model, None


def model_and_images(model, images, labels, class_names, output=None, target=None):
    """``(model, images, labels, class_names)``: the demo's model and scenes for the ones not
    given, and the demo's class names for the demo model (passed explicitly or by default) or
    for a model shown on the demo scenes with as many classes."""
    demo_model, scenes = _demo()
    is_demo = model is None
    if model is None:
        if demo_model is None:
            raise ValueError("No model given and the bundled demo model is not available; "
                             "pass a Keras model: GradCAMViewer(model, images).")
        model = demo_model()
    uses_scenes = images is None and scenes is not None
    if uses_scenes:
        images = scenes.images
        labels = scenes.labels if labels is None else labels
    looks_demo = is_demo or uses_scenes or getattr(model, "name", "") == _DEMO_MODEL_NAME
    if class_names is None and scenes is not None and looks_demo and \
            n_classes(model, output, callable(target)) == len(scenes.class_names):
        class_names = list(scenes.class_names)
    return model, images, labels, class_names


def spatial_layers(model) -> dict:
    """Path -> LayerInfo of the layers Grad-CAM can explain (a spatial output, not a
    container); a clear error when there is none."""
    layers = {i.path: i for i in conv_layers(model, kind="spatial") if not i.is_container}
    if not layers:
        raise ValueError(f"Model {model.name!r} has no layer with a spatial output "
                         "(batch, height, width, channels); Grad-CAM needs one.")
    return layers


def explained_models(model, preprocess, output, input_size, compare, compare_preprocess,
                     compare_output) -> tuple:
    """``(main, compared)`` :class:`Explained` (``compared`` None without a comparison model).

    The comparison model takes ``preprocess`` unless given its own, and, when it has several
    outputs and none is named, the main model's choice of output.
    """
    main = Explained.of(model, preprocess, output, input_size)
    if compare is None:
        return main, None
    if compare_output is None and output_of(compare, None, True) is None:
        compare_output = output
    return main, Explained.of(compare, preprocess if compare_preprocess is None
                              else compare_preprocess, compare_output)


@dataclass(frozen=True)
class Explained:
    """One model the viewer explains, with what every computation on it needs.

    Attributes
    ----------
    model, preprocess, output, input_size
        As given to the viewer (``input_size`` None: the model's own size rule).
    layers : frozenset of str
        Paths of its layers with a spatial output.
    default : str
        The layer explained when a path is not one of its own.
    """

    model: Any
    preprocess: Any
    output: Any
    input_size: Any
    layers: frozenset
    default: str

    @classmethod
    def of(cls, model, preprocess=None, output=None, input_size=None) -> "Explained":
        return cls(model, preprocess, output, input_size,
                   frozenset(i.path for i in conv_layers(model, kind="spatial")),
                   default_layer(model))

    def layer_for(self, layer: str) -> str:
        """``layer`` when this model has it, else its default layer."""
        return layer if layer in self.layers else self.default

    def gradcam(self, image, target, layer: str, method: str, on_step=None, cancel=None):
        """The map of ``target`` at ``layer`` by ``method`` (a pixel method reads no layer)."""
        # gradcam refuses a layer= the method cannot read (pixel methods): pass it only when read.
        uses_layer = reads_layer(get_method(method))
        return cam.gradcam(self.model, image, target=target,
                           layer=layer if uses_layer else None, method=method,
                           preprocess=self.preprocess, on_step=on_step, cancel=cancel,
                           output=self.output, input_size=self.input_size)

    def top(self, image, k: int, layer: str):
        """The top-``k`` predictions, from the same cached forward pass as the map's."""
        return compute.top_predictions(self.model, image, k=k, preprocess=self.preprocess,
                                       layer=layer, output=self.output,
                                       input_size=self.input_size)


@dataclass(frozen=True)
class Subjects:
    """What one Grad-CAM viewer explains, decided once when it is built.

    Attributes
    ----------
    main, compared : Explained
        The model explained and the optional comparison model (None without one).
    layers : dict
        Path -> LayerInfo of the main model's layers Grad-CAM can explain.
    targets : TargetSpace
        The main model's output, its classes (or regions) and their names.
    same_classes : bool
        The comparison model has the main model's classes (else it explains its own top class).
    """

    main: Explained
    compared: Explained | None
    layers: dict
    targets: TargetSpace
    same_classes: bool

    @classmethod
    def of(cls, model, preprocess, output, input_size, compare, compare_preprocess,
           compare_output, target, class_names, lang: str) -> "Subjects":
        main, compared = explained_models(model, preprocess, output, input_size, compare,
                                          compare_preprocess, compare_output)
        layers = spatial_layers(model)
        targets = TargetSpace(model, output, target, class_names, lang)
        same = compared is not None and \
            n_classes(compared.model, compared.output) == len(targets.class_names)
        return cls(main, compared, layers, targets, same)

    def explain(self, image, s: dict, *, top_k: int, ranked: bool, on_step=None,
                cancel=None) -> dict:
        """Everything the viewer shows for the state ``s`` (image index, layer, method, target).

        ``ranked``: the output has one list of classes to rank (not a callable or a region).
        Returns ``{"state", "result", "top", "try_layer"}`` plus ``"compare"`` and
        ``"compare_top"`` with a comparison model.
        """
        main, compare = self.main, self.compared
        result = main.gradcam(image, s["target"], s["layer"], s["method"], on_step, cancel)
        try_layer = None
        if is_flat(result) and result.flag not in _BLANK_FOR_A_REASON:
            # A blank map says nothing; name a layer where this target's map is not blank.
            try_layer = compute.layer_to_try(main.model, image, target=result.target,
                                             method=s["method"], preprocess=main.preprocess,
                                             exclude=[result.layer], output=main.output)
        # The model was not run on a NaN image: there is no list of classes to rank.
        top = main.top(image, top_k, s["layer"]) \
            if ranked and result.flag != "nonfinite_input" else None
        payload = {"state": s, "top": top, "result": result, "try_layer": try_layer}
        if compare is not None:
            # The comparison model's map of the same image, class and (if it has it) layer.
            layer = compare.layer_for(s["layer"])
            target = result.target if callable(result.target) or self.same_classes else None
            rc = compare.gradcam(image, target, layer, s["method"], on_step, cancel)
            payload["compare"] = rc
            if rc.flag != "nonfinite_input" and \
                    output_of(compare.model, compare.output, True) is not None:
                payload["compare_top"] = compare.top(image, 1, layer)
        return payload
