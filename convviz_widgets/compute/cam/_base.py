"""The class-activation-map family: one template, one registry, one cached forward pass.

Every CAM method answers "which regions of the image drove this score?" with the same recipe:

1. run the model once and capture the feature map ``A`` of the chosen layer, ``(h, w, c)``;
2. run the part of the model *after* that layer (the "head") on ``A`` inside a gradient tape,
   giving the target score(s) and their gradients with respect to ``A``;
3. turn ``A`` (and the gradients) into one weight per channel — the only part that differs
   between methods, and therefore the only thing a method implements
   (:meth:`CAMMethod.channel_weights`);
4. ``ReLU(sum_k w_k A_k)``, normalised to [0, 1] and resized to the image.

Step 1 is cached per image, layer and preprocess in the model's byte-bounded LRU, so a class
switch, a list of targets or a method switch re-runs only step 2 — the head — which on VGG16 is a
few per cent of a forward pass. Step 2 runs the head by *replacing* the layer's output with the
cached ``A`` (:func:`~convviz_widgets.compute._model_access.run_model`); everything before the
layer is then dead code in the traced graph and TensorFlow prunes it. Parts before the layer that
the head still needs (a U-Net's skip connections) are recomputed from the image, which keeps the
result exact for every architecture.

A new method is one small module: subclass :class:`CAMMethod`, set ``name``/``label``, implement
``channel_weights`` and decorate the class with :func:`register`. Widgets list
:func:`cam_methods`.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any, Callable, ClassVar, Sequence

import numpy as np
import tensorflow as tf

from .._images import image_digest, prepare_images
from ..progress import Cancelled
from .._model_access import _PATCH_LOCK, access, require_spatial, run_model, tf_function
from ..activations import _check_preprocess, preprocess_key

#: Flags a :class:`CAMResult` can carry (``None`` means a normal result).
FLAGS = {
    "nonfinite_input": "the image contains NaN or infinite values; nothing was computed",
    "constant_input": "the image is constant, so no region can stand out",
    "nonfinite_map": "the model produced NaN or infinite values for this image",
    "no_gradient": "the target score does not depend on the chosen layer (all gradients are 0)",
    "no_positive_evidence": "no channel combination raises the score (the map is 0 after ReLU)",
}

#: Layer types skipped at the end of the automatic layer choice: they only lower the resolution.
_POOLING = ("MaxPooling2D", "AveragePooling2D", "MaxPool2D", "AvgPool2D")
_PROBABILITY_ACTIVATIONS = ("softmax", "sigmoid")


class CAMCancelled(Cancelled):
    """A long CAM computation (Score-CAM) was cancelled through ``on_step`` or ``cancel``
    (the one :class:`..progress.Cancelled` of every long computation)."""


# --------------------------------------------------------------------------------------- results
@dataclass(frozen=True)
class CAMResult:
    """One class activation map.

    Attributes
    ----------
    heatmap : ndarray
        ``(H, W)`` float32 in [0, 1] at the resolution of the image *as passed* (before any
        resize to the model's input size); 1 is the most important region. All zeros when
        :attr:`flag` is set.
    target : int or callable
        The class index that was explained (``None`` resolved to the top-1 class), or the callable
        that was passed.
    score : float
        The explained score. For class targets of a model whose last layer applies softmax or
        sigmoid, this is the *logit* (the layer's pre-activation, see :func:`gradcam`; for class
        0 of a one-unit sigmoid, minus the logit); otherwise the model output (or the callable's
        value).
    probability : float or None
        For class targets, the model's probability for that class (its own softmax/sigmoid
        output; ``1 - p`` for class 0 of a one-unit sigmoid; the softmax of raw scores for
        several classes); ``None`` for callable targets.
    layer : str
        Path of the layer whose feature map was weighted.
    weights : ndarray
        ``(c,)`` float32: the weight of each channel of :attr:`layer` — links the heatmap to the
        activation channels that drive it.
    cam : ndarray
        ``(h, w)`` float32: ``ReLU(sum_k weights[k] * A[..., k])`` at the layer's resolution,
        not normalised.
    method : str
        Registered name of the method (``"gradcam"``, ``"gradcam++"``, ``"scorecam"``).
    flag : str or None
        ``None`` for a normal result; otherwise a key of :data:`FLAGS` saying why the heatmap is
        all zeros (NaN or constant image, no gradient, no positive evidence).
    image : ndarray
        ``(H, W, C)`` float32 in [0, 1]: the image as passed, in display space (for overlays).
    signed : bool
        True for signed pixel attributions (``gradient_x_input``, ``integrated_gradients``):
        :attr:`heatmap` is then in [-1, 1] (divided by its largest magnitude; negative pixels
        lower the score). False: [0, 1].
    details : dict
        Method-specific numbers, e.g. for integrated gradients the completeness check
        (``"attribution_sum"``, ``"baseline_score"``, ``"completeness_gap"``).

    Notes
    -----
    *Pixel-level methods* (``saliency``, ``smoothgrad``, ``gradient_x_input``,
    ``integrated_gradients``, ``guided_backprop``; :func:`cam_methods` lists them with the
    CAMs) return the same type: :attr:`layer` is ``"input"`` (``guided_gradcam``: its CAM
    layer), :attr:`weights` is empty and :attr:`cam` is the raw map ``(H', W')`` at the model's
    input size, not normalised.
    """

    heatmap: np.ndarray
    target: Any
    score: float
    probability: float | None
    layer: str
    weights: np.ndarray
    cam: np.ndarray
    method: str
    flag: str | None = None
    image: np.ndarray | None = field(default=None, repr=False)
    signed: bool = False
    details: dict = field(default_factory=dict, repr=False)

    @property
    def degenerate(self) -> bool:
        """True when the heatmap carries no information (see :attr:`flag`)."""
        return self.flag is not None

    @property
    def reason(self) -> str | None:
        """A sentence explaining :attr:`flag`, or ``None``."""
        return FLAGS.get(self.flag) if self.flag else None

    def __repr__(self) -> str:
        h, w = self.heatmap.shape
        target = getattr(self.target, "__name__", self.target)
        flag = f", flag={self.flag!r}" if self.flag else ""
        return (f"CAMResult(method={self.method!r}, layer={self.layer!r}, target={target!r}, "
                f"score={self.score:.4g}, heatmap=({h}, {w}){flag})")


@dataclass
class CAMContext:
    """What a method's hook sees: one image, one layer, ``k`` targets.

    Attributes
    ----------
    activation : ndarray
        ``(h, w, c)`` float32 feature map of the layer.
    gradients : ndarray
        ``(k, h, w, c)`` float32 gradient of each target's score with respect to ``activation``.
    scores : ndarray
        ``(k,)`` float32 explained scores.
    targets : list
        Resolved targets (class indices or the callable), one per heatmap.
    masked_scores : callable
        ``masked_scores(maps, on_step=None, cancel=None) -> (m, k)``: the target scores of the
        image multiplied by each of ``m`` low-resolution maps ``(m, h, w)`` (upsampled to the
        model input and min-max normalised), batched; what Score-CAM needs.
    batch_size : int
        Images per forward pass for methods that run the model several times.
    on_step : callable or None
        Progress callback ``on_step(done, total)``; returning ``False`` cancels.
    cancel : threading.Event or None
        Set it (from another thread) to cancel.
    """

    activation: np.ndarray
    gradients: np.ndarray
    scores: np.ndarray
    targets: list
    masked_scores: Callable[..., np.ndarray]
    batch_size: int = 32
    on_step: Callable[[int, int], Any] | None = None
    cancel: threading.Event | None = None

    def check_cancel(self, done: int, total: int) -> None:
        """Report progress and raise :class:`CAMCancelled` if the caller asked to stop."""
        if self.cancel is not None and self.cancel.is_set():
            raise CAMCancelled(f"cancelled after {done} of {total} steps")
        if self.on_step is not None and self.on_step(done, total) is False:
            raise CAMCancelled(f"cancelled after {done} of {total} steps")


# -------------------------------------------------------------------------------------- registry
class CAMMethod:
    """Base class of CAM methods (template method: subclasses implement one hook).

    Class attributes
    ----------------
    name : str
        Registry key, lower case (``"gradcam"``).
    label : str
        Human-readable name for menus (``"Grad-CAM"``).
    aliases : tuple of str
        Other accepted spellings.
    long_running : bool
        True when the method runs the model many times (widgets run it in a worker thread with
        progress and Cancel).
    uses_gradients : bool
        False for gradient-free methods (their maps are not flagged when gradients vanish).

    Examples
    --------
    A method that weights every channel equally (a poor explanation, but one module):

    >>> @register
    ... class MeanCAM(CAMMethod):
    ...     name, label = "meancam", "Mean activation"
    ...     def channel_weights(self, ctx):
    ...         return np.ones((len(ctx.targets), ctx.activation.shape[-1]), np.float32)
    >>> "meancam" in cam_methods()
    True
    >>> unregister("meancam")
    """

    name: ClassVar[str] = ""
    label: ClassVar[str] = ""
    aliases: ClassVar[tuple[str, ...]] = ()
    long_running: ClassVar[bool] = False
    uses_gradients: ClassVar[bool] = True

    #: ``"layer"`` for maps of a feature-map layer (this template); ``"pixel"`` for attributions
    #: at input resolution (:class:`~convviz_widgets.compute.cam._pixel.PixelMethod`).
    level: ClassVar[str] = "layer"
    #: True when the heatmap keeps its sign (range [-1, 1]); CAM maps are in [0, 1].
    signed: ClassVar[bool] = False

    def channel_weights(self, ctx: CAMContext) -> np.ndarray:
        """The usual hook: ``(k, c)`` weights, one row per target."""
        raise NotImplementedError

    def cam(self, ctx: CAMContext) -> tuple[np.ndarray, np.ndarray]:
        """The general hook: ``(weights (k, c), maps (k, h, w))`` before the ReLU.

        The default is Grad-CAM's eq. 2 without its ReLU, ``sum_c weights[c] * A[..., c]``,
        with the weights of :meth:`channel_weights`. Methods whose weights vary with the
        position (LayerCAM, HiResCAM) or that are not a weighting at all override this one
        instead and return, as ``weights``, the spatial mean of their per-position weights
        (what links the map to the channels in a viewer).
        """
        w = np.asarray(self.channel_weights(ctx), dtype=np.float32)
        maps = np.einsum("hwc,kc->khw", ctx.activation.astype(np.float64),
                         w.astype(np.float64))
        return w, maps

    def combine(self, ctx: CAMContext, weights: np.ndarray) -> np.ndarray:
        """``(k, h, w)`` maps: ReLU of the weighted channel sum (Grad-CAM's eq. 2)."""
        a = ctx.activation.astype(np.float64)
        maps = np.einsum("hwc,kc->khw", a, weights.astype(np.float64))
        return np.maximum(maps, 0.0).astype(np.float32)

    def run(self, ctx: CAMContext) -> tuple[np.ndarray, np.ndarray]:
        """``(weights (k, c), maps (k, h, w))`` for the context: :meth:`cam`, then ReLU."""
        w, maps = self.cam(ctx)
        return (np.asarray(w, dtype=np.float32),
                np.maximum(np.asarray(maps, np.float64), 0.0).astype(np.float32))


_REGISTRY: dict[str, type[CAMMethod]] = {}


def _norm_name(name: str) -> str:
    return str(name).lower().replace("-", "").replace("_", "").replace(" ", "")


def register(cls: type[CAMMethod]) -> type[CAMMethod]:
    """Class decorator adding a :class:`CAMMethod` to the registry (see :func:`cam_methods`).

    Examples
    --------
    >>> @register
    ... class Flat(CAMMethod):
    ...     name, label = "flatcam", "Flat"
    ...     def channel_weights(self, ctx):
    ...         return np.zeros((len(ctx.targets), ctx.activation.shape[-1]))
    >>> unregister("flatcam")
    """
    if not (isinstance(cls, type) and issubclass(cls, CAMMethod)) or not cls.name:
        raise TypeError("register() takes a CAMMethod subclass with a non-empty `name`.")
    _REGISTRY[cls.name] = cls
    return cls


def unregister(name: str) -> None:
    """Remove a method from the registry (mainly for tests and experiments).

    Examples
    --------
    >>> unregister("no-such-method")   # unknown names are ignored
    """
    _REGISTRY.pop(name, None)


def cam_methods() -> dict[str, str]:
    """``{name: label}`` of every registered CAM method, in registration order.

    Examples
    --------
    >>> list(cam_methods())[:3]
    ['gradcam', 'gradcam++', 'scorecam']
    """
    return {name: cls.label or name for name, cls in _REGISTRY.items()}


def get_method(method) -> CAMMethod:
    """A method instance from a name, alias, class or instance.

    Examples
    --------
    >>> get_method("Grad-CAM++").name
    'gradcam++'
    """
    if isinstance(method, CAMMethod):
        return method
    if isinstance(method, type) and issubclass(method, CAMMethod):
        return method()
    key = _norm_name(method)
    for name, cls in _REGISTRY.items():
        spellings = {_norm_name(name), _norm_name(cls.label)} | {_norm_name(a) for a in cls.aliases}
        if key in spellings:
            return cls()
    raise ValueError(f"Unknown CAM method {method!r}; registered methods are "
                     f"{list(_REGISTRY)}.")


# ------------------------------------------------------------------------------- model metadata
@dataclass(frozen=True)
class _Output:
    """One output of the model, and how its class scores and probabilities are read.

    ``kind`` is what the output *means*:

    * ``"softmax"``: probabilities over classes (a softmax activation, an ``Activation`` or a
      ``Softmax`` layer at the end). Classes are explained by the logits.
    * ``"binary"``: one sigmoid unit, read as two classes: class 1 has probability ``p`` and is
      explained by the logit ``z``; class 0 has ``1 - p`` and is explained by ``-z``.
    * ``"multilabel"``: several sigmoid units, each its own yes/no: unit ``i`` has probability
      ``p_i`` (no softmax across units) and is explained by its logit.
    * ``"scores"``: anything else (raw logits, regression, a segmentation map); probabilities
      are the softmax of several scores unless they already are probabilities.
    """

    name: str
    shape: tuple                 # batch as None
    final_path: str | None       # the layer whose output *is* this output
    activation: str | None       # "softmax"/"sigmoid" when that layer applies one
    logit_from: str | None       # "patch": drop the layer's activation; "input": read its input
    kind: str


@dataclass(frozen=True)
class _Meta:
    """What the CAM code needs to know about a model, from one symbolic trace."""

    order: tuple[str, ...]          # layer paths in the order their (first) call completed
    spatial: tuple[str, ...]        # non-container layers with a feature-map output, in order
    outputs: tuple[_Output, ...]    # the model's outputs, in tf.nest.flatten order
    structured: bool                # the model returns a list/tuple/dict, not one tensor
    default_layer: str | None


def _activation_name(layer) -> str | None:
    if type(layer).__name__ == "Softmax":
        return "softmax"
    act = getattr(layer, "activation", None)
    name = getattr(act, "__name__", None)
    return name if name in _PROBABILITY_ACTIVATIONS else None


def _output_kind(activation: str | None, shape: tuple) -> str:
    units = shape[-1] if len(shape) >= 2 else 1
    if activation == "softmax":
        return "softmax"
    if activation == "sigmoid":
        return "binary" if units == 1 else "multilabel"
    return "scores"


def _output_names(model, out, n: int, finals: list) -> list[str]:
    if isinstance(out, dict):
        return [str(k) for k in sorted(out)]  # tf.nest.flatten orders a dict by key
    names = list(getattr(model, "output_names", None) or [])
    if len(names) == n and len(set(names)) == n:
        return [str(x) for x in names]
    names = [f.split("/")[-1] if f else f"output_{i}" for i, f in enumerate(finals)]
    return names if len(set(names)) == n else [f"output_{i}" for i in range(n)]


def _meta(acc) -> _Meta:
    def build():
        rec: dict[str, Any] = {}

        def fn(x):
            out, cap = run_model(acc, x, acc.paths, all_calls=True)
            flat = tf.nest.flatten(out)
            rec["order"] = tuple(cap)
            rec["finals"] = [next((p for p, outs in cap.items() if any(o is t for o in outs)),
                                  None) for t in flat]
            rec["shapes"] = {p: tuple(outs[0].shape) for p, outs in cap.items()
                             if hasattr(outs[0], "shape")}
            rec["outs"] = [tuple(t.shape) if hasattr(t, "shape") else () for t in flat]
            rec["structured"] = not (len(flat) == 1 and flat[0] is out)
            rec["names"] = _output_names(acc.model, out, len(flat), rec["finals"])
            return tf.zeros(())

        spec = tf.TensorSpec((1,) + tuple(acc.input_shape[1:]), tf.float32)
        tf.function(fn, autograph=False).get_concrete_function(spec)
        infos = acc.infos()
        order = rec["order"]
        spatial = tuple(p for p in order
                        if len(rec["shapes"].get(p, ())) == 4 and not infos[p].is_container)
        outputs = []
        for name, shape, final in zip(rec["names"], rec["outs"], rec["finals"]):
            shape = (None,) + tuple(shape[1:])
            layer = acc.layer(final) if final is not None else None
            act = _activation_name(layer) if layer is not None else None
            # A Dense/Conv layer's activation can be set to the identity while tracing; an
            # Activation or Softmax layer *is* the activation, so its input is the logit.
            how = None if act is None else (
                "input" if type(layer).__name__ in ("Softmax", "Activation") else "patch")
            outputs.append(_Output(name, shape, final, act, how, _output_kind(act, shape)))
        # The default layer must be evidence for every output; the first one decides the
        # "fully convolutional" rule (most multi-output image models share their trunk).
        first = outputs[0].shape if outputs else ()
        return _Meta(order, spatial, tuple(outputs), rec["structured"],
                     _pick_default(acc, spatial, rec["shapes"], first))

    return acc.compiled(("cam_meta",), build)


def _output_index(meta: _Meta, output, model_name: str, *, allow_all: bool = False):
    """Index of the chosen output in ``meta.outputs``; ``None`` means "all" (callables only)."""
    names = [o.name for o in meta.outputs]
    if output is None:
        if len(names) == 1:
            return 0
        if allow_all:
            return None
        raise ValueError(
            f"Model {model_name!r} has {len(names)} outputs {names}; say which one to explain "
            f"with output=0 (an index) or output={names[0]!r} (a name). A callable target "
            "without output= receives all of them (e.g. target=lambda ys: ys[1][:, 0]).")
    if isinstance(output, str):
        if output in names:
            return names.index(output)
        raise ValueError(f"Model {model_name!r} has no output named {output!r}; its outputs "
                         f"are {names} (or pass an index from 0 to {len(names) - 1}).")
    if isinstance(output, (bool, np.bool_)) or not isinstance(output, (int, np.integer)):
        raise TypeError(f"output must be an index or the name of a model output, got "
                        f"{output!r}; the outputs are {names}.")
    if not 0 <= int(output) < len(names):
        raise ValueError(f"output={output} is out of range: model {model_name!r} has "
                         f"{len(names)} output{'s' if len(names) != 1 else ''} {names}; use 0 "
                         f"to {len(names) - 1}.")
    return int(output)


def _pick(out, index):
    """The chosen output of a model call (``index=None``: the whole structure)."""
    return out if index is None else tf.nest.flatten(out)[index]


def _pick_default(acc, spatial, shapes, out_shape) -> str | None:
    """The last feature-map layer before the head (see :func:`default_layer`)."""
    # A 1x1 map (GlobalAveragePooling2D(keepdims=True), and the 1x1 convolutions of heads such
    # as MobileNetV3's `logits` after it) has nowhere to point: its heatmap is one constant value.
    cands = [p for p in spatial if not _one_by_one(shapes.get(p, ()))]
    # A fully convolutional model (U-Net, edge detector) ends in feature maps shaped like its
    # output; those *are* the prediction, not evidence for it.
    if len(out_shape) == 4:
        while len(cands) > 1 and tuple(shapes[cands[-1]][1:]) == tuple(out_shape[1:]):
            cands.pop()
    if not cands:
        return None
    # Trailing pooling only lowers the resolution of the same evidence; the conv before it gives
    # a sharper map (VGG16: block5_conv3, as the Keras example and tf-keras-vis choose).
    picked = len(cands) - 1
    while picked > 0 and type(acc.layer(cands[picked])).__name__ in _POOLING:
        picked -= 1
    if type(acc.layer(cands[picked])).__name__ in _POOLING:
        picked = len(cands) - 1
    return cands[picked]


def _one_by_one(shape) -> bool:
    """True for a feature map whose spatial size is known to be 1x1."""
    return len(shape) == 4 and shape[1] == 1 and shape[2] == 1


def default_layer(model) -> str:
    """The layer :func:`gradcam` explains when ``layer=None``.

    The rule: among layers (not containers) whose output is a feature map ``(n, h, w, c)``,
    take the last one to *finish* in a forward pass — so for a nested transfer-learning model
    the search looks inside the backbone too and also sees convolutions added after it. Then:

    * for a fully convolutional model (output itself a feature map, e.g. a U-Net), the trailing
      layers shaped like the output are skipped (they are the prediction, not evidence);
    * layers with a 1x1 map are never chosen: after ``GlobalAveragePooling2D(keepdims=True)``
      (MobileNetV3's head of 1x1 convolutions) a map has one value, so its heatmap is constant;
    * trailing pooling layers are skipped, because they only lower the resolution of the same
      evidence (VGG16 gives ``"block5_conv3"``, like the Keras Grad-CAM example and tf-keras-vis).

    Parameters
    ----------
    model : keras.Model

    Returns
    -------
    str
        Layer path.

    Raises
    ------
    ValueError
        The model has no layer with a spatial output.

    Examples
    --------
    >>> import convviz_widgets as cv
    >>> cv.compute.cam.default_layer(cv.demo_model())          # doctest: +SKIP
    'block3_conv2'
    """
    acc = access(model)
    path = _meta(acc).default_layer
    if path is None:
        raise ValueError(f"Model {acc.model.name!r} has no layer with a spatial output larger "
                         "than 1x1 (batch, height, width, channels); CAM methods need a "
                         "convolutional feature map. Pass `layer=` explicitly if the model hides "
                         "its feature maps.")
    return path


# --------------------------------------------------------------------------- compiled functions
class _linear_final:
    """Temporarily drop the softmax/sigmoid of an output's last layer (while tracing).

    Setting ``activation`` to the identity is the same pre-activation a Dense layer computes
    (``x @ kernel + bias``), obtained without re-implementing the layer. It holds the model-patch
    lock, so no other trace or eager run sees the modified layer. Outputs whose last layer *is*
    the activation (``Activation``, ``Softmax``) are read from that layer's input instead.
    """

    def __init__(self, acc, out: _Output | None, active: bool):
        self.layer = acc.layer(out.final_path) if (
            active and out is not None and out.logit_from == "patch") else None

    def __enter__(self):
        if self.layer is not None:
            _PATCH_LOCK.acquire()
            self.saved = self.layer.activation
            object.__setattr__(self.layer, "activation", tf.identity)
        return self

    def __exit__(self, *exc):
        if self.layer is not None:
            object.__setattr__(self.layer, "activation", self.saved)
            _PATCH_LOCK.release()
        return False


def _per_class(out):
    """Model output ``(k, ...)`` as ``(k, classes)``: spatial outputs are averaged per channel."""
    out = tf.cast(out, tf.float32)
    rank = out.shape.rank
    if rank == 1:
        return out[:, None]  # (k,) -> (k, 1)
    if rank > 2:
        return tf.reduce_mean(out, axis=list(range(1, rank - 1)))
    return out


def _class_scores(y, kind: str):
    """``(k, classes)`` explained scores: a one-unit sigmoid's logit ``z`` becomes ``[-z, z]``."""
    per = _per_class(y)
    if kind == "binary":
        per = tf.concat([-per, per], axis=1)  # class 0 ("not") is explained by -z
    return per


def _as_float(out):
    return tf.nest.map_structure(lambda t: tf.cast(t, tf.float32), out)


def _callable_scores(target, out, k):
    try:
        s = target(out)
    except Exception as exc:  # noqa: BLE001 - re-raised with what the callable receives
        shapes = tf.nest.map_structure(lambda t: tuple(t.shape), out)
        raise ValueError(
            f"The target callable raised {type(exc).__name__}: {exc}. It receives the model "
            f"output, float tensors of shape {shapes}, and must return one score per "
            "sample, shape (n,), using TensorFlow/Keras ops (it is differentiated).") from exc
    if isinstance(s, (list, tuple, dict)):
        raise ValueError(f"The target callable returned a {type(s).__name__}; it must return "
                         "one tensor of scores, shape (n,). For a model with several outputs "
                         "pick one inside the callable (lambda ys: ys[1][:, 0]) or pass "
                         "output=.")
    s = tf.cast(tf.convert_to_tensor(s), tf.float32)
    if s.shape.rank == 0:
        s = tf.reshape(s, (1,))  # a scalar for one sample -> (1,)
    elif s.shape.rank > 1:
        if s.shape.num_elements() is not None and k is not None and s.shape.num_elements() != k:
            raise ValueError(f"The target callable returned shape {tuple(s.shape)}; it must "
                             "return one score per sample, shape (n,) (reduce the other axes, "
                             "e.g. with tf.reduce_mean(..., axis=[1, 2, 3])).")
        s = tf.reshape(s, (-1,))  # (n, 1) -> (n,)
    return s


def _explained(acc, inp, path, a, oi, meta, target_fn):
    """Run the head on ``a`` (batch 1): ``(scores per class (1, classes) or (1,), output)``."""
    o = meta.outputs[oi] if oi is not None else None
    class_targets = target_fn is None
    read_input = class_targets and o is not None and o.logit_from == "input"
    with _linear_final(acc, o, active=class_targets):
        out, cap = run_model(acc, inp, (), replace={path: a},
                             capture_inputs=(o.final_path,) if read_input else ())
    y = _pick(out, oi)
    if class_targets:
        logits = cap[("input", o.final_path)] if read_input else y
        return _class_scores(logits, o.kind), y
    return _callable_scores(target_fn, _as_float(y), 1), y


def _head_impl(acc, path, preprocess, meta, oi, target_fn):
    """``(x (1,H,W,C), a (1,h,w,c), targets (k,)) -> (scores (k,), classes (k,), grads)``.

    The head runs forward *once* on batch 1 and then back once per target, each a
    vector-Jacobian product with a one-hot cotangent. Batching the k targets instead (k copies
    of the feature map, one backward pass) looks cheaper but is not on CPUs without oneDNN:
    the gradient of a dense layer then is ``MatMul(dy (k, n), W, transpose_b=True)``, which
    Eigen computes ~50x slower than the batch-1 matrix-vector product (VGG16's fc1: 1.1 s
    instead of 17 ms), so five targets cost 4x a forward pass there instead of 1.2x.
    """

    def impl(x, a, targets):
        with tf.GradientTape(persistent=True, watch_accessed_variables=False) as tape:
            tape.watch(a)
            inp = preprocess(x) if preprocess is not None else x
            per, _ = _explained(acc, inp, path, a, oi, meta, target_fn)
        if target_fn is None:
            top = tf.argmax(per[0], output_type=tf.int32)
            chosen = tf.where(targets < 0, top, targets)  # -1: the top class
            scores = tf.gather(per[0], chosen)
            width = tf.shape(per)[1]

            def one(c):
                seed = tf.one_hot(c, width, dtype=per.dtype)[None]  # (1, classes)
                g = tape.gradient(per, a, output_gradients=seed,
                                  unconnected_gradients=tf.UnconnectedGradients.ZERO)
                return tf.cast(g[0], tf.float32)

            grads = tf.map_fn(one, chosen, fn_output_signature=tf.float32)
        else:
            scores = per
            chosen = tf.fill(tf.shape(scores), -1)
            grads = tf.cast(tape.gradient(per, a, unconnected_gradients=tf.UnconnectedGradients.ZERO),
                            tf.float32)
        return scores, chosen, grads

    return impl


def _head_fn(acc, path, preprocess, meta, oi, target_fn=None):
    key = ("cam_head", path, preprocess_key(preprocess), oi,
           None if target_fn is None else ("fn", id(target_fn)), target_fn)
    return acc.compiled(key, lambda: tf_function(
        _head_impl(acc, path, preprocess, meta, oi, target_fn), reduce_retracing=True,
        autograph=False))


def _capture_fn(acc, path, preprocess):
    """``x (n,H,W,C) -> (A (n,h,w,c), [outputs])``, one compiled forward pass."""

    def build():
        @tf_function(reduce_retracing=True, autograph=False)
        def fn(x):
            inp = preprocess(x) if preprocess is not None else x
            out, cap = run_model(acc, inp, (path,))
            return tf.cast(cap[path], tf.float32), tf.nest.flatten(_as_float(out))

        return fn

    return acc.compiled(("cam_capture", path, preprocess_key(preprocess)), build)


def _forward_fn(acc, preprocess, oi):
    """``x (n,H,W,C) display -> chosen model output``, compiled (batched model calls)."""

    def build():
        @tf_function(reduce_retracing=True, autograph=False)
        def fn(x):
            inp = preprocess(x) if preprocess is not None else x
            out, _ = run_model(acc, inp, ())
            return tf.cast(_pick(out, oi), tf.float32)

        return fn

    return acc.compiled(("cam_forward", preprocess_key(preprocess), oi), build)


def _masked_fn(acc, preprocess, oi, target_fn):
    """``(x (1,H,W,C), maps (m,h,w)) -> (m, ...)`` for the image times each upsampled map: the
    chosen output, or the callable target's scores ``(m,)``."""

    def build():
        @tf_function(reduce_retracing=True, autograph=False)
        def fn(x, maps):
            size = tf.shape(x)[1:3]
            up = tf.image.resize(maps[..., None], size, method="bilinear")  # (m, H, W, 1)
            lo = tf.reduce_min(up, axis=[1, 2, 3], keepdims=True)
            hi = tf.reduce_max(up, axis=[1, 2, 3], keepdims=True)
            span = hi - lo
            # A constant channel highlights nothing: its mask is all zeros (the black baseline).
            mask = tf.where(span > 0, (up - lo) / tf.where(span > 0, span, 1.0), 0.0)
            xm = x * mask  # (1, H, W, C) * (m, H, W, 1) -> (m, H, W, C)
            inp = preprocess(xm) if preprocess is not None else xm
            out, _ = run_model(acc, inp, ())
            y = _as_float(_pick(out, oi))
            return y if target_fn is None else _callable_scores(target_fn, y, None)

        return fn

    key = ("cam_masked", preprocess_key(preprocess), oi,
           None if target_fn is None else ("fn", id(target_fn)), target_fn)
    return acc.compiled(key, build)


# ------------------------------------------------------------------------------------- helpers
def _looks_like_probabilities(per: np.ndarray) -> bool:
    """Rows that are already a probability distribution (a softmax the trace could not see,
    e.g. ``tf.nn.softmax`` inside a subclassed ``call``): softmaxing them again would be wrong."""
    return bool(per.size and np.isfinite(per).all() and per.min() >= 0.0 and
                np.allclose(per.sum(axis=1), 1.0, atol=1e-3))


def _probabilities(out: np.ndarray, o: _Output) -> np.ndarray:
    """``(n, classes)`` class probabilities as the model means them: a softmax output as it is;
    a one-unit sigmoid as ``[1 - p, p]``; multi-label sigmoid units each as their own ``p``;
    raw scores for several classes through a softmax (what Score-CAM and the top-k list show).
    """
    per = out.reshape(out.shape[0], -1) if out.ndim == 1 else out  # (n,) -> (n, 1)
    if per.ndim > 2:
        per = per.mean(axis=tuple(range(1, per.ndim - 1)))  # (n, ..., K) -> (n, K)
    per = per.astype(np.float32)
    if o.kind == "binary":
        return np.concatenate([1.0 - per[:, :1], per[:, :1]], axis=1)
    if o.kind == "scores" and per.shape[-1] > 1 and not _looks_like_probabilities(per):
        z = per - per.max(axis=1, keepdims=True)
        e = np.exp(z)
        return (e / e.sum(axis=1, keepdims=True)).astype(np.float32)
    return per


def _num_classes(o: _Output) -> int | None:
    if o.kind == "binary":
        return 2
    shape = o.shape
    if len(shape) <= 1:
        return 1
    return shape[-1]


def _check_targets(target, o: _Output | None, model_name: str) -> tuple[list, bool]:
    """Normalise ``target`` to a list; return ``(targets, was_list)``."""
    if callable(target) and not isinstance(target, type):
        return [target], False
    was_list = isinstance(target, (list, tuple, np.ndarray))
    items = list(np.asarray(target).ravel()) if isinstance(target, np.ndarray) else \
        (list(target) if was_list else [target])
    if was_list and not items:
        raise ValueError("target is an empty list; pass class indices, e.g. target=[0, 3].")
    n = _num_classes(o)
    out = []
    for t in items:
        if t is None:
            out.append(None)
            continue
        if isinstance(t, (bool, np.bool_)) or not isinstance(t, (int, np.integer)):
            raise TypeError(
                f"target must be a class index (int), None (top-1 class), a list of class "
                f"indices or a callable mapping the model output to one score per sample; got "
                f"{t!r} of type {type(t).__name__}.")
        t = int(t)
        if n is not None and not 0 <= t < n:
            if n == 1 and len(o.shape) > 2:
                hint = ("Its output has one channel, so the only index is 0 (the channel's mean); "
                        "to explain a region pass a callable, e.g. target=lambda y: "
                        "tf.reduce_sum(y * mask, axis=[1, 2, 3]).")
            elif n == 1:
                hint = ("The model has a single output unit without a sigmoid, so the only index "
                        "is 0; for the opposite direction pass target=lambda y: -y[:, 0].")
            elif o.kind == "binary":
                hint = ("It ends in one sigmoid unit, read as two classes: 0 (probability "
                        "1 - p) and 1 (probability p).")
            else:
                hint = f"Use a class index from 0 to {n - 1}."
            raise ValueError(
                f"target {t} does not fit the output {o.name!r} of model {model_name!r}, shape "
                f"{o.shape}: it has {n} class{'es' if n != 1 else ''}. {hint}")
        out.append(t)
    return out, was_list


def _upsample(maps: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """``(k, h, w)`` -> ``(k, H, W)`` bilinear (convex, so [0, 1] stays [0, 1])."""
    if maps.shape[1:] == tuple(size):
        return maps.astype(np.float32)
    up = tf.image.resize(maps[..., None], size, method="bilinear")  # (k, H, W, 1)
    return np.clip(up.numpy()[..., 0], 0.0, 1.0).astype(np.float32)


def _display_image(image) -> tuple[np.ndarray, bool]:
    """The image as passed, as ``(H, W, C)`` float32 [0, 1]; and whether it was finite."""
    arr = np.asarray(image.numpy() if hasattr(image, "numpy") else image)
    if arr.ndim == 4:
        if arr.shape[0] != 1:
            raise ValueError(
                f"gradcam explains one image, got a batch of {arr.shape[0]}. Loop over the "
                "images (the model's cache keeps it fast), or pass target=[...] for several "
                "classes of one image.")
        arr = arr[0]
    finite = True
    if arr.dtype.kind == "f" and not np.isfinite(arr).all():
        finite = False
        arr = np.nan_to_num(arr, nan=0.0, posinf=1.0, neginf=0.0)
    # No size or channel requirement: this is the display copy at the caller's resolution.
    shown = prepare_images(arr, (None, None, None, None)).images[0]
    return shown, finite


# ------------------------------------------------------------------------------------- running
def _activation_for(acc, path, x, preprocess, use_cache=True):
    """Cached ``(A (1,h,w,c), [outputs (1,...)])`` for one prepared image ``x (1,H,W,C)``."""
    pkey = preprocess_key(preprocess)
    version = acc.weights_version()
    digest = image_digest(x[0])
    key_a = ("cam_act", digest, pkey, version, path)
    key_o = ("cam_out", digest, pkey, version)
    a = acc.cache.get(key_a) if use_cache else None
    outs = acc.cache.get(key_o) if use_cache else None
    if a is None or outs is None:
        a_t, out_t = _capture_fn(acc, path, preprocess)(tf.constant(x))
        a, outs = a_t.numpy(), tuple(t.numpy() for t in out_t)
        # Non-finite values would be served to every later call; never cache them.
        if use_cache and np.isfinite(a).all() and all(np.isfinite(o).all() for o in outs):
            acc.cache.put(key_a, a)
            acc.cache.put(key_o, outs)
    return a, outs


def model_output(model, image, preprocess: Callable | None = None, *, layer=None,
                 output=None) -> np.ndarray:
    """The model's output for one image, shared with :func:`gradcam`'s cache.

    Parameters
    ----------
    model : keras.Model
    image : array-like
        One image ``(h, w, c)`` or ``(h, w)`` in display space (uint8, or float in [0, 1]).
    preprocess : callable, optional
        Display images to model input (TF ops).
    layer : str, optional
        The layer a following :func:`gradcam` call will use (default: :func:`default_layer`);
        sharing it means that call reuses this forward pass.
    output : int or str, optional
        For a model with several outputs, which one (index or name); required there.

    Returns
    -------
    ndarray
        The output for this image without the batch axis, float32 (e.g. ``(classes,)``).

    Examples
    --------
    >>> import convviz_widgets as cv
    >>> scenes = cv.demo_images()                                            # doctest: +SKIP
    >>> cv.compute.cam.model_output(cv.demo_model(), scenes.images[0]).shape  # doctest: +SKIP
    (5,)
    """
    acc = access(model)
    oi = _output_index(_meta(acc), output, acc.model.name)
    path = require_spatial(model, layer, "class activation map") if layer is not None else \
        default_layer(model)
    x = prepare_images(image, acc.input_shape).images[:1]
    _check_preprocess(preprocess, x, acc.input_shape)
    return _activation_for(acc, path, x, preprocess)[1][oi][0]


def compute_cam(model, image, target=None, layer=None, method="gradcam",
                preprocess: Callable | None = None, *, on_step=None, cancel=None,
                batch_size: int = 32, cache: bool = True, output=None):
    """Implementation of :func:`convviz_widgets.compute.cam.gradcam` (see there)."""
    acc = access(model)
    meth = get_method(method)
    if meth.level == "pixel":
        from ._pixel import compute_pixel  # the input-resolution driver (imports this module)

        return compute_pixel(acc, meth, image, target=target, layer=layer,
                             preprocess=preprocess, on_step=on_step, cancel=cancel,
                             batch_size=batch_size, cache=cache, output=output)
    meta = _meta(acc)
    is_fn = callable(target) and not isinstance(target, type)
    oi = _output_index(meta, output, acc.model.name, allow_all=is_fn)
    o = meta.outputs[oi] if oi is not None else None
    path = require_spatial(model, layer, "class activation map") if layer is not None else \
        default_layer(model)
    targets, was_list = _check_targets(target, o, acc.model.name)
    target_fn = targets[0] if is_fn else None
    shown, finite = _display_image(image)
    size = shown.shape[:2]
    channels = acc.infos()[path].output_shape[-1] or 0

    def empty(flag, t, score=float("nan"), prob=None, a_hw=(1, 1)):
        return CAMResult(np.zeros(size, np.float32), t, float(score), prob, path,
                         np.zeros(channels, np.float32), np.zeros(a_hw, np.float32), meth.name,
                         flag, shown)

    if not finite:
        results = [empty("nonfinite_input", t) for t in targets]
        return results if was_list else results[0]

    x = prepare_images(shown, acc.input_shape).images[:1]  # (1, H, W, C) at model size
    _check_preprocess(preprocess, x, acc.input_shape)
    a, real_outs = _activation_for(acc, path, x, preprocess, use_cache=cache)
    codes = np.array([-1 if (t is None or callable(t)) else t for t in targets], np.int32)
    head = _head_fn(acc, path, preprocess, meta, oi, target_fn)
    scores, classes, grads = head(tf.constant(x), tf.constant(a), tf.constant(codes))
    scores, classes, grads = scores.numpy(), classes.numpy(), grads.numpy()
    if scores.shape != (len(targets),):
        raise ValueError(f"The target callable returned {scores.shape[0]} scores for 1 image; "
                         "it must return one score per sample, shape (n,).")
    resolved = [target_fn if target_fn is not None else int(c) for c in classes]
    probs = None if target_fn is not None else _probabilities(real_outs[oi], o)[0]

    def prob_of(t):
        return None if probs is None else float(probs[t])

    if not (np.isfinite(a).all() and np.isfinite(grads).all() and np.isfinite(scores).all()):
        results = [empty("nonfinite_map", t, s, prob_of(t) if target_fn is None else None,
                         a.shape[1:3]) for t, s in zip(resolved, scores)]
        return results if was_list else results[0]

    ctx = CAMContext(
        activation=a[0], gradients=grads, scores=scores, targets=resolved,
        masked_scores=_masked_scorer(acc, preprocess, o, oi, x, resolved, path, cache),
        batch_size=int(batch_size), on_step=on_step, cancel=cancel)
    # One colour everywhere: nothing to localise (per channel, so solid red counts too), and no
    # reason to spend Score-CAM's hundreds of forward passes on it.
    constant = bool((shown.max(axis=(0, 1)) == shown.min(axis=(0, 1))).all())
    if constant:
        c = a.shape[-1]
        weights = np.zeros((len(resolved), c), np.float32)
        maps = np.zeros((len(resolved),) + a.shape[1:3], np.float32)
    else:
        weights, maps = meth.run(ctx)
    results = []
    for i, t in enumerate(resolved):
        raw = maps[i]
        peak = float(raw.max()) if raw.size else 0.0
        flag = None
        if constant:
            flag = "constant_input"
        elif not np.isfinite(raw).all():
            flag = "nonfinite_map"
        elif meth.uses_gradients and not np.any(grads[i]):
            flag = "no_gradient"
        elif peak <= 0.0:
            flag = "no_positive_evidence"
        if flag is None:
            heat = _upsample((raw / peak)[None], size)[0]  # (h, w) -> (1, h, w) -> (H, W)
            # Interpolation can miss the peak between grid points; rescale so 1 is always "the
            # most important region", whatever the size ratio.
            top = float(heat.max())
            heat = heat / top if top > 0 else heat
        else:
            heat = np.zeros(size, np.float32)
        results.append(CAMResult(
            heat, t, float(scores[i]), prob_of(t) if target_fn is None else None, path,
            weights[i].astype(np.float32), np.where(np.isfinite(raw), raw, 0).astype(np.float32),
            meth.name, flag, shown))
    return results if was_list else results[0]


def _masked_scorer(acc, preprocess, o, oi, x, targets, path, cache):
    """Build ``ctx.masked_scores`` for one image and its resolved targets."""

    def masked_scores(maps, on_step=None, cancel=None, batch_size=32):
        maps = np.asarray(maps, np.float32)  # (m, h, w)
        m = maps.shape[0]
        class_targets = not callable(targets[0])
        key = None
        if class_targets and cache:
            key = ("cam_masked", image_digest(x[0]), preprocess_key(preprocess),
                   acc.weights_version(), path, oi, image_digest(maps))
            hit = acc.cache.get(key)
            if hit is not None:
                return hit[:, targets]
        fn = _masked_fn(acc, preprocess, oi, None if class_targets else targets[0])
        xt = tf.constant(x)
        rows = []
        total = -(-m // batch_size)
        for b, start in enumerate(range(0, m, batch_size)):
            if cancel is not None and cancel.is_set():
                raise CAMCancelled(f"cancelled after {b} of {total} batches")
            out = fn(xt, tf.constant(maps[start:start + batch_size])).numpy()
            if class_targets:
                rows.append(_probabilities(out, o))  # (b, classes)
            else:
                rows.append(out.reshape(-1)[:, None])  # (b,) -> (b, 1)
            if on_step is not None and on_step(b + 1, total) is False:
                raise CAMCancelled(f"cancelled after {b + 1} of {total} batches")
        allout = np.concatenate(rows, axis=0)
        if key is not None and np.isfinite(allout).all():
            acc.cache.put(key, allout)
        return allout[:, targets] if class_targets else allout

    return masked_scores


# ---------------------------------------------------------------------------------- predictions
@dataclass(frozen=True)
class TopPredictions:
    """The classes a model ranks highest for one image.

    Attributes
    ----------
    indices : ndarray
        ``(k,)`` int64 class indices, best first.
    values : ndarray
        ``(k,)`` float32: the model's output for each (averaged over space for a spatial output);
        for a one-unit sigmoid read as two classes, ``1 - p`` and ``p``.
    probabilities : ndarray
        ``(k,)`` float32: the model's own probabilities when it ends in softmax (activation or
        ``Softmax`` layer) or sigmoid (one unit: ``[1 - p, p]``; several units: each unit's
        own ``p``, not normalised across units); the softmax of raw scores otherwise.
    """

    indices: np.ndarray
    values: np.ndarray
    probabilities: np.ndarray


def top_predictions(model, image, k: int = 5, preprocess: Callable | None = None, *,
                    layer=None, output=None) -> TopPredictions:
    """The ``k`` highest-scoring classes for one image (one cached forward pass).

    The forward pass is the one :func:`gradcam` needs, so showing the list and then a heatmap
    costs one model run.

    Parameters
    ----------
    model : keras.Model
    image : array-like
        One image in display space.
    k : int
        How many classes (fewer if the model has fewer).
    preprocess : callable, optional
        Display images to model input.
    layer : str, optional
        The CAM layer that a following :func:`gradcam` call will use.
    output : int or str, optional
        For a model with several outputs, which one (index or name).

    Returns
    -------
    TopPredictions

    Examples
    --------
    >>> import convviz_widgets as cv
    >>> image = cv.demo_images().images[0]                                       # doctest: +SKIP
    >>> top = cv.compute.cam.top_predictions(cv.demo_model(), image, k=3)        # doctest: +SKIP
    >>> top.indices, top.probabilities                                        # doctest: +SKIP
    (array([3, 1, 0]), array([0.97, 0.02, 0.01], dtype=float32))
    """
    acc = access(model)
    meta = _meta(acc)
    o = meta.outputs[_output_index(meta, output, acc.model.name)]
    out = model_output(model, image, preprocess, layer=layer, output=output)[None]  # (1, ...)
    probs = _probabilities(out, o)[0]
    values = probs if o.kind == "binary" else _per_class(tf.constant(out)).numpy()[0]
    # Rank by probability: equal to ranking by the output, and also right for a binary output.
    order = np.argsort(-probs, kind="stable")[:max(1, int(k))]
    return TopPredictions(order.astype(np.int64), values[order].astype(np.float32),
                          probs[order].astype(np.float32))


@dataclass(frozen=True)
class PredictionRanking:
    """How a model did on a labelled image set, and its best and worst cases.

    Attributes
    ----------
    predicted : ndarray
        ``(n,)`` int64 top-1 class of each image (for a one-unit sigmoid: 1 when ``p > 0.5``).
        For multi-label outputs ranked against multi-hot labels ``(n, units)``: ``(n, units)``
        int64 0/1, each unit's own yes/no.
    confidence : ndarray
        ``(n,)`` float32 probability of the predicted class (multi-label: of the least sure
        unit's decision).
    true_probability : ndarray
        ``(n,)`` float32 probability the model gives the true label (multi-label: the smallest
        over units of the probability of the true yes/no).
    correct : ndarray
        ``(n,)`` bool (multi-label: every unit right).
    best : ndarray
        Indices of correct predictions, most confident first.
    worst : ndarray
        Indices of mistakes, most confident mistake first (then, if there are fewer mistakes than
        asked for, the correct predictions with the lowest true-class probability).
    accuracy : float
    explain : ndarray
        ``(n,)`` int64: the class to explain for each image — the predicted class, or for
        multi-label the unit the model is most sure is present.
    """

    predicted: np.ndarray
    confidence: np.ndarray
    true_probability: np.ndarray
    correct: np.ndarray
    best: np.ndarray
    worst: np.ndarray
    accuracy: float
    explain: np.ndarray | None = None


def rank_predictions(model, images, labels, preprocess: Callable | None = None, *,
                     batch_size: int = 32, output=None) -> PredictionRanking:
    """Predict a labelled image set and rank its best and worst predictions.

    Parameters
    ----------
    model : keras.Model
        A classifier (output ``(n, classes)``). A one-unit sigmoid output counts as two classes
        (labels 0 and 1); a multi-unit sigmoid output takes either class indices or multi-hot
        labels ``(n, units)`` (each unit its own yes/no).
    images : array-like or list
        ``(n, h, w, c)`` display images, or a list of images (sizes may differ).
    labels : array-like
        ``(n,)`` integer class labels (or ``(n, units)`` 0/1 for a multi-label output).
    preprocess : callable, optional
    batch_size : int
        Images per forward pass.
    output : int or str, optional
        For a model with several outputs, which one (index or name).

    Returns
    -------
    PredictionRanking

    Examples
    --------
    >>> import convviz_widgets as cv
    >>> scenes = cv.demo_images()                                                 # doctest: +SKIP
    >>> r = cv.compute.cam.rank_predictions(cv.demo_model(), scenes.images,
    ...                                     scenes.labels)                       # doctest: +SKIP
    >>> r.worst[:3]                                                               # doctest: +SKIP
    array([7, 2, 11])
    """
    acc = access(model)
    meta = _meta(acc)
    oi = _output_index(meta, output, acc.model.name)
    o = meta.outputs[oi]
    if isinstance(images, (list, tuple)) and len({np.shape(im) for im in images}) > 1:
        # Pictures of different sizes (uploads): each is resized to the model input on its own.
        x = np.concatenate([prepare_images(im, acc.input_shape).images for im in images])
    else:
        x = prepare_images(images, acc.input_shape).images
    n_cls = _num_classes(o)
    labels = np.asarray(labels)
    multi_hot = o.kind == "multilabel" and labels.ndim == 2
    if multi_hot:
        if labels.shape != (x.shape[0], n_cls) or not np.isin(labels, (0, 1)).all():
            raise ValueError(f"Multi-label labels must be 0/1 of shape ({x.shape[0]}, {n_cls}) "
                             f"(one yes/no per output unit); got shape {labels.shape}.")
        labels = labels.astype(np.int64)
    else:
        labels = labels.astype(np.int64).ravel()
        if labels.shape[0] != x.shape[0]:
            raise ValueError(f"Got {x.shape[0]} images but {labels.shape[0]} labels; pass one "
                             "integer label per image.")
        if n_cls is not None and labels.size and (labels.min() < 0 or labels.max() >= n_cls):
            extra = " (one sigmoid unit: 0 for p < 0.5, 1 for p > 0.5)" \
                if o.kind == "binary" else ""
            raise ValueError(f"Labels must be class indices from 0 to {n_cls - 1} for this "
                             f"model{extra}; got values in [{labels.min()}, {labels.max()}].")
    _check_preprocess(preprocess, x[:1], acc.input_shape)
    fn = _forward_fn(acc, preprocess, oi)
    probs = np.concatenate([_probabilities(fn(tf.constant(x[s:s + batch_size])).numpy(), o)
                            for s in range(0, len(x), batch_size)], axis=0)
    idx = np.arange(len(x))
    explain = probs.argmax(axis=1)
    if multi_hot:
        predicted = (probs > 0.5).astype(np.int64)
        sure = np.where(predicted == 1, probs, 1.0 - probs)           # (n, units)
        true_units = np.where(labels == 1, probs, 1.0 - probs)        # (n, units)
        confidence = sure.min(axis=1) if n_cls else np.ones(len(x))
        true_p = true_units.min(axis=1) if n_cls else np.ones(len(x))
        correct = (predicted == labels).all(axis=1)
    else:
        predicted = explain
        confidence = probs[idx, predicted]
        true_p = probs[idx, labels]
        correct = predicted == labels
    best = idx[correct][np.argsort(-confidence[correct], kind="stable")]
    wrong = idx[~correct][np.argsort(-confidence[~correct], kind="stable")]
    shaky = idx[correct][np.argsort(true_p[correct], kind="stable")]
    worst = np.concatenate([wrong, shaky])
    return PredictionRanking(predicted.astype(np.int64), confidence.astype(np.float32),
                             true_p.astype(np.float32), correct, best.astype(np.int64),
                             worst.astype(np.int64), float(correct.mean()) if len(x) else 0.0,
                             explain.astype(np.int64))


def check_batch_size(batch_size: int) -> int:
    """Validate a batch size (a positive int)."""
    if not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
        raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}.")
    return int(batch_size)


__all__: Sequence[str] = (
    "CAMCancelled", "CAMContext", "CAMMethod", "CAMResult", "FLAGS", "PredictionRanking",
    "TopPredictions", "cam_methods", "compute_cam", "default_layer", "get_method", "model_output",
    "rank_predictions", "register", "top_predictions", "unregister",
)
