"""Compiled training: optimizer steps on a compiled per-sample loss, with the parameters kept in arrays.

`Compiled.forward/backward` read every parameter Value and write every `.grad` on each call; for a small
batch that Python loop over the parameters costs more than the numpy work. `CompiledTrainer` instead
copies the parameters into one float array once, runs forward, backward and the optimizer's array form
(`Optimizer.array_step`, the same update rule as `step()`) on arrays only, and writes the values back to
the Values (their `.data`, their `.grad` from the last step, and the optimizer's state) when you call
`sync()`, when a `with` block around it ends, and when `run` returns. This is what
`fit(compiled=True)` uses.

    program = compile(per_sample_loss, [x1, x2, y])
    with nn.CompiledTrainer(program, nn.SGD(model.parameters(), lr=0.1)) as trainer:
        for _ in range(100):
            trainer.step(X[:, 0], X[:, 1], Y)      # mean loss over the batch, before the update
    # here model.parameters() hold the trained values

Between `sync()`s the Values are stale: read `trainer.values()` or sync first. Changes made to the Values
meanwhile are not seen by the trainer; call `reload()` after making them.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from autograd_core import Compiled, Value

from .checks import count
from .optim import Optimizer

__all__ = ["CompiledTrainer"]


class CompiledTrainer:
    """Run `optimizer` on the compiled per-sample loss `program`, parameters kept in arrays (see module doc).

    The loss minimised is the mean over the batch of the sum of the program's outputs (for one output:
    the mean per-sample loss), or any L = Σ grad ⊙ outputs given to `update(grad)`. Parameters the
    optimizer holds but the program does not read get a zero gradient (weight decay and momentum still
    move them, as in eager mode); parameters the program reads but the optimizer does not hold stay fixed.
    """

    def __init__(self, program: Compiled, optimizer: Optimizer) -> None:
        if not isinstance(program, Compiled):
            raise TypeError(
                f"CompiledTrainer: program must be a Compiled (autograd_core.compile), got {type(program).__name__}"
            )
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"CompiledTrainer: optimizer must be an nn optimizer, got {type(optimizer).__name__}")
        if type(optimizer)._rule is Optimizer._rule:
            raise TypeError(f"CompiledTrainer: {type(optimizer).__name__} defines no array form (an `_rule` method)")
        self.program, self.optimizer = program, optimizer
        row = {p: i for i, p in enumerate(program.parameters)}
        extra = [p for p in optimizer.params if p not in row]
        self._values: list[Value] = [*program.parameters, *extra]  # theta's order
        for p in extra:
            row[p] = len(row)
        rows = np.array([row[p] for p in optimizer.params], dtype=np.intp)
        self.optimizer_rows = rows  # theta[optimizer_rows] is in the order of optimizer.params
        self._rows = None if np.array_equal(rows, np.arange(len(self._values))) else rows
        self._opt_params = [self._values[i] for i in (rows if self._rows is not None else range(len(self._values)))]
        self._n = len(program.parameters)
        self._no_seed = np.zeros((1, 1))  # stands for an output L does not depend on (never read)
        self.reload()

    def reload(self) -> None:
        """Read the parameters' `.data` and the optimizer's state again (after changing them by hand)."""
        self.theta = np.array([p.data for p in self._values], dtype=np.float64)
        self.grad = np.zeros_like(self.theta)
        self._state = self.optimizer.array_state(self._opt_params)

    def forward(self, *columns: Any) -> np.ndarray:
        """The program's outputs on a batch (see `Compiled.forward`), with the trainer's parameters."""
        return self.program.forward(*columns, theta=self.theta[: self._n])

    def evaluate(self, x: np.ndarray) -> list[np.ndarray]:
        """`Compiled.evaluate` with the trainer's parameters: one (1, B) row per output, x (n_inputs, B)."""
        return self.program.evaluate(x, self.theta[: self._n])

    def update(self, grad: Any = None) -> None:
        """`backward(grad)` then `apply()`: one training step after a `forward`."""
        self.backward(grad)
        self.apply()

    def backward(self, grad: Any = None) -> None:
        """The gradient (into `self.grad`, one float per parameter) of the loss of the last `forward`: the mean
        over the batch of the outputs' sum, or L = Σ grad ⊙ outputs for `grad` shaped like forward's
        result, or a dict {output index: (B,) array} naming only the outputs L depends on."""
        program = self.program
        k, batch = program.n_outputs, program.batch
        if grad is None:
            seeds = [np.full((1, batch), 1.0 / batch)] * k
            seeded = (True,) * k
        elif isinstance(grad, dict):
            seeded = tuple(i in grad for i in range(k))
            seeds = [np.reshape(grad[i], (1, batch)) if i in grad else self._no_seed for i in range(k)]
        else:
            grad = np.asarray(grad, dtype=np.float64).reshape(batch, k)
            seeds = [grad[None, :, i] for i in range(k)]
            seeded = tuple(bool(seed.any()) for seed in seeds)
        g = program.gradient(seeds, seeded)[: self._n]
        if len(self._values) > self._n:  # parameters the program does not read: gradient 0
            g = np.concatenate([g, np.zeros(len(self._values) - self._n)])
        self.grad = g

    def apply(self) -> None:
        """One optimizer step on the arrays, from `self.grad` (the optimizer's array form)."""
        if self._rows is None:
            self.optimizer.array_step(self.theta, self.grad, self._state)
        else:
            theta = self.theta[self._rows]
            self.optimizer.array_step(theta, self.grad[self._rows], self._state)
            self.theta[self._rows] = theta

    def step(self, *columns: Any) -> float:
        """forward + update on one batch; returns the batch's mean loss (before the update)."""
        rows = self.evaluate(self.program.check_columns(*columns))
        loss = sum(float(r.mean()) for r in rows)  # (1, B) rows, or (1, 1) for an output without inputs
        self.update()
        return loss

    def run(self, *columns: Any, steps: int) -> list[float]:
        """`steps` steps on the same batch (full-batch training); returns each step's loss, then syncs."""
        steps = count("steps", steps, minimum=0)
        try:
            return [self.step(*columns) for _ in range(steps)]
        finally:
            self.sync()

    def values(self) -> np.ndarray:
        """The current parameter values, in `program.parameters` order (a copy)."""
        return np.array(self.theta[: self._n])

    def sync(self) -> None:
        """Write the arrays back: every parameter's `.data`, its `.grad` (the last step's gradient) and the
        optimizer's state, so eager code (or an eager `step()`) continues exactly from here."""
        for p, v, g in zip(self._values, self.theta.tolist(), self.grad.tolist()):
            p.data, p.grad = v, g
        self.optimizer.store_array_state(self._opt_params, self._state)

    def __enter__(self) -> CompiledTrainer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.sync()

    def __repr__(self) -> str:
        return (
            f"<CompiledTrainer: {type(self.optimizer).__name__} on {len(self._values)} parameters, "
            f"{self.optimizer.steps} steps taken>"
        )


def labels_as_classes(y: np.ndarray, k: int) -> np.ndarray | None:
    """y as class indices 0..k-1 (an int array), or None when some label is not one."""
    if y.ndim != 1 or not np.all(np.isfinite(y)) or not np.all(y == np.round(y)) or y.min() < 0 or y.max() >= k:
        return None
    return y.astype(np.intp)
