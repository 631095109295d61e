"""Random expression DAGs (hypothesis) with shared sub-expressions: backward against central
differences, and against PyTorch float64 when torch is installed (optional)."""

from __future__ import annotations

import math
from typing import Any, Callable

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from autograd_core import Value, gradcheck

# Each op is written once against a tiny interface (+ - * / ** and a `fn` table), so the same program
# runs on Values and on torch tensors. All are smooth and total on the reals.
OPS: dict[str, tuple[int, Callable[..., Any]]] = {
    "add": (2, lambda F, a, b: a + b),
    "sub": (2, lambda F, a, b: a - b),
    "mul": (2, lambda F, a, b: a * b),
    "div": (2, lambda F, a, b: a / (1 + b * b)),
    "square": (1, lambda F, a: a**2),
    "tanh": (1, lambda F, a: F["tanh"](a)),
    "sigmoid": (1, lambda F, a: F["sigmoid"](a)),
    "sin": (1, lambda F, a: F["sin"](a)),
    "cos": (1, lambda F, a: F["cos"](a)),
    "softplus": (1, lambda F, a: F["softplus"](a)),
    "logsq": (1, lambda F, a: F["log"](1 + a * a)),
    "hypot": (1, lambda F, a: F["sqrt"](1 + a * a)),
    "exp_tanh": (1, lambda F, a: F["exp"](F["tanh"](a))),
}
VALUE_FNS = {name: getattr(Value, name) for name in ("tanh", "sigmoid", "sin", "cos", "softplus", "log", "sqrt", "exp")}


@st.composite
def programs(draw: st.DrawFn) -> tuple[list[float], list[tuple[str, int, int]]]:
    """(inputs, instructions); instruction k reads any earlier slot, so sub-expressions are shared."""
    n_in = draw(st.integers(1, 4))
    inputs = draw(st.lists(st.floats(-2, 2, allow_nan=False), min_size=n_in, max_size=n_in))
    prog = []
    for k in range(draw(st.integers(1, 14))):
        op = draw(st.sampled_from(sorted(OPS)))
        slots = n_in + k
        prog.append((op, draw(st.integers(0, slots - 1)), draw(st.integers(0, slots - 1))))
    return inputs, prog


def run(prog: list[tuple[str, int, int]], inputs: list[Any], F: dict[str, Callable]) -> Any:
    slots = list(inputs)
    for op, i, j in prog:
        arity, f = OPS[op]
        slots.append(f(F, slots[i], slots[j]) if arity == 2 else f(F, slots[i]))
    # the output uses the last node and every input, so all inputs have a gradient path
    out = slots[-1]
    for s in slots[: len(inputs)]:
        out = out + s * 0.5
    return out


@given(programs())
def test_random_graphs_match_central_differences(case: tuple[list[float], list]) -> None:
    inputs, prog = case
    try:
        probe = run(prog, [Value(x) for x in inputs], VALUE_FNS)
    except OverflowError:
        assume(False)
    assume(abs(probe.data) < 1e4)
    assert gradcheck(lambda *xs: run(prog, list(xs), VALUE_FNS), inputs, eps=1e-6, rtol=2e-4, atol=1e-5)


@given(programs())
def test_random_graphs_match_torch_float64(case: tuple[list[float], list]) -> None:
    torch = pytest.importorskip("torch")
    inputs, prog = case
    leaves = [Value(x) for x in inputs]
    try:
        out = run(prog, leaves, VALUE_FNS)
    except OverflowError:
        assume(False)
    assume(math.isfinite(out.data) and abs(out.data) < 1e12)
    out.backward()
    tfns = {
        "tanh": torch.tanh,
        "sigmoid": torch.sigmoid,
        "sin": torch.sin,
        "cos": torch.cos,
        "softplus": torch.nn.functional.softplus,
        "log": torch.log,
        "sqrt": torch.sqrt,
        "exp": torch.exp,
    }
    ts = [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in inputs]
    tout = run(prog, ts, tfns)
    tout.backward()
    assert out.data == pytest.approx(tout.item(), rel=1e-12, abs=1e-12)
    for leaf, t in zip(leaves, ts):
        assert leaf.grad == pytest.approx(t.grad.item(), rel=1e-9, abs=1e-9)
