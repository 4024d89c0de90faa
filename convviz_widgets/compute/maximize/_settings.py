"""What the optimisation's building blocks (parameterisations, transforms) share: they are
described by their settings, the attributes their constructor sets."""

from __future__ import annotations

__all__ = ["Settings"]


class Settings:
    """A base whose key and repr are its attributes.

    Examples
    --------
    >>> class Blur(Settings):
    ...     def __init__(self, sigma):
    ...         self.sigma = sigma
    >>> Blur(0.5), Blur([1, 2]).key
    (Blur(sigma=0.5), ('Blur', ('sigma', (1, 2))))
    """

    @property
    def key(self) -> tuple:
        """Hashable description, part of compiled-function and result-cache keys (a list
        setting counts as a tuple)."""
        return (type(self).__name__,) + tuple(
            (k, tuple(v) if isinstance(v, list) else v) for k, v in sorted(vars(self).items()))

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in vars(self).items())
        return f"{type(self).__name__}({args})"
