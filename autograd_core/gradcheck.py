"""Gradient checking: backward's gradients against central finite differences (and, with order=2,
the second derivatives from `gradients(..., create_graph=True)` against differences of the first)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from .transforms import gradients
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
    order: int = 1,
) -> bool:
    """Check backward's gradients of `f(*inputs)` against central differences; True or GradcheckError.

    `f` takes Values and returns a Value. It is evaluated on fresh leaf copies of `inputs`, so their own
    `.grad` fields are left as they were. Input i passes when |analytic − numeric| <= atol + rtol·|numeric|.
    With `order=2`, every second derivative ∂²f/∂xᵢ∂xⱼ (differentiating the gradient's own graph) is
    also checked against central differences of the first derivatives.
    """
    if order not in (1, 2) or isinstance(order, bool):
        raise ValueError(f"gradcheck: order must be 1 or 2, got {order!r}")
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
    if order == 2:
        mismatches += _second_order_mismatches(f, points, labels, eps, rtol, atol)
    if mismatches:
        raise GradcheckError(mismatches, rtol, atol)
    return True


def _first_derivatives(f: Callable[..., Value], xs: Sequence[float]) -> list[float]:
    leaves = [Value(x) for x in xs]
    return [g.data for g in gradients(f(*leaves), leaves)]


def _second_order_mismatches(
    f: Callable[..., Value], points: list[float], labels: list[str], eps: float, rtol: float, atol: float
) -> list[tuple[int, str, float, float]]:
    """(i, "∂²/∂i∂j" label, analytic, numeric) for each second derivative that disagrees."""
    leaves = [Value(x) for x in points]
    first = gradients(f(*leaves), leaves, create_graph=True)
    analytic = [[g.data for g in gradients(d, leaves)] for d in first]
    step = max(eps, 1e-5)  # differences of derivatives lose more digits: a slightly larger step
    columns = [numerical_grad(lambda *xs, i=i: _first_derivatives(f, xs)[i], points, step) for i in range(len(points))]
    names = [label or str(i) for i, label in enumerate(labels)]
    return [
        (i, f"∂²/∂{names[i]}∂{names[j]}", analytic[i][j], columns[i][j])
        for i in range(len(points))
        for j in range(len(points))
        if not abs(analytic[i][j] - columns[i][j]) <= atol + rtol * abs(columns[i][j])
    ]
