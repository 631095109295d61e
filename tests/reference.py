"""Independent references for every primitive: the textbook function (from `math`), written without
the engine, and a domain to sample where it is smooth. Tests are parametrised over this table and
fail if a primitive in `autograd_core.ops` has no entry, so a new primitive cannot go untested."""

from __future__ import annotations

import math
from typing import Any, Callable, NamedTuple


class Ref(NamedTuple):
    f: Callable[..., float]
    domains: tuple[tuple[float, float], ...]  # one (low, high) per operand
    kink: float | None = None  # a point excluded from derivative checks (|x - kink| < 1e-3)


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


BINARY: dict[str, Ref] = {
    "+": Ref(lambda x, y: x + y, ((-5, 5), (-5, 5))),
    "-": Ref(lambda x, y: x - y, ((-5, 5), (-5, 5))),
    "*": Ref(lambda x, y: x * y, ((-5, 5), (-5, 5))),
    "/": Ref(lambda x, y: x / y, ((-5, 5), (0.2, 5))),
    "**": Ref(lambda x, y: math.pow(x, y), ((0.1, 3), (-3, 3))),
    "leaky_relu": Ref(lambda x, a: x if x > 0 else a * x, ((-5, 5), (0.0, 0.5)), kink=0.0),
}

UNARY: dict[str, Ref] = {
    "neg": Ref(lambda x: -x, ((-5, 5),)),
    "abs": Ref(lambda x: math.fabs(x), ((-5, 5),), kink=0.0),
    "exp": Ref(math.exp, ((-10, 10),)),
    "log": Ref(math.log, ((0.01, 50),)),
    "sqrt": Ref(math.sqrt, ((0.01, 50),)),
    "sin": Ref(math.sin, ((-10, 10),)),
    "cos": Ref(math.cos, ((-10, 10),)),
    "tanh": Ref(lambda x: math.sinh(x) / math.cosh(x), ((-5, 5),)),
    "sigmoid": Ref(_sigmoid, ((-20, 20),)),
    "relu": Ref(lambda x: max(0.0, x), ((-5, 5),), kink=0.0),
    "softplus": Ref(lambda x: math.log(1.0 + math.exp(x)), ((-20, 20),)),
    "tan": Ref(lambda x: math.sin(x) / math.cos(x), ((-1.4, 1.4),)),
    "asin": Ref(lambda x: math.atan2(x, math.sqrt(1 - x * x)), ((-0.95, 0.95),)),
    "acos": Ref(lambda x: math.pi / 2 - math.atan2(x, math.sqrt(1 - x * x)), ((-0.95, 0.95),)),
    "atan": Ref(lambda x: math.asin(x / math.sqrt(1 + x * x)), ((-10, 10),)),
    "sinh": Ref(lambda x: (math.exp(x) - math.exp(-x)) / 2, ((-10, 10),)),
    "cosh": Ref(lambda x: (math.exp(x) + math.exp(-x)) / 2, ((-10, 10),)),
    "log1p": Ref(lambda x: math.log(1.0 + x), ((-0.9, 50),)),
    "expm1": Ref(lambda x: math.exp(x) - 1.0, ((-10, 10),)),
}


VALUE_CALL: dict[str, Callable[..., Any]] = {  # how each primitive is reached from the public Value API
    "+": lambda a, b: a + b,
    "-": lambda a, b: a - b,
    "*": lambda a, b: a * b,
    "/": lambda a, b: a / b,
    "**": lambda a, b: a**b,
    "leaky_relu": lambda a, b: a.leaky_relu(b),
    "neg": lambda a: -a,
    "abs": lambda a: abs(a),
}


def apply_op(op: str, *args: Any) -> Any:
    """Primitive `op` applied to Values through the public API (operator or method)."""
    return VALUE_CALL[op](*args) if op in VALUE_CALL else getattr(args[0], op)()
