"""Special values (±0, subnormals, ±inf, NaN) give the same numbers in eager mode, compiled mode and
the backprop view, NaN in the same places and the same errors: each primitive's one rule, one chain
rule. References: Python's own float arithmetic and `math` (what raises, what returns a number)."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from autograd_core import DomainError, Value, backprop_view, compile, dot, ops
from autograd_core.backprop_view import _backward_uses
from autograd_core.graph import topological_order

from .reference import apply_op

W1, W2 = Value(0.5), Value(-1.5)  # parameters shared by the layer-form dots below
SPECIAL = [0.0, -0.0, 5e-324, -5e-324, 1e-310, 1.0, -1.0, 0.5, -2.5, 3.0, 1e308, -1e308, math.inf, -math.inf, math.nan]
ERRORS = (ArithmeticError, ValueError)


def same(a: float, b: float) -> bool:
    """Equal to 1e-12 relative, NaN equal to NaN, infinities equal in sign."""
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    if math.isinf(a) or math.isinf(b):
        return a == b
    return abs(a - b) <= 1e-12 * max(abs(a), abs(b)) + 1e-300


def eager(op: str, point: tuple[float, ...]) -> tuple[float, list[float], list[float]] | type:
    """(output, ∂out/∂p for each operand's shift p, view's gradients) or the exception type."""
    xs = [Value(x) for x in point]
    ps = [Value(0.0) for _ in point]
    try:
        out = apply_op(op, *(x - p for x, p in zip(xs, ps)))  # x - 0 is x exactly (also for -0.0)
    except ERRORS as e:
        return type(e)
    order = topological_order(out)
    view, _ = _backward_uses(order, {n: i for i, n in enumerate(order)})
    out.backward()
    index = {n: i for i, n in enumerate(order)}
    return out.data, [p.grad for p in ps], [view[index[p]] for p in ps]


def compiled(op: str, point: tuple[float, ...]) -> tuple[float, list[float]] | type:
    xs = [Value(0.7) for _ in point]
    ps = [Value(0.0) for _ in point]
    program = compile(apply_op(op, *(x - p for x, p in zip(xs, ps))), xs)
    try:
        out = program.forward(*([x] for x in point))
    except ERRORS as e:
        return type(e)
    program.backward("sum")
    return float(out[0]), [p.grad for p in ps]


PRIMS = sorted(ops.UNARY) + sorted(ops.BINARY)


@pytest.mark.parametrize("op", PRIMS)
def test_eager_compiled_and_view_agree_on_special_values(op: str) -> None:
    arity = ops.PRIMITIVES[op].arity
    for point in itertools.product(SPECIAL, repeat=arity):
        e, c = eager(op, point), compiled(op, point)
        if isinstance(e, type) or isinstance(c, type):
            assert e == c, f"{op}{point}: eager {e}, compiled {c}"
            continue
        out, grads, view = e
        assert same(out, c[0]), f"{op}{point}: value eager {out!r}, compiled {c[0]!r}"
        for g, gc_, gv in zip(grads, c[1], view):
            assert same(g, gc_), f"{op}{point}: gradient eager {g!r}, compiled {gc_!r}"
            assert same(g, gv), f"{op}{point}: gradient eager {g!r}, view {gv!r}"


@pytest.mark.parametrize("op", PRIMS)
def test_nan_propagates_through_every_primitive_and_derivative(op: str) -> None:
    arity = ops.PRIMITIVES[op].arity
    for i in range(arity):
        point = [0.5] * arity
        point[i] = math.nan
        out, grads, _ = eager(op, tuple(point))  # type: ignore[misc]
        if math.isnan(out):  # e.g. 1 ** nan == 1 in Python: then the output is a number
            assert all(math.isnan(g) for g in grads), f"{op}{point}: {grads}"


@pytest.mark.parametrize("op", PRIMS)
def test_errors_where_python_raises_and_numbers_where_it_returns_them(op: str) -> None:
    """The float reference: the primitive raises exactly where Python/`math` raise for its forward value."""
    reference = {
        "+": lambda x, y: x + y,
        "-": lambda x, y: x - y,
        "*": lambda x, y: x * y,
        "/": lambda x, y: x / y,
        "**": lambda x, y: x**y,
        "leaky_relu": lambda x, a: x if x > 0 else a * x,
        "neg": lambda x: -x,
        "abs": abs,
        "relu": lambda x: x if x > 0 or x != x else 0.0,
        "sigmoid": lambda x: 0.5,
        "softplus": lambda x: 0.5,
    }
    f = reference.get(op) or getattr(math, op)
    arity = ops.PRIMITIVES[op].arity
    for point in itertools.product(SPECIAL, repeat=arity):
        try:
            want = f(*point)
            raised = isinstance(want, complex)
        except ERRORS:
            raised = True
        got = eager(op, point)
        assert isinstance(got, type) == raised, f"{op}{point}: Python raised={raised}, engine {got}"
        if not raised and op not in ("sigmoid", "softplus"):
            assert same(got[0], float(want)), f"{op}{point}: {got[0]!r} vs Python {want!r}"


def test_the_issue_examples() -> None:
    x = Value(0.0)
    y = x.sqrt() * 0 + x  # the 0·inf convention: sqrt's branch gets gradient 0 and passes nothing down
    y.backward()
    assert x.grad == 1.0
    assert [s.grad for s in backprop_view(y).steps if s.node == 0 and s.grad is not None][0] == 1.0
    # compiled agrees at p = 0
    p, t = Value(0.0), Value(1.0)
    f = (p.sqrt() - 1).relu() + p * t
    f.backward()
    program = compile((p.sqrt() - 1).relu() + p * t, [t])
    grad_eager = p.grad
    p.grad = 0.0
    program.forward([1.0])
    program.backward("sum")
    assert p.grad == grad_eager == 1.0
    # NaN is not a dead unit: relu(nan) = nan with gradient nan, abs(nan) = nan, in both modes
    n = Value(math.nan)
    r = n.relu()
    r.backward()
    assert math.isnan(r.data) and math.isnan(n.grad)
    assert math.isnan(abs(Value(math.nan)).data)
    z = Value(0.5)
    program = compile(abs(z * 1.0).relu(), [z])
    assert np.isnan(program.forward([math.nan])).all()
    # x ** 0 at a subnormal: gradient 0, not inf
    s = Value(5e-324)
    (s**0.0).backward()
    assert s.grad == 0.0
    # Python's float arithmetic returns a number: so does the engine; math raises: so does the engine
    assert (Value(-1.0) ** math.inf).data == 1.0
    with pytest.raises(DomainError, match=r"sin\(inf\)"):
        Value(math.inf).sin()


def test_compiled_domain_error_names_the_first_failing_sample() -> None:
    x = Value(1.0)
    program = compile(x.log(), [x])
    with pytest.raises(DomainError, match="at sample 2") as info:
        program.forward([1.0, 2.0, -1.0, 0.0])
    assert info.value.sample == 2


@given(st.lists(st.sampled_from(SPECIAL), min_size=3, max_size=3), st.integers(0, 8))
def test_random_graphs_with_special_inputs_agree_in_all_three(inputs: list[float], which: int) -> None:
    graphs = [
        lambda a, b, c: (a * b + c).tanh() * a.relu() + abs(b - c),
        lambda a, b, c: (a.sigmoid() * b).softplus() - c * c,
        lambda a, b, c: (a - b).relu() + (b * c).sin() * 0,
        lambda a, b, c: a.atan() * b.exp().log1p() + c.leaky_relu(0.1),
        lambda a, b, c: (a * a + b * b + 1).sqrt() / (1 + c * c),
        lambda a, b, c: (a + b + c).cosh().log() - (a * b).expm1(),
        lambda a, b, c: dot([a, b], [c, a], b, activation="relu") * c,
        lambda a, b, c: dot([a, b, c], [c, b, a], activation="sigmoid") + dot([a], [b], None, "tanh"),
        lambda a, b, c: dot([W1, W2], [a, b], c, activation="relu") + dot([W2, W1], [b, c]) ** 2,
    ]
    g = graphs[which]
    xs = [Value(x) for x in inputs]
    shifts = [Value(0.0) for _ in inputs]
    try:
        out = g(*(x - s for x, s in zip(xs, shifts)))
    except ERRORS as e:
        err: type | None = type(e)
    else:
        err = None
    probe = [Value(0.3) for _ in inputs]
    program = compile(g(*(x - s for x, s in zip(probe, shifts))), probe)
    if err is not None:
        with pytest.raises(err):
            program.forward(*([x] for x in inputs))
        return
    order = topological_order(out)
    view, _ = _backward_uses(order, {n: i for i, n in enumerate(order)})
    out.backward()
    eager_grads = [s.grad for s in shifts]
    index = {n: i for i, n in enumerate(order)}
    assert all(same(s.grad, view[index[s]]) for s in shifts)
    for s in shifts:
        s.grad = 0.0
    got = program.forward(*([x] for x in inputs))
    program.backward("sum")
    assert same(out.data, float(got[0]))
    assert all(same(e, s.grad) for e, s in zip(eager_grads, shifts)), (eager_grads, [s.grad for s in shifts])
