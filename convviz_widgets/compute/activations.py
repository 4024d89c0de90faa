"""Feature maps: every channel of every layer for a batch of images, captured in one pass."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterable

import keras
import numpy as np

from . import backend

from ._images import PreparedImages, image_digest, prepare_images
from ._access import (_ACCESS, access, check_preprocess, model_input,  # noqa: F401
                      require_spatial, spatial_paths)
from ._identity import fingerprint_tensor, identity_from, weights_ids
from ._preprocess_identity import preprocess_key
from ._model_trace import run_model
from ._repr import ShortRepr, number, one_line, shape

#: Images per forward pass when a large batch is captured (bounds TensorFlow's peak memory).
CHUNK = 16
#: Up to this many new images, a miss captures every spatial layer (not just those asked for).
FILL_ALL_MAX_IMAGES = 4


@dataclass(frozen=True)
class ChannelStats(ShortRepr):
    """Per-image, per-channel statistics of one layer's feature maps.

    Attributes
    ----------
    mean, max : ndarray
        ``(n, c)`` float32 over the spatial positions.
    blank : ndarray
        ``(n, c)`` bool: the channel is ≤ 0 everywhere (after a ReLU, it did not fire at all).
    blank_fraction : ndarray
        ``(n,)`` float: share of blank channels per image — the layer's sparsity.
    """

    mean: np.ndarray
    max: np.ndarray
    blank: np.ndarray
    blank_fraction: np.ndarray

    def __repr__(self) -> str:
        return one_line("ChannelStats", mean=shape(self.mean),
                        blank_fraction=number(np.mean(self.blank_fraction)))


def channel_stats(a: np.ndarray) -> ChannelStats:
    """:class:`ChannelStats` of an ``(n, h, w, c)`` activation array."""
    mean = a.mean(axis=(1, 2), dtype=np.float64).astype(np.float32)
    mx = a.max(axis=(1, 2))
    blank = mx <= 0
    return ChannelStats(mean, mx, blank, blank.mean(axis=1))


class Activations(ShortRepr, dict):
    """``{path: (n, h, w, c) float32}``, plus what was fed and how.

    Attributes
    ----------
    images : ndarray
        ``(n, H, W, C)`` float32 display images in [0, 1] that were fed (after resizing and
        channel conversion), for showing beside the feature maps.
    resized_from : tuple or None
        Original ``(h, w)`` if the images were resized to the model's input size.
    converted_channels : tuple or None
        ``(from, to)`` if grayscale↔RGB conversion happened.
    rescaled_from_255 : bool
        True if float images were read as 0–255 and divided by 255 (see
        :func:`~convviz_widgets.compute.prepare_images` for the range rule).
    clipped : bool
        True if float images read as [0, 1] had a small overshoot that was clipped.
    weights_version : tuple
        The :func:`~convviz_widgets.compute.weights_identity` of the model these maps came
        from.
    """

    def __repr__(self) -> str:
        # A dict of whole feature maps: its layers and their shapes, not the numbers.
        layers = [f"{path!r}: {shape(maps)}" for path, maps in self.items()]
        shown = "{" + ", ".join(layers[:2]) + ("}" if len(layers) <= 2
                                               else f", +{len(layers) - 2} more}}")
        return one_line("Activations", images=shape(self.images), layers=shown)

    def __init__(self, data, prepared: PreparedImages, weights_version: tuple = ()):
        super().__init__(data)
        self.images = prepared.images
        self.resized_from = prepared.resized_from
        self.converted_channels = prepared.converted_channels
        self.rescaled_from_255 = prepared.rescaled_from_255
        self.clipped = prepared.clipped
        self.weights_version = weights_version
        self._stats: dict[str, ChannelStats] = {}

    def stats(self, path: str) -> ChannelStats:
        """Channel statistics of one layer (computed once)."""
        if path not in self._stats:
            self._stats[path] = channel_stats(self[path])
        return self._stats[path]

    def sparsity(self, kind: str = "channels") -> dict[str, float]:
        """Per-layer sparsity, averaged over the images, in layer order.

        Parameters
        ----------
        kind : {"channels", "units"}
            ``"channels"``: share of blank channels (≤ 0 everywhere: the channel did not fire
            for this image); ``"units"``: share of all activation values that are ≤ 0.
        """
        if kind == "channels":
            return {p: float(self.stats(p).blank_fraction.mean()) for p in self}
        if kind == "units":
            return {p: float(np.mean(a <= 0)) for p, a in self.items()}
        raise ValueError(f"kind must be 'channels' or 'units', not {kind!r}.")


def capture_fn(acc, paths: tuple[str, ...], preprocess: Callable | None):
    """``(weights ids, compiled x_display -> ({path: activation}, weights fingerprint))``.

    The weights fingerprint (:func:`~convviz_widgets.compute._identity.fingerprint_tensor`)
    is computed in the same graph execution as the forward pass: its reads of the weights
    overlap the convolutions, so a fresh capture learns the weights identity it was computed
    with at no extra pass.
    """

    def build():
        # The variables the graph reads, fixed when it is traced (walking model.weights costs
        # milliseconds on a deep model, too much for every call).
        variables = list(acc.model.weights)
        ids = weights_ids(acc.model)

        def fn(x):
            _, captured = run_model(acc, model_input(acc, x, preprocess), paths)
            # Traced inline, not as a call of the model's shared fingerprint function
            # (:func:`~._identity.fingerprint_fn`, as Grad-CAM does): that call saves ~0.3 s of
            # the first capture on ResNet50 but made every capture 1-3 % slower (paired, oneDNN
            # off and on, session 36); this graph is the hot one.
            return ({p: keras.ops.cast(captured[p], "float32") for p in paths},
                    fingerprint_tensor(variables))

        return ids, backend.compile(fn, variables)

    # Keyed by what the preprocess computes (preprocess_key), not by the object: a new equal
    # lambda on every call reuses this trace instead of compiling the model again.
    return acc.compiled(("capture", paths, preprocess_key(preprocess)), build)


def activations(model, images, layers: Iterable | str | None = None,
                preprocess: Callable | None = None, *, cache: bool = True,
                input_size: tuple | None = None) -> Activations:
    """Feature maps of ``images`` at ``layers``, from one forward pass (cached).

    Parameters
    ----------
    model : keras.Model
        Sequential, functional, nested or subclassed; must be built.
    images : array-like
        ``(h, w, c)``, ``(h, w)`` or ``(n, h, w, c)``, channels last; uint8, or float in [0, 1]
        (floats with a maximum above 1.5 are read as 0–255). Resized to a fixed model input
        size and converted grayscale↔RGB when needed (the result says so); a model whose input
        is ``(None, None, C)`` runs each image at its own size. A model with an integer
        ``Input`` (``dtype="uint8"``) is fed 0–255 values.
    layers : str, layer, or list of them, optional
        Paths, unique names or layer objects with a spatial output; ``None`` means every such
        layer.
    preprocess : callable, optional
        Maps display images (float32 tensor in [0, 1]) to model input, with TF/Keras ops (it is
        compiled; a NumPy-based one is refused with an explanation). Pass Keras' own
        ``preprocess_input`` as ``lambda x: preprocess_input(x * 255.0)``. Equal functions
        (the same lambda written anew per call) share one compiled trace.
    cache : bool
        Use and fill the model's activation cache (LRU, bounded in bytes); re-reading a layer for
        an image already seen never re-runs the model.
    input_size : (int, int), optional
        Run the images at this ``(height, width)`` (resized to it) instead of the model's own
        rule (:attr:`ModelAccess.input_shape <convviz_widgets.compute.ModelAccess.input_shape>`:
        a declared size, or each image at its own size for a model that takes any size).

    Returns
    -------
    Activations
        ``{path: (n, h, w, c) float32}`` (read-only when served from the cache; copy before
        editing) with ``.images``, ``.resized_from``, ``.stats(path)`` and
        ``.sparsity()``.

    Raises
    ------
    ValueError
        Unknown layer (closest paths suggested), a layer without a spatial output, bad images,
        or a failing ``preprocess``.

    Examples
    --------
    >>> import convviz_widgets as cv
    >>> model, scenes = cv.demo_model(), cv.demo_images()              # doctest: +SKIP
    >>> acts = cv.activations(model, scenes.images[:2], ["block1_conv1", "block3_conv2"])  # doctest: +SKIP
    >>> acts["block1_conv1"].shape                                      # doctest: +SKIP
    (2, 64, 64, 16)
    >>> acts.sparsity()                                                 # doctest: +SKIP
    {'block1_conv1': 0.06, 'block3_conv2': 0.41}
    """
    acc = access(model).at_size(input_size)
    spatial = spatial_paths(acc)
    if layers is None:
        paths = tuple(spatial)
    else:
        if isinstance(layers, str) or not isinstance(layers, Iterable):
            layers = [layers]
        layers = list(layers)
        if not layers:
            raise ValueError("layers is an empty list, so there is nothing to capture. Name at "
                             "least one layer, or pass layers=None for every layer with a "
                             "spatial output (cv.conv_layers(model, 'spatial') lists them).")
        # A spatial layer's path is its own resolution (a path wins over a name), so the usual
        # request — paths read from conv_layers or spatial_paths — skips resolving each one
        # (174 lookups were ~0.015x of a ResNet50 128 px forward pass).
        known = set(spatial)
        paths = tuple(dict.fromkeys(l if isinstance(l, str) and l in known
                                    else require_spatial(acc, l, "activations")
                                    for l in layers))
    if not paths:
        raise ValueError(f"Model {acc.model.name!r} has no layer with a spatial output; "
                         "activations need a convolutional model.")
    prepared = prepare_images(images, acc.input_shape)
    x = prepared.images
    check_preprocess(preprocess, x[:1], acc.input_shape)
    pkey = preprocess_key(preprocess)
    digests = [image_digest(im) for im in x]
    # The weights identity is part of every key: after fit / set_weights / a fit of an outer
    # model sharing these layers, old entries can no longer be hit (see weights_identity for
    # the rule). An image never captured with this preprocess cannot hit, so it is not read
    # separately then: the capture graph computes it alongside the forward pass.
    could_hit = cache and any(acc.was_captured((d, pkey)) for d in digests)
    version = acc.weights_version() if could_hit else None

    def key(d, p):
        return ("act", d, pkey, version, p)

    found: dict[tuple, np.ndarray] = {}  # (digest, path) -> map
    if could_hit:
        for d in set(digests):
            for p in paths:
                v = acc.cache.get(key(d, p))
                if v is not None:
                    found[(d, p)] = v
    todo = [i for i, d in enumerate(digests) if any((d, p) not in found for p in paths)]
    todo = list(dict.fromkeys(todo))  # identical images in a batch run once
    if todo:
        seen: set[bytes] = set()
        unique = [i for i in todo if not (digests[i] in seen or seen.add(digests[i]))]
        run_paths = paths
        if cache and len(unique) <= FILL_ALL_MAX_IMAGES:
            # A viewer reads one layer at a time: capturing every spatial layer now costs the
            # same forward pass, fills the cache for the next layer change, and keeps one
            # compiled function per model instead of one trace per requested layer set.
            run_paths = tuple(spatial)
        ids, fn = capture_fn(acc, run_paths, preprocess)
        for start in range(0, len(unique), CHUNK):
            idx = unique[start:start + CHUNK]
            with backend.no_grad():
                out, fingerprint = fn(x[idx])  # numpy: see backend.compile
            now = identity_from(ids, backend.to_numpy(fingerprint))
            if version is None:
                version = now
            for p in run_paths:
                # np.asarray shares the tensor's buffer (Tensor.numpy() copies): on a deep
                # model, copying every captured map cost more than the forward pass itself.
                arr = np.asarray(out[p])
                for j, i in enumerate(idx):
                    # A view would keep the whole chunk alive after the cache evicts the rest,
                    # so the byte bound would lie; copy unless the chunk is this one image.
                    v = arr[j] if len(idx) == 1 else arr[j].copy()
                    # Cached arrays are shared by every reader: freeze them so a caller's
                    # in-place edit cannot corrupt what the next view shows.
                    v.flags.writeable = False
                    found[(digests[i], p)] = v
                    if cache:
                        acc.cache.put(("act", digests[i], pkey, now, p), v)
                        acc.mark_captured((digests[i], pkey))
    if len(digests) == 1:  # the widgets' case: a read-only view, no copy of megabytes
        data = {p: found[(digests[0], p)][None] for p in paths}  # (h,w,c) -> (1,h,w,c)
    else:
        data = {p: np.stack([found[(d, p)] for d in digests]) for p in paths}
    return Activations(data, prepared, version)


def clear_cache(model=None) -> None:
    """Forget cached activations and results (of one model, or of every model).

    Frees memory; it is never needed for correctness: every cached result is keyed by the
    weights' identity (:func:`~convviz_widgets.compute.weights_identity`), so results from
    before ``fit``, ``set_weights`` or ``load_weights`` are never served.

    Examples
    --------
    >>> import convviz_widgets as cv
    >>> cv.clear_cache()
    """
    targets = [access(model)] if model is not None else list(_ACCESS.values())
    for acc in targets:
        acc.cache.clear()
