"""Training loop: `fit` runs epochs of (forward, loss, backward, optimizer step) and records a History;
`predict` evaluates a model on the rows of X.

The per-batch work is one small function, `batch_loss`, so a compiled batch mode can replace just
that piece later. Everything else per step is a few list appends: `fit` costs what a hand-written
loop costs.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from autograd_core import Value, compile
from autograd_core.value import comparisons_seen

from .data import Seed, batches
from .optim import Optimizer
from .validation import (DivergenceError, accuracy_rule, check_array, check_fit, decide, guarded_step, loss_result,
                         overflow_is_divergence, resolve_outputs)

__all__ = ["History", "fit", "predict", "batch_loss", "classifier", "CompiledLoss", "DivergenceError"]

Loss = Callable[[Any, Any], Value]
Callback = Callable[[int, "History"], Any]


@dataclass
class History:
    """What `fit` measured: one `loss` (mean over the epoch's samples) and, for classification, one
    `accuracy` per epoch; one `step_loss` per optimizer update. `accuracy` stays empty for regression."""

    loss: list[float] = field(default_factory=list)
    accuracy: list[float] = field(default_factory=list)
    step_loss: list[float] = field(default_factory=list)


def batch_loss(model: Callable[[Any], Any], X_rows: Sequence[Sequence[float]], targets: Sequence[float],
               loss: Loss) -> tuple[Value, list[Any]]:
    """Forward the rows of one batch through the model and apply the loss: (loss Value, outputs)."""
    outputs = [model(x) for x in X_rows]
    return loss_result(loss(outputs, targets)), outputs


def classifier(y: np.ndarray, loss: Loss, output: Any, outputs: str | None = None
               ) -> Callable[[Sequence[Any], Sequence[Any]], int] | None:
    """How to count a batch's correct outputs, or None when this is not classification: decided by what
    the outputs mean (`outputs`, else the loss's `outputs` attribute; see `nn.validation.resolve_outputs`),
    never by which function the loss is."""
    return accuracy_rule(resolve_outputs(outputs, loss, np.asarray(y), output), np.asarray(y))


def fit(model: Callable[[Any], Any], X: Any, y: Any, loss: Loss, optimizer: Optimizer, epochs: int,
        batch_size: int | None = None, progress: bool = True, callbacks: Sequence[Callback] = (),
        shuffle: bool = True, seed: Seed = None, compiled: bool = False, outputs: str | None = None) -> History:
    """Train `model` on (X, y): for each epoch, for each batch (see `nn.batches`), zero the gradients,
    compute `loss(outputs, targets)`, backpropagate and call `optimizer.step()`.

    `loss` is any `loss(outputs, targets) -> Value`, e.g. `nn.hinge` or
    `lambda out, t: nn.hinge(out, t) + 1e-4 * nn.l2(model.parameters())`. Accuracy is recorded for
    classification, scored by what the outputs mean: `outputs` ("logit", "probability", "margin",
    "class_scores" or "regression", see `nn.validation.OUTPUTS`), else the loss's `outputs` attribute
    (each nn loss has one; a lambda around one does not, so state `outputs` for it). Each callback is
    called as `callback(epoch, history)` after every epoch; a truthy return value stops training.
    `progress` shows a tqdm bar with the loss (skipped silently when tqdm is not installed). `seed`
    fixes the shuffling of mini-batches.

    `compiled=True` traces the per-sample loss once (`autograd_core.compile`) and runs every batch as
    numpy arrays: same updates, far faster. It needs a model with one output and a loss that is the batch
    mean of a per-sample loss without data-dependent branches (mse, binary_cross_entropy, hinge, plus
    terms of the parameters only, such as an L2 penalty); otherwise it warns and trains eagerly. A model or
    loss that compares Values (`max(o, 0)`, `if t < 0.5`: a Python branch traced for one row only) is
    detected, and so is a loss whose trace differs from eager on the first row of each target value.

    Errors (the same in both modes; see `nn.validation`): bad arguments, non-finite X or y (the first bad
    row and column named) or targets the loss rejects raise TypeError/ValueError before any update; a
    non-finite loss, gradient or parameter during training raises `DivergenceError` (parameters left at
    their last finite values, the History so far on the exception).
    """
    plan = check_fit(model, X, y, loss, optimizer, epochs, batch_size, callbacks, outputs)
    X, y, epochs, batch_size, correct = plan.X, plan.y, plan.epochs, plan.batch_size, plan.correct
    program = CompiledLoss.build(model, X, y, loss) if compiled else None
    rows, labels = X.tolist(), y.tolist()
    full = batch_size is None or batch_size >= len(rows)
    rng = np.random.default_rng(seed)
    index = np.arange(len(rows))
    history = History()
    bar = _progress_bar(epochs) if progress else None
    try:  # close the bar even when training stops with an exception (or Ctrl-C)
        for epoch in range(epochs):
            total = 0.0
            right = 0
            for idx, _ in ([(index, None)] if full else batches(index, index, batch_size, shuffle, rng)):
                yb = labels if full else [labels[i] for i in idx]
                optimizer.zero_grad()
                with overflow_is_divergence(plan, epoch, history):
                    if program is None:
                        value, outputs = batch_loss(model, rows if full else [rows[i] for i in idx], yb, loss)
                        value.backward()
                        value = value.data
                    else:
                        value, outputs = program.run(X[idx], y[idx])
                guarded_step(plan, value, epoch, history)  # optimizer.step(), unless something is non-finite
                history.step_loss.append(value)
                total += value * len(yb)
                if correct is not None:
                    right += correct(outputs, yb)
            history.loss.append(value if full else total / len(rows))  # full batch: exactly its loss
            if correct is not None:
                history.accuracy.append(right / len(rows))
            if bar is not None:
                stats = {"loss": f"{history.loss[-1]:.4f}"}
                if history.accuracy:
                    stats["acc"] = f"{history.accuracy[-1]:.3f}"
                bar.set_postfix(stats, refresh=False)
                bar.update()
            if any([cb(epoch, history) for cb in plan.callbacks]):
                break
    finally:
        if bar is not None:
            bar.close()
    return history


class CompiledLoss:
    """The batch work of `fit(compiled=True)`: the per-sample loss and the model's output, each traced
    once into a batched program (`autograd_core.compile`) with the features and the label as inputs."""

    def __init__(self, model: Callable[[Any], Any], X: np.ndarray, y: np.ndarray, loss: Loss) -> None:
        xs = [Value(v, label=f"x{i}") for i, v in enumerate(X[0].tolist())]
        t = Value(float(y[0]), label="y")
        with comparisons_seen() as compared:  # a Python branch on a Value is traced for this row only
            out = model(xs)
            traced_loss = loss([out], [t]) if isinstance(out, Value) else None
        if not isinstance(out, Value):
            raise NotImplementedError("compiled mode needs a model with one output (multi-class stays eager)")
        if compared:
            raise NotImplementedError(
                "the model or loss compares Values (a Python branch such as max(o, 0) or `if t < 0.5`), which "
                "one traced program cannot follow for every row; write it with primitives (relu, abs) instead")
        self.loss = compile(loss_result(traced_loss), [*xs, t])
        self.score = compile(out, xs)
        # the program is the mean of per-sample losses, the same for every kind of row: check it on the
        # first rows and on the first row of each target value (a branch on the target's number shows there)
        rows = sorted({*range(min(len(y), 3)), *np.unique(y, return_index=True)[1][:16].tolist()})
        eager = loss([model(row) for row in X[rows].tolist()], y[rows].tolist()).data
        traced = float(self.loss.forward(*X[rows].T, y[rows]).mean())
        if not abs(eager - traced) <= 1e-9 * max(1.0, abs(eager)):
            raise NotImplementedError("the loss is not the batch mean of a per-sample loss, the same for every row")

    @classmethod
    def build(cls, model: Callable[[Any], Any], X: np.ndarray, y: np.ndarray, loss: Loss) -> CompiledLoss | None:
        """The compiled loss, or None (with a warning) when this model or loss cannot be compiled."""
        try:
            return cls(model, X, y, loss)
        except (NotImplementedError, TypeError, ValueError, ArithmeticError) as exc:
            warnings.warn(f"fit(compiled=True): {exc}; training eagerly instead", RuntimeWarning, stacklevel=3)
            return None

    def run(self, Xb: np.ndarray, yb: np.ndarray) -> tuple[float, list[Value]]:
        """Forward and backward on one batch; returns the mean loss and the outputs (as leaf Values),
        with d(mean loss)/dθ accumulated into every parameter's `.grad`."""
        losses = self.loss.forward(*Xb.T, yb)
        self.loss.backward("mean")
        outputs = [Value(s) for s in self.score.forward(*Xb.T).tolist()]
        return float(losses.mean()), outputs


def _progress_bar(epochs: int) -> Any:
    """A tqdm bar over epochs, or None when tqdm is not installed."""
    try:
        from tqdm import tqdm
    except ImportError:
        return None
    return tqdm(total=epochs, desc="fit", unit="epoch")


def predict(model: Callable[[Any], Any], X: Any, outputs: str | None = None) -> np.ndarray:
    """The model's outputs on each row of X: shape (n,) for one output, (n, k) for k outputs.

    With `outputs=None` these are the raw scores/logits. Saying what they mean gives labels instead
    (`nn.validation.decide`): "logit" → 1 where > 0 else 0, "probability" → 1 where > 0.5, "margin" →
    ±1 by sign, "class_scores" → the argmax per row, "regression" → the raw outputs. X is checked as in
    `fit` (2-D, finite).
    """
    X = check_array("X", X, who="predict")
    out = [model(x) for x in X.tolist()]
    scores = np.array([o.data if isinstance(o, Value) else [v.data for v in o] for o in out], dtype=np.float64)
    return scores if outputs is None else decide(outputs, scores)
