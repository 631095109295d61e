"""Learning-rate schedules: each returns a callable `step -> lr` (step = updates taken so far, from 0).

Pass one as an optimizer's `lr`; the optimizer calls it before every update. Arguments are checked
when the schedule is made, and the step when it is called (an int >= 0).
"""

from __future__ import annotations

import math
from collections.abc import Callable

__all__ = ["Schedule", "constant", "step_decay", "exponential_decay", "inverse_time_decay", "cosine"]


class Schedule:
    """A named callable `step -> lr` with a readable repr, e.g. `cosine(lr=0.1, total_steps=100)`."""

    def __init__(self, fn: Callable[[int], float], name: str, **args: float) -> None:
        self._fn = fn
        self._name = name
        self.args = args

    def __call__(self, step: int) -> float:
        if isinstance(step, bool) or not isinstance(step, int) or step < 0:
            raise ValueError(f"{self._name}: step must be an int >= 0, got {step!r}")
        return self._fn(step)

    def __repr__(self) -> str:
        return f"{self._name}({', '.join(f'{k}={v!r}' for k, v in self.args.items())})"


def _positive(name: str, value: float, who: str, allow_zero: bool = False) -> float:
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value) and (
        value >= 0 if allow_zero else value > 0)
    if not ok:
        raise ValueError(f"{who}: {name} must be a finite number {'>=' if allow_zero else '>'} 0, got {value!r}")
    return float(value)


def _count(name: str, value: int, who: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{who}: {name} must be a positive int, got {value!r}")
    return value


def constant(lr: float) -> Schedule:
    """lr(t) = lr."""
    lr = _positive("lr", lr, "constant")
    return Schedule(lambda t: lr, "constant", lr=lr)


def step_decay(lr: float, step_size: int, gamma: float = 0.1) -> Schedule:
    """lr(t) = lr · γ^⌊t / step_size⌋: multiply by γ every `step_size` steps (PyTorch's StepLR)."""
    lr = _positive("lr", lr, "step_decay")
    step_size = _count("step_size", step_size, "step_decay")
    gamma = _positive("gamma", gamma, "step_decay")
    return Schedule(lambda t: lr * gamma ** (t // step_size), "step_decay", lr=lr, step_size=step_size, gamma=gamma)


def exponential_decay(lr: float, gamma: float) -> Schedule:
    """lr(t) = lr · γ^t (PyTorch's ExponentialLR); γ in (0, 1] decays."""
    lr = _positive("lr", lr, "exponential_decay")
    gamma = _positive("gamma", gamma, "exponential_decay")
    return Schedule(lambda t: lr * gamma ** t, "exponential_decay", lr=lr, gamma=gamma)


def inverse_time_decay(lr: float, decay_rate: float, decay_steps: int = 1) -> Schedule:
    """lr(t) = lr / (1 + decay_rate · t / decay_steps): the 1/t decay of classic SGD theory."""
    lr = _positive("lr", lr, "inverse_time_decay")
    decay_rate = _positive("decay_rate", decay_rate, "inverse_time_decay", allow_zero=True)
    decay_steps = _count("decay_steps", decay_steps, "inverse_time_decay")
    return Schedule(lambda t: lr / (1.0 + decay_rate * t / decay_steps), "inverse_time_decay",
                    lr=lr, decay_rate=decay_rate, decay_steps=decay_steps)


def cosine(lr: float, total_steps: int, min_lr: float = 0.0) -> Schedule:
    """lr(t) = min_lr + (lr − min_lr) · (1 + cos(π · min(t, T) / T)) / 2, T = total_steps.

    Falls from lr at t = 0 to min_lr at t = T and stays there (PyTorch's CosineAnnealingLR, one cycle).
    """
    lr = _positive("lr", lr, "cosine")
    total_steps = _count("total_steps", total_steps, "cosine")
    min_lr = _positive("min_lr", min_lr, "cosine", allow_zero=True)
    if min_lr > lr:
        raise ValueError(f"cosine: min_lr ({min_lr}) must not exceed lr ({lr})")
    return Schedule(lambda t: min_lr + (lr - min_lr) * (1.0 + math.cos(math.pi * min(t, total_steps) / total_steps)) / 2.0,
                    "cosine", lr=lr, total_steps=total_steps, min_lr=min_lr)
