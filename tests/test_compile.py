"""Compiled batch mode against the eager graph: outputs and gradients to 1e-9, errors, program shape.

The reference for every test is the eager engine run once per sample on the same parameter Values:
outputs `f(sample)`, gradients of the mean (or sum) of the outputs, accumulated by `backward(1/B)`.
"""

from __future__ import annotations

import gc
import itertools
import math
import random
import warnings
import weakref
from collections.abc import Callable, Sequence

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from autograd_core import Compiled, DomainError, Value, compile, dot, ops

from .reference import UNARY as UNARY_REF
from .reference import apply_op
from nn import MLP, make_moons

TOL = dict(rtol=1e-9, atol=1e-9)


def check(
    f: Callable[..., Value],
    n_inputs: int,
    params: Sequence[Value],
    columns: Sequence[np.ndarray],
    reduction: str = "mean",
) -> Compiled:
    """Compile f(*inputs) once, run it on `columns`, and compare outputs and grads with eager f per sample."""
    placeholders = [Value(float(c[0]), label=f"x{i}") for i, c in enumerate(columns[:n_inputs])]
    prog = compile(f(*placeholders), placeholders)
    for p in params:
        p.grad = 0.0
    out = prog.forward(*columns)
    prog.backward(reduction)
    compiled_grads = [p.grad for p in params]
    for p in params:
        p.grad = 0.0
    batch = len(columns[0])
    expected = []
    for j in range(batch):
        y = f(*(Value(float(c[j])) for c in columns))
        y.backward(1.0 / batch if reduction == "mean" else 1.0)
        expected.append(y.data)
    np.testing.assert_allclose(out, expected, **TOL)
    np.testing.assert_allclose(compiled_grads, [p.grad for p in params], **TOL)
    return prog


# ---- the numpy twins against the scalar primitives ---------------------------------------------

GRID = [-800.0, -3.7, -1.0, -0.5, -0.0, 0.0, 5e-324, 0.3, 1.0, 2.0, 2.5, 800.0, math.inf, -math.inf, math.nan]


def scalar_or_error(fn: Callable[..., tuple[float, ...]], *args: float) -> tuple[float, ...] | type:
    try:
        return fn(*args)
    except (ArithmeticError, ValueError) as e:
        return type(e)


@pytest.mark.parametrize("op", sorted(ops.UNARY) + sorted(ops.BINARY))
def test_every_rule_gives_the_same_numbers_on_arrays_as_on_floats(op: str) -> None:
    """A primitive's one rule over numpy arrays equals it over floats, special values (±0, subnormal,
    ±inf, NaN) included, NaN in the same places; domain errors of the same type, naming the sample."""
    prim = {**ops.UNARY, **ops.BINARY}[op]
    scalar, twin = prim.floats, prim.arrays
    arity = prim.arity
    for point in itertools.product(GRID, repeat=arity):
        ref = scalar_or_error(scalar, *point)
        arrays = [np.array([[0.5, v]]) for v in point]  # sample 0 is harmless, sample 1 the point
        with np.errstate(all="ignore"):  # as in Compiled.forward: the twins check domains themselves
            if isinstance(ref, type):
                with pytest.raises(ref, match="at sample 1") as info:
                    twin(*arrays)
                assert type(info.value) is ref
                continue
            got = twin(*arrays)
        for r, g in zip(ref, got):
            np.testing.assert_allclose(np.broadcast_to(g, (1, 2))[0, 1], r, rtol=1e-12, atol=0, equal_nan=True)


# ---- compiled vs eager, per primitive ---------------------------------------------------------------

rng = np.random.default_rng(0)
POSITIVE = rng.uniform(0.5, 1.5, size=(2, 7))  # every primitive is defined here (log, sqrt, ** too)


@pytest.mark.parametrize("op", sorted(ops.UNARY))
def test_unary_primitive_compiled_equals_eager(op: str) -> None:
    ((lo, hi),) = UNARY_REF[op].domains  # p·x + q stays inside the middle half of the reference domain
    p, q = Value((hi - lo) / 4), Value((lo + hi) / 2 - (hi - lo) / 4)
    check(lambda x: apply_op(op, p * x + q), 1, [p, q], POSITIVE[:1])


@pytest.mark.parametrize("op", sorted(ops.BINARY))
@pytest.mark.parametrize("kinds", ["batch-batch", "batch-param", "param-batch", "param-param"])
def test_binary_primitive_compiled_equals_eager(op: str, kinds: str) -> None:
    p, q, r = Value(0.7), Value(1.3), Value(0.9)

    def f(x1: Value, x2: Value) -> Value:
        a = p * x1 + 0.1 if kinds.startswith("batch") else q
        b = x2 * r if kinds.endswith("batch") else q + 0.2
        return apply_op(op, a, b) * (x1 if kinds == "param-param" else 1.0)

    check(f, 2, [p, q, r], POSITIVE)


def test_constants_stay_constant_and_uniform_expressions_work() -> None:
    p = Value(0.4)
    prog = check(lambda x: (p.exp() * 2.0 + x) ** 2 + p.sin(), 1, [p], POSITIVE[:1])
    assert prog.parameters == [p]
    assert prog.n_constants == 2


# ---- dot ----------------------------------------------------------------------------------------


def test_dot_layer_forms() -> None:
    ws = [Value(v) for v in (0.3, -0.8, 0.5)]
    b = Value(0.1)
    check(lambda x1, x2: dot(ws[:2], [x1, x2], b).tanh() + dot([x1, x2], ws[1:]), 2, [*ws, b], POSITIVE)


def test_dot_with_mixed_operands_repeats_and_constants() -> None:
    p, q, b = Value(0.3), Value(-0.7), Value(0.25)

    def f(x1: Value, x2: Value) -> Value:
        h = x1.tanh()
        return (
            dot([p, x1], [x2, q], b)  # mixed kinds: lowered to * and +
            + dot([p, p], [x1, x2])  # a parameter repeated in W
            + dot([q, 2.0], [h, h], b)  # an operand repeated in X, a constant weight
            + dot([], [], b)
        )  # no terms

    prog = check(f, 2, [p, q, b], POSITIVE)
    assert {i.op for i in prog.program} >= {"dot", "*", "+"}


def moons_model(seed: int = 1337) -> tuple[MLP, np.ndarray, np.ndarray]:
    random.seed(seed)
    model = MLP(2, [16, 16, 1])
    X, y = make_moons(100, noise=0.1, seed=seed)
    return model, X, (y * 2 - 1).astype(float)


def hinge(model: MLP) -> Callable[[Value, Value, Value], Value]:
    return lambda x1, x2, yi: (1 + -yi * model([x1, x2])).relu()


def test_moons_mlp_max_margin_equals_eager() -> None:
    model, X, y = moons_model()
    prog = check(hinge(model), 3, model.parameters(), [X[:, 0], X[:, 1], y])
    assert prog.n_instructions <= 10
    assert {id(p) for p in prog.parameters} == {id(p) for p in model.parameters()}


def test_moons_step_with_eager_l2_equals_micrograd_demo_loss() -> None:
    """compiled mean hinge + eager L2, backward into the same .grad == eager demo total loss backward."""
    model, X, y = moons_model(7)
    params = model.parameters()
    x1, x2, yi = Value(0.0), Value(0.0), Value(0.0)
    prog = compile(hinge(model)(x1, x2, yi), [x1, x2, yi])
    for _ in range(3):
        model.zero_grad()
        data_loss = prog.forward(X[:, 0], X[:, 1], y).mean()
        reg = 1e-4 * sum(p * p for p in params)
        prog.backward()
        reg.backward()
        compiled = [p.grad for p in params]
        model.zero_grad()
        losses = [hinge(model)(Value(a), Value(b), Value(t)) for (a, b), t in zip(X, y)]
        total = sum(losses) * (1.0 / len(losses)) + 1e-4 * sum(p * p for p in params)
        total.backward()
        assert data_loss + reg.data == pytest.approx(total.data, rel=1e-12)
        np.testing.assert_allclose(compiled, [p.grad for p in params], **TOL)
        for p in params:  # SGD: the next forward must see the new .data
            p.data -= 0.5 * p.grad


def test_parameters_read_on_every_forward_and_sum_reduction() -> None:
    p, q = Value(0.5), Value(-1.0)
    f = lambda x: (p * x + q).sigmoid() * p  # noqa: E731
    check(f, 1, [p, q], POSITIVE[:1], "sum")
    p.data, q.data = 2.0, 0.3
    check(f, 1, [p, q], POSITIVE[:1], "mean")


def test_sum_is_batch_times_mean_and_grads_accumulate() -> None:
    p = Value(0.5)
    x = Value(0.0)
    prog = compile((p * x).tanh(), [x])
    prog.forward(np.arange(5.0))
    prog.backward("mean")
    mean = p.grad
    prog.backward("sum")  # leaf grads accumulate, as in eager mode
    assert p.grad == pytest.approx(6 * mean, rel=1e-12)


# ---- random graphs with shared sub-expressions ------------------------------------------------------

SAFE_UNARY = ["neg", "abs", "tanh", "sigmoid", "relu", "softplus", "sin", "cos"]
SAFE_BINARY = ["+", "-", "*", "leaky_relu"]


@st.composite
def recipes(draw: st.DrawFn) -> list[tuple]:
    """Steps building nodes from earlier nodes (picked with repeats: shared sub-expressions)."""
    steps = []
    for n in range(4, 4 + draw(st.integers(1, 14))):
        kind = draw(st.sampled_from(["unary", "binary", "dot", "safe"]))
        pick = st.integers(0, n - 1)
        if kind == "unary":
            steps.append(("u", draw(st.sampled_from(SAFE_UNARY)), draw(pick)))
        elif kind == "binary":
            steps.append(("b", draw(st.sampled_from(SAFE_BINARY)), draw(pick), draw(pick)))
        elif kind == "dot":
            k = draw(st.integers(1, 3))
            steps.append(("d", [draw(pick) for _ in range(2 * k)], draw(st.booleans())))
        else:  # domain-guarded log / sqrt / exp / division / power
            steps.append(("s", draw(st.sampled_from(["log", "sqrt", "exp", "/", "**"])), draw(pick), draw(pick)))
    return steps


def build(recipe: list[tuple], leaves: list[Value]) -> Value:
    nodes = list(leaves)
    for step in recipe:
        if step[0] == "u":
            nodes.append(apply_op(step[1], nodes[step[2]]))
        elif step[0] == "b":
            nodes.append(apply_op(step[1], nodes[step[2]], nodes[step[3]]))
        elif step[0] == "d":
            ops_ = [nodes[i] for i in step[1]]
            k = len(ops_) // 2
            nodes.append(dot(ops_[:k], ops_[k:], nodes[0] if step[2] else None))
        else:
            a, b = nodes[step[2]].tanh(), nodes[step[3]].sigmoid()
            nodes.append(
                {
                    "log": lambda: (a * a + 0.5).log(),
                    "sqrt": lambda: (a * a).sqrt(),
                    "exp": lambda: a.exp(),
                    "/": lambda: a / (b + 0.5),
                    "**": lambda: (b + 0.5) ** a,
                }[step[1]]()
            )
    return sum(nodes[-3:], nodes[-1])


@settings(max_examples=40, deadline=None)
@given(recipes(), st.integers(0, 2**32 - 1))
def test_random_graphs_equal_eager(recipe: list[tuple], seed: int) -> None:
    r = np.random.default_rng(seed)
    params = [Value(v) for v in r.uniform(-1, 1, size=2)]
    columns = r.uniform(-2, 2, size=(2, 5))
    columns[0, 0] = 0.0  # relu/abs at 0: conventions must agree
    check(lambda x1, x2: build(recipe, [x1, params[0], x2, params[1]]), 2, params, columns)


# ---- edge cases of the program -----------------------------------------------------------------------


def test_output_independent_of_inputs_leaf_output_and_unused_input() -> None:
    p = Value(1.5)
    check(lambda x: p.exp() * 3.0, 1, [p], POSITIVE[:1], "sum")
    check(lambda x: p, 1, [p], POSITIVE[:1])
    x, unused = Value(0.0), Value(0.0)
    prog = compile(x * p, [x, unused])
    np.testing.assert_array_equal(prog.forward([1.0, 2.0], [9.0, 9.0]), [1.5, 3.0])
    prog2 = compile(x, [x])
    np.testing.assert_array_equal(prog2.forward([1, 2]), [1.0, 2.0])


def test_listing_and_attributes() -> None:
    model, X, y = moons_model()
    x1, x2, yi = Value(0.0, label="x1"), Value(0.0, label="x2"), Value(0.0, label="y")
    prog = compile(hinge(model)(x1, x2, yi), [x1, x2, yi])
    text = prog.listing()
    assert str(prog) == text
    assert "inputs (x1, x2, y)" in text and "(16×16) @" in text and "relu" in text
    assert len(text.splitlines()) == prog.n_instructions + 5
    assert prog.inputs == (x1, x2, yi) and len(prog.parameters) == 337
    assert "337 parameters" in repr(prog)


def test_compiled_program_does_not_keep_the_graph_alive() -> None:
    p, x = Value(0.3), Value(0.0)
    hidden = (p * x).tanh()
    ref = weakref.ref(hidden)
    prog = compile(hidden + 1.0, [x])
    del hidden
    gc.disable()
    try:
        assert ref() is None
    finally:
        gc.enable()
    assert prog.forward([1.0]).shape == (1,)


def test_no_numpy_warnings_leak() -> None:
    p, x = Value(1e300), Value(0.0)
    prog = compile((p * x * 1e10).relu() - (x * 0.0).sqrt(), [x])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = prog.forward([1.0, 0.0, float("nan")])
        prog.backward()
    assert math.isinf(out[0]) and math.isnan(out[2])


# ---- errors -------------------------------------------------------------------------------------


@pytest.fixture
def small() -> tuple[Compiled, Value]:
    p, x1, x2 = Value(0.5), Value(0.0), Value(0.0)
    return compile(p * x1 + x2, [x1, x2]), p


def test_backward_before_forward(small: tuple[Compiled, Value]) -> None:
    with pytest.raises(RuntimeError, match="forward"):
        small[0].backward()


@pytest.mark.parametrize(
    "columns, message",
    [
        (([1.0],), "expected 2 input column"),
        (([1.0], [1.0], [1.0]), "expected 2 input column"),
        (([1.0, 2.0], [1.0]), "differ in length"),
        (([[1.0]], [[1.0]]), "1-D"),
        ((1.0, 2.0), "1-D"),
        ((["a"], ["b"]), "real numbers"),
        (([None], [1.0]), "real numbers"),
        (([1 + 2j], [1.0]), "real numbers"),
        (([], []), "empty"),
    ],
)
def test_bad_columns(small: tuple[Compiled, Value], columns: tuple, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        small[0].forward(*columns)


def test_bad_reduction(small: tuple[Compiled, Value]) -> None:
    small[0].forward([1.0], [2.0])
    with pytest.raises(ValueError, match="reduction"):
        small[0].backward("max")


def test_bad_compile_arguments() -> None:
    x, p = Value(0.0), Value(1.0)
    with pytest.raises(ValueError, match="not a leaf"):
        compile(x * p, [x * 2])
    with pytest.raises(ValueError, match="repeats"):
        compile(x * p, [x, x])
    with pytest.raises(TypeError, match="Value"):
        compile(x * p, [1.0])
    with pytest.raises(TypeError, match="output"):
        compile(1.0, [x])  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "f, column, error, words",
    [
        (lambda x: x.log(), [1.0, 2.0, 3.0, -1.0, 5.0, 0.0], DomainError, ["log", "sample 3"]),
        (lambda x: (x - 1.0).sqrt(), [1.0, 2.0, 0.5], DomainError, ["sqrt", "sample 2"]),
        (lambda x: 1.0 / (x - 2.0), [1.0, 2.0, 2.0], ZeroDivisionError, ["division", "sample 1"]),
        (lambda x: 1.0 / (x - 2.0), [1.0, 2.0, 2.0], ValueError, ["division", "sample 1"]),
        (lambda x: (x * 1000.0).exp(), [0.1, 0.2, 0.9, 0.8], OverflowError, ["exp", "sample 2"]),
        (lambda x: x**0.5, [4.0, -1.0], DomainError, ["power", "sample 1"]),
        (lambda x: (x - 1.0) ** -1.0, [4.0, 3.0, 1.0], ZeroDivisionError, ["power", "sample 2"]),
        # log fails first (sample 4) but sqrt, later in the program, fails at the earlier sample 1
        (lambda x: x.log() + (x - 0.5).tanh().sqrt(), [1.0, 0.25, 1.0, 1.0, -1.0], DomainError, ["sqrt", "sample 1"]),
    ],
)
def test_domain_errors_name_op_and_first_sample(f: Callable, column: list, error: type, words: list[str]) -> None:
    p, x = Value(1.0), Value(column[0])  # the graph is traced on a valid sample
    prog = compile(f(x) * p, [x])
    with pytest.raises(Exception) as eager:  # the eager engine raises the same type at that sample
        for v in column:
            f(Value(v))
    with pytest.raises(error) as info:
        prog.forward(column)
    assert type(info.value) is type(eager.value)
    for w in words:
        assert w in str(info.value)
    with pytest.raises(RuntimeError):  # a failed forward leaves nothing to differentiate
        prog.backward()
    assert p.grad == 0.0
