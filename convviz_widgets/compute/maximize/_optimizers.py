"""The two update rules of gradient *ascent*: Adam and a fixed normalised step.

Each is a plain object with ``n_state`` (how many state tensors it carries per parameter),
``key`` (what the compiled step depends on) and ``update(g, state, t) -> (step, new state)``,
traced inside the compiled step of :mod:`._loop`.
"""

from __future__ import annotations

from keras import ops

__all__ = ["Adam", "NormalizedAscent"]


class Adam:
    """Adam on the parameters (ascent), with per-element step normalisation.

    Examples
    --------
    >>> Adam(0.05).n_state
    2
    """

    n_state = 2

    def __init__(self, lr: float = 0.05, beta1: float = 0.9, beta2: float = 0.999,
                 eps: float = 1e-8):
        self.lr, self.beta1, self.beta2, self.eps = float(lr), float(beta1), float(beta2), float(eps)

    @property
    def key(self):
        return ("Adam", self.lr, self.beta1, self.beta2, self.eps)

    def update(self, g, state, t):
        m, v = state
        m = self.beta1 * m + (1.0 - self.beta1) * g
        v = self.beta2 * v + (1.0 - self.beta2) * ops.square(g)
        # Bias correction: the moments start at zero, so early averages are too small.
        m_hat = m / (1.0 - ops.power(self.beta1, t))
        v_hat = v / (1.0 - ops.power(self.beta2, t))
        return self.lr * m_hat / (ops.sqrt(v_hat) + self.eps), (m, v)


class NormalizedAscent:
    """Fixed step along the gradient divided by its root mean square (per image).

    ``norm="rms"`` is the classic lesson's ``g / (sqrt(mean(g**2)) + 1e-5)``; ``norm="mean_abs"``
    is DeepDream's ``g / max(mean(|g|), 1e-6)``.

    ``center=True`` first removes each image's mean gradient per channel (its DC component): a
    step then changes the image's structure but not its mean brightness. DeepDream uses it on
    one-channel models, whose layers otherwise tend to gain by darkening the whole scene.

    Examples
    --------
    >>> NormalizedAscent(1 / 255).n_state
    0
    """

    n_state = 0

    def __init__(self, lr: float, norm: str = "rms", center: bool = False):
        if norm not in ("rms", "mean_abs"):
            raise ValueError(f"norm must be 'rms' or 'mean_abs', not {norm!r}.")
        self.lr, self.norm, self.center = float(lr), norm, bool(center)

    @property
    def key(self):
        return ("NormalizedAscent", self.lr, self.norm) + (("center",) if self.center else ())

    def update(self, g, state, t):
        axes = tuple(range(1, len(g.shape)))  # every axis but the batch: one norm per image
        if self.center:
            # (n, h, w, c): the mean over positions of each image's channel
            g = g - ops.mean(g, axis=axes[:-1], keepdims=True)
        if self.norm == "rms":
            scale = ops.sqrt(ops.mean(ops.square(g), axis=axes, keepdims=True)) + 1e-5
        else:
            scale = ops.maximum(ops.mean(ops.abs(g), axis=axes, keepdims=True), 1e-6)
        return self.lr * g / scale, ()
