"""What a primitive is, and how its one rule is evaluated on floats, on numpy arrays and on Values.

A primitive is ONE function, its *rule*, written with operators and a small math namespace `m`:

    def rule(m, x):                  # tanh
        t = m.tanh(x)
        return t, 1 - t * t          # (output, ∂out/∂x)

It returns the output followed by the partial derivative of the output with respect to each operand.
Every interpreter evaluates that same function, passing its own namespace:

    FLOAT   `math` (and Python float arithmetic): eager mode. It raises where `math` raises
            (log(0), sin(inf), exp(1000)); those errors become the primitive's documented error.
    ARRAY   numpy over whole batches (compiled mode). Any sample whose output is not finite is
            evaluated again with FLOAT, so compiled and eager agree on every input, special values
            included, and raise the same errors for the same samples.
    VALUE   the primitives on Values (`value_rules.py`): the partials come back as Values with graphs of their own,
            which is what higher-order derivatives differentiate.

Semantics kept here, once for every interpreter:
- Domain errors: a finite operand where `math` raises gets the primitive's error (DomainError,
  ZeroDivisionDomainError or OverflowError) naming the primitive and its operands. Where Python's float
  arithmetic returns a number ((-1.0) ** inf == 1.0), so does the engine.
- NaN propagates: where the output is NaN, every partial derivative is NaN too.
- A partial that is singular at a valid point (sqrt'(0) = 0.5/0) is taken from IEEE arithmetic (inf),
  never an error: rules are written as plain math and evaluated without raising there.
- While partials are being built as Values (`rule_mode`), the primitives they use follow IEEE
  arithmetic too (1/0 = inf), because a derivative may be infinite where the function is not.
"""

from __future__ import annotations

import math
import threading
import warnings
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import numpy as np

from .namespaces import ARRAY, FLOAT

__all__ = [
    "DomainError",
    "ZeroDivisionDomainError",
    "Primitive",
    "PRIMITIVES",
    "FLOAT",
    "ARRAY",
    "primitive",
    "register",
    "rule_mode",
    "in_rule_mode",
    "chain",
    "chain_array",
]

Rule = Callable[..., tuple[Any, ...]]
OPERAND_NAMES = ["x", "y", "z", "w"]  # how formulas and error messages name operands 1-4 ({x}, {y}, …)


class DomainError(ValueError):
    """An operand lies outside the domain of a primitive (log of x <= 0, sqrt of x < 0, ...)."""


class ZeroDivisionDomainError(DomainError, ZeroDivisionError):
    """Division by zero, or 0 raised to a negative power: both a ValueError and a ZeroDivisionError."""


# The errors Python's float arithmetic and `math` raise; what each becomes in the engine.
_RAISED = (ZeroDivisionError, OverflowError, ValueError)


def _engine_error(raised: BaseException) -> type[Exception]:
    if isinstance(raised, ZeroDivisionError):
        return ZeroDivisionDomainError
    if isinstance(raised, OverflowError):
        return OverflowError
    return DomainError


_state = threading.local()


def in_rule_mode() -> bool:
    """True while partial derivatives are being built as Values (then primitives follow IEEE: 1/0 = inf)."""
    return getattr(_state, "depth", 0) > 0


@contextmanager
def rule_mode() -> Iterator[None]:
    """Evaluate primitives with IEEE semantics instead of domain errors (for derivative graphs)."""
    _state.depth = getattr(_state, "depth", 0) + 1
    try:
        yield
    finally:
        _state.depth -= 1


# ---- the primitive ------------------------------------------------------------------------------


class Primitive:
    """An operation the engine knows: a name, its rule, and how to explain it.

    `rule(m, *operands) -> (out, ∂out/∂operand₁, …)`, written with operators and the namespace `m`.
    `formula` and `derivatives` are the text the step-by-step view shows, with `{x}`, `{y}` for the
    operands (`{px}`, `{py}`: the same, parenthesised when compound). `errors` maps an exception class
    (ValueError, ZeroDivisionError, OverflowError) to the message template for operands where `math`
    raises, with `{x!r}`, `{y!r}` for the operands.
    """

    def __init__(
        self,
        name: str,
        rule: Rule,
        arity: int,
        formula: str | None = None,
        derivatives: Sequence[str] | None = None,
        errors: dict[type, str] | None = None,
        doc: str | None = None,
    ) -> None:
        names = OPERAND_NAMES[:arity] if arity <= len(OPERAND_NAMES) else [f"x{i}" for i in range(arity)]
        self.name = name
        self.rule = rule
        self.arity = arity
        self.formula = formula or f"{name}({', '.join('{' + n + '}' for n in names)})"
        self.derivatives = tuple(derivatives) if derivatives else tuple(f"∂{name}/∂{{{n}}}" for n in names)
        self.errors = dict(errors or {})
        self.names = names
        self.__doc__ = doc or rule.__doc__
        for raised, template in self.errors.items():  # a bad template would replace the domain error later
            try:
                template.format(**dict.fromkeys(names, 0.0))
            except (KeyError, IndexError, ValueError, AttributeError) as err:
                known = ", ".join("{" + n + "}" for n in names)
                raise ValueError(
                    f"primitive {name!r}: errors[{getattr(raised, '__name__', raised)}] = {template!r} cannot be "
                    f"filled in ({type(err).__name__}: {err}); its operands are {known} (e.g. {{{names[0]}!r}})"
                ) from None

    def __repr__(self) -> str:
        return f"<primitive {self.name!r}>"

    def __call__(self, *operands: Any) -> Any:
        """The primitive applied: a Value node if any operand is a Value, an array for arrays, else a float."""
        from .value import Value, apply

        if any(isinstance(o, Value) for o in operands):
            return apply(self, *operands)
        if len(operands) != self.arity:
            raise TypeError(f"{self.name}() takes {self.arity} operand(s), got {len(operands)}")
        if any(isinstance(o, np.ndarray) for o in operands):
            return self.arrays(*(np.asarray(o, dtype=np.float64) for o in operands))[0]
        return self.floats(*map(float, operands))[0]

    # ---- floats -------------------------------------------------------------------------------
    def floats(self, *xs: float) -> tuple[float, ...]:
        """(out, partials…) for float operands, with the engine's semantics (see the module docstring).

        Raises the primitive's domain error where `math` raises for the forward value (unless in
        `rule_mode`, where the IEEE value is returned instead).
        """
        try:
            res = self.rule(FLOAT, *xs)
        except _RAISED as raised:
            return self.ieee(xs, raised)
        if res.__class__ is not tuple or len(res) != self.arity + 1:
            res = self.checked(res)
        if res[0] != res[0]:
            return _nan_partials(res)
        return res

    def checked(self, res: Any) -> tuple[Any, ...]:
        """The rule's result `res` as a tuple (out, one partial per operand), or a TypeError saying so."""
        n = self.arity + 1
        if isinstance(res, (tuple, list)) and len(res) == n:
            return tuple(res)
        got = f"{len(res)} values" if isinstance(res, (tuple, list)) else f"a {type(res).__name__}"
        raise TypeError(
            f"primitive {self.name!r}: the rule must return (output, one partial derivative per operand): "
            f"{n} values, got {got}"
        )

    def ieee(self, xs: Sequence[float], raised: BaseException) -> tuple[float, ...]:
        """The rule in IEEE arithmetic, after the float rule raised `raised` at `xs`.

        If the IEEE output is not finite, the forward value itself was out of the domain: that is
        the primitive's error (or, in rule mode, the IEEE answer). Otherwise only a partial was
        singular (sqrt'(0) = 0.5/0): the IEEE partials (±inf) are the answer.
        """
        with np.errstate(all="ignore"):
            res = tuple(float(r) for r in self.checked(self.rule(ARRAY, *map(np.float64, xs))))
        if not math.isfinite(res[0]) and not in_rule_mode():
            raise self.error(xs, raised) from None
        return _nan_partials(res) if res[0] != res[0] else res

    def error(self, xs: Sequence[float], raised: BaseException) -> Exception:
        """The engine's exception for operands `xs` at which `math` raised `raised`."""
        cls = _engine_error(raised)
        template = next((t for k, t in self.errors.items() if isinstance(raised, k)), None)
        if template is not None:
            return cls(template.format(**dict(zip(self.names, xs))))
        args = ", ".join(map(repr, xs))
        return cls(f"{self.name}({args}): {raised or 'outside the domain'}; check the operands")

    # ---- arrays -------------------------------------------------------------------------------
    def arrays(self, *xs: Any) -> list[Any]:
        """[out, partials…] for a batch: numpy arrays (samples along the last axis) or numbers.

        Samples whose output is not finite are evaluated again with `floats`, so they get exactly the
        eager answer; a domain error names the first such sample (`.sample` on the exception).
        """
        with np.errstate(all="ignore"):
            try:
                res = list(self.checked(self.rule(ARRAY, *xs)))
            except (TypeError, ValueError) as err:
                if str(err).startswith(f"primitive {self.name!r}"):
                    raise
                raise type(err)(
                    f"primitive {self.name!r}: its rule failed on numpy arrays (compiled mode): {err}. Write it "
                    "with the namespace m (m.exp, m.log, m.where(cond, a, b), ...), not math.exp or an if on an operand"
                ) from err
        out = np.asarray(res[0])
        if not np.isfinite(out).all():
            if out.ndim == 0:  # a single number: the float rule decides
                return list(self.floats(*(float(x) for x in xs)))
            _fix_special(self, xs, res, ~np.isfinite(out))
        return res


def _nan_partials(res: tuple[float, ...]) -> tuple[float, ...]:
    nan = math.nan
    return (res[0],) + (nan,) * (len(res) - 1)


def _fix_special(prim: Primitive, xs: Sequence[Any], res: list[Any], bad: np.ndarray) -> None:
    """Replace the results at the samples `bad` by the float rule's (or raise its error there)."""
    shape = np.shape(res[0])
    operands = [np.broadcast_to(x, shape) for x in xs]
    for i, item in enumerate(res):
        res[i] = np.array(np.broadcast_to(item, shape), dtype=np.float64)
    where = np.argwhere(bad)
    for index in map(tuple, where[np.argsort(where[:, -1], kind="stable")]):  # first sample first
        scalars = [float(x[index]) for x in operands]
        try:
            values = prim.floats(*scalars)
        except (ArithmeticError, ValueError) as err:
            sample = int(index[-1])
            failed: Any = type(err)(
                f"{err} (at sample {sample}; {int(bad.any(axis=tuple(range(bad.ndim - 1))).sum())} sample(s) "
                "with a non-finite result)"
            )
            failed.sample = sample
            raise failed from None
        for r, v in zip(res, values):
            r[index] = v


# ---- the chain rule's one product ---------------------------------------------------------------


def chain(g: Any, d: Any) -> Any:
    """One edge of the chain rule: upstream gradient g times local derivative d.

    The engine's convention, the same in every interpreter: a zero upstream gradient passes nothing
    down, so 0 · ±inf and 0 · nan count as 0 (a branch that does not influence the output does not
    make its operands' gradients undefined). Otherwise IEEE: nan propagates.
    """
    if isinstance(g, (float, int)):
        return 0.0 if g == 0.0 else g * d
    # g is a Value (higher order): keep the product's graph unless it is 0 times a non-finite number
    if g.data == 0.0 and not math.isfinite(getattr(d, "data", d)):
        return 0.0
    return g * d


def chain_array(g: np.ndarray, d: Any) -> np.ndarray:
    """`chain` for numpy blocks: g · d elementwise, with 0 wherever g == 0 (see `chain`)."""
    p: np.ndarray = g * d
    if p.ndim and not np.isfinite(p).all():
        zero = np.broadcast_to(g == 0.0, p.shape)
        if zero.any():
            p = np.where(zero, 0.0, p)
    return p


def _definition(prim: Primitive) -> tuple[Any, ...]:
    """What makes two definitions of a primitive the same: its rule's code, constants, names and closure
    values, and its texts (so a notebook cell run again is the same definition, silently)."""
    code = prim.rule.__code__
    cells: list[str | None] = []
    for cell in prim.rule.__closure__ or ():
        try:
            cells.append(repr(cell.cell_contents))
        except ValueError:  # an empty cell
            cells.append(None)
    return (
        code.co_code,
        code.co_consts,
        code.co_names,
        tuple(cells),
        prim.formula,
        prim.derivatives,
        tuple((k, v) for k, v in prim.errors.items()),
    )


PRIMITIVES: dict[str, Primitive] = {}
"""Every primitive by name (its `_op`): the built-in ones (ops.py) and those made with `primitive`."""

_BUILTIN: set[str] = set()  # names defined by the library, which `primitive` may not replace


def primitive(
    name: str,
    formula: str | None = None,
    derivatives: Sequence[str] | None = None,
    errors: dict[type, str] | None = None,
) -> Callable[[Rule], Primitive]:
    """Define a primitive from ONE rule; it then works in every interpreter.

    The decorated function is `rule(m, *operands) -> (out, ∂out/∂operand₁, …)`, written with
    operators and the math namespace `m` (m.exp, m.log, m.sqrt, m.abs, m.where, m.maximum, …):

        @primitive("softsign", formula="{x}/(1 + |{x}|)", derivatives=["1/(1 + |{x}|)²"])
        def softsign(m, x):
            d = 1 + m.abs(x)
            return x / d, 1 / (d * d)

    The result is callable: `softsign(v)` on a Value builds one node (drawn as `softsign`, explained by
    `formula` in the backprop view); on numbers it gives a float, on numpy arrays an array. `grad` of any
    order, `jvp`, `compile` and `gradcheck` use the same rule. `formula`/`derivatives` use `{x}`, `{y}`
    for the operands; `errors` maps ValueError / ZeroDivisionError / OverflowError to messages for
    operands where the rule's `math` functions raise. Redefining a name of your own replaces it; the
    built-in names (`+`, `exp`, …) cannot be replaced.
    """
    if not isinstance(name, str) or not name or any(c.isspace() for c in name):
        raise ValueError(f"primitive: name must be a non-empty string without spaces, got {name!r}")
    if name in _BUILTIN or name.endswith("∘dot") or name == "dot":
        raise ValueError(f"primitive: {name!r} is a built-in primitive; choose another name")

    return lambda rule: register(name, rule, formula, derivatives, errors)


def register(
    name: str,
    rule: Rule,
    formula: str | None = None,
    derivatives: Sequence[str] | None = None,
    errors: dict[type, str] | None = None,
    builtin: bool = False,
) -> Primitive:
    """Make `rule` the primitive `name` in PRIMITIVES (what `primitive` and `ops.define` do)."""
    if not callable(rule) or not hasattr(rule, "__code__"):
        raise TypeError(f"primitive {name!r}: the rule must be a function rule(m, *operands)")
    arity = rule.__code__.co_argcount - 1
    if arity < 1:
        raise TypeError(f"primitive {name!r}: the rule takes the namespace m and at least one operand")
    prim = Primitive(name, rule, arity, formula, derivatives, errors)
    old = PRIMITIVES.get(name)
    if old is not None and not builtin and _definition(old) != _definition(prim):
        warnings.warn(
            f"primitive {name!r} redefined with a different rule: nodes already built with the old rule keep "
            "their numbers, but compile, higher-order derivatives, jvp and the backprop view now read them with "
            "the new one; rebuild those graphs (or give the new rule another name)",
            RuntimeWarning,
            stacklevel=3,
        )
    PRIMITIVES[name] = prim
    if builtin:
        _BUILTIN.add(name)
    return prim
