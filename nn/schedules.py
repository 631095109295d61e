"""Learning-rate schedules: each returns a callable `step -> lr` (step = updates taken so far, from 0).

Pass one as an optimizer's `lr`; the optimizer calls it before every update. Arguments are checked
when the schedule is made, and the step when it is called (an int >= 0).
"""

from __future__ import annotations

import math
from collections.abc import Callable

from .checks import count, number

__all__ = ["Schedule", "constant", "step_decay", "exponential_decay", "inverse_time_decay", "cosine"]


class Schedule:
    """A named callable `step -> lr` with a readable repr, e.g. `cosine(lr=0.1, total_steps=100)`."""

    def __init__(self, fn: Callable[[int], float], name: str, **args: float) -> None:
        self._fn = fn
        self._name = name
        self.args = args

    def __call__(self, step: int) -> float:
        return self._fn(count(f"{self._name}: step", step, minimum=0))

    def __repr__(self) -> str:
        return f"{self._name}({', '.join(f'{k}={v!r}' for k, v in self.args.items())})"


def constant(lr: float) -> Schedule:
    """lr(t) = lr."""
    lr = number("constant: lr", lr, 0.0, math.inf, lo_open=True, hi_open=True)
    return Schedule(lambda t: lr, "constant", lr=lr)


def step_decay(lr: float, step_size: int, gamma: float = 0.1) -> Schedule:
    """lr(t) = lr · γ^⌊t / step_size⌋: multiply by γ ∈ (0, 1] every `step_size` steps (PyTorch's StepLR)."""
    lr = number("step_decay: lr", lr, 0.0, math.inf, lo_open=True, hi_open=True)
    step_size = count("step_decay: step_size", step_size)
    gamma = number("step_decay: gamma", gamma, 0.0, 1.0, lo_open=True)  # a decay: 0 < γ ≤ 1
    return Schedule(lambda t: lr * gamma ** (t // step_size), "step_decay", lr=lr, step_size=step_size, gamma=gamma)


def exponential_decay(lr: float, gamma: float) -> Schedule:
    """lr(t) = lr · γ^t (PyTorch's ExponentialLR), γ ∈ (0, 1]: a decay, so it never overflows."""
    lr = number("exponential_decay: lr", lr, 0.0, math.inf, lo_open=True, hi_open=True)
    gamma = number("exponential_decay: gamma", gamma, 0.0, 1.0, lo_open=True)  # a decay: 0 < γ ≤ 1
    return Schedule(lambda t: lr * gamma**t, "exponential_decay", lr=lr, gamma=gamma)


def inverse_time_decay(lr: float, decay_rate: float, decay_steps: int = 1) -> Schedule:
    """lr(t) = lr / (1 + decay_rate · t / decay_steps): the 1/t decay of classic SGD theory."""
    lr = number("inverse_time_decay: lr", lr, 0.0, math.inf, lo_open=True, hi_open=True)
    decay_rate = number("inverse_time_decay: decay_rate", decay_rate, 0.0, math.inf, hi_open=True)
    decay_steps = count("inverse_time_decay: decay_steps", decay_steps)
    return Schedule(
        lambda t: lr / (1.0 + decay_rate * t / decay_steps),
        "inverse_time_decay",
        lr=lr,
        decay_rate=decay_rate,
        decay_steps=decay_steps,
    )


def cosine(lr: float, total_steps: int, min_lr: float = 0.0) -> Schedule:
    """lr(t) = min_lr + (lr − min_lr) · (1 + cos(π · min(t, T) / T)) / 2, T = total_steps.

    Falls from lr at t = 0 to min_lr at t = T and stays there (PyTorch's CosineAnnealingLR, one cycle).
    """
    lr = number("cosine: lr", lr, 0.0, math.inf, lo_open=True, hi_open=True)
    total_steps = count("cosine: total_steps", total_steps)
    min_lr = number("cosine: min_lr", min_lr, 0.0, math.inf, hi_open=True)
    if min_lr > lr:
        raise ValueError(f"cosine: min_lr ({min_lr}) must not exceed lr ({lr})")

    def fn(t: int) -> float:
        return min_lr + (lr - min_lr) * (1.0 + math.cos(math.pi * min(t, total_steps) / total_steps)) / 2.0

    return Schedule(fn, "cosine", lr=lr, total_steps=total_steps, min_lr=min_lr)
