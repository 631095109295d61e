"""The primitives: for each one, its forward value and its local derivative(s), in one place.

Every function here works on plain floats and returns the output followed by the partial derivative
of the output with respect to each operand:

    unary  f(x)    -> (f, df/dx)
    binary f(x, y) -> (f, df/dx, df/dy)
    dot(w, x, b)   -> (w·x + b, (df/dw_1.., df/dx_1.., df/db))

`value.py` only turns these into graph nodes; `graph.py` multiplies the stored local derivatives by the
upstream gradient (the chain rule). No derivative math lives anywhere else.

Right after each scalar primitive comes its numpy twin `name_v`: the same formula over arrays (a
whole batch of samples along the last axis), returning the value and the local derivatives the same
way; `VECTOR` maps each op to its twin. `compile.py` replays graphs with them. A twin's domain errors
have the scalar function's exception type and name the first offending sample.

Domain errors are raised here, at forward time, before any node exists, so a failed operation leaves
the graph and every gradient untouched. Conventions at points where a derivative is undefined:
relu'(0) = 0 (as micrograd), abs'(0) = 0, d/dy x**y = 0 where x <= 0, sqrt'(0) = d/dx x**p at 0 = inf
for 0 < p < 1.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from operator import mul as _mul
from typing import Any

import numpy as np

__all__ = [
    "DomainError",
    "ZeroDivisionDomainError",
    "UNARY",
    "BINARY",
    "dot",
    "VECTOR",
    "dot_v",
]

Array = Any  # a numpy array (or a float broadcasting against one)

_exp = math.exp
_log = math.log
_log1p = math.log1p
_tanh = math.tanh
_inf = math.inf


class DomainError(ValueError):
    """An operand lies outside the domain of a primitive (log of x <= 0, sqrt of x < 0, ...)."""


class ZeroDivisionDomainError(DomainError, ZeroDivisionError):
    """Division by zero, or 0 raised to a negative power: both a ValueError and a ZeroDivisionError."""


def _batch_error(cls: type[Exception], what: str, why: str, bad: np.ndarray, **operands: Array) -> Exception:
    """`cls("what at sample j (x=…): why")` for the FIRST offending sample of a batch, kept as `.sample`.

    The numpy twins below (name_v) evaluate a primitive for many samples at once; samples run along
    the last axis (rows are the nodes of one compiled instruction), so the first offending sample is
    the smallest column index holding a True.
    """
    bad = np.atleast_1d(bad)
    flat = bad.reshape(-1, bad.shape[-1])
    cols = flat.any(axis=0)
    j = int(np.argmax(cols))
    row = int(np.argmax(flat[:, j]))
    vals = ", ".join(
        f"{name}={float(np.broadcast_to(v, bad.shape).reshape(flat.shape)[row, j])!r}" for name, v in operands.items()
    )
    err = cls(f"{what} at sample {j} ({vals}; {int(cols.sum())} sample(s) affected): {why}")
    err.sample = j  # type: ignore[attr-defined]
    return err


# ---------------------------------------------------------------------------------------------------
# binary primitives: f(x, y) -> (f, df/dx, df/dy)


def add(x: float, y: float) -> tuple[float, float, float]:
    """x + y;  d/dx = 1, d/dy = 1."""
    return x + y, 1.0, 1.0


def add_v(x: Array, y: Array) -> tuple[Array, float, float]:
    """x + y over arrays;  d/dx = 1, d/dy = 1."""
    return x + y, 1.0, 1.0


def sub(x: float, y: float) -> tuple[float, float, float]:
    """x - y;  d/dx = 1, d/dy = -1."""
    return x - y, 1.0, -1.0


def sub_v(x: Array, y: Array) -> tuple[Array, float, float]:
    """x - y over arrays;  d/dx = 1, d/dy = -1."""
    return x - y, 1.0, -1.0


def mul(x: float, y: float) -> tuple[float, float, float]:
    """x · y;  d/dx = y, d/dy = x."""
    return x * y, y, x


def mul_v(x: Array, y: Array) -> tuple[Array, Array, Array]:
    """x · y over arrays;  d/dx = y, d/dy = x."""
    return x * y, y, x


def div(x: float, y: float) -> tuple[float, float, float]:
    """x / y;  d/dx = 1/y, d/dy = -x/y²."""
    if y == 0.0:
        raise ZeroDivisionDomainError(
            f"division by zero in {x!r} / {y!r}: the divisor is 0; add a small epsilon to it or guard the case"
        )
    out = x / y
    return out, 1.0 / y, -out / y


def div_v(x: Array, y: Array) -> tuple[Array, Array, Array]:
    """x / y over arrays;  d/dx = 1/y, d/dy = -x/y²."""
    bad = y == 0.0
    if bad.any():
        raise _batch_error(ZeroDivisionDomainError, "division x / y", "the divisor is 0", bad, x=x, y=y)
    out = x / y
    return out, 1.0 / y, -out / y


def pow(x: float, y: float) -> tuple[float, float, float]:
    """x ** y;  d/dx = y·x^(y-1), d/dy = x^y·ln x (taken as 0 where x <= 0)."""
    if x == 0.0 and y < 0.0:
        raise ZeroDivisionDomainError(
            f"power {x!r} ** {y!r}: 0 raised to a negative power is a division by zero"
        )
    if x < 0.0 and not y.is_integer():
        raise DomainError(
            f"power {x!r} ** {y!r}: a negative base needs an integer exponent (the result would be complex)"
        )
    try:
        out = x**y
    except OverflowError:
        raise OverflowError(f"power {x!r} ** {y!r} overflows a float; use smaller operands") from None
    if x != 0.0:
        try:
            dx = y * x ** (y - 1.0)
        except OverflowError:  # |x| tiny and y < 1: x^(y-1) = out/x has the sign of out·x
            dx = math.copysign(_inf, y * out * x)
    elif y > 1.0 or y == 0.0:
        dx = 0.0
    elif y == 1.0:
        dx = 1.0
    else:  # 0 < y < 1: vertical tangent at 0
        dx = _inf
    dy = out * _log(x) if x > 0.0 else 0.0
    return out, dx, dy


def pow_v(x: Array, y: Array) -> tuple[Array, Array, Array]:
    """x ** y over arrays;  d/dx = y·x^(y-1), d/dy = x^y·ln x (0 where x <= 0); same edge rules as `pow`."""
    x, y = np.broadcast_arrays(x, y)
    bad = (x == 0.0) & (y < 0.0)
    if bad.any():
        raise _batch_error(ZeroDivisionDomainError, "power x ** y", "0 raised to a negative power", bad, x=x, y=y)
    bad = (x < 0.0) & (y != np.floor(y))
    if bad.any():
        raise _batch_error(DomainError, "power x ** y", "a negative base needs an integer exponent", bad, x=x, y=y)
    out = x**y
    bad = np.isinf(out) & np.isfinite(x) & np.isfinite(y)
    if bad.any():
        raise _batch_error(OverflowError, "power x ** y", "overflows a float", bad, x=x, y=y)
    nonzero = x != 0.0
    at_zero = np.where(y == 1.0, 1.0, np.where((y > 1.0) | (y == 0.0), 0.0, _inf))
    dx = np.where(nonzero, y * np.where(nonzero, x, 1.0) ** (y - 1.0), at_zero)
    positive = x > 0.0
    dy = np.where(positive, out * np.log(np.where(positive, x, 1.0)), 0.0)
    return out, dx, dy


def leaky_relu(x: float, alpha: float) -> tuple[float, float, float]:
    """x if x > 0 else α·x;  d/dx = 1 or α (α at 0), d/dα = 0 or x."""
    if x > 0.0:
        return x, 1.0, 0.0
    return alpha * x, alpha, x


def leaky_relu_v(x: Array, alpha: Array) -> tuple[Array, Array, Array]:
    """x if x > 0 else α·x over arrays;  d/dx = 1 or α, d/dα = 0 or x."""
    pos = x > 0.0
    return np.where(pos, x, alpha * x), np.where(pos, 1.0, alpha), np.where(pos, 0.0, x)


# ---------------------------------------------------------------------------------------------------
# unary primitives: f(x) -> (f, df/dx)


def neg(x: float) -> tuple[float, float]:
    """-x;  d/dx = -1."""
    return -x, -1.0


def neg_v(x: Array) -> tuple[Array, float]:
    """-x over arrays;  d/dx = -1."""
    return -x, -1.0


def abs_(x: float) -> tuple[float, float]:
    """|x|;  d/dx = sign(x), with abs'(0) = 0."""
    if x > 0.0:
        return x, 1.0
    if x < 0.0:
        return -x, -1.0
    return 0.0, 0.0


def abs_v(x: Array) -> tuple[Array, Array]:
    """|x| over arrays;  d/dx = sign(x), 0 at 0."""
    return np.abs(x), np.sign(x)


def exp(x: float) -> tuple[float, float]:
    """e^x;  d/dx e^x = e^x (the output itself)."""
    try:
        out = _exp(x)
    except OverflowError:
        raise OverflowError(
            f"exp({x!r}) overflows a float (largest finite input is about 709.78); "
            "scale the input down, or use a stable form such as softplus, sigmoid or log-sum-exp"
        ) from None
    return out, out


def exp_v(x: Array) -> tuple[Array, Array]:
    """e^x over arrays;  d/dx = e^x. OverflowError (as `exp`) where a finite x overflows."""
    out = np.exp(x)
    bad = np.isinf(out) & np.isfinite(x)
    if bad.any():
        raise _batch_error(OverflowError, "exp(x)", "overflows a float (largest finite input is about 709.78)",
                           bad, x=x)
    return out, out


def log(x: float) -> tuple[float, float]:
    """ln x;  d/dx ln x = 1/x."""
    if not x > 0.0:
        raise DomainError(f"log({x!r}): log is only defined for x > 0; clamp the input or add a small epsilon")
    return _log(x), 1.0 / x


def log_v(x: Array) -> tuple[Array, Array]:
    """ln x over arrays;  d/dx = 1/x. DomainError (as `log`) where x <= 0."""
    bad = ~(x > 0.0)
    if bad.any():
        raise _batch_error(DomainError, "log(x)", "log is only defined for x > 0", bad, x=x)
    return np.log(x), 1.0 / x


def sqrt(x: float) -> tuple[float, float]:
    """√x;  d/dx √x = 1/(2√x), inf at 0."""
    if x < 0.0:
        raise DomainError(f"sqrt({x!r}): sqrt is only defined for x >= 0; clamp the input or use abs()")
    out = math.sqrt(x)
    return out, (0.5 / out if out else _inf)


def sqrt_v(x: Array) -> tuple[Array, Array]:
    """√x over arrays;  d/dx = 1/(2√x), inf at 0. DomainError (as `sqrt`) where x < 0."""
    bad = x < 0.0
    if bad.any():
        raise _batch_error(DomainError, "sqrt(x)", "sqrt is only defined for x >= 0", bad, x=x)
    out = np.sqrt(x)
    return out, np.where(out != 0.0, 0.5 / np.where(out != 0.0, out, 1.0), _inf)


def sin(x: float) -> tuple[float, float]:
    """sin x;  d/dx sin x = cos x."""
    try:
        return math.sin(x), math.cos(x)
    except ValueError:
        raise DomainError(f"sin({x!r}): sin is only defined for finite x") from None


def sin_v(x: Array) -> tuple[Array, Array]:
    """sin x over arrays;  d/dx = cos x. DomainError (as `sin`) where x is ±inf."""
    bad = np.isinf(x)
    if bad.any():
        raise _batch_error(DomainError, "sin(x)", "sin is only defined for finite x", bad, x=x)
    return np.sin(x), np.cos(x)


def cos(x: float) -> tuple[float, float]:
    """cos x;  d/dx cos x = -sin x."""
    try:
        return math.cos(x), -math.sin(x)
    except ValueError:
        raise DomainError(f"cos({x!r}): cos is only defined for finite x") from None


def cos_v(x: Array) -> tuple[Array, Array]:
    """cos x over arrays;  d/dx = -sin x. DomainError (as `cos`) where x is ±inf."""
    bad = np.isinf(x)
    if bad.any():
        raise _batch_error(DomainError, "cos(x)", "cos is only defined for finite x", bad, x=x)
    return np.cos(x), -np.sin(x)


def tanh(x: float) -> tuple[float, float]:
    """tanh x;  d/dx tanh x = 1 - tanh²x (from the output)."""
    t = _tanh(x)
    return t, 1.0 - t * t


def tanh_v(x: Array) -> tuple[Array, Array]:
    """tanh x over arrays;  d/dx = 1 - tanh²x."""
    t = np.tanh(x)
    return t, 1.0 - t * t


def sigmoid(x: float) -> tuple[float, float]:
    """σ(x) = 1/(1 + e^-x);  d/dx σ(x) = σ(x)(1 - σ(x)). Never evaluates e^t for t > 0, so never overflows."""
    if x >= 0.0:
        s = 1.0 / (1.0 + _exp(-x))
    else:
        e = _exp(x)
        s = e / (1.0 + e)
    return s, s * (1.0 - s)


def sigmoid_v(x: Array) -> tuple[Array, Array]:
    """σ(x) over arrays, from e^-|x| (never overflows);  d/dx = σ(x)(1 - σ(x))."""
    e = np.exp(-np.abs(x))
    s = np.where(x >= 0.0, 1.0 / (1.0 + e), e / (1.0 + e))
    return s, s * (1.0 - s)


def relu(x: float) -> tuple[float, float]:
    """max(0, x);  d/dx = 1 for x > 0, else 0 (relu'(0) = 0 as in micrograd)."""
    if x > 0.0:
        return x, 1.0
    return 0.0, 0.0


def relu_v(x: Array) -> tuple[Array, Array]:
    """max(0, x) over arrays;  d/dx = 1 where x > 0, else 0 (kept as a boolean mask)."""
    pos = x > 0.0
    return np.maximum(x, 0.0), pos  # np.maximum: ~10x faster than np.where(pos, x, 0.0) on large blocks


def softplus(x: float) -> tuple[float, float]:
    """ln(1 + e^x), computed as max(x, 0) + ln(1 + e^-|x|);  d/dx = σ(x)."""
    out = (x if x > 0.0 else 0.0) + _log1p(_exp(-abs(x)))
    return out, sigmoid(x)[0]


def softplus_v(x: Array) -> tuple[Array, Array]:
    """ln(1 + e^x) = max(x, 0) + ln(1 + e^-|x|) over arrays;  d/dx = σ(x)."""
    return np.maximum(x, 0.0) + np.log1p(np.exp(-np.abs(x))), sigmoid_v(x)[0]


# ---------------------------------------------------------------------------------------------------
# the fused n-ary primitive


FUSED_DOT = "∘dot"  # `_op` suffix of a dot node with an activation fused in: "relu∘dot" is relu(w·x + b)


def dot(w: Sequence[float], x: Sequence[float], bias: float | None = None) -> tuple[float, tuple[float, ...]]:
    """w·x + b = Σ wᵢxᵢ + b;  ∂/∂wᵢ = xᵢ, ∂/∂xᵢ = wᵢ, ∂/∂b = 1.

    The local derivatives come back in the order w, x, b (b only when given).
    """
    if len(w) != len(x):
        raise ValueError(f"dot: weights and inputs differ in length ({len(w)} vs {len(x)})")
    out = sum(map(_mul, w, x))
    if bias is None:
        return out, (*x, *w)
    return out + bias, (*x, *w, 1.0)


def dot_v(w: Array, x: Array, bias: Array | None = None) -> Array:
    """W @ X (+ b) for a layer of dots: row i of W holds one node's weights, column j of X sample j's
    operands;  ∂/∂W = X, ∂/∂X = W, ∂/∂b = 1 (the operands themselves, so only the value is returned)."""
    out = w @ x
    return out if bias is None else out + bias


# The op tables: `_op` string of a node -> its primitive. Tests are parametrised over them, so a new
# primitive is tested (forward against `math`, derivative against finite differences) by adding it here.
BINARY: dict[str, Callable[[float, float], tuple[float, float, float]]] = {
    "+": add,
    "-": sub,
    "*": mul,
    "/": div,
    "**": pow,
    "leaky_relu": leaky_relu,
}
UNARY: dict[str, Callable[[float], tuple[float, float]]] = {
    "neg": neg,
    "abs": abs_,
    "exp": exp,
    "log": log,
    "sqrt": sqrt,
    "sin": sin,
    "cos": cos,
    "tanh": tanh,
    "sigmoid": sigmoid,
    "relu": relu,
    "softplus": softplus,
}


# The numpy twins, keyed like UNARY and BINARY: forward value and local derivatives for a whole batch
# at once (compile.py replays graphs with them). Domain errors raise the same exception types as the
# scalar functions, naming the first offending sample.
VECTOR: dict[str, Callable[..., tuple[Any, ...]]] = {
    "+": add_v,
    "-": sub_v,
    "*": mul_v,
    "/": div_v,
    "**": pow_v,
    "leaky_relu": leaky_relu_v,
    "neg": neg_v,
    "abs": abs_v,
    "exp": exp_v,
    "log": log_v,
    "sqrt": sqrt_v,
    "sin": sin_v,
    "cos": cos_v,
    "tanh": tanh_v,
    "sigmoid": sigmoid_v,
    "relu": relu_v,
    "softplus": softplus_v,
}
