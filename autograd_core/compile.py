"""Compiled batch mode: trace a scalar graph once, replay it over numpy batches as generated code.

A model written with scalar Values for ONE sample (inputs x₁…xₙ → outputs) is a fixed expression of its
inputs and parameters. `compile(outputs, inputs)` walks that graph once and writes a flat program over
two register files:

    v   one row of B floats (B = batch size) per node that depends on an input
    s   one float per node that does not: parameters, constants, and expressions of those only

Graph nodes of the same depth, primitive and operand kinds become ONE instruction (a layer's 16 relu
nodes are one `relu` on a 16×B block), and the fused `dot` nodes that share their operand vector (a
layer of neurons) become one matrix product W @ X, with W a view of `s`. A `dot` of parameters only (an
L2 penalty) is one row-wise product-sum; a `dot` mixing the kinds some other way is lowered to `*` and `+`.
(compile_trace.py: tracing and scheduling.)

The program is then written out as two straight-line Python functions, one line per instruction
(compile_codegen.py): `forward` evaluates each primitive's numpy rule on whole blocks, keeping the
local derivatives backward needs (the tape); `backward` applies the chain rule to the program in reverse
and returns ∂L/∂(every s row). Memory: a block is dropped after its last read unless backward needs it,
so a batch costs about what the tape holds (for an MLP: each layer's input and relu mask), like
hand-written numpy. Parameters are read from the Values on each `forward`, or from an array the caller
keeps (`theta=`), and gradients go into `.grad` or into an array (`into=`): see `nn.CompiledTrainer`.

What is traced is the graph, not the Python that built it: a comparison or `if` on a Value's data
was decided for the sample the graph was built with, and stays so for every sample of a batch.
"""

from __future__ import annotations

import builtins
from collections.abc import Callable, Iterable, Sequence
from operator import attrgetter
from typing import Any

import numpy as np

from .compile_codegen import Namespace, backward_source, forward_source
from .compile_trace import Instruction, Ref, schedule, trace
from .gcscope import frozen_heap
from .graph import topological_order
from .primitive import PRIMITIVES, chain_array
from .value import Value

__all__ = ["compile", "Compiled", "Instruction", "Ref"]

_data = attrgetter("data")


def numpy_rule(op: str) -> Callable[..., Any]:
    """Primitive `op`'s one rule over numpy blocks (`Primitive.arrays`): (operands) -> [out, ∂out/∂operand…],
    samples with special values given exactly the eager answer, domain errors naming the first bad sample.
    The ONE place the compiler reads the primitives."""
    return PRIMITIVES[op].arrays


chain = chain_array  # upstream gradient · local derivative, with eager mode's 0·∞ convention


@frozen_heap.wrap  # tracing builds a program of many small objects: keep the collector off the rest of the heap
def compile(output: Value | Sequence[Value], inputs: Iterable[Value]) -> Compiled:
    """Trace the graph under `output` (a Value, or a list of Values: one program, several outputs) once
    into a batched program; `inputs` are its per-sample leaves.

    Every other leaf with a path to an output is a parameter (its current `.data` is read on each
    `forward`), except `Constant`s (numbers met in expressions), whose values are fixed now. An input
    that the outputs do not depend on is allowed: its column is checked and otherwise ignored.
    Build the graph on a valid sample (e.g. the first row of the data): it is evaluated eagerly once.

        >>> x, p = Value(1.0, label="x"), Value(0.5)
        >>> program = compile((p * x).tanh(), [x])
        >>> program.forward([0.0, 1.0, 2.0]).round(4)
        array([0.    , 0.4621, 0.7616])
        >>> program.backward("sum"); round(p.grad, 4)   # Σ x·(1 - tanh²(p·x))
        1.6264
    """
    outputs = [output] if isinstance(output, Value) else list(output) if isinstance(output, (list, tuple)) else None
    if not outputs or not all(isinstance(o, Value) for o in outputs):
        raise TypeError(f"compile: output must be a Value or a non-empty list of Values, got {type(output).__name__}")
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
    return Compiled(outputs if not isinstance(output, Value) else output, inputs)


class Compiled:
    """A scalar graph as a batched program. `forward(*columns)` → outputs; `backward()` → parameter grads.

    Attributes: `inputs` (the leaf Values, in column order), `parameters` (leaves read on each forward,
    in the program's order), `program` (the Instructions), `source` (the generated Python), `n_nodes`
    (graph nodes traced), `n_constants`, `n_outputs`.
    """

    def __init__(self, output: Value | list[Value], inputs: tuple[Value, ...]) -> None:
        self.inputs = inputs
        self._single = isinstance(output, Value)
        roots = [output] if isinstance(output, Value) else output
        order = topological_order(roots)  # one walk over all outputs: shared nodes appear once
        self.n_nodes = len(order)
        self.n_outputs = len(roots)
        # a node's position in the topological order (first operand first) orders the rows of each block,
        # so a layer's outputs land in the order the next layer reads them: a slice, not a gather
        nodes, outs = trace(order, roots, inputs)
        self.program, self._outs, row = schedule(nodes, outs, len(inputs))
        by_row = sorted((row[i], n.op, n.value) for i, n in enumerate(nodes) if n.op in ("param", "const"))
        self.parameters: list[Value] = [value for _, op, value in by_row if op == "param"]
        self.n_constants = len(by_row) - len(self.parameters)
        # s rows: parameters, constants (fixed now), then per-batch instruction outputs
        self._s0 = np.zeros((1 + max([row[i] for i, n in enumerate(nodes) if not n.batch], default=-1), 1))
        self._s0[len(self.parameters) : len(by_row), 0] = [value for _, op, value in by_row if op == "const"]
        self._ns = Namespace(np=np, chain=chain)
        source, self._consts = forward_source(self.program, self._outs, self._ns, numpy_rule)
        self.source = source
        self._forward = self._define(source, "forward")
        self._backwards: dict[tuple[bool, ...], Callable[..., None]] = {}
        self._tape: tuple[Any, ...] | None = None
        self._batch = 0

    def _define(self, source: str, name: str) -> Callable[..., Any]:
        exec(builtins.compile(source, f"<compiled {name}>", "exec"), self._ns)  # our own generated code
        return self._ns.pop(name)  # type: ignore[no-any-return]

    @property
    def n_instructions(self) -> int:
        """Number of instructions in the program (each runs on a whole block of nodes × samples)."""
        return len(self.program)

    # ---- forward ---------------------------------------------------------------------------------
    def forward(self, *columns: Any, theta: np.ndarray | None = None) -> np.ndarray:
        """The outputs for every sample: `columns[i][j]` is input i of sample j (1-D, equal lengths).

        Shape (B,) for a program with one output, (B, n_outputs) for a list of outputs. The parameters
        are read from the Values' `.data`, or from `theta` (one float per `self.parameters`) when given.
        Domain errors (log of x <= 0, …) raise the eager mode's exception types, naming the op and
        the first offending sample.
        """
        x = self.check_columns(*columns)
        rows = self.evaluate(x, theta)
        batch = x.shape[1]
        if self._single:
            single: np.ndarray = np.broadcast_to(rows[0], (1, batch))[0].copy()
            return single
        out = np.empty((batch, len(rows)))
        for i, r in enumerate(rows):
            out[:, i] = r[0]
        return out

    def evaluate(self, x: np.ndarray, theta: np.ndarray | None = None) -> list[np.ndarray]:
        """`forward` without the column checks: `x` is the (n_inputs, B) float64 block of inputs; returns one
        (1, B) or (1, 1) row per output (views: copy them to keep them). What trainers call."""
        s = self._s0.copy()
        n_p = len(self.parameters)
        if theta is None:
            s[:n_p, 0] = list(map(_data, self.parameters))
        else:
            if np.shape(theta) != (n_p,):
                raise ValueError(
                    f"forward: theta must have shape ({n_p},) (one value per parameter), got {np.shape(theta)}"
                )
            s[:n_p, 0] = theta
        self._tape = None
        with np.errstate(all="ignore"):  # the rules check special values themselves; numpy stays quiet
            try:
                rows, tape = self._forward(x, s)
            except (ArithmeticError, ValueError) as e:
                raise self._first_error(x, s, e) from None
        self._tape, self._batch = tape, x.shape[1]
        return rows  # type: ignore[no-any-return]

    def _first_error(self, x: np.ndarray, s: np.ndarray, err: Exception) -> Exception:
        """`err` names the first failing sample of the first failing instruction, but an earlier sample
        may fail in a later instruction: rerun the samples before it until none fails."""
        j = getattr(err, "sample", 0)
        while j:
            try:
                self._forward(x[:, :j], s.copy())
                break
            except (ArithmeticError, ValueError) as e:
                err, j = e, getattr(e, "sample", 0)
        return err

    @property
    def batch(self) -> int:
        """The number of samples of the last forward (0 before any)."""
        return self._batch

    def check_columns(self, *columns: Any) -> np.ndarray:
        """The input columns as one (n_inputs, B) float64 array (what `evaluate` takes), after checking them."""
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

    # ---- backward --------------------------------------------------------------------------------
    def backward(self, reduction: str = "mean", grad: Any = None, into: np.ndarray | None = None) -> None:
        """Add ∂L/∂p to every parameter's `.grad` (or into the array `into`, one float per parameter).

        L is the mean (or "sum") over the last forward's samples of the sum of its outputs; with `grad`
        (an array shaped like forward's result) L = Σ grad ⊙ outputs instead, and `reduction` is not used.
        Chain rule per instruction, in reverse: ∂L/∂arg = ∂L/∂out · ∂out/∂arg, summed over the samples
        where the argument is per batch (parameters); for a dot layer ∂L/∂X = Wᵀ G and ∂L/∂W = G Xᵀ.
        """
        if reduction not in ("mean", "sum"):
            raise ValueError(f"backward: reduction must be 'mean' or 'sum', got {reduction!r}")
        self._need_tape()
        batch, k = self._batch, self.n_outputs
        if grad is None:
            seeds = [np.full((1, batch), 1.0 / batch if reduction == "mean" else 1.0)] * k
        else:
            grad = np.asarray(grad, dtype=np.float64)
            shape = (batch,) if self._single else (batch, k)
            if grad.shape != shape:
                raise ValueError(f"backward: grad must have the shape of forward's result {shape}, got {grad.shape}")
            seeds = [grad[None, :]] if self._single else [grad[None, :, i] for i in range(k)]
        n_p = len(self.parameters)
        if into is not None and (not isinstance(into, np.ndarray) or into.shape != (n_p,) or into.dtype != np.float64):
            raise ValueError(f"backward: into must be a float64 array of shape ({n_p},)")
        seeded = tuple(bool(seed.any()) for seed in seeds) if grad is not None else (True,) * k
        gs = self.gradient(seeds, seeded)[:n_p]
        if into is not None:
            into += gs
            return
        for p, gp in zip(self.parameters, gs.tolist()):
            p.grad += gp

    def _need_tape(self) -> None:
        if self._tape is None:
            raise RuntimeError("backward: call forward(...) successfully first (there is no batch to differentiate)")

    def gradient(self, seeds: Sequence[np.ndarray], seeded: tuple[bool, ...]) -> np.ndarray:
        """∂L/∂(every s row) as a flat array (parameters first), L = Σᵢ seeds[i] ⊙ output i over the
        outputs marked in `seeded` (each seed a (1, B) array), from the last forward. What `backward` and
        trainers call."""
        self._need_tape()
        fn = self._backwards.get(seeded)
        if fn is None:
            source = backward_source(self.program, self._outs, seeded, self._ns, self._consts, len(self.inputs))
            fn = self._backwards[seeded] = self._define(source, "backward")
        gs = np.zeros_like(self._s0)
        with np.errstate(all="ignore"):
            fn(self._tape, seeds, gs, self._batch)
        return gs.reshape(-1)

    # ---- display ---------------------------------------------------------------------------------
    def listing(self) -> str:
        """The program, one instruction per line, with what the registers hold."""
        names = ", ".join(x.label or f"x{i}" for i, x in enumerate(self.inputs))
        p, c = len(self.parameters), self.n_constants
        consts = self._s0[p : p + c, 0]
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
        lines.append(f"     {'output' if self._single else 'outputs':<11} : {', '.join(map(str, self._outs))}")
        return "\n".join(lines)

    __str__ = listing

    def __repr__(self) -> str:
        return (
            f"<Compiled: {len(self.inputs)} inputs, {len(self.parameters)} parameters, "
            f"{self.n_instructions} instructions from {self.n_nodes} nodes>"
        )
