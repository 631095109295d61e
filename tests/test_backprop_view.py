"""backprop_view: the step data against the engine, the page's safety rules, and the page in a real browser."""

from __future__ import annotations

import html
import math
import os
import random
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest

from autograd_core import (
    BackpropView,
    GraphTooLargeError,
    GraphvizMissingError,
    Value,
    backprop_view,
    dot,
    ops,
    topological_order,
    zero_grad,
)
from autograd_core.backprop_view import MAX_NODES
from autograd_core.examples import logistic_graph, save_backprop_demo
from autograd_core.formulas import FORMULAS, forward_text, local_text, wrap_factor
from autograd_core.viz import format_number

needs_dot = pytest.mark.skipif(
    shutil.which("dot") is None, reason="Graphviz 'dot' not installed (apt-get install graphviz)"
)
pytestmark = needs_dot


def shown(x: float) -> str:
    """A number as the page's panel writes it (4 significant digits, typeset minus)."""
    return format_number(x).replace("-", "−")


def shared_graph() -> Value:
    """Shared sub-expressions, a node used twice by one op (a*a), a constant and a fused dot."""
    a, b = Value(1.5, label="a"), Value(-0.75, label="b")
    c = a * a + b  # a used twice by '*'
    d = c.tanh() * 2.0 + c.sigmoid()  # c used by two parents
    e = dot([a, b], [c, d], bias=0.5)
    return (e - a).exp() / (1 + b * b)


def random_graph(n: int, seed: int) -> Value:
    """A random expression DAG over total ops, with heavy sharing, of at least `n` nodes."""
    rng = random.Random(seed)
    nodes = [Value(rng.uniform(-1, 1), label=f"x{i}") for i in range(4)]
    binary = ["+", "-", "*", "leaky_relu"]
    unary = ["tanh", "sigmoid", "sin", "cos", "relu", "softplus", "neg", "abs"]
    while len(topological_order(nodes[-1])) < n:
        a, b = rng.choice(nodes[-5:]), rng.choice(nodes)
        op = rng.choice(binary + unary)
        if op == "leaky_relu":
            nodes.append(a.leaky_relu(0.1))
        elif op in binary:
            nodes.append({"+": a + b, "-": a - b, "*": a * b}[op])
        else:
            nodes.append(getattr(a, op)() if op not in ("neg", "abs") else (-a if op == "neg" else abs(a)))
    return nodes[-1]


def engine_grads(root: Value) -> list[float]:
    zero_grad(root)
    root.backward()
    return [node.grad for node in topological_order(root)]


# ---- the step data ---------------------------------------------------------------------------------


def test_formula_table_covers_every_op_with_one_derivative_per_operand():
    assert set(FORMULAS) >= set(ops.UNARY) | set(ops.BINARY)  # user primitives appear too
    for op, formula in FORMULAS.items():
        assert len(formula.d) == ops.PRIMITIVES[op].arity, op


def test_formula_text():
    assert local_text("sigmoid", ["u"], 0) == "σ(u)(1 − σ(u))"
    assert forward_text("*", ["w", "-2"]) == "w · (-2)"
    assert local_text("dot", ["w1", "w2", "x1", "x2", "b"], 1) == "x2"
    assert local_text("dot", ["w1", "w2", "x1", "x2", "b"], 4) == "1"
    assert forward_text("dot", ["w1", "w2", "x1", "x2", "b"]) == "w1·x1 + w2·x2 + b"
    assert wrap_factor("−1") == "(−1)" and wrap_factor("1 − tanh²(x)") == "(1 − tanh²(x))"
    assert wrap_factor("σ(u)(1 − σ(u))") == "σ(u)(1 − σ(u))"
    assert local_text("no_such_op", ["x"], 0) == "∂no_such_op/∂x"  # an op added later still shows


def test_steps_are_start_then_forward_in_topological_order_then_backward_in_reverse():
    root = logistic_graph()
    n = len(topological_order(root))
    steps = backprop_view(root).steps
    assert len(steps) == 2 * n + 1
    assert [s.index for s in steps] == list(range(2 * n + 1))
    assert steps[0].phase == "start" and steps[0].node is None
    assert [s.node for s in steps[1 : n + 1]] == list(range(n))
    assert [s.node for s in steps[n + 1 :]] == list(range(n - 1, -1, -1))
    assert {s.phase for s in steps[1 : n + 1]} == {"forward"} and {s.phase for s in steps[n + 1 :]} == {"backward"}


def neuron_graph() -> Value:
    """Neurons with fused activations (relu∘dot alive and dead, tanh∘dot), as nn.Neuron builds them."""
    x1, x2 = Value(0.5, label="x1"), Value(-1.0, label="x2")
    w = [Value(0.3, label="w1"), Value(-0.8, label="w2")]
    alive = dot(w, [x1, x2], Value(0.1, label="b"), activation="relu")
    dead = dot(w, [x2, x1], Value(-2.0, label="c"), activation="relu")
    squash = dot([alive, dead], [x1, x2], activation="tanh")
    return squash * alive + dead


@pytest.mark.parametrize(
    "make", [logistic_graph, shared_graph, neuron_graph] + [lambda s=s: random_graph(30, s) for s in range(8)]
)
def test_numbers_are_exactly_the_engines(make):
    root = make()
    order = topological_order(root)
    view = backprop_view(root)
    grads = engine_grads(root)
    n = len(order)
    assert view.steps[n + 1].grad == 1.0  # the root's seed
    for step in view.steps[1:]:
        assert step.value == order[step.node].data
    for step in view.steps[n + 1 :]:
        assert step.grad == grads[step.node]  # bit for bit: same additions in the same order
        total = 0.0
        for use in step.uses:
            if order[use.parent]._op.endswith("∘dot"):  # the engine multiplies upstream by a'(z) first
                assert use.product == pytest.approx(use.local * use.upstream, rel=1e-15, abs=1e-300)
            else:
                assert use.product == use.local * use.upstream
            total += use.product
        if step.node != n - 1:
            assert total == step.grad
            assert step.lines[-1] == f"= {shown(step.grad)}"


def test_shared_nodes_sum_over_every_use():
    a = Value(3.0, label="a")
    y = a * a + a.sin()
    y.label = "y"
    view = backprop_view(y)
    step = next(s for s in view.steps if s.phase == "backward" and s.title.endswith("∂y/∂a"))
    assert len(step.uses) == 3  # twice by '*', once by sin
    y.backward()
    assert step.grad == a.grad == 2 * 3.0 + math.cos(3.0)
    assert step.lines[0].count(" + ") == 2
    assert "cos(a)" in step.lines[1]


def test_logistic_panel_matches_the_closed_form():
    root = logistic_graph(w=(0.5, -1.5), x=(2.0, 1.0), b=0.25)
    view = backprop_view(root)
    p = 1 / (1 + math.exp(-(0.5 * 2.0 - 1.5 * 1.0 + 0.25)))
    by_title = {s.title.rsplit(" ", 1)[-1]: s for s in view.steps if s.phase == "backward"}
    assert by_title["∂L/∂w1"].grad == pytest.approx(-(1 - p) * 2.0, rel=1e-12)
    assert by_title["∂L/∂b"].grad == pytest.approx(-(1 - p), rel=1e-12)
    assert by_title["∂L/∂u"].lines[1] == "= ∂L/∂p · σ(u)(1 − σ(u))"


def test_view_reads_the_graph_without_writing_grads():
    root = shared_graph()
    before = [(n.data, n.grad) for n in topological_order(root)]
    backprop_view(root)
    assert [(n.data, n.grad) for n in topological_order(root)] == before


def test_unlabelled_nodes_and_constants_get_names():
    x = Value(2.0)
    view = backprop_view(x * 3 + 1)
    assert "n" in view.steps[-1].title  # an unlabelled leaf is called n<i>
    assert any(line.startswith("3 = ") for s in view.steps for line in s.lines)  # a constant by its value


def test_a_single_leaf_and_multiline_labels():
    view = backprop_view(Value(2.0, label="x"))
    assert [s.phase for s in view.steps] == ["start", "forward", "backward"] and view.steps[2].grad == 1.0
    two_lines = Value(1.0, label="first\nsecond")
    page = backprop_view(two_lines.exp()).html
    fields = re.findall(r'<text[^>]*class="(?:data|grad)"[^>]*>([^<]*)<', page)
    assert fields == ["data 1.0", "grad 2.718", "data 2.718", "grad 1.0"]


def test_uses_table_names_each_user_by_its_own_label():
    # logistic_graph has a real node called p: the table must not call "the user" p as well
    from autograd_core.examples import logistic_graph

    view = backprop_view(logistic_graph())
    u_step = next(s for s in view.steps if s.phase == "backward" and s.title.endswith("∂L/∂u"))
    table = re.search(rf'<li id="s{u_step.index}".*?(<table class="uses">.*?</table>)', view.html).group(1)
    cells = [html.unescape(c) for c in re.findall(r"<t[dh]>(.*?)</t[dh]>", table)]
    assert cells[:4] == ["used by", "upstream", "local", "product"]
    (use,) = u_step.uses
    assert cells[4:] == ["p", f"∂L/∂p = {shown(use.upstream)}", f"∂p/∂u = {shown(use.local)}", shown(use.product)]


def test_labels_keep_their_spaces():
    leaf = Value(1.0, label="  σ b")
    view = backprop_view(leaf.exp())
    assert view.steps[1].title.endswith("the value of   σ b")
    svg_names = [html.unescape(t).replace("\xa0", " ") for t in re.findall(r"<text[^>]*>([^<]*)</text>", view.html)]
    assert "  σ b" in svg_names
    assert "white-space: pre-wrap" in view.html  # the panel shows them too


# ---- the page --------------------------------------------------------------------------------------


def test_labels_are_escaped():
    evil = Value(1.0, label='<script>alert("x")</script>')
    other = Value(2.0, label="a&b|{c}")
    page = backprop_view((evil * other).tanh()).html
    assert "<script>alert" not in page
    assert "&lt;script&gt;alert" in page
    assert page.count("<script>") == 1  # only the page's own


def test_fifty_node_page_is_small_and_offline():
    root = random_graph(50, seed=6)
    assert len(topological_order(root)) == 50
    page = backprop_view(root).html
    assert len(page.encode()) < 200_000
    refs = re.findall(r"""\b(?:src|href)\s*=\s*["']?([^"'\s>]*)""", page, flags=re.IGNORECASE)
    assert not [r for r in refs if "http" in r.lower() or r.startswith("//")]
    assert "http" not in page  # stronger: no URL at all (graphviz's xmlns/DOCTYPE are stripped)


def test_graphs_over_the_cap_are_refused_with_advice():
    x = Value(0.5, label="x")
    for _ in range(MAX_NODES):
        x = x.tanh()
    with pytest.raises(GraphTooLargeError, match=r"draw_dot") as info:
        backprop_view(x)
    assert isinstance(info.value, ValueError) and str(MAX_NODES) in str(info.value)


def test_missing_dot_says_how_to_install(monkeypatch):
    monkeypatch.setenv("PATH", "")
    with pytest.raises(GraphvizMissingError, match="apt-get install graphviz"):
        backprop_view(logistic_graph())


def test_not_a_value():
    with pytest.raises(TypeError, match="takes a Value"):
        backprop_view(3.0)  # type: ignore[arg-type]


def test_save_and_notebook_repr(tmp_path):
    view = backprop_view(logistic_graph())
    assert isinstance(view, BackpropView)
    path = view.save(tmp_path / "sub" / "page.html")
    assert path.read_text(encoding="utf-8") == view.html
    frame = view._repr_html_()
    assert frame.startswith("<iframe srcdoc=") and 'sandbox="allow-scripts"' in frame
    assert "<script" not in frame  # the page is escaped into the attribute
    assert save_backprop_demo(tmp_path / "demo.html").stat().st_size > 1000


# ---- in a real browser -----------------------------------------------------------------------------

CHROMIUM = next(filter(None, map(shutil.which, ("chromium", "chromium-browser", "google-chrome"))), None)
needs_browser = pytest.mark.skipif(
    CHROMIUM is None, reason="headless Chromium not found (Debian: apt-get install chromium); browser tests skipped"
)


class _Tree(HTMLParser):
    """A tiny DOM: (tag, attrs, children) tuples with text as str children."""

    VOID = {"meta", "input", "br", "img", "link", "hr", "polygon", "polyline", "path", "ellipse"}

    def __init__(self) -> None:
        super().__init__()
        self.root: tuple = ("#document", {}, [])
        self.stack = [self.root]

    def handle_starttag(self, tag, attrs):
        el = (tag, dict(attrs), [])
        self.stack[-1][2].append(el)
        if tag not in self.VOID:
            self.stack.append(el)

    def handle_startendtag(self, tag, attrs):
        self.stack[-1][2].append((tag, dict(attrs), []))

    def handle_endtag(self, tag):
        for i in range(len(self.stack) - 1, 0, -1):
            if self.stack[i][0] == tag:
                del self.stack[i:]
                return

    def handle_data(self, data):
        self.stack[-1][2].append(data)


def _walk(el):
    yield el
    for child in el[2]:
        if isinstance(child, tuple):
            yield from _walk(child)


def _text(el) -> str:
    return "".join(c if isinstance(c, str) else _text(c) for c in el[2])


def _classes(el) -> set[str]:
    return set((el[1].get("class") or "").split())


class Page:
    def __init__(self, dom: str) -> None:
        tree = _Tree()
        tree.feed(dom)
        self.all = list(_walk(tree.root))

    def by_id(self, ident: str):
        return next(el for el in self.all if el[1].get("id") == ident)

    def with_class(self, tag: str, cls: str) -> list:
        return [el for el in self.all if el[0] == tag and cls in _classes(el)]


def chromium(url: str, tmp: Path, screenshot: Path | None = None) -> str:
    """Load `url` in headless Chromium and return the DOM after the page's script ran."""
    args = [
        CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run", "--hide-scrollbars",
        f"--user-data-dir={tmp / 'chromium-profile'}", "--virtual-time-budget=1000",
    ]  # fmt: skip
    if screenshot is not None:
        args += [f"--screenshot={screenshot}", "--window-size=1280,720"]
    else:
        args += ["--dump-dom"]
    done = subprocess.run(args + [url], capture_output=True, text=True, timeout=40)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


@pytest.fixture(scope="module")
def logistic_page(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("bpview")
    root = logistic_graph()
    view = backprop_view(root)
    path = view.save(tmp / "backprop.html")
    return tmp, path, root, view


@needs_browser
@pytest.mark.parametrize("k", [0, 7, 13, 18, 999])
def test_browser_shows_the_step_in_the_address(logistic_page, k):
    tmp, path, root, view = logistic_page
    order = topological_order(root)
    grads = engine_grads(root)
    n, last = len(order), len(view.steps) - 1
    page = Page(chromium(f"{path.as_uri()}#step={k}", tmp))
    k = min(k, last)  # past the end: the last step
    assert _text(page.by_id("step")).strip() == f"step {k} / {last}"
    current = page.with_class("li", "current")
    assert len(current) == 1 and current[0][1]["id"] == f"s{k}" and "hidden" not in current[0][1]
    assert all("hidden" in li[1] for li in page.all if li[0] == "li" and li is not current[0])
    step = view.steps[k]
    highlighted = page.with_class("g", "current")
    if step.node is None:
        assert highlighted == []
    else:
        assert [g[1]["id"] for g in highlighted] == [f"v{step.node}"]
        panel = _text(current[0])
        assert shown(order[step.node].data) in panel or step.phase == "backward"
        if step.phase == "backward":
            assert f"= {shown(grads[step.node])}" in panel
            assert float(current[0][1]["data-grad"]) == grads[step.node]
            assert (
                _text(next(t for t in _walk(highlighted[0]) if "grad" in _classes(t)))
                == f"grad {format_number(grads[step.node])}"
            )
    # values appear in the forward pass, gradients in the backward pass, "?" before
    for i in range(n):
        group = page.by_id(f"v{i}")
        data = _text(next(t for t in _walk(group) if "data" in _classes(t)))
        grad = _text(next(t for t in _walk(group) if "grad" in _classes(t)))
        assert data == (f"data {format_number(order[i].data)}" if k > i else "data ?")
        grad_known = k > n and i >= 2 * n - k
        assert grad == (f"grad {format_number(grads[i])}" if grad_known else "grad ?")


@needs_browser
def test_browser_buttons_move_and_update_the_address(logistic_page):
    tmp, path, root, view = logistic_page
    probe = (
        "<script>for (const id of ['next', 'next', 'next', 'prev']) document.getElementById(id).click();"
        "document.body.setAttribute('data-hash', location.hash);</script></body>"
    )
    clicked = tmp / "clicked.html"
    clicked.write_text(view.html.replace("</body>", probe), encoding="utf-8")
    page = Page(chromium(clicked.as_uri() + "#step=4", tmp))
    assert page.by_id("step")[2][0].strip() == f"step 6 / {len(view.steps) - 1}"
    assert next(el for el in page.all if el[0] == "body")[1]["data-hash"] == "#step=6"


@needs_browser
def test_browser_shows_evil_labels_as_text(tmp_path):
    label = "<img src=x onerror=\"document.title='pwned'\">"
    root = (Value(1.0, label=label) * 2).sigmoid()
    path = backprop_view(root).save(tmp_path / "evil.html")
    page = Page(chromium(path.as_uri() + "#step=1", tmp_path))
    assert _text(next(el for el in page.all if el[0] == "title")) != "pwned"
    assert not [el for el in page.all if el[0] == "img"]
    assert label in _text(page.by_id("steps"))  # in the panel ...
    assert label in [_text(t) for t in _walk(page.by_id("graph")) if t[0] == "text"]  # ... and in the graph


@needs_browser
def test_browser_screenshot(logistic_page):
    tmp, path, root, view = logistic_page
    folder = Path(os.environ.get("BPVIEW_SCREENSHOTS", tmp))
    folder.mkdir(parents=True, exist_ok=True)
    shot = folder / "backprop_step13.png"
    chromium(f"{path.as_uri()}#step=13", tmp, screenshot=shot)
    png = shot.read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 20_000  # a drawn page, not a blank one


def test_fused_neuron_formula_text():
    names = ["w1", "w2", "x1", "x2", "b"]
    assert forward_text("relu∘dot", names) == "relu(w1·x1 + w2·x2 + b)"
    assert local_text("relu∘dot", names, 0) == "(1 if z > 0 else 0)·x1"
    assert local_text("tanh∘dot", names, 4) == "(1 − tanh²(z))·1"
