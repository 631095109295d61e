"""Compiler phase 3: write a scheduled program as straight-line Python over numpy blocks.

`forward_source` emits one function `forward(x, s)` with one line per instruction (no interpreter loop):
x is the (n_inputs, B) input block, s the (n_s, 1) per-batch registers (parameters, constants, per-batch
results). It returns the output rows and the tape (what backward reads). `backward_source` emits the
reverse sweep for a given set of seeded outputs: ∂L/∂arg = ∂L/∂out · ∂out/∂arg per instruction, only for
operands with a parameter under them, summed over the samples where the operand is per batch, added
into `gs` (the gradient of every s row). Local derivatives that are constants for a primitive (±1 for
+, − and neg) are folded into the code instead of multiplied at run time (guarded: a rule that returns an
array there, e.g. NaN partials where the output is NaN, is multiplied as usual); the product of an
upstream gradient and a local derivative is otherwise always the `chain` helper of compile.py.

Names in the generated code: v{b} block b of v (v0 = x, v{k+1} = result of instruction k), g{b} its
gradient, w{k}/x{k} the matrices of dot instruction k, l{k}_{i} its i-th local derivative, c{n} index
arrays and k{n} constants (bound in the function's namespace), F{k} the numpy rule of instruction k.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .compile_trace import ALL, Instruction, Ref

__all__ = ["Namespace", "forward_source", "backward_source", "constant_locals"]


class Namespace(dict[str, Any]):
    """The globals of the generated functions: numpy, the helpers, index arrays and constants by name."""

    def bind(self, value: Any, prefix: str) -> str:
        name = f"{prefix}{len(self)}"
        self[name] = value
        return name


def _rows(ns: Namespace, index: Any) -> str:
    if isinstance(index, slice):
        return ":" if index == ALL else f"{index.start}:{index.stop}"
    return ns.bind(index, "c")


def _fetch(ns: Namespace, ref: Ref) -> str:
    """An expression for the rows `ref` names: a view when they are a slice of one block, else a gather."""
    if ref.space == "s":
        return f"s[{_rows(ns, ref.index)}]"
    pieces = [f"v{p.block}" if p.rows is ALL else f"v{p.block}[{_rows(ns, p.rows)}]" for p in ref.parts]
    return pieces[0] if len(pieces) == 1 else f"np.concatenate(({', '.join(pieces)},))"


def constant_locals(ins: Instruction, rule: Callable[..., tuple[Any, ...]]) -> list[float | None]:
    """For each operand of `ins`, its local derivative when the rule returns a plain number for it (the
    same for every sample, e.g. ∂(x+y)/∂x = 1), else None. Learned by evaluating the rule once on the
    traced sample's operands."""
    n = len(ins.args)
    try:
        with np.errstate(all="ignore"):
            result = rule(*(np.array([[d]]) for d in ins.probe))
    except Exception:
        return [None] * n
    if len(result) != n + 1:
        return [None] * n
    return [float(d) if np.ndim(d) == 0 else None for d in result[1:]]


def forward_source(
    program: list[Instruction], outs: list[Ref], ns: Namespace, rule: Callable[[str], Callable[..., tuple[Any, ...]]]
) -> tuple[str, list[list[float | None]]]:
    """The source of `forward(x, s) -> (output rows, tape)`, and each instruction's constant locals."""
    last_read: dict[int, int] = {}
    for k, ins in enumerate(program):
        for ref in ins.args:
            for p in ref.parts:
                last_read[p.block] = k
    keep = {0} | {p.block for ref in outs for p in ref.parts}
    frees: dict[int, list[int]] = {}
    for b, k in last_read.items():
        if b not in keep:
            frees.setdefault(k, []).append(b)
    lines = ["def forward(x, s):", "    sf = s.reshape(-1)", "    v0 = x"]
    tape: list[str] = []
    consts: list[list[float | None]] = []
    for k, ins in enumerate(program):
        out = f"v{k + 1}"
        consts.append([None] * len(ins.args))
        if ins.op in ("dot", "sdot"):  # W @ X, or for sdot the row sums of W * X (both from s)
            assert ins.shape is not None  # dot instructions always carry their (m, k) layout
            m, n = ins.shape
            if ins.op == "dot":
                (x, w, *bias), x_grad, w_grad = ins.args, ins.needs_grad[0], ins.needs_grad[1]
                x_expr, product = _fetch(ns, x), f"w{k} @ x{k}"
            else:
                (w, x, *bias), w_grad, x_grad = ins.args, ins.needs_grad[0], ins.needs_grad[1]
                x_expr, product = (
                    f"sf[{_rows(ns, x.index)}].reshape({m}, {n})",
                    f"(w{k} * x{k}).sum(axis=1, keepdims=True)",
                )
            lines.append(f"    x{k} = {x_expr}")
            lines.append(f"    w{k} = sf[{_rows(ns, w.index)}].reshape({m}, {n})")
            lines.append(f"    {out} = {product}")
            if bias:  # added in place: the product is a fresh array
                lines.append(f"    {out} += {_fetch(ns, bias[0])}")
            tape += [f"w{k}"] * x_grad + [f"x{k}"] * w_grad  # ∂/∂X needs W, ∂/∂W needs X
        else:
            f = ns.bind(rule(ins.op), "F")
            consts[k] = constant_locals(ins, rule(ins.op))
            names = [f"l{k}_{i}" if ins.needs_grad[i] else "_" for i in range(len(ins.args))]
            lines.append(f"    {out}, {', '.join(names)}, = {f}({', '.join(_fetch(ns, a) for a in ins.args)})")
            tape += [name for name in names if name != "_"]
        if ins.out.space == "s":
            lines.append(f"    s[{_rows(ns, ins.out.index)}] = {out}")
        for b in frees.get(k, []):
            lines.append(f"    del v{b}")
    outputs = ", ".join(_fetch(ns, ref) for ref in outs)
    lines.append(f"    return [{outputs}], ({''.join(t + ', ' for t in tape)})")
    ns["_tape_names"] = tape
    return "\n".join(lines) + "\n", consts


class _Backward:
    """Writes the reverse sweep line by line, tracking which gradient blocks exist and which it owns."""

    def __init__(self, program: list[Instruction], ns: Namespace, n_in: int) -> None:
        self.ns = ns
        self.lines: list[str] = []
        self.state: dict[int, str] = {}  # block -> "alias" (may share memory) | "own" (safe to add into)
        self.s_rows: set[int] = set()  # rows of s that received a gradient
        self.size = {0: n_in} | {k + 1: len(ins.out) for k, ins in enumerate(program) if ins.out.space == "v"}

    def emit(self, line: str) -> None:
        self.lines.append("    " + line)

    def add_s(self, index: Any, unique: bool, expr: str, flat: bool = False) -> None:
        """gs[index] += expr (the flat view when `flat`: expr is a matrix of weight rows)."""
        rows = range(index.start, index.stop) if isinstance(index, slice) else index.tolist()
        self.s_rows.update(rows)
        target, value = ("gsf", f"({expr}).reshape(-1)") if flat else ("gs", expr)
        if unique:
            self.emit(f"{target}[{_rows(self.ns, index)}] += {value}")
        else:
            self.emit(f"np.add.at({target}, {_rows(self.ns, index)}, {value})")

    def add(self, ref: Ref, expr: str) -> None:
        """Add the gradient block `expr` (one row per row of `ref`) into the gradient registers."""
        if ref.space == "s":
            self.add_s(ref.index, ref.unique, expr)
            return
        if len(ref.parts) == 1 and ref.parts[0].rows is ALL:
            b = ref.parts[0].block
            if b in self.state:
                self.emit(f"g{b} = g{b} + {expr}")
                self.state[b] = "own"
            else:
                self.emit(f"g{b} = {expr}")
                self.state[b] = "alias"
            return
        self.emit(f"t = {expr}")
        offset = 0
        for p in ref.parts:
            piece = "t" if len(ref.parts) == 1 else f"t[{offset}:{offset + p.count}]"
            offset += p.count
            b = p.block
            if b not in self.state:
                self.emit(f"g{b} = np.zeros(({self.size[b]}, B))")
            elif self.state[b] == "alias":
                self.emit(f"g{b} = g{b}.copy()")
            self.state[b] = "own"
            rows = _rows(self.ns, p.rows)
            self.emit(f"g{b}[{rows}] += {piece}" if p.unique else f"np.add.at(g{b}, {rows}, {piece})")

    def has_grad(self, ref: Ref) -> bool:
        if ref.space == "v":
            return all(p.block in self.state for p in ref.parts)
        rows = range(ref.index.start, ref.index.stop) if isinstance(ref.index, slice) else ref.index.tolist()
        return any(r in self.s_rows for r in rows)


def backward_source(
    program: list[Instruction],
    outs: list[Ref],
    seeded: tuple[bool, ...],
    ns: Namespace,
    consts: list[list[float | None]],
    n_in: int,
) -> str:
    """The source of `backward(tape, seeds, gs, B)`: adds ∂L/∂(s row) into gs for L = Σᵢ seeds[i] ⊙ output i
    (over the outputs marked in `seeded`)."""
    bw = _Backward(program, ns, n_in)
    for i, ref in enumerate(outs):
        if seeded[i]:
            bw.add(ref, f"seeds[{i}]" if ref.space == "v" else f"seeds[{i}].sum(axis=1, keepdims=True)")
    for k in range(len(program) - 1, -1, -1):
        ins = program[k]
        if not any(ins.needs_grad) or not bw.has_grad(ins.out):
            continue
        if ins.out.space == "v":
            g = f"g{k + 1}"
        else:
            g = f"g{k + 1}"
            bw.emit(f"{g} = gs[{_rows(ns, ins.out.index)}]")
        if ins.op == "dot":
            x, w, *b = ins.args
            if ins.needs_grad[1]:
                bw.add_s(w.index, w.unique, f"{g} @ x{k}.T", flat=True)
            if b and ins.needs_grad[2]:
                bw.add(b[0], f"{g}.sum(axis=1, keepdims=True)")
            if ins.needs_grad[0]:  # one neuron: an outer product, which broadcasting does faster than BLAS
                bw.add(x, f"w{k}.T * {g}" if ins.shape[0] == 1 else f"w{k}.T @ {g}")  # type: ignore[index]
        elif ins.op == "sdot":
            w, x, *b = ins.args
            if ins.needs_grad[0]:
                bw.add_s(w.index, w.unique, f"{g} * x{k}", flat=True)
            if ins.needs_grad[1]:
                bw.add_s(x.index, x.unique, f"{g} * w{k}", flat=True)
            if b and ins.needs_grad[2]:
                bw.add(b[0], g)
        else:
            for i, (ref, c) in enumerate(zip(ins.args, consts[k])):
                if not ins.needs_grad[i]:
                    continue
                local = f"l{k}_{i}"
                expr = f"chain({g}, {local})"
                if c is not None:  # a constant partial, unless the rule had to give some samples their own
                    folded = g if c == 1.0 else f"-{g}" if c == -1.0 else f"{g} * {ns.bind(c, 'k')}"
                    expr = f"({folded} if {local}.__class__ is float else {expr})"
                if ref.space == "s" and ins.out.space == "v":
                    expr = f"({expr}).sum(axis=1, keepdims=True)"
                bw.add(ref, expr)
        if ins.out.space == "v":
            bw.emit(f"del g{k + 1}")
    tape = ns["_tape_names"]
    head = ["def backward(tape, seeds, gs, B):", "    gsf = gs.reshape(-1)"]
    if tape:
        head.append(f"    {''.join(t + ', ' for t in tape)}= tape")
    return "\n".join(head + bw.lines) + "\n"
