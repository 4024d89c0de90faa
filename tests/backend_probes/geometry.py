"""Geometry and outputs: receptive fields, conv arithmetic (one output value taken apart) and
how outputs are read as classes (``output_info``, ``class_labels``).

Receptive fields are derived from the layers' settings, not computed: equal exactly. The conv
arithmetic's patch is the layer's input as each backend computed it, and its products, sums and
output are float32 arithmetic in numpy over it: within ``rtol=1e-4`` and ``1e-4`` of the largest
value (measured: worst difference 1.2e-7 of the largest value, JAX and PyTorch). Output facts
and labels are JSON: equal.
"""

from __future__ import annotations

import numpy as np

import convviz_widgets as cv

TOLERANCE = {"rf:": (0.0, 0.0)}
NONZERO = ("arith:patch:",)


def probe(model, images) -> dict:
    out = {}
    infos = cv.compute.output_info(model)
    out["outputs"] = [[o.name, list(o.shape), o.kind, o.num_classes] for o in infos]
    out["labels"] = cv.class_labels(model)
    if infos[0].num_classes:
        names = ["yes"] if infos[0].kind == "binary" else [f"c{i}" for i in
                                                          range(infos[0].num_classes)]
        out["labels:named"] = cv.class_labels(model, names, negative="no {}")
    containers = {i.path for i in cv.model_layers(model) if i.is_container}
    spatial = [p for p in cv.compute.spatial_paths(model) if p not in containers]
    for path in spatial:
        try:
            rf = cv.receptive_field(model, path)
        except ValueError as exc:  # underivable: the same reason everywhere
            out[f"rf:{path}:error"] = str(exc)
            continue
        out[f"rf:{path}"] = np.concatenate([rf.rows, rf.cols], axis=0)
        out[f"rf:{path}:global"] = bool(rf.global_context)
    out["image_convs"] = [i.path for i in cv.compute.image_conv_layers(model)]
    for info in cv.conv_layers(model, kind="kernel"):
        if info.class_name != "Conv2D":
            continue
        unit = cv.conv_arithmetic(model, images[0], info.path, 1)
        out[f"arith:at:{info.path}"] = [int(v) for v in unit.position]
        out[f"arith:patch:{info.path}"] = unit.patch
        out[f"arith:products:{info.path}"] = unit.products
        out[f"arith:values:{info.path}"] = np.array(
            [unit.pre_activation, unit.activation, unit.output, unit.bias], np.float32)
    return out
