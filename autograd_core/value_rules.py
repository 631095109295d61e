"""Primitive rules evaluated on Values: the VALUE namespace and each node's local derivatives as Values.

In `VALUE` every math function of a rule's namespace is the primitive of that name applied to Values, so
a rule's partial derivatives come back as Values with graphs of their own: what `gradients(...,
create_graph=True)`, `grad` of any order and `hessian` differentiate again.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from . import ops
from .namespaces import FLOAT, _Namespace
from .primitive import PRIMITIVES, rule_mode
from .value import Value, apply, dot_values

__all__ = ["VALUE", "local_values"]

_nan = math.nan


def _data(v: Any) -> float:
    return v.data if isinstance(v, Value) else v


def _value_maximum(a: Any, b: Any) -> Any:
    ad, bd = _data(a), _data(b)
    return a if ad > bd or ad != ad else b


def _value_sign(x: Any) -> float:
    return float(FLOAT.sign(_data(x)))  # piecewise constant: its derivative is 0, so a number will do


def _kernel(name: str) -> Callable[..., Value]:
    prim = PRIMITIVES[name]

    def kernel(*operands: Any) -> Value:
        return apply(prim, *operands)

    kernel.__name__ = name
    return kernel


VALUE = _Namespace(
    "VALUE",
    **{
        name: _kernel(name)
        for name in (
            "exp",
            "log",
            "sqrt",
            "sin",
            "cos",
            "tan",
            "tanh",
            "asin",
            "acos",
            "atan",
            "sinh",
            "cosh",
            "log1p",
            "expm1",
            "abs",
            "sigmoid",
        )
    },
    pow=_kernel("**"),
    where=FLOAT.where,  # the condition is a bool (Values compare on .data): the same choice as for floats
    maximum=_value_maximum,
    sign=_value_sign,
    step=lambda x: FLOAT.step(_data(x)),
    nonzero=lambda x: _data(x) != 0.0,
)
"""Rules over Values: each math function is the primitive of that name, so partial derivatives come
back as Values with graphs of their own (what higher-order derivatives differentiate)."""


def local_values(node: Value) -> tuple[tuple[Value, ...], tuple[Any, ...], Any]:
    """(operands, ∂node/∂operand for each, scale) like `graph.edges`, but the derivatives as Values:
    the node's rule evaluated on its operands, so they can be differentiated again."""
    x = node._x
    if x is None:
        return (), (), 1.0
    op = node._op
    with rule_mode():
        if x.__class__ is tuple and (op == "dot" or op.endswith(ops.FUSED_DOT)):
            k = len(x) // 2
            ws, xs, bias = x[:k], x[k : 2 * k], x[2 * k :]
            partials = (*xs, *ws, *(1.0 for _ in bias))
            if op == "dot":
                return x, partials, 1.0
            z = dot_values(ws, xs, bias[0] if bias else None)
            scale = PRIMITIVES[op[: -len(ops.FUSED_DOT)]].rule(VALUE, z)[1]
            return x, partials, (_nan if node.data != node.data else scale)
        operands = x if x.__class__ is tuple else (x,) if node._y is None else (x, node._y)
        try:
            res = PRIMITIVES[op].rule(VALUE, *operands)
        except TypeError as err:  # math.exp(v) in a user's rule (see Value.__float__), named here
            raise TypeError(f"primitive {op!r}: {err}") from err
    partials = res[1:]
    if node.data != node.data:  # NaN propagates into every partial (as Primitive.floats does)
        partials = (_nan,) * len(partials)
    return operands, tuple(partials), 1.0
