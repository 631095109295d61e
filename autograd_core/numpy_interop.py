"""numpy and Values: what `Value.__array_ufunc__` does.

numpy scalars on either side of an operator, and the ufuncs that are primitives (np.sqrt, np.exp, …),
give Values, so np.mean / np.var / np.std of a list of Values are Values; comparisons give plain bools,
`==` stays identity; anything else is a TypeError saying what to use instead.
"""

from __future__ import annotations

import operator
from typing import Any

import numpy as np

from .primitive import PRIMITIVES
from .value import Value, _lift, _number, _watch, apply

__all__ = ["array_ufunc"]

_SAME = {"equal": True, "not_equal": False}  # what `a is b` means for each
_COMPARE = {"less": operator.lt, "less_equal": operator.le, "greater": operator.gt, "greater_equal": operator.ge}
_UFUNCS = {  # numpy ufunc name -> primitive
    "add": "+",
    "subtract": "-",
    "multiply": "*",
    "true_divide": "/",
    "divide": "/",
    "power": "**",
    "negative": "neg",
    "absolute": "abs",
    "exp": "exp",
    "log": "log",
    "sqrt": "sqrt",
    "sin": "sin",
    "cos": "cos",
    "tan": "tan",
    "tanh": "tanh",
    "arcsin": "asin",
    "arccos": "acos",
    "arctan": "atan",
    "sinh": "sinh",
    "cosh": "cosh",
    "log1p": "log1p",
    "expm1": "expm1",
    "conjugate": "conjugate",
}


def array_ufunc(ufunc: Any, method: str, inputs: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    """numpy's ufunc protocol for Values (see the module docstring)."""
    ufunc_name = getattr(ufunc, "__name__", "")
    name = _UFUNCS.get(ufunc_name)
    if method != "__call__" or kwargs:
        extra = f".{method}" if method != "__call__" else ""
        raise TypeError(
            f"numpy.{ufunc_name}{extra}(..., {', '.join(f'{k}=...' for k in kwargs)}) is not supported "
            "on Values; call it without out=/where=/dtype=, or use Python operators"
        )
    if name is None and ufunc_name not in _COMPARE and ufunc_name not in _SAME:
        raise TypeError(
            f"numpy.{ufunc_name} is not defined on Values; use the Value methods (v.relu() for "
            "max(v, 0), v * v for a square, ...). numpy ufuncs that work: "
            f"{', '.join(sorted(_UFUNCS))}"
        )
    inputs = tuple(i[()] if isinstance(i, np.ndarray) and i.ndim == 0 else i for i in inputs)
    if any(isinstance(i, np.ndarray) for i in inputs):
        raise TypeError(
            f"numpy.{ufunc_name} of a numpy array (ndarray) and a Value: make it an object array "
            "(np.asarray(a, dtype=object)) to get an array of Values, or loop over its numbers"
        )
    if ufunc_name in _SAME:  # np.float64(1) == Value(1): `==` is identity, as with Python numbers
        return (inputs[0] is inputs[1]) is _SAME[ufunc_name]
    if name is None:  # np.float64(2) > Value(1): a comparison of the numbers, a plain bool
        if _watch.seen is not None:
            _watch.seen.extend(i for i in inputs if isinstance(i, Value))
        a, b = (_number(i, ufunc_name) for i in inputs)
        return _COMPARE[ufunc_name](a, b)
    args = [i if isinstance(i, Value) else _lift(i, name) for i in inputs]
    if name == "conjugate":
        return args[0]
    return apply(PRIMITIVES[name], *args)
