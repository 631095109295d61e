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

from .checks import count
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

    `compiled=True` traces the per-sample loss once (`autograd_core.compile`) and runs every batch as
    numpy arrays: same updates, far faster. It needs a model with one output and a loss that is the batch
    mean of a per-sample loss without data-dependent branches (mse, binary_cross_entropy, hinge, plus
    terms of the parameters only, such as an L2 penalty); otherwise it warns and trains eagerly.
    """
    X, y = _check_data(X, y)
    epochs = count("epochs", epochs, minimum=0)
    if not callable(loss):
        raise TypeError(f"loss must be callable as loss(outputs, targets), got {type(loss).__name__}")
    correct: Callable[[Any, float], bool] | None = None
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
                if program is None:
                    value, outputs = batch_loss(model, rows if full else [rows[i] for i in idx], yb, loss)
                    value.backward()
                    value = value.data
                else:
                    value, outputs = program.run(X[idx], y[idx])
                if not history.step_loss:  # first update: now the output type is known
                    correct = classifier(y, loss, outputs[0])
                optimizer.step()
                history.step_loss.append(value)
                total += value * len(yb)
                if correct is not None:
                    right += sum(map(correct, outputs, yb))
            history.loss.append(value if full else total / len(rows))  # full batch: exactly its loss
            if correct is not None:
                history.accuracy.append(right / len(rows))
            if bar is not None:
                stats = {"loss": f"{history.loss[-1]:.4f}"}
                if history.accuracy:
                    stats["acc"] = f"{history.accuracy[-1]:.3f}"
                bar.set_postfix(stats, refresh=False)
                bar.update()
            if any([cb(epoch, history) for cb in callbacks]):
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
        out = model(xs)
        if not isinstance(out, Value):
            raise NotImplementedError("compiled mode needs a model with one output (multi-class stays eager)")
        self.loss = compile(loss([out], [t]), [*xs, t])
        self.score = compile(out, xs)
        # the program is the mean of per-sample losses: check that this is what `loss` computes
        few = min(len(y), 3)
        eager = loss([model(row) for row in X[:few].tolist()], y[:few].tolist()).data
        traced = float(self.loss.forward(*X[:few].T, y[:few]).mean())
        if not abs(eager - traced) <= 1e-9 * max(1.0, abs(eager)):
            raise NotImplementedError("the loss is not the batch mean of a per-sample loss")

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


def predict(model: Callable[[Any], Any], X: Any) -> np.ndarray:
    """The model's raw outputs on each row of X: shape (n,) for one output, (n, k) for k outputs.

    These are scores/logits; class labels are `predict(...) > 0` (binary) or `.argmax(axis=1)`.
    """
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2:
        raise ValueError(f"X must be 2-D (n_samples, n_features), got shape {X.shape}")
    out = [model(x) for x in X.tolist()]
    return np.array([o.data if isinstance(o, Value) else [v.data for v in o] for o in out], dtype=np.float64)
