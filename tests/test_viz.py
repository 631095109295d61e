"""draw_dot: structure and labels of the graphviz source, rendering with dot, and the missing-dot error."""

from __future__ import annotations

import shutil

import pytest

from autograd_core import GraphvizMissingError, Value, draw_dot


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


def test_records_show_label_data_and_grad_with_four_decimals() -> None:
    src = draw_dot(neuron()).source
    assert "{ x1 | data 2.0000 | grad -1.5000 }" in src
    assert "{ w1 | data -3.0000 | grad 1.0000 }" in src
    assert "{ o | data 0.7071 | grad 1.0000 }" in src
    assert src.count("shape=record") == 10  # 5 leaves + 2 products + 2 sums + tanh
    assert src.count("shape=ellipse") == 5  # one op node per operation
    assert 'label=tanh' in src and 'label="*"' in src and 'label="+"' in src
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


@pytest.mark.parametrize("label", ["<x|y>", "{a}", "back\\slash", 'say "hi"', "&lt;", "<script>alert(1)</script>"])
def test_labels_are_drawn_as_typed(label: str, tmp_path) -> None:
    if shutil.which("dot") is None:
        pytest.skip("Graphviz 'dot' not installed (apt-get install graphviz)")
    v = Value(1.0, label=label) * 2
    svg = draw_dot(v).pipe(format="svg").decode()
    import html

    texts = [html.unescape(t) for t in __import__("re").findall(r"<text[^>]*>([^<]*)</text>", svg)]
    assert label in texts


def test_renders_svg_and_png_with_dot(tmp_path) -> None:
    if shutil.which("dot") is None:
        pytest.skip("Graphviz 'dot' not installed (apt-get install graphviz)")
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
    draw_dot(o).source
    assert [(n.data, n.grad, n.label) for n in (o, *o._prev)] == before
