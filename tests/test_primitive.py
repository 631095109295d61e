"""User-defined primitives: one rule, then every interpreter (eager, grad of any order, jvp, compile,
draw_dot, backprop_view, gradcheck); and the README's examples run verbatim and print what it shows."""

from __future__ import annotations

import builtins
import contextlib
import io
import math
import re
from pathlib import Path

import numpy as np
import pytest

from autograd_core import (
    PRIMITIVES,
    DomainError,
    Value,
    backprop_view,
    compile,
    draw_dot,
    gradcheck,
    grad,
    hessian,
    jvp,
    primitive,
)

README = Path(__file__).resolve().parent.parent / "README.md"


@primitive("softsign_t", formula="{x} / (1 + |{x}|)", derivatives=["1 / (1 + |{x}|)²"])
def softsign(m, x):
    d = 1 + m.abs(x)
    return x / d, 1 / (d * d)


def ref(x: float) -> float:
    return x / (1 + abs(x))


def test_a_user_primitive_in_eager_mode() -> None:
    x = Value(2.0)
    y = softsign(x)
    assert y._op == "softsign_t" and y._prev == (x,)
    y.backward()
    assert y.data == pytest.approx(2 / 3) and x.grad == pytest.approx(1 / 9)
    assert softsign(2.0) == pytest.approx(2 / 3)  # numbers in: a float
    np.testing.assert_allclose(softsign(np.array([1.0, -3.0])), [0.5, -0.75])


@pytest.mark.parametrize("x", [-2.5, -0.4, 0.3, 4.0])
def test_a_user_primitive_at_higher_order_and_in_forward_mode(x: float) -> None:
    s = 1 + abs(x)
    assert grad(softsign)(x) == pytest.approx(1 / s**2)
    assert grad(grad(softsign))(x) == pytest.approx(-2 * math.copysign(1, x) / s**3)
    assert grad(grad(grad(softsign)))(x) == pytest.approx(6 / s**4)
    assert jvp(softsign, (x,), (2.0,)) == pytest.approx((ref(x), 2 / s**2))
    assert gradcheck(lambda v: softsign(v * v + 0.1), [x], order=2)


def test_a_user_primitive_compiles_and_draws() -> None:
    x, w = Value(0.0, label="x"), Value(0.5, label="w")
    out = softsign(w * x)
    program = compile(out, [x])
    np.testing.assert_allclose(program.forward(np.array([1.0, -2.0, 6.0])), [ref(0.5), ref(-1.0), ref(3.0)])
    program.backward("sum")
    assert w.grad == pytest.approx(sum(c / (1 + abs(0.5 * c)) ** 2 for c in (1.0, -2.0, 6.0)))
    assert "softsign_t" in draw_dot(softsign(Value(1.0))).source
    page = backprop_view(softsign(Value(1.0, label="a"))).html
    assert "a / (1 + |a|)" in page and "1 / (1 + |a|)²" in page


def test_an_n_ary_user_primitive() -> None:
    @primitive("fma_t")
    def fma(m, x, y, z):
        return x * y + z, y, x, 1.0

    a, b, c = Value(2.0), Value(3.0), Value(4.0)
    out = fma(a, b, c)
    assert out.data == 10.0
    out.backward()
    assert (a.grad, b.grad, c.grad) == (3.0, 2.0, 1.0)
    h = hessian(lambda x, y, z: fma(x, y, z) ** 2)(2.0, 3.0, 4.0)
    np.testing.assert_allclose(h, [[18, 32, 6], [32, 8, 4], [6, 4, 2]])
    xs = Value(0.0)
    program = compile(fma(xs, b, c), [xs])
    np.testing.assert_allclose(program.forward([1.0, 2.0]), [7.0, 10.0])


def test_domain_errors_of_a_user_primitive() -> None:
    @primitive("mylog_t", errors={ValueError: "mylog({x!r}): needs x > 0"})
    def mylog(m, x):
        return m.log(x), 1 / x

    with pytest.raises(DomainError, match=r"mylog\(-1\.0\): needs x > 0"):
        mylog(Value(-1.0))
    x = Value(1.0)
    program = compile(mylog(x), [x])
    with pytest.raises(DomainError, match="at sample 1"):
        program.forward([1.0, -2.0])

    @primitive("plainlog_t")
    def plainlog(m, x):
        return m.log(x), 1 / x

    with pytest.raises(DomainError, match=r"plainlog_t\(0\.0\)"):
        plainlog(Value(0.0))


def test_error_messages_of_a_primitive_with_five_operands_name_them_as_its_formula_does() -> None:
    """Operands 1-4 are {x} {y} {z} {w}; with five or more they are {x0} {x1} ... in the formula, and so
    in the error template too (it raised KeyError 'x0' instead of the domain error)."""

    @primitive("logsum5_t", errors={ValueError: "logsum5_t({x0!r}, ...): x0 must be > 0"})
    def logsum5(m, a, b, c, d, e):
        return m.log(a) + b + c + d + e, 1 / a, 1.0, 1.0, 1.0, 1.0

    assert PRIMITIVES["logsum5_t"].formula.startswith("logsum5_t({x0}, {x1}")
    with pytest.raises(DomainError, match=r"logsum5_t\(-1\.0, \.\.\.\): x0 must be > 0"):
        logsum5(Value(-1.0), 1.0, 2.0, 3.0, 4.0)


def test_an_error_template_naming_no_operand_is_refused_when_defined() -> None:
    with pytest.raises(ValueError, match=r"errors.*\{q!r\}.*operands are \{x\}, \{y\}"):
        primitive("badtemplate_t", errors={ValueError: "f({q!r})"})(lambda m, x, y: (x * y, y, x))


def test_defining_primitives_rejects_bad_definitions() -> None:
    with pytest.raises(ValueError, match="built-in"):
        primitive("exp")(lambda m, x: (x, x))
    with pytest.raises(ValueError, match="non-empty string"):
        primitive("has space")
    with pytest.raises(TypeError, match="at least one operand"):
        primitive("noargs_t")(lambda m: (1.0,))
    with pytest.raises(TypeError, match="takes 1 operand"):
        softsign(Value(1.0), Value(2.0))


@pytest.mark.parametrize(
    "returns", [lambda m, x: (x,), lambda m, x: (x, 1.0, 2.0), lambda m, x: x], ids=["1", "3", "bare"]
)
def test_a_rule_returning_the_wrong_number_of_results_is_named(returns) -> None:
    """Not an IndexError from inside the engine, nor extra partials silently dropped."""
    prim = primitive(f"miscount_t{len(PRIMITIVES)}")(returns)  # a fresh name for each case
    for call in (lambda: prim(Value(1.0)), lambda: prim(1.0), lambda: prim(np.array([1.0, 2.0]))):
        with pytest.raises(
            TypeError, match=r"miscount_t.*must return \(output, one partial derivative per operand\): 2"
        ):
            call()


def test_math_functions_in_a_rule_get_an_error_that_says_to_use_m() -> None:
    """math.exp on a Value gives a float: the second derivative would silently be 0, and compiled mode would
    fail inside numpy. Both say to use the namespace m instead."""

    @primitive("mathexp_t")
    def mathexp(m, x):
        return math.exp(x), math.exp(x)

    assert mathexp(Value(1.0)).data == math.e  # first order on floats is fine
    with pytest.raises(TypeError, match=r"mathexp_t.*m\.exp"):
        grad(grad(mathexp))(1.0)
    x = Value(1.0)
    program = compile(mathexp(x * Value(2.0)), [x])
    with pytest.raises(TypeError, match=r"mathexp_t.*numpy arrays.*m\.exp"):
        program.forward([1.0, 2.0])


def test_a_math_function_the_namespace_lacks_is_named_with_what_it_has() -> None:
    @primitive("erf_t")
    def erf(m, x):
        return m.erf(x), 2.0

    with pytest.raises(AttributeError, match=r"namespace m .* has no 'erf'.*m\.exp.*m\.where"):
        erf(Value(0.5))


def test_redefining_a_user_primitive_replaces_it() -> None:
    primitive("twice_t")(lambda m, x: (2 * x, 2.0))
    with pytest.warns(RuntimeWarning, match="redefined with a different rule"):
        p = primitive("twice_t")(lambda m, x: (3 * x, 3.0))
    assert PRIMITIVES["twice_t"] is p and p(Value(1.0)).data == 3.0


def test_redefining_a_primitive_warns_that_old_nodes_now_read_the_new_rule() -> None:
    """Nodes keep the primitive's name, so a graph built before a redefinition is compiled (and
    differentiated again) with the new rule while its data came from the old one: not silently."""
    import warnings

    def define(k):
        return primitive("scaled_t")(lambda m, x: (k * x, k))

    old = define(2.0)
    x = Value(1.0)
    y = old(x * 1.0)
    with pytest.warns(RuntimeWarning, match="scaled_t.*nodes already built with the old rule"):
        define(3.0)  # same code, another constant in its closure: a different rule
    assert y.data == 2.0
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        primitive("scaled_same_t")(lambda m, x: (2 * x, 2.0))
        primitive("scaled_same_t")(lambda m, x: (2 * x, 2.0))  # a notebook cell run again: no warning


def _readme_example(heading: str) -> tuple[str, str]:
    """The first python block after `heading` and the plain block that follows it (its output)."""
    text = README.read_text(encoding="utf-8")
    section = text[text.index(heading) :]
    code, shown = re.findall(r"```(?:python)?\n(.*?)```", section, flags=re.S)[:2]
    return code, shown


@pytest.mark.parametrize("heading", ["## Higher-order derivatives and forward mode", "## Define your own primitive"])
def test_readme_examples_run_verbatim_and_print_what_they_show(heading: str) -> None:
    code, shown = _readme_example(heading)
    code = code.replace('"softsign"', '"softsign_readme"')  # a fresh name each run
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(builtins.compile(code, "README.md", "exec"), {})
    assert out.getvalue().strip() == shown.strip()
