"""Drawing a graph with graphviz: one record per Value (label | data | grad), one small node per op.

Drawing only reads the graph. The `graphviz` Python package is imported when a drawing is made, and
the `dot` program is needed only to render (SVG/PNG, or inline in Jupyter); `.source` always works.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from .graph import topological_order
from .value import Constant, Value

if TYPE_CHECKING:
    import graphviz

__all__ = ["draw_dot", "record_graph", "GraphvizMissingError", "format_number", "escape_label", "node_fill"]

INSTALL_HINT = (
    "rendering needs the Graphviz 'dot' program, which was not found on PATH. Install it with "
    "'apt-get install graphviz' (Debian/Ubuntu), 'brew install graphviz' (macOS) or "
    "'conda install -c conda-forge graphviz'; the graph's text is still available as .source"
)

# graphviz record labels give these characters a meaning; a backslash makes them literal. '&' starts
# an HTML entity in a label, so it is written as '&amp;' to show as typed.
_RECORD_ESCAPES = str.maketrans(
    {"\\": "\\\\", "{": "\\{", "}": "\\}", "|": "\\|", "<": "\\<", ">": "\\>", '"': '\\"', "&": "&amp;", "\n": "\\n"}
)


class GraphvizMissingError(RuntimeError):
    """The Graphviz `dot` program is not installed; the message says how to install it."""


def escape_label(text: str) -> str:
    """`text` made safe for a graphviz record label, so it is drawn exactly as typed."""
    return text.translate(_RECORD_ESCAPES)


def format_number(x: float) -> str:
    """4 decimals as micrograd (`-3.0000`), scientific notation past 1e9, and inf/nan as words."""
    if math.isfinite(x) and abs(x) < 1e9:
        return f"{x:.4f}"
    return f"{x:.4e}" if math.isfinite(x) else str(x)


def _graph_class() -> type:
    import graphviz

    class Digraph(graphviz.Digraph):
        """graphviz.Digraph whose rendering errors say how to install Graphviz."""

        def pipe(self, *args: Any, **kwargs: Any) -> Any:
            try:
                return super().pipe(*args, **kwargs)
            except graphviz.ExecutableNotFound as exc:
                raise GraphvizMissingError(INSTALL_HINT) from exc

        def __repr__(self) -> str:  # stable (no memory address), so re-run notebooks stay identical
            return f"<autograd_core Digraph: {self.source.count('shape=record')} values>"

        def render(self, *args: Any, **kwargs: Any) -> Any:
            try:
                return super().render(*args, **kwargs)
            except graphviz.ExecutableNotFound as exc:
                raise GraphvizMissingError(INSTALL_HINT) from exc

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


def draw_dot(
    root: Value, format: str = "svg", rankdir: str = "LR", show_grad: bool = True
) -> graphviz.Digraph:
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
