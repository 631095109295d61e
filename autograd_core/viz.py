"""Drawing a graph with graphviz: one record per Value (label | data | grad), one small node per op.

Drawing only reads the graph. The `graphviz` Python package is imported when a drawing is made, and
the `dot` program is needed only to render (SVG/PNG, or inline in Jupyter); `.source` always works.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from .graph import topological_order
from .value import Constant, Value

if TYPE_CHECKING:
    import graphviz

__all__ = [
    "draw_dot",
    "record_graph",
    "GraphvizMissingError",
    "format_number",
    "escape_label",
    "printable",
    "node_fill",
]

INSTALL_HINT = (
    "rendering needs the Graphviz 'dot' program, which was not found on PATH. Install it with "
    "'apt-get install graphviz' (Debian/Ubuntu), 'brew install graphviz' (macOS) or "
    "'conda install -c conda-forge graphviz'; the graph's text is still available as .source"
)

# graphviz record labels give these characters a meaning; a backslash makes them literal. '&' starts
# an HTML entity in a label, so it is written as '&amp;' to show as typed. Record parsing drops spaces
# (leading ones, and interior ones next to non-ASCII letters: 'σ b' drew as 'σb'), so every space is the
# entity '&#32;', which dot draws as typed.
_RECORD_ESCAPES = str.maketrans(
    {
        "\\": "\\\\",
        "{": "\\{",
        "}": "\\}",
        "|": "\\|",
        "<": "\\<",
        ">": "\\>",
        '"': '\\"',
        "&": "&amp;",
        " ": "&#32;",
        "\n": "\\n",
    }
)

# What no output can carry as it is: C0/C1 control characters (NUL ends dot's input, the others are
# invalid in SVG's XML), lone surrogates (not encodable as UTF-8) and the XML non-characters U+FFFE/FFFF.
# A newline is kept: draw_dot draws it as a line break.
_UNPRINTABLE = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")


class GraphvizMissingError(RuntimeError):
    """The Graphviz `dot` program is not installed; the message says how to install it."""


def printable(text: str) -> str:
    """`text` with each character that no output can carry written as its Python escape, so it shows
    as typed in source code: a tab as `\\t`, NUL as `\\x00`, a lone surrogate as `\\ud800`.

    Every other character (spaces, newlines, any script, emoji) is kept. Used for labels on every
    output: graphviz records (`escape_label`), the SVG and HTML of `backprop_view`.
    """
    return _UNPRINTABLE.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text)


def escape_label(text: str) -> str:
    """`text` made safe for a graphviz record label, so it is drawn exactly as typed (see `printable`)."""
    return printable(text).translate(_RECORD_ESCAPES)


def format_number(x: float) -> str:
    """4 significant digits, with an exponent below 1e-4 and from 1e4 on: `-3.0`, `0.7071`, `6.881`,
    `2.5e-05`, `1.235e+04`; inf and nan as words. A tiny gradient stays visible (never `0.0000`)."""
    text = f"{x:.4g}"
    return text + ".0" if text.lstrip("-").isdigit() else text


def _graph_class() -> type[graphviz.Digraph]:
    from ._digraph import Digraph  # imports graphviz: only when a drawing is made

    return Digraph


def node_fill(node: Value, root: Value) -> str:
    """Fill colour of a Value's record: root, constant, leaf (parameter/input) or intermediate."""
    if node is root:
        return "#fff2b3"
    if isinstance(node, Constant):
        return "#eeeeee"
    if node._x is None:
        return "#d6e9ff"
    return "white"


def record_graph(
    root: Value,
    order: Sequence[Value],
    fields: Callable[[Value], Sequence[str]],
    format: str = "svg",
    rankdir: str = "LR",
) -> graphviz.Digraph:
    """The shared drawing: a `{field | field | ...}` record per node of `order` (fields as typed; they
    are escaped here), a small node per op, edges child → op → parent.

    Node ids are `v{i}` for `order[i]` and `v{i}op` for its op node, so callers can find them again
    in the rendered SVG (`backprop_view` does).
    """
    if rankdir not in ("LR", "RL", "TB", "BT"):
        raise ValueError(f"rankdir must be one of LR, RL, TB, BT; got {rankdir!r}")
    graph = _graph_class()(format=format, graph_attr={"rankdir": rankdir})
    graph.attr("node", fontname="Helvetica", fontsize="11")
    ids = {node: f"v{i}" for i, node in enumerate(order)}
    for node in order:
        uid = ids[node]
        graph.node(
            uid,
            label="{ " + " | ".join(escape_label(f) for f in fields(node)) + " }",
            shape="record",
            style="filled",
            fillcolor=node_fill(node, root),
        )
        if node._op:
            graph.node(uid + "op", label=escape_label(node._op), shape="ellipse", style="filled", fillcolor="#f4f4f4")
            graph.edge(uid + "op", uid)
            for child in node._prev:
                graph.edge(ids[child], uid + "op")
    return graph


def draw_dot(root: Value, format: str = "svg", rankdir: str = "LR", show_grad: bool = True) -> graphviz.Digraph:
    """The graph under `root` as a `graphviz.Digraph`: `{label | data x | grad g}` records, op nodes
    in between, edges child → op → parent. Render with `.render(...)`/`.pipe()`, or show it in Jupyter.
    """
    if not isinstance(root, Value):
        raise TypeError(f"draw_dot takes a Value, got {type(root).__name__}")

    def fields(node: Value) -> list[str]:
        shown = [node.label, f"data {format_number(node.data)}"]
        if show_grad:
            shown.append(f"grad {format_number(node.grad)}")
        return shown

    return record_graph(root, topological_order(root), fields, format=format, rankdir=rankdir)
