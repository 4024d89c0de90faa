"""The demo's data set to mine: 2,000 generated scenes and their dataset examples, cached.

Nothing ships and nothing is downloaded. The scenes are generated from a fixed seed (outside the
demo model's training seeds) and the dataset examples of every feature-map layer of the bundled
model are mined from them in one pass. Both are written once to the user's cache directory, so
a later session (or a second Explorer) reads them in a fraction of a second; within a process
they are kept in memory. The cache file names carry a fingerprint of the bundled model file and
of the generator settings: a retrained model or a changed generator never reads stale examples.
"""

from __future__ import annotations

import hashlib
import os
import threading
from pathlib import Path

import numpy as np

from ._demo import MODEL_FILE, demo_model
from .compute import Cancelled, DatasetExamples, conv_layers, dataset_examples
from .datasets import ShapesData, make_shapes
from .datasets.shapes import IMAGE_SIZE

__all__ = ["DEMO_DATASET_SIZE", "cache_dir", "demo_dataset", "demo_dataset_examples"]

#: Scenes in the demo's data set to mine.
DEMO_DATASET_SIZE = 2000
#: Generator seed of that set: outside the training seeds (10,000 + epoch), the held-out
#: evaluation seeds (2,024, 2,025) and the bundled sample scenes' seed (31,337).
MINING_SEED = 4_242
#: Top images kept per channel.
DEMO_K = 9

_LOCK = threading.Lock()
_MEMO: dict = {}


def cache_dir() -> Path:
    """Where the demo's generated data lives: ``$CONVVIZ_CACHE``, else
    ``$XDG_CACHE_HOME/convviz_widgets``, else ``~/.cache/convviz_widgets``."""
    env = os.environ.get("CONVVIZ_CACHE")
    if env:
        return Path(env).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base).expanduser() / "convviz_widgets"


def _fingerprint() -> str:
    """Model file bytes + generator settings: what the cached files depend on."""
    h = hashlib.sha256(MODEL_FILE.read_bytes())
    h.update(repr((DEMO_DATASET_SIZE, MINING_SEED, DEMO_K, "shapes-v1")).encode())
    return h.hexdigest()[:16]


def _write_atomic(path: Path, write) -> None:
    """``write(file)`` to a temporary file, then rename: a concurrent reader never sees half a file; an unwritable
    cache directory only costs the next session a regeneration."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
        with open(tmp, "wb") as f:
            write(f)
        os.replace(tmp, path)
    except OSError:
        pass


def demo_dataset():
    """The 2,000 generated scenes the demo's dataset examples are mined from.

    Generated deterministically on first use (about 2.5 s on one CPU core), then read from the
    user's cache directory (see :func:`cache_dir`) and kept in memory.

    Returns
    -------
    convviz_widgets.datasets.ShapesData
        ``images (2000, 64, 64, 3)`` float32 in [0, 1] (read-only), ``labels``, ``masks`` and
        ``class_names``, balanced over the five classes.

    Examples
    --------
    >>> import convviz_widgets as cv
    >>> data = cv.demo_dataset()                                      # doctest: +SKIP
    >>> data.images.shape, data.class_names[data.labels[0]]          # doctest: +SKIP
    ((2000, 64, 64, 3), 'star')
    """
    with _LOCK:
        if "data" in _MEMO:
            return _MEMO["data"]
        path = cache_dir() / f"demo_dataset_{_fingerprint()}.npz"
        try:
            with np.load(path) as z:
                images = z["images"].astype(np.float32) / np.float32(255.0)
                n, h, w = (int(v) for v in z["mask_shape"])
                masks = np.unpackbits(z["masks"], axis=-1, count=w).astype(bool)
                data = ShapesData(images, z["labels"].astype(np.int64), masks.reshape(n, h, w),
                                  tuple(str(s) for s in z["class_names"]))
        except (OSError, KeyError, ValueError):
            made = make_shapes(DEMO_DATASET_SIZE, seed=MINING_SEED, size=IMAGE_SIZE)
            # Stored (and used) as uint8, like the bundled scenes: what is mined is what is shown.
            u8 = np.round(made.images * 255).astype(np.uint8)
            data = made._replace(images=u8.astype(np.float32) / np.float32(255.0))
            _write_atomic(path, lambda f: np.savez(
                f, images=u8, labels=made.labels.astype(np.uint8),
                masks=np.packbits(made.masks, axis=-1),
                mask_shape=np.asarray(made.masks.shape, np.int64),
                class_names=np.asarray(made.class_names)))
        data.images.setflags(write=False)
        _MEMO["data"] = data
        return data


def demo_dataset_examples(on_step=None, cancel=None) -> dict:
    """Dataset examples of every feature-map layer of :func:`demo_model` over
    :func:`demo_dataset` (top 9 per channel, labelled).

    Mined on first use in one batched pass (about 3 s on one CPU core after the scenes exist),
    then read from the cache directory (under 0.1 s) and kept in memory.

    Parameters
    ----------
    on_step, cancel
        Progress and cancel, as for :func:`convviz_widgets.dataset_examples`; a cancelled run
        is neither cached nor returned (:class:`convviz_widgets.Cancelled` is raised).

    Returns
    -------
    dict
        ``{layer path: DatasetExamples}``.

    Examples
    --------
    >>> import convviz_widgets as cv
    >>> ex = cv.demo_dataset_examples()                               # doctest: +SKIP
    >>> ex["block3_conv2"].purity.mean() > 0.5                        # doctest: +SKIP
    True
    """
    with _LOCK:
        if "examples" in _MEMO:
            return _MEMO["examples"]
    folder = cache_dir() / f"demo_examples_{_fingerprint()}"
    model = demo_model()
    paths = [i.path for i in conv_layers(model, kind="spatial")]
    try:
        out = {p: DatasetExamples.load(folder / f"{p.replace('/', '__')}.npz") for p in paths}
    except (OSError, KeyError, ValueError, SyntaxError):
        data = demo_dataset()
        out = dataset_examples(model, paths, data.images, k=DEMO_K, labels=data.labels,
                               class_names=list(data.class_names), batch_size=64,
                               on_step=on_step, cancel=cancel)
        if any(ex.cancelled for ex in out.values()):
            raise Cancelled("Mining the demo data set was cancelled.")
        for p, ex in out.items():
            _write_atomic(folder / f"{p.replace('/', '__')}.npz", ex.save)
    with _LOCK:
        _MEMO.setdefault("examples", out)
        return _MEMO["examples"]
