"""Train the bundled demo model on freshly generated shapes scenes.

Run as a script::

    python -m convviz_widgets.datasets.train                # writes into convviz_widgets/data/
    python -m convviz_widgets.datasets.train --out /tmp/m --epochs 4 --scenes 2048   # a quick try

It writes ``demo_model.keras`` (a small VGG-style functional model, saved without optimizer state)
and ``demo_scenes.npz`` (the sample scenes of :func:`convviz_widgets.demo_images`) and prints the
accuracy on held-out scenes. Training is seeded and uses deterministic TensorFlow ops, so a rerun
on the same software versions reproduces the same weights. It runs on TensorFlow only (it only
regenerates the bundled files); the saved ``.keras`` file loads on every Keras backend.

Why two heads: with global *average* pooling straight after the last conv (the head that makes
Grad-CAM / CAM localise well), the gradient reaching the trunk is spread evenly over all positions,
most of which are background, and a network trained from scratch sits at chance for a long time.
Global *max* pooling routes the gradient to the single most responsive position, which is usually
on the object, so the filters become shape detectors within a few hundred steps. The script
therefore first trains the trunk through a max-pooling head on a difficulty curriculum (clean
scenes first) and then switches to the average-pooling head that is saved. Both heads share the
``predictions`` layer; only the average-pooling model is exported.

Why batch normalization that the shipped model lacks: plain conv/ReLU stacks on these colourful,
uncentred inputs barely move within the time budget. Training therefore puts batch normalization
after every convolution, and the export folds it into the convolution kernels and biases (exact in
inference mode), so the shipped model is the plain VGG-style stack of :func:`build_model`.
"""

from __future__ import annotations

import argparse
import os
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf
from keras import layers

from .shapes import CLASS_NAMES, IMAGE_SIZE, make_shapes

# Seeds are kept apart so that no evaluation or demo scene is ever seen in training: epoch e trains
# on seed TRAIN_SEED_BASE + e (e < 10,000), everything else uses seeds outside that range.
TRAIN_SEED_BASE = 10_000
EVAL_SEED = 2_024
DEMO_SEED = 31_337
WIDTHS = (16, 32, 64)
DEMO_PER_CLASS = 10

DEFAULT_OUT = Path(__file__).resolve().parent.parent / "data"


def build_model(input_shape=(*IMAGE_SIZE, 3), widths=WIDTHS, n_classes=len(CLASS_NAMES)):
    """Build the VGG-style classifier that is shipped as the demo model.

    Parameters
    ----------
    input_shape : tuple of int, default (64, 64, 3)
        ``(H, W, channels)`` of the input, RGB in [0, 1] (no preprocessing layer).
    widths : tuple of int, default (16, 32, 64)
        Number of filters of the two convolutions in each of the three blocks.
    n_classes : int, default 5
        Size of the softmax output.

    Returns
    -------
    keras.Model
        Functional model ``shapes_vgg``: ``block{1,2}_conv{1,2}`` + ``block{1,2}_pool``,
        ``block3_conv{1,2}`` at 1/4 of the input resolution, ``global_average_pooling`` and the
        softmax layer ``predictions``.

    Examples
    --------
    >>> from convviz_widgets.datasets.train import build_model
    >>> model = build_model()  # doctest: +SKIP
    >>> model.get_layer("block3_conv2").output.shape  # doctest: +SKIP
    (None, 16, 16, 64)
    """
    inputs = keras.Input(input_shape, name="input")
    x = inputs
    for block, width in enumerate(widths, start=1):
        for conv in (1, 2):
            x = layers.Conv2D(
                width, 3, padding="same", activation="relu", name=f"block{block}_conv{conv}"
            )(x)
        # No pooling after the last block: its 16x16 maps are what Grad-CAM upsamples, and a finer
        # grid localises the object better.
        if block < len(widths):
            x = layers.MaxPooling2D(2, name=f"block{block}_pool")(x)
    x = layers.GlobalAveragePooling2D(name="global_average_pooling")(x)
    outputs = layers.Dense(n_classes, activation="softmax", name="predictions")(x)
    return keras.Model(inputs, outputs, name="shapes_vgg")


def _build_trainable(widths=WIDTHS, n_classes=len(CLASS_NAMES)):
    """Training-time twin of :func:`build_model`, plus a max-pooling variant sharing its weights.

    Every convolution is followed by batch normalization before the ReLU: without it the plain
    network sits at chance for most of the time budget. The normalization is folded into the
    convolutions on export (:func:`_fold_into`), so the shipped model is a plain conv/ReLU stack.
    """
    inputs = keras.Input((*IMAGE_SIZE, 3), name="input")
    x = inputs
    for block, width in enumerate(widths, start=1):
        for conv in (1, 2):
            x = layers.Conv2D(width, 3, padding="same", use_bias=False,
                              name=f"block{block}_conv{conv}")(x)
            # A short momentum lets the running statistics catch up within one epoch, so the
            # per-epoch validation numbers mean something.
            x = layers.BatchNormalization(momentum=0.9, name=f"block{block}_bn{conv}")(x)
            x = layers.ReLU(name=f"block{block}_relu{conv}")(x)
        if block < len(widths):
            x = layers.MaxPooling2D(2, name=f"block{block}_pool")(x)
    classifier = layers.Dense(n_classes, activation="softmax", name="predictions")
    avg = layers.GlobalAveragePooling2D(name="global_average_pooling")(x)
    top = layers.GlobalMaxPooling2D(name="global_max_pooling")(x)
    return (keras.Model(inputs, classifier(avg), name="shapes_vgg_train"),
            keras.Model(inputs, classifier(top), name="shapes_vgg_train_gmp"))


def _fold_into(trained, export):
    """Copy `trained` weights into the plain `export` model, folding batch norm into the convs.

    In inference mode ``bn(conv(x)) = gamma * (conv(x) - mean) / sqrt(var + eps) + beta`` is an
    affine map per output channel, i.e. a conv with rescaled kernel and a bias.
    """
    for layer in export.layers:
        if layer.name.startswith("block") and "_conv" in layer.name:
            kernel = trained.get_layer(layer.name).get_weights()[0]  # (3, 3, cin, cout)
            bn = trained.get_layer(layer.name.replace("_conv", "_bn"))
            gamma, beta, mean, var = bn.get_weights()
            scale = gamma / np.sqrt(var + bn.epsilon)  # (cout,)
            layer.set_weights([kernel * scale, beta - mean * scale])
        elif layer.name == "predictions":
            layer.set_weights(trained.get_layer("predictions").get_weights())


def _difficulty(epoch, warmup_epochs):
    # Linear ramp 0.2 -> 1 over the max-pooling phase, full difficulty afterwards.
    if epoch >= warmup_epochs:
        return 1.0
    return min(1.0, 0.2 + 0.8 * epoch / max(warmup_epochs - 1, 1))


def save_demo_scenes(path, seed=DEMO_SEED, per_class=DEMO_PER_CLASS):
    """Write the bundled sample scenes, compactly, to an ``.npz`` file.

    Parameters
    ----------
    path : str or pathlib.Path
        Output file.
    seed : int, default DEMO_SEED
        Generator seed; must lie outside the training seeds.
    per_class : int, default 10
        Scenes per class.

    Returns
    -------
    ShapesData
        The scenes as generated (float images), for evaluation.

    Examples
    --------
    >>> save_demo_scenes("/tmp/scenes.npz")  # doctest: +SKIP
    """
    data = make_shapes(per_class * len(CLASS_NAMES), seed=seed, size=IMAGE_SIZE)
    np.savez_compressed(
        path,
        # uint8 and packed bits keep the file near 0.6 MB (the pixel noise does not compress);
        # demo_images() divides by 255, and main() evaluates the model on exactly those images.
        images=np.round(data.images * 255).astype(np.uint8),
        labels=data.labels.astype(np.uint8),
        masks=np.packbits(data.masks, axis=-1),  # (n, H, W/8) uint8
        mask_shape=np.asarray(data.masks.shape, np.int64),
        class_names=np.asarray(CLASS_NAMES),
        seed=np.int64(seed),
    )
    return data


def _parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output directory")
    parser.add_argument("--epochs", type=int, default=12, help="total epochs (fresh scenes each)")
    parser.add_argument("--warmup-epochs", type=int, default=4,
                        help="epochs trained through the max-pooling head on the curriculum")
    parser.add_argument("--scenes", type=int, default=8192,
                        help="freshly generated scenes per epoch")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--lr", type=float, default=1.5e-3, help="peak Adam learning rate")
    parser.add_argument("--eval-scenes", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=0, help="seed of weight init and shuffling")
    return parser.parse_args(argv)


def main(argv=None):
    """Train, evaluate and save the demo model; see the module docstring."""
    args = _parse_args(argv)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

    keras.utils.set_random_seed(args.seed)
    tf.config.experimental.enable_op_determinism()
    start = time.time()

    model, twin = _build_trainable()
    steps_per_epoch = args.scenes // args.batch_size
    warm_steps = args.warmup_epochs * steps_per_epoch
    main_steps = max((args.epochs - args.warmup_epochs) * steps_per_epoch, 1)
    # Each phase gets its own optimizer and cosine schedule: the switch of pooling changes the
    # scale of the classifier's inputs, so the second phase restarts from a high learning rate.
    twin.compile(
        keras.optimizers.Adam(
            keras.optimizers.schedules.CosineDecay(args.lr, max(warm_steps, 1), 0.3)
        ),
        "sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    model.compile(
        keras.optimizers.Adam(keras.optimizers.schedules.CosineDecay(args.lr, main_steps, 0.01)),
        "sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )

    def scenes_for(epoch):
        return make_shapes(args.scenes, seed=TRAIN_SEED_BASE + epoch, size=IMAGE_SIZE,
                           difficulty=_difficulty(epoch, args.warmup_epochs))

    val = make_shapes(500, seed=EVAL_SEED + 1, size=IMAGE_SIZE)
    # The next epoch's scenes are generated in a background thread while TensorFlow trains: numpy
    # releases the GIL in its array loops, and each epoch's data depends on its seed alone, so the
    # overlap changes the wall time but not the result.
    pool = ThreadPoolExecutor(max_workers=1)
    upcoming = pool.submit(scenes_for, 0)
    for epoch in range(args.epochs):
        tic = time.time()
        difficulty = _difficulty(epoch, args.warmup_epochs)
        data = upcoming.result()
        if epoch + 1 < args.epochs:
            upcoming = pool.submit(scenes_for, epoch + 1)
        wait_time = time.time() - tic
        trained = twin if epoch < args.warmup_epochs else model
        hist = trained.fit(data.images, data.labels, batch_size=args.batch_size, epochs=1,
                           shuffle=True, verbose=0)
        _, val_acc = model.evaluate(val.images, val.labels, batch_size=250, verbose=0)
        head = "max" if trained is twin else "avg"
        print(
            f"epoch {epoch + 1:2d}/{args.epochs} head={head} difficulty={difficulty:.2f} "
            f"loss={hist.history['loss'][-1]:.4f} train_acc={hist.history['accuracy'][-1]:.4f} "
            f"val_acc(avg head, 500)={val_acc:.4f} waited_for_data={wait_time:.0f}s "
            f"epoch={time.time() - tic:.0f}s total={time.time() - start:.0f}s",
            flush=True,
        )

    pool.shutdown()
    # A fresh, never-compiled model carries only the weights and the architecture into the file: no
    # optimizer slots (which would triple its size) and no compile config to restore on load.
    export = build_model()
    _fold_into(model, export)
    export.summary()
    gap = np.abs(export.predict(val.images, verbose=0) - model.predict(val.images, verbose=0)).max()
    print(f"batch-norm folding: max |p_export - p_trained| = {gap:.2e}")
    args.out.mkdir(parents=True, exist_ok=True)
    model_path = args.out / "demo_model.keras"
    export.save(model_path)
    scenes = save_demo_scenes(args.out / "demo_scenes.npz")

    test = make_shapes(args.eval_scenes, seed=EVAL_SEED, size=IMAGE_SIZE)
    reloaded = keras.saving.load_model(model_path)
    pred = reloaded.predict(test.images, batch_size=250, verbose=0).argmax(-1)
    acc = float((pred == test.labels).mean())
    per_class = {
        name: float((pred[test.labels == k] == k).mean()) for k, name in enumerate(CLASS_NAMES)
    }
    demo_pred = reloaded.predict(np.round(scenes.images * 255) / 255, verbose=0).argmax(-1)
    print(f"held-out accuracy: {acc:.4f} on {args.eval_scenes} scenes (seed {EVAL_SEED})")
    print("per class: " + ", ".join(f"{k}={v:.3f}" for k, v in per_class.items()))
    demo_acc = (demo_pred == scenes.labels).mean()
    print(f"demo scenes accuracy: {demo_acc:.4f} on {len(scenes.labels)}")
    print(f"wrote {model_path} ({model_path.stat().st_size / 1e6:.2f} MB, "
          f"{export.count_params()} parameters) and {args.out / 'demo_scenes.npz'}")
    print(f"total time {time.time() - start:.0f}s")
    return acc


if __name__ == "__main__":
    main()
