"""The cyclic garbage collector's tax on the eager engine: lean vs realistic heap, collector on vs off.

Run with `python benchmarks/bench_gc.py` (`--quick` for fewer steps). In ONE process, first with a lean heap
(numpy and this library only), then after importing PyTorch, scikit-learn and matplotlib, as a notebook
would (a heap of a few hundred thousand objects the collector walks in each full collection):

  demo step   micrograd's demo training step (bench.py's `demo_step`, its exact code), run as a user's loop
              runs it: rounds of steps back to back, no forced collections between steps, rounds with the
              collector on and off alternating. Also micrograd 0.1.0's step with the collector on, and the
              graph-free pure-Python floor of the same step (floats and hand-written derivatives).
  per node    build + backward of chains z = z·a + b of 10³ … 10⁶ nodes, collector on, ns per node: plain
              Value arithmetic, inside `autograd_core.frozen_heap()` (what nn models, fit and compile
              use; see autograd_core/gcscope.py), and plain with the opt-in `gcscope.pace_builds()`.
Times are process CPU time.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import os
import random
import sys
import time
from collections.abc import Callable
from typing import Any

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [HERE, os.path.dirname(HERE)]

import autograd_core  # noqa: E402
import nn  # noqa: E402
from autograd_core import gcscope  # noqa: E402

ALPHA = 1e-4


def demo_step(Value: Any, MLP: Any, X: np.ndarray, y: np.ndarray) -> Callable[[], float]:
    """micrograd's demo.ipynb training loop body, verbatim but for the names (bench.py's, on given data)."""
    random.seed(1337)
    model = MLP(2, [16, 16, 1])
    k = 0

    def step() -> float:
        nonlocal k
        t = time.process_time()
        inputs = [list(map(Value, xrow)) for xrow in X]
        scores = list(map(model, inputs))
        losses = [(1 + -yi * scorei).relu() for yi, scorei in zip(y, scores)]
        data_loss = sum(losses) * (1.0 / len(losses))
        reg_loss = ALPHA * sum(p * p for p in model.parameters())
        total_loss = data_loss + reg_loss
        model.zero_grad()
        total_loss.backward()
        learning_rate = 1.0 - 0.9 * (k % 100) / 100
        for p in model.parameters():
            p.data -= learning_rate * p.grad
        k += 1
        return time.process_time() - t

    return step


def floor_step(X: np.ndarray, y: np.ndarray) -> Callable[[], float]:
    """The same step without any graph: plain floats, the derivatives written by hand (the pure-Python floor)."""
    random.seed(1337)
    layers = [
        [[nr.w[i].data for i in range(len(nr.w))] + [nr.b.data] for nr in layer.neurons]
        for layer in nn.MLP(2, [16, 16, 1]).layers
    ]
    rows, labels = X.tolist(), [float(v) for v in y]
    k = 0

    def step() -> float:
        nonlocal k
        t = time.process_time()
        grads = [[[0.0] * len(w) for w in layer] for layer in layers]
        n = len(rows)
        for x, yi in zip(rows, labels):
            acts = [x]
            for li, layer in enumerate(layers):  # forward, keeping each layer's input
                z = [sum(wi * xi for wi, xi in zip(w, acts[-1])) + w[-1] for w in layer]
                acts.append([v if v > 0.0 else 0.0 for v in z] if li < len(layers) - 1 else z)
            if 1.0 - yi * acts[-1][0] <= 0.0:
                continue  # hinge inactive: no gradient from this sample
            g = [-yi / n]
            for li in range(len(layers) - 1, -1, -1):  # backward
                inp = acts[li]
                back = [0.0] * len(inp)
                for w, gw, gj in zip(layers[li], grads[li], g):
                    for i, xi in enumerate(inp):
                        gw[i] += gj * xi
                        back[i] += gj * w[i]
                    gw[-1] += gj
                g = [b if a > 0.0 else 0.0 for a, b in zip(inp, back)] if li else back
        lr = 1.0 - 0.9 * (k % 100) / 100
        for layer, glayer in zip(layers, grads):
            for w, gw in zip(layer, glayer):
                for i in range(len(w)):
                    w[i] -= lr * (gw[i] + 2 * ALPHA * w[i])
        k += 1
        return time.process_time() - t

    return step


def on_off(step: Callable[[], float], rounds: int, per_round: int) -> tuple[float, float]:
    """Mean seconds per step with the collector on and off, in alternating rounds of back-to-back steps."""
    times: dict[bool, list[float]] = {True: [], False: []}
    for _ in range(rounds):
        for enabled in (True, False):
            gc.collect()
            gc.enable() if enabled else gc.disable()
            try:
                times[enabled] += [step() for _ in range(per_round)]
            finally:
                gc.enable()
    return float(np.mean(times[True])), float(np.mean(times[False]))


MODES = {
    "plain": "plain Value arithmetic",
    "scoped": "inside frozen_heap()",
    "paced": "plain, gcscope.pace_builds() on",
}


def chain_ns_per_node(n: int, repeats: int, mode: str) -> float:
    """ns per node to build z = z·a + b (2n nodes) and backpropagate through it, collector on (best of
    repeats). `mode`: plain Value arithmetic; "scoped", built inside `with autograd_core.frozen_heap():`
    (what nn models, fit and compile do themselves); "paced", plain with the opt-in `pace_builds()`."""
    Value = autograd_core.Value
    best = float("inf")
    gcscope.pace_builds(mode == "paced")
    try:
        for _ in range(repeats):
            gc.collect()
            t = time.process_time()
            with autograd_core.frozen_heap() if mode == "scoped" else contextlib.nullcontext():
                a, b = Value(1.0000001), Value(0.5)
                z = a
                for _ in range(n):
                    z = z * a + b
            z.backward()
            best = min(best, (time.process_time() - t) / (2 * n) * 1e9)
            del z
    finally:
        gcscope.pace_builds(False)
    return best


def measure(label: str, args: argparse.Namespace, micrograd: Any) -> dict[str, float]:
    X, y = nn.make_moons(100, noise=0.1, seed=1337)
    y = y * 2 - 1
    print(f"  {label}: {len(gc.get_objects()):,} tracked objects", file=sys.stderr, flush=True)
    ours = demo_step(autograd_core.Value, nn.MLP, X, y)
    ours()
    on, off = on_off(ours, args.rounds, args.steps)
    floor = float(np.median([floor_step(X, y)() for _ in range(3)]))
    row = {"on": on, "off": off, "floor": floor}
    if micrograd is not None:
        sys.setrecursionlimit(max(sys.getrecursionlimit(), 10_000))
        theirs = demo_step(micrograd[0], micrograd[1], X, y)
        row["micrograd"] = float(np.median([theirs() for _ in range(args.micrograd_steps)]))
    sizes = [1_000, 10_000, 100_000] + ([] if args.quick else [1_000_000])
    for mode in MODES:
        for n in sizes:
            row[f"chain {n} {mode}"] = chain_ns_per_node(n, 3 if n < 1_000_000 else 1, mode)
    return row


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="fewer steps, chains up to 10⁵ nodes")
    args = parser.parse_args(argv)
    args.rounds, args.steps, args.micrograd_steps = (2, 15, 1) if args.quick else (3, 30, 3)
    try:
        import micrograd.engine
        import micrograd.nn

        micrograd = (micrograd.engine.Value, micrograd.nn.MLP)
    except ImportError:
        micrograd = None
        print("micrograd not installed (pip install -e '.[bench]'): its column is skipped", file=sys.stderr)
    print("measuring ...", file=sys.stderr, flush=True)
    results = {"lean heap": measure("lean heap", args, micrograd)}
    heavy = []
    for module in ("torch", "sklearn.datasets", "matplotlib.pyplot"):
        try:
            __import__(module)
            heavy.append(module.split(".")[0])
        except ImportError:
            pass
    results[f"realistic heap ({', '.join(heavy) or 'nothing'} imported)"] = measure("realistic heap", args, micrograd)

    print("\nmicrograd's demo step (MLP(2,[16,16,1]), 100 samples, hinge + L2), eager, run as a user's loop runs it")
    print(f"{'':<52}{'gc on ms':>10}{'gc off ms':>11}{'on / off':>10}{'micrograd / on':>16}{'on / floor':>12}")
    for name, r in results.items():
        mg = f"{r['micrograd'] / r['on']:>15.0f}x" if "micrograd" in r else f"{'-':>16}"
        print(
            f"{name:<52}{r['on'] * 1e3:>10.2f}{r['off'] * 1e3:>11.2f}{r['on'] / r['off']:>9.2f}x{mg}"
            f"{r['on'] / r['floor']:>11.1f}x"
        )
    print(
        "floor: the same step in pure Python without a graph "
        + ", ".join(f"({name.split(' (')[0]}: {r['floor'] * 1e3:.2f} ms)" for name, r in results.items())
    )
    print("\nbuild + backward of a chain z = z·a + b, collector on, ns per node")
    sizes = sorted({int(k.split()[1]) for k in next(iter(results.values())) if k.startswith("chain")})
    print(f"{'':<62}" + "".join(f"{n:>11,}" for n in sizes) + f"{'max / min from 10⁴':>20}")
    for name, r in results.items():
        for mode, what in MODES.items():
            cells = [r[f"chain {n} {mode}"] for n in sizes]
            big = [c for n, c in zip(sizes, cells) if n >= 10_000]
            label = f"{name.split(' (')[0]}, {what}"
            print(f"{label:<62}" + "".join(f"{c:>11.0f}" for c in cells) + f"{max(big) / min(big):>19.2f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
