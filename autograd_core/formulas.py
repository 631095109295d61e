"""The primitives' formulas as text, for views that explain a graph (`backprop_view`).

One entry per primitive, read from the primitive's own definition (`formula=` and `derivatives=` of
`ops.define` / `autograd_core.primitive`): how the output is written, and the local derivative with
respect to each operand. The numbers always come from the engine (the derivatives stored on the
node); this table only says what they mean.

Templates name the operands `{x}`, `{y}`; `{px}`, `{py}` are the same names wrapped in parentheses
when they are compound (`a + b`, `-2`), for positions where that matters (`{px}²`).
The fused n-ary `dot` is spelled out term by term by `forward_text`/`local_text` instead, and a dot with
a fused activation ("relu∘dot") as that activation of it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from typing import NamedTuple

from .ops import FUSED_DOT
from .primitive import OPERAND_NAMES, PRIMITIVES

__all__ = ["Formula", "FORMULAS", "forward_text", "local_text", "wrap", "wrap_factor"]


class Formula(NamedTuple):
    """How an op's output is written, and its local derivative w.r.t. each operand."""

    out: str
    d: tuple[str, ...]


class _Formulas(Mapping[str, Formula]):
    """Every primitive's formula text, read live from its definition (so user primitives appear too)."""

    def __getitem__(self, op: str) -> Formula:
        prim = PRIMITIVES[op]
        return Formula(prim.formula, prim.derivatives)

    def __iter__(self) -> Iterator[str]:
        return iter(PRIMITIVES)

    def __len__(self) -> int:
        return len(PRIMITIVES)


FORMULAS: Mapping[str, Formula] = _Formulas()

_SIMPLE = re.compile(r"[\w.'′]+")  # a name or an unsigned number needs no parentheses


def wrap(name: str) -> str:
    """`name` in parentheses unless it is a single token (`x1`, `2.5`, `σ`), so it reads unambiguously."""
    return name if _SIMPLE.fullmatch(name) else f"({name})"


def wrap_factor(text: str) -> str:
    """`text` in parentheses if it could not stand as a factor of a product: a leading minus, or a
    sum or condition outside any parentheses (`1 − tanh²(x)`, but not `σ(u)(1 − σ(u))`)."""
    depth, top = 0, []
    for ch in text:
        depth += (ch == "(") - (ch == ")")
        top.append(ch if depth == 0 else "")
    flat = "".join(top)
    needs = text.startswith(("−", "-")) or any(s in flat for s in (" + ", " − ", " - ", " if ", " else "))
    return f"({text})" if needs else text


def _fill(template: str, names: Sequence[str]) -> str:
    keys = OPERAND_NAMES if len(names) <= len(OPERAND_NAMES) else [f"x{i}" for i in range(len(names))]
    fields = {key: "" for key in OPERAND_NAMES} | {"p" + key: "" for key in OPERAND_NAMES}
    for key, name in zip(keys, names):
        fields[key], fields["p" + key] = name, wrap(name)
    return template.format(**fields)


def _dot_parts(n_operands: int) -> tuple[int, bool]:
    """(number of products, has a bias) of a fused dot node with `n_operands` children w…, x…, [b]."""
    return n_operands // 2, n_operands % 2 == 1


def forward_text(op: str, names: Sequence[str]) -> str:
    """The right-hand side of `out = …` for an `op` node whose operands are called `names`
    (names may also be numbers, to write the same expression with values)."""
    if op.endswith(FUSED_DOT):
        return _fill(FORMULAS[op[: -len(FUSED_DOT)]].out, [forward_text("dot", names)])
    if op == "dot":
        n, bias = _dot_parts(len(names))
        terms = [f"{wrap(names[i])}·{wrap(names[n + i])}" for i in range(n)]
        if bias:
            terms.append(names[-1])
        return " + ".join(terms) or "0"
    formula = FORMULAS.get(op)
    if formula is None:
        return f"{op}({', '.join(names)})"
    return _fill(formula.out, names)


def local_text(op: str, names: Sequence[str], position: int) -> str:
    """The local derivative ∂out/∂(operand number `position`) of an `op` node, as a formula in `names`.
    For a fused `act∘dot` node it is act′(z)·∂z/∂operand, with z = w·x + b."""
    if op.endswith(FUSED_DOT):
        outer = _fill(FORMULAS[op[: -len(FUSED_DOT)]].d[0], ["z"])
        return f"{wrap_factor(outer)}·{local_text('dot', names, position)}"
    if op == "dot":
        n, bias = _dot_parts(len(names))
        if bias and position == 2 * n:
            return "1"
        return wrap(names[position + n] if position < n else names[position - n])
    formula = FORMULAS.get(op)
    if formula is None or position >= len(formula.d):
        return f"∂{op}/∂{wrap(names[position])}"
    return _fill(formula.d[position], names)
