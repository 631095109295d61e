"""Diagnostics for vanishing and exploding gradients: per-layer gradient norms, dead ReLUs, saturated
sigmoid/tanh units.

The activation statistics re-run the model's forward pass in numpy, layer by layer, from the
parameters' current `.data` (no graph is built): for layer l with weights W (n_out × n_in) and bias b,

    z = a_prev · Wᵀ + b        (pre-activations, one row per sample)
    a = act(z)

They work on an `MLP` or a single `Layer`; layers are named as in `named_parameters` ("layers.0", …).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from autograd_core import PRIMITIVES

from .module import MLP, Layer, Module

__all__ = ["gradient_norms", "layer_activations", "dead_relu_fraction", "saturation_fraction", "report"]


def _activate(name: str, z: np.ndarray) -> np.ndarray:
    """The activation `name` over an array, by the engine's own rule for it (a Neuron's leaky ReLU
    uses Value.leaky_relu's default slope 0.01)."""
    if name == "linear":
        return z
    operands = (z, 0.01) if name == "leaky_relu" else (z,)
    out: np.ndarray = PRIMITIVES[name].arrays(*operands)[0]
    return out


def _layers(model: Module) -> list[tuple[str, Layer]]:
    if isinstance(model, MLP):
        return [(f"layers.{i}", layer) for i, layer in enumerate(model.layers)]
    if isinstance(model, Layer):
        return [("layer", model)]
    raise TypeError(f"diagnostics work on an MLP or a Layer, got {type(model).__name__}")


def gradient_norms(model: Module) -> dict[str, float]:
    """‖∂L/∂θ_l‖₂ = √(Σ g²) over each layer's weights and biases, from the current `.grad`s.

    Call after `loss.backward()` and before `zero_grad()`. Norms that shrink layer by layer towards
    the input signal vanishing gradients (deep sigmoid stacks); norms that grow, exploding ones.
    """
    return {name: math.sqrt(math.fsum(p.grad * p.grad for p in layer.parameters())) for name, layer in _layers(model)}


def layer_activations(model: Module, X: Any) -> dict[str, tuple[str, np.ndarray, np.ndarray]]:
    """For each layer: (activation name, pre-activations z, activations a), arrays of shape (n, n_out)."""
    a = np.asarray(X, dtype=np.float64)
    if a.ndim == 1:
        a = a[None, :]
    out = {}
    for name, layer in _layers(model):
        W = np.array([[w.data for w in n.w] for n in layer.neurons])
        b = np.array([n.b.data for n in layer.neurons])
        if a.shape[1] != W.shape[1]:
            raise ValueError(f"{name} expects {W.shape[1]} inputs, got {a.shape[1]}")
        act = layer.neurons[0].activation
        z = a @ W.T + b
        a = _activate(act, z)
        out[name] = (act, z, a)
    return out


def dead_relu_fraction(model: Module, X: Any) -> dict[str, float]:
    """For each ReLU layer, the fraction of its units that output 0 (z ≤ 0) for every row of X.

    A dead unit has relu'(z) = 0 on the whole batch, so no gradient reaches its weights and it stays dead.
    A layer whose pre-activations are not all finite (a diverged network) gets nan, not a fraction.
    """
    return {
        name: float(np.mean(np.all(z <= 0.0, axis=0))) if np.isfinite(z).all() else math.nan
        for name, (act, z, _) in layer_activations(model, X).items()
        if act == "relu"
    }


def saturation_fraction(model: Module, X: Any, threshold: float = 0.99) -> dict[str, float]:
    """For each tanh or sigmoid layer, the fraction of (sample, unit) activations that are saturated:
    |tanh z| > threshold, or |2σ(z) − 1| > threshold (2σ(z) − 1 = tanh(z/2)).

    There the local derivative is tiny (tanh' = 1 − a² < 1 − threshold², σ' = σ(1 − σ) < (1 − threshold²)/4),
    so the gradient through the unit all but vanishes.
    """
    if not 0.0 < threshold < 1.0:
        raise ValueError(f"threshold must lie in (0, 1), got {threshold!r}")
    stats = {}
    for name, (act, _, a) in layer_activations(model, X).items():
        if act == "tanh":
            stats[name] = float(np.mean(np.abs(a) > threshold))
        elif act == "sigmoid":
            stats[name] = float(np.mean(np.abs(2.0 * a - 1.0) > threshold))
    return stats


def report(model: Module, X: Any, threshold: float = 0.99) -> str:
    """A table, one row per layer: activation, mean and std of its activations on X, fraction of
    dead ReLUs or saturated units, and the gradient norm from the current `.grad`s."""
    acts = layer_activations(model, X)
    dead = dead_relu_fraction(model, X)
    sat = saturation_fraction(model, X, threshold)
    grads = gradient_norms(model)
    lines = [f"{'layer':<10}{'act':<12}{'mean a':>9}{'std a':>9}{'dead':>7}{'satur.':>8}{'|grad|':>11}"]
    for name, (act, _, a) in acts.items():
        d = f"{dead[name]:.2f}" if name in dead else "-"
        s = f"{sat[name]:.2f}" if name in sat else "-"
        lines.append(f"{name:<10}{act:<12}{a.mean():>9.3f}{a.std():>9.3f}{d:>7}{s:>8}{grads[name]:>11.3e}")
    return "\n".join(lines)
