"""Transformations of functions: gradients of any order, Hessians and forward mode.

All of them evaluate the graph under an output with the same primitive rules as `backward`:

- `gradients(output, inputs)`: the reverse sweep (`graph.sweep`) in a local list, like
  `torch.autograd.grad`. With `create_graph=True` the local derivatives are the primitives' rules
  evaluated on Values (`value_rules.local_values`), so the gradients are Values with graphs of their own and
  can be differentiated again. `.grad` is never touched.
- `grad(f)`, `value_and_grad(f)`, `hessian(f)`: `f` is called with leaf Values for its arguments and
  differentiated with `gradients`; because a gradient is itself a Value function of those leaves,
  `grad(grad(f))` is the second derivative, and so on to any order.
- `jvp(f, primals, tangents)`: forward mode, one sweep in topological order carrying
  ṅode = Σ ∂node/∂child · ċhild (the same local derivatives; the dual of reverse mode's 0·∞ convention:
  a child whose tangent is exactly 0 passes nothing up). Where 0·∞ occurs on a path the two conventions
  can differ: at x = 0, sqrt(x)·0 + x has grad 1.0 (the sqrt's gradient is 0) but jvp nan (its tangent
  is inf); x·σ(x) at x = inf has grad nan but jvp 1.0. On finite paths they agree.
"""

from __future__ import annotations

import numbers
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import numpy as np

from .graph import edges, sweep, topological_order
from .primitive import chain
from .value import Value
from .value_rules import local_values

__all__ = ["gradients", "grad", "value_and_grad", "hessian", "jvp"]


class _Arg(Value):
    """A leaf made by a transformation for one argument of `f` (so nested transformations can tell
    their own variables from parameters the function closes over)."""

    __slots__ = ()


def _check_output(output: Any, what: str) -> Value:
    if not isinstance(output, Value):
        raise TypeError(f"{what}: the function must return a Value (a scalar), got {type(output).__name__}")
    return output


def gradients(output: Value, inputs: Sequence[Value] | Value, create_graph: bool = False) -> tuple[Value, ...]:
    """∂output/∂input for each input, as Values (like `torch.autograd.grad`); `.grad` is untouched.

    An input the output does not depend on gets 0. With `create_graph=True` each result is a Value with
    a graph of its own over the same leaves, so it can be differentiated again (`gradients` of it, or
    `.backward()`); otherwise the results are plain leaves holding the numbers.
    """
    _check_output(output, "gradients")
    if isinstance(inputs, Value):
        inputs = (inputs,)
    inputs = tuple(inputs)
    for i, x in enumerate(inputs):
        if not isinstance(x, Value):
            raise TypeError(f"gradients: inputs[{i}] must be a Value, got {type(x).__name__}")
    order = topological_order(output)
    grads = sweep(order, 1.0, local_values if create_graph else edges)
    index = {node: i for i, node in enumerate(order)}
    out = []
    for x in inputs:
        g = grads[index[x]] if x in index else 0.0
        out.append(g if isinstance(g, Value) else Value(g))
    return tuple(out)


def _argnums(argnums: int | Sequence[int], n: int, what: str) -> tuple[tuple[int, ...], bool]:
    """(positions, several?) after checking `argnums` against `n` arguments."""
    several = not isinstance(argnums, numbers.Integral)
    nums: tuple[Any, ...] = tuple(argnums) if isinstance(argnums, Sequence) else (argnums,)
    if not nums:
        raise ValueError(f"{what}: argnums is empty; give the position (or a tuple of positions) to differentiate")
    for a in nums:
        if not isinstance(a, numbers.Integral) or isinstance(a, (bool, np.bool_)) or not -n <= int(a) < n:
            raise ValueError(f"{what}: argnums {argnums!r} does not fit a call with {n} argument(s)")
    return tuple(int(a) % n for a in nums), several


_active = threading.local()  # ids of the argument leaves of the transformations now running


def _live() -> set[int]:
    if not hasattr(_active, "ids"):
        _active.ids = set()
    ids: set[int] = _active.ids
    return ids


@contextmanager
def _traced(f: Callable[..., Any], args: tuple[Any, ...], nums: tuple[int, ...], what: str) -> Iterator[tuple]:
    """Call f with a fresh variable for each argument in `nums`: yields (output, variables, values_in).

    Numbers become `_Arg` leaves, registered as live variables while the block runs, so that a
    transformation nested inside f knows its result depends on them (see `_nested`). A Value `a`
    becomes the node `a * 1.0` (equal to it, exactly): what is differentiated is f's own argument, not
    other uses of `a` that f closes over (`grad(lambda x: grad(lambda y: x * y)(x))` is 1, as in JAX,
    not 2), and the result is still a function of `a` for an enclosing transformation. A position
    listed twice gets one variable.
    """
    call = list(args)
    made: dict[int, Value] = {}
    for i in nums:
        if i in made:
            continue
        a = args[i]
        if isinstance(a, Value):
            leaf = a * 1.0
        elif isinstance(a, (int, float, np.number)) and not isinstance(a, bool | np.bool_):
            leaf = _Arg(float(a))
        else:
            raise TypeError(f"{what}: argument {i} must be a number or a Value, got {type(a).__name__}: {a!r:.60}")
        call[i] = made[i] = leaf
    leaves = [made[i] for i in nums]
    mine = {id(leaf) for leaf in leaves if leaf.__class__ is _Arg}
    live = _live()
    live.update(mine)
    try:
        yield f(*call), tuple(leaves), any(isinstance(args[i], Value) for i in nums)
    finally:
        live.difference_update(mine)


def _nested(output: Value, leaves: tuple[Value, ...]) -> bool:
    """True if the output depends on a variable of an enclosing transformation still running (so the
    result must stay a Value for that one to differentiate), not only on `leaves` and parameters."""
    others = _live() - set(map(id, leaves))
    return bool(others) and any(id(n) in others for n in topological_order(output) if n._x is None)


def _differentiate(
    f: Callable[..., Any], argnums: int | Sequence[int], args: tuple[Any, ...], what: str
) -> tuple[Any, Any]:
    """(f(*args), the derivative(s) asked for): floats, or Values when `_traced` says so."""
    nums, several = _argnums(argnums, len(args), what)
    with _traced(f, args, nums, what) as (out, leaves, values_in):
        out = _check_output(out, what)
        as_values = values_in or _nested(out, leaves)
        grads: tuple[Any, ...] = gradients(out, leaves, create_graph=as_values)
    if not as_values:
        out, grads = out.data, tuple(g.data for g in grads)
    return out, (grads if several else grads[0])


def grad(f: Callable[..., Value], argnums: int | Sequence[int] = 0) -> Callable[..., Any]:
    """The function x ↦ ∂f/∂x (argument `argnums`; a tuple of them gives a tuple of derivatives).

    Called with numbers it returns floats; with Values it returns Values (with graphs), so it composes:
    `grad(grad(f))(0.5)` is f''(0.5). `f` must return a scalar Value.

        >>> grad(lambda x, y: 2 + 3 * x**2 + 4 * y**2, argnums=(0, 1))(10.0, 10.0)
        (60.0, 80.0)
    """

    def df(*args: Any) -> Any:
        return _differentiate(f, argnums, args, "grad")[1]

    df.__name__ = f"grad({getattr(f, '__name__', 'f')})"
    df.__doc__ = f"The derivative of {getattr(f, '__name__', 'f')} with respect to argument(s) {argnums}."
    return df


def value_and_grad(f: Callable[..., Value], argnums: int | Sequence[int] = 0) -> Callable[..., tuple[Any, Any]]:
    """Like `grad`, but returns `(f(*args), gradient)` from one evaluation of f."""

    def vdf(*args: Any) -> tuple[Any, Any]:
        return _differentiate(f, argnums, args, "value_and_grad")

    vdf.__name__ = f"value_and_grad({getattr(f, '__name__', 'f')})"
    return vdf


def hessian(f: Callable[..., Value]) -> Callable[..., np.ndarray]:
    """The function returning the (n, n) numpy array of ∂²f/∂xᵢ∂xⱼ over f's n scalar arguments.

    >>> hessian(lambda x, y: 2 + 3 * x**2 + 4 * y**2)(10.0, 10.0)
    array([[6., 0.],
           [0., 8.]])
    """

    def h(*args: Any) -> np.ndarray:
        n = len(args)
        if n == 0:
            raise TypeError("hessian: the function needs at least one argument")
        with _traced(f, args, tuple(range(n)), "hessian") as (out, leaves, _):
            first = gradients(_check_output(out, "hessian"), leaves, create_graph=True)
            rows = [[g.data for g in gradients(d, leaves)] for d in first]
        return np.array(rows, dtype=np.float64).reshape(n, n)

    h.__name__ = f"hessian({getattr(f, '__name__', 'f')})"
    return h


def jvp(f: Callable[..., Any], primals: Sequence[Any], tangents: Sequence[Any]) -> tuple[Any, Any]:
    """Forward mode: (f(*primals), the directional derivative of f along `tangents`).

    One sweep in topological order carries each node's tangent ṅ = Σ ∂n/∂child · ċhild, so one call
    gives the derivative along one direction for every output at once (reverse mode gives every input's
    derivative of one output). `f` may return a Value or a list/tuple of Values (then the tangent is a
    tuple too). Numbers in → floats out; Values in → Values (differentiable again).
    """
    primals, tangents = tuple(primals), tuple(tangents)
    if len(primals) != len(tangents):
        raise ValueError(f"jvp: {len(primals)} primal(s) but {len(tangents)} tangent(s); give one tangent per primal")
    for i, t in enumerate(tangents):
        if not isinstance(t, (int, float, np.number, Value)) or isinstance(t, bool | np.bool_):
            raise TypeError(f"jvp: tangents[{i}] must be a number or a Value, got {type(t).__name__}")
    with _traced(f, primals, tuple(range(len(primals))), "jvp") as (out, leaves, values_in):
        outputs = tuple(out) if isinstance(out, (list, tuple)) else (out,)
        for o in outputs:
            _check_output(o, "jvp")
        as_values = values_in or any(isinstance(t, Value) for t in tangents) or any(_nested(o, leaves) for o in outputs)
        read = local_values if as_values else edges
        tangent: dict[Value, Any] = {}
        for leaf, t in zip(leaves, tangents):
            tangent[leaf] = t if isinstance(t, Value) else float(t)
        for node in topological_order(outputs):
            if node._x is None or node in tangent:  # a leaf, or a primal given as an inner node
                continue
            children, partials, scale = read(node)
            total: Any = 0.0
            for child, d in zip(children, partials):
                total = total + chain(tangent.get(child, 0.0), d)
            tangent[node] = chain(total, scale)
    dots = tuple(tangent.get(o, 0.0) for o in outputs)
    if as_values:
        values: tuple[Any, ...] = outputs
        dots = tuple(d if isinstance(d, Value) else Value(d) for d in dots)
    else:
        values = tuple(o.data for o in outputs)
        dots = tuple(float(getattr(d, "data", d)) for d in dots)
    if isinstance(out, (list, tuple)):
        return values, dots
    return values[0], dots[0]
