"""draw_dot: structure and labels of the graphviz source, rendering with dot, and the missing-dot error."""

from __future__ import annotations

import html
import pickle
import re
import shutil
import xml.etree.ElementTree as ET

import pytest

from autograd_core import GraphvizMissingError, Value, backprop_view, draw_dot
from autograd_core.viz import format_number, printable

needs_dot = pytest.mark.skipif(
    shutil.which("dot") is None, reason="Graphviz 'dot' not installed (apt-get install graphviz)"
)


def neuron() -> Value:
    x1, x2 = Value(2.0, label="x1"), Value(0.0, label="x2")
    w1, w2 = Value(-3.0, label="w1"), Value(1.0, label="w2")
    b = Value(6.8813735870195432, label="b")
    n = x1 * w1 + x2 * w2 + b
    n.label = "n"
    o = n.tanh()
    o.label = "o"
    o.backward()
    return o


def fields(graph_source: str) -> list[list[str]]:
    """The record fields of a drawing's source, unescaped (a space is written as the entity &#32;)."""
    records = re.findall(r'label="\{ (.*?) \}"', graph_source)
    return [html.unescape(r).split(" | ") for r in records]


def test_records_show_label_data_and_grad_with_four_significant_digits() -> None:
    src = draw_dot(neuron()).source
    assert ["x1", "data 2.0", "grad -1.5"] in fields(src)
    assert ["w1", "data -3.0", "grad 1.0"] in fields(src)
    assert ["o", "data 0.7071", "grad 1.0"] in fields(src)
    assert ["b", "data 6.881", "grad 0.5"] in fields(src)
    assert src.count("shape=record") == 10  # 5 leaves + 2 products + 2 sums + tanh
    assert src.count("shape=ellipse") == 5  # one op node per operation
    assert "label=tanh" in src and 'label="*"' in src and 'label="+"' in src
    assert "rankdir=LR" in src


def test_edges_go_child_to_op_to_parent() -> None:
    a, b = Value(1.0, label="a"), Value(2.0, label="b")
    c = a * b
    src = draw_dot(c).source
    assert "v0 -> v2op" in src and "v1 -> v2op" in src and "v2op -> v2" in src


def test_options_and_bad_arguments() -> None:
    g = draw_dot(neuron(), format="png", rankdir="TB", show_grad=False)
    assert g.format == "png" and "rankdir=TB" in g.source and "grad" not in g.source
    with pytest.raises(ValueError, match="rankdir"):
        draw_dot(neuron(), rankdir="XY")
    with pytest.raises(TypeError, match="Value"):
        draw_dot(1.0)


def svg_texts(svg: str) -> list[str]:
    """The text of every <text> element, as a reader sees it (dot writes runs of spaces as &#160;)."""
    return [html.unescape(t).replace("\xa0", " ") for t in re.findall(r"<text[^>]*>([^<]*)</text>", svg)]


AS_TYPED = [
    "<x|y>",
    "{a}",
    "back\\slash",
    'say "hi"',
    "&lt;",
    "<script>alert(1)</script>",
    "σ b",
    "  lead",
    "trail  ",
    "a  b",
    "α β γ",
    "👨‍👩‍👧 family",
    "x|{ }",
]


@needs_dot
@pytest.mark.parametrize("label", AS_TYPED)
def test_labels_are_drawn_as_typed(label: str) -> None:
    svg = draw_dot(Value(1.0, label=label) * 2).pipe(format="svg").decode()
    assert label in svg_texts(svg)


# Characters no output can carry as they are: shown as their Python escape, never a crash in dot
# (NUL ends its input), in the XML parser (control characters) or in UTF-8 encoding (lone surrogates).
UNPRINTABLE = [
    ("\tx", "\\tx"),
    ("a\x00b", "a\\x00b"),
    ("a\x01b", "a\\x01b"),
    ("\x1b[31m", "\\x1b[31m"),
    ("a\ud800b", "a\\ud800b"),
    ("\udfffz", "\\udfffz"),
    ("x\x7f\x85", "x\\x7f\\x85"),
    ("n\uffff", "n\\uffff"),
    ("cr\r", "cr\\r"),
]


@pytest.mark.parametrize(("label", "shown"), UNPRINTABLE)
def test_printable_writes_unprintable_characters_as_escapes(label: str, shown: str) -> None:
    assert printable(label) == shown
    assert printable(shown) == shown  # idempotent: escaping twice changes nothing
    shown.encode("utf-8")


@needs_dot
@pytest.mark.parametrize(("label", "shown"), UNPRINTABLE)
def test_unprintable_labels_render_everywhere(label: str, shown: str) -> None:
    try:
        leaf = Value(1.0, label=label)
    except (TypeError, ValueError) as exc:  # rejecting such a label up front is the other allowed policy
        assert "label" in str(exc)
        return
    root = (leaf * 2).tanh()
    svg = draw_dot(root).pipe(format="svg")
    ET.fromstring(svg)  # well-formed XML
    assert shown in svg_texts(svg.decode())
    view = backprop_view(root)
    view.html.encode("utf-8")  # no lone surrogate left
    assert any(shown in step.title for step in view.steps)


def test_printable_keeps_every_printable_character() -> None:
    text = "σ b\n  ünïcode 中文 👨‍👩‍👧 \u00a0 <&>"
    assert printable(text) == text


@pytest.mark.parametrize(
    ("x", "text"),
    [
        (2.0, "2.0"),
        (-3.0, "-3.0"),
        (0.0, "0.0"),
        (-0.0, "-0.0"),
        (0.70710678, "0.7071"),
        (6.8813735, "6.881"),
        (2.5e-05, "2.5e-05"),
        (-1.23456e-7, "-1.235e-07"),
        (0.0001, "0.0001"),
        (2018.0, "2018.0"),
        (12345.6, "1.235e+04"),
        (1e300, "1e+300"),
        (float("inf"), "inf"),
        (float("-inf"), "-inf"),
        (float("nan"), "nan"),
    ],
)
def test_format_number_four_significant_digits(x: float, text: str) -> None:
    assert format_number(x) == text


def test_a_vanishing_gradient_is_visible() -> None:
    x = Value(3.0, label="x")
    y = x * 2.5e-05
    y.backward()
    assert ["x", "data 3.0", "grad 2.5e-05"] in fields(draw_dot(y).source)


def test_the_drawing_pickles() -> None:
    g = draw_dot(neuron())
    clone = pickle.loads(pickle.dumps(g))
    assert type(clone) is type(g) and clone.source == g.source and repr(clone) == repr(g)


@needs_dot
def test_renders_svg_and_png_with_dot(tmp_path) -> None:
    g = draw_dot(neuron())
    svg = g.pipe(format="svg").decode()
    assert svg.lstrip().startswith("<?xml") and "<svg" in svg and "data 0.7071" in svg
    path = draw_dot(neuron(), format="png").render(tmp_path / "graph", cleanup=True)
    with open(path, "rb") as f:
        assert f.read(8) == b"\x89PNG\r\n\x1a\n"


def test_without_dot_source_works_and_rendering_says_how_to_install(monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # no 'dot' anywhere
    g = draw_dot(neuron())
    assert "digraph" in g.source
    with pytest.raises(GraphvizMissingError, match="apt-get install graphviz"):
        g.pipe()
    with pytest.raises(GraphvizMissingError, match="brew install graphviz"):
        g.render(tmp_path / "x")
    with pytest.raises(RuntimeError):  # also catchable as RuntimeError, like graphviz's own error
        g._repr_mimebundle_()


def test_drawing_does_not_touch_the_graph() -> None:
    o = neuron()
    before = [(n.data, n.grad, n.label) for n in (o, *o._prev)]
    assert "digraph" in draw_dot(o).source
    assert [(n.data, n.grad, n.label) for n in (o, *o._prev)] == before
