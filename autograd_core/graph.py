"""Graph bookkeeping: one iterative topological order, the chain-rule sweeps, and zero_grad.

No recursion anywhere, so a chain of a million nodes is as fine as a chain of ten. A walk marks the
nodes it meets in their `_mark` slot with a number unique to that walk (instead of keeping hash sets),
which keeps its cost per node flat from ten nodes to millions. One lock serialises the walks (and
eager backward, which writes `.grad`), so threads may walk and differentiate graphs that share nodes:
each gets exactly what it would get alone, in some order.

The chain rule, ∂L/∂child += ∂L/∂node · ∂node/∂child summed over every use, is applied by `sweep`
(any storage, floats or Values) and by `backward` (the same loop specialised to `.grad` on floats, the
fast first-order path). Both take each edge's product from `primitive.chain`: a zero upstream gradient
passes nothing down (0·∞ counts as 0), otherwise IEEE (NaN propagates).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from itertools import count
from typing import TYPE_CHECKING, Any

from .primitive import chain

if TYPE_CHECKING:
    from .value import Value

__all__ = ["topological_order", "backward", "zero_grad", "edges", "sweep", "Edges"]

_walk_ids = count(1)
_LOCK = threading.RLock()

Edges = Callable[["Value"], tuple[Sequence["Value"], Sequence[Any], Any]]


def _walk(roots: Sequence[Value], for_backward: bool) -> list[Value]:
    """Depth-first post-order under `root`: each node once, after all of its children.

    A node on top of the stack is expanded once (children not yet done are pushed above it) and
    emitted when it surfaces again; a node reached by two paths may sit in the stack twice, and the
    later copy is dropped. With `for_backward`, leaves are left out and every emitted node's grad is
    reset to 0, ready for the backward sweep.
    """
    expanded = next(_walk_ids)
    done = -expanded
    order: list[Value] = []
    emit = order.append
    stack = list(reversed(roots))
    push = stack.append
    pop = stack.pop
    while stack:
        node = stack[-1]
        mark = node._mark
        if mark == expanded:  # all children done: emit
            pop()
            node._mark = done
            if not for_backward:
                emit(node)
            elif node._x is not None:
                node.grad = 0.0
                emit(node)
            continue
        if mark == done:  # a second copy of a node reached by two paths
            pop()
            continue
        node._mark = expanded
        x = node._x
        if x is None:  # leaf
            continue
        # operands pushed last-first, so the first operand is expanded (and emitted) first
        if x.__class__ is tuple:  # n-ary (dot)
            for child in reversed(x):
                if child._mark != done:
                    push(child)
            continue
        y = node._y
        if y is not None and y._mark != done:
            push(y)
        if x._mark != done:
            push(x)
    return order


def topological_order(root: Value | Sequence[Value]) -> list[Value]:
    """Every node under `root` exactly once, each after all of its children (root last).

    `root` may also be a sequence of Values: every node under any of them, once.
    """
    roots: Sequence[Value] = tuple(root) if isinstance(root, Sequence) else (root,)
    with _LOCK:
        return _walk(roots, for_backward=False)


def backward(root: Value, grad: float = 1.0) -> None:
    """Reverse-mode sweep: d(root)/d(node) into every node's `.grad`, scaled by `grad`.

    Intermediate (non-leaf) grads are reset first, so repeated calls give the same values there; leaf
    grads accumulate, as in PyTorch. Each node is visited once however many paths reach it, and each
    edge adds (local derivative × upstream gradient): the chain rule, summed over paths. A node whose
    gradient is exactly 0 passes nothing down (an infinite local derivative times 0 counts as 0).
    """
    with _LOCK:
        order = _walk((root,), for_backward=True)
        root.grad += grad
        _sweep_grads(order)


def _sweep_grads(order: list[Value]) -> None:
    """The chain rule into `.grad`, in reverse topological order: `sweep` specialised to floats stored on
    the nodes (a zero gradient skips the node, which is `chain`'s 0·anything = 0 for all its edges)."""
    for node in reversed(order):
        g = node.grad
        if g == 0.0:  # nothing flows down (a dead ReLU's branch, say); so 0·inf counts as 0 here
            continue
        x = node._x
        y = node._y
        if y is not None:  # binary
            x.grad += node._dx * g
            y.grad += node._dy * g
        elif x.__class__ is tuple:  # n-ary (dot): a'(z) · ∂z/∂child
            g *= node._dy
            if g == 0.0:  # a dead ReLU: nothing flows to its operands
                continue
            for child, d in zip(x, node._dx):
                child.grad += d * g
        else:  # unary
            x.grad += node._dx * g


def sweep(order: Sequence[Value], seed: Any, read: Edges, on_use: Callable[..., None] | None = None) -> list[Any]:
    """Reverse-mode chain rule over `order` (a topological order, output last) in a local list.

    Returns ∂output/∂node for every node of `order`, aligned with it, seeded with `seed` at the output.
    `read(node)` gives (operands, local derivatives, scale) as `edges` does: floats for first order,
    Values from `value_rules.local_values` for differentiable gradients (then the results are Values).
    `on_use(parent, position, child, upstream, local, product)` (indices into `order`) sees every edge,
    for views that explain the sum. Nothing on the nodes is changed.
    """
    index = {node: i for i, node in enumerate(order)}
    grads: list[Any] = [0.0] * len(order)
    grads[-1] = seed
    for i in range(len(order) - 1, -1, -1):
        g = grads[i]
        zero = g.__class__ is float and g == 0.0  # chain(0, ·) = 0 on every edge: nothing flows down
        if zero and on_use is None:
            continue
        children, partials, scale = read(order[i])
        scaled = chain(g, scale)  # a fused activation's a'(z); 1.0 otherwise, which leaves g exact
        for position, (child, local) in enumerate(zip(children, partials)):
            c = index[child]
            product = chain(scaled, local)
            if not zero:
                grads[c] = grads[c] + product
            if on_use is not None:
                on_use(i, position, c, g, local * scale, product)
    return grads


def edges(node: Value) -> tuple[tuple[Value, ...], tuple[float, ...], float]:
    """(operands, local derivative for each, scale): what `backward` uses at `node`.

    `backward` adds `local · (scale · node.grad)` to each operand's grad. The scale is 1.0 except for a
    `dot` with a fused activation, where the locals are ∂z/∂operand and the scale is a'(z).
    """
    x = node._x
    if x is None:
        return (), (), 1.0
    if x.__class__ is tuple:
        return x, tuple(node._dx), node._dy
    if node._y is None:
        return (x,), (node._dx,), 1.0
    return (x, node._y), (node._dx, node._dy), 1.0


def zero_grad(root: Value) -> None:
    """Set `.grad` to 0 on every node under `root`, leaves included."""
    with _LOCK:
        for node in _walk((root,), for_backward=False):
            node.grad = 0.0
