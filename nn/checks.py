"""Argument checks shared across nn: each returns the value converted, or raises a ValueError that
names the argument, the allowed range and what it got."""

from __future__ import annotations

import math
import numbers

__all__ = ["number", "count"]


def number(name: str, value: object, lo: float = -math.inf, hi: float = math.inf,
           lo_open: bool = False, hi_open: bool = False) -> float:
    """`value` as a float in the interval from `lo` to `hi` (each end closed unless `*_open`).

    Real numbers only (numpy scalars too, bools not); NaN never passes, and an open end at ±inf
    keeps infinities out.
    """
    ok = (
        isinstance(value, numbers.Real)
        and not isinstance(value, bool)
        and (lo < value if lo_open else lo <= value)  # type: ignore[operator]
        and (value < hi if hi_open else value <= hi)  # type: ignore[operator]
    )
    if not ok:
        interval = f"{'(' if lo_open else '['}{lo}, {hi}{')' if hi_open else ']'}"
        raise ValueError(f"{name} must be a number in {interval}, got {value!r}")
    return float(value)  # type: ignore[arg-type]


def count(name: str, value: object, minimum: int = 1) -> int:
    """`value` as an int >= `minimum` (numpy integers too, bools not)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        raise ValueError(f"{name} must be an int >= {minimum}, got {value!r}")
    return int(value)
