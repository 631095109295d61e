"""Training loop: `fit` runs epochs of (forward, loss, backward, optimizer step) and records a History;
`predict` evaluates a model on the rows of X.

The per-batch work is one small function, `batch_loss`, so a compiled batch mode can replace just
that piece later. Everything else per step is a few list appends: `fit` costs what a hand-written
loop costs.
"""

from __future__ import annotations

import warnings
from types import SimpleNamespace
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from autograd_core import Value, compile
from autograd_core.gcscope import frozen_heap

from .checks import count
from .compiled import CompiledTrainer, labels_as_classes
from .data import Seed, batches
from .losses import binary_cross_entropy
from .optim import Optimizer

__all__ = ["History", "fit", "predict", "batch_loss", "classifier", "CompiledLoss"]

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
    value = loss(outputs, targets)
    if not isinstance(value, Value):
        raise TypeError(f"the loss must return a Value, got {type(value).__name__}")
    return value, outputs


def _check_data(X: Any, y: Any) -> tuple[np.ndarray, np.ndarray]:
    X, y = np.asarray(X, dtype=np.float64), np.asarray(y)
    if X.ndim != 2:
        raise ValueError(f"X must be 2-D (n_samples, n_features), got shape {X.shape}")
    if len(X) != len(y):
        raise ValueError(f"X and y have different lengths: {len(X)} samples but {len(y)} labels")
    if len(X) == 0:
        raise ValueError("X and y are empty")
    if y.dtype.kind not in "biuf":
        raise TypeError(f"y must hold numbers (class indices, ±1/0-1 labels or targets), got dtype {y.dtype}")
    return X, y


def classifier(y: np.ndarray, loss: Loss, output: Any) -> Callable[[Any, float], bool] | None:
    """How to score one model output against its label, or None when this is not classification.

    Integer labels with list outputs: multi-class, correct when argmax(outputs) == label. A single
    output s with labels in {−1, 1}: correct when sign(s) == y. A single output with labels in {0, 1}:
    correct when (s > threshold) == y, threshold 0 for logits (binary_cross_entropy) and 0.5 otherwise
    (a regression onto 0/1, e.g. mse). Anything else (real-valued targets, a single output with more
    than two classes) records no accuracy.
    """
    if y.ndim != 1 or not np.all(np.isfinite(y)) or not np.all(y == np.round(y)):
        return None
    labels = set(np.unique(y).tolist())
    if not isinstance(output, Value):
        return lambda out, label: max(range(len(out)), key=lambda j: out[j].data) == label
    if labels <= {-1, 1}:
        return lambda out, label: (out.data > 0.0) == (label == 1)
    if labels <= {0, 1}:
        threshold = 0.0 if loss is binary_cross_entropy else 0.5
        return lambda out, label: (out.data > threshold) == (label == 1)
    return None


@frozen_heap.wrap  # the cyclic collector skips the rest of the heap during training (autograd_core/gcscope.py)
def fit(model: Callable[[Any], Any], X: Any, y: Any, loss: Loss, optimizer: Optimizer, epochs: int,
        batch_size: int | None = None, progress: bool = True, callbacks: Sequence[Callback] = (),
        shuffle: bool = True, seed: Seed = None, compiled: bool = False) -> History:
    """Train `model` on (X, y): for each epoch, for each batch (see `nn.batches`), zero the gradients,
    compute `loss(outputs, targets)`, backpropagate and call `optimizer.step()`.

    `loss` is any `loss(outputs, targets) -> Value`, e.g. `nn.hinge` or
    `lambda out, t: nn.hinge(out, t) + 1e-4 * nn.l2(model.parameters())`. Accuracy is recorded for
    classification (see `classifier`). Each callback is called as `callback(epoch, history)` after
    every epoch; a truthy return value stops training. `progress` shows a tqdm bar with the loss
    (skipped silently when tqdm is not installed). `seed` fixes the shuffling of mini-batches.

    `compiled=True` traces the per-sample loss and the model once into one program
    (`autograd_core.compile`) and trains with the parameters kept in numpy arrays (`nn.CompiledTrainer`,
    the optimizer's array form): the same updates to 1e-9, far faster. The Values are written back when
    training ends (also on an exception) and before each callback. It needs a loss that is the batch mean
    of a per-sample loss without data-dependent branches: every `nn` loss (mse, binary_cross_entropy,
    hinge, softmax_cross_entropy with class labels), plus terms of the parameters only, such as an L2
    penalty; otherwise it warns and trains eagerly.
    """
    X, y = _check_data(X, y)
    epochs = count("epochs", epochs, minimum=0)
    if not callable(loss):
        raise TypeError(f"loss must be callable as loss(outputs, targets), got {type(loss).__name__}")
    correct: Callable[[Any, float], bool] | None = None
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
            for idx, _ in ([(index, None)] if full else batches(index, index, batch_size, shuffle, rng)):
                yb = labels if full else [labels[i] for i in idx]
                if program is None:
                    optimizer.zero_grad()
                    value, outputs = batch_loss(model, rows if full else [rows[i] for i in idx], yb, loss)
                    value.backward()
                    value = value.data
                    optimizer.step()
                else:  # forward, backward and the optimizer step, on arrays
                    value, outputs = program.run(X if full else X[idx], y if full else y[idx])
                if not history.step_loss:  # first update: now the output type is known
                    correct = classifier(y, loss, outputs[0] if program is None else program.traced_output)
                history.step_loss.append(value)
                total += value * len(yb)
                if correct is not None:
                    right += sum(map(correct, outputs, yb)) if program is None else program.count_correct(correct)
            history.loss.append(value if full else total / len(rows))  # full batch: exactly its loss
            if correct is not None:
                history.accuracy.append(right / len(rows))
            if bar is not None:
                stats = {"loss": f"{history.loss[-1]:.4f}"}
                if history.accuracy:
                    stats["acc"] = f"{history.accuracy[-1]:.3f}"
                bar.set_postfix(stats, refresh=False)
                bar.update()
            if callbacks and program is not None:
                program.trainer.sync()  # callbacks see the current parameters
            if any([cb(epoch, history) for cb in callbacks]):
                break
    finally:
        if program is not None:
            program.trainer.sync()  # the Values hold the trained parameters (also after an exception)
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

    def __init__(self, xs: list[Value], out: Any, X: np.ndarray, y: np.ndarray, loss: Loss,
                 optimizer: Optimizer, model: Callable[[Any], Any]) -> None:
        scores = [out] if isinstance(out, Value) else list(out)
        self.traced_output = out  # the model's output on the traced sample (a Value, or a list of them)
        self.classes: np.ndarray | None = None
        if isinstance(out, Value) or y.ndim == 2:
            targets = [Value(v, label=f"y{i}") for i, v in enumerate(np.atleast_1d(y[0]).tolist())]
            losses = [loss([out], [targets[0] if isinstance(out, Value) else targets])]
        else:
            self.classes = labels_as_classes(y, len(scores))
            if self.classes is None:
                raise NotImplementedError("a model with several outputs needs class labels 0..k-1 or a 2-D y")
            targets = []
            losses = [loss([scores], [c]) for c in range(len(scores))]
        program = compile([*losses, *scores], [*xs, *targets])
        self.n_losses = len(losses)
        self.trainer = CompiledTrainer(program, optimizer)
        self._batch: tuple[Any, np.ndarray] = (None, np.empty(0))  # (X of the last batch, its input block)
        # the program is the mean of per-sample losses: check that this is what `loss` computes
        few = min(len(y), 3)
        eager = loss([model(row) for row in X[:few].tolist()], y[:few].tolist()).data
        traced, _ = self._losses(X[:few], y[:few])
        if not abs(eager - traced.mean()) <= 1e-9 * max(1.0, abs(eager)):
            raise NotImplementedError("the loss is not the batch mean of a per-sample loss")

    @classmethod
    def build(cls, model: Callable[[Any], Any], X: np.ndarray, y: np.ndarray, loss: Loss,
              optimizer: Optimizer) -> CompiledLoss | None:
        """The compiled loss, or None (with a warning) when this model or loss cannot be compiled. A target
        the loss rejects raises the loss's own error, as in eager mode."""
        xs = [Value(v, label=f"x{i}") for i, v in enumerate(X[0].tolist())]
        try:
            out = model(xs)
            _check_targets(out, y, loss)
            return cls(xs, out, X, y, loss, optimizer, model)
        except (NotImplementedError, TypeError, ArithmeticError) as exc:
            reason = exc
        except ValueError as exc:
            if isinstance(exc, _TargetError):
                raise exc.__cause__ from None  # type: ignore[misc]
            reason = exc
        warnings.warn(f"fit(compiled=True): {reason}; training eagerly instead", RuntimeWarning, stacklevel=3)
        return None

    def _losses(self, Xb: np.ndarray, yb: np.ndarray) -> tuple[np.ndarray, list[np.ndarray]]:
        """(each sample's loss, the model's output rows) on a batch, by the trainer's parameters."""
        if self._batch[0] is not Xb:  # full-batch training passes the same arrays every epoch: reuse the block
            columns = Xb.T if self.classes is not None else np.concatenate([Xb.T, np.reshape(yb, (len(yb), -1)).T])
            self._batch = (Xb, np.array(columns, dtype=np.float64))
        rows = self.trainer.evaluate(self._batch[1])
        scores = [r[0] for r in rows[self.n_losses :]]
        if self.classes is None:
            return np.broadcast_to(rows[0][0], len(yb)), scores
        return np.concatenate(rows[: self.n_losses])[yb.astype(np.intp), np.arange(len(yb))], scores

    def run(self, Xb: np.ndarray, yb: np.ndarray) -> tuple[float, list[Any]]:
        """One training step on a batch: forward, backward and the optimizer's array step; returns the mean
        loss (before the update) and the model's output rows (arrays; see `count_correct`)."""
        losses, scores = self._losses(Xb, yb)
        n = len(yb)
        if self.classes is None:
            self.trainer.update({0: np.full(n, 1.0 / n)})
        else:
            labels = yb.astype(np.intp)
            self.trainer.update({c: (labels == c) / n for c in range(self.n_losses)})
        self._last = (scores, yb)
        return float(losses.mean()), scores

    def count_correct(self, correct: Callable[[Any, Any], Any]) -> int:
        """How many outputs of the last batch `correct(output, label)` (see `classifier`) accepts: on whole
        arrays at once when it is elementwise (one output), else sample by sample."""
        scores, labels = self._last
        if len(scores) == 1:
            try:
                right = correct(_Score.column(scores[0]), labels)
            except Exception:  # noqa: BLE001 - not elementwise: count sample by sample below
                right = None
            if isinstance(right, np.ndarray) and right.dtype == bool and right.shape == labels.shape:
                return int(right.sum())
            return sum(map(correct, map(_Score, scores[0].tolist()), labels.tolist()))
        rows = zip(*(s.tolist() for s in scores))
        return sum(map(correct, ([_Score(v) for v in row] for row in rows), labels.tolist()))


class _Score(float):
    """A model output for scoring accuracy: a float that reads like a Value (`.data`), cheap to make."""

    __slots__ = ()

    @property
    def data(self) -> float:
        return float(self)

    @staticmethod
    def column(values: np.ndarray) -> Any:
        """All outputs of a batch behind one `.data` (an array), for an elementwise `correct`."""
        return SimpleNamespace(data=values)


class _TargetError(ValueError):
    """A target the loss itself rejects (the loss's error is the cause)."""


def _check_targets(out: Any, y: np.ndarray, loss: Loss) -> None:
    """Apply the loss to the traced output with every distinct target, so compiled mode rejects exactly
    the targets eager mode rejects, with the loss's own message."""
    for t in (np.unique(y, axis=0) if y.ndim == 2 else np.unique(y)).tolist():
        try:
            loss([out], [t])
        except ValueError as exc:
            raise _TargetError(str(exc)) from exc


def _progress_bar(epochs: int) -> Any:
    """A tqdm bar over epochs, or None when tqdm is not installed."""
    try:
        from tqdm import tqdm
    except ImportError:
        return None
    return tqdm(total=epochs, desc="fit", unit="epoch")


def predict(model: Callable[[Any], Any], X: Any) -> np.ndarray:
    """The model's raw outputs on each row of X: shape (n,) for one output, (n, k) for k outputs.

    These are scores/logits; class labels are `predict(...) > 0` (binary) or `.argmax(axis=1)`.
    """
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2:
        raise ValueError(f"X must be 2-D (n_samples, n_features), got shape {X.shape}")
    out = [model(x) for x in X.tolist()]
    return np.array([o.data if isinstance(o, Value) else [v.data for v in o] for o in out], dtype=np.float64)
