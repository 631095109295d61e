"""Copying and pickling graphs without recursion, so a graph of any depth works (`Value.__reduce_ex__`,
`Value.__deepcopy__` call these).

pickle: a leaf is its fields; an inner node is the flat list of the inner nodes under it, children
first, with the leaves referenced as objects (so a parameter pickled with its graph stays one object).
deepcopy: every node copied once, children first, through deepcopy's own memo.
"""

from __future__ import annotations

from typing import Any

from .graph import topological_order
from .value import Value, _node

__all__ = ["leaf", "flatten", "rebuild", "deepcopy_graph"]


# ---- pickling ------------------------------------------------------------------------------------


def leaf(cls: type, data: float, grad: float, label: str) -> Value:
    leaf = _node(cls, data, "", None, None, None, None)
    leaf.grad, leaf.label = grad, label
    return leaf


def flatten(root: Value) -> list[tuple[Any, ...]]:
    """The inner nodes under `root` in topological order as records (class, op, data, grad, label,
    operands, dx, dy); an operand is an int (an earlier record) or a leaf Value."""
    index: dict[Value, int] = {}
    records: list[tuple[Any, ...]] = []
    for node in topological_order(root):
        if node._x is None:
            continue
        ref = lambda v: index.get(v, v)
        x = node._x
        operands = tuple(map(ref, x)) if x.__class__ is tuple else ref(x)
        y = None if node._y is None else ref(node._y)
        index[node] = len(records)
        records.append((node.__class__, node._op, node.data, node.grad, node.label, operands, y, node._dx, node._dy))
    return records


def rebuild(records: list[tuple[Any, ...]]) -> Value:
    """The inverse of `flatten`: the graph rebuilt, its root returned."""
    nodes: list[Value] = []
    get = lambda r: nodes[r] if r.__class__ is int else r
    for cls, op, data, grad, label, x, y, dx, dy in records:
        x = tuple(map(get, x)) if x.__class__ is tuple else get(x)
        node = _node(cls, data, op, x, None if y is None else get(y), dx, dy)
        node.grad, node.label = grad, label
        nodes.append(node)
    return nodes[-1]


def deepcopy_graph(root: Value, memo: dict[int, Any]) -> Value:
    """`copy.deepcopy(root)`, iteratively: each node under `root` copied once, children first, through
    deepcopy's memo (so nodes shared with other copied objects stay shared)."""
    keep = memo.setdefault(id(memo), [])  # as copy.deepcopy does: the originals outlive the memo
    for node in topological_order(root):
        if id(node) in memo:
            continue
        x, y = node._x, node._y
        if x.__class__ is tuple:
            x = tuple(memo[id(c)] for c in x)
        elif x is not None:
            x = memo[id(x)]
        new = _node(node.__class__, node.data, node._op, x, None if y is None else memo[id(y)], node._dx, node._dy)
        new.grad, new.label = node.grad, node.label
        memo[id(node)] = new
        keep.append(node)
    copied: Value = memo[id(root)]
    return copied
