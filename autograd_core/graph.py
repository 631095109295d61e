"""Graph bookkeeping: one iterative topological order, the backward pass, and zero_grad.

No recursion anywhere, so a chain of a million nodes is as fine as a chain of ten. A walk marks the
nodes it meets in their `_mark` slot with a number unique to that walk (instead of keeping hash sets),
which keeps its cost per node flat from ten nodes to millions. Walks over graphs that share nodes must
therefore not run concurrently in several threads.
"""

from __future__ import annotations

from itertools import count
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .value import Value

__all__ = ["topological_order", "backward", "zero_grad", "edges"]

_walk_ids = count(1)


def _walk(root: Value, for_backward: bool) -> list[Value]:
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
    stack = [root]
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


def topological_order(root: Value) -> list[Value]:
    """Every node under `root` exactly once, each after all of its children (root last)."""
    return _walk(root, for_backward=False)


def backward(root: Value, grad: float = 1.0) -> None:
    """Reverse-mode sweep: d(root)/d(node) into every node's `.grad`, scaled by `grad`.

    Intermediate (non-leaf) grads are reset first, so repeated calls give the same values there; leaf
    grads accumulate, as in PyTorch. Each node is visited once however many paths reach it, and each
    edge adds (local derivative × upstream gradient): the chain rule, summed over paths. A node whose
    gradient is exactly 0 passes nothing down (an infinite local derivative times 0 counts as 0).
    """
    order = _walk(root, for_backward=True)
    root.grad += grad
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
    for node in topological_order(root):
        node.grad = 0.0
