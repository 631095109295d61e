"""Gradient checking: backward's gradients against central finite differences."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from .value import Value

__all__ = ["numerical_grad", "gradcheck", "GradcheckError"]


class GradcheckError(RuntimeError):
    """Analytic and numerical gradients disagree. `.mismatches` holds (index, label, analytic, numeric)."""

    def __init__(self, mismatches: list[tuple[int, str, float, float]], rtol: float, atol: float) -> None:
        self.mismatches = mismatches
        lines = [f"gradient check failed for {len(mismatches)} input(s) (|a - n| > {atol:g} + {rtol:g}·|n|):"]
        for i, label, a, n in mismatches:
            name = f" ({label})" if label else ""
            lines.append(f"  input {i}{name}: analytic {a!r}, numeric {n!r}, difference {a - n:.3g}")
        super().__init__("\n".join(lines))


def numerical_grad(f: Callable[..., float | Value], xs: Sequence[float], eps: float = 1e-6) -> list[float]:
    """Central differences ∂f/∂xᵢ ≈ (f(x + hᵢeᵢ) − f(x − hᵢeᵢ)) / 2hᵢ, with hᵢ = eps·max(1, |xᵢ|).

    `f` is called as `f(*xs)` with floats and may return a float or a Value. The step grows with
    |xᵢ| so that large inputs still see a perturbation above float rounding.
    """
    point = [float(x) for x in xs]
    grads = []
    for i, x in enumerate(point):
        h = eps * max(1.0, abs(x))
        point[i] = x + h
        up = float(f(*point))
        point[i] = x - h
        down = float(f(*point))
        point[i] = x
        grads.append((up - down) / (2.0 * h))
    return grads


def gradcheck(
    f: Callable[..., Value],
    inputs: Sequence[Value | float],
    eps: float = 1e-6,
    rtol: float = 1e-4,
    atol: float = 1e-6,
) -> bool:
    """Check backward's gradients of `f(*inputs)` against central differences; True or GradcheckError.

    `f` takes Values and returns a Value. It is evaluated on fresh leaf copies of `inputs`, so their own
    `.grad` fields are left as they were. Input i passes when |analytic − numeric| <= atol + rtol·|numeric|.
    """
    points = [float(v) for v in inputs]
    labels = [v.label if isinstance(v, Value) else "" for v in inputs]
    leaves = [Value(x, label=label) for x, label in zip(points, labels)]
    out = f(*leaves)
    if not isinstance(out, Value):
        raise TypeError(f"gradcheck: f must return a Value, got {type(out).__name__}")
    out.backward()
    numeric = numerical_grad(lambda *xs: f(*(Value(x) for x in xs)), points, eps)
    mismatches = [
        (i, label, leaf.grad, n)
        for i, (label, leaf, n) in enumerate(zip(labels, leaves, numeric))
        if not abs(leaf.grad - n) <= atol + rtol * abs(n)
    ]
    if mismatches:
        raise GradcheckError(mismatches, rtol, atol)
    return True
