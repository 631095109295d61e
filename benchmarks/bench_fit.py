"""`nn.fit` against a hand-written training loop over the same model, in one process.

Full-batch moons (100 samples), MLP(2, [16, 16, 1]), binary cross-entropy, Adam: both loops start from
the same weights and take the same steps (the test suite checks they produce identical losses), so
any difference is fit's own per-step overhead (history, accuracy, progress bar). Runs alternate
in rotating order to share the machine's noise; the best of several repeats is reported. Times are
process CPU time (`time.process_time`), which other processes on a busy machine disturb less than
wall-clock time; the loops are single-threaded and CPU-bound, so the two agree on an idle machine.

    python benchmarks/bench_fit.py [--epochs 30] [--repeats 5]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import time

import nn


def hand_loop(model: nn.MLP, X, y, epochs: int) -> float:
    """micrograd-style loop: forward all rows, loss, zero_grad, backward, step."""
    opt = nn.Adam(model.parameters(), lr=0.05)
    rows, labels = X.tolist(), y.tolist()
    t0 = time.process_time()
    for _ in range(epochs):
        scores = [model(x) for x in rows]
        loss = nn.binary_cross_entropy(scores, labels)
        opt.zero_grad()
        loss.backward()
        opt.step()
    return time.process_time() - t0


def with_fit(model: nn.MLP, X, y, epochs: int, progress: bool, compiled: bool = False) -> float:
    """`nn.fit` over the same steps. With `progress`, tqdm draws its bar as usual, into /dev/null: its
    cost is measured, and the table stays the only output (without it, stderr is left alone: a warning
    that compiled mode fell back to eager would show)."""
    opt = nn.Adam(model.parameters(), lr=0.05)
    with contextlib.ExitStack() as stack:
        if progress:
            stack.enter_context(contextlib.redirect_stderr(stack.enter_context(open(os.devnull, "w"))))
        t0 = time.process_time()
        nn.fit(model, X, y, nn.binary_cross_entropy, opt, epochs=epochs, progress=progress, compiled=compiled)
        return time.process_time() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--epochs", type=int, default=30)
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args()
    X, y = nn.make_moons(100, noise=0.1, seed=0)
    runs = {
        "hand loop": lambda: hand_loop(nn.MLP(2, [16, 16, 1], rng=0), X, y, args.epochs),
        "fit": lambda: with_fit(nn.MLP(2, [16, 16, 1], rng=0), X, y, args.epochs, False),
        "fit+tqdm": lambda: with_fit(nn.MLP(2, [16, 16, 1], rng=0), X, y, args.epochs, True),
        "fit(compiled=True)": lambda: with_fit(nn.MLP(2, [16, 16, 1], rng=0), X, y, args.epochs, False, True),
    }
    best = dict.fromkeys(runs, float("inf"))
    names = list(runs)
    for r in range(args.repeats):
        k = r % len(names)
        for name in names[k:] + names[:k]:  # rotate the order: no one always runs first
            best[name] = min(best[name], runs[name]())
    base = best["hand loop"]
    print(f"full-batch moons, MLP(2,[16,16,1]), {args.epochs} epochs, best of {args.repeats}")
    for name, t in best.items():
        print(f"  {name:<19} {1000 * t / args.epochs:8.2f} ms/epoch   ratio {t / base:.3f}")


if __name__ == "__main__":
    main()
