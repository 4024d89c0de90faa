"""One way into every Keras model: layer listing, layer resolution and output capture.

Why one mechanism and not "a sub-model where a graph exists": a Keras 3 sub-model built from
``inner_layer.output`` fails for nested models (the inner layer's symbolic output belongs to the
backbone's own graph, not to the outer model's inputs — "Graph disconnected"), for layers called
more than once, and for subclassed models (no symbolic graph at all). Every model style, however,
ends up calling ``layer.call`` of each layer it runs. So we capture outputs by wrapping ``call`` on
the layer *instances* we want, for the duration of one forward pass. Run inside ``tf.function``
this patching happens only while tracing; the traced graph simply returns the intermediate tensors
as extra outputs, so a capture costs one forward pass, and gradients with respect to a captured
tensor are available through ``tf.GradientTape`` because the captured tensor *is* the tensor the
rest of the model consumed.

The same wrapping can *replace* a layer's output (``run_model(..., replace={path: tensor})``):
the part of the model before that layer then feeds nothing the output needs, and TensorFlow's
graph pruning drops it. That is how a Grad-CAM class switch re-runs only the head.
"""

from __future__ import annotations

import difflib
import functools
import hashlib
import sys
import threading
import types
import weakref
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Mapping, Sequence

import keras
import numpy as np
import tensorflow as tf

from ._cache import DEFAULT_CACHE_BYTES, ByteLRU

# Patching instance attributes is global state: two threads tracing at once would see each other's
# wrappers. Only tracing (or an eager run) holds the lock; executing a traced graph does not.
_PATCH_LOCK = threading.RLock()

#: Compiled functions kept per model (see :meth:`ModelAccess.compiled`).
MAX_COMPILED = 48


class ModelNotBuiltError(ValueError):
    """The model has no known input shape yet."""


@dataclass(frozen=True)
class LayerInfo:
    """What the views need to know about one layer.

    Attributes
    ----------
    path : str
        ``"/"``-joined names from the outer model down, e.g. ``"vgg16/block3_conv1"``.
    name : str
        The layer's own name.
    class_name : str
        ``"Conv2D"``, ``"MaxPooling2D"``, ``"Functional"``, ...
    output_shape : tuple
        Output shape with the batch dimension as ``None`` (spatial sizes may be ``None`` for a
        fully convolutional model). For a layer called several times, its first call.
    kernel_shape : tuple or None
        Shape of :func:`convviz_widgets.kernels` for this layer, ``(kh, kw, cin, cout)``;
        ``None`` when the layer has no 2-D convolution kernel.
    params : int
        Number of weights (trainable and not) including nested layers.
    depth : int
        Nesting depth: 0 for layers of the outer model.
    is_container : bool
        True for a model or layer that holds other layers (e.g. a nested backbone).
    calls : int
        How many times the layer ran in one forward pass (shared layers run more than once).
    """

    path: str
    name: str
    class_name: str
    output_shape: tuple
    kernel_shape: tuple | None
    params: int
    depth: int = 0
    is_container: bool = False
    calls: int = 1

    @property
    def has_kernel(self) -> bool:
        """True when :func:`convviz_widgets.kernels` works on this layer."""
        return self.kernel_shape is not None

    @property
    def is_spatial(self) -> bool:
        """True when the output is a feature map ``(n, h, w, c)``."""
        return len(self.output_shape) == 4

    @property
    def channels(self) -> int | None:
        """Number of output channels of a spatial layer."""
        return self.output_shape[-1] if self.output_shape else None

    def __str__(self) -> str:
        shape = "×".join("?" if d is None else str(d) for d in self.output_shape[1:])
        return f"{self.path} ({self.class_name}, {shape})"


def _children(layer) -> list:
    """Direct sub-layers of a container, in the order Keras tracks them."""
    if isinstance(layer, keras.Model):
        return [c for c in layer.layers if not isinstance(c, keras.layers.InputLayer)]
    flatten = getattr(layer, "_flatten_layers", None)
    if flatten is None:
        return []
    try:
        return [c for c in flatten(include_self=False, recursive=False)
                if not isinstance(c, keras.layers.InputLayer)]
    except TypeError:  # an older signature; custom containers are rare enough to skip
        return []


def normalized_kernel(layer) -> np.ndarray | None:
    """The layer's 2-D convolution kernel as ``(kh, kw, cin, cout)`` float32, or ``None``.

    * ``Conv2D``: as stored.
    * ``Conv2DTranspose``: Keras stores ``(kh, kw, out, in)``; we swap the last two axes so that
      ``cin`` is what the layer reads and ``cout`` what it writes, like a ``Conv2D``.
    * ``DepthwiseConv2D``: stored ``(kh, kw, cin, multiplier)``; output channel ``c * m + j``
      reads only input channel ``c``, so it is returned as ``(kh, kw, 1, cin * m)``.
    * ``SeparableConv2D``: the *effective* kernel ``(kh, kw, cin, cout)``, the depthwise kernel
      composed with the pointwise 1×1 mixing:
      ``K[..., c, o] = Σ_j dw[..., c, j] · pw[c·m + j, o]``.
      The layer is linear before its bias, so a plain convolution with ``K`` (same strides,
      padding, dilation) plus the bias *is* the layer's output, and filter ``o`` is the pattern
      that output channel ``o`` responds to (the depthwise kernel alone has ``cin · m`` filters,
      which do not line up with the ``cout`` output channels).
    """
    cls = type(layer).__name__
    if isinstance(layer, keras.layers.SeparableConv2D):
        dw = np.asarray(keras.ops.convert_to_numpy(layer.depthwise_kernel), dtype=np.float64)
        pw = np.asarray(keras.ops.convert_to_numpy(layer.pointwise_kernel), dtype=np.float64)
        kh, kw, cin, mult = dw.shape
        pw = pw.reshape(cin, mult, -1)  # (1, 1, cin*m, cout) -> (cin, m, cout), row c*m + j
        # float64 accumulation: the effective kernel is compared with the layer's own output.
        return np.einsum("hwcj,cjo->hwco", dw, pw).astype(np.float32)
    if isinstance(layer, keras.layers.DepthwiseConv2D):
        w = layer.depthwise_kernel if hasattr(layer, "depthwise_kernel") else layer.kernel
        w = np.asarray(keras.ops.convert_to_numpy(w), dtype=np.float32)
        kh, kw, cin, mult = w.shape
        # (kh, kw, cin, m) -> (kh, kw, 1, cin*m): output channel c*m + j in Keras' order.
        return w.reshape(kh, kw, 1, cin * mult)
    kernel = getattr(layer, "kernel", None)
    if kernel is None or len(kernel.shape) != 4:
        return None
    w = np.asarray(keras.ops.convert_to_numpy(kernel), dtype=np.float32)
    if isinstance(layer, keras.layers.Conv2DTranspose) or cls == "Conv2DTranspose":
        w = np.transpose(w, (0, 1, 3, 2))  # (kh, kw, out, in) -> (kh, kw, in, out)
    return w


def _kernel_shape(layer) -> tuple | None:
    if isinstance(layer, keras.layers.SeparableConv2D):
        kh, kw, cin, _ = (int(d) for d in layer.depthwise_kernel.shape)
        return (kh, kw, cin, int(layer.pointwise_kernel.shape[-1]))
    if isinstance(layer, keras.layers.DepthwiseConv2D):
        kh, kw, cin, mult = layer.depthwise_kernel.shape if hasattr(layer, "depthwise_kernel") \
            else layer.kernel.shape
        return (int(kh), int(kw), 1, int(cin) * int(mult))
    kernel = getattr(layer, "kernel", None)
    if kernel is None or len(kernel.shape) != 4:
        return None
    kh, kw, a, b = (int(d) for d in kernel.shape)
    if isinstance(layer, keras.layers.Conv2DTranspose):
        return (kh, kw, b, a)
    return (kh, kw, a, b)


def _input_shape(model) -> tuple:
    """The model's input shape with batch ``None``, or a :class:`ModelNotBuiltError`."""
    inputs = None
    try:
        inputs = model.inputs
    except (AttributeError, ValueError):
        inputs = None
    if inputs:
        if len(inputs) != 1:
            raise ValueError(
                f"Model {model.name!r} has {len(inputs)} inputs; convviz_widgets works on image "
                "models with one image input. Wrap the image branch in its own keras.Model and "
                "pass that.")
        return (None,) + tuple(inputs[0].shape[1:])
    shapes = getattr(model, "_build_shapes_dict", None)
    if shapes:
        shape = next(iter(shapes.values()))
        if isinstance(shape, (tuple, list)) and shape and isinstance(shape[0], (tuple, list)):
            shape = shape[0]
        if shape is not None and len(shape) >= 2:
            return (None,) + tuple(shape[1:])
    raise ModelNotBuiltError(
        f"Model {model.name!r} has never been built, so its input shape is unknown. Build it "
        "first: call `model.build((None, height, width, channels))`, or run it once on a batch "
        "(`model(images[:1])`), or give it an input (`keras.Input(shape=(h, w, c))` as the first "
        "layer of a Sequential).")


class ModelAccess:
    """Per-model index of layers, compiled capture functions and the activation cache.

    Get it with :func:`access`; one instance per model object, held weakly.
    """

    def __init__(self, model, cache_bytes: int = DEFAULT_CACHE_BYTES):
        if not isinstance(model, keras.Model):
            raise TypeError(
                f"Expected a keras.Model, got {type(model).__name__}. Pass the Keras model itself "
                "(for a tf.keras / Keras 2 model, rebuild or load it with Keras 3).")
        self._model_ref = weakref.ref(model)
        self.input_shape = _input_shape(model)
        if len(self.input_shape) != 4:
            raise ValueError(
                f"Model {model.name!r} takes inputs of shape {self.input_shape}, not 2-D images: "
                "convviz_widgets shows image models whose input is (batch, height, width, "
                "channels), built from Conv2D-style layers (Conv1D sequence and Conv3D volume "
                "models are not supported). For a grayscale image model, give the input a "
                "channel axis: keras.Input((height, width, 1)).")
        self._layers: dict[str, Any] = {}
        self._depth: dict[str, int] = {}
        self._walk(model, "", 0)
        self._by_id = {id(l): p for p, l in self._layers.items()}
        self._infos: dict[str, LayerInfo] | None = None
        self._fns: OrderedDict[Any, Callable] = OrderedDict()
        self._fns_lock = threading.Lock()
        self.cache = ByteLRU(cache_bytes)
        # (image digest, preprocess key) pairs ever captured (bounded): only those can hit.
        self._captured: OrderedDict[tuple, None] = OrderedDict()

    @property
    def model(self):
        m = self._model_ref()
        if m is None:  # pragma: no cover - only if a caller keeps the access past the model
            raise RuntimeError("The model behind this ModelAccess no longer exists.")
        return m

    # ----------------------------------------------------------------- listing and resolution
    def _walk(self, container, prefix: str, depth: int) -> None:
        for layer in _children(container):
            path = f"{prefix}{layer.name}"
            if path in self._layers:  # two children with one name: keep both reachable
                k = 2
                while f"{path}_{k}" in self._layers:
                    k += 1
                path = f"{path}_{k}"
            self._layers[path] = layer
            self._depth[path] = depth
            if _children(layer):
                self._walk(layer, path + "/", depth + 1)

    @property
    def paths(self) -> list[str]:
        """Every layer path, outer model first, depth-first."""
        return list(self._layers)

    def layer(self, path: str):
        """The layer object at ``path``."""
        return self._layers[path]

    def infos(self) -> dict[str, LayerInfo]:
        """``{path: LayerInfo}`` for every layer (output shapes from one symbolic trace)."""
        if self._infos is None:
            shapes, calls = self._trace_shapes()
            infos = {}
            for path, layer in self._layers.items():
                infos[path] = LayerInfo(
                    path=path,
                    name=layer.name,
                    class_name=type(layer).__name__,
                    output_shape=shapes.get(path, ()),
                    kernel_shape=_kernel_shape(layer),
                    params=int(sum(int(np.prod(w.shape)) for w in layer.weights)),
                    depth=self._depth[path],
                    is_container=bool(_children(layer)),
                    calls=calls.get(path, 0),
                )
            self._infos = infos
        return self._infos

    def _trace_shapes(self) -> tuple[dict[str, tuple], dict[str, int]]:
        # Tracing (not running) the model gives every layer's static output shape, for all model
        # styles, without computing anything.
        recorded: dict[str, list] = {}

        def fn(x):
            _, captured = run_model(self, x, self.paths, all_calls=True)
            for p, outs in captured.items():
                recorded[p] = [tuple(o.shape) if hasattr(o, "shape") else () for o in outs]
            return tf.zeros(())

        spec = tf.TensorSpec((1,) + tuple(self.input_shape[1:]), self.model.inputs[0].dtype
                             if _has_inputs(self.model) else tf.float32)
        tf.function(fn).get_concrete_function(spec)
        shapes = {p: ((None,) + tuple(s[0][1:])) if s and s[0] else () for p, s in recorded.items()}
        calls = {p: len(s) for p, s in recorded.items()}
        return shapes, calls

    def resolve(self, layer) -> str:
        """Path of ``layer`` given as path, unique name, or layer object.

        Raises
        ------
        ValueError
            Unknown or ambiguous names; the message lists the closest valid paths.
        """
        if not isinstance(layer, str):
            path = self._by_id.get(id(layer))
            if path is None:
                raise ValueError(
                    f"Layer {getattr(layer, 'name', layer)!r} is not part of model "
                    f"{self.model.name!r}. Pass a layer of this model, or its path, e.g. "
                    f"{self._examples()}.")
            return path
        if layer in self._layers:
            return layer
        by_name = [p for p, l in self._layers.items() if l.name == layer]
        if len(by_name) == 1:
            return by_name[0]
        if len(by_name) > 1:
            raise ValueError(
                f"Layer name {layer!r} is ambiguous in model {self.model.name!r}: it names "
                f"{by_name}. Pass the full path instead.")
        close = difflib.get_close_matches(layer, self.paths, n=5, cutoff=0.5)
        for name in difflib.get_close_matches(
                layer.split("/")[-1], [l.name for l in self._layers.values()], n=5, cutoff=0.5):
            close += [p for p, l in self._layers.items() if l.name == name and p not in close]
        hint = f"Did you mean {close[:5]}?" if close else f"Valid layers include {self._examples()}."
        raise ValueError(
            f"No layer {layer!r} in model {self.model.name!r}. {hint} "
            "(cv.conv_layers(model) lists them all.)")

    def _examples(self) -> list[str]:
        spatial = [p for p, i in self.infos().items() if i.is_spatial] or self.paths
        return spatial[:3] + (spatial[-2:] if len(spatial) > 5 else [])

    # ------------------------------------------------------------------------------ running
    def compiled(self, key: Any, builder: Callable[[], Callable]) -> Callable:
        """Memoise a compiled function under ``key`` (built on first use).

        At most :data:`MAX_COMPILED` functions are kept per model, least recently used first
        out: each holds a traced graph (megabytes for a deep model), and keys that include
        settings the user varies (a preprocess, a maximizer setting) would otherwise grow
        without bound. Build keys with :func:`preprocess_key` for the preprocess, never with
        the callable itself, so an equal new lambda reuses the trace.
        """
        with self._fns_lock:
            fn = self._fns.get(key)
            if fn is not None:
                self._fns.move_to_end(key)
                return fn
        fn = builder()
        with self._fns_lock:
            fn = self._fns.setdefault(key, fn)
            self._fns.move_to_end(key)
            while len(self._fns) > MAX_COMPILED:
                self._fns.popitem(last=False)
        return fn

    def was_captured(self, key: tuple) -> bool:
        """True if activations for ``(image digest, preprocess key)`` were ever cached."""
        return key in self._captured

    def mark_captured(self, key: tuple) -> None:
        with self._fns_lock:
            self._captured[key] = None
            self._captured.move_to_end(key)
            while len(self._captured) > 4096:
                self._captured.popitem(last=False)

    @property
    def input_dtype(self) -> tf.DType:
        """The dtype of the model's image input (float32 unless an ``Input`` says otherwise)."""
        if _has_inputs(self.model):
            return tf.as_dtype(self.model.inputs[0].dtype)
        return tf.float32

    def weights_version(self) -> tuple:
        """:func:`weights_identity` of the model: part of every cache key of a result."""
        return weights_identity(self.model)


def _has_inputs(model) -> bool:
    try:
        return bool(model.inputs)
    except (AttributeError, ValueError):
        return False


_ACCESS: "weakref.WeakKeyDictionary[Any, ModelAccess]" = weakref.WeakKeyDictionary()
_ACCESS_LOCK = threading.Lock()


def access(model) -> ModelAccess:
    """The :class:`ModelAccess` of ``model`` (created on first use, then reused)."""
    if isinstance(model, ModelAccess):
        return model
    if not isinstance(model, keras.Model):
        raise TypeError(
            f"Expected a keras.Model, got {type(model).__name__}. Pass the Keras model itself "
            "(a tf.keras / Keras 2 model must be rebuilt or reloaded with Keras 3).")
    with _ACCESS_LOCK:
        acc = _ACCESS.get(model)
        if acc is None:
            acc = ModelAccess(model)
            _ACCESS[model] = acc
        return acc


def tf_function(fn: Callable | None = None, /, **kwargs):
    """``tf.function`` for a function built per layer or settings (a closure); call or decorator.

    TensorFlow keeps its "frequent retracing" statistics per *code object*, so all closures one
    builder makes (one per layer path, say) count as a single function: tracing each of them
    once, as intended, prints "N out of the last M calls to <fn> triggered tf.function
    retracing" after a few layers. Compiling a ``functools.partial`` of the closure gives each
    compiled function statistics of its own, so only a real retrace of one function warns.
    """
    if fn is None:
        return lambda f: tf_function(f, **kwargs)
    return tf.function(functools.partial(fn), **kwargs)


def run_model(
    model_or_access,
    x,
    capture: Iterable[str] = (),
    *,
    replace: Mapping[str, Any] | None = None,
    training: bool = False,
    all_calls: bool = False,
    capture_inputs: Iterable[str] = (),
    wrap_calls: Mapping[str, Callable] | None = None,
):
    """Run the model on ``x``, capturing (and optionally replacing) layer outputs.

    Call it inside ``tf.function`` (the wrappers then exist only while tracing) or eagerly, inside
    a ``tf.GradientTape`` when gradients with respect to captured tensors are wanted.

    Parameters
    ----------
    model_or_access : keras.Model or ModelAccess
    x : tensor
        Model input (already preprocessed).
    capture : iterable of str
        Layer paths whose outputs to return.
    replace : mapping of str to tensor, optional
        Layer paths whose (first-call) output is replaced by the given tensor; the layer's own
        computation is skipped.
    training : bool
        Passed to the model call.
    all_calls : bool
        Return every call's output (a list) instead of only the first call's.
    capture_inputs : iterable of str
        Layer paths whose *input* (the first positional argument of the layer's first call)
        to return, under the key ``("input", path)``. The maximizer reads a convolution's input
        to compute only the channel it optimises.
    wrap_calls : mapping of str to callable, optional
        ``{path: wrapper}`` with ``wrapper(layer, call) -> call``: the layer runs the returned
        function instead of its own ``call`` (for this forward pass only). This is how guided
        backpropagation gives every ReLU of the model a different gradient
        (:mod:`convviz_widgets.compute.cam._pixel`). The wrapped call's output is what
        ``capture`` returns.

    Returns
    -------
    output : tensor
        The model's output.
    captured : dict
        ``{path: tensor}`` (or ``{path: [tensor, ...]}`` with ``all_calls``), plus
        ``{("input", path): tensor}`` for ``capture_inputs``. A path whose layer did not run is
        missing.

    Examples
    --------
    >>> acc = access(model)                                         # doctest: +SKIP
    >>> y, feats = run_model(acc, x, ["vgg16/block3_conv1"])        # doctest: +SKIP
    """
    acc = access(model_or_access)
    replace = dict(replace or {})
    want_inputs = set(capture_inputs)
    wrap_calls = dict(wrap_calls or {})
    wanted = set(capture) | set(replace) | want_inputs | set(wrap_calls)
    store: dict[str, list] = {}
    inputs: dict[tuple, Any] = {}
    with _PATCH_LOCK:
        patched = []
        try:
            for path in wanted:
                layer = acc.layer(path)
                original = layer.call
                if path in wrap_calls:
                    original = wrap_calls[path](layer, original)

                def wrapped(*args, __orig=original, __path=path, **kwargs):
                    if __path in want_inputs and ("input", __path) not in inputs:
                        inputs[("input", __path)] = args[0] if args else kwargs.get("inputs")
                    if __path in replace and not store.get(__path):
                        out = replace[__path]
                    else:
                        out = __orig(*args, **kwargs)
                    store.setdefault(__path, []).append(out)
                    return out

                # object.__setattr__ skips Keras' attribute tracking: the wrapper is not a weight.
                object.__setattr__(layer, "call", wrapped)
                patched.append(layer)
            output = acc.model(x, training=training)
        finally:
            for layer in patched:
                try:
                    object.__delattr__(layer, "call")
                except AttributeError:  # pragma: no cover
                    pass
    if all_calls:
        captured = {p: v for p, v in store.items() if p in capture or p in replace}
    else:
        captured = {p: v[0] for p, v in store.items() if v and (p in capture or p in replace)}
    captured.update(inputs)
    missing = [p for p in replace if p not in store]
    if missing:
        raise ValueError(f"Layers {missing} did not run in a forward pass of the model; they "
                         "cannot be replaced.")
    return output, captured


def spatial_paths(model) -> list[str]:
    """Paths of every layer whose output is a feature map ``(n, h, w, c)``."""
    return [p for p, i in access(model).infos().items() if i.is_spatial and i.calls > 0]


def resolve_layer(model, layer) -> LayerInfo:
    """Find a layer by path, unique name or object.

    Parameters
    ----------
    model : keras.Model
    layer : str or keras.layers.Layer
        ``"vgg16/block3_conv1"``, ``"block3_conv1"`` (when unique) or the layer object.

    Returns
    -------
    LayerInfo

    Raises
    ------
    ValueError
        The layer does not exist (the message names the closest valid paths) or the name is
        ambiguous.

    Examples
    --------
    >>> import convviz_widgets as cv
    >>> cv.resolve_layer(cv.demo_model(), "block1_conv1").kernel_shape      # doctest: +SKIP
    (3, 3, 3, 16)
    """
    acc = access(model)
    return acc.infos()[acc.resolve(layer)]


def conv_layers(model, kind: str = "all") -> list[LayerInfo]:
    """List the layers the views can show, recursively through nested models.

    Parameters
    ----------
    model : keras.Model
        Sequential, functional, nested (a model used as a layer) or subclassed; it must be built.
    kind : {"all", "kernel", "spatial"}
        ``"kernel"``: layers with a 2-D convolution kernel (for kernel views); ``"spatial"``:
        layers whose output is a feature map (for activations and Grad-CAM); ``"all"``: either.

    Returns
    -------
    list of LayerInfo
        In model order (outer layers first, then depth-first into nested models).

    Examples
    --------
    >>> import convviz_widgets as cv
    >>> [info.path for info in cv.conv_layers(cv.demo_model(), kind="kernel")][:2]  # doctest: +SKIP
    ['block1_conv1', 'block1_conv2']
    """
    if kind not in ("all", "kernel", "spatial"):
        raise ValueError(f"kind must be 'all', 'kernel' or 'spatial', not {kind!r}.")
    infos = access(model).infos().values()
    if kind == "kernel":
        return [i for i in infos if i.has_kernel]
    if kind == "spatial":
        return [i for i in infos if i.is_spatial and i.calls > 0]
    return [i for i in infos if i.has_kernel or (i.is_spatial and i.calls > 0)]


def model_layers(model) -> list[LayerInfo]:
    """Every layer of the model, nested ones included — the data of ``model.summary()``.

    Unlike :func:`conv_layers` this keeps dense, flatten and other non-spatial layers, in model
    order with their nesting ``depth``, so a summary panel can show nested models expandable.

    Examples
    --------
    >>> import convviz_widgets as cv
    >>> [i.path for i in cv.model_layers(cv.demo_model())][-1]             # doctest: +SKIP
    'predictions'
    """
    return list(access(model).infos().values())


def require_spatial(model, layer, what: str) -> str:
    """Resolve ``layer`` and check it outputs a feature map; return its path."""
    info = resolve_layer(model, layer)
    if not info.is_spatial or info.calls == 0:
        options = [p for p in spatial_paths(model)][-4:]
        raise ValueError(
            f"Layer {info.path!r} outputs shape {info.output_shape}, not a feature map "
            f"(batch, height, width, channels), so it has no {what}. Pick a convolution or pooling "
            f"layer, e.g. {options}.")
    return info.path


def check_filters(info: LayerInfo, filters: Sequence[int] | int | None, n: int) -> np.ndarray:
    """Validate filter indices against ``n`` channels; return them as an int array."""
    if filters is None:
        return np.arange(n)
    arr = np.atleast_1d(np.asarray(filters))
    if arr.dtype.kind not in "iu":
        raise TypeError(f"Filter indices must be integers, got {filters!r}.")
    bad = arr[(arr < 0) | (arr >= n)]
    if bad.size:
        raise ValueError(
            f"Filter index {int(bad[0])} is out of range for layer {info.path!r}, which has {n} "
            f"filters: use 0 to {n - 1}.")
    return arr.astype(np.int64)


# ------------------------------------------------------------------------------------ identities
#
# Every cached result (activations, CAM feature maps and heads, maximized patterns, the
# KernelViewer's kernels) is keyed by two identities defined here and nowhere else:
#
# * weights_identity(model or layer): what the weights ARE, not how they got there;
# * preprocess_key(preprocess):       what the preprocess DOES, not which object it is.

#: Variables up to this many values are summed exactly (every bit counts); larger ones (VGG16's
#: 102 M-value fc1, block5 kernels) are sampled, so that a cache hit stays cheap.
_FP_EXACT_MAX = 262_144
#: Values sampled from each larger variable, at a stride coprime with 2, 3, 5 and 7, so that
#: the samples spread over all output filters of a channels-last kernel (a stride sharing a
#: factor with the channel count would skip whole filters). Each sample is a cache miss:
#: 16,384 per variable cost VGG16 8 ms, 2,048 cost 0.5 ms.
_FP_SAMPLE = 2048
#: The first this many (sampled) values of each variable also enter with their positions.
_FP_POSITIONS = 4096
_FP_FNS: "weakref.WeakKeyDictionary[Any, tuple]" = weakref.WeakKeyDictionary()
_FP_LOCK = threading.Lock()

#: Eager assignments per variable (``id -> count``): ``set_weights``, ``load_weights``,
#: ``variable.assign`` — the writes that can be narrow (one filter zeroed in a huge kernel).
_ASSIGNS: dict[int, int] = {}


def _count_eager_assignments() -> None:
    """Count eager writes to Keras variables, once per process (see :func:`weights_identity`).

    Every Keras-level write (``assign``/``assign_add``/``assign_sub``, hence ``set_weights``
    and ``load_weights``) ends in the TensorFlow backend's ``Variable._direct_assign``. Inside
    a compiled training step it runs once, at tracing — those updates change every trained
    value and are seen by the content fingerprint; eagerly it runs per write and is counted.
    """
    try:
        from keras.src.backend.tensorflow.core import Variable as _TFVariable
    except ImportError:  # pragma: no cover - another Keras layout: content fingerprint only
        return
    original = _TFVariable.__dict__.get("_direct_assign")
    if original is None or getattr(original, "_convviz_counted", False):
        return

    def _direct_assign(self, value):
        if tf.executing_eagerly():
            _ASSIGNS[id(self)] = _ASSIGNS.get(id(self), 0) + 1
        return original(self, value)

    _direct_assign._convviz_counted = True
    _TFVariable._direct_assign = _direct_assign


_count_eager_assignments()


def _int32_bits(t):
    """The bits of ``t`` as int32 values (a reinterpretation, not a conversion)."""
    if t.dtype == tf.int32:
        return t
    if t.dtype.size in (4, 8) and t.dtype not in (tf.bool, tf.string):
        return tf.bitcast(t, tf.int32)  # an 8-byte value becomes two int32 words
    if t.dtype.size == 2:
        return tf.cast(tf.bitcast(t, tf.int16), tf.int32)
    return tf.cast(t, tf.int32)


def _coprime_stride(n: int) -> int:
    stride = max(1, -(-n // _FP_SAMPLE))
    while stride > 1 and any(stride % p == 0 for p in (2, 3, 5, 7)):
        stride += 1
    return stride


def fingerprint_tensor(variables):
    """The content part of :func:`weights_identity`, ``(n_variables, 2)`` float64, with TF ops.

    Call it inside a ``tf.function`` to compute the identity in the same graph execution as
    other work (the activation capture does, so a fresh capture pays no separate pass over the
    weights); turn the result into the identity with :func:`identity_from`.
    """
    rows, vectors = [], []
    for v in variables:
        flat = tf.reshape(tf.convert_to_tensor(v), [-1])
        n = int(np.prod(v.shape))
        if len(v.shape) < 2 and n <= _FP_EXACT_MAX and flat.dtype == tf.float32:
            # Biases and BatchNorm vectors (most of a ResNet's 320 variables) are summed as
            # one concatenation: a few ops instead of a few per variable.
            vectors.append(flat)
            continue
        if n > _FP_EXACT_MAX:
            # Slice first: reinterpreting or casting the whole of a large variable would
            # materialise a copy of it (400 MB for VGG16's fc1).
            total = tf.reduce_sum(tf.cast(flat[::_coprime_stride(n)], tf.float64))
        else:
            # The wrapping int32 sum of the bits: exact (one changed bit of one value changes
            # it) and without the float64 copy a cast would make.
            total = tf.cast(tf.reduce_sum(_int32_bits(flat)), tf.float64)
        head = tf.cast(flat[:_FP_POSITIONS], tf.float64)
        pos = tf.range(1, tf.shape(head)[0] + 1, dtype=tf.float64)
        # The second number weighs positions, so swapped filters change it too.
        rows.append(tf.stack([total, tf.reduce_sum(head * pos)]))
    if vectors:
        bits = _int32_bits(tf.concat(vectors, 0))
        pos = tf.range(1, tf.shape(bits)[0] + 1, dtype=tf.int32) * 40503 + 1
        rows.append(tf.cast(tf.stack([tf.reduce_sum(bits), tf.reduce_sum(bits * pos)]),
                            tf.float64))
    if not rows:
        return tf.zeros((0, 2), tf.float64)
    return tf.stack(rows)


def weights_ids(obj) -> tuple:
    """Which variables ``obj`` has: the ``id`` of each of ``obj.weights``, in order.

    A Keras variable never changes shape or dtype, and every function that reads these ids
    holds the variables (so an id cannot be reused while it matters).
    """
    return tuple(id(v) for v in obj.weights)


def identity_from(ids: tuple, content) -> tuple:
    """:func:`weights_identity` from :func:`weights_ids` and a :func:`fingerprint_tensor` value."""
    if not ids:
        return ("no-weights",)
    content = np.ascontiguousarray(np.asarray(content, dtype=np.float64))
    writes = tuple(_ASSIGNS.get(i, 0) for i in ids)
    return (hashlib.blake2b(repr(ids).encode(), digest_size=8).digest(),
            hashlib.blake2b(content.tobytes() + repr(writes).encode(), digest_size=16).digest())


def weights_identity(obj) -> tuple:
    """An identity of the current weights of a model or layer: equal identities, equal weights.

    **The one rule for staleness.** Every cached result computed from weights (activations,
    Grad-CAM maps, maximized patterns, the KernelViewer's kernels) keys its cache entries
    with this identity, read at the time of the request. It is made of the weights
    themselves, whoever changed them:

    * which variables there are (each of ``obj.weights``, trainable or not, so BatchNorm
      statistics count);
    * their content: every variable up to 262,144 values summed exactly (the wrapping int32
      sum of its bits: one changed bit of one weight changes it), and the first 4,096 values
      of each kernel weighted by position (swapped filters change it); larger variables
      through 2,048 values sampled at a stride spread over the output filters — a
      training step changes every trained value, so ``fit`` with any optimizer (a fresh one
      after re-compiling included), a custom loop, or training the *outer* model of a nested
      backbone all change it;
    * how many times each variable was written eagerly through Keras (``set_weights``,
      ``load_weights``, ``variable.assign``): exact for edits too narrow for the samples (one
      filter zeroed in a 2.4 M-value kernel).

    Nothing needs to be told; :func:`convviz_widgets.clear_cache` only frees memory. The one
    write it cannot see is a narrow edit of a variable above 262,144 values made *below*
    Keras (on the raw ``tf.Variable``, ``variable.value.assign``) that misses every sample.

    Cost: one small compiled reduction per call, independent of the image size —
    ``VGG16(weights=None)`` (32 variables, 138 M values) about 1.5–4 ms, ``ResNet50`` (320
    variables) 5–7 ms on 2 heavily shared cores; the activation capture computes it inside
    its own graph, so a fresh capture needs no separate call.

    Parameters
    ----------
    obj : keras.Model or keras.layers.Layer

    Returns
    -------
    tuple
        Hashable; compare with ``==`` or use in cache keys.

    Examples
    --------
    >>> layer = keras.layers.Dense(2); layer.build((None, 3))
    >>> before = weights_identity(layer)
    >>> _ = layer.kernel.assign(layer.kernel * 2.0)
    >>> weights_identity(layer) == before
    False
    """
    ids = weights_ids(obj)
    if not ids:
        return ("no-weights",)
    with _FP_LOCK:
        entry = _FP_FNS.get(obj)
        if entry is None or entry[0] != ids:
            # A new variable list (a layer added, a model rebuilt) needs a new trace; the
            # function holds the variables, so their ids cannot be reused while it exists.
            variables = list(obj.weights)
            entry = (ids, tf.function(lambda: fingerprint_tensor(variables), autograph=False))
            _FP_FNS[obj] = entry
    return identity_from(ids, entry[1]().numpy())


class _Ref:
    """A key part that stands for an object by identity and keeps it alive (no id reuse)."""

    __slots__ = ("obj",)

    def __init__(self, obj):
        self.obj = obj

    def __hash__(self):
        return id(self.obj)

    def __eq__(self, other):
        return isinstance(other, _Ref) and other.obj is self.obj

    def __repr__(self):
        return f"_Ref({type(self.obj).__name__})"


def _code_key(code: types.CodeType) -> tuple:
    consts = tuple(_code_key(c) if isinstance(c, types.CodeType) else (type(c).__name__, repr(c))
                   for c in code.co_consts)
    return (code.co_code, consts, code.co_names, code.co_varnames, code.co_freevars,
            code.co_argcount, code.co_kwonlyargcount, code.co_flags)


def _code_names(code: types.CodeType) -> set:
    names = set(code.co_names)
    for c in code.co_consts:
        if isinstance(c, types.CodeType):
            names |= _code_names(c)
    return names


def _value_key(v, depth: int):
    if v is None or isinstance(v, (bool, int, str, bytes)):
        return (type(v).__name__, v)
    if isinstance(v, (float, complex)):
        return (type(v).__name__, repr(v))  # repr: NaN equals itself
    if isinstance(v, (np.ndarray, np.generic)):
        a = np.ascontiguousarray(v)
        return ("nd", a.shape, a.dtype.str,
                hashlib.blake2b(a.tobytes(), digest_size=16).digest())
    if isinstance(v, tf.Tensor) and hasattr(v, "numpy"):
        return _value_key(v.numpy(), depth)
    if isinstance(v, (tuple, list, frozenset, set)):
        items = sorted(v, key=repr) if isinstance(v, (set, frozenset)) else v
        return (type(v).__name__,) + tuple(_value_key(x, depth) for x in items)
    if isinstance(v, dict):
        return ("dict",) + tuple((repr(k), _value_key(x, depth))
                                 for k, x in sorted(v.items(), key=lambda kv: repr(kv[0])))
    if isinstance(v, types.ModuleType):
        return ("module", v.__name__)
    if callable(v) and depth < 3:
        return _callable_key(v, depth + 1)
    return _Ref(v)


def _callable_key(fn, depth: int):
    if isinstance(fn, functools.partial):
        return ("partial", _callable_key(fn.func, depth), _value_key(fn.args, depth),
                _value_key(dict(fn.keywords), depth))
    if isinstance(fn, types.MethodType):
        return ("method", _callable_key(fn.__func__, depth), _Ref(fn.__self__))
    code = getattr(fn, "__code__", None)
    if isinstance(fn, types.FunctionType) and code is not None:
        if fn.__module__ and not fn.__module__.startswith("__") and fn.__name__ != "<lambda>" \
                and getattr(sys.modules.get(fn.__module__), fn.__qualname__, None) is fn:
            # A function importable by name (a library's preprocess_input): its name is enough.
            return ("named", fn.__module__, fn.__qualname__)
        cells = tuple(_value_key(c.cell_contents, depth) if _cell_full(c) else ("empty",)
                      for c in (fn.__closure__ or ()))
        glob = fn.__globals__
        used = tuple((n, _value_key(glob[n], depth)) for n in sorted(_code_names(code))
                     if n in glob)
        return ("fn", _code_key(code), cells, _value_key(fn.__defaults__, depth),
                _value_key(fn.__kwdefaults__, depth), used)
    return _Ref(fn)


def _cell_full(cell) -> bool:
    try:
        cell.cell_contents
    except ValueError:
        return False
    return True


def preprocess_key(preprocess: Callable | None):
    """The identity of a preprocess callable, for cache keys and compiled-function keys.

    **The one rule for preprocess identity.** Two callables are the same preprocess when they
    compute the same thing: a Python function (a lambda too) is identified by its code
    (bytecode, constants and names, not its source line, so re-running a notebook cell or
    writing the same lambda in every call matches) together with the *values* its closure
    cells, defaults and referenced globals hold (numbers, strings and arrays by content,
    modules by name, functions recursively, any other object by identity, kept alive by the
    key); ``functools.partial`` by function and arguments; a bound method by function and
    ``self``; a function importable by name (``keras.applications.vgg16.preprocess_input``)
    by that name; any other callable by identity. ``None`` is ``None``.

    Every module keys its caches and compiled functions with this, never with the callable
    itself, so ``preprocess=lambda x: x * 2 - 1`` passed anew on each call traces once.

    Examples
    --------
    >>> preprocess_key(lambda x: x * 255.0) == preprocess_key(lambda x: x * 255.0)
    True
    >>> preprocess_key(lambda x: x * 255.0) == preprocess_key(lambda x: x * 2.0)
    False
    """
    if preprocess is None:
        return None
    return ("pp", _callable_key(preprocess, 0))


#: preprocess keys already traced successfully, per sample shape (bounded).
_PP_CHECKED: "OrderedDict[tuple, bool]" = OrderedDict()
_PP_CHECKED_MAX = 256


def _library_preprocess(fn) -> str | None:
    """``"keras.applications.resnet50.preprocess_input"`` for a Keras applications function."""
    while isinstance(fn, functools.partial):
        fn = fn.func
    mod = getattr(fn, "__module__", "") or ""
    name = getattr(fn, "__name__", "")
    if name == "preprocess_input" and (
            mod.startswith(("keras.src.applications.", "keras.applications.",
                            "tf_keras.", "tensorflow.python.keras.", "keras_core."))):
        app = mod.rsplit(".", 1)[-1]
        return f"keras.applications.{app}.preprocess_input"
    return None


def check_preprocess(preprocess: Callable | None, sample: np.ndarray, input_shape: tuple) -> None:
    """Check ``preprocess`` once on a display-image sample, eagerly *and* compiled.

    Parameters
    ----------
    preprocess : callable or None
    sample : ndarray
        ``(1, h, w, c)`` float32 display images in [0, 1].
    input_shape : tuple
        The model's input shape ``(None, H, W, C)``.

    Raises
    ------
    TypeError
        ``preprocess`` is not callable.
    ValueError
        A Keras applications ``preprocess_input`` passed directly (it expects 0–255 pixels, we
        pass [0, 1]); an error when run; a wrong output shape; or an error only when compiled
        (NumPy calls on tensors) — each message says how to fix it.

    Examples
    --------
    >>> check_preprocess(lambda x: x * 2.0 - 1.0, np.zeros((1, 8, 8, 3), np.float32),
    ...                  (None, 8, 8, 3))
    """
    if preprocess is None:
        return
    if not callable(preprocess):
        raise TypeError(f"preprocess must be a callable mapping display images to model input, "
                        f"got {type(preprocess).__name__}.")
    lib = _library_preprocess(preprocess)
    if lib is not None:
        raise ValueError(
            f"preprocess is Keras' preprocess_input ({lib}), which expects pixels in 0–255, "
            "but convviz_widgets passes display images in [0, 1], so the model would see "
            "almost-constant input. Scale first: preprocess=lambda x: preprocess_input(x * 255.0)")
    try:
        out = preprocess(tf.constant(sample))
    except Exception as exc:  # noqa: BLE001 - any user error is re-raised with context
        raise ValueError(
            f"preprocess raised {type(exc).__name__}: {exc}. It receives a float32 tensor "
            f"(n, h, w, c) of display images in [0, 1] and must return the model input, using "
            "TensorFlow/Keras ops (it is also differentiated through).") from exc
    shape = tuple(getattr(out, "shape", ()))
    want = tuple(input_shape[1:])
    if len(shape) != 4 or any(w is not None and s != w for s, w in zip(shape[1:], want)):
        raise ValueError(f"preprocess returned shape {shape}; the model expects (n,) + {want}.")
    key = (preprocess_key(preprocess), tuple(sample.shape[1:]))
    with _FP_LOCK:
        if key in _PP_CHECKED:
            _PP_CHECKED.move_to_end(key)
            return
    # The compiled functions trace preprocess symbolically; a function that only works on
    # eager tensors (np.asarray(x), x.numpy(), Python branching on values) passes the call
    # above and would fail there with TensorFlow internals. Trace it alone, now, to say so.
    try:
        tf.function(lambda x: preprocess(x)).get_concrete_function(
            tf.TensorSpec((None,) + tuple(sample.shape[1:]), tf.float32))
    except Exception as exc:  # noqa: BLE001
        # TensorFlow prefixes "in user code:" and a traceback; the last line is the cause.
        lines = [ln.strip() for ln in str(exc).strip().splitlines() if ln.strip()]
        first = lines[-1] if lines else ""
        raise ValueError(
            f"preprocess works on an eager tensor but fails when compiled with tf.function "
            f"({type(exc).__name__}: {first[:200]}). convviz_widgets compiles and "
            "differentiates it, so it must use TensorFlow/Keras ops on the tensor it gets: "
            "replace NumPy calls (np.asarray, np.clip, x.numpy()) with keras.ops / tf "
            "equivalents, e.g. lambda x: keras.ops.clip(x * 2.0 - 1.0, -1.0, 1.0).") from exc
    with _FP_LOCK:
        _PP_CHECKED[key] = True
        while len(_PP_CHECKED) > _PP_CHECKED_MAX:
            _PP_CHECKED.popitem(last=False)


def model_input(acc: "ModelAccess", x, preprocess: Callable | None):
    """Display images ``x`` (float32 in [0, 1]) as the model's input.

    With a ``preprocess``, its output. Without one, ``x`` itself — except for a model whose
    ``Input`` is an integer type (``keras.Input(..., dtype="uint8")``), which is fed 0–255
    values: casting [0, 1] floats would give it black images.
    """
    if preprocess is not None:
        return preprocess(x)
    dt = acc.input_dtype
    if dt.is_integer:
        return tf.cast(tf.round(x * 255.0), dt)
    return x
