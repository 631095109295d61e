"""Every primitive against an independent reference: forward vs `math`, local derivatives vs central
differences of the reference function. Parametrised over the op tables (see tests/reference.py)."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from autograd_core import Value, dot, ops

from .reference import BINARY, UNARY, Ref, apply_op


def points(ref: Ref) -> st.SearchStrategy[tuple[float, ...]]:
    return st.tuples(*(st.floats(lo, hi, allow_nan=False) for lo, hi in ref.domains))


def central(f, xs: tuple[float, ...], i: int, h: float = 1e-6) -> float:
    up = list(xs)
    down = list(xs)
    up[i] += h
    down[i] -= h
    return (f(*up) - f(*down)) / (2 * h)


def near_kink(ref: Ref, xs: tuple[float, ...]) -> bool:
    return ref.kink is not None and abs(xs[0] - ref.kink) < 1e-3


def test_every_primitive_has_a_reference() -> None:
    assert set(ops.UNARY) == set(UNARY)
    assert set(ops.BINARY) == set(BINARY)


ALL = [(op, ops.UNARY[op], UNARY[op]) for op in UNARY] + [(op, ops.BINARY[op], BINARY[op]) for op in BINARY]


@pytest.mark.parametrize("op, prim, ref", ALL, ids=[a[0] for a in ALL])
def test_forward_matches_reference(op: str, prim, ref: Ref) -> None:
    @given(points(ref))
    def check(xs: tuple[float, ...]) -> None:
        out = prim.floats(*xs)[0]
        assert out == pytest.approx(ref.f(*xs), rel=1e-12, abs=1e-12)

    check()


@pytest.mark.parametrize("op, prim, ref", ALL, ids=[a[0] for a in ALL])
def test_local_derivatives_match_central_differences(op: str, prim, ref: Ref) -> None:
    @given(points(ref))
    def check(xs: tuple[float, ...]) -> None:
        if near_kink(ref, xs):
            return
        local = prim.floats(*xs)[1:]
        for i, d in enumerate(local):
            numeric = central(ref.f, xs, i)
            assert d == pytest.approx(numeric, rel=1e-5, abs=1e-5), f"d{op}/dx{i} at {xs}"

    check()


@pytest.mark.parametrize("op, prim, ref", ALL, ids=[a[0] for a in ALL])
def test_value_api_builds_one_node_and_backpropagates(op: str, prim, ref: Ref) -> None:
    xs = tuple((lo + hi) / 2 + 0.137 for lo, hi in ref.domains)
    leaves = [Value(x) for x in xs]
    out = apply_op(op, *leaves)
    assert out._op == op
    assert out._prev == tuple(leaves)
    assert out.data == prim.floats(*xs)[0]
    out.backward()
    assert [leaf.grad for leaf in leaves] == list(prim.floats(*xs)[1:])


def test_dot_matches_sum_of_products_and_its_derivatives() -> None:
    ws = [Value(w) for w in (0.5, -1.5, 2.0)]
    xs = [Value(x) for x in (3.0, 0.25, -1.0)]
    b = Value(0.75)
    out = dot(ws, xs, b)
    assert out._op == "dot" and len(out._prev) == 7
    assert out.data == 0.5 * 3.0 + -1.5 * 0.25 + 2.0 * -1.0 + 0.75
    out.backward()
    assert [w.grad for w in ws] == [3.0, 0.25, -1.0]
    assert [x.grad for x in xs] == [0.5, -1.5, 2.0]
    assert b.grad == 1.0


def test_dot_accepts_numbers_and_checks_lengths() -> None:
    ws = [Value(2.0), Value(3.0)]
    out = dot(ws, [1, 4.0])
    assert out.data == 14.0
    out.backward()
    assert [w.grad for w in ws] == [1.0, 4.0]
    with pytest.raises(ValueError, match="differ in length"):
        dot(ws, [1.0])


@pytest.mark.parametrize("x", [1000.0, -1000.0, 1e308, -1e308, 0.0])
@pytest.mark.parametrize("op", ["sigmoid", "tanh", "softplus"])
def test_saturating_functions_stay_finite(op: str, x: float) -> None:
    v = Value(x)
    out = getattr(v, op)()
    out.backward()
    assert math.isfinite(out.data) and math.isfinite(v.grad)
    limits = {  # (value, derivative) as x -> +inf / -inf
        "sigmoid": ((1.0, 0.0), (0.0, 0.0)),
        "tanh": ((1.0, 0.0), (-1.0, 0.0)),
        "softplus": ((x, 1.0), (0.0, 0.0)),
    }
    if abs(x) >= 1000:
        value, grad = limits[op][0 if x > 0 else 1]
        assert out.data == pytest.approx(value) and v.grad == pytest.approx(grad, abs=1e-300)


def test_derivative_conventions_at_kinks() -> None:
    """Documented conventions: relu'(0) = 0, abs'(0) = 0, sqrt'(0) = inf, d/dy x**y = 0 at x <= 0."""
    assert ops.relu.floats(0.0) == (0.0, 0.0)
    assert ops.abs_.floats(0.0) == (0.0, 0.0)
    assert ops.sqrt.floats(0.0) == (0.0, math.inf)
    assert ops.pow.floats(0.0, 2.0) == (0.0, 0.0, 0.0)
    assert ops.pow.floats(0.0, 0.5) == (0.0, math.inf, 0.0)
    assert ops.pow.floats(-2.0, 3.0) == (-8.0, 12.0, 0.0)
    assert ops.pow.floats(-2.0, 2.0)[1] == -4.0
    assert ops.pow.floats(5e-324, 0.0) == (1.0, 0.0, math.log(5e-324))  # d/dx x**0 = 0 where x**-1 overflows


@pytest.mark.parametrize("activation", ["relu", "tanh", "sigmoid"])
@pytest.mark.parametrize("bias", [0.75, -9.0])  # -9 makes the ReLU dead
def test_dot_with_fused_activation_equals_the_composition(activation: str, bias: float) -> None:
    def leaves() -> tuple[list[Value], list[Value], Value]:
        return [Value(0.5), Value(-1.5), Value(2.0)], [Value(3.0), Value(0.25), Value(-1.0)], Value(bias)

    ws, xs, b = leaves()
    fused = dot(ws, xs, b, activation=activation)
    assert fused._op == f"{activation}∘dot" and len(fused._prev) == 7
    (fused * 3).backward()
    ws2, xs2, b2 = leaves()
    plain = getattr(dot(ws2, xs2, b2), activation)()
    (plain * 3).backward()
    assert fused.data == plain.data
    assert [v.grad for v in (*ws, *xs, b)] == [v.grad for v in (*ws2, *xs2, b2)]


def test_dot_rejects_unknown_activation() -> None:
    with pytest.raises(ValueError, match="activation must be one of relu, tanh, sigmoid"):
        dot([Value(1.0)], [Value(1.0)], activation="softmax")
