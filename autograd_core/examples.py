"""Small worked graphs shared by the demo, the notebooks and the tests.

>>> from autograd_core.examples import logistic_graph
>>> L = logistic_graph()
>>> L.backward()
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from .value import Value, dot

__all__ = ["logistic_graph", "save_backprop_demo"]


def logistic_graph(
    w: Sequence[float] = (0.5, -1.5),
    x: Sequence[float] = (2.0, 1.0),
    b: float = 0.25,
    fused: bool = True,
) -> Value:
    """Seed 003's logistic regression as modular sub-blocks, every node labelled:
    u = w·x + b  →  p = σ(u)  →  L = −log p   (the loss for a positive example).

    Returns L. After `L.backward()`, `wᵢ.grad = −(1 − p)·xᵢ` and `b.grad = −(1 − p)`. With
    `fused=True` the first block is one `dot` node; `fused=False` spells it out as `*` and `+` nodes.
    """
    if len(w) != len(x):
        raise ValueError(f"logistic_graph: w and x differ in length ({len(w)} vs {len(x)})")
    ws = [Value(wi, label=f"w{i + 1}") for i, wi in enumerate(w)]
    xs = [Value(xi, label=f"x{i + 1}") for i, xi in enumerate(x)]
    bias = Value(b, label="b")
    if fused:
        u = dot(ws, xs, bias)
    else:
        u = bias
        for i, (wi, xi) in enumerate(zip(ws, xs)):
            term = wi * xi
            term.label = f"w{i + 1}·x{i + 1}"
            u = term + u
    u.label = "u"
    p = u.sigmoid()
    p.label = "p"
    log_p = p.log()
    log_p.label = "log p"
    loss = -log_p
    loss.label = "L"
    return loss


def save_backprop_demo(path: str | os.PathLike[str] = "out/backprop.html") -> Path:
    """Write the step-by-step backprop page of `logistic_graph()` to `path` (for `make demo`)."""
    from .backprop_view import backprop_view

    return backprop_view(logistic_graph()).save(path)


if __name__ == "__main__":  # python -m autograd_core.examples [path]
    import sys

    print(save_backprop_demo(*sys.argv[1:2]))
