"""The `Value` node: one float, its gradient, and the edges to the nodes it was computed from.

Storage layout (all `__slots__`, no closures, nothing that points back up the graph, so a dropped
graph is freed by reference counting alone):

    data, grad, _label     the number, d(root)/d(this node) after backward, a display name (`label`,
                           checked when set: text that graphviz, HTML and UTF-8 can all carry)
    _op                    the primitive that made the node ("" for a leaf), a key of PRIMITIVES
    _x, _y                 the operands: None (leaf); a Value (unary: _y is None); two Values (binary);
                           or, for the fused n-ary "dot" (and any primitive of 3+ operands), a tuple
    _dx, _dy               the local derivatives ∂out/∂_x, ∂out/∂_y; for a tuple, _dx is the tuple of
                           ∂z/∂operand and _dy a factor for all of them: the derivative of a dot's
                           fused activation (1.0 if none)
    _mark                  scratch for graph walks (graph.py), so a walk needs no hash set

Keeping up to two operands inline (instead of a children tuple and a derivatives tuple) makes a
binary node one object plus its float: about 5x smaller than micrograd's node and faster to build.
`_prev` is the micrograd-style tuple of children, built on demand for drawing code.
"""

from __future__ import annotations

import math
import numbers
import re
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from itertools import repeat
from typing import Any

import numpy as np

from . import ops
from .graph import backward as _backward
from .namespaces import FLOAT
from .primitive import _RAISED, PRIMITIVES, Primitive, in_rule_mode

__all__ = ["Value", "Constant", "dot", "dot_values", "apply", "comparisons_seen"]

_new = object.__new__
# characters outside XML 1.0's Char production: what graphviz, the view's SVG and UTF-8 cannot carry
_UNSHOWABLE = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_nan = math.nan


def _unary_method(op: str) -> Callable[[Value], Value]:
    """The Value method for unary primitive `op`: its rule on the float, then a node."""
    prim = PRIMITIVES[op]
    rule = prim.rule

    def method(self: Value) -> Value:
        x = self.data
        try:  # Primitive.floats, inlined (as in _binary_method)
            out, dx = rule(FLOAT, x)
        except _RAISED as raised:
            out, dx = prim.ieee((x,), raised)
        if out != out:
            dx = _nan
        return _node(Value, out, op, self, None, dx, None)

    method.__name__ = method.__qualname__ = op
    method.__doc__ = prim.__doc__
    return method


def _binary_method(op: str) -> tuple[Callable[[Value, Value | float], Value], Callable[[Value, float], Value]]:
    """The Value methods for binary primitive `op`: `self op other`, and the reflected `other op self`."""
    prim = PRIMITIVES[op]
    rule = prim.rule

    def method(self: Value, other: Value | float) -> Value:
        if other.__class__ is not Value:
            other = _lift(other, op)
        # Primitive.floats, inlined: binary arithmetic is the hottest path of graph building
        x, y = self.data, other.data
        try:
            out, dx, dy = rule(FLOAT, x, y)
        except _RAISED as raised:
            out, dx, dy = prim.ieee((x, y), raised)
        if out != out:
            dx = dy = _nan
        return _node(Value, out, op, self, other, dx, dy)

    def reflected(self: Value, other: float) -> Value:
        return method(_lift(other, op), self)

    method.__doc__ = reflected.__doc__ = prim.__doc__
    return method, reflected


class Value:
    """A scalar in a computation graph. `Value(2.0, label="x")`; arithmetic on it builds the graph."""

    __slots__ = ("data", "grad", "_label", "_op", "_x", "_y", "_dx", "_dy", "_mark", "__weakref__")

    def __array_ufunc__(self, ufunc: Any, method: str, *inputs: Any, **kwargs: Any) -> Any:
        """numpy ufuncs on Values give Values: np.float64(2) * Value(3), np.sqrt(v), np.std([v, w])."""
        from .numpy_interop import array_ufunc

        return array_ufunc(ufunc, method, inputs, kwargs)

    data: float
    grad: float
    _op: str
    _x: Any  # None, a Value, or a tuple of Values (see the module docstring)
    _y: Value | None
    _dx: Any
    _dy: Any
    _mark: int

    def __init__(self, data: float, label: str = "") -> None:
        if type(data) is not float:
            number = _real(data)
            if number is None:
                raise TypeError(
                    f"Value() takes a real number (int, float, bool or numpy scalar), got {type(data).__name__}: "
                    f"{data!r:.60}"
                )
            data = number
        self.label = label  # checked first: a bad label leaves nothing half-made
        self.data = data
        self.grad = 0.0
        self._op = ""
        self._x = self._y = self._dx = self._dy = None
        self._mark = 0

    @property
    def label(self) -> str:
        """A display name (drawings, the backprop view, error messages); "" for none."""
        return self._label

    @label.setter
    def label(self, text: str) -> None:
        """Set the label; TypeError for a non-str, ValueError for a character no drawing can carry."""
        if not isinstance(text, str):
            raise TypeError(f"Value label must be a str, got {type(text).__name__}")
        bad = None if text.isprintable() else _UNSHOWABLE.search(text)  # printable text is always fine
        if bad is not None:
            raise ValueError(
                f"Value label {text!r:.60} holds U+{ord(bad.group()):04X} at index {bad.start()}, a control character, "
                "lone surrogate or non-character that graphviz, HTML and UTF-8 cannot show; remove it"
            )
        self._label = text

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
        if grad.__class__ is not float:
            seed = _real(grad)
            if seed is None:
                raise TypeError(
                    f"backward: grad must be a real number (the seed d(self)/d(self)), got {type(grad).__name__}: "
                    f"{grad!r:.60}; nothing was changed"
                )
            grad = seed
        _backward(self, grad)

    # ---- copying and pickling: iterative, so a graph of any depth works ------------------------
    def __reduce_ex__(self, protocol: Any) -> tuple[Any, ...]:
        """Pickle without recursion: a leaf is its fields; an inner node is the flat list of the inner
        nodes under it (children first), with the leaves referenced as objects (so a parameter pickled
        with its graph stays one object). An inner node under two roots pickled together is rebuilt
        once per root (`copy.deepcopy` keeps it one node: see `__deepcopy__`)."""
        from .copying import flatten, leaf, rebuild

        if self._x is None:
            return (leaf, (self.__class__, self.data, self.grad, self.label))
        return (rebuild, (flatten(self),))

    def __deepcopy__(self, memo: dict[int, Any]) -> Value:
        """deepcopy without recursion: each node under this one copied once, children first, through
        deepcopy's memo, so a node also reached from another copied object (a parameter, or an inner node
        under a second output) stays one shared node in the copy."""
        from .copying import deepcopy_graph

        return deepcopy_graph(self, memo)

    # ---- conversions and comparisons (on .data) --------------------------------------------------
    def __repr__(self) -> str:
        label = f", label={self.label!r}" if self.label else ""
        return f"Value(data={self.data!r}, grad={self.grad!r}{label})"

    def __float__(self) -> float:
        if in_rule_mode():  # math.exp(v) inside a rule: the derivative would silently be lost
            raise TypeError(
                f"its rule took float() of a Value ({self!r}) while evaluated on Values for a higher derivative. "
                "Write rules with the namespace m (m.exp, m.log, ...), not math's functions, so they can be "
                "differentiated again"
            )
        return self.data

    def __lt__(self, other: Value | float) -> bool:
        if _watch.seen is not None:
            _watch.seen.append(self)
        return self.data < _number(other, "<")

    def __le__(self, other: Value | float) -> bool:
        if _watch.seen is not None:
            _watch.seen.append(self)
        return self.data <= _number(other, "<=")

    def __gt__(self, other: Value | float) -> bool:
        if _watch.seen is not None:
            _watch.seen.append(self)
        return self.data > _number(other, ">")

    def __ge__(self, other: Value | float) -> bool:
        if _watch.seen is not None:
            _watch.seen.append(self)
        return self.data >= _number(other, ">=")

    # `==` and hash stay identity (object's), so nodes can live in sets and dicts.

    def __pos__(self) -> Value:
        return self

    # ---- one method per primitive (the math and its docstring live in ops.py) -------------------
    exp = _unary_method("exp")
    log = _unary_method("log")
    sqrt = _unary_method("sqrt")
    sin = _unary_method("sin")
    cos = _unary_method("cos")
    tan = _unary_method("tan")
    asin = _unary_method("asin")
    acos = _unary_method("acos")
    atan = _unary_method("atan")
    sinh = _unary_method("sinh")
    cosh = _unary_method("cosh")
    tanh = _unary_method("tanh")
    log1p = _unary_method("log1p")
    expm1 = _unary_method("expm1")
    sigmoid = _unary_method("sigmoid")
    relu = _unary_method("relu")
    softplus = _unary_method("softplus")
    __neg__ = _unary_method("neg")
    __abs__ = _unary_method("abs")

    __add__, __radd__ = _binary_method("+")
    __sub__, __rsub__ = _binary_method("-")
    __mul__, __rmul__ = _binary_method("*")
    __truediv__, __rtruediv__ = _binary_method("/")
    __pow__, __rpow__ = _binary_method("**")
    _leaky_relu = _binary_method("leaky_relu")[0]

    def leaky_relu(self, alpha: float | Value = 0.01) -> Value:
        """x if x > 0 else α·x (α a number or a Value)."""
        return self._leaky_relu(alpha)

    def conjugate(self) -> Value:
        """The complex conjugate of a real number: the Value itself (lets np.var/np.std take Values)."""
        return self


class Constant(Value):
    """A leaf made from a plain number met in an expression (the 2 in `x * 2`).

    It is drawn like any leaf; compiled programs keep it fixed instead of treating it as a parameter.
    """

    __slots__ = ()


class _Watch(threading.local):
    seen: list[Value] | None = None  # while `comparisons_seen` runs: every Value compared with < <= > >=


_watch = _Watch()


@contextmanager
def comparisons_seen() -> Iterator[list[Value]]:
    """Collect the Values compared with `< <= > >=` in this thread while the block runs: each such
    comparison is a Python branch on data, which a graph traced once for `compile` cannot follow."""
    outer, _watch.seen = _watch.seen, []
    try:
        yield _watch.seen
    finally:
        _watch.seen = outer


# ---- node construction: every node an operation makes is built here ------------------------------


def _node(cls: type, data: float, op: str, x: Any, y: Any, dx: Any, dy: Any) -> Value:
    v: Value = _new(cls)
    v.data = data
    v.grad = 0.0
    v._label = ""
    v._op = op
    v._x = x
    v._y = y
    v._dx = dx
    v._dy = dy
    v._mark = 0
    return v


def _lift(other: object, op: str) -> Value:
    """A Value for an operand: Values pass through, real numbers become Constants."""
    if isinstance(other, Value):
        return other
    try:  # plain floats and ints skip _real's (slow) ABC check
        number = float(other) if other.__class__ in (float, int) else _real(other)
    except OverflowError:
        number = _real(other)  # raises its clear error
    if number is not None:
        return _node(Constant, number, "", None, None, None, None)
    raise TypeError(
        f"unsupported operand for {op}: Value and {type(other).__name__} ({other!r:.60}); use a real number or a Value"
    )


def _real(x: object) -> float | None:
    """`x` as a float if it is a real number (int, float, bool, numpy scalar), else None.

    OverflowError when it does not fit a float (10**400, np.longdouble("1e400")), instead of a bare
    error or a silent inf.
    """
    if not isinstance(x, (numbers.Real, np.bool_)):
        return None
    try:
        f = float(x)
    except OverflowError:
        if isinstance(x, int):  # its repr may itself be refused (beyond 4,300 digits)
            shown = f"an integer of {int(abs(x).bit_length() * 0.30103) + 1} digits"
        else:
            shown = f"{x!r:.40}"
        raise OverflowError(f"{shown} is too large for a float (the largest is about 1.8e308)") from None
    if f - f != 0.0 and f == f and isinstance(x, np.floating) and np.isfinite(x):
        raise OverflowError(f"{x!r:.40} ({type(x).__name__}) is too large for a float (the largest is about 1.8e308)")
    return f


def _number(other: object, op: str) -> float:
    if isinstance(other, Value):
        return other.data
    number = _real(other)
    if number is None:
        raise TypeError(f"'{op}' not supported between Value and {type(other).__name__}")
    return number


def _operands(seq: Iterable[Value | float], op: str) -> tuple[Value, ...]:
    """`seq` as a tuple of Values (numbers lifted to Constants); a tuple of Values passes as is."""
    t = tuple(seq)
    if all(map(isinstance, t, repeat(Value))):
        return t  # type: ignore[return-value]  # checked just above
    return tuple(_lift(v, op) for v in t)


FUSABLE = ("relu", "tanh", "sigmoid")  # activations `dot` can apply inside its one node


def dot(
    ws: Iterable[Value | float],
    xs: Iterable[Value | float],
    bias: Value | float | None = None,
    activation: str | None = None,
) -> Value:
    """Σ wᵢ·xᵢ (+ bias), optionally through `activation` ("relu", "tanh" or "sigmoid"), as ONE node with
    all operands as children: a whole neuron. Numbers among the operands become Constants.

    Equal to `(sum(w*x for w, x in zip(ws, xs)) + bias).relu()` but builds one node instead of 2n + 1.
    The node stores ∂z/∂operand (z = w·x + b) and the activation's derivative a'(z) separately, so
    backward multiplies them on the fly and skips a dead ReLU's operands entirely. `_op` is "dot", or
    e.g. "relu∘dot" with an activation.
    """
    return dot_values(
        _operands(ws, "dot"), _operands(xs, "dot"), None if bias is None else _lift(bias, "dot"), activation
    )


def dot_values(
    ws: Sequence[Value], xs: Sequence[Value], bias: Value | None = None, activation: str | None = None
) -> Value:
    """`dot` for operands already known to be Values (no checks): what `nn.Neuron` calls."""
    wd = [w.data for w in ws]
    xd = [x.data for x in xs]
    if bias is None:
        z, local = ops.dot(wd, xd)
        children = (*ws, *xs)
    else:
        z, local = ops.dot(wd, xd, bias.data)
        children = (*ws, *xs, bias)
    if activation is None:
        return _node(Value, z, "dot", children, None, local, 1.0)
    if activation not in FUSABLE:
        raise ValueError(f"dot: activation must be one of {', '.join(FUSABLE)} or None; got {activation!r}")
    prim = PRIMITIVES[activation]
    try:  # Primitive.floats, inlined (as in _binary_method): one activation per neuron
        out, da = prim.rule(FLOAT, z)
    except _RAISED as raised:
        out, da = prim.ieee((z,), raised)
    if out != out:
        da = _nan
    return _node(Value, out, activation + ops.FUSED_DOT, children, None, local, da)


# ---- any primitive, on Values ---------------------------------------------------------------------


def apply(prim: Primitive, *operands: Value | float) -> Value:
    """`prim` applied to Values (numbers become Constants): one node holding the output and the
    partial derivatives from the primitive's rule, evaluated on the operands' floats."""
    if len(operands) != prim.arity:
        raise TypeError(f"{prim.name}() takes {prim.arity} operand(s), got {len(operands)}")
    args = tuple(_lift(v, prim.name) for v in operands)
    out, *partials = prim.floats(*(a.data for a in args))
    if prim.arity == 1:
        return _node(Value, out, prim.name, args[0], None, partials[0], None)
    if prim.arity == 2:
        return _node(Value, out, prim.name, args[0], args[1], partials[0], partials[1])
    return _node(Value, out, prim.name, args, None, tuple(partials), 1.0)
