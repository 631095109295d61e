"""numerical_grad and gradcheck: they agree with hand-derived gradients and fail when they should."""

from __future__ import annotations

import math

import pytest

from autograd_core import GradcheckError, Value, gradcheck, numerical_grad


def test_numerical_grad_matches_hand_derivatives() -> None:
    g = numerical_grad(lambda x, y: x**2 * y + math.sin(y), [3.0, 0.5])
    assert g == pytest.approx([2 * 3.0 * 0.5, 9.0 + math.cos(0.5)], rel=1e-7)


def test_numerical_grad_accepts_value_returning_functions_and_scales_the_step() -> None:
    assert numerical_grad(lambda x: Value(x).exp(), [1.0]) == pytest.approx([math.e], rel=1e-8)
    big = 1e8
    assert numerical_grad(lambda x: x * x, [big]) == pytest.approx([2 * big], rel=1e-6)


def test_gradcheck_passes_for_correct_gradients_and_leaves_inputs_alone() -> None:
    a, b = Value(0.3, label="a"), Value(-1.2, label="b")
    a.grad = 5.0
    assert gradcheck(lambda a, b: (a * b).tanh() + a.sigmoid() / (b * b) + (a - b).softplus(), [a, b]) is True
    assert a.grad == 5.0 and b.grad == 0.0
    assert gradcheck(lambda x: x.log() * x.sqrt(), [2.5]) is True


def test_gradcheck_fails_at_relu_kink() -> None:
    """At x = 0 backward says relu'(0) = 0 while the central difference sees 1/2."""
    with pytest.raises(GradcheckError) as info:
        gradcheck(lambda x: x.relu(), [Value(0.0, label="x")])
    ((index, label, analytic, numeric),) = info.value.mismatches
    assert (index, label, analytic) == (0, "x", 0.0)
    assert numeric == pytest.approx(0.5)
    assert "input 0 (x): analytic 0.0, numeric 0.5" in str(info.value)


def test_gradcheck_catches_a_wrong_derivative() -> None:
    """A function whose backward is deliberately wrong: detach the second factor through .data."""

    def wrong(x: Value) -> Value:
        return x * Value(x.data)  # backward sees d/dx = x, the truth is 2x

    with pytest.raises(GradcheckError, match="input 0"):
        gradcheck(wrong, [1.5])


def test_gradcheck_rejects_non_value_results() -> None:
    with pytest.raises(TypeError, match="must return a Value"):
        gradcheck(lambda x: 1.0, [Value(1.0)])
