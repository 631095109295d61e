"""Training loop: `fit` runs epochs of (forward, loss, backward, optimizer step) and records a History;
`predict` evaluates a model on the rows of X.

The per-batch work is one small function, `batch_loss`, so a compiled batch mode can replace just
that piece later. Everything else per step is a few list appends: `fit` costs what a hand-written
loop costs.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from autograd_core import Value, compile
from autograd_core.gcscope import frozen_heap
from autograd_core.value import comparisons_seen

from .compiled import CompiledTrainer, labels_as_classes
from .data import Seed, batches
from .optim import Optimizer
from .validation import (
    DivergenceError,
    FitPlan,
    accuracy_rule,
    check_array,
    check_fit,
    check_step,
    check_update,
    decide,
    guarded_step,
    loss_result,
    overflow_is_divergence,
    resolve_outputs,
)

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


def batch_loss(
    model: Callable[[Any], Any], X_rows: Sequence[Sequence[float]], targets: Sequence[float], loss: Loss
) -> tuple[Value, list[Any]]:
    """Forward the rows of one batch through the model and apply the loss: (loss Value, outputs)."""
    outputs = [model(x) for x in X_rows]
    return loss_result(loss(outputs, targets)), outputs


def classifier(
    y: np.ndarray, loss: Loss, output: Any, outputs: str | None = None
) -> Callable[[Sequence[Any], Sequence[Any]], int] | None:
    """How to count a batch's correct outputs, or None when this is not classification: decided by what
    the outputs mean (`outputs`, else the loss's `outputs` attribute; see `nn.validation.resolve_outputs`),
    never by which function the loss is."""
    return accuracy_rule(resolve_outputs(outputs, loss, np.asarray(y), output), np.asarray(y))


@frozen_heap.wrap  # the cyclic collector skips the rest of the heap during training (autograd_core/gcscope.py)
def fit(
    model: Callable[[Any], Any],
    X: Any,
    y: Any,
    loss: Loss,
    optimizer: Optimizer,
    epochs: int,
    batch_size: int | None = None,
    progress: bool = True,
    callbacks: Sequence[Callback] = (),
    shuffle: bool = True,
    seed: Seed = None,
    compiled: bool = False,
    outputs: str | None = None,
) -> History:
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

    `compiled=True` traces the per-sample loss and the model once into one program
    (`autograd_core.compile`) and trains with the parameters kept in numpy arrays (`nn.CompiledTrainer`,
    the optimizer's array form): the same updates to 1e-9, far faster. The Values are written back when
    training ends (also on an exception) and before each callback. It needs a loss that is the batch mean
    of a per-sample loss without data-dependent branches: every `nn` loss (mse, binary_cross_entropy,
    hinge, softmax_cross_entropy with class labels), plus terms of the parameters only, such as an L2
    penalty; otherwise it warns and trains eagerly. A model or loss that compares Values (`max(o, 0)`,
    `if t < 0.5`: a Python branch traced for one row only) is detected, and so is a loss whose trace
    differs from eager on the first row of each target value.

    Errors (the same in both modes; see `nn.validation`): bad arguments, non-finite X or y (the first bad
    row and column named) or targets the loss rejects raise TypeError/ValueError before any update; a
    non-finite loss, gradient or parameter during training raises `DivergenceError` (parameters left at
    their last finite values, the History so far on the exception).
    """
    plan = check_fit(model, X, y, loss, optimizer, epochs, batch_size, callbacks, outputs)
    X, y, epochs, batch_size, correct = plan.X, plan.y, plan.epochs, plan.batch_size, plan.correct
    program = CompiledLoss.build(model, X, y, loss, optimizer) if compiled else None
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
            for idx, _ in [(index, None)] if full else batches(index, index, batch_size, shuffle, rng):
                scores: Any  # the model's outputs on the batch: Values (eager) or an array (compiled)
                yb = labels if full else [labels[i] for i in idx]
                if program is None:
                    optimizer.zero_grad()
                    with overflow_is_divergence(plan, epoch, history):
                        batch, scores = batch_loss(model, rows if full else [rows[i] for i in idx], yb, loss)
                        batch.backward()
                    value = batch.data
                    guarded_step(plan, value, epoch, history)  # optimizer.step(), unless something is non-finite
                else:  # forward, backward and the guarded optimizer step, on arrays
                    value, scores = program.run(X if full else X[idx], y if full else y[idx], plan, epoch, history)
                history.step_loss.append(value)
                total += value * len(yb)
                if correct is not None:
                    right += correct(scores, yb if program is None else y if full else y[idx])
            history.loss.append(value if full else total / len(rows))  # full batch: exactly its loss
            if correct is not None:
                history.accuracy.append(right / len(rows))
            if bar is not None:
                stats = {"loss": f"{history.loss[-1]:.4f}"}
                if history.accuracy:
                    stats["acc"] = f"{history.accuracy[-1]:.3f}"
                bar.set_postfix(stats, refresh=False)
                bar.update()
            if plan.callbacks and program is not None:
                program.trainer.sync()  # callbacks see the current parameters
            if any([cb(epoch, history) for cb in plan.callbacks]):
                break
    finally:
        if program is not None:
            program.trainer.sync()  # the Values hold the trained (last finite) parameters, also after an exception
        if bar is not None:
            bar.close()
    return history


class CompiledLoss:
    """The batch work of `fit(compiled=True)`: ONE program holding the per-sample loss and the model's
    outputs (`autograd_core.compile`), run by a `CompiledTrainer` (parameters kept in arrays, the
    optimizer's array form) and written back to the Values by `sync()`.

    One output: the loss is traced with the label as an input. Several outputs and class labels (e.g.
    softmax_cross_entropy): the loss is traced once per class c, as outputs ℓ_c sharing the model, and
    each sample's loss and gradient are ℓ at its own label. Several outputs and a 2-D y (regression):
    the targets are inputs, as for one output.
    """

    def __init__(
        self, X: np.ndarray, y: np.ndarray, loss: Loss, optimizer: Optimizer, model: Callable[[Any], Any]
    ) -> None:
        xs = [Value(v, label=f"x{i}") for i, v in enumerate(X[0].tolist())]
        self.classes: np.ndarray | None = None
        with comparisons_seen() as compared:  # a Python branch on a Value is traced for this row only
            out = model(xs)
            scores = [out] if isinstance(out, Value) else list(out)
            if isinstance(out, Value) or y.ndim == 2:
                targets = [Value(v, label=f"y{i}") for i, v in enumerate(np.atleast_1d(y[0]).tolist())]
                losses = [loss([out], [targets[0] if isinstance(out, Value) else targets])]
            else:
                self.classes = labels_as_classes(y, len(scores))
                if self.classes is None:
                    raise NotImplementedError("a model with several outputs needs class labels 0..k-1 or a 2-D y")
                targets = []
                losses = [loss([scores], [c]) for c in range(len(scores))]
        if compared:
            raise NotImplementedError(
                "the model or loss compares Values (a Python branch such as max(o, 0) or `if t < 0.5`), which "
                "one traced program cannot follow for every row; write it with primitives (relu, abs) instead"
            )
        program = compile([*losses, *scores], [*xs, *targets])
        self.n_losses = len(losses)
        self.trainer = CompiledTrainer(program, optimizer)
        self._batch: tuple[Any, np.ndarray] = (None, np.empty(0))  # (X of the last batch, its input block)
        self._seeds: dict[int, np.ndarray] = {}
        # the program is the mean of per-sample losses, the same for every kind of row: check it on the
        # first rows and on the first row of each target value (a branch on the target's number shows there)
        firsts = np.unique(y, return_index=True)[1][:16].tolist() if y.ndim == 1 else []
        rows = sorted({*range(min(len(y), 3)), *firsts})
        eager = loss([model(row) for row in X[rows].tolist()], y[rows].tolist()).data
        traced, _ = self._losses(X[rows], y[rows])
        self._batch = (None, np.empty(0))
        if not abs(eager - traced.mean()) <= 1e-9 * max(1.0, abs(eager)):
            raise NotImplementedError("the loss is not the batch mean of a per-sample loss, the same for every row")

    @classmethod
    def build(
        cls, model: Callable[[Any], Any], X: np.ndarray, y: np.ndarray, loss: Loss, optimizer: Optimizer
    ) -> CompiledLoss | None:
        """The compiled loss, or None (with a warning) when this model or loss cannot be compiled."""
        try:
            return cls(X, y, loss, optimizer, model)
        except (NotImplementedError, TypeError, ValueError, ArithmeticError) as exc:
            warnings.warn(f"fit(compiled=True): {exc}; training eagerly instead", RuntimeWarning, stacklevel=3)
            return None

    def _losses(self, Xb: np.ndarray, yb: np.ndarray) -> tuple[np.ndarray, list[np.ndarray]]:
        """(each sample's loss, the model's output rows) on a batch, by the trainer's parameters."""
        if self._batch[0] is not Xb:  # full-batch training passes the same arrays every epoch: reuse the block
            columns = Xb.T if self.classes is not None else np.concatenate([Xb.T, np.reshape(yb, (len(yb), -1)).T])
            self._batch = (Xb, np.array(columns, dtype=np.float64))
        rows = self.trainer.evaluate(self._batch[1])
        scores = [r[0] for r in rows[self.n_losses :]]
        if self.classes is None:
            return rows[0][0], scores  # (B,), or (1,) for a loss that does not depend on the inputs
        return np.concatenate(rows[: self.n_losses])[yb.astype(np.intp), np.arange(len(yb))], scores

    def _seed(self, n: int) -> np.ndarray:
        """∂(mean loss)/∂(each sample's loss) = 1/n, made once per batch size."""
        seed = self._seeds.get(n)
        if seed is None:
            seed = self._seeds[n] = np.full(n, 1.0 / n)
        return seed

    def run(self, Xb: np.ndarray, yb: np.ndarray, plan: FitPlan, epoch: int, history: Any) -> tuple[float, np.ndarray]:
        """One training step on a batch: forward, backward and the optimizer's array step between the same
        finiteness checks as eager mode (`nn.validation`: on a non-finite loss or gradient nothing changes, on
        a non-finite parameter the step is undone). Returns the mean loss (before the update) and the
        model's outputs on the batch as scores, shape (B,) or (B, k)."""
        trainer, n = self.trainer, len(yb)
        with overflow_is_divergence(plan, epoch, history):
            losses, scores = self._losses(Xb, yb)
            if self.classes is None:
                trainer.backward({0: self._seed(n)})
            else:
                labels = yb.astype(np.intp)
                trainer.backward({c: (labels == c) / n for c in range(self.n_losses)})
        value = float(losses.mean())
        order = trainer.optimizer_rows  # the optimizer's parameter order, as plan.params
        # a finite sum means every entry is finite: the full checks (which name the culprit) run only if not
        if not (math.isfinite(value) and math.isfinite(trainer.grad.sum())):
            check_step(plan, value, trainer.grad[order], epoch, history)
        before = trainer.theta.copy()
        trainer.apply()
        if not math.isfinite(trainer.theta.sum()):
            try:
                check_update(plan, trainer.theta[order], epoch, history)
            except DivergenceError:
                trainer.theta[:] = before
                raise
        return value, scores[0] if len(scores) == 1 else np.stack(scores, axis=1)


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
