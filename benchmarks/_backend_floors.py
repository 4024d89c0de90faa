"""The plain recipes a backend's user would write, for ``_backend_child.py``: the floors.

A ratio goal to the forward pass says nothing about what the work itself costs. These are the
shortest correct programs for the same two results, written with the backend's own compiled
autodiff and nothing of ours (no caching, no identity checks, no display, no probabilities):

* **plain Grad-CAM**: the model split at the layer Grad-CAM explains (``base`` up to it, a
  ``head`` model of the layers after it, sharing their weights); one compiled call runs ``base``,
  then the gradient of the top class's output through ``head`` only, and returns
  ``relu(sum_c mean(grad_c) * map_c)`` at the map's size;
* **plain batched input gradient** (SmoothGrad's work): ``samples`` noisy copies of the image
  (noise drawn inside the compiled call) in one batch, the gradient of the target class's
  output with respect to them, averaged and reduced to ``(h, w)``.

TensorFlow: ``tf.function`` + ``GradientTape``; JAX: ``jax.jit`` + ``jax.grad`` over
``stateless_call`` (weights as arguments, like the forward pass the ratios use); PyTorch:
eager autograd (Keras' torch backend compiles nothing). Ours ÷ forward beside these ÷ forward
shows how much of a ratio is the arithmetic and how much is ours.

Only models that are a straight line after the explained layer (the benchmark's three are)
can be split this way; anything else raises.
"""

from __future__ import annotations

import keras
import numpy as np


def _split(model, layer: str):
    """``(base, head)``: ``base`` maps the input to ``layer``'s output, ``head`` the rest."""
    names = [l.name for l in model.layers]
    if layer not in names:
        raise ValueError(f"{layer!r} is not a top-level layer of {model.name!r}")
    base = keras.Model(model.inputs, model.get_layer(layer).output)
    inp = keras.Input(tuple(base.output.shape[1:]))
    y = inp
    for lay in model.layers[names.index(layer) + 1:]:
        y = lay(y)
    head = keras.Model(inp, y)
    x = np.zeros((1, *model.input_shape[1:]), np.float32)
    want = keras.ops.convert_to_numpy(model(x, training=False))
    got = keras.ops.convert_to_numpy(head(base(x, training=False), training=False))
    if not np.allclose(want, got, atol=1e-5):
        raise ValueError(f"{model.name!r} is not a straight line after {layer!r}")
    return base, head


def plain_gradcam(model, layer: str):
    """``fn(img (h, w, c) float32) -> (h', w') numpy``: the plain compiled Grad-CAM recipe."""
    base, head = _split(model, layer)
    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        @tf.function(autograph=False)
        def cam(x):
            f = base(x, training=False)
            with tf.GradientTape() as tape:
                tape.watch(f)
                y = head(f, training=False)
                score = tf.gather(y[0], tf.argmax(y[0]))
            w = tf.reduce_mean(tape.gradient(score, f), axis=(1, 2))
            return tf.nn.relu(tf.einsum("bhwc,bc->bhw", f, w))[0]

        return lambda img: cam(tf.constant(img[None])).numpy()
    if backend == "jax":
        import jax
        import jax.numpy as jnp

        @jax.jit
        def cam(bt, bn, ht, hn, x):
            f = base.stateless_call(bt, bn, x, training=False)[0]

            def score(f):
                y = head.stateless_call(ht, hn, f, training=False)[0][0]
                return y[jnp.argmax(jax.lax.stop_gradient(y))]

            w = jax.grad(score)(f).mean(axis=(1, 2))
            return jax.nn.relu(jnp.einsum("bhwc,bc->bhw", f, w))[0]

        def values(m):
            return ([v.value for v in m.trainable_variables],
                    [v.value for v in m.non_trainable_variables])

        def run(img):
            return np.asarray(cam(*values(base), *values(head), img[None]))
        return run
    import torch

    def run(img):
        with torch.no_grad():
            f = base(keras.ops.convert_to_tensor(img[None]), training=False)
        f = f.detach().requires_grad_(True)
        y = head(f, training=False)[0]
        (g,) = torch.autograd.grad(y[int(torch.argmax(y))], f)
        with torch.no_grad():
            out = torch.relu(torch.einsum("bhwc,bc->bhw", f, g.mean(dim=(1, 2))))[0]
        return out.cpu().numpy()
    return run


def plain_input_gradient(model, samples: int, sigma: float, target: int):
    """``fn(img) -> (h, w) numpy``: SmoothGrad's work, the plain compiled batched recipe."""
    backend = keras.backend.backend()
    shape = tuple(model.input_shape[1:])
    if backend == "tensorflow":
        import tensorflow as tf

        @tf.function(autograph=False)
        def sg(x):
            xs = x + tf.random.normal((samples, *shape), stddev=sigma)
            with tf.GradientTape() as tape:
                tape.watch(xs)
                s = tf.reduce_sum(model(xs, training=False)[:, target])
            return tf.reduce_max(tf.abs(tf.reduce_mean(tape.gradient(s, xs), 0)), -1)

        return lambda img: sg(tf.constant(img[None])).numpy()
    if backend == "jax":
        import jax
        import jax.numpy as jnp

        @jax.jit
        def sg(tv, nv, x, key):
            xs = x + sigma * jax.random.normal(key, (samples, *shape))

            def s(xs):
                return model.stateless_call(tv, nv, xs, training=False)[0][:, target].sum()

            return jnp.abs(jax.grad(s)(xs).mean(0)).max(-1)

        keys = iter(range(10 ** 9))

        def run(img):
            return np.asarray(sg([v.value for v in model.trainable_variables],
                                 [v.value for v in model.non_trainable_variables], img[None],
                                 jax.random.key(next(keys))))
        return run
    import torch

    def run(img):
        x = keras.ops.convert_to_tensor(img[None])
        xs = (x + sigma * torch.randn((samples, *shape), device=x.device)).requires_grad_(True)
        s = model(xs, training=False)[:, target].sum()
        (g,) = torch.autograd.grad(s, xs)
        return g.mean(0).abs().amax(-1).cpu().numpy()
    return run
