"""grad, value_and_grad, hessian, gradients, jvp and gradcheck(order=2), against hand-derived formulas,
central differences of the first derivative, PyTorch double backward (optional) and reverse mode."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

import nn
from autograd_core import (
    GradcheckError,
    Value,
    dot,
    gradcheck,
    gradients,
    grad,
    hessian,
    jvp,
    numerical_grad,
    ops,
    value_and_grad,
)

from .reference import BINARY, UNARY, apply_op
from .test_random_graphs import VALUE_FNS, programs, run


def bowl(x, y):
    return 2 + 3 * x**2 + 4 * y**2


# ---- grad, exact examples ------------------------------------------------------------------------


def test_grad_of_the_posts_bowl_is_60_80_at_10_10() -> None:
    g = grad(bowl, argnums=(0, 1))(10.0, 10.0)
    assert g == (60.0, 80.0) and all(type(d) is float for d in g)
    assert grad(bowl)(10.0, 10.0) == 60.0
    assert grad(bowl, argnums=1)(10.0, 10.0) == 80.0
    assert grad(bowl, argnums=-1)(10.0, 10.0) == 80.0


def test_value_and_grad_gives_the_value_and_the_gradient() -> None:
    value, g = value_and_grad(bowl, argnums=(0, 1))(10.0, 10.0)
    assert value == 702.0 and g == (60.0, 80.0)


def test_hessian_of_the_bowl_and_the_stable_learning_rate() -> None:
    h = hessian(bowl)(10.0, 10.0)
    np.testing.assert_array_equal(h, [[6.0, 0.0], [0.0, 8.0]])
    assert 2 / np.linalg.eigvalsh(h).max() == 0.25  # gradient descent diverges above lr = 0.25
    # one Newton step x - H⁻¹∇f lands at the minimum of a quadratic
    step = np.array([10.0, 10.0]) - np.linalg.solve(h, grad(bowl, argnums=(0, 1))(10.0, 10.0))
    np.testing.assert_array_equal(step, [0.0, 0.0])


def tanh3(x: float) -> float:
    """d³/dx³ tanh x = −2 sech²x (sech²x − 2 tanh²x)."""
    t, s2 = math.tanh(x), 1 / math.cosh(x) ** 2
    return -2 * s2 * (s2 - 2 * t * t)


def sigmoid3(x: float) -> float:
    """d³/dx³ σ = σ(1−σ)(1 − 6σ + 6σ²)."""
    s = 1 / (1 + math.exp(-x))
    return s * (1 - s) * (1 - 6 * s + 6 * s * s)


@pytest.mark.parametrize("x", [-2.0, -0.3, 0.0, 0.5, 1.7])
def test_third_derivatives_of_tanh_and_sigmoid_match_closed_forms(x: float) -> None:
    assert grad(grad(grad(lambda v: v.tanh())))(x) == pytest.approx(tanh3(x), rel=1e-12, abs=1e-14)
    assert grad(grad(grad(lambda v: v.sigmoid())))(x) == pytest.approx(sigmoid3(x), rel=1e-12, abs=1e-14)


def test_values_in_give_values_out_with_graphs() -> None:
    x = Value(0.5)
    d = grad(lambda v: v**3)(x)
    assert isinstance(d, Value) and d.data == pytest.approx(0.75)
    d.backward()  # d = 3x² is differentiable again: d' = 6x
    assert x.grad == pytest.approx(3.0)


def test_nested_grad_sees_the_outer_variable() -> None:
    """grad inside grad over a closure: d/dx [d/dy (x·y)] = 1 (no perturbation confusion)."""
    assert grad(lambda x: grad(lambda y: x * y)(2.0))(3.0) == 1.0
    assert grad(lambda x: x * grad(lambda y: x * y**2)(2.0))(3.0) == pytest.approx(2 * 4 * 3.0)


def test_inner_transformation_called_at_the_outer_variable_differentiates_its_own_argument() -> None:
    """grad(f)(x) is f'(x) even when f also closes over x: d/dx [∂(x·y)/∂y at y = x] = d/dx x = 1 (JAX
    gives the same). Differentiating every use of x instead (perturbation confusion) would give 2."""
    assert grad(lambda x: grad(lambda y: x * y)(x))(3.0) == 1.0
    assert grad(lambda x: grad(lambda y: x * y * y)(x))(3.0) == 12.0  # d/dx 2x²
    assert grad(lambda x: jvp(lambda y: x * y, (x,), (1.0,))[1])(3.0) == 1.0
    assert jvp(lambda x: grad(lambda y: x * y)(x), (3.0,), (1.0,)) == (3.0, 1.0)
    w = Value(2.0)  # a Value that f also closes over: grad(f)(w) is still f'(w)
    assert grad(lambda v: v * w)(w).data == 2.0 and w.grad == 0.0


def test_the_same_value_or_position_twice_gives_each_argument_its_own_derivative() -> None:
    v = Value(3.0)
    assert [g.data for g in grad(lambda a, b: a * b, argnums=(0, 1))(v, v)] == [3.0, 3.0]
    assert hessian(lambda a, b: a * b)(v, v).tolist() == [[0.0, 1.0], [1.0, 0.0]]
    value, tangent = jvp(lambda a, b: a * b, (v, v), (1.0, 0.0))
    assert (value.data, tangent.data) == (9.0, 3.0)
    assert grad(lambda x, y: x * y, argnums=(0, 0))(2.0, 3.0) == (3.0, 3.0)
    assert grad(lambda x, y: x * y, argnums=np.int64(1))(2.0, 3.0) == 2.0


def test_parameters_a_function_closes_over_are_constants() -> None:
    w = Value(3.0)
    assert grad(lambda x: w * x * x)(2.0) == 12.0
    assert w.grad == 0.0


# ---- every primitive at second order ---------------------------------------------------------------

ALL = [(op, UNARY[op]) for op in sorted(UNARY)] + [(op, BINARY[op]) for op in sorted(BINARY)]


def _points(ref) -> list[tuple[float, ...]]:
    rng = np.random.default_rng(7)
    pts = []
    while len(pts) < 6:
        xs = tuple(float(rng.uniform(lo + 0.1 * (hi - lo), hi - 0.1 * (hi - lo))) for lo, hi in ref.domains)
        if ref.kink is None or abs(xs[0] - ref.kink) > 0.05:
            pts.append(xs)
    return pts


@pytest.mark.parametrize("op, ref", ALL, ids=[a[0] for a in ALL])
def test_second_derivatives_match_central_differences_of_the_first(op: str, ref) -> None:
    for xs in _points(ref):
        n = len(xs)
        f = lambda *v: apply_op(op, *(a if isinstance(a, Value) else Value(a) for a in v))  # noqa: E731
        h = hessian(f)(*xs)
        for i in range(n):
            first_i = lambda *p: grad(f, argnums=i)(*p)  # noqa: E731
            numeric = numerical_grad(first_i, xs, eps=1e-5)
            np.testing.assert_allclose(h[i], numeric, rtol=1e-5, atol=1e-6, err_msg=f"{op} at {xs}")


@pytest.mark.parametrize("op, ref", ALL, ids=[a[0] for a in ALL])
def test_second_derivatives_match_torch_double_backward(op: str, ref) -> None:
    torch = pytest.importorskip("torch")
    T = {
        "neg": lambda a: -a,
        "abs": torch.abs,
        "relu": torch.relu,
        "sigmoid": torch.sigmoid,
        "softplus": torch.nn.functional.softplus,
        "+": torch.add,
        "-": torch.sub,
        "*": torch.mul,
        "/": torch.div,
        "**": torch.pow,
        "leaky_relu": lambda x, a: torch.where(x > 0, x, a * x),
        "asin": torch.asin,
        "acos": torch.acos,
        "atan": torch.atan,
    }
    fn = T.get(op) or getattr(torch, op)
    for xs in _points(ref):
        ts = [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in xs]
        out = fn(*ts)
        (firsts) = torch.autograd.grad(out, ts, create_graph=True)
        want = [
            [
                float(torch.autograd.grad(d, t, retain_graph=True, allow_unused=True)[0] or 0.0)
                if d.requires_grad
                else 0.0
                for t in ts
            ]
            for d in firsts
        ]
        got = hessian(lambda *v: apply_op(op, *v))(*xs)
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12, err_msg=f"{op} at {xs}")


def test_pow_with_a_value_exponent_at_second_order() -> None:
    # f = x^y: ∂²f/∂y² = x^y ln²x, ∂²f/∂x∂y = x^(y-1)(1 + y ln x)
    h = hessian(lambda x, y: x**y)(2.0, 3.0)
    assert h[1, 1] == pytest.approx(8 * math.log(2) ** 2, rel=1e-12)
    assert h[0, 1] == h[1, 0] == pytest.approx(4 * (1 + 3 * math.log(2)), rel=1e-12)
    assert h[0, 0] == pytest.approx(6 * 2.0, rel=1e-12)


@pytest.mark.parametrize("activation", [None, "relu", "tanh", "sigmoid"])
def test_fused_dot_at_second_order_equals_the_unfused_composition(activation: str | None) -> None:
    def fused(w1, w2, x1, x2, b):
        return dot([w1, w2], [x1, x2], b, activation=activation) ** 2

    def plain(w1, w2, x1, x2, b):
        z = w1 * x1 + w2 * x2 + b
        return (z if activation is None else getattr(z, activation)()) ** 2

    point = (0.4, -0.7, 1.3, 0.6, 0.2)
    np.testing.assert_allclose(hessian(fused)(*point), hessian(plain)(*point), rtol=1e-12, atol=1e-14)


def test_hessian_of_a_neurons_output_matches_finite_differences() -> None:
    neuron = nn.Neuron(3, activation="tanh", rng=0)

    def f(*xs):
        return neuron(list(xs))

    point = (0.3, -0.2, 0.8)
    h = hessian(f)(*point)
    for i in range(3):
        numeric = numerical_grad(lambda *p, i=i: grad(f, argnums=i)(*p), point, eps=1e-5)
        np.testing.assert_allclose(h[i], numeric, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(h, h.T, rtol=1e-12, atol=1e-15)
    assert all(p.grad == 0.0 for p in neuron.parameters())  # hessian never touches .grad


def test_hessian_of_an_mlp_loss_wrt_inputs_is_symmetric_and_matches_differences() -> None:
    model = nn.MLP(2, [4, 1], activation="tanh", rng=1)
    f = lambda a, b: (model([a, b]) - 0.5) ** 2  # noqa: E731
    h = hessian(f)(0.2, -0.4)
    numeric = [numerical_grad(lambda *p, i=i: grad(f, argnums=i)(*p), (0.2, -0.4), eps=1e-5) for i in range(2)]
    np.testing.assert_allclose(h, numeric, rtol=1e-5, atol=1e-7)


# ---- gradients(): torch.autograd.grad ------------------------------------------------------------


def test_gradients_leave_grad_untouched_and_create_graph_differentiates_again() -> None:
    x, y = Value(2.0), Value(3.0)
    out = x * x * y
    gx, gy = gradients(out, [x, y])
    assert (gx.data, gy.data) == (12.0, 4.0) and gx.is_leaf
    assert x.grad == y.grad == 0.0 and out.grad == 0.0
    gx, gy = gradients(out, [x, y], create_graph=True)
    (gxx, gxy) = gradients(gx, [x, y])  # ∂(2xy)/∂x = 2y, ∂(2xy)/∂y = 2x
    assert (gxx.data, gxy.data) == (6.0, 4.0)
    assert x.grad == 0.0


def test_gradients_of_an_unrelated_input_is_zero() -> None:
    x, z = Value(2.0), Value(5.0)
    (gz,) = gradients(x * 3, [z], create_graph=True)
    assert gz.data == 0.0


def test_gradient_penalty_trains_through_the_gradient() -> None:
    """A gradient penalty: d/dw of (∂L/∂x)² where L = (w·x)², by create_graph."""
    w, x = Value(0.5), Value(2.0)
    loss = (w * x) ** 2
    (gx,) = gradients(loss, [x], create_graph=True)  # 2w²x
    penalty = gx**2  # 4w⁴x²
    penalty.backward()
    assert w.grad == pytest.approx(16 * 0.5**3 * 4.0)


@pytest.mark.parametrize(
    "call, exc, match",
    [
        (lambda: grad(bowl, argnums=2)(1.0, 2.0), ValueError, "argnums 2 does not fit a call with 2"),
        (lambda: grad(bowl, argnums=())(1.0, 2.0), ValueError, "argnums is empty"),
        (lambda: grad(bowl)("a", 2.0), TypeError, "argument 0 must be a number or a Value, got str"),
        (lambda: grad(lambda x: 3.0)(1.0), TypeError, "must return a Value"),
        (lambda: gradients(Value(1.0), [2.0]), TypeError, r"inputs\[0\] must be a Value"),
        (lambda: jvp(bowl, (1.0, 2.0), (1.0,)), ValueError, "2 primal"),
        (lambda: jvp(bowl, (1.0, 2.0), (1.0, "x")), TypeError, r"tangents\[1\]"),
        (lambda: gradcheck(bowl, [1.0, 2.0], order=3), ValueError, "order must be 1 or 2"),
        (lambda: hessian(lambda: Value(1.0))(), TypeError, "at least one argument"),
    ],
)
def test_bad_input_raises_a_clear_error(call, exc: type, match: str) -> None:
    with pytest.raises(exc, match=match):
        call()


# ---- forward mode --------------------------------------------------------------------------------


def test_jvp_of_the_bowl() -> None:
    value, tangent = jvp(bowl, (10.0, 10.0), (1.0, 2.0))
    assert value == 702.0 and tangent == 60.0 * 1 + 80.0 * 2


def test_jvp_with_several_outputs() -> None:
    values, tangents = jvp(lambda t: [t.sin(), t.cos(), t * t], (0.5,), (1.0,))
    assert values == pytest.approx((math.sin(0.5), math.cos(0.5), 0.25))
    assert tangents == pytest.approx((math.cos(0.5), -math.sin(0.5), 1.0))


def test_jvp_with_values_is_differentiable_again() -> None:
    x = Value(0.5)
    _, t = jvp(lambda v: v.exp() * v, (x,), (1.0,))  # t = e^x (1 + x)
    assert t.data == pytest.approx(math.exp(0.5) * 1.5)
    t.backward()  # d/dx e^x(1 + x) = e^x (2 + x)
    assert x.grad == pytest.approx(math.exp(0.5) * 2.5)


@given(programs(), st.lists(st.floats(-2, 2, allow_nan=False), min_size=4, max_size=4))
def test_jvp_equals_the_backward_gradient_projected_on_the_tangent(case, direction) -> None:
    inputs, prog = case
    tangents = direction[: len(inputs)]
    f = lambda *xs: run(prog, list(xs), VALUE_FNS)  # noqa: E731
    leaves = [Value(x) for x in inputs]
    try:
        out = f(*leaves)
    except OverflowError:
        assume(False)
    assume(math.isfinite(out.data) and abs(out.data) < 1e8)
    out.backward()
    value, tangent = jvp(f, inputs, tangents)
    assert value == out.data
    projected = sum(leaf.grad * t for leaf, t in zip(leaves, tangents))
    assert tangent == pytest.approx(projected, rel=1e-9, abs=1e-9)


# ---- gradcheck(order=2) --------------------------------------------------------------------------


def test_gradcheck_order_2_passes_on_smooth_functions() -> None:
    assert gradcheck(lambda x, y: (x * y).sin() + x.exp() / (1 + y * y), [0.3, -0.8], order=2)
    assert gradcheck(lambda a, b: dot([a, b], [b, a], 0.1, activation="tanh"), [0.4, 0.9], order=2)


def test_gradcheck_order_2_catches_a_wrong_second_derivative() -> None:
    from autograd_core import primitive

    @primitive("bad_square_test")  # value x², first derivative right, but written as 2·x.data: a constant
    def bad_square(m, x):
        return x * x, 2.0 * getattr(x, "data", x)

    assert gradcheck(lambda x: bad_square(x), [1.5])  # first order is right
    with pytest.raises(GradcheckError, match="∂²/∂0∂0"):
        gradcheck(lambda x: bad_square(x), [1.5], order=2)


def test_every_primitive_in_the_table_is_tested_at_second_order() -> None:
    assert {op for op, _ in ALL} == set(ops.UNARY) | set(ops.BINARY)
