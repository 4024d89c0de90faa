"""Where a channel card or browser gets its dataset examples, and the images they name.

Shared by :class:`ChannelCard` and :class:`ChannelBrowser` (a browser hands its source to its
card, so a layer is mined once). Mining itself is :func:`convviz_widgets.dataset_examples`; this
only decides *what* to mine (every feature-map layer of the model in one pass, on first need)
and keeps the result.
"""

from __future__ import annotations

import os
import threading

import numpy as np

from .. import compute
from ..compute import Cancelled, conv_layers, load_image
from .._demo_examples import demo_dataset, demo_dataset_examples
from ._view_error import ViewError


class ExampleSource:
    """Dataset examples of a model's layers over one data set, mined once on first need.

    Parameters
    ----------
    model : keras.Model
    data : optional
        What :func:`convviz_widgets.dataset_examples` accepts (array, list of images, folder,
        list of files, ``tf.data.Dataset``); ``None`` with ``demo=True`` means the demo's
        2,000 generated scenes (cached on disk, see :func:`convviz_widgets.demo_dataset`).
    labels, class_names, preprocess : optional
        Passed to :func:`convviz_widgets.dataset_examples`.
    examples : DatasetExamples or dict, optional
        Already mined summaries (``{path: DatasetExamples}``); ``data`` then only serves to
        show a clicked example's whole image.
    demo : bool
        Use the bundled demo's data set and its cached examples.
    input_size : (int, int), optional
        The size the data is mined at (:func:`convviz_widgets.dataset_examples`).
    """

    def __init__(self, model, data=None, *, labels=None, class_names=None, preprocess=None,
                 examples=None, demo: bool = False, k: int = 9, input_size=None):
        self.model = model
        self.data = data
        self.labels = labels
        self.class_names = class_names
        self.preprocess = preprocess
        self.demo = bool(demo)
        self.k = int(k)
        self.input_size = input_size
        self._lock = threading.Lock()
        self._paths = [i.path for i in conv_layers(model, kind="spatial") if not i.is_container]
        if examples is not None and not isinstance(examples, dict) \
                and isinstance(examples, compute.DatasetExamples):
            examples = {examples.layer: examples}
        if examples is not None and not isinstance(examples, dict):
            raise TypeError("examples must be a DatasetExamples or a dict {layer path: "
                            f"DatasetExamples}}, got {type(examples).__name__}.")
        self._examples: dict = dict(examples or {})
        if data is not None and not isinstance(data, (str, os.PathLike, list, tuple)) \
                and not hasattr(data, "element_spec") and np.ndim(data) not in (3, 4):
            raise ValueError(f"data must be images (n, h, w, c), a list of images, a folder, a "
                             f"list of files or a tf.data.Dataset; got {type(data).__name__} "
                             f"of shape {np.shape(data)}.")

    @property
    def available(self) -> bool:
        """Whether there is anything to mine or already mined."""
        return self.demo or self.data is not None or bool(self._examples)

    def get(self, path: str):
        """The summary of ``path`` if mined (or given), else None. Never computes."""
        with self._lock:
            return self._examples.get(path)

    def can_mine(self, path: str) -> bool:
        """Whether :meth:`mine` would produce a summary for ``path``."""
        return self.get(path) is not None or (self.demo and path in self._paths) or (
            self.data is not None and path in self._paths and self._has_field(path))

    def note_key(self, path: str) -> str:
        """The label key saying why ``path`` has no summary yet: mining, no receptive field,
        or no data."""
        if self.can_mine(path):
            return "cc.mining"
        if self.data is not None and path in self._paths:
            return "cc.no_field"
        return "cc.no_data"

    def mine(self, on_step=None, cancel=None) -> dict:
        """Mine every feature-map layer in one pass (blocking; call from a background task).

        Raises :class:`convviz_widgets.Cancelled` when cancelled: a partial summary is not kept.
        """
        if self.demo:
            got = demo_dataset_examples(on_step=on_step, cancel=cancel)
        else:
            missing = [p for p in self._paths if self.get(p) is None and self._has_field(p)]
            got = compute.dataset_examples(
                self.model, missing, self.data, k=self.k, labels=self.labels,
                class_names=self.class_names, preprocess=self.preprocess, on_step=on_step,
                cancel=cancel, input_size=self.input_size) if missing else {}
            if any(ex.cancelled for ex in got.values()):
                raise Cancelled("Mining the data set was cancelled.")
        with self._lock:
            for p, ex in got.items():
                self._examples.setdefault(p, ex)
            return dict(self._examples)

    def _has_field(self, path: str) -> bool:
        """Whether ``path``'s receptive field can be derived (its patches can be cut out).

        A layer after a raw resize in a subclassed ``call()`` cannot; mining skips it so the
        layers before it are still mined (one trace for all, memoised by compute).
        """
        try:
            compute.receptive_field(self.model, path, input_size=self.input_size)
        except ValueError:
            return False
        return True

    def image(self, ex, row: int, rank: int) -> np.ndarray:
        """The whole image of example ``rank`` of channel row ``row`` (a display image)."""
        index, src = int(ex.index[row, rank]), str(ex.source[row, rank])
        if index < 0:
            raise ViewError("examples_no_image")
        if src:
            return load_image(src)
        if self.demo:
            return demo_dataset().images[index]
        if self.data is None or hasattr(self.data, "element_spec") or \
                isinstance(self.data, (str, os.PathLike)):
            raise ViewError("examples_not_indexable")
        data = self.data
        if isinstance(data, (list, tuple)):
            item = data[index]
            if isinstance(item, (str, os.PathLike)):
                return load_image(item)
            return np.asarray(item)
        arr = np.asarray(data)
        return arr if arr.ndim == 3 else arr[index]

    def name(self, ex, row: int, rank: int) -> str:
        """A short name of that image: its file name or data-set position, and its class."""
        index, src = int(ex.index[row, rank]), str(ex.source[row, rank])
        base = os.path.basename(src) if src else f"#{index}"
        label = int(ex.labels[row, rank])
        if label >= 0 and ex.class_names and label < len(ex.class_names):
            return f"{base} ({ex.class_names[label]})"
        return base
