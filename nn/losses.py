"""Losses: `loss(outputs, targets) -> Value`, the mean over the batch of a per-sample loss.

`outputs` is a list of Values (one per sample; a single Value counts as a batch of one) or, for
multi-output models, a list of lists of Values. `targets` are numbers: a list, tuple or numpy array.
Targets may also be Values (except class indices), so a per-sample loss can be built with the target
as a graph input, e.g. to trace it once with `autograd_core.compile`.
The mean is taken with one fused `dot` node (Σ (1/n)·ℓᵢ), so a batch of n adds one node, not n.

Each loss carries what the model's outputs mean for it, as its `outputs` attribute (see
`nn.validation.OUTPUTS`): `mse.outputs == "regression"`, `binary_cross_entropy.outputs == "logit"`,
`hinge.outputs == "margin"`, `softmax_cross_entropy.outputs == "class_scores"`. `fit` scores accuracy
by it; a loss wrapped in a lambda does not carry it (pass `fit(..., outputs=...)`), one wrapped with
`functools.wraps` does. Bad targets raise a ValueError naming the first bad one (`targets[i]`).
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Iterable, Sequence
from typing import Any, TypeVar

import numpy as np

from autograd_core import Value, dot

from .checks import not_text_or_mapping

__all__ = ["mse", "binary_cross_entropy", "hinge", "softmax_cross_entropy", "l2"]

Outputs = Any  # Value | Sequence[Value] | Sequence[Sequence[Value]]
Targets = Any  # number | Sequence[number] | numpy.ndarray
F = TypeVar("F", bound=Callable[..., Value])


def _means(kind: str) -> Callable[[F], F]:
    """Mark a loss with what the model's outputs mean for it (its `outputs` attribute)."""

    def mark(loss: F) -> F:
        loss.outputs = kind  # type: ignore[attr-defined]  # a plain function attribute
        return loss

    return mark


def mean(terms: Sequence[Value]) -> Value:
    """(1/n) Σ terms, as one node."""
    n = len(terms)
    return dot(terms, [1.0 / n] * n)


def _batch(outputs: Outputs, targets: Targets, name: str) -> tuple[list[Any], list[Any]]:
    """outputs and targets as equal-length, non-empty Python lists (targets as floats / lists of floats)."""
    for what, x in (("outputs", outputs), ("targets", targets)):
        not_text_or_mapping(f"{name}: {what}", x, "a list, tuple or array (one per sample)")
    if isinstance(outputs, Value):
        outputs = [outputs]
    if isinstance(targets, np.ndarray):
        targets = targets.tolist()
    if isinstance(targets, (numbers.Real, Value)):  # one number (also a 0-d array): a batch of one
        targets = [targets]
    outputs, targets = list(outputs), list(targets)
    if not outputs:
        raise ValueError(f"{name}: empty batch (no outputs)")
    if len(outputs) != len(targets):
        raise ValueError(f"{name}: {len(outputs)} outputs but {len(targets)} targets")
    return outputs, targets


def _not_a_value(name: str, outputs: Sequence[Any], multi: bool = False) -> None:
    """TypeError naming the first output that is not a Value (nor, with `multi`, a list of them)."""
    for i, o in enumerate(outputs):
        if not (isinstance(o, Value) or multi and hasattr(o, "__len__")):
            raise TypeError(
                f"{name}: outputs[{i}] is a {type(o).__name__}, not a Value; the outputs are the "
                "model's Values (one per sample), e.g. [model(x) for x in X]"
            )


def _check_targets(targets: Sequence[Any], ok: Callable[[Any], bool], name: str, rule: str, hint: str) -> None:
    """ValueError naming the first target (and how many in all) for which `ok` is false."""

    def fine(t: Any) -> bool:
        if isinstance(t, (str, bytes)):  # float("1") would pass
            return False
        try:
            return bool(ok(t))
        except (TypeError, ValueError):  # a list or a string where a number belongs
            return False

    bad = [i for i, t in enumerate(targets) if not fine(t)]
    if bad:
        more = f" ({len(bad)} bad targets in all)" if len(bad) > 1 else ""
        raise ValueError(f"{name}: targets must be {rule}; targets[{bad[0]}] = {targets[bad[0]]!r}{more}; {hint}")


@_means("regression")
def mse(outputs: Outputs, targets: Targets) -> Value:
    """Mean squared error (1/N) Σ (ŷ − y)² over all N output numbers in the batch.

    For multi-output models each target is a sequence of the same length as the output.
    """
    outputs, targets = _batch(outputs, targets, "mse")
    _not_a_value("mse", outputs, multi=True)
    terms = []
    for o, t in zip(outputs, targets):
        if isinstance(o, Value):
            terms.append((o - t) ** 2)
        else:
            if len(o) != len(t):
                raise ValueError(f"mse: an output has {len(o)} numbers but its target has {len(t)}")
            terms.extend((oi - ti) ** 2 for oi, ti in zip(o, t))
    return mean(terms)


@_means("logit")
def binary_cross_entropy(outputs: Outputs, targets: Targets) -> Value:
    """Binary cross-entropy from logits z (not probabilities), labels y ∈ [0, 1]:

        ℓ(z, y) = −y·log σ(z) − (1 − y)·log(1 − σ(z)) = softplus(z) − y·z

    The right-hand form is exact and never overflows (softplus is stable), so z = ±1000 is fine.
    Its gradient is ∂ℓ/∂z = σ(z) − y.
    """
    outputs, targets = _batch(outputs, targets, "binary_cross_entropy")
    _not_a_value("binary_cross_entropy", outputs)
    _check_targets(
        targets,
        lambda t: 0.0 <= float(t) <= 1.0,
        "binary_cross_entropy",
        "in [0, 1]",
        "for ±1 labels use (y + 1) / 2, or the hinge loss",
    )
    return mean([z.softplus() - t * z for z, t in zip(outputs, targets)])


@_means("margin")
def hinge(outputs: Outputs, targets: Targets) -> Value:
    """Max-margin (hinge) loss, micrograd's: ℓ(s, y) = max(0, 1 − y·s) with labels y ∈ {−1, +1}."""
    outputs, targets = _batch(outputs, targets, "hinge")
    _not_a_value("hinge", outputs)
    _check_targets(targets, lambda t: float(t) in (-1.0, 1.0), "hinge", "-1 or 1", "for 0/1 labels use 2*y - 1")
    return mean([(1.0 - t * s).relu() for s, t in zip(outputs, targets)])


@_means("class_scores")
def softmax_cross_entropy(logits: Outputs, targets: Targets) -> Value:
    """Cross-entropy of softmax(z) against class indices c:

        ℓ(z, c) = −log softmax(z)_c = logsumexp(z) − z_c,   logsumexp(z) = m + log Σⱼ exp(zⱼ − m)

    with m = maxⱼ zⱼ taken as a constant (the result does not depend on m), so no exp overflows.
    Gradient: ∂ℓ/∂zⱼ = softmax(z)ⱼ − [j = c].
    """
    logits, targets = _batch(logits, targets, "softmax_cross_entropy")
    for z in logits:
        if isinstance(z, Value) or not hasattr(z, "__len__"):
            raise TypeError(
                "softmax_cross_entropy: each output must be a list of logits (one per class), got "
                f"{type(z).__name__}; give the model's last layer one output per class"
            )
    if any(isinstance(c, Value) for c in targets):
        raise TypeError("softmax_cross_entropy: targets are class indices (ints), not Values")
    k = len(logits[0])
    for i, z in enumerate(logits):
        if len(z) != k:
            raise ValueError(
                f"softmax_cross_entropy: outputs[{i}] has {len(z)} logits but outputs[0] has {k}; "
                "every sample needs one logit per class"
            )
    _check_targets(
        targets,
        lambda c: isinstance(c, numbers.Real) and math.isfinite(c) and c == int(float(c)) and 0 <= float(c) < k,
        "softmax_cross_entropy",
        f"a class index in 0..{k - 1}",
        "give each sample the index of its class (an int), one output per class",
    )
    terms = []
    for z, c in zip(logits, targets):
        m = max(float(zj) for zj in z)
        if not math.isfinite(m):  # an inf logit: no shift (inf − inf would be nan), so inf reaches the loss
            m = 0.0
        exps = [(zj - m).exp() for zj in z]
        lse = dot(exps, [1.0] * len(exps)).log() + m
        terms.append(lse - z[int(c)])
    return mean(terms)


def l2(params: Iterable[Value]) -> Value:
    """The squared L2 norm Σ p² of the parameters (a regulariser: add `alpha * l2(model.parameters())`).

    micrograd's demo uses alpha = 1e-4. One node; its gradient is 2p for each parameter.
    """
    params = list(params)
    if not params:
        raise ValueError("l2: no parameters given")
    return dot(params, params)
