"""Compiler phases 1 and 2: trace a scalar graph into program nodes, then schedule them into instructions.

Two register files (see compile.py): `v`, one row of B floats per node that depends on an input (stored as
one block per instruction), and `s`, one float per node that does not (parameters, constants, and
expressions of those only). Scheduling groups graph nodes of the same depth, primitive and operand kinds
into ONE instruction on a block of rows, and the fused `dot` nodes that share their operand vector (a layer
of neurons) into one matrix product W @ X. A `dot` of per-batch operands only (an L2 penalty Σ p²) is one
`sdot` instruction: a row-wise sum of products over gathered rows of `s`.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .ops import FUSED_DOT
from .primitive import PRIMITIVES
from .value import Constant, Value

__all__ = ["Ref", "Part", "Instruction", "trace", "schedule"]

ALL = slice(None)  # a whole block


@dataclass(frozen=True)
class Part:
    """A run of rows of one block of v: `rows` is `ALL`, a slice or an index array; `count` rows."""

    block: int
    rows: Any
    count: int
    unique: bool


@dataclass(frozen=True)
class Ref:
    """Rows of a register file: `space` is "v" (per sample) or "s" (per batch); `index` a slice or array.

    For v, `parts` locates the rows in the blocks (block 0 holds the inputs, block k the result of
    instruction k). `unique`: no row repeated, so `g[index] += x` accumulates exactly.
    """

    space: str
    index: Any  # slice | np.ndarray of row numbers
    unique: bool = True
    parts: tuple[Part, ...] = ()

    @staticmethod
    def of(space: str, rows: Sequence[int], where: Sequence[tuple[int, int, int]] = ()) -> Ref:
        """Rows as a slice when consecutive (a view, no copy), else an index array. For v, `where[r]` is
        (block, row in the block, block size) of row r."""
        index, _, unique = _index(rows)
        parts = []
        if space == "v":
            for b, group in itertools.groupby(rows, key=lambda r: where[r][0]):
                run = list(group)
                parts.append(Part(b, *_index([where[r][1] for r in run], where[run[0]][2])))
        return Ref(space, index, unique, tuple(parts))

    def __len__(self) -> int:
        i = self.index
        return i.stop - i.start if isinstance(i, slice) else len(i)

    def __str__(self) -> str:
        i = self.index
        if isinstance(i, slice):
            return f"{self.space}[{i.start}]" if i.stop == i.start + 1 else f"{self.space}[{i.start}:{i.stop}]"
        rows = ",".join(map(str, i[:4])) + (",…" if len(i) > 4 else "")
        return f"{self.space}[{rows}]"


@dataclass(frozen=True)
class Instruction:
    """`out = op(*args)` on blocks of rows. For "dot", args = (X, W, b?): out = W @ X + b with W the rows of
    s given by `args[1]` laid out as `shape` (one node's weights per row). For "sdot", args = (W, X, b?),
    all rows of s laid out as `shape`: out = Σⱼ W[i, j]·X[i, j] + b[i]. `needs_grad[i]`: whether a
    parameter lies under args[i] (backward computes only those gradients). `probe`: the graph data of
    the block's first node's operands (to learn which local derivatives are constants)."""

    op: str
    out: Ref
    args: tuple[Ref, ...]
    shape: tuple[int, int] | None = None
    needs_grad: tuple[bool, ...] = ()
    probe: tuple[float, ...] = ()

    def __str__(self) -> str:
        if self.op in ("dot", "sdot"):
            m, k = self.shape  # type: ignore[misc]
            x, w, *b = self.args if self.op == "dot" else (self.args[1], self.args[0], *self.args[2:])
            bias = f" + {b[0]}" if b else ""
            product = "@" if self.op == "dot" else "·"
            return f"{self.out!s:<11} = {self.op:<10} {w} ({m}×{k}) {product} {x}{bias}"
        return f"{self.out!s:<11} = {self.op:<10} {', '.join(map(str, self.args))}"


def _index(rows: Sequence[int], size: int | None = None) -> tuple[Any, int, bool]:
    """(slice or index array, count, unique) for `rows`; `ALL` when they are all `size` rows in order."""
    n, first = len(rows), rows[0]
    if list(rows) == list(range(first, first + n)):
        return (ALL if first == 0 and n == size else slice(first, first + n)), n, True
    return np.asarray(rows, dtype=np.intp), n, len(set(rows)) == n


class Node:
    """One node of the traced program before scheduling (a graph node, or a piece of a lowered dot).
    `batch`: depends on an input; `grad`: depends on a parameter; `data`: its value in the traced graph."""

    __slots__ = ("op", "args", "batch", "grad", "level", "rank", "value", "data")

    def __init__(
        self, op: str, args: tuple[int, ...], batch: bool, grad: bool, level: int, rank: int, value: Any, data: float
    ) -> None:
        self.op, self.args, self.batch, self.grad, self.level = op, args, batch, grad, level
        self.rank, self.value, self.data = rank, value, data


LEAVES = ("input", "param", "const")


def trace(order: list[Value], roots: Sequence[Value], inputs: tuple[Value, ...]) -> tuple[list[Node], list[int]]:
    """Program nodes for the graph in topological `order` (and the ids of `roots`): leaves classified, one
    node per op node, dots kept whole when their weights are per batch and their operands per sample (or
    all per batch: "sdot"), else lowered to * and +."""
    nodes: list[Node] = []
    ids: dict[Value, int] = {}
    rank = {node: i for i, node in enumerate(order)}

    def add(op: str, args: tuple[int, ...], r: int, value: Any = None, data: float = 0.0) -> int:
        level, batch, grad = 0, op == "input", op == "param"
        for a in args:  # a plain loop: this runs once per operand of every node
            kid = nodes[a]
            if kid.level >= level:
                level = kid.level + 1
            batch = batch or kid.batch
            grad = grad or kid.grad
        nodes.append(Node(op, args, batch, grad, level, r, value, data))
        return len(nodes) - 1

    for i, x in enumerate(inputs):
        ids[x] = add("input", (), rank.get(x, -1), i, x.data)
    for node in order:
        if node in ids:
            continue
        r, op = rank[node], node._op
        if node._x is None:
            kind = "const" if isinstance(node, Constant) else "param"
            ids[node] = add(kind, (), r, node.data if kind == "const" else node, node.data)
        elif op == "dot":
            ids[node] = _trace_dot(node, ids, nodes, add, r)
        elif op.endswith(FUSED_DOT):  # a neuron with its activation fused in: dot, then the activation
            ids[node] = add(op[: -len(FUSED_DOT)], (_trace_dot(node, ids, nodes, add, r),), r, data=node.data)
        elif op in PRIMITIVES:
            ids[node] = add(op, tuple(ids[c] for c in node._prev), r, data=node.data)
        else:
            raise NotImplementedError(f"compile: {op!r} is not a known primitive")
    return nodes, [ids[r] for r in roots]


def _trace_dot(node: Value, ids: dict[Value, int], nodes: list[Node], add: Callable[..., int], r: int) -> int:
    children = [ids[c] for c in node._prev]
    k = len(children) // 2
    ws, xs, bias = children[:k], children[k : 2 * k], children[2 * k :]
    batch = [nodes[c].batch for c in children]
    z = node.data if node._op == "dot" else 0.0  # a fused node's data is the activation's output
    if k == 1 and not bias and node._op == "dot":  # w·1.0 (the mean of a batch of one) is w itself, exactly
        for a, one in ((ws[0], xs[0]), (xs[0], ws[0])):
            if nodes[one].op == "const" and nodes[one].value == 1.0:
                return a
    if k and not any(batch):  # parameters and constants only (an L2 term): one row-wise sum of products
        return add("sdot", (*ws, *xs, *bias), r, data=z)
    if k and not any(batch[:k]) and all(batch[k : 2 * k]) and not any(batch[2 * k :]):
        return add("dot", (*ws, *xs, *bias), r, data=z)
    if k and all(batch[:k]) and not any(batch[k:]):  # w·x = x·w: the per-batch side becomes W
        return add("dot", (*xs, *ws, *bias), r, data=z)
    # mixed kinds: Σ wᵢxᵢ + b, summed left to right as ops.dot does
    acc = add("const", (), r, 0.0) if not k else add("*", (ws[0], xs[0]), r, data=nodes[ws[0]].data * nodes[xs[0]].data)
    for w, x in zip(ws[1:], xs[1:]):
        term = add("*", (w, x), r, data=nodes[w].data * nodes[x].data)
        acc = add("+", (acc, term), r, data=nodes[acc].data + nodes[term].data)
    if bias:
        return add("+", (acc, bias[0]), r, data=nodes[acc].data + nodes[bias[0]].data)
    return acc


def schedule(nodes: list[Node], outs: list[int], n_in: int) -> tuple[list[Instruction], list[Ref], list[int]]:
    """Group nodes into instructions and give every node a row; returns (program, output refs, rows).

    Nodes with the same depth, primitive and operand kinds (and, for dots, the same operand vector) are
    independent of one another, so each such group is one instruction. Rows: v = inputs, then outputs
    of instructions; s = parameters (in the order the dot layers read them, so a layer's weights are one
    slice), constants, then outputs of per-batch instructions.
    """
    groups: dict[tuple[Any, ...], list[int]] = {}
    for i, n in enumerate(nodes):
        if n.op in LEAVES:
            continue
        if n.op == "dot":
            k = len(n.args) // 2
            key: tuple[Any, ...] = (n.level, "dot", tuple(n.args[k : 2 * k]), len(n.args) % 2)
        elif n.op == "sdot":
            key = (n.level, "sdot", len(n.args) // 2, len(n.args) % 2)
        else:
            key = (n.level, n.op, tuple(nodes[a].batch for a in n.args))
        groups.setdefault(key, []).append(i)
    blocks = [sorted(g, key=lambda i: nodes[i].rank) for g in groups.values()]
    blocks.sort(key=lambda g: (nodes[g[0]].level, nodes[g[0]].rank))
    row = [-1] * len(nodes)
    counts = {"v": n_in, "s": 0}

    def place(i: int, space: str) -> None:
        if row[i] < 0:
            row[i], counts[space] = counts[space], counts[space] + 1

    where = [(0, i, n_in) for i in range(n_in)]  # v row -> (block, row in block, block size)
    for i, n in enumerate(nodes):
        if n.op == "input":
            row[i] = n.value
    # parameters in reading order: the dot layers' weights row by row and biases first (each a slice)
    reads = [_operand_rows(nodes, block) for block in blocks]
    for dots_first in (True, False):
        for block, operands in zip(blocks, reads):
            if (nodes[block[0]].op == "dot") == dots_first:
                for operand in operands:
                    for i in operand:
                        if nodes[i].op == "param":
                            place(i, "s")
    for kind in ("param", "const"):
        for i, n in enumerate(nodes):
            if n.op == kind:
                place(i, "s")
    program: list[Instruction] = []
    for block, operand_ids in zip(blocks, reads):
        first = nodes[block[0]]
        space = "v" if first.batch else "s"
        operands = [[row[i] for i in operand] for operand in operand_ids]
        grads = tuple(any(nodes[i].grad for i in operand) for operand in operand_ids)
        for i in block:
            place(i, space)
        if space == "v":
            where += [(len(program) + 1, j, len(block)) for j in range(len(block))]
        target = Ref.of(space, [row[i] for i in block], where)
        if first.op == "dot":
            x, w, *b = operands
            args = (Ref.of("v", x, where), Ref.of("s", w), *(Ref.of("s", r) for r in b))
            ins = Instruction("dot", target, args, (len(block), len(w) // len(block)), grads)
        elif first.op == "sdot":
            args = tuple(Ref.of("s", r) for r in operands)
            ins = Instruction("sdot", target, args, (len(block), len(operands[0]) // len(block)), grads)
        else:
            kinds = ["v" if nodes[a].batch else "s" for a in first.args]
            args = tuple(map(Ref.of, kinds, operands, [where] * len(kinds)))
            ins = Instruction(first.op, target, args, None, grads, tuple(nodes[a].data for a in first.args))
        program.append(ins)
    out_refs = [Ref.of("v" if nodes[o].batch else "s", [row[o]], where) for o in outs]
    return program, out_refs, row


def _operand_rows(nodes: list[Node], block: list[int]) -> list[list[int]]:
    """The node ids a block reads, one list per operand: for a dot layer [X, W row-major, b?], for an
    sdot [W row-major, X row-major, b?]."""
    first = nodes[block[0]]
    if first.op in ("dot", "sdot"):
        k = len(first.args) // 2
        ws = [a for i in block for a in nodes[i].args[:k]]
        xs = [a for i in block for a in nodes[i].args[k : 2 * k]]
        operands = [list(first.args[k : 2 * k]), ws] if first.op == "dot" else [ws, xs]
        if len(first.args) % 2:
            operands.append([nodes[i].args[-1] for i in block])
        return operands
    return [[nodes[i].args[p] for i in block] for p in range(len(first.args))]
