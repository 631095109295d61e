"""micrograd's own engine checks against PyTorch (float64), on our Value. Skipped without torch.

The expressions are micrograd's test/test_engine.py ones; each is written once and run on both
libraries. The first comparison is exact equality, as in micrograd.
"""

from __future__ import annotations

from typing import Any

import pytest

from autograd_core import Value

torch = pytest.importorskip("torch")


def sanity(x: Any) -> Any:
    z = 2 * x + 2 + x
    q = z.relu() + z * x
    h = (z * z).relu()
    return h + q + q * x


def more_ops(a: Any, b: Any) -> Any:
    c = a + b
    d = a * b + b**3
    c = c + (c + 1)
    c = c + (1 + c + (-a))
    d = d + (d * 2 + (b + a).relu())
    d = d + (3 * d + (b - a).relu())
    e = c - d
    f = e**2
    g = f / 2.0
    return g + 10.0 / f


def tensor(x: float) -> Any:
    return torch.tensor([x], dtype=torch.float64, requires_grad=True)


def test_sanity_check_exactly_equal() -> None:
    x = Value(-4.0)
    y = sanity(x)
    y.backward()
    xt = tensor(-4.0)
    yt = sanity(xt)
    yt.backward()
    assert y.data == yt.item()
    assert x.grad == xt.grad.item()


def test_more_ops() -> None:
    a, b = Value(-4.0), Value(2.0)
    g = more_ops(a, b)
    g.backward()
    at, bt = tensor(-4.0), tensor(2.0)
    gt = more_ops(at, bt)
    gt.backward()
    assert abs(g.data - gt.item()) < 1e-6
    assert abs(a.grad - at.grad.item()) < 1e-6
    assert abs(b.grad - bt.grad.item()) < 1e-6


@pytest.mark.parametrize("name", ["tanh", "exp", "sigmoid", "sin", "cos", "relu", "softplus", "log", "sqrt", "abs"])
@pytest.mark.parametrize("x0", [-1.0, 0.123, 2.0])
def test_unary_functions(name: str, x0: float) -> None:
    if name in ("log", "sqrt") and x0 <= 0:
        x0 = -x0
    x = Value(x0)
    y = abs(x) if name == "abs" else getattr(x, name)()
    y.backward()
    xt = tensor(x0)
    tf = torch.nn.functional.softplus if name == "softplus" else getattr(torch, name)
    yt = tf(xt)
    yt.backward()
    assert y.data == pytest.approx(yt.item(), rel=1e-14, abs=1e-15)
    assert x.grad == pytest.approx(xt.grad.item(), rel=1e-14, abs=1e-15)


def test_leaky_relu_and_powers() -> None:
    for x0 in (-2.0, 3.0):
        x = Value(x0)
        y = x.leaky_relu(0.1) + x**3 + 2**x + abs(x) ** 0.5
        y.backward()
        xt = tensor(x0)
        yt = torch.nn.functional.leaky_relu(xt, 0.1) + xt**3 + 2**xt + xt.abs() ** 0.5
        yt.backward()
        assert y.data == pytest.approx(yt.item(), rel=1e-14)
        assert x.grad == pytest.approx(xt.grad.item(), rel=1e-12)
