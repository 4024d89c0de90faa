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
import threading
import weakref
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Mapping, Sequence

import keras
import numpy as np
import tensorflow as tf

from ._cache import DEFAULT_CACHE_BYTES, ByteLRU

# Patching instance attributes is global state: two threads tracing at once would see each other's
# wrappers. Only tracing (or an eager run) holds the lock; executing a traced graph does not.
_PATCH_LOCK = threading.RLock()


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
    * ``SeparableConv2D``: its depthwise kernel, as for ``DepthwiseConv2D`` (the pointwise part
      is a 1×1 mixing, not a spatial pattern).
    """
    cls = type(layer).__name__
    if isinstance(layer, keras.layers.DepthwiseConv2D) or isinstance(layer, keras.layers.SeparableConv2D):
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
    if isinstance(layer, (keras.layers.DepthwiseConv2D, keras.layers.SeparableConv2D)):
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
                f"Model {model.name!r} takes inputs of shape {self.input_shape}; convviz_widgets "
                "needs an image model with inputs (batch, height, width, channels).")
        self._layers: dict[str, Any] = {}
        self._depth: dict[str, int] = {}
        self._walk(model, "", 0)
        self._by_id = {id(l): p for p, l in self._layers.items()}
        self._infos: dict[str, LayerInfo] | None = None
        self._fns: dict[Any, Callable] = {}
        self.cache = ByteLRU(cache_bytes)

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
        """Memoise a compiled function under ``key`` (built on first use)."""
        fn = self._fns.get(key)
        if fn is None:
            fn = builder()
            self._fns[key] = fn
        return fn

    def weights_version(self) -> tuple:
        """Cheap marker that changes when the model is trained further.

        Reading every weight to hash it would cost more than a forward pass on VGG16, so this
        uses the optimizer's step counter; weights changed by ``set_weights`` need
        :func:`convviz_widgets.clear_cache`.
        """
        model = self.model
        opt = getattr(model, "optimizer", None)
        it = getattr(opt, "iterations", None) if opt is not None else None
        try:
            step = int(keras.ops.convert_to_numpy(it)) if it is not None else -1
        except Exception:  # noqa: BLE001 - an unbuilt optimizer has no counter yet
            step = -1
        return (step,)


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
