"""One way into every Keras model: the per-model index, layer listing and layer resolution.

:func:`access` gives the :class:`ModelAccess` of a model (its layers by path, its compiled
functions, its byte-bounded result cache, its one trace); the functions below list and resolve
layers. What a layer is and the checks of filters and sizes are :mod:`._layer_info`; the model's
static structure :mod:`._structure`; its one trace :mod:`._trace`; how it is run with patched
layers :mod:`._model_trace`; what a cached result depends on :mod:`._identity`; a
``preprocess`` is checked in :mod:`._preprocess`.
"""

from __future__ import annotations

import difflib
import threading
import weakref
from collections import OrderedDict
from typing import Any, Callable

import keras
import numpy as np

from . import backend
from ._cache import DEFAULT_CACHE_BYTES, ByteLRU
from ._identity import weights_identity, weights_ids
from ._layer_info import LayerInfo, check_input_size
from ._messages import InputError
from ._model_trace import _PATCH_LOCK
from ._preprocess import check_preprocess, model_input
from ._structure import _children, _has_inputs, _input_shape, _kernel_shape
from ._trace import ModelTrace, trace_model

__all__ = ["ModelAccess", "access", "check_preprocess", "conv_layers", "model_input",
           "model_layers", "require_spatial", "resolve_layer", "spatial_paths"]

#: Compiled functions kept per model (see :meth:`ModelAccess.compiled`).
MAX_COMPILED = 48


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
        self._built_shape = _input_shape(model)
        self._declares = _has_inputs(model)
        self._probed: tuple | None = None  # (weights ids, shape) of the any-size probe
        self._probe_lock = threading.Lock()
        if len(self._built_shape) != 4:
            raise ValueError(
                f"Model {model.name!r} takes inputs of shape {self._built_shape}, not 2-D images: "
                "convviz_widgets shows image models whose input is (batch, height, width, "
                "channels), built from Conv2D-style layers (Conv1D sequence and Conv3D volume "
                "models are not supported). For a grayscale image model, give the input a "
                "channel axis: keras.Input((height, width, 1)).")
        self._layers: dict[str, Any] = {}
        self._depth: dict[str, int] = {}
        self._walk(model, "", 0)
        self._by_id = {id(l): p for p, l in self._layers.items()}
        self._refuse_channels_first(model)
        self._infos: dict[str, LayerInfo] | None = None
        self._trace: ModelTrace | None = None
        self._fns: OrderedDict[Any, Callable] = OrderedDict()
        self._fns_lock = threading.Lock()
        self.cache = ByteLRU(cache_bytes)
        # (image digest, preprocess key) pairs ever captured (bounded): only those can hit.
        self._captured: OrderedDict[tuple, None] = OrderedDict()
        # Whether an integer Input takes float32 0-255 values (_model_trace.float_feed, lazy).
        self._float_feed: bool | None = None

    def _refuse_channels_first(self, model) -> None:
        """One clear error for a channels-first model (instead of "the model reads 64 channels"
        when images are passed, or a CPU kernel error deep in TensorFlow)."""
        for path, layer in self._layers.items():
            # Flatten's data_format only orders the flattened vector; it reads no feature map.
            if getattr(layer, "data_format", None) == "channels_first" and \
                    not isinstance(layer, keras.layers.Flatten):
                shape = tuple(self.input_shape[1:])
                last = shape[1:] + shape[:1] if len(shape) == 3 else shape
                raise InputError("model_channels_first", model=model.name, layer=path,
                                 shape=shape, last=last)

    # ------------------------------------------------------------------ the input size rule
    @property
    def input_shape(self) -> tuple:
        """The model's input shape ``(None, H, W, C)``; ``None`` sizes take any size.

        **The one rule for a model's input size** (every entry point prepares images with
        :meth:`image_shape`, which starts from this):

        * a model that declares its input (``keras.Input``: sequential, functional, nested)
          takes what it declares — a ``(None, None, C)`` input runs each image at its own size;
        * a subclassed model declares nothing: it only remembers the batch it was first
          called on (a constructor that calls itself on ``zeros((1, 64, 64, 3))`` before
          ``load_weights``). Whether it takes other sizes is found out by evidence: it is run
          once on zeros of a second size (:meth:`_probe_any_size`). If that works it is fully
          convolutional and each image runs at its own size; if it fails (a Flatten + Dense
          head) images are resized to the size it was built on. The answer is kept per model
          and set of weights (:func:`~._identity.weights_ids`).
        """
        shape = self._built_shape
        if self._declares or shape[1] is None or shape[2] is None:
            return shape
        model = self.model
        ids = weights_ids(model)
        probed = self._probed
        if probed is None or probed[0] != ids:
            with self._probe_lock:
                probed = self._probed
                if probed is None or probed[0] != ids:
                    new = self._probe_any_size(model, shape)
                    if probed is not None and probed[1] != new:
                        self._trace = self._infos = None  # traced at the other shape
                    self._probed = probed = (ids, new)
        return probed[1]

    @staticmethod
    def _probe_any_size(model, shape: tuple) -> tuple:
        """``shape`` with free spatial sizes if ``model`` runs on a second size, else ``shape``.

        The second size differs on both axes by multiples of 32, so a network that halves its
        maps five times (and concatenates skips, as a U-Net does) still lines up.
        """
        _, h, w, c = shape
        dtype = model.inputs[0].dtype if _has_inputs(model) else "float32"
        try:
            # eager, without a gradient record, and never while layers are patched
            with _PATCH_LOCK, backend.eager(), backend.no_grad():
                model(keras.ops.zeros((1, h + 32, w + 64, c), dtype), training=False)
        except Exception:  # noqa: BLE001 - any failure is the evidence of a fixed size
            return shape
        return (None, None, None, c)

    @property
    def built_shape(self) -> tuple:
        """``(None, H, W, C)`` as the model declares it or was first built on (before the
        any-size rule of :attr:`input_shape`)."""
        return self._built_shape

    @property
    def built_size(self) -> tuple | None:
        """``(height, width)`` the model declares or was first built on, ``None`` if neither.

        What a computation that needs *one* size (receptive fields, dataset examples, the
        default pattern size) uses for a model that takes any size but was built on a batch.
        """
        h, w = self._built_shape[1:3]
        return (int(h), int(w)) if h is not None and w is not None else None

    def image_shape(self, input_size=None) -> tuple:
        """The ``(None, H, W, C)`` images are prepared to (:func:`~._images.prepare_images`).

        ``input_size=(height, width)`` forces that size (every entry point and view takes it:
        for a model whose size the rule of :attr:`input_shape` gets wrong, or to run a fully
        convolutional model at one size); otherwise :attr:`input_shape`.

        Examples
        --------
        >>> import convviz_widgets as cv
        >>> access(cv.demo_model()).image_shape((48, 80))                   # doctest: +SKIP
        (None, 48, 80, 3)
        """
        if input_size is None:
            return self.input_shape
        return (None, *check_input_size(input_size), self.input_shape[3])

    def at_size(self, input_size=None) -> "ModelAccess":
        """This access with images prepared at ``input_size`` (itself when it is ``None``).

        How an entry point's ``input_size=`` reaches every helper it calls: the helpers read
        :attr:`input_shape` of the access they are given, and everything else (layers, trace,
        compiled functions, the result cache) is this model's, shared.

        Examples
        --------
        >>> import convviz_widgets as cv
        >>> access(cv.demo_model()).at_size((48, 80)).input_shape           # doctest: +SKIP
        (None, 48, 80, 3)
        """
        if input_size is None:
            return self
        shape = self.image_shape(input_size)
        return self if shape == self.input_shape else _SizedAccess(self, shape)

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

    def trace(self) -> ModelTrace:
        """The model's one symbolic trace (:func:`~._trace.trace_model`), made once."""
        if self._trace is None:
            self._trace = trace_model(self)
        return self._trace

    def infos(self) -> dict[str, LayerInfo]:
        """``{path: LayerInfo}`` for every layer (output shapes from :meth:`trace`)."""
        if self._infos is None:
            tr = self.trace()
            self._infos = {path: LayerInfo(
                path=path,
                name=layer.name,
                class_name=type(layer).__name__,
                output_shape=tr.shapes.get(path, ()),
                kernel_shape=_kernel_shape(layer),
                params=int(sum(int(np.prod(w.shape)) for w in layer.weights)),
                depth=self._depth[path],
                is_container=bool(_children(layer)),
                calls=tr.calls.get(path, 0),
            ) for path, layer in self._layers.items()}
        return self._infos

    def resolve(self, layer) -> str:
        """Path of ``layer`` given as path, unique name, or layer object.

        Raises
        ------
        InputError
            (a ``ValueError``) Unknown or ambiguous names; the message lists the closest valid
            paths.
        """
        if not isinstance(layer, str):
            path = self._by_id.get(id(layer))
            if path is None:
                raise InputError("layer_not_in_model", name=getattr(layer, "name", layer),
                                 model=self.model.name, examples=self._examples())
            return path
        if layer in self._layers:
            return layer
        by_name = [p for p, l in self._layers.items() if l.name == layer]
        if len(by_name) == 1:
            return by_name[0]
        if len(by_name) > 1:
            raise InputError("layer_ambiguous", layer=layer, model=self.model.name,
                             paths=by_name)
        close = difflib.get_close_matches(layer, self.paths, n=5, cutoff=0.5)
        for name in difflib.get_close_matches(
                layer.split("/")[-1], [l.name for l in self._layers.values()], n=5, cutoff=0.5):
            close += [p for p, l in self._layers.items() if l.name == name and p not in close]
        if close:
            raise InputError("layer_missing_close", layer=layer, model=self.model.name,
                             close=close[:5])
        raise InputError("layer_missing", layer=layer, model=self.model.name,
                         examples=self._examples())

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
    def input_dtype(self) -> np.dtype:
        """The numpy dtype of the model's image input (float32 unless an ``Input`` says otherwise;
        every backend's tensors take a numpy dtype)."""
        if _has_inputs(self.model):
            return np.dtype(keras.backend.standardize_dtype(self.model.inputs[0].dtype))
        return np.dtype(np.float32)

    def weights_version(self) -> tuple:
        """:func:`~._identity.weights_identity` of the model: part of every cache key of a result.

        The one weights rule (activations, CAM maps and heads, top-k, maximized patterns all key
        with it; the maximizer's files on disk with its persistent spelling
        :func:`~._identity.weights_digest`), read at each request, so ``set_weights``, training
        and ``load_weights`` are seen without telling anything.
        """
        return weights_identity(self.model)


class _SizedAccess(ModelAccess):
    """A :class:`ModelAccess` whose images are prepared at a forced size (:meth:`at_size`).

    Not a copy: every attribute is the base access's (read through ``__getattr__``), so the
    layers, the one trace, compiled functions and caches are shared; only :attr:`input_shape`
    differs. Compiled functions are traced for the shape of what they are fed, and cache keys
    hold the prepared image's digest, so a forced size never serves a result of another size.
    """

    def __init__(self, base: ModelAccess, shape: tuple):  # noqa: D107 - no base __init__
        object.__setattr__(self, "_base", base)
        object.__setattr__(self, "_forced", shape)

    def __getattr__(self, name):
        return getattr(self._base, name)

    @property
    def input_shape(self) -> tuple:
        return self._forced

    def trace(self) -> ModelTrace:
        return self._base.trace()

    def infos(self) -> dict:
        return self._base.infos()

    def at_size(self, input_size=None) -> ModelAccess:
        return self._base.at_size(input_size) if input_size is not None else self


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
    InputError
        (a ``ValueError``) The layer does not exist (the message names the closest valid paths)
        or the name is ambiguous.

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
