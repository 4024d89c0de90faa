"""How one output value of a convolution is computed: window × filter, summed, plus bias.

The lessons draw an input volume times a volumetric filter; this module does that arithmetic for
one unit of any ``Conv2D`` layer of any model, from the layer's real input, so a teacher can show
it on the model at hand. The result is checked against the value the layer itself produced.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import keras
import numpy as np

from . import backend
from ._images import prepare_images
from ._access import access, check_preprocess, model_input, resolve_layer
from ._layer_info import check_filters
from ._model_trace import run_model
from ._repr import ShortRepr, number, one_line, shape


@dataclass(frozen=True)
class ConvArithmetic(ShortRepr):
    """One output unit of a convolution, taken apart.

    Attributes
    ----------
    layer : str
        Path of the convolution (as :func:`~convviz_widgets.compute.resolve_layer` gives it).
    filter_index : int
        The output channel.
    position : (int, int)
        ``(row, col)`` of the unit in the layer's output feature map.
    patch : ndarray
        ``(kh, kw, cin)`` float32: the layer input under the filter (zeros where the window
        overhangs a ``same``-padded border; dilation taken into account).
    kernel : ndarray
        ``(kh, kw, cin)`` float32: the filter's weights.
    products : ndarray
        ``(kh, kw, cin)``: ``patch * kernel``.
    channel_sums : ndarray
        ``(cin,)``: the products summed per input channel (one slice of the volume each).
    bias : float
    pre_activation : float
        ``products.sum() + bias``.
    activation : float
        The layer's activation function of ``pre_activation``.
    output : float
        What the layer itself output at this unit (equal to ``activation`` up to float
        rounding: the check that the arithmetic is the layer's).
    rows, cols : ndarray
        ``(kh,)`` and ``(kw,)`` int: the window's rows and columns in the layer's input; -1 where
        they fall in the padding.
    reads_image : bool
        True when the layer's input is the (preprocessed) model input itself, so ``rows`` and
        ``cols`` are pixels of ``image``.
    image : ndarray
        ``(H, W, C)`` float32 in [0, 1]: the display image the model saw.
    activation_name : str
        The name of the layer's activation function (``"linear"`` for none).
    strides, dilation : (int, int)
        The layer's geometry, to say how the window moves and how its taps are spaced.
    padding : str
        ``"same"`` or ``"valid"``.
    """

    layer: str
    filter_index: int
    position: tuple
    patch: np.ndarray
    kernel: np.ndarray
    products: np.ndarray
    channel_sums: np.ndarray
    bias: float
    pre_activation: float
    activation: float
    output: float
    rows: np.ndarray
    cols: np.ndarray
    reads_image: bool
    image: np.ndarray
    activation_name: str = "linear"
    strides: tuple = (1, 1)
    dilation: tuple = (1, 1)
    padding: str = "valid"

    def __repr__(self) -> str:
        return one_line("ConvArithmetic", layer=repr(self.layer), filter=str(self.filter_index),
                        position=repr(tuple(int(v) for v in self.position)),
                        kernel=shape(self.kernel), pre_activation=number(self.pre_activation),
                        output=number(self.output))

    @property
    def products_total(self) -> float:
        """The sum of every product (``pre_activation - bias``), before the bias."""
        return float(self.pre_activation - self.bias)

    @property
    def padded_taps(self) -> int:
        """Window positions ``(row, col)`` that fall in the padding (they read zeros)."""
        return int(np.sum((self.rows < 0)[:, None] | (self.cols < 0)[None, :]))


def _window(out_index: int, in_size: int, out_size: int, k: int, stride: int, dilation: int,
            padding: str) -> np.ndarray:
    """Input indices (``-1`` in padding) that output index ``out_index`` reads along one axis.

    Keras/TF ``same`` padding puts ``pad_total // 2`` in front (the extra one at the end).
    """
    span = (k - 1) * dilation + 1
    if padding == "same":
        pad_total = max((out_size - 1) * stride + span - in_size, 0)
        start = out_index * stride - pad_total // 2
    else:
        start = out_index * stride
    idx = start + dilation * np.arange(k)
    return np.where((idx >= 0) & (idx < in_size), idx, -1)


def _plain_conv2d(acc, info):
    """The keras layer at ``info`` if it is a one-group channels_last ``Conv2D``, else a clear
    error naming layers that are."""
    lyr = acc.layer(info.path)
    if not isinstance(lyr, keras.layers.Conv2D) or isinstance(
            lyr, (keras.layers.Conv2DTranspose, keras.layers.DepthwiseConv2D,
                  keras.layers.SeparableConv2D)):
        options = [i.path for i in acc.infos().values()
                   if type(acc.layer(i.path)).__name__ == "Conv2D"][:4]
        raise ValueError(f"Layer {info.path!r} is a {type(lyr).__name__}; the arithmetic of one "
                         f"output value is shown for plain Conv2D layers, e.g. {options}.")
    if getattr(lyr, "groups", 1) != 1 or lyr.data_format != "channels_last":
        raise ValueError(f"Layer {info.path!r} uses groups={lyr.groups} / {lyr.data_format}; "
                         "only one-group channels_last convolutions are supported.")
    return lyr


class ConvUnits:
    """One forward pass of one image through one ``Conv2D`` layer, to take any of its output
    values apart without running the model again (a view does that on every click).

    Made by :func:`conv_units`. Attributes: ``layer`` (path), ``output`` ``(h', w', cout)``
    float32 (the layer's own output), ``layer_input`` ``(h, w, cin)``, ``image`` (the display
    image fed), ``reads_image`` (the layer's input is the model input itself), ``kernel``
    ``(kh, kw, cin, cout)``, ``bias`` ``(cout,)``.
    """

    def __init__(self, path, lyr, layer_in, layer_out, image, reads_image):
        self.layer = path
        self._lyr = lyr
        self.layer_input = layer_in
        self.output = layer_out
        self.image = image
        self.reads_image = reads_image
        self.kernel = np.asarray(keras.ops.convert_to_numpy(lyr.kernel), np.float32)
        cout = self.kernel.shape[-1]
        self.bias = (np.asarray(keras.ops.convert_to_numpy(lyr.bias), np.float32)
                     if lyr.use_bias else np.zeros(cout, np.float32))
        act = lyr.activation
        self.activation_name = getattr(act, "__name__", type(act).__name__) if act else "linear"

    def unit(self, filter_index: int, position=None) -> ConvArithmetic:
        """Output value ``(row, col, filter_index)`` taken apart; ``position`` None: where the
        channel is largest.

        Examples
        --------
        >>> units = cv.compute.conv_units(cv.demo_model(), image, "block1_conv1")  # doctest: +SKIP
        >>> units.unit(4, (20, 30)).pre_activation                              # doctest: +SKIP
        """
        lyr, layer_in, layer_out = self._lyr, self.layer_input, self.output
        cout = self.kernel.shape[-1]
        f = int(filter_index)
        if not 0 <= f < cout:
            raise ValueError(f"Filter {f} is out of range for {self.layer!r}, which has {cout} "
                             f"filters: use 0 to {cout - 1}.")
        (oh, ow), (ih, iw) = layer_out.shape[:2], layer_in.shape[:2]
        if position is None:
            position = np.unravel_index(int(np.argmax(layer_out[..., f])), (oh, ow))
        r, c = (int(v) for v in position)
        if not (0 <= r < oh and 0 <= c < ow):
            raise ValueError(f"Position {(r, c)} is outside {self.layer!r}'s {oh}×{ow} output; "
                             f"use rows 0..{oh - 1} and columns 0..{ow - 1}.")
        kh, kw = self.kernel.shape[:2]
        pad = lyr.padding.lower()
        rows = _window(r, ih, oh, kh, lyr.strides[0], lyr.dilation_rate[0], pad)
        cols = _window(c, iw, ow, kw, lyr.strides[1], lyr.dilation_rate[1], pad)
        # Padding reads zeros: gather with a clamped index, then zero the padded taps.
        patch = layer_in[np.maximum(rows, 0)][:, np.maximum(cols, 0)]  # (kh, kw, cin)
        patch = patch * ((rows >= 0)[:, None, None] & (cols >= 0)[None, :, None])
        kernel = self.kernel[..., f]  # (kh, kw, cin)
        products = (patch * kernel).astype(np.float32)
        bias = float(self.bias[f])
        pre = float(products.sum(dtype=np.float64) + bias)
        act_fn = lyr.activation or (lambda t: t)
        act = float(backend.to_numpy(act_fn(keras.ops.convert_to_tensor([pre], "float32")))[0])
        return ConvArithmetic(
            layer=self.layer, filter_index=f, position=(r, c), patch=patch.astype(np.float32),
            kernel=kernel, products=products, channel_sums=products.sum(axis=(0, 1)),
            bias=bias, pre_activation=pre, activation=act, output=float(layer_out[r, c, f]),
            rows=rows, cols=cols, reads_image=self.reads_image, image=self.image,
            activation_name=self.activation_name, strides=tuple(lyr.strides),
            dilation=tuple(lyr.dilation_rate), padding=pad)


def conv_units(model, image, layer, preprocess: Callable | None = None, *,
               reads_image: bool = False, input_size=None) -> ConvUnits:
    """Run ``image`` through the model once and keep ``layer``'s input and output, so that any
    of its output values can be taken apart (:meth:`ConvUnits.unit`).

    Parameters
    ----------
    model, image, layer, preprocess
        As in :func:`conv_arithmetic`.
    reads_image : bool
        The caller knows ``layer`` reads the model input itself (it came from
        :func:`image_conv_layers` with the same ``preprocess``): the layer alone is called on
        the model input instead of running the whole model (VGG16 at 224×224: one 3×3×3×64
        convolution instead of 138 M parameters' worth of layers).
    input_size : (int, int), optional
        Run the image at this ``(height, width)`` instead of the model's own size rule.

    Returns
    -------
    ConvUnits

    Examples
    --------
    >>> import convviz_widgets as cv
    >>> units = cv.compute.conv_units(cv.demo_model(), cv.demo_images().images[0],
    ...                               "block1_conv1")                        # doctest: +SKIP
    >>> units.output.shape                                                   # doctest: +SKIP
    (64, 64, 64)
    """
    acc = access(model).at_size(input_size)
    info = resolve_layer(model, layer)
    lyr = _plain_conv2d(acc, info)
    prepared = prepare_images(image, acc.input_shape)
    x = prepared.images[:1]
    check_preprocess(preprocess, x, acc.input_shape)
    with backend.no_grad():
        inp = model_input(acc, keras.ops.convert_to_tensor(x), preprocess)
        if reads_image:
            out = lyr(inp)  # the layer's own computation, on exactly what it reads in the model
            return ConvUnits(info.path, lyr, _host(inp)[0], _host(out)[0], prepared.images[0],
                             True)
        _, got = run_model(acc, inp, [info.path], capture_inputs=[info.path])
    if ("input", info.path) not in got:
        raise ValueError(f"Layer {info.path!r} did not run in a forward pass of the model; "
                         "pick a layer the model's call() uses.")
    layer_in = _host(got[("input", info.path)])[0]  # (h, w, cin)
    layer_out = _host(got[info.path])[0]  # (h', w', cout)
    inp_np = _host(inp)[0]
    reads_image = inp_np.shape == layer_in.shape and bool(np.array_equal(inp_np, layer_in))
    return ConvUnits(info.path, lyr, layer_in, layer_out, prepared.images[0], reads_image)


def image_conv_layers(model, preprocess: Callable | None = None) -> list:
    """The plain ``Conv2D`` layers whose input is the model's input itself (the image after
    ``preprocess``): the layers whose output values are pixels × weights.

    A nested backbone's first convolution counts (its input is the outer model's input); a
    convolution after a ``Rescaling`` or another layer does not. One forward pass on a grey
    probe image decides, so subclassed models are covered too.

    Returns
    -------
    list of LayerInfo

    Examples
    --------
    >>> import convviz_widgets as cv
    >>> [i.path for i in cv.compute.image_conv_layers(cv.demo_model())]   # doctest: +SKIP
    ['block1_conv1']
    """
    acc = access(model)
    infos = [i for i in acc.infos().values() if type(acc.layer(i.path)).__name__ == "Conv2D"]
    if not infos:
        return []
    shape = [d or 8 for d in acc.input_shape[1:]]
    probe = np.random.default_rng(0).random(shape).astype(np.float32)  # not flat: 0 == 0 lies
    check_preprocess(preprocess, probe[None], acc.input_shape)
    with backend.no_grad():
        inp = model_input(acc, keras.ops.convert_to_tensor(probe[None]), preprocess)
        _, got = run_model(acc, inp, [], capture_inputs=[i.path for i in infos])
    inp_np = _host(inp)
    out = []
    for i in infos:
        seen = got.get(("input", i.path))
        if seen is not None and tuple(seen.shape) == inp_np.shape and \
                np.array_equal(_host(seen), inp_np):
            out.append(i)
    return out


def conv_arithmetic(model, image, layer, filter_index: int, position=None,
                    preprocess: Callable | None = None, *,
                    input_size=None) -> ConvArithmetic:
    """Take one output value of a ``Conv2D`` layer apart: patch × filter, sums, bias, activation.

    Parameters
    ----------
    model : keras.Model
        Any style (sequential, functional, nested, subclassed); built.
    image : array-like
        One display image (uint8, or float in [0, 1]).
    layer : str or layer
        A ``Conv2D`` layer (path, unique name or object) with ``channels_last`` data and one
        group.
    filter_index : int
        The output channel.
    position : (int, int), optional
        ``(row, col)`` in the layer's output; default: where this channel is largest.
    preprocess : callable, optional
        Display image -> model input (Keras ops), as everywhere in the package.
    input_size : (int, int), optional
        Run the image at this ``(height, width)`` instead of the model's own size rule.

    Returns
    -------
    ConvArithmetic

    Raises
    ------
    ValueError
        A layer that is not a plain ``Conv2D``, a filter or position out of range.

    Examples
    --------
    >>> import convviz_widgets as cv
    >>> unit = cv.conv_arithmetic(cv.demo_model(), cv.demo_images().images[0],
    ...                           "block1_conv1", 3, (10, 12))              # doctest: +SKIP
    >>> unit.products.sum() + unit.bias == unit.pre_activation              # doctest: +SKIP
    True
    """
    acc = access(model)
    info = resolve_layer(model, layer)
    kernel_shape = _plain_conv2d(acc, info).kernel.shape
    f = int(check_filters(info, filter_index, kernel_shape[-1])[0])  # the package's filter error
    return conv_units(model, image, info.path, preprocess,
                      input_size=input_size).unit(f, position)


def _host(t) -> np.ndarray:
    """A tensor of any backend as a float32 numpy array."""
    return np.asarray(backend.to_numpy(t), np.float32)
