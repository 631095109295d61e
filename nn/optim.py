"""Optimizers and gradient clipping, with PyTorch's update rules and default hyperparameters.

Each optimizer keeps its per-parameter state (momentum buffers, moment estimates) in its own
`state` dict, keyed by the parameter Value; nothing is stored on the Values themselves. `lr` is a
float or a schedule `step -> lr` (see `nn.schedules`), called with the number of steps taken so far
(0 for the first step). In the formulas below g is a parameter's gradient, p its value, t the step
number counted from 1.

Each update rule is written once, as `_rule(p, g, state, constants, ns)`, with operators and the `sqrt` and
`maximum` of a namespace: `step()` evaluates it on floats for every parameter Value, `array_step()` on
numpy arrays holding all parameters at once (what `nn.CompiledTrainer` uses), so both forms do the same
arithmetic in the same order.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Iterable, Sequence
from types import SimpleNamespace
from typing import Any

import numpy as np

from autograd_core import Value

from .checks import number

__all__ = ["Optimizer", "SGD", "RMSProp", "Adam", "AdamW", "clip_grad_norm", "clip_grad_value"]

LR = float | Callable[[int], float]

_FLOATS = SimpleNamespace(sqrt=math.sqrt, maximum=max)  # the rules' namespace for one parameter at a time
_ARRAYS = SimpleNamespace(sqrt=np.sqrt, maximum=np.maximum)  # ... and for arrays of parameters


def _params(params: Iterable[Value], who: str) -> list[Value]:
    params = list(params)
    if not params:
        raise ValueError(f"{who}: got an empty parameter list")
    for p in params:
        if not isinstance(p, Value):
            raise TypeError(f"{who}: parameters must be Values, got {type(p).__name__}")
    if len(set(params)) != len(params):
        raise ValueError(f"{who}: a parameter is listed twice; it would be updated twice per step")
    return params


def _finite(name: str, value: object) -> float:
    """A hyperparameter that must be a finite number >= 0."""
    return number(name, value, 0.0, math.inf, hi_open=True)


class Optimizer:
    """Base class: holds the parameters, the learning rate (float or schedule) and the step count."""

    def __init__(self, params: Iterable[Value], lr: LR) -> None:
        self.params = _params(params, type(self).__name__)
        if not callable(lr):
            lr = _finite("lr", lr)
        self.lr = lr
        self.steps = 0
        self.state: dict[Value, dict[str, float]] = {}

    def current_lr(self) -> float:
        """The learning rate the next `step()` will use: `lr`, or `lr(steps)` for a schedule."""
        lr = self.lr
        if not callable(lr):
            return lr
        value = lr(self.steps)
        try:
            return _finite("lr", value)
        except ValueError:
            raise ValueError(
                f"the lr schedule returned {value!r} at step {self.steps}; expected a finite number "
                ">= 0 (a float, int or numpy number; not a bool)"
            ) from None

    def zero_grad(self) -> None:
        """Set every parameter's `.grad` to 0 (leaf grads accumulate across backward calls)."""
        for p in self.params:
            p.grad = 0.0

    def step(self) -> None:
        """Update every parameter from its `.grad`, then count the step. A `.grad` that is not a number
        is a TypeError raised before any parameter changes."""
        for i, p in enumerate(self.params):
            if p.grad.__class__ is not float and not isinstance(p.grad, numbers.Real):
                raise TypeError(
                    f"{type(self).__name__}.step: parameter {i} has .grad = {p.grad!r:.40} "
                    f"({type(p.grad).__name__}), not a number; gradients come from loss.backward(); "
                    "nothing was updated"
                )
        lr = self.current_lr()
        self.steps += 1
        constants = self._constants(lr)
        for p in self.params:
            self._update(p, constants)

    def _update(self, p: Value, constants: Any) -> None:
        """One parameter's update: its rule evaluated on floats; the state lives in `self.state[p]`."""
        s = self.state.get(p)
        if s is None:
            s = self._new_state()
            if self._keeps_state():
                self.state[p] = s
        p.data = self._rule(p.data, p.grad, s, constants, _FLOATS)

    def array_step(self, theta: np.ndarray, grad: np.ndarray, state: dict[str, Any]) -> None:
        """One update of many parameters at once, with the same rule as `step()`: `theta` holds their values
        (updated in place), `grad` their gradients, `state` their state from `array_state` (updated)."""
        lr = self.current_lr()
        self.steps += 1
        theta[...] = self._rule(theta, grad, state, self._constants(lr), _ARRAYS)

    def array_state(self, params: Sequence[Value]) -> dict[str, Any]:
        """The state of `params` (a list of this optimizer's parameters) as arrays in that order."""
        rows = [self.state.get(p) for p in params]
        have = [r for r in rows if r is not None]
        if not have:
            return self._new_state()
        if len(have) != len(rows):
            raise ValueError(
                f"{type(self).__name__}: {len(rows) - len(have)} of {len(rows)} parameters have no optimizer "
                "state yet while the others do; step them all once eagerly, or use a fresh optimizer"
            )
        return {key: np.array([r[key] for r in have]) for key in have[0]}  # have == rows here

    def store_array_state(self, params: Sequence[Value], state: dict[str, Any]) -> None:
        """Write array state (from `array_state`, after `array_step`s) back into `self.state`."""
        if not self._keeps_state():
            return
        columns = {key: np.broadcast_to(value, (len(params),)).tolist() for key, value in state.items()}
        for i, p in enumerate(params):
            s = self.state.setdefault(p, {})
            for key, values in columns.items():
                s[key] = values[i]

    # the parts a subclass defines
    def _constants(self, lr: float) -> Any:
        """What the rule needs besides one parameter's numbers, computed once per step (default: lr)."""
        return lr

    def _new_state(self) -> dict[str, Any]:
        """A parameter's state before its first step."""
        return {}

    def _keeps_state(self) -> bool:
        return True

    def _rule(self, p: Any, g: Any, s: dict[str, Any], constants: Any, ns: Any) -> Any:
        """The new value of p (float or array) from its gradient g; updates the state dict s."""
        raise NotImplementedError

    def __repr__(self) -> str:
        hyper = ", ".join(f"{k}={v!r}" for k, v in vars(self).items() if k not in ("params", "state", "steps"))
        return f"{type(self).__name__}({len(self.params)} parameters, {hyper})"


class SGD(Optimizer):
    """Stochastic gradient descent, with optional momentum, Nesterov momentum and L2 weight decay:

        g ← g + λp;   b ← g (first step), b ← μb + g;   d = g + μb (Nesterov) or b;   p ← p − lr·d

    With momentum = 0: p ← p − lr·(g + λp).
    """

    def __init__(
        self,
        params: Iterable[Value],
        lr: LR = 1e-3,
        momentum: float = 0.0,
        weight_decay: float = 0.0,
        nesterov: bool = False,
    ) -> None:
        super().__init__(params, lr)
        self.momentum = _finite("momentum", momentum)
        self.weight_decay = _finite("weight_decay", weight_decay)
        if nesterov and self.momentum == 0.0:
            raise ValueError("nesterov=True needs momentum > 0")
        self.nesterov = bool(nesterov)

    def _keeps_state(self) -> bool:
        return self.momentum != 0.0

    def _rule(self, p: Any, g: Any, s: dict[str, Any], lr: float, ns: Any) -> Any:
        if self.weight_decay:
            g = g + self.weight_decay * p
        mu = self.momentum
        if mu:
            b = s.get("momentum_buffer")
            s["momentum_buffer"] = b = g if b is None else mu * b + g
            g = g + mu * b if self.nesterov else b
        return p - lr * g


class RMSProp(Optimizer):
    """RMSProp (PyTorch's `RMSprop`): divide the step by a running root-mean-square of the gradient.

    g ← g + λp;   v ← αv + (1 − α)g²;   (centered: ḡ ← αḡ + (1 − α)g, v̂ = v − ḡ²; else v̂ = v)
    d = g / (√v̂ + ε);   momentum μ > 0: b ← μb + d, p ← p − lr·b;   else p ← p − lr·d
    """

    def __init__(
        self,
        params: Iterable[Value],
        lr: LR = 1e-2,
        alpha: float = 0.99,
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        momentum: float = 0.0,
        centered: bool = False,
    ) -> None:
        super().__init__(params, lr)
        self.alpha = number("alpha", alpha, 0.0, 1.0)
        self.eps = _finite("eps", eps)
        self.weight_decay = _finite("weight_decay", weight_decay)
        self.momentum = _finite("momentum", momentum)
        self.centered = bool(centered)

    def _new_state(self) -> dict[str, Any]:
        return {"square_avg": 0.0, "grad_avg": 0.0, "momentum_buffer": 0.0}

    def _rule(self, p: Any, g: Any, s: dict[str, Any], lr: float, ns: Any) -> Any:
        if self.weight_decay:
            g = g + self.weight_decay * p
        a = self.alpha
        s["square_avg"] = v = a * s["square_avg"] + (1.0 - a) * g * g
        if self.centered:
            s["grad_avg"] = gbar = a * s["grad_avg"] + (1.0 - a) * g
            v = v - gbar * gbar
        d = g / (ns.sqrt(v) + self.eps)
        if self.momentum:
            s["momentum_buffer"] = d = self.momentum * s["momentum_buffer"] + d
        return p - lr * d


class Adam(Optimizer):
    """Adam: bias-corrected running means of the gradient and of its square.

    g ← g + λp;   m ← β₁m + (1 − β₁)g;   v ← β₂v + (1 − β₂)g²   (amsgrad: v̄ = max(v̄, v), used for v)
    p ← p − lr · (m / (1 − β₁ᵗ)) / (√(v / (1 − β₂ᵗ)) + ε)
    """

    decoupled = False  # AdamW decays the weights directly instead of adding λp to the gradient

    def __init__(
        self,
        params: Iterable[Value],
        lr: LR = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        amsgrad: bool = False,
    ) -> None:
        super().__init__(params, lr)
        if not isinstance(betas, (tuple, list)) or len(betas) != 2:
            raise ValueError(f"betas must be a pair (beta1, beta2), got {betas!r}")
        self.betas = (
            number("betas[0]", betas[0], 0.0, 1.0, hi_open=True),
            number("betas[1]", betas[1], 0.0, 1.0, hi_open=True),
        )
        self.eps = _finite("eps", eps)
        self.weight_decay = _finite("weight_decay", weight_decay)
        self.amsgrad = bool(amsgrad)

    def _new_state(self) -> dict[str, Any]:
        return {"exp_avg": 0.0, "exp_avg_sq": 0.0, "max_exp_avg_sq": 0.0}

    def _constants(self, lr: float) -> tuple[float, float, float]:
        """(lr, lr / (1 − β₁ᵗ), √(1 − β₂ᵗ)): the bias corrections, once per step."""
        b1, b2 = self.betas
        return lr, lr / (1.0 - b1**self.steps), math.sqrt(1.0 - b2**self.steps)

    def _rule(self, p: Any, g: Any, s: dict[str, Any], constants: tuple[float, float, float], ns: Any) -> Any:
        lr, step_size, sqrt_bc2 = constants
        b1, b2 = self.betas
        wd = self.weight_decay
        if wd:
            if self.decoupled:
                p = p * (1.0 - lr * wd)
            else:
                g = g + wd * p
        s["exp_avg"] = m = b1 * s["exp_avg"] + (1.0 - b1) * g
        s["exp_avg_sq"] = v = b2 * s["exp_avg_sq"] + (1.0 - b2) * g * g
        if self.amsgrad:
            s["max_exp_avg_sq"] = v = ns.maximum(s["max_exp_avg_sq"], v)
        return p - step_size * m / (ns.sqrt(v) / sqrt_bc2 + self.eps)


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter): first p ← p·(1 − lr·λ), then the Adam
    step on the raw gradient g. Default λ = 0.01, as PyTorch."""

    decoupled = True

    def __init__(
        self,
        params: Iterable[Value],
        lr: LR = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
        amsgrad: bool = False,
    ) -> None:
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad)


def clip_grad_norm(params: Iterable[Value], max_norm: float) -> float:
    """Scale all gradients together so their L2 norm ‖g‖ = √(Σ gᵢ²) is at most `max_norm`.

    If ‖g‖ > max_norm every gᵢ is multiplied by max_norm / (‖g‖ + 1e-6) (PyTorch's rule). Returns ‖g‖
    before clipping, the number to log when watching for exploding gradients.
    """
    params = list(params)
    max_norm = number("max_norm", max_norm, 0.0)
    grads = [p.grad for p in params]
    norm = math.hypot(*grads)  # not √(Σ gᵢ²), which overflows to inf (and zeroes every gᵢ) above |g| ≈ 1e154
    if norm == math.inf and any(g != g for g in grads):
        norm = math.nan  # hypot(inf, nan) is inf by IEEE; a NaN gradient must show
    coef = max_norm / (norm + 1e-6)
    if coef < 1.0:
        for p in params:
            p.grad *= coef
    return norm


def clip_grad_value(params: Iterable[Value], clip: float) -> None:
    """Clamp each gradient to [−clip, clip] independently."""
    clip = number("clip", clip, 0.0)
    for p in params:
        g = p.grad
        if g > clip:
            p.grad = clip
        elif g < -clip:
            p.grad = -clip
