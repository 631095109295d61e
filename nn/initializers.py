"""Weight initialisers: the half-width `a` of the uniform distribution U(−a, a) each scheme draws from.

    uniform   a = 1                              micrograd's choice, independent of layer size
    xavier    a = √(6 / (fan_in + fan_out))      Var(w) = 2 / (fan_in + fan_out): keeps the signal's
                                                 variance for tanh/sigmoid (Glorot & Bengio, 2010)
    he        a = √(6 / fan_in)                  Var(w) = 2 / fan_in: keeps it for ReLU (He et al., 2015)

U(−a, a) has variance a²/3, which is where the 6 comes from.
"""

from __future__ import annotations

import math
from collections.abc import Callable

__all__ = ["uniform_bound", "xavier_bound", "he_bound", "INITIALIZERS", "init_bound"]


def uniform_bound(fan_in: int, fan_out: int) -> float:
    """a = 1: weights U(−1, 1), as micrograd."""
    return 1.0


def xavier_bound(fan_in: int, fan_out: int) -> float:
    """a = √(6 / (fan_in + fan_out)) (Glorot/Xavier uniform)."""
    return math.sqrt(6.0 / (fan_in + fan_out))


def he_bound(fan_in: int, fan_out: int) -> float:
    """a = √(6 / fan_in) (He/Kaiming uniform for ReLU)."""
    return math.sqrt(6.0 / fan_in)


INITIALIZERS: dict[str, Callable[[int, int], float]] = {
    "uniform": uniform_bound,
    "xavier": xavier_bound,
    "he": he_bound,
}


def init_bound(init: str, fan_in: int, fan_out: int) -> float:
    """The half-width of U(−a, a) for the named scheme; ValueError for an unknown name."""
    try:
        return INITIALIZERS[init](fan_in, fan_out)
    except KeyError:
        raise ValueError(f"init must be one of {', '.join(INITIALIZERS)}; got {init!r}") from None
