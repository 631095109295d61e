"""Compiled batch mode: trace a scalar graph once, replay it over numpy batches.

A model written with scalar Values for ONE sample (inputs x₁…xₙ → output) is a fixed expression of its
inputs and parameters. `compile(output, inputs)` walks that graph once and writes a flat program over
two register files:

    v   one row of B floats (B = batch size) per node that depends on an input
    s   one float per node that does not: parameters, constants, and expressions of those only

Graph nodes of the same depth, primitive and operand kinds become ONE instruction (a layer's 16 relu
nodes are one `relu` on a 16×B block), and the fused `dot` nodes that share their operand vector (a
layer of neurons) become one matrix product W @ X, with W gathered from `s`. A `dot` whose operands
mix the two kinds some other way is lowered to `*` and `+` instructions.

`forward` evaluates the program with each primitive's one rule over numpy arrays (`Primitive.arrays`,
which also gives samples with special values exactly the eager answer), keeping each instruction's
local derivatives (the tape); `backward` applies the chain rule (`primitive.chain_array`, the same
0·∞ convention as eager mode) to the program in reverse, a block at a time, and adds ∂(mean or sum of the outputs)/∂p into every parameter's `.grad`.
Memory: v lives as one (m, B) block per instruction, dropped after its last read, so a batch costs
about what the tape holds (for an MLP: each layer's input and relu mask), like hand-written numpy.

What is traced is the graph, not the Python that built it: a comparison or `if` on a Value's data
was decided for the sample the graph was built with, and stays so for every sample of a batch.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from operator import attrgetter
from typing import Any

import numpy as np

from .graph import topological_order
from .ops import FUSED_DOT
from .primitive import PRIMITIVES, chain_array
from .value import Constant, Value

__all__ = ["compile", "Compiled", "Instruction", "Ref"]

_data = attrgetter("data")


@dataclass(frozen=True)
class Ref:
    """Rows of a register file: `space` is "v" (per sample) or "s" (per batch); `index` a slice or array.

    `v` is stored as blocks, one (m, B) array per instruction (block 0 holds the inputs), so that an
    instruction's result is kept as numpy returns it, never copied in. `parts` locates the rows there:
    (block, rows in the block (a slice, `slice(None)` for all of it, or an array), count, unique) for
    each run of rows from one block.
    """

    space: str
    index: Any  # slice | np.ndarray of row numbers
    unique: bool = True  # no row repeated, so `g[index] += x` accumulates exactly
    parts: tuple[tuple[int, Any, int, bool], ...] = ()

    @staticmethod
    def of(space: str, rows: Sequence[int], where: Sequence[tuple[int, int, int]] = ()) -> Ref:
        """Rows as a slice when consecutive (a view, no copy), else an index array. For v, `where[r]` is
        (block, row in the block, block size) of row r."""
        index, _, unique = _index(rows)
        parts = []
        if space == "v":
            for b, group in itertools.groupby(rows, key=lambda r: where[r][0]):
                run = list(group)
                parts.append((b, *_index([where[r][1] for r in run], where[run[0]][2])))
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
    """`out = op(*args)` on blocks of rows. For "dot", args = (X, W, b): out = W @ X + b, with W the
    rows of s given by `args[1]` laid out as `shape` (one node's weights per row), b optional."""

    op: str
    out: Ref
    args: tuple[Ref, ...]
    shape: tuple[int, int] | None = None

    def __str__(self) -> str:
        if self.op == "dot":
            x, w, *b = self.args
            bias = f" + {b[0]}" if b else ""
            m, k = self.shape  # type: ignore[misc]
            return f"{self.out!s:<11} = dot        {w} ({m}×{k}) @ {x}{bias}"
        return f"{self.out!s:<11} = {self.op:<10} {', '.join(map(str, self.args))}"


_ALL = slice(None)  # a whole block (so `grads[b] = g` may adopt g instead of adding into zeros)


def _index(rows: Sequence[int], size: int | None = None) -> tuple[Any, int, bool]:
    """(slice or index array, count, unique) for `rows`; `_ALL` when they are all `size` rows in order."""
    n, first = len(rows), rows[0]
    if list(rows) == list(range(first, first + n)):
        return (_ALL if first == 0 and n == size else slice(first, first + n)), n, True
    return np.asarray(rows, dtype=np.intp), n, len(set(rows)) == n


class _Node:
    """One node of the traced program before scheduling (a graph node, or a piece of a lowered dot)."""

    __slots__ = ("op", "args", "batch", "level", "rank", "value")

    def __init__(self, op: str, args: tuple[Any, ...], batch: bool, level: int, rank: int, value: Any = None):
        self.op, self.args, self.batch, self.level, self.rank, self.value = op, args, batch, level, rank, value


def compile(output: Value, inputs: Iterable[Value]) -> Compiled:
    """Trace the graph under `output` once into a batched program; `inputs` are its per-sample leaves.

    Every other leaf with a path to `output` is a parameter (its current `.data` is read on each
    `forward`), except `Constant`s (numbers met in expressions), whose values are fixed now. An input
    that `output` does not depend on is allowed: its column is checked and otherwise ignored.
    Build the graph on a valid sample (e.g. the first row of the data): it is evaluated eagerly once.

        >>> x, p = Value(1.0, label="x"), Value(0.5)
        >>> program = compile((p * x).tanh(), [x])
        >>> program.forward([0.0, 1.0, 2.0]).round(4)
        array([0.    , 0.4621, 0.7616])
        >>> program.backward("sum"); round(p.grad, 4)   # Σ x·(1 - tanh²(p·x))
        1.6264
    """
    if not isinstance(output, Value):
        raise TypeError(f"compile: output must be a Value, got {type(output).__name__}")
    inputs = tuple(inputs)
    for i, x in enumerate(inputs):
        if not isinstance(x, Value):
            raise TypeError(f"compile: inputs[{i}] must be a Value, got {type(x).__name__}")
        if x._x is not None:
            raise ValueError(
                f"compile: inputs[{i}] is not a leaf (it was computed by {x._op!r}); "
                "inputs are the leaf Values that vary per sample"
            )
        if any(x is y for y in inputs[:i]):
            raise ValueError(f"compile: inputs[{i}] repeats an earlier input")
    return Compiled(output, inputs)


class Compiled:
    """A scalar graph as a batched program. `forward(*columns)` → outputs; `backward()` → parameter grads.

    Attributes: `inputs` (the leaf Values, in column order), `parameters` (leaves read on each forward),
    `program` (the Instructions), `n_nodes` (graph nodes traced), `n_constants`.
    """

    def __init__(self, output: Value, inputs: tuple[Value, ...]) -> None:
        self.inputs = inputs
        order = topological_order(output)
        self.n_nodes = len(order)
        # a node's position in the topological order (first operand first) orders the rows of each block,
        # so a layer's outputs land in the order the next layer reads them: a slice, not a gather
        nodes, out = _trace(order, {node: i for i, node in enumerate(order)}, inputs)
        self.program, self._out, row = _schedule(nodes, out, len(inputs))
        self._release = _last_uses(self.program, self._out)
        by_row = sorted((row[i], n.op, n.value) for i, n in enumerate(nodes) if n.op in ("param", "const"))
        self.parameters: list[Value] = [value for _, op, value in by_row if op == "param"]
        self.n_constants = len(by_row) - len(self.parameters)
        # s rows: parameters, constants (fixed now), then per-batch instruction outputs
        self._s0 = np.zeros(1 + max([row[i] for i, n in enumerate(nodes) if not n.batch], default=-1))
        self._s0[len(self.parameters) : len(by_row)] = [value for _, op, value in by_row if op == "const"]
        self._tape: tuple[Any, ...] | None = None

    @property
    def n_instructions(self) -> int:
        """Number of instructions in the program (each runs on a whole block of nodes × samples)."""
        return len(self.program)

    # ---- forward ---------------------------------------------------------------------------------
    def forward(self, *columns: Any) -> np.ndarray:
        """The output for every sample: `columns[i][j]` is input i of sample j (1-D, equal lengths).

        Domain errors (log of x <= 0, …) raise the eager mode's exception types, naming the op and
        the first offending sample.
        """
        x = self._columns(columns)
        self._tape = None
        with np.errstate(all="ignore"):  # the rules check special values themselves
            try:
                tape = self._run(x)
            except (ArithmeticError, ValueError) as e:
                raise self._first_error(x, e) from None
        v, s2, local = tape
        if self._out.space == "v":
            ((b, i, _, _),) = self._out.parts
            out = v[b][i][0].copy()
        else:
            out = np.full(x.shape[1], s2[self._out.index.start, 0])
        # backward needs only the tape and the shapes of the blocks: let the blocks go
        self._tape = ([getattr(block, "shape", block) for block in v], s2, local)
        self._batch = x.shape[1]
        return out

    def _first_error(self, x: np.ndarray, err: Exception) -> Exception:
        """`err` names the first failing sample of the first failing instruction, but an earlier sample
        may fail in a later instruction: rerun the samples before it until none fails."""
        j = getattr(err, "sample", 0)
        while j:
            try:
                self._run(x[:, :j])
                break
            except (ArithmeticError, ValueError) as e:
                err, j = e, getattr(e, "sample", 0)
        return err

    def _columns(self, columns: tuple[Any, ...]) -> np.ndarray:
        """The input columns as one (n_inputs, B) float array, after checking them."""
        if len(columns) != len(self.inputs):
            raise ValueError(f"forward: expected {len(self.inputs)} input column(s), got {len(columns)}")
        arrays = []
        for i, c in enumerate(columns):
            a = np.asarray(c)
            if a.dtype.kind not in "biuf":
                raise ValueError(f"forward: column {i} must hold real numbers, got dtype {a.dtype}")
            if a.ndim != 1:
                raise ValueError(f"forward: column {i} must be 1-D (one number per sample), got shape {a.shape}")
            arrays.append(a)
        lengths = {len(a) for a in arrays}
        if len(lengths) > 1:
            raise ValueError(f"forward: columns differ in length: {[len(a) for a in arrays]}")
        if lengths == {0}:
            raise ValueError("forward: empty batch (columns of length 0)")
        if not arrays:
            raise ValueError("forward: a program without inputs needs no batch; evaluate the graph eagerly")
        return np.array(arrays, dtype=np.float64, ndmin=2)

    def _run(self, x: np.ndarray) -> tuple[list[np.ndarray], np.ndarray, list[tuple[Any, ...]]]:
        """Evaluate every instruction on the batch `x`; returns the registers and local derivatives."""
        v: list[Any] = [x]  # block 0: the inputs; then one block per instruction (None if per batch)
        # a block read for the last time is replaced by its shape (what backward needs is on the tape)
        s = self._s0.copy()
        s[: len(self.parameters)] = list(map(_data, self.parameters))
        s2 = s[:, None]  # (n_s, 1): broadcasts against (m, B) blocks of v
        tape: list[tuple[Any, ...]] = []
        for ins, release in zip(self.program, self._release):
            if ins.op == "dot":
                xb = _fetch(v, s2, ins.args[0])
                w = s[ins.args[1].index].reshape(ins.shape)
                out = w @ xb
                if len(ins.args) == 3:
                    out += _fetch(v, s2, ins.args[2])
                tape.append((w, xb))
            else:
                out, *local = PRIMITIVES[ins.op].arrays(*(_fetch(v, s2, a) for a in ins.args))
                tape.append(tuple(local))
            if ins.out.space == "s":
                s2[ins.out.index] = out
                v.append(None)
            else:
                v.append(np.broadcast_to(out, (len(ins.out), x.shape[1])))
            for b in release:
                v[b] = v[b].shape
        return v, s2, tape

    # ---- backward --------------------------------------------------------------------------------
    def backward(self, reduction: str = "mean") -> None:
        """Add ∂L/∂p to every parameter's `.grad`, L = mean (or sum) over the last forward's outputs.

        Chain rule per instruction, in reverse: ∂L/∂arg = ∂L/∂out · ∂out/∂arg, summed over the samples
        where the argument is per batch (parameters); for a dot layer ∂L/∂X = Wᵀ G and ∂L/∂W = G Xᵀ.
        """
        if reduction not in ("mean", "sum"):
            raise ValueError(f"backward: reduction must be 'mean' or 'sum', got {reduction!r}")
        if self._tape is None:
            raise RuntimeError("backward: call forward(...) successfully first (there is no batch to differentiate)")
        shapes, s2, tape = self._tape
        batch = self._batch
        grads: list[Any] = [None] * len(shapes)  # per block of v, made on first use
        gs2 = np.zeros_like(s2)
        gs = gs2[:, 0]  # flat view
        seed = 1.0 / batch if reduction == "mean" else 1.0
        seeds = np.full((1, batch), seed) if self._out.space == "v" else seed * batch  # d mean / d output
        _accumulate(grads, gs2, shapes, self._out, seeds)
        with np.errstate(all="ignore"):
            for k in range(len(self.program) - 1, -1, -1):
                ins, local = self.program[k], tape[k]
                g = gs2[ins.out.index] if ins.out.space == "s" else grads[k + 1]
                if g is None:  # nothing downstream depends on this block
                    continue
                grads[k + 1] = None  # used up: free it before the next block's gradient is made
                if ins.op == "dot":
                    w, xb = local
                    _accumulate(grads, gs2, shapes, ins.args[0], w.T @ g)
                    _add(gs, ins.args[1].index, (g @ xb.T).ravel(), ins.args[1].unique)
                    if len(ins.args) == 3:
                        _accumulate(grads, gs2, shapes, ins.args[2], g.sum(axis=1, keepdims=True))
                    continue
                for ref, d in zip(ins.args, local):
                    ga = chain_array(g, d)
                    if ref.space == "s" and ins.out.space == "v":
                        ga = ga.sum(axis=1, keepdims=True)
                    _accumulate(grads, gs2, shapes, ref, ga)
        for p, gp in zip(self.parameters, gs[: len(self.parameters)].tolist()):
            p.grad += gp

    # ---- display ---------------------------------------------------------------------------------
    def listing(self) -> str:
        """The program, one instruction per line, with what the registers hold."""
        names = ", ".join(x.label or f"x{i}" for i, x in enumerate(self.inputs))
        p, c = len(self.parameters), self.n_constants
        consts = self._s0[p : p + c]
        shown = ", ".join(f"{k:g}" for k in consts[:6]) + (", …" if c > 6 else "")
        n = len(self.inputs)
        lines = [
            f"compiled program: {self.n_nodes} graph nodes -> {self.n_instructions} instructions",
            f"     {f'v[0:{n}]':<11} : inputs ({names}), one row of samples each",
            f"     {f's[0:{p}]':<11} : parameters, read on every forward",
        ]
        if c:
            lines.append(f"     {f's[{p}:{p + c}]':<11} : constants ({shown})")
        lines += [f"{i:>3}  {ins}" for i, ins in enumerate(self.program, 1)]
        lines.append(f"     output      : {self._out}")
        return "\n".join(lines)

    __str__ = listing

    def __repr__(self) -> str:
        return (
            f"<Compiled: {len(self.inputs)} inputs, {len(self.parameters)} parameters, "
            f"{self.n_instructions} instructions from {self.n_nodes} nodes>"
        )


# ---- execution helpers --------------------------------------------------------------------------


def _fetch(v: list[np.ndarray], s2: np.ndarray, ref: Ref) -> np.ndarray:
    """The rows `ref` names: a view when they are a slice of one block, else a gathered copy."""
    if ref.space == "s":
        return s2[ref.index]
    if len(ref.parts) == 1:
        b, index, _, _ = ref.parts[0]
        return v[b][index]
    return np.concatenate([v[b][index] for b, index, _, _ in ref.parts])


def _add(target: np.ndarray, index: Any, value: np.ndarray, unique: bool) -> None:
    """target[index] += value, summing repeated indices (np.add.at) when there are any."""
    if unique:
        target[index] += value
    else:
        np.add.at(target, index, value)


def _accumulate(grads: list[Any], gs2: np.ndarray, shapes: list[Any], ref: Ref, g: np.ndarray) -> None:
    """Add the gradient block `g` (one row per row of `ref`) into the gradient registers.

    A block of v gets its gradient array on first use: the incoming array itself when it covers the
    whole block (it is a fresh result of this backward pass), else zeros to add into.
    """
    if ref.space == "s":
        _add(gs2, ref.index, g, ref.unique)
        return
    offset = 0
    for b, index, count, unique in ref.parts:
        piece = g[offset : offset + count]
        offset += count
        if grads[b] is None:
            if index is _ALL and piece.shape == shapes[b]:
                grads[b] = piece
                continue
            grads[b] = np.zeros(shapes[b])
        _add(grads[b], index, piece, unique)


# ---- tracing: graph -> program nodes ------------------------------------------------------------


def _trace(order: list[Value], rank: dict[Value, int], inputs: tuple[Value, ...]) -> tuple[list[_Node], int]:
    """Program nodes for the graph (and the output's id): leaves classified, one node per op node, dots
    kept whole (layer form) when their weights are per batch and their operands per sample, else lowered
    to * and +."""
    nodes: list[_Node] = []
    ids: dict[Value, int] = {}

    def add(op: str, args: tuple[int, ...], r: int, value: Any = None) -> int:
        kids = [nodes[a] for a in args]
        level = 1 + max(k.level for k in kids) if kids else 0
        nodes.append(_Node(op, args, any(k.batch for k in kids) or op == "input", level, r, value))
        return len(nodes) - 1

    for i, x in enumerate(inputs):
        ids[x] = add("input", (), rank.get(x, -1), i)
    for node in order:
        if node in ids:
            continue
        r = rank[node]
        op = node._op
        if node._x is None:
            ids[node] = add("const", (), r, node.data) if isinstance(node, Constant) else add("param", (), r, node)
        elif op == "dot":
            ids[node] = _trace_dot(node, ids, nodes, add, r)
        elif op.endswith(FUSED_DOT):  # a neuron with its activation fused in: dot, then the activation
            ids[node] = add(op[: -len(FUSED_DOT)], (_trace_dot(node, ids, nodes, add, r),), r)
        elif op in PRIMITIVES:
            ids[node] = add(op, tuple(ids[c] for c in node._prev), r)
        else:
            raise NotImplementedError(f"compile: {op!r} is not a known primitive")
    return nodes, ids[order[-1]]


def _trace_dot(node: Value, ids: dict[Value, int], nodes: list[_Node], add: Any, r: int) -> int:
    children = [ids[c] for c in node._x]
    k = len(children) // 2
    ws, xs, bias = children[:k], children[k : 2 * k], children[2 * k :]
    batch = [nodes[c].batch for c in children]
    if k and not any(batch[:k]) and all(batch[k : 2 * k]) and not any(batch[2 * k :]):
        return add("dot", (*ws, *xs, *bias), r)
    if k and all(batch[:k]) and not any(batch[k:]):  # w·x = x·w: the per-batch side becomes W
        return add("dot", (*xs, *ws, *bias), r)
    # mixed kinds: Σ wᵢxᵢ + b, summed left to right as ops.dot does
    acc = add("const", (), r, 0.0) if not k else None
    for w, x in zip(ws, xs):
        term = add("*", (w, x), r)
        acc = term if acc is None else add("+", (acc, term), r)
    return add("+", (acc, bias[0]), r) if bias else acc  # type: ignore[arg-type]


# ---- scheduling: program nodes -> instructions --------------------------------------------------


def _schedule(nodes: list[_Node], out: int, n_in: int) -> tuple[list[Instruction], Ref, list[int]]:
    """Group nodes into instructions and give every node a row; returns (program, output ref, rows).

    Nodes with the same depth, primitive and operand kinds (and, for dots, the same operand vector) are
    independent of one another, so each such group is one instruction. Rows: v = inputs, then outputs
    of instructions; s = parameters (in the order the program reads them, so a layer's weights are one
    slice), constants, then outputs of per-batch instructions.
    """
    groups: dict[tuple[Any, ...], list[int]] = {}
    for i, n in enumerate(nodes):
        if n.op in _LEAVES:
            continue
        if n.op == "dot":
            k = len(n.args) // 2
            key: tuple[Any, ...] = (n.level, "dot", tuple(n.args[k : 2 * k]), len(n.args) % 2)
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
    for block in blocks:  # parameters in reading order: weights row by row, then biases, then the rest
        for operand in _operand_rows(nodes, block):
            for i in operand:
                if nodes[i].op == "param":
                    place(i, "s")
    for kind in ("param", "const"):
        for i, n in enumerate(nodes):
            if n.op == kind:
                place(i, "s")
    program = []
    for block in blocks:
        first = nodes[block[0]]
        space = "v" if first.batch else "s"
        operands = [[row[i] for i in operand] for operand in _operand_rows(nodes, block)]
        for i in block:
            place(i, space)
        if space == "v":
            where += [(len(program) + 1, j, len(block)) for j in range(len(block))]
        target = Ref.of(space, [row[i] for i in block], where)
        if first.op == "dot":
            x, w, *b = operands
            args = (Ref.of("v", x, where), Ref.of("s", w), *(Ref.of("s", r) for r in b))
            program.append(Instruction("dot", target, args, (len(block), len(w) // len(block))))
        else:
            kinds = ["v" if nodes[a].batch else "s" for a in first.args]
            program.append(Instruction(first.op, target, tuple(map(Ref.of, kinds, operands, [where] * len(kinds)))))
    out_ref = Ref.of("v" if nodes[out].batch else "s", [row[out]], where)
    return program, out_ref, row


_LEAVES = ("input", "param", "const")


def _last_uses(program: list[Instruction], out: Ref) -> list[list[int]]:
    """For each instruction, the blocks of v read for the last time there (dropped after it in forward;
    the output block is kept until forward returns it)."""
    last: dict[int, int] = {}
    for k, ins in enumerate(program):
        for ref in ins.args:
            for b, *_ in ref.parts:
                last[b] = k
    keep = {b for b, *_ in out.parts}
    release: list[list[int]] = [[] for _ in program]
    for b, k in last.items():
        if b not in keep:
            release[k].append(b)
    return release


def _operand_rows(nodes: list[_Node], block: list[int]) -> list[list[int]]:
    """The node ids a block reads, one list per operand: for a dot layer [X, W row-major, b?]."""
    first = nodes[block[0]]
    if first.op == "dot":
        k = len(first.args) // 2
        operands = [list(first.args[k : 2 * k]), [a for i in block for a in nodes[i].args[:k]]]
        if len(first.args) % 2:
            operands.append([nodes[i].args[-1] for i in block])
        return operands
    return [[nodes[i].args[p] for i in block] for p in range(len(first.args))]
