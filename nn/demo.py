"""`make demo`: micrograd's moons demo on this engine, plus pictures.

Trains MLP(2, [16, 16, 1]) for N steps (--steps, default 100) of full-batch gradient descent on the max-margin loss with
L2 regularisation (micrograd's demo.ipynb), printing progress, then writes into DIR (--out, default out):
  DIR/graph.svg       the graph of one neuron o = tanh(w·x + b), every node labelled (needs Graphviz's dot)
  DIR/backprop.html   logistic regression u = w·x + b → p = σ(u) → L = −log p, backward step by step (dot)
  DIR/loss.png        loss and accuracy per step (needs matplotlib: pip install "autograd_core[notebooks]")
What cannot be made (no dot, no matplotlib) is skipped, and one line says how to get it.
"""

from __future__ import annotations

import argparse
import os
import random
import time
from collections.abc import Sequence
from typing import cast

from autograd_core import GraphvizMissingError, Value, compile, draw_dot
from autograd_core.examples import save_backprop_demo

from .data import make_moons
from .module import MLP


def neuron_graph() -> Value:
    """o = tanh(x1·w1 + x2·w2 + b), labelled, with gradients filled (micrograd's lecture example)."""
    x1, x2 = Value(2.0, label="x1"), Value(0.0, label="x2")
    w1, w2 = Value(-3.0, label="w1"), Value(1.0, label="w2")
    b = Value(6.8813735870195432, label="b")
    x1w1 = x1 * w1
    x1w1.label = "x1*w1"
    x2w2 = x2 * w2
    x2w2.label = "x2*w2"
    s = x1w1 + x2w2
    s.label = "x1*w1 + x2*w2"
    n = s + b
    n.label = "n"
    o = n.tanh()
    o.label = "o"
    o.backward()
    return o


def one_output(model: MLP, xs: Sequence[Value | float]) -> Value:
    """The single output of `model` (an MLP whose last layer has one neuron returns a Value, not a list)."""
    out = model(xs)
    if not isinstance(out, Value):
        raise TypeError(f"expected a model with one output, got {len(out)} outputs")
    return out


def train(
    steps: int = 100, data_seed: int = 0, seed: int = 1337, compiled: bool = False
) -> tuple[MLP, list[float], list[float]]:
    """micrograd's demo loop; returns the model and the loss and accuracy of every step.

    `seed` seeds Python's `random`, which draws the weights as in micrograd (`random.seed(1337)`);
    `data_seed` seeds the moons (micrograd used scikit-learn's generator, so its points differ).
    With `compiled`, the per-sample hinge loss is traced once into a batched numpy program
    (`autograd_core.compile`) and the L2 term stays an ordinary graph; both add into the same `.grad`.
    """
    X, y = make_moons(n_samples=100, noise=0.1, seed=data_seed)
    y = y * 2 - 1  # labels ±1 for the max-margin loss
    random.seed(seed)
    model = MLP(2, [16, 16, 1])
    mode = "compiled batch mode" if compiled else "eager"
    print(f"training MLP(2, [16, 16, 1]) ({len(model.parameters())} parameters) on moons, {steps} steps, {mode}")
    if compiled:
        x1, x2, t = Value(0.0, label="x1"), Value(0.0, label="x2"), Value(1.0, label="y")
        score = one_output(model, [x1, x2])
        hinge, scorer = compile((1 + -t * score).relu(), [x1, x2, t]), compile(score, [x1, x2])
    losses, accuracies = [], []
    start = time.perf_counter()
    for k in range(steps):
        reg_loss = cast(Value, 1e-4 * sum(p * p for p in model.parameters()))
        model.zero_grad()
        if compiled:
            data_loss = float(hinge.forward(X[:, 0], X[:, 1], y).mean())
            hinge.backward("mean")
            reg_loss.backward()
            loss = data_loss + reg_loss.data
            accuracy = float(((scorer.forward(X[:, 0], X[:, 1]) > 0) == (y > 0)).mean())
        else:
            inputs = [list(map(Value, row)) for row in X]
            scores = [one_output(model, row) for row in inputs]
            total = sum((1 + -yi * si).relu() for yi, si in zip(y, scores)) * (1.0 / len(scores)) + reg_loss
            total.backward()
            loss = total.data
            accuracy = sum((yi > 0) == (si.data > 0) for yi, si in zip(y, scores)) / len(scores)
        lr = 1.0 - 0.9 * k / steps
        for p in model.parameters():
            p.data -= lr * p.grad
        losses.append(loss)
        accuracies.append(accuracy)
        if k % 10 == 0 or k == steps - 1:
            elapsed = time.perf_counter() - start
            print(f"  step {k:3d}/{steps}  loss {loss:.4f}  accuracy {accuracy:6.1%}  ({elapsed:.2f} s)", flush=True)
    return model, losses, accuracies


def plot(losses: list[float], accuracies: list[float], path: str) -> None:
    """The loss and accuracy curves as a PNG at `path` (imports matplotlib: the `notebooks` extra)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 3.5), dpi=100)
    (loss_line,) = ax.plot(losses, label="loss")
    ax.set_xlabel("step")
    ax.set_ylabel("loss (max-margin + L2)")
    ax.set_title("micrograd's moons demo on autograd_core")
    ax2 = ax.twinx()
    (acc_line,) = ax2.plot(accuracies, color="tab:orange", label="accuracy")
    ax2.set_ylabel("accuracy")
    ax2.set_ylim(0, 1.05)
    ax.legend(handles=[loss_line, acc_line], loc="center right")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def positive_int(text: str) -> int:
    """argparse type: a whole number ≥ 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def write_pictures(out: str, losses: list[float], accuracies: list[float]) -> tuple[list[str], list[str]]:
    """Write graph.svg, backprop.html and loss.png into `out`; returns (written paths, how to get the rest)."""
    written, missing = [], []
    try:
        graph = os.path.join(out, "graph.svg")
        svg = draw_dot(neuron_graph()).pipe(format="svg")
        with open(graph, "wb") as f:
            f.write(svg)
        written.append(graph)
        written.append(str(save_backprop_demo(os.path.join(out, "backprop.html"))))
    except GraphvizMissingError:
        missing.append(
            "graph.svg and backprop.html need Graphviz's dot (apt-get install graphviz / brew install graphviz)"
        )
    try:
        curve = os.path.join(out, "loss.png")
        plot(losses, accuracies, curve)
        written.append(curve)
    except ModuleNotFoundError as exc:
        if exc.name != "matplotlib":
            raise
        missing.append('loss.png needs matplotlib (pip install "autograd_core[notebooks]" or pip install matplotlib)')
    return written, missing


def main(argv: list[str] | None = None) -> int:
    """The command line: train, report the final accuracy, write the pictures; returns the exit code."""
    parser = argparse.ArgumentParser(
        prog="python -m nn.demo", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--steps", type=positive_int, default=100, metavar="N", help="training steps (default 100)")
    parser.add_argument("--out", default="out", metavar="DIR", help="folder for the pictures (default out)")
    parser.add_argument("--compiled", action="store_true", help="train with the compiled batch mode")
    args = parser.parse_args(argv)
    if os.path.exists(args.out) and not os.path.isdir(args.out):
        parser.error(f"argument --out: {args.out!r} is a file; give a folder (it is created if missing)")
    os.makedirs(args.out, exist_ok=True)
    model, losses, accuracies = train(args.steps, compiled=args.compiled)
    X, y = make_moons(n_samples=100, noise=0.1, seed=0)
    final = sum((yi == 1) == (one_output(model, row).data > 0) for row, yi in zip(X, y)) / len(y)
    print(f"final accuracy: {final:.0%}")
    written, missing = write_pictures(args.out, losses, accuracies)
    if written:
        print(f"wrote {', '.join(written)} (open the .html in a browser and step through backprop)")
    if missing:
        print(f"skipped: {'; '.join(missing)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
