"""Argument checks shared across nn: each returns the value converted, or raises an exception that
names the argument, what is allowed and what it got."""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable, Mapping, Set

__all__ = ["number", "count", "one_of", "not_text_or_mapping"]


def number(
    name: str, value: object, lo: float = -math.inf, hi: float = math.inf, lo_open: bool = False, hi_open: bool = False
) -> float:
    """`value` as a float in the interval from `lo` to `hi` (each end closed unless `*_open`).

    Real numbers only (numpy scalars too, bools not); NaN never passes, and an open end at ±inf
    keeps infinities out.
    """
    ok = (
        isinstance(value, numbers.Real)
        and not isinstance(value, bool)
        and (lo < value if lo_open else lo <= value)  # type: ignore[operator]
        and (value < hi if hi_open else value <= hi)
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


def one_of(name: str, value: object, choices: Iterable[str]) -> str:
    """`value` if it is one of the strings `choices`, else ValueError listing them."""
    choices = tuple(choices)
    if not isinstance(value, str) or value not in choices:
        raise ValueError(f"{name} must be one of {', '.join(repr(c) for c in choices)}; got {value!r}")
    return value


def not_text_or_mapping(name: str, value: object, expected: str) -> object:
    """`value` unless it is a string, bytes, a mapping or a set: TypeError then, since reading one as a
    sequence of numbers would silently take characters, a dict's keys or a set's arbitrary order."""
    if isinstance(value, (str, bytes, Mapping, Set)):
        raise TypeError(f"{name} must be {expected}, got a {type(value).__name__}")
    return value
