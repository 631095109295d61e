"""The Value API: construction, operators with numbers and numpy scalars, comparisons, errors."""

from __future__ import annotations

import copy
import math
import pickle

import numpy as np
import pytest

from autograd_core import Constant, DomainError, Value, dot, topological_order


def test_construction_stores_a_float() -> None:
    for raw in (3, 3.0, np.float64(3.0), np.int64(3), np.float32(3.0), True):
        v = Value(raw)
        assert type(v.data) is float and v.data == float(raw)
        assert v.grad == 0.0 and v.label == "" and v._op == "" and v._prev == ()
    assert Value(2, label="x").label == "x"


@pytest.mark.parametrize("bad", ["a", None, [1], (1.0,), 1 + 2j, {"x": 1}, Value(1.0)])
def test_construction_rejects_non_real_numbers(bad: object) -> None:
    with pytest.raises(TypeError, match="real number") as info:
        Value(bad)
    assert type(bad).__name__ in str(info.value)


def test_label_must_be_a_string() -> None:
    with pytest.raises(TypeError, match="label"):
        Value(1.0, label=3)
    v = Value(1.0, label="x")
    with pytest.raises(TypeError, match="label must be a str, got int"):
        v.label = 3  # assigned later: checked too, so draw_dot never meets it
    assert v.label == "x"


@pytest.mark.parametrize("bad", ["a\x00b", "a\x01b", "\x0b", "\x1f", "\ud800", "\udc00", "\ufffe", "\uffff"], ids=ascii)
def test_labels_that_no_drawing_can_carry_are_refused_when_set(bad: str) -> None:
    """Issue 10 item 9: NUL, control characters, lone surrogates and non-characters used to be accepted
    and later crash graphviz, the XML parser of the backprop view, or UTF-8 encoding."""
    with pytest.raises(ValueError, match=r"label .* U\+[0-9A-F]{4} at index \d+.*remove it"):
        Value(1.0, label=bad)
    v = Value(1.0, label="x") * 2
    with pytest.raises(ValueError, match="U\\+"):
        v.label = bad
    assert v.label == ""


def test_labels_with_any_printable_text_are_kept_exactly() -> None:
    for text in ["σ b", "  x\t", "a\nb", "a\rb", "<x|y>", "\x85", "𝑥", "e\u0301", "\U0010ffff", ""]:
        assert Value(1.0, label=text).label == text


def test_numbers_on_either_side() -> None:
    x = Value(3.0)
    assert (x + 2).data == 5.0 and (2 + x).data == 5.0
    assert (x - 2).data == 1.0 and (2 - x).data == -1.0
    assert (x * 2).data == 6.0 and (2 * x).data == 6.0
    assert (x / 2).data == 1.5 and (6 / x).data == 2.0
    assert (x**2).data == 9.0 and (2**x).data == 8.0
    assert (-x).data == -3.0 and abs(Value(-3.0)).data == 3.0
    assert +x is x
    # the number becomes a Constant leaf, as micrograd's Value(other)
    node = x * 2
    assert isinstance(node._prev[1], Constant) and node._prev[1].data == 2.0


def test_value_to_the_value() -> None:
    x, y = Value(2.0), Value(3.0)
    z = x**y
    z.backward()
    assert z.data == 8.0
    assert x.grad == pytest.approx(3 * 2.0**2)
    assert y.grad == pytest.approx(8.0 * math.log(2.0))


@pytest.mark.parametrize("scalar", [np.float64(2.0), np.int64(2), np.float32(2.0)])
def test_numpy_scalars_on_either_side_give_values(scalar: object) -> None:
    x = Value(3.0)
    for result in (scalar * x, x * scalar, scalar + x, scalar - x, scalar / x, x**scalar):
        assert isinstance(result, Value)
    assert (scalar * x).data == 6.0 and (scalar - x).data == -1.0


def test_unsupported_operands_raise_type_error_naming_the_op() -> None:
    x = Value(1.0)
    with pytest.raises(TypeError, match=r"for \+: Value and str"):
        x + "x"
    with pytest.raises(TypeError, match=r"for \*: Value and NoneType"):
        None * x
    with pytest.raises(TypeError, match="list"):
        x - [1.0]
    with pytest.raises(TypeError, match="ndarray"):
        np.array([1.0, 2.0]) * x


def test_comparisons_use_data_and_equality_stays_identity() -> None:
    a, b = Value(1.0), Value(2.0)
    assert a < b and a <= b and b > a and b >= a
    assert a < 1.5 and a <= 1 and a > 0 and a >= 1.0
    assert (a < b) is True
    c = Value(1.0)
    assert a != c and a == a
    assert len({a, c}) == 2
    with pytest.raises(TypeError):
        a < "b"


def test_float_and_repr() -> None:
    v = Value(2.5, label="w")
    assert float(v) == 2.5
    assert repr(v) == "Value(data=2.5, grad=0.0, label='w')"
    assert repr(Value(1.0)) == "Value(data=1.0, grad=0.0)"


def test_micrograd_style_attributes_are_readable() -> None:
    a, b = Value(1.0), Value(2.0)
    c = a * b + a
    assert c._op == "+" and c._prev[1] is a
    assert c._prev[0]._op == "*" and c._prev[0]._prev == (a, b)
    assert a.is_leaf and not c.is_leaf


ERRORS = [
    ("log(0)", lambda: Value(0.0).log(), DomainError, r"log\(0\.0\)"),
    ("log(-1)", lambda: Value(-1.0).log(), ValueError, r"log\(-1\.0\)"),
    ("sqrt(-1)", lambda: Value(-1.0).sqrt(), ValueError, r"sqrt\(-1\.0\)"),
    ("x/0", lambda: Value(1.0) / 0, ZeroDivisionError, r"division by zero in 1\.0 / 0\.0"),
    ("x/0 is a ValueError too", lambda: Value(1.0) / Value(0.0), ValueError, "division by zero"),
    ("0**-1", lambda: Value(0.0) ** -1, ValueError, r"power 0\.0 \*\* -1\.0"),
    ("(-8)**0.5", lambda: Value(-8.0) ** 0.5, ValueError, r"power -8\.0 \*\* 0\.5.*integer exponent"),
    ("exp(1000)", lambda: Value(1000.0).exp(), OverflowError, r"exp\(1000\.0\) overflows"),
    ("10**400", lambda: Value(10.0) ** 400, OverflowError, r"power 10\.0 \*\* 400\.0 overflows"),
    ("sin(inf)", lambda: Value(math.inf).sin(), ValueError, r"sin\(inf\)"),
]


@pytest.mark.parametrize("name, make, exc, message", ERRORS, ids=[e[0] for e in ERRORS])
def test_domain_errors_name_op_and_operand(name: str, make, exc: type, message: str) -> None:
    with pytest.raises(exc, match=message):
        make()


def test_failed_op_leaves_every_grad_untouched() -> None:
    a, b = Value(2.0), Value(0.0)
    y = a * a + b
    y.backward()
    before = [(n, n.grad) for n in (a, b, y)]
    for bad in (lambda: y / b, lambda: b.log(), lambda: (y - 6).sqrt(), lambda: (y * 1000).exp()):
        with pytest.raises((ValueError, OverflowError, ZeroDivisionError)):
            bad()
    assert [(n, n.grad) for n in (a, b, y)] == before
    y.backward()  # the graph still works and accumulates as before
    assert a.grad == 8.0


# ---- numbers that do not fit, numpy scalars, comparisons (hardening) ---------------------------------


@pytest.mark.parametrize("big", [10**400, -(10**5000), np.longdouble("1e400")], ids=["1e400", "-1e5000", "longdouble"])
def test_numbers_too_large_for_a_float_raise_a_clear_overflow_error(big: object) -> None:
    with pytest.raises(OverflowError, match="too large for a float"):
        Value(big)
    with pytest.raises(OverflowError, match="too large for a float"):
        Value(1.0) * big


def test_bools_and_numpy_bools_are_numbers() -> None:
    assert Value(np.bool_(True)).data == 1.0 and Value(False).data == 0.0
    assert (Value(2.0) * np.bool_(True)).data == 2.0


def test_comparisons_with_numpy_scalars_return_plain_bools() -> None:
    v = Value(1.0)
    for result in (v < np.float64(2), v >= np.float32(0.5), np.float64(2) > v, np.int64(0) <= v):
        assert type(result) is bool and result is True


@pytest.mark.parametrize("scalar", [np.float64(1.0), np.float32(1.0), np.int64(1), np.bool_(True)], ids=repr)
def test_equality_with_numpy_scalars_is_identity_as_with_python_numbers(scalar: object) -> None:
    """`==` on a Value is identity: a numpy number equal to its data is not the node (as 1.0 is not)."""
    v = Value(1.0)
    assert (v == scalar) is False and (scalar == v) is False
    assert (v != scalar) is True and (scalar != v) is True
    assert v not in [scalar, 2.0] and [scalar, v].index(v) == 1


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda v: np.maximum(v, 0.0), r"numpy\.maximum is not defined on Values.*relu\(\)"),
        (lambda v: np.square(v), r"numpy\.square is not defined on Values"),
        (lambda v: np.array([2.0, 3.0]) * v, r"numpy\.multiply of a numpy array \(ndarray\) and a Value.*dtype=object"),
        (lambda v: np.add(v, 1.0, out=np.empty(())), r"numpy\.add\(\.\.\., out=\.\.\.\)"),
    ],
    ids=["maximum", "square", "array", "out"],
)
def test_numpy_ufuncs_values_cannot_take_say_what_to_do(call, match) -> None:
    """Not numpy's 'operand type(s) all returned NotImplemented from __array_ufunc__(...)'."""
    with pytest.raises(TypeError, match=match):
        call(Value(2.0))


def test_dot_of_nothing_is_a_float_zero() -> None:
    d = dot([], [])
    assert isinstance(d, Value) and type(d.data) is float and d.data == 0.0


def test_backward_validates_its_seed_before_changing_anything() -> None:
    a = Value(2.0)
    y = a * a
    y.backward()
    before = (a.grad, y.grad)
    with pytest.raises(TypeError, match="grad must be a real number.*str"):
        y.backward(grad="x")
    assert (a.grad, y.grad) == before
    y.backward(grad=np.float64(0.5))
    assert a.grad == 4.0 + 2.0


# ---- copying and pickling ------------------------------------------------------------------------------


def _deep_chain(depth: int) -> tuple[Value, Value]:
    x, w = Value(0.5, label="x"), Value(1.5, label="w")
    z = x
    for i in range(depth):
        z = (z * w + 1e-6) if i % 2 else z.tanh()
    z.label = "z"
    return x, z


@pytest.mark.parametrize("how", ["deepcopy", "pickle"])
def test_deep_graphs_copy_and_pickle_iteratively_and_round_trip_exactly(how: str) -> None:
    x, z = _deep_chain(100_000)
    z.backward()
    copy_ = copy.deepcopy(z) if how == "deepcopy" else pickle.loads(pickle.dumps(z))
    old, new = topological_order(z), topological_order(copy_)
    assert len(old) == len(new)
    for a, b in zip(old, new):
        assert (type(a), a._op, a.data, a.grad, a.label, a._dx, a._dy) == (
            type(b),
            b._op,
            b.data,
            b.grad,
            b.label,
            b._dx,
            b._dy,
        )
        assert a is not b
    x2 = next(n for n in new if n.label == "x")
    x2.grad = 0.0
    copy_.backward()  # gradients still computable on the copy, equal to the original's
    x.grad = 0.0
    z.backward()
    assert x2.grad == x.grad


def test_pickle_keeps_shared_leaves_one_object_and_fused_dots_whole() -> None:
    a, b = Value(1.0, label="a"), Value(2.0, label="b")
    items = [a, b, a * b, dot([a, b], [b, a], 0.5, activation="tanh"), Constant(3.0)]
    back = pickle.loads(pickle.dumps(items))
    assert back[2]._x is back[0] and back[2]._y is back[1]
    assert back[3]._op == "tanh∘dot" and back[3]._prev[0] is back[0]
    assert back[3].data == items[3].data and type(back[4]) is Constant


def test_deepcopy_keeps_an_inner_node_shared_by_several_roots_one_object() -> None:
    """deepcopy([h, h * 3]): the copy of h is the node under the copy of h * 3, so a backward on the copied
    output still reaches the copied h (the original graph's structure, not two disconnected copies)."""
    x = Value(1.0, label="x")
    h = x * 2
    out = dot([h, x], [h, 1.0], activation="tanh") * 3
    h2, out2, x2 = copy.deepcopy([h, out, x])
    assert out2._x._x[0] is h2 and h2._x is x2 and out2._x._x[1] is x2
    out2.backward()
    out.backward()
    assert (h2.grad, x2.grad) == (h.grad, x.grad) and h2.grad != 0.0
