"""Compiled batch mode vs micrograd 0.1.0, our eager engine and a hand-written numpy MLP, in ONE process.

Run with `python benchmarks/bench_compile.py` (`--quick` for fewer repeats). GC stays enabled and numpy,
matplotlib and scikit-learn are imported first, as in bench.py.

The step is micrograd's demo (moons, 100 samples, MLP(2,[16,16,1]), max-margin loss + 1e-4·L2, SGD with
its learning-rate decay). Compiled: the per-sample hinge (1 + -y·score).relu() is compiled once, its
batch mean is differentiated by the program, and the L2 term stays an eager graph; both backward into
the same `.grad`. micrograd's and our eager step are bench.py's `demo_step`, micrograd's exact code.
Also: step time at batch 100, 1,000 and 10,000; the program's size; peak memory of one compiled
forward+backward at 10,000 samples (tracemalloc), next to the hand-written numpy step's.
"""

from __future__ import annotations

import os

# BLAS threads only slow down these small matrix products (and badly so on a busy machine); the hand
# numpy step uses the same setting. Must be set before numpy is imported.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import argparse  # noqa: E402
import gc  # noqa: E402
import random  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import tracemalloc  # noqa: E402
from collections.abc import Callable  # noqa: E402
from typing import Any  # noqa: E402

import numpy as np  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [HERE, os.path.dirname(HERE)]  # bench.py, and this checkout's packages before any installed ones
from bench import demo_step, engines, sk_make_moons  # noqa: E402  (also imports matplotlib, sklearn)

import autograd_core  # noqa: E402
import nn  # noqa: E402
from autograd_core import Value  # noqa: E402

ALPHA = 1e-4


def moons(n: int) -> tuple[np.ndarray, np.ndarray]:
    """micrograd's demo data (scikit-learn's make_moons, noise 0.1, seed 1337), labels ±1."""
    if sk_make_moons is not None:
        X, y = sk_make_moons(n_samples=n, noise=0.1, random_state=1337)
    else:
        X, y = nn.make_moons(n, noise=0.1, seed=1337)
    return X, (y * 2 - 1).astype(float)


def model_and_program(seed: int = 1337) -> tuple[Any, autograd_core.Compiled, autograd_core.Compiled]:
    """The demo MLP, its compiled per-sample hinge loss, and its compiled score (for accuracy)."""
    random.seed(seed)
    model = nn.MLP(2, [16, 16, 1])
    x1, x2, y = Value(0.0, label="x1"), Value(0.0, label="x2"), Value(1.0, label="y")
    score = model([x1, x2])
    hinge = autograd_core.compile((1 + -y * score).relu(), [x1, x2, y])
    return model, hinge, autograd_core.compile(score, [x1, x2])


def compiled_step(n: int = 100, fused_l2: bool = False) -> Callable[[], float]:
    """One demo training step with the compiled hinge and the eager L2; returns its seconds.

    `fused_l2` builds the L2 term as one `dot(params, params)` node instead of the demo's
    `sum(p*p for p in params)` (2 nodes per parameter), to show what the eager part costs."""
    model, hinge, _ = model_and_program()
    params = model.parameters()
    X, y = moons(n)
    x1, x2 = X[:, 0].copy(), X[:, 1].copy()

    k = 0  # the step number, for micrograd's learning-rate decay

    def step() -> float:
        nonlocal k
        t = time.perf_counter()
        data_loss = hinge.forward(x1, x2, y).mean()
        reg_loss = ALPHA * (autograd_core.dot(params, params) if fused_l2 else sum(p * p for p in params))
        model.zero_grad()
        hinge.backward("mean")
        reg_loss.backward()
        learning_rate = 1.0 - 0.9 * k / 100
        for p in params:
            p.data -= learning_rate * p.grad
        step.last = data_loss + reg_loss.data  # type: ignore[attr-defined]
        k += 1
        return time.perf_counter() - t

    return step


def numpy_step(n: int = 100) -> Callable[[], float]:
    """The same step written by hand with numpy arrays (the limit for this design): W @ X layers."""
    model, _, _ = model_and_program()
    layers = [(np.array([[w.data for w in nr.w] for nr in layer.neurons]),
               np.array([[nr.b.data] for nr in layer.neurons])) for layer in model.layers]
    X, y = moons(n)
    X = X.T.copy()

    k = 0  # the step number, for micrograd's learning-rate decay

    def step() -> float:
        nonlocal k
        t = time.perf_counter()
        acts, h = [X], X
        for i, (W, b) in enumerate(layers):
            h = W @ h + b
            if i < len(layers) - 1:
                h = np.maximum(h, 0.0)
            acts.append(h)
        margin = 1.0 - y * h[0]
        loss = np.maximum(margin, 0.0).mean() + ALPHA * sum((W * W).sum() + (b * b).sum() for W, b in layers)
        g = (np.where(margin > 0.0, -y, 0.0) / n)[None, :]  # d mean(relu(margin)) / d score
        learning_rate = 1.0 - 0.9 * k / 100
        for i in range(len(layers) - 1, -1, -1):
            W, b = layers[i]
            gW, gb = g @ acts[i].T + 2 * ALPHA * W, g.sum(axis=1, keepdims=True) + 2 * ALPHA * b
            if i:
                g = (W.T @ g) * (acts[i] > 0)
            W -= learning_rate * gW
            b -= learning_rate * gb
        step.last = loss  # type: ignore[attr-defined]
        k += 1
        return time.perf_counter() - t

    return step


def timing(step: Callable[[], float], steps: int) -> tuple[float, float]:
    """(median, best) ms per step over `steps` steps (the best is the least disturbed by other load)."""
    times = sorted(step() for _ in range(steps))
    return times[len(times) // 2] * 1e3, times[0] * 1e3


def program_bytes() -> int:
    """Memory held by the compiled hinge program of the demo model (tracemalloc, graph excluded)."""
    random.seed(1337)
    model = nn.MLP(2, [16, 16, 1])
    x1, x2, y = Value(0.0), Value(0.0), Value(1.0)
    loss = (1 + -y * model([x1, x2])).relu()
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    program = autograd_core.compile(loss, [x1, x2, y])
    gc.collect()
    used = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    del program
    return used


def peak_bytes(step: Callable[[], float]) -> int:
    """Peak memory above the starting point during one step (tracemalloc sees numpy's buffers)."""
    step()
    gc.collect()
    tracemalloc.start()
    tracemalloc.reset_peak()
    before = tracemalloc.get_traced_memory()[0]
    step()
    peak = tracemalloc.get_traced_memory()[1] - before
    tracemalloc.stop()
    return peak


def train(steps: int = 100) -> tuple[float, float]:
    """micrograd's demo: 100 steps with the compiled loss; returns (final loss, accuracy)."""
    model, hinge, score = model_and_program()
    params = model.parameters()
    X, y = moons(100)
    for k in range(steps):
        data_loss = hinge.forward(X[:, 0], X[:, 1], y).mean()
        reg_loss = ALPHA * sum(p * p for p in params)
        model.zero_grad()
        hinge.backward()
        reg_loss.backward()
        for p in params:
            p.data -= (1.0 - 0.9 * k / 100) * p.grad
    accuracy = float(((score.forward(X[:, 0], X[:, 1]) > 0) == (y > 0)).mean())
    return data_loss + reg_loss.data, accuracy


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="fewer repeats")
    args = parser.parse_args(argv)
    fast, slow = (30, 3) if args.quick else (200, 5)
    found = engines()
    print("measuring the demo step ...", file=sys.stderr, flush=True)
    rows = {
        "autograd_core compiled": timing(compiled_step(), fast),
        "compiled, L2 as one dot": timing(compiled_step(fused_l2=True), fast),
        "hand-written numpy": timing(numpy_step(), fast),
        "autograd_core eager": timing(demo_step(*found["autograd_core"]), max(slow, 10)),
    }
    if "micrograd" in found:
        sys.setrecursionlimit(max(sys.getrecursionlimit(), 10_000))
        rows["micrograd 0.1.0"] = timing(demo_step(*found["micrograd"]), slow)
    ref = rows.get("micrograd 0.1.0")
    compiled = rows["autograd_core compiled"]
    print("\none training step, micrograd's demo (moons 100 samples, MLP(2,[16,16,1]), hinge + L2, SGD)")
    print("ratios from medians (from best times in brackets)")
    print(f"{'engine':<24}{'median ms':>11}{'best ms':>10}{'micrograd / it':>22}{'it / compiled':>20}")
    for name, (med, best) in sorted(rows.items(), key=lambda r: -r[1][0]):
        speedup = f"{ref[0] / med:>12.0f}x ({ref[1] / best:>5.0f}x)" if ref else f"{'-':>22}"
        slower = f"{med / compiled[0]:>10.2f}x ({best / compiled[1]:>5.2f}x)"
        print(f"{name:<24}{med:>11.3f}{best:>10.3f}{speedup}{slower}")

    print("\nstep time vs batch size (compiled hinge + eager L2 + SGD; hand numpy the same math), best ms")
    print(f"{'batch':>8}{'compiled':>10}{'numpy':>9}{'compiled/numpy':>16}{'compiled vs 100':>17}")
    base = None
    for n in (100, 1_000, 10_000):
        repeats = max(fast * 100 // n, 10)
        c, h = timing(compiled_step(n), repeats)[1], timing(numpy_step(n), repeats)[1]
        base = base or c
        print(f"{n:>8,}{c:>10.3f}{h:>9.3f}{c / h:>15.1f}x{c / base:>16.1f}x")

    size = program_bytes()
    n = 10_000
    mem_c, mem_h = peak_bytes(compiled_step(n)), peak_bytes(numpy_step(n))
    print(f"\nprogram size (compiled demo hinge, tracemalloc): {size / 1024:.1f} KiB")
    print(f"peak memory of one step at {n:,} samples: compiled {mem_c / 2**20:.2f} MiB, "
          f"hand numpy {mem_h / 2**20:.2f} MiB (inputs: {3 * 8 * n / 2**20:.2f} MiB; "
          f"one float64 row of the batch: {8 * n / 2**20:.3f} MiB)")

    loss, acc = train()
    print(f"\ncompiled training, 100 steps of the demo: loss {loss:.4f}, accuracy {acc:.0%}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
