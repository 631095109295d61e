"""What `fit` and `predict` check, so that bad input or a diverging run raises a clear error instead of
giving a silently wrong answer. Eager and compiled `fit` call the same functions, so they raise the
same exception with the same message on every misuse.

Before training, `check_fit` checks, in this order:
  1. the arguments: optimizer (has `step()` and `zero_grad()`), loss and model (callable), epochs,
     batch_size, callbacks, outputs;
  2. X, like scikit-learn's `check_array`: a 2-D array of finite numbers (the first bad row and column
     are named); y: one finite target per row of X;
  3. the model on the first row of X: its output must be a Value (one output) or a list of Values
     (one per class or target), and y must be shaped for it (shape (n,) for one output);
  4. every target under the loss in use: the loss is called once on all of y, with the model's first
     output standing in for every row, so the loss's own check (binary_cross_entropy's [0, 1], hinge's
     ±1, softmax_cross_entropy's class indices) sees every row before any update;
  5. what the outputs mean (`OUTPUTS`, see `resolve_outputs`), which decides how accuracy is scored;
  6. the parameters: finite, and held by the optimizer.

During training, `guarded_step` replaces `optimizer.step()`: the loss and every gradient must be finite
before the update, and every parameter after it. Otherwise `DivergenceError` names the epoch and step,
suggests a smaller learning rate, leaves the parameters at their last finite values and carries the
History so far. `check_step` and `check_update` are the same two checks on plain numbers or numpy
arrays, for a training loop that keeps its parameters in arrays.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np

from autograd_core import Value

from .checks import count, not_text_or_mapping, one_of

__all__ = [
    "OUTPUTS",
    "DivergenceError",
    "FitPlan",
    "check_fit",
    "check_array",
    "check_targets",
    "loss_result",
    "resolve_outputs",
    "decide",
    "accuracy_rule",
    "guarded_step",
    "check_step",
    "check_update",
    "overflow_is_divergence",
]

OUTPUTS: dict[str, str] = {
    "logit": "one output, a logit: class 1 when it is > 0 (labels 0/1; binary_cross_entropy)",
    "probability": "one output, a probability: class 1 when it is > 0.5 (labels 0/1)",
    "margin": "one output, a margin: the class is its sign (labels -1/1; hinge)",
    "class_scores": "one output per class: the class is the argmax (labels 0..k-1; softmax_cross_entropy)",
    "regression": "real-valued predictions: no classes, no accuracy (mse)",
}


class DivergenceError(FloatingPointError):
    """Training produced a non-finite loss, gradient or parameter (usually: the learning rate is too
    large). `epoch` and `step` say where (counted from 0, `step` over the whole run), `history` holds
    the History up to the last finite update; the parameters keep their values from before that step."""

    def __init__(self, message: str, epoch: int, step: int, history: Any) -> None:
        super().__init__(message)
        self.epoch, self.step, self.history = epoch, step, history


@dataclass
class FitPlan:
    """What `check_fit` found: the data as arrays, the checked arguments, the parameters the optimizer
    updates, what the outputs mean (`kind`) and the accuracy rule (None: no accuracy recorded)."""

    X: np.ndarray
    y: np.ndarray
    epochs: int
    batch_size: int | None
    callbacks: list[Callable[..., Any]]
    kind: str | None
    correct: Callable[[Sequence[Any], Sequence[Any]], int] | None
    model: Any
    optimizer: Any
    params: list[Value]

    @property
    def steps_per_epoch(self) -> int:
        """Updates per epoch: ⌈n / batch_size⌉ (1 for full batch)."""
        n, b = len(self.X), self.batch_size
        return 1 if b is None or b >= n else -(-n // b)


def _as_float_array(name: str, value: Any) -> np.ndarray:
    not_text_or_mapping(name, value, "an array or a list of numbers")
    if np.iscomplexobj(value):  # numpy would keep the real part, with only a warning
        raise TypeError(f"{name} must hold real numbers, got complex values; pass {name}.real if that is what you mean")
    try:
        return np.asarray(value, dtype=np.float64)
    except TypeError as e:
        raise TypeError(f"{name} must hold numbers only: {e}") from None
    except ValueError as e:
        raise ValueError(f"{name} must be a rectangular array of numbers: {e}") from None


def _first_non_finite(name: str, A: np.ndarray, who: str) -> None:
    bad = ~np.isfinite(A)
    if bad.any():
        where = tuple(int(i) for i in np.argwhere(bad)[0])
        at = f"row {where[0]}" + (f", column {where[1]}" if len(where) > 1 else "")
        raise ValueError(
            f"{who}: {name} holds {A[where]} at {at} ({int(bad.sum())} non-finite value(s) in all); "
            f"{who} needs finite numbers: drop or impute those rows"
        )


def check_array(name: str, X: Any, who: str = "fit") -> np.ndarray:
    """X as a float64 array of shape (n_samples, n_features), n_samples >= 1, every entry finite.

    TypeError for a dict, set or string, or entries that are not numbers; ValueError for another shape
    or a NaN/inf (naming the first bad row and column).
    """
    A = _as_float_array(name, X)
    if A.ndim != 2:
        hint = f"; for one feature use {name}.reshape(-1, 1)" if A.ndim == 1 else ""
        raise ValueError(f"{name} must be 2-D (n_samples, n_features), got shape {A.shape}{hint}")
    if len(A) == 0:
        raise ValueError(f"{who}: {name} is empty (no samples)")
    _first_non_finite(name, A, who)
    return A


def check_targets(y: Any, n: int) -> np.ndarray:
    """y as an array of n finite targets (shape (n,), or (n, k) for k outputs), its dtype kept (so
    integer labels stay ints). TypeError for a dict, set, string or non-numbers; ValueError otherwise."""
    y = np.asarray(not_text_or_mapping("y", y, "an array or a list of targets (one per row of X)"))
    if y.dtype.kind not in "biuf":
        if y.dtype.kind != "O":
            raise TypeError(f"y must hold numbers (class indices, ±1/0-1 labels or targets), got dtype {y.dtype}")
        y = _as_float_array("y", y)
    if y.ndim == 0:
        raise ValueError(f"y must hold one target per row of X (shape ({n},)), got a single value {y.item()!r}")
    if len(y) != n:
        raise ValueError(f"X and y have different lengths: {n} samples but {len(y)} labels")
    if y.ndim > 2:
        raise ValueError(f"y must have shape ({n},) or ({n}, n_outputs), got {y.shape}")
    _first_non_finite("y", y.astype(np.float64), "fit")
    checked: np.ndarray = y
    return checked


def loss_result(value: Any) -> Value:
    """The loss's return value, checked: it must be a Value."""
    if not isinstance(value, Value):
        raise TypeError(f"the loss must return a Value, got {type(value).__name__}")
    return value


def _check_arguments(
    model: Any, loss: Any, optimizer: Any, epochs: Any, batch_size: Any, callbacks: Any
) -> tuple[int, int | None, list[Callable[..., Any]]]:
    if not callable(model):
        raise TypeError(f"model must be callable as model(row) (e.g. nn.MLP), got {type(model).__name__}")
    if not callable(loss):
        raise TypeError(f"loss must be callable as loss(outputs, targets), got {type(loss).__name__}")
    if not (callable(getattr(optimizer, "step", None)) and callable(getattr(optimizer, "zero_grad", None))):
        raise TypeError(
            f"optimizer must have step() and zero_grad(), e.g. nn.SGD(model.parameters(), lr=0.1); got {optimizer!r}"
        )
    epochs = count("epochs", epochs, minimum=0)
    if batch_size is not None:
        batch_size = count("batch_size (None or an int)", batch_size)
    want = "a list of functions callback(epoch, history)"
    if callable(callbacks) or not hasattr(not_text_or_mapping("callbacks", callbacks, want), "__iter__"):
        raise TypeError(f"callbacks must be {want}, got {callbacks!r}")
    callbacks = list(callbacks)
    for cb in callbacks:
        if not callable(cb):
            raise TypeError(f"callbacks must be a list of functions callback(epoch, history); got {cb!r} in it")
    return epochs, batch_size, callbacks


def _first_output(model: Any, X: np.ndarray, y: np.ndarray) -> Value | list[Value]:
    """The model's output on the first row, checked against the shape of y."""
    out = model(X[0].tolist())
    n = len(y)
    if isinstance(out, Value):
        if y.ndim != 1:
            hint = ": pass y.ravel()" if y.shape[1] == 1 else ""
            raise ValueError(
                f"y has shape {y.shape} but the model gives one output per sample, so y must have shape ({n},){hint}"
            )
        return out
    if not (isinstance(out, (list, tuple)) and out and all(isinstance(o, Value) for o in out)):
        raise TypeError(f"the model must return a Value or a list of Values for a row of X, got {out!r:.80}")
    if y.ndim == 2 and y.shape[1] != len(out):
        raise ValueError(
            f"y has shape {y.shape} but the model gives {len(out)} outputs per sample: y must have "
            f"shape ({n},) (class indices) or ({n}, {len(out)}) (one target per output)"
        )
    return list(out)


def resolve_outputs(outputs: str | None, loss: Any, y: np.ndarray, first: Any) -> str | None:
    """What the model's outputs mean: `outputs` if given, else the loss's `outputs` attribute (each nn
    loss has one), else, for any other loss, only what the labels make unambiguous (class indices for
    several outputs: "class_scores"; -1/1 labels for one output: "margin"). 0/1 labels with one output
    could be logits (threshold 0) or probabilities (0.5): then no accuracy, and a warning to say which.
    Real-valued targets: None (regression, no accuracy). The kind is checked against the labels."""
    kind = outputs if outputs is not None else getattr(loss, "outputs", None)
    if kind is not None:
        name = "outputs" if outputs is not None else "the loss's outputs attribute"
        kind = one_of(name, kind, OUTPUTS)
    single = isinstance(first, Value)
    labels = set(np.unique(y).tolist()) if y.ndim == 1 else set()
    integral = y.ndim == 1 and bool(np.all(y == np.round(y)))
    if kind is None:
        if not single and integral and labels <= set(range(len(first))):
            return "class_scores"
        if single and labels <= {-1, 1} and -1 in labels:
            return "margin"
        if single and labels <= {0, 1}:
            warnings.warn(
                "fit: accuracy is not recorded because the loss does not say what the model's outputs "
                "mean and 0/1 labels fit two readings: pass outputs='logit' (class 1 when > 0, as for "
                "binary_cross_entropy) or outputs='probability' (class 1 when > 0.5)",
                RuntimeWarning,
                stacklevel=4,
            )
        return None
    if kind == "regression":
        return kind
    if (kind == "class_scores") == single:
        want = "one output per class" if kind == "class_scores" else "one output per sample"
        raise ValueError(f"outputs={kind!r} needs a model with {want}")
    if y.ndim != 1:
        raise ValueError(f"outputs={kind!r} needs one label per sample (y of shape ({len(y)},)), got {y.shape}")
    if kind == "margin":
        ok, want = labels <= {-1, 1}, "-1/1 labels"
    elif kind == "class_scores":
        ok, want = labels <= set(range(len(first))), f"class indices 0..{len(first) - 1}"
    else:
        ok, want = bool(np.all((y >= 0) & (y <= 1))), "labels in [0, 1]"
    if not ok:
        raise ValueError(f"outputs={kind!r} needs {want} in y, got labels {sorted(labels)[:5]}")
    return kind


def decide(kind: str, scores: np.ndarray) -> np.ndarray:
    """The predicted label for each row of model outputs, by what they mean (`OUTPUTS`): logit → 1 when
    > 0 else 0; probability → 1 when > 0.5 else 0; margin → sign (±1); class_scores → argmax;
    regression → the outputs themselves."""
    kind = one_of("outputs", kind, OUTPUTS)
    if kind == "regression":
        return scores
    if (scores.ndim == 2) != (kind == "class_scores"):
        raise ValueError(f"outputs={kind!r} does not fit model outputs of shape {scores.shape}")
    if kind == "class_scores":
        classes: np.ndarray = scores.argmax(axis=1)
        return classes
    if kind == "margin":
        return np.where(scores > 0, 1, -1)
    return (scores > (0.5 if kind == "probability" else 0.0)).astype(np.int64)


def accuracy_rule(kind: str | None, y: np.ndarray) -> Callable[[Sequence[Any], Sequence[Any]], int] | None:
    """How many of a batch's outputs are classified right, or None when accuracy means nothing here
    (regression, unknown meaning, or soft labels in (0, 1)). The rule takes the batch's outputs as
    Values (lists of Values for several outputs) or as a numpy array of scores, and its targets."""
    if kind is None or kind == "regression" or not np.all(y == np.round(y)):
        return None

    def correct(outputs: Sequence[Any] | np.ndarray, targets: Sequence[Any] | np.ndarray) -> int:
        scores = (
            outputs
            if isinstance(outputs, np.ndarray)
            else np.array([o.data if isinstance(o, Value) else [v.data for v in o] for o in outputs])
        )
        return int(np.sum(decide(kind, scores) == np.asarray(targets)))

    return correct


def _parameters(model: Any, optimizer: Any) -> list[Value]:
    """The Values the optimizer updates (its `params`, else the model's `parameters()`), checked finite
    and, when both are known, shared with the model."""
    held = getattr(optimizer, "params", None)
    own = model.parameters() if callable(getattr(model, "parameters", None)) else None
    if held is not None and own and not set(map(id, own)) & set(map(id, held)):
        raise ValueError(
            "the optimizer holds none of the model's parameters: make it from this model, "
            "e.g. nn.SGD(model.parameters(), lr=0.1)"
        )
    params = list(held if held is not None else own or [])
    for i, p in enumerate(params):
        if not math.isfinite(p.data):
            raise ValueError(
                f"fit: parameter {_name(model, params, i)} is {p.data} before training; "
                "re-create the model (or load finite parameters)"
            )
    return params


def check_fit(
    model: Any,
    X: Any,
    y: Any,
    loss: Any,
    optimizer: Any,
    epochs: Any,
    batch_size: Any,
    callbacks: Any,
    outputs: str | None,
) -> FitPlan:
    """Everything `fit` checks before the first update (see the module docstring); returns the plan."""
    epochs, batch_size, callbacks = _check_arguments(model, loss, optimizer, epochs, batch_size, callbacks)
    if outputs is not None:
        one_of("outputs", outputs, OUTPUTS)
    X = check_array("X", X)
    y = check_targets(y, len(X))
    first = _first_output(model, X, y)
    stand_in = Value(first.data) if isinstance(first, Value) else [Value(v.data) for v in first]
    try:  # the loss's own target checks, on every row
        loss_result(loss([stand_in] * len(y), y.tolist()))
    except OverflowError:  # outputs too large to square or exp: the first step reports the divergence
        pass
    kind = resolve_outputs(outputs, loss, y, first)
    params = _parameters(model, optimizer)
    return FitPlan(X, y, epochs, batch_size, callbacks, kind, accuracy_rule(kind, y), model, optimizer, params)


# ---- during training -----------------------------------------------------------------------------------


def _name(model: Any, params: Sequence[Any], i: int) -> str:
    """A parameter's name in the model (`layers.0.neurons.1.w.0`), else its index."""
    if callable(getattr(model, "named_parameters", None)) and isinstance(params[i], Value):
        for name, p in model.named_parameters():
            if p is params[i]:
                return repr(name)
    return f"#{i}"


def _bad_index(values: Sequence[float] | np.ndarray) -> int | None:
    """Index of the first non-finite value, or None. A fast sum first: finite sums need no scan."""
    if isinstance(values, np.ndarray):
        bad = np.flatnonzero(~np.isfinite(values))
        return int(bad[0]) if len(bad) else None
    if math.isfinite(sum(values)):
        return None
    return next((i for i, v in enumerate(values) if not math.isfinite(v)), None)  # None: the sum overflowed


def _diverged(plan: FitPlan, epoch: int, history: Any, what: str) -> DivergenceError:
    step = len(history.step_loss)
    lr: Any = getattr(plan.optimizer, "lr", None)
    try:
        lr = plan.optimizer.current_lr() if callable(lr) else lr
    except Exception:  # a schedule that fails here would fail in step() too; the message does without it
        lr = None
    now = f" (now {lr:g})" if isinstance(lr, float) else ""
    if step == 0 and not what.startswith("the update"):  # nothing has been updated yet: not the lr's fault
        cause = (
            "This is before any update, so the learning rate is not the cause: the data or the initial "
            "parameters are too large for the loss (scale X and y, e.g. standardise them, or re-create "
            "the model)"
        )
    else:
        cause = (
            f"The learning rate is probably too large{now}: try a smaller one, or clip the gradients "
            "(nn.clip_grad_norm)"
        )
    return DivergenceError(
        f"fit: training diverged at epoch {epoch}, step {step - epoch * plan.steps_per_epoch} of the epoch "
        f"(update {step} of the run; counted from 0): {what}. {cause}. The parameters keep their values from "
        "before this step; the History so far is on this exception (.history).",
        epoch,
        step,
        history,
    )


def check_step(plan: FitPlan, loss: float, grads: Sequence[float] | np.ndarray, epoch: int, history: Any) -> None:
    """Before an update: the loss and every gradient must be finite, else DivergenceError."""
    if not math.isfinite(loss):
        raise _diverged(plan, epoch, history, "the loss is not finite")
    i = _bad_index(grads)
    if i is not None:
        raise _diverged(
            plan, epoch, history, f"the gradient of parameter {_name(plan.model, plan.params, i)} is not finite"
        )


def check_update(plan: FitPlan, values: Sequence[float] | np.ndarray, epoch: int, history: Any) -> None:
    """After an update: every parameter must be finite, else DivergenceError (the caller restores them)."""
    i = _bad_index(values)
    if i is not None:
        raise _diverged(
            plan, epoch, history, f"the update made parameter {_name(plan.model, plan.params, i)} non-finite"
        )


@contextmanager
def overflow_is_divergence(plan: FitPlan, epoch: int, history: Any) -> Iterator[None]:
    """Around a batch's forward and backward: an OverflowError there (eager `**` or `exp` overflowing;
    compiled numpy gives inf instead) is the loss becoming non-finite, so it raises that DivergenceError."""
    try:
        yield
    except OverflowError as exc:
        raise _diverged(plan, epoch, history, "the loss is not finite") from exc


def guarded_step(plan: FitPlan, loss: float, epoch: int, history: Any) -> None:
    """`plan.optimizer.step()` between the two checks: on a non-finite loss or gradient nothing is
    updated; on a non-finite parameter after the update every parameter gets its old value back (the
    optimizer's own state, e.g. momentum, keeps the failed step: make a new optimizer to go on)."""
    params = plan.params
    check_step(plan, loss, [p.grad for p in params], epoch, history)
    before = [p.data for p in params]
    plan.optimizer.step()
    try:
        check_update(plan, [p.data for p in params], epoch, history)
    except DivergenceError:
        for p, v in zip(params, before):
            p.data = v
        raise
