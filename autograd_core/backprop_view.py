"""Backprop, step by step: the graph under a Value as one self-contained HTML page.

Step 0 is the bare graph. Steps 1…n are the forward pass in topological order (node `v{i}` gets its
value at step i+1). Steps n+1…2n are the backward pass in reverse order: at step n+j the node
`v{n-j}` is highlighted and its gradient is *complete*, i.e. the panel shows how ∂L/∂v was
accumulated from every node that uses v (the chain rule summed over v's parents):

    ∂L/∂v = Σ over each use of v by a parent p:  ∂L/∂p · ∂p/∂v

The view reads the graph and never writes to it: it replays one backward pass in a local list,
in the same order and with the same floating-point operations as `Value.backward()`, so its numbers
are exactly what one `backward()` from zeroed grads gives (root gradient 1, shared nodes summed).
"""

from __future__ import annotations

import html
import os
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

from ._bpview_page import render_page
from .formulas import forward_text, local_text, wrap, wrap_factor
from .graph import edges, sweep, topological_order
from .value import Constant, Value
from .viz import format_number, printable, record_graph

__all__ = ["backprop_view", "BackpropView", "Step", "Use", "GraphTooLargeError", "MAX_NODES"]

MAX_NODES = 500
"""Largest graph (number of Values) `backprop_view` draws; beyond it the page would be unreadable."""


class GraphTooLargeError(ValueError):
    """The graph has more than MAX_NODES Values; the message suggests `draw_dot` instead."""


@dataclass(frozen=True)
class Use:
    """One edge of the backward pass: `parent` used the child as its operand number `position`."""

    parent: int
    position: int
    upstream: float  # ∂L/∂parent
    local: float  # ∂parent/∂child, as stored on the parent node
    product: float  # local * upstream: what this edge adds to the child's gradient


@dataclass(frozen=True)
class Step:
    """One step of the page. `node` is the topological index of the highlighted Value (None at step 0)."""

    index: int
    phase: str  # "start", "forward" or "backward"
    node: int | None
    title: str
    lines: tuple[str, ...]
    value: float | None = None
    grad: float | None = None
    related: tuple[str, ...] = ()  # SVG node ids to mark (inputs when forward, users when backward)
    edges: tuple[str, ...] = ()  # SVG edges "from>to" to mark
    uses: tuple[Use, ...] = ()  # backward: the terms summed into this node's gradient


def _names(order: list[Value]) -> list[str]:
    """Display names: the label, a constant's number, or `n{i}` for an unlabelled node. Characters no
    page can carry (control characters, lone surrogates) are written as escapes (`viz.printable`)."""
    names = []
    for i, node in enumerate(order):
        if node.label:
            names.append(printable(node.label))
        elif isinstance(node, Constant):
            names.append(format(node.data, ".6g"))
        else:
            names.append(f"n{i}")
    return names


def _backward_uses(order: list[Value], index: dict[Value, int]) -> tuple[list[float], list[list[Use]]]:
    """One backward pass (seed 1) by `graph.sweep`, without touching `.grad`: each node's gradient and
    the uses that summed into it, in the order the engine adds them (so the floats are those of
    `Value.backward()`, special values and the 0·∞ convention included)."""
    uses: list[list[Use]] = [[] for _ in order]

    def record(parent: int, position: int, child: int, upstream: float, local: float, product: float) -> None:
        uses[child].append(Use(parent, position, upstream, local, product))

    grads = sweep(order, 1.0, edges, record)
    return grads, uses


def _num(x: float) -> str:
    """A number as drawn in the graph, with the minus sign typeset."""
    return format_number(x).replace("-", "−")


@dataclass
class _Graph:
    """What every step needs: the nodes in topological order, their names and the replayed backward."""

    order: list[Value]
    names: list[str]
    index: dict[Value, int]
    grads: list[float]
    uses: list[list[Use]]

    def operand_names(self, node: Value) -> list[str]:
        return [self.names[self.index[c]] for c in node._prev]


def _forward_step(k: int, i: int, g: _Graph) -> Step:
    node, name, n = g.order[i], g.names[i], len(g.order)
    title = f"Forward {i + 1} of {n}: the value of {name}"
    if node._op == "":
        kind = "a constant" if isinstance(node, Constant) else "a leaf: an input or a parameter"
        lines: tuple[str, ...] = (f"{name} = {_num(node.data)}", f"({kind}; given, not computed)")
        return Step(k, "forward", i, title, lines, value=node.data)
    kids = [g.index[c] for c in node._prev]
    lines = (
        f"{name} = {forward_text(node._op, g.operand_names(node))}",
        f"= {forward_text(node._op, [_num(g.order[c].data) for c in kids])}",
        f"= {_num(node.data)}",
    )
    unique = dict.fromkeys(kids)
    related = tuple(f"v{c}" for c in unique) + (f"v{i}op",)
    edges = tuple(f"v{c}>v{i}op" for c in unique) + (f"v{i}op>v{i}",)
    return Step(k, "forward", i, title, lines, value=node.data, related=related, edges=edges)


def _backward_step(k: int, i: int, g: _Graph) -> Step:
    n = len(g.order)
    root, name = wrap(g.names[-1]), wrap(g.names[i])
    dname = f"∂{root}/∂{name}"
    title = f"Backward {n - i} of {n}: the gradient {dname}"
    value, grad = g.order[i].data, g.grads[i]
    if i == n - 1:
        lines: tuple[str, ...] = (f"{dname} = 1", "(the output with respect to itself: backward starts here)")
        return Step(k, "backward", i, title, lines, value=value, grad=grad)
    symbolic, formulas, numbers = [], [], []
    for use in g.uses[i]:
        parent = g.order[use.parent]
        pname = wrap(g.names[use.parent])
        upstream = f"∂{root}/∂{pname}"
        symbolic.append(f"{upstream} · ∂{pname}/∂{name}")
        local = local_text(parent._op, g.operand_names(parent), use.position)
        formulas.append(f"{upstream} · {wrap_factor(local)}")
        numbers.append(f"{wrap(_num(use.upstream))} · {wrap(_num(use.local))}")
    lines = (
        f"{dname} = " + " + ".join(symbolic),
        "= " + " + ".join(formulas),
        "= " + " + ".join(numbers),
        f"= {_num(grad)}",
    )
    parents = dict.fromkeys(u.parent for u in g.uses[i])
    related = tuple(f"v{p}" for p in parents) + tuple(f"v{p}op" for p in parents)
    edges = tuple(f"v{i}>v{p}op" for p in parents) + tuple(f"v{p}op>v{p}" for p in parents)
    return Step(
        k, "backward", i, title, lines, value=value, grad=grad, related=related, edges=edges, uses=tuple(g.uses[i])
    )


_START_LINES = (
    "Next (→) runs the forward pass: each node's value, inputs first.",
    "Then the backward pass, from the output back: each node's gradient, by the chain rule.",
)


def _graph(root: Value) -> _Graph:
    if not isinstance(root, Value):
        raise TypeError(f"backprop_view takes a Value, got {type(root).__name__}")
    order = topological_order(root)
    if len(order) > MAX_NODES:
        raise GraphTooLargeError(
            f"backprop_view steps through at most {MAX_NODES} nodes and this graph has {len(order)}; "
            "a page that large would be unreadable and slow. Draw it with draw_dot(root) instead, or view "
            "a smaller sub-graph (e.g. one neuron, or a model with fewer inputs)."
        )
    index = {node: i for i, node in enumerate(order)}
    grads, uses = _backward_uses(order, index)
    return _Graph(order, _names(order), index, grads, uses)


def _steps(g: _Graph) -> list[Step]:
    n = len(g.order)
    steps = [Step(0, "start", None, f"The graph of {g.names[-1]}: nothing computed yet", _START_LINES)]
    steps += [_forward_step(1 + i, i, g) for i in range(n)]
    steps += [_backward_step(2 * n - i, i, g) for i in range(n - 1, -1, -1)]
    return steps


# ---- the page ---------------------------------------------------------------------------------------


_FONT = ("Helvetica,sans-Serif", "11.00")  # what record_graph's nodes get; the page's CSS restores it
_FAST_LAYOUT_ABOVE = 150


def _svg(g: _Graph, rankdir: str) -> str:
    """The graph laid out by `dot`, as inline SVG: node groups get ids `v{i}`/`v{i}op` (titles become the
    names), their data and grad texts the classes `data`/`grad`, edges a `data-edge="from>to"` key.
    Namespaces, comments and graphviz's ids are dropped (so the page holds no URL at all)."""

    def fields(node: Value) -> list[str]:
        i = g.index[node]
        return [g.names[i], f"data {format_number(node.data)}", f"grad {format_number(g.grads[i])}"]

    drawing = record_graph(g.order[-1], g.order, fields, rankdir=rankdir)
    if len(g.order) > _FAST_LAYOUT_ABOVE:
        # Cap dot's network-simplex passes: a large, densely shared graph otherwise takes minutes.
        drawing.attr("graph", nslimit="2", nslimit1="2")
    svg = ET.fromstring(drawing.pipe(format="svg"))  # GraphvizMissingError without `dot`
    for el in svg.iter():
        if el.get("font-family") == _FONT[0] and el.get("font-size") == _FONT[1]:
            del el.attrib["font-family"], el.attrib["font-size"]  # set once by the page's CSS
        el.tag = el.tag.rpartition("}")[2] if isinstance(el.tag, str) else el.tag
        for key in [k for k in el.attrib if k.startswith("{")]:
            el.attrib[key.rpartition("}")[2]] = el.attrib.pop(key)
    for group in svg.iter("g"):
        title = group.find("title")
        if title is None:
            continue
        key, kind = title.text or "", group.get("class")
        if kind == "node":
            group.set("id", key)
            if key.endswith("op"):
                title.text = printable(g.order[int(key[1:-2])]._op)
                continue
            title.text = g.names[int(key[1:])]
            for text, word in zip(group.findall("text")[-2:], ("data", "grad")):
                text.set("class", word)
        elif kind == "edge":
            group.attrib.pop("id", None)
            group.set("data-edge", key.replace("->", ">"))
            group.remove(title)
        else:
            group.remove(title)
    return ET.tostring(svg, encoding="unicode")


def _item(step: Step, g: _Graph) -> str:
    """One `<li>` of the step list; all text escaped."""
    esc = html.escape
    attrs = {"id": f"s{step.index}", "class": step.phase, "data-phase": step.phase}
    if step.node is not None:
        attrs["data-node"] = f"v{step.node}"
    if step.related:
        attrs["data-related"] = " ".join(step.related)
    if step.edges:
        attrs["data-edges"] = " ".join(step.edges)
    if step.value is not None:
        attrs["data-value"] = repr(step.value)
    if step.grad is not None:
        attrs["data-grad"] = repr(step.grad)
    head = " ".join(f'{k}="{esc(v)}"' for k, v in attrs.items())
    body = [f"<h2>{esc(step.title)}</h2>"] + [f'<div class="eq">{esc(line)}</div>' for line in step.lines]
    if step.uses and step.node is not None:
        # Each row names the node that uses this one by its own label (a graph may well have a node
        # called p, so the header holds no placeholder name).
        root, name = wrap(g.names[-1]), wrap(g.names[step.node])
        cells = []
        for u in step.uses:
            parent = wrap(g.names[u.parent])
            upstream, local = f"∂{root}/∂{parent} = {_num(u.upstream)}", f"∂{parent}/∂{name} = {_num(u.local)}"
            cells.append((g.names[u.parent], upstream, local, _num(u.product)))
        rows = "".join("<tr>" + "".join(f"<td>{esc(c)}</td>" for c in row) + "</tr>" for row in cells)
        body.append(
            '<table class="uses"><tr><th>used by</th><th>upstream</th><th>local</th><th>product</th></tr>'
            f"{rows}</table>"
        )
    return f"<li {head}>{''.join(body)}</li>"


class BackpropView:
    """A self-contained HTML page stepping through the forward and backward pass of one graph.

    `.html` is the document, `.save(path)` writes it, and Jupyter shows it inline (`_repr_html_`).
    `.steps` holds what each step shows (`steps[k]` is `#step=k` in the page's address).
    """

    def __init__(self, html_text: str, steps: list[Step], height: int) -> None:
        self.html = html_text
        self.steps = steps
        self._height = height

    def __repr__(self) -> str:
        return f"<BackpropView: {len(self.steps) - 1} steps, {len(self.html) // 1024} kB of HTML>"

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write the page to `path` (parent folders are created) and return the path."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(self.html, encoding="utf-8")
        return path

    def _repr_html_(self) -> str:
        # An iframe keeps the page's ids, styles and script apart from the notebook's; where the
        # notebook blocks scripts, the page still shows the final graph and every step as a list.
        return (
            f'<iframe srcdoc="{html.escape(self.html)}" sandbox="allow-scripts" '
            f'style="width: 100%; height: {self._height}px; border: 1px solid #ddd"></iframe>'
        )


def backprop_view(root: Value, rankdir: str = "LR") -> BackpropView:
    """Step through the forward and backward pass of the graph under `root` in a browser.

    Lays the graph out with Graphviz (`dot`, drawn like `draw_dot`) and returns one self-contained HTML
    page (inline SVG, CSS and script; no network): step 0 is the bare graph, then each node's value in
    topological order, then each node's gradient in reverse order with the chain rule written out.
    `#step=N` in the page's address selects a step. Reads the graph only (no `.grad` is written).

    Raises GraphTooLargeError above MAX_NODES (500) Values, and GraphvizMissingError without `dot`.
    """
    g = _graph(root)
    steps = _steps(g)
    svg = _svg(g, rankdir)
    items = "\n".join(_item(step, g) for step in steps)
    size = ET.fromstring(svg)
    width, height = (float(size.get(key, "300pt").removesuffix("pt")) for key in ("width", "height"))
    page = render_page(f"Backprop, step by step: {g.names[-1]}", svg, items, len(steps) - 1, wide=width > 2.5 * height)
    return BackpropView(page, steps, height=int(min(max(height * 4 / 3 + 360, 480), 800)))
