"""The `Value` node: one float, its gradient, and the edges to the nodes it was computed from.

Storage layout (all `__slots__`, no closures, nothing that points back up the graph, so a dropped
graph is freed by reference counting alone):

    data, grad, label      the number, d(root)/d(this node) after backward, a display name
    _op                    the primitive that made the node ("" for a leaf), a key of ops.UNARY/BINARY
    _x, _y                 the operands: None (leaf); a Value (unary: _y is None); two Values (binary);
                           or, for the fused n-ary "dot", a tuple of Values in _x
    _dx, _dy               the local derivatives ∂out/∂_x, ∂out/∂_y (a tuple for "dot")

Keeping up to two operands inline (instead of a children tuple and a derivatives tuple) makes a
binary node one object plus its float: about 5x smaller than micrograd's node and faster to build.
`_prev` is the micrograd-style tuple of children, built on demand for drawing code.
"""

from __future__ import annotations

import numbers
from collections.abc import Iterable

from . import ops
from .graph import backward as _backward

__all__ = ["Value", "Constant", "dot"]

_new = object.__new__


class Value:
    """A scalar in a computation graph. `Value(2.0, label="x")`; arithmetic on it builds the graph."""

    __slots__ = ("data", "grad", "label", "_op", "_x", "_y", "_dx", "_dy", "__weakref__")

    # numpy defers to our reflected operators: np.float64(2) * Value(3) is a Value, not an object array.
    __array_ufunc__ = None

    data: float
    grad: float
    label: str

    def __init__(self, data: float, label: str = "") -> None:
        if type(data) is not float:
            if isinstance(data, Value) or not isinstance(data, numbers.Real):
                raise TypeError(
                    f"Value() takes a real number (int, float or numpy scalar), got {type(data).__name__}: "
                    f"{data!r:.60}"
                )
            data = float(data)
        if not isinstance(label, str):
            raise TypeError(f"Value label must be a str, got {type(label).__name__}")
        self.data = data
        self.grad = 0.0
        self.label = label
        self._op = ""
        self._x = self._y = self._dx = self._dy = None

    # ---- graph structure, micrograd-readable ----------------------------------------------------
    @property
    def _prev(self) -> tuple[Value, ...]:
        """The operands this node was computed from, in order (empty for a leaf)."""
        x = self._x
        if x is None:
            return ()
        if x.__class__ is tuple:
            return x
        y = self._y
        return (x,) if y is None else (x, y)

    @property
    def is_leaf(self) -> bool:
        """True for a node made directly (a parameter, an input or a constant), not by an operation."""
        return self._x is None

    def backward(self, grad: float = 1.0) -> None:
        """Fill `.grad` of every node under this one with d(self)/d(node), times `grad`.

        Intermediate grads are reset and recomputed on every call; leaf grads accumulate (as in
        PyTorch), so call `zero_grad()` between training steps.
        """
        _backward(self, grad)

    # ---- conversions and comparisons (on .data) --------------------------------------------------
    def __repr__(self) -> str:
        label = f", label={self.label!r}" if self.label else ""
        return f"Value(data={self.data!r}, grad={self.grad!r}{label})"

    def __float__(self) -> float:
        return self.data

    def __lt__(self, other: Value | float) -> bool:
        return self.data < _number(other, "<")

    def __le__(self, other: Value | float) -> bool:
        return self.data <= _number(other, "<=")

    def __gt__(self, other: Value | float) -> bool:
        return self.data > _number(other, ">")

    def __ge__(self, other: Value | float) -> bool:
        return self.data >= _number(other, ">=")

    # `==` and hash stay identity (object's), so nodes can live in sets and dicts.

    def __pos__(self) -> Value:
        return self

    # ---- one method per primitive; the math is in ops.py -----------------------------------------
    def exp(self) -> Value:
        """e^x."""
        return _unary(self, "exp")

    def log(self) -> Value:
        """Natural logarithm; ValueError for x <= 0."""
        return _unary(self, "log")

    def sqrt(self) -> Value:
        """√x; ValueError for x < 0."""
        return _unary(self, "sqrt")

    def sin(self) -> Value:
        """sin x."""
        return _unary(self, "sin")

    def cos(self) -> Value:
        """cos x."""
        return _unary(self, "cos")

    def tanh(self) -> Value:
        """tanh x, finite for any finite x."""
        return _unary(self, "tanh")

    def sigmoid(self) -> Value:
        """σ(x) = 1/(1 + e^-x), evaluated without overflow."""
        return _unary(self, "sigmoid")

    def relu(self) -> Value:
        """max(0, x), with relu'(0) = 0."""
        return _unary(self, "relu")

    def softplus(self) -> Value:
        """ln(1 + e^x), evaluated without overflow."""
        return _unary(self, "softplus")

    def leaky_relu(self, alpha: float | Value = 0.01) -> Value:
        """x if x > 0 else alpha·x."""
        return _binary(self, alpha, "leaky_relu")

    def __neg__(self) -> Value:
        return _unary(self, "neg")

    def __abs__(self) -> Value:
        return _unary(self, "abs")

    def __add__(self, other: Value | float) -> Value:
        return _binary(self, other, "+")

    def __radd__(self, other: float) -> Value:
        return _binary(other, self, "+")

    def __sub__(self, other: Value | float) -> Value:
        return _binary(self, other, "-")

    def __rsub__(self, other: float) -> Value:
        return _binary(other, self, "-")

    def __mul__(self, other: Value | float) -> Value:
        return _binary(self, other, "*")

    def __rmul__(self, other: float) -> Value:
        return _binary(other, self, "*")

    def __truediv__(self, other: Value | float) -> Value:
        return _binary(self, other, "/")

    def __rtruediv__(self, other: float) -> Value:
        return _binary(other, self, "/")

    def __pow__(self, other: Value | float) -> Value:
        return _binary(self, other, "**")

    def __rpow__(self, other: float) -> Value:
        return _binary(other, self, "**")


class Constant(Value):
    """A leaf made from a plain number met in an expression (the 2 in `x * 2`).

    It is drawn like any leaf; compiled programs keep it fixed instead of treating it as a parameter.
    """

    __slots__ = ()


# ---- node construction: the only place that writes graph structure --------------------------------


def _node(cls: type, data: float, op: str, x: object, y: object, dx: object, dy: object) -> Value:
    v = _new(cls)
    v.data = data
    v.grad = 0.0
    v.label = ""
    v._op = op
    v._x = x
    v._y = y
    v._dx = dx
    v._dy = dy
    return v


def _lift(other: object, op: str) -> Value:
    """A Value for an operand: Values pass through, real numbers become Constants."""
    if isinstance(other, Value):
        return other
    if isinstance(other, numbers.Real):
        return _node(Constant, float(other), "", None, None, None, None)
    raise TypeError(
        f"unsupported operand for {op}: Value and {type(other).__name__} ({other!r:.60}); "
        "use a real number or a Value"
    )


def _number(other: object, op: str) -> float:
    if isinstance(other, Value):
        return other.data
    if isinstance(other, numbers.Real):
        return other  # type: ignore[return-value]
    raise TypeError(f"'{op}' not supported between Value and {type(other).__name__}")


_UNARY = ops.UNARY
_BINARY = ops.BINARY


def _unary(x: Value, op: str) -> Value:
    out, dx = _UNARY[op](x.data)
    return _node(Value, out, op, x, None, dx, None)


def _binary(x: Value | float, y: Value | float, op: str) -> Value:
    if x.__class__ is not Value:
        x = _lift(x, op)
    if y.__class__ is not Value:
        y = _lift(y, op)
    out, dx, dy = _BINARY[op](x.data, y.data)
    return _node(Value, out, op, x, y, dx, dy)


def dot(ws: Iterable[Value | float], xs: Iterable[Value | float], bias: Value | float | None = None) -> Value:
    """Σ wᵢ·xᵢ (+ bias) as ONE node with all operands as children (the fused neuron pre-activation).

    Numbers among the operands become Constants. Equal to `sum(w*x for w, x in zip(ws, xs)) + bias`
    but builds one node instead of 2n, and its backward is one tight loop.
    """
    ws = [w if w.__class__ is Value else _lift(w, "dot") for w in ws]
    xs = [x if x.__class__ is Value else _lift(x, "dot") for x in xs]
    if bias is None:
        out, local = ops.dot([w.data for w in ws], [x.data for x in xs])
        return _node(Value, out, "dot", (*ws, *xs), None, local, None)
    b = bias if bias.__class__ is Value else _lift(bias, "dot")
    out, local = ops.dot([w.data for w in ws], [x.data for x in xs], b.data)
    return _node(Value, out, "dot", (*ws, *xs, b), None, local, None)
