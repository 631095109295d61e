"""Graph bookkeeping: one iterative topological order, the backward pass, and zero_grad.

No recursion anywhere, so a chain of a million nodes is as fine as a chain of ten.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .value import Value

__all__ = ["topological_order", "backward", "zero_grad"]


def topological_order(root: Value) -> list[Value]:
    """Every node under `root` exactly once, each after all of its children (root last).

    Iterative depth-first post-order. A node on top of the stack is expanded once (its children that
    are not yet expanded are pushed above it) and emitted when it surfaces again. A node reached by two
    paths may sit in the stack twice; the second copy is dropped as already done.
    """
    order: list[Value] = []
    emit = order.append
    stack = [root]
    push = stack.append
    pop = stack.pop
    expanded: set[Value] = set()
    expand = expanded.add
    done: set[Value] = set()
    finish = done.add
    while stack:
        node = stack[-1]
        if node in expanded:
            pop()
            if node not in done:
                finish(node)
                emit(node)
            continue
        expand(node)
        x = node._x
        if x is None:  # leaf
            continue
        if x.__class__ is tuple:  # n-ary (dot)
            for child in x:
                if child not in expanded:
                    push(child)
            continue
        if x not in expanded:
            push(x)
        y = node._y
        if y is not None and y not in expanded:
            push(y)
    return order


def backward(root: Value, grad: float = 1.0) -> None:
    """Reverse-mode sweep: d(root)/d(node) into every node's `.grad`, scaled by `grad`.

    Intermediate (non-leaf) grads are reset first, so repeated calls give the same values there; leaf
    grads accumulate, as in PyTorch. Each node is visited once however many paths reach it, and each
    edge adds (local derivative × upstream gradient): the chain rule, summed over paths.
    """
    order = topological_order(root)
    for node in order:
        if node._x is not None:
            node.grad = 0.0
    root.grad += grad
    for node in reversed(order):
        x = node._x
        if x is None:
            continue
        g = node.grad
        y = node._y
        if y is not None:
            x.grad += node._dx * g
            y.grad += node._dy * g
        elif x.__class__ is tuple:
            for child, d in zip(x, node._dx):
                child.grad += d * g
        else:
            x.grad += node._dx * g


def zero_grad(root: Value) -> None:
    """Set `.grad` to 0 on every node under `root`, leaves included."""
    for node in topological_order(root):
        node.grad = 0.0
