"""The math namespaces a primitive's rule is evaluated in: `FLOAT` (Python floats, `math`) and `ARRAY`
(numpy arrays). The third, `VALUE` (the primitives themselves on Values), is in `value_rules.py`.

Each has the same names: exp log sqrt sin cos tan tanh asin acos atan sinh cosh log1p expm1 abs pow
sigmoid, and where(cond, a, b), maximum(a, b) (NaN propagates), sign(x), step(x) (1 where x > 0, else
0) and nonzero(x).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

__all__ = ["FLOAT", "ARRAY", "stable_sigmoid"]


def _float_pow(x: float, y: float) -> float:
    """x ** y as Python computes it, but a complex result ((-8) ** 0.5) is a ValueError as in `math`."""
    out = x**y
    if out.__class__ is complex:
        raise ValueError("a negative base needs an integer exponent (the result would be complex)")
    return out  # type: ignore[no-any-return]  # float ** float is typed Any


def _float_where(cond: bool, a: Any, b: Any) -> Any:
    return a if cond else b


def _float_maximum(a: float, b: float) -> float:
    """max(a, b) that propagates NaN (IEEE maximum, as numpy.maximum)."""
    return a if a > b or a != a else b


def _float_step(x: float) -> float:
    return 1.0 if x > 0.0 else 0.0


def _float_sign(x: float) -> float:
    return 1.0 if x > 0.0 else -1.0 if x < 0.0 else x * 0.0  # sign(±0) = ±0, sign(nan) = nan


def stable_sigmoid(m: Any, x: Any) -> Any:
    """σ(x) = 1/(1 + e^−x) from e^−|x|, in namespace `m`: never evaluates e^t for t > 0, so never
    overflows. FLOAT.sigmoid and ARRAY.sigmoid are this; VALUE.sigmoid is the sigmoid primitive itself
    (whose derivatives are smooth at 0, unlike this formula's |x|)."""
    e = m.exp(-m.abs(x))
    return m.where(x >= 0.0, 1.0 / (1.0 + e), e / (1.0 + e))


class _Namespace:
    """A small math namespace for rules: `m.exp(x)`, `m.where(c, a, b)`, ... (see FLOAT, ARRAY)."""

    def __init__(self, name: str, **functions: Callable[..., Any]) -> None:
        self.name = name
        self.__dict__.update(functions)

    def __repr__(self) -> str:
        return f"<namespace {self.name}>"

    def __getattr__(self, attr: str) -> Any:  # only for names it lacks: say which it has
        have = ", ".join("m." + n for n in sorted(self.__dict__) if n != "name")
        raise AttributeError(f"the rule namespace m ({self.name}) has no {attr!r}; it has {have}")


_MATH = ("exp", "log", "sqrt", "sin", "cos", "tan", "tanh", "asin", "acos", "atan", "sinh", "cosh", "log1p", "expm1")

FLOAT: _Namespace = _Namespace(
    "FLOAT",
    **{name: getattr(math, name) for name in _MATH},
    abs=math.fabs,
    pow=_float_pow,
    where=_float_where,
    maximum=_float_maximum,
    sign=_float_sign,
    step=_float_step,
    nonzero=lambda x: x != 0.0,
    sigmoid=lambda x: stable_sigmoid(FLOAT, x),
)
"""Rules over Python floats: `math`'s functions, raising where `math` raises."""

_NP = {"asin": np.arcsin, "acos": np.arccos, "atan": np.arctan}

ARRAY: _Namespace = _Namespace(
    "ARRAY",
    **{name: _NP.get(name) or getattr(np, name) for name in _MATH},
    abs=np.abs,
    pow=np.power,
    where=np.where,
    maximum=np.maximum,
    sign=np.sign,
    step=lambda x: np.greater(x, 0.0),  # a boolean mask: the cheapest multiplier (relu' on a batch)
    nonzero=lambda x: np.asarray(x) != 0.0,
    sigmoid=lambda x: stable_sigmoid(ARRAY, x),
)
"""Rules over numpy arrays (IEEE: no errors; `Primitive.arrays` checks the non-finite samples)."""
