"""The built-in primitives, each ONE rule: its forward value and its partial derivatives.

A rule takes a math namespace `m` and the operands and returns `(out, ∂out/∂x[, ∂out/∂y])`; eager
mode evaluates it on floats (`m` is `math`), compiled mode on numpy arrays, and higher-order
derivatives on Values (see `primitive.py` for how, and for the semantics of errors and NaN). Rules may
use the output (exp, tanh, sigmoid) and are written as plain math: a partial that is infinite at a
valid point (sqrt'(0)) comes out as inf. In rules, compare Values only with < <= > >= (== and != on a
Value are identity); `m.nonzero(y)` tests y ≠ 0 and `m.step(x)` is 1 where x > 0, else 0, in every interpreter.

Conventions where a derivative is undefined: relu'(0) = 0 (as micrograd), abs'(0) = 0,
d/dy x**y = 0 where x <= 0, d/dx x**0 = 0, and sqrt'(0) = d/dx x**p at 0 = inf for 0 < p < 1.

Adding a primitive is one `@define(...)` block here (or `autograd_core.primitive` for users); the
Value method, compiled mode, the drawing, the step-by-step view and the tests pick it up from it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from operator import mul as _mul
from typing import Any

from .primitive import PRIMITIVES, DomainError, Primitive, Rule, ZeroDivisionDomainError, register

__all__ = ["DomainError", "ZeroDivisionDomainError", "UNARY", "BINARY", "dot", "FUSED_DOT", "define"]


def define(
    name: str,
    formula: str | None = None,
    derivatives: Sequence[str] | None = None,
    errors: dict[type, str] | None = None,
) -> Callable[[Rule], Primitive]:
    """Register `rule` as the primitive `name` (see `autograd_core.primitive` for the public form)."""

    return lambda rule: register(name, rule, formula, derivatives, errors, builtin=True)


# ---- binary primitives: rule(m, x, y) -> (x ∘ y, ∂/∂x, ∂/∂y) --------------------------------------


@define("+", "{x} + {y}", ("1", "1"))
def add(m: Any, x: Any, y: Any) -> tuple[Any, ...]:
    """x + y;  d/dx = 1, d/dy = 1."""
    return x + y, 1.0, 1.0


@define("-", "{x} − {py}", ("1", "−1"))
def sub(m: Any, x: Any, y: Any) -> tuple[Any, ...]:
    """x − y;  d/dx = 1, d/dy = −1."""
    return x - y, 1.0, -1.0


@define("*", "{px} · {py}", ("{py}", "{px}"))
def mul(m: Any, x: Any, y: Any) -> tuple[Any, ...]:
    """x · y;  d/dx = y, d/dy = x."""
    return x * y, y, x


@define(
    "/",
    "{px} / {py}",
    ("1/{py}", "−{px}/{py}²"),
    {ZeroDivisionError: "division by zero in {x!r} / {y!r}: the divisor is 0; add a small epsilon or guard the case"},
)
def div(m: Any, x: Any, y: Any) -> tuple[Any, ...]:
    """x / y;  d/dx = 1/y, d/dy = −x/y²."""
    out = x / y
    return out, 1.0 / y, -out / y


@define(
    "**",
    "{px}^{py}",
    ("{py}·{px}^({y} − 1)", "{px}^{py}·ln {px}"),
    {
        ZeroDivisionError: "power {x!r} ** {y!r}: 0 raised to a negative power is a division by zero",
        OverflowError: "power {x!r} ** {y!r} overflows a float; use smaller operands",
        ValueError: "power {x!r} ** {y!r}: a negative base needs an integer exponent (the result would be complex)",
    },
)
def pow(m: Any, x: Any, y: Any) -> tuple[Any, ...]:
    """x ** y;  d/dx = y·x^(y−1) (0 when y = 0), d/dy = x^y·ln x (taken as 0 where x <= 0)."""
    out = m.pow(x, y)
    dx = m.where(m.nonzero(y), y * m.pow(x, y - 1.0), 0.0)
    positive = x > 0.0
    dy = m.where(positive, out * m.log(m.where(positive, x, 1.0)), 0.0)
    return out, dx, dy


@define("leaky_relu", "leaky_relu({x}, {y})", ("1 if {x} > 0 else {y}", "0 if {x} > 0 else {x}"))
def leaky_relu(m: Any, x: Any, alpha: Any) -> tuple[Any, ...]:
    """x if x > 0 else α·x;  d/dx = 1 or α (α at 0), d/dα = 0 or x."""
    pos = x > 0.0
    return m.where(pos, x, alpha * x), m.where(pos, 1.0, alpha), m.where(pos, 0.0, x)


# ---- unary primitives: rule(m, x) -> (f(x), f'(x)) ----------------------------------------------


@define("neg", "−{px}", ("−1",))
def neg(m: Any, x: Any) -> tuple[Any, ...]:
    """−x;  d/dx = −1."""
    return -x, -1.0


@define("abs", "|{x}|", ("sign({x})",))
def abs_(m: Any, x: Any) -> tuple[Any, ...]:
    """|x|;  d/dx = sign(x), with abs'(0) = 0."""
    return m.abs(x), m.sign(x)


_EXP_HINT = "overflows a float (largest finite input is about 709.78); "


@define(
    "exp",
    "exp({x})",
    ("exp({x})",),
    {
        OverflowError: "exp({x!r}) " + _EXP_HINT + "scale the input down, or use a stable form such as "
        "softplus, sigmoid or log-sum-exp"
    },
)
def exp(m: Any, x: Any) -> tuple[Any, ...]:
    """e^x;  d/dx e^x = e^x (the output itself)."""
    out = m.exp(x)
    return out, out


@define(
    "log",
    "log({x})",
    ("1/{px}",),
    {ValueError: "log({x!r}): log is only defined for x > 0; clamp the input or add a small epsilon"},
)
def log(m: Any, x: Any) -> tuple[Any, ...]:
    """ln x;  d/dx ln x = 1/x."""
    return m.log(x), 1.0 / x


@define(
    "sqrt",
    "√{px}",
    ("1/(2√{px})",),
    {ValueError: "sqrt({x!r}): sqrt is only defined for x >= 0; clamp the input or use abs()"},
)
def sqrt(m: Any, x: Any) -> tuple[Any, ...]:
    """√x;  d/dx √x = 1/(2√x), inf at 0."""
    out = m.sqrt(x)
    return out, 0.5 / out


_FINITE = "{name}({x!r}): {name} is only defined for finite x"


@define("sin", "sin({x})", ("cos({x})",), {ValueError: _FINITE.replace("{name}", "sin")})
def sin(m: Any, x: Any) -> tuple[Any, ...]:
    """sin x;  d/dx sin x = cos x."""
    return m.sin(x), m.cos(x)


@define("cos", "cos({x})", ("−sin({x})",), {ValueError: _FINITE.replace("{name}", "cos")})
def cos(m: Any, x: Any) -> tuple[Any, ...]:
    """cos x;  d/dx cos x = −sin x."""
    return m.cos(x), -m.sin(x)


@define("tan", "tan({x})", ("1 + tan²({x})",), {ValueError: _FINITE.replace("{name}", "tan")})
def tan(m: Any, x: Any) -> tuple[Any, ...]:
    """tan x;  d/dx tan x = 1 + tan²x (from the output)."""
    out = m.tan(x)
    return out, 1.0 + out * out


_UNIT = "{name}({x!r}): {name} is only defined for -1 <= x <= 1; clamp the input"


@define("asin", "asin({x})", ("1/√(1 − {px}²)",), {ValueError: _UNIT.replace("{name}", "asin")})
def asin(m: Any, x: Any) -> tuple[Any, ...]:
    """arcsin x;  d/dx = 1/√(1 − x²), inf at ±1."""
    return m.asin(x), 1.0 / m.sqrt(1.0 - x * x)


@define("acos", "acos({x})", ("−1/√(1 − {px}²)",), {ValueError: _UNIT.replace("{name}", "acos")})
def acos(m: Any, x: Any) -> tuple[Any, ...]:
    """arccos x;  d/dx = −1/√(1 − x²), −inf at ±1."""
    return m.acos(x), -1.0 / m.sqrt(1.0 - x * x)


@define("atan", "atan({x})", ("1/(1 + {px}²)",))
def atan(m: Any, x: Any) -> tuple[Any, ...]:
    """arctan x;  d/dx = 1/(1 + x²)."""
    return m.atan(x), 1.0 / (1.0 + x * x)


_OVERFLOW = "{name}({x!r}) overflows a float (|x| must be below about 710); scale the input down"


@define("sinh", "sinh({x})", ("cosh({x})",), {OverflowError: _OVERFLOW.replace("{name}", "sinh")})
def sinh(m: Any, x: Any) -> tuple[Any, ...]:
    """sinh x;  d/dx sinh x = cosh x."""
    return m.sinh(x), m.cosh(x)


@define("cosh", "cosh({x})", ("sinh({x})",), {OverflowError: _OVERFLOW.replace("{name}", "cosh")})
def cosh(m: Any, x: Any) -> tuple[Any, ...]:
    """cosh x;  d/dx cosh x = sinh x."""
    return m.cosh(x), m.sinh(x)


@define("tanh", "tanh({x})", ("1 − tanh²({x})",))
def tanh(m: Any, x: Any) -> tuple[Any, ...]:
    """tanh x;  d/dx tanh x = 1 − tanh²x (from the output)."""
    t = m.tanh(x)
    return t, 1.0 - t * t


@define(
    "log1p",
    "log1p({x})",
    ("1/(1 + {px})",),
    {ValueError: "log1p({x!r}): log1p is only defined for x > -1; clamp the input"},
)
def log1p(m: Any, x: Any) -> tuple[Any, ...]:
    """ln(1 + x), accurate for tiny x;  d/dx = 1/(1 + x)."""
    return m.log1p(x), 1.0 / (1.0 + x)


@define(
    "expm1",
    "expm1({x})",
    ("exp({x})",),
    {OverflowError: "expm1({x!r}) " + _EXP_HINT + "scale the input down"},
)
def expm1(m: Any, x: Any) -> tuple[Any, ...]:
    """e^x − 1, accurate for tiny x;  d/dx = e^x (the output + 1)."""
    out = m.expm1(x)
    return out, out + 1.0


@define("sigmoid", "σ({x})", ("σ({x})(1 − σ({x}))",))
def sigmoid(m: Any, x: Any) -> tuple[Any, ...]:
    """σ(x) = 1/(1 + e^−x), never overflowing (`primitive.stable_sigmoid`);  d/dx σ(x) = σ(x)(1 − σ(x))."""
    s = m.sigmoid(x)
    return s, s * (1.0 - s)


@define("relu", "relu({x})", ("1 if {x} > 0 else 0",))
def relu(m: Any, x: Any) -> tuple[Any, ...]:
    """max(0, x);  d/dx = 1 for x > 0, else 0 (relu'(0) = 0 as in micrograd); relu(nan) = nan."""
    return m.maximum(x, 0.0), m.step(x)


@define("softplus", "softplus({x})", ("σ({x})",))
def softplus(m: Any, x: Any) -> tuple[Any, ...]:
    """ln(1 + e^x), computed as max(x, 0) + ln(1 + e^−|x|);  d/dx = σ(x)."""
    return m.maximum(x, 0.0) + m.log1p(m.exp(-m.abs(x))), m.sigmoid(x)


# ---- the op tables: every primitive by arity (tests are parametrised over them) ----------------

BINARY: dict[str, Primitive] = {n: p for n, p in PRIMITIVES.items() if p.arity == 2}
UNARY: dict[str, Primitive] = {n: p for n, p in PRIMITIVES.items() if p.arity == 1}


# ---- the fused n-ary primitive ------------------------------------------------------------------

FUSED_DOT = "∘dot"  # `_op` suffix of a dot node with an activation fused in: "relu∘dot" is relu(w·x + b)


def dot(w: Sequence[float], x: Sequence[float], bias: float | None = None) -> tuple[float, tuple[float, ...]]:
    """w·x + b = Σ wᵢxᵢ + b;  ∂/∂wᵢ = xᵢ, ∂/∂xᵢ = wᵢ, ∂/∂b = 1.

    The local derivatives come back in the order w, x, b (b only when given).
    """
    if len(w) != len(x):
        raise ValueError(f"dot: weights and inputs differ in length ({len(w)} vs {len(x)})")
    out = sum(map(_mul, w, x), 0.0)
    if bias is None:
        return out, (*x, *w)
    return out + bias, (*x, *w, 1.0)
