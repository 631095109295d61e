"""autograd_core vs micrograd 0.1.0, measured in ONE process, as ratios.

Run with `make bench` (or `python benchmarks/bench.py`). The garbage collector stays enabled and numpy,
matplotlib and scikit-learn are imported first, as in a user's notebook: micrograd's closures form
reference cycles, and the cyclic collector's cost grows with everything else that lives in the process.

Each engine runs its job several times back to back (its GC work amortised on its own clock), in rounds
that alternate between the engines. Machines are noisy: read the ratios, not the absolute times.
  build     ns per op to build z = z*a + b chains (a fresh graph each repeat)
  backward  ns per node for .backward() on that graph
  memory    bytes per node of the built graph (tracemalloc)
  step      ms per training step of micrograd's demo loop (moons, MLP(2,[16,16,1]), max-margin + L2),
            its exact code with only the imports swapped
  depth     ns per node of backward on chains of 1e4 .. 1e6 nodes (ours only: micrograd recurses)
"""

from __future__ import annotations

import argparse
import gc
import importlib
import random
import sys
import time
import tracemalloc
from collections.abc import Callable
from typing import Any

import numpy as np

try:  # imported as in a notebook: they enlarge the heap the cyclic GC walks
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot  # noqa: F401
    from sklearn.datasets import make_moons as sk_make_moons
except ImportError:  # pragma: no cover - the bench extra installs them
    sk_make_moons = None


def engines() -> dict[str, tuple[Any, Any]]:
    """name -> (Value class, MLP class)."""
    import autograd_core
    import nn

    found = {"autograd_core": (autograd_core.Value, nn.MLP)}
    try:
        mg_engine = importlib.import_module("micrograd.engine")
        mg_nn = importlib.import_module("micrograd.nn")
        found["micrograd"] = (mg_engine.Value, mg_nn.MLP)
    except ImportError:
        print("micrograd not installed (pip install -e '.[bench]'); ratios are skipped", file=sys.stderr)
    return found


def chain(Value: Any, n: int) -> Any:
    a, b = Value(1.0000001), Value(0.5)
    z = a
    for _ in range(n):
        z = z * a + b
    return z


def timed(fn: Callable[[], Any]) -> float:
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def rounds(jobs: dict[str, Callable[[], float]], n_rounds: int, per_round: int) -> dict[str, float]:
    """Mean of each engine's job over `n_rounds` rounds of `per_round` back-to-back runs.

    Within a round an engine runs alone, as in a user's loop, so the cyclic garbage collection its
    runs trigger is counted on its own clock (amortised over the round); rounds alternate between the
    engines, so a load burst on a shared machine hits both. Each round starts after gc.collect()."""
    samples: dict[str, list[float]] = {name: [] for name in jobs}
    for _ in range(n_rounds):
        for name, job in jobs.items():
            gc.collect()
            samples[name].extend(job() for _ in range(per_round))
    return {name: sum(xs) / len(xs) for name, xs in samples.items()}


def median(xs: list[float]) -> float:
    return sorted(xs)[len(xs) // 2]


def build_job(Value: Any, n: int) -> Callable[[], float]:
    """ns per op to build a fresh chain (the graph is dropped after each run, its cost included)."""
    return lambda: timed(lambda: chain(Value, n)) / (2 * n) * 1e9


def backward_job(Value: Any, n: int) -> Callable[[], float]:
    """ns per node of one backward over the same chain."""
    z = chain(Value, n)
    return lambda: timed(z.backward) / (2 * n + 2) * 1e9


def bench_memory(Value: Any, n: int) -> float:
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    z = chain(Value, n)
    used = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    del z
    return used / (2 * n)


def demo_step(Value: Any, MLP: Any) -> Callable[[], float]:
    """micrograd's demo.ipynb training loop body, verbatim but for the names it is given."""
    if sk_make_moons is not None:
        X, y = sk_make_moons(n_samples=100, noise=0.1, random_state=1337)
    else:
        from nn import make_moons

        X, y = make_moons(n_samples=100, noise=0.1, seed=1337)
    y = y * 2 - 1
    random.seed(1337)
    np.random.seed(1337)
    model = MLP(2, [16, 16, 1])

    def loss(batch_size: int | None = None) -> tuple[Any, float]:
        if batch_size is None:
            Xb, yb = X, y
        else:
            ri = np.random.permutation(X.shape[0])[:batch_size]
            Xb, yb = X[ri], y[ri]
        inputs = [list(map(Value, xrow)) for xrow in Xb]
        scores = list(map(model, inputs))
        losses = [(1 + -yi * scorei).relu() for yi, scorei in zip(yb, scores)]
        data_loss = sum(losses) * (1.0 / len(losses))
        alpha = 1e-4
        reg_loss = alpha * sum((p * p for p in model.parameters()))
        total_loss = data_loss + reg_loss
        accuracy = [(yi > 0) == (scorei.data > 0) for yi, scorei in zip(yb, scores)]
        return total_loss, sum(accuracy) / len(accuracy)

    k = 0

    def step() -> float:
        nonlocal k
        t = time.perf_counter()
        total_loss, acc = loss()
        model.zero_grad()
        total_loss.backward()
        learning_rate = 1.0 - 0.9 * k / 100
        for p in model.parameters():
            p.data -= learning_rate * p.grad
        step.last = (total_loss.data, acc)  # type: ignore[attr-defined]
        k += 1
        return time.perf_counter() - t

    return step


def bench_depth(Value: Any, sizes: list[int], repeats: int = 3) -> list[tuple[int, float]]:
    """ns per op node of backward (median of repeats) on chains z = z * c of each size."""
    rows = []
    for n in sizes:
        x = Value(0.5)
        z = x
        for _ in range(n):
            z = z * 1.0000001
        times = []
        for _ in range(repeats):
            t = time.perf_counter()
            z.backward()
            times.append((time.perf_counter() - t) / n * 1e9)
        rows.append((n, sorted(times)[len(times) // 2]))
        del z
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="fewer repeats and smaller graphs")
    args = parser.parse_args(argv)
    n = 2_000 if args.quick else 20_000
    repeats = 3 if args.quick else 7
    steps = 5 if args.quick else 20
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 4 * n + 100))  # micrograd's topo sort recurses
    found = engines()
    print("measuring (engines alternate round by round) ...", file=sys.stderr, flush=True)
    build = rounds({k: build_job(V, n) for k, (V, _) in found.items()}, 2, repeats)
    back = rounds({k: backward_job(V, n) for k, (V, _) in found.items()}, 2, repeats)
    steps_fns = {k: demo_step(V, M) for k, (V, M) in found.items()}
    step_times = rounds(steps_fns, 2, steps)
    results = {
        k: {
            "build ns/op": build[k],
            "backward ns/node": back[k],
            "memory bytes/node": bench_memory(found[k][0], n),
            "demo step ms": step_times[k] * 1e3,
        }
        for k in found
    }
    for k, f in steps_fns.items():
        loss, acc = f.last  # type: ignore[attr-defined]
        print(f"  {k}: demo after {steps} steps: loss {loss:.4f}, accuracy {acc:.0%}", file=sys.stderr)
    ours = results["autograd_core"]
    theirs = results.get("micrograd")
    print(f"\n{'metric':<20}{'autograd_core':>15}{'micrograd':>15}{'ratio':>10}")
    for key, value in ours.items():
        if theirs:
            print(f"{key:<20}{value:>15.1f}{theirs[key]:>15.1f}{theirs[key] / value:>9.1f}x")
        else:
            print(f"{key:<20}{value:>15.1f}")
    print("(ratio = micrograd / autograd_core: higher is better for us)")
    sizes = [10_000, 100_000] if args.quick else [10_000, 100_000, 1_000_000]
    Value = found["autograd_core"][0]
    print("\nbackward on a chain, autograd_core only (micrograd's recursive sort stops near depth 1,000):")
    for size, ns in bench_depth(Value, sizes):
        print(f"  depth {size:>9,}: {ns:7.1f} ns/node")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
