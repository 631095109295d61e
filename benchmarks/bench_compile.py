"""Compiled training vs hand-written numpy, PyTorch eager, JAX jit, our eager engine and micrograd, in ONE process.

Run with `python benchmarks/bench_compile.py` (`--quick` for fewer repeats). One thread everywhere (BLAS,
PyTorch, XLA), float64 everywhere, GC enabled. The step is micrograd's demo: moons, MLP(2,[16,16,1]),
max-margin loss + 1e-4·L2, SGD with its learning-rate decay (lr = 1 − 0.9·k/100, k mod 100 here so long
runs stay positive). Every engine starts from the same weights and does forward, loss, backward and
the update per step. Times are process CPU time. Engines take turns in rounds (a load burst on the
shared machine hits all of them); ratios are of medians over all rounds. PyTorch and JAX are measured
only when installed.

  ours compiled     `nn.CompiledTrainer` on the compiled per-sample loss (L2 inside the program, one
                    instruction), parameters kept in arrays, SGD's array form
  ours Values API   the compiled loss through `Compiled.forward/backward` (parameters read from and
                    gradients written into the Values each step) and SGD's scalar step
  PyTorch eager     nn.Linear layers, float64, torch.set_num_threads(1)
  JAX jit           value_and_grad + update in one jitted function, float64
  hand numpy        the same math written by hand (W @ X layers)

Also: `fit(compiled=True)` for the whole demo (100 full-batch epochs, including compiling) against a
hand-written numpy training loop, and the softmax MLP(2,[16,16,3]) on make_spirals(300) trained eagerly
and compiled (same weights, speed-up).
"""

from __future__ import annotations

import os

# one thread: BLAS threads only slow these small products down on a busy machine (set before numpy loads)
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")
os.environ.setdefault("XLA_FLAGS", "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1")

import argparse
import importlib.util
import random
import sys
import time
from collections.abc import Callable
from typing import Any

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [HERE, os.path.dirname(HERE)]  # this checkout's packages before any installed ones

import autograd_core  # noqa: E402
import nn  # noqa: E402
from autograd_core import Value  # noqa: E402

ALPHA = 1e-4
Step = Callable[[], float]  # runs one step, returns its seconds


def lr_at(k: int) -> float:
    """micrograd's decay, restarted every 100 steps."""
    return 1.0 - 0.9 * (k % 100) / 100


def moons(n: int) -> tuple[np.ndarray, np.ndarray]:
    """micrograd's demo data at n samples (nn.make_moons, noise 0.1), labels ±1."""
    X, y = nn.make_moons(n, noise=0.1, seed=1337)
    return X, (y * 2 - 1).astype(float)


def demo_model() -> nn.MLP:
    random.seed(1337)
    return nn.MLP(2, [16, 16, 1])


def layers_of(model: nn.MLP) -> list[tuple[np.ndarray, np.ndarray]]:
    """(W, b) per layer as float64 arrays: W[i] the weights of neuron i."""
    return [
        (np.array([[w.data for w in nr.w] for nr in layer.neurons]), np.array([[nr.b.data] for nr in layer.neurons]))
        for layer in model.layers
    ]


def timed(fn: Callable[[], Any]) -> Step:
    """`fn` as a Step timed in process CPU seconds (other processes on a busy machine disturb it less than
    wall-clock time; everything runs on one thread, so the two agree on an idle machine)."""

    def step() -> float:
        t = time.process_time()
        fn()
        return time.process_time() - t

    return step


def per_sample_hinge(model: nn.MLP) -> tuple[autograd_core.Compiled, autograd_core.Compiled]:
    """(hinge + L2 per sample, as fit builds it; hinge alone, as a user would compile it)."""
    x1, x2, y = Value(0.0, label="x1"), Value(0.0, label="x2"), Value(1.0, label="y")
    score = model([x1, x2])
    full = nn.hinge([score], [y]) + ALPHA * nn.l2(model.parameters())
    return autograd_core.compile(full, [x1, x2, y]), autograd_core.compile((1 + -y * score).relu(), [x1, x2, y])


def ours_compiled(n: int) -> Step:
    model = demo_model()
    program, _ = per_sample_hinge(model)
    X, y = moons(n)
    trainer = nn.CompiledTrainer(program, nn.SGD(model.parameters(), lr=lr_at))
    x1, x2 = X[:, 0].copy(), X[:, 1].copy()
    return timed(lambda: trainer.step(x1, x2, y))


def ours_values_api(n: int) -> Step:
    model = demo_model()
    _, hinge = per_sample_hinge(model)
    params = model.parameters()
    X, y = moons(n)
    x1, x2 = X[:, 0].copy(), X[:, 1].copy()
    k = 0

    def step() -> None:
        nonlocal k
        hinge.forward(x1, x2, y).mean()
        reg = ALPHA * autograd_core.dot(params, params)
        model.zero_grad()
        hinge.backward("mean")
        reg.backward()
        lr = lr_at(k)
        for p in params:
            p.data -= lr * p.grad
        k += 1

    return timed(step)


def hand_numpy(n: int) -> Step:
    """The same step written by hand with numpy arrays: W @ X layers."""
    layers = layers_of(demo_model())
    X, y = moons(n)
    X = X.T.copy()
    k = 0

    def step() -> None:
        nonlocal k
        acts, h = [X], X
        for i, (W, b) in enumerate(layers):
            h = W @ h + b
            if i < len(layers) - 1:
                h = np.maximum(h, 0.0)
            acts.append(h)
        margin = 1.0 - y * h[0]
        np.maximum(margin, 0.0).mean() + ALPHA * sum((W * W).sum() + (b * b).sum() for W, b in layers)
        g = (np.where(margin > 0.0, -y, 0.0) / n)[None, :]  # d mean(relu(margin)) / d score
        lr = lr_at(k)
        for i in range(len(layers) - 1, -1, -1):
            W, b = layers[i]
            gW, gb = g @ acts[i].T + 2 * ALPHA * W, g.sum(axis=1, keepdims=True) + 2 * ALPHA * b
            if i:
                g = (W.T @ g) * (acts[i] > 0)
            W -= lr * gW
            b -= lr * gb
        k += 1

    return timed(step)


def torch_eager(n: int) -> Step | None:
    if importlib.util.find_spec("torch") is None:
        return None
    import torch

    torch.set_num_threads(1)
    layers = layers_of(demo_model())
    params = []
    for W, b in layers:
        params += [
            torch.tensor(W, dtype=torch.float64, requires_grad=True),
            torch.tensor(b[:, 0], dtype=torch.float64, requires_grad=True),
        ]
    X, y = moons(n)
    Xt, yt = torch.tensor(X, dtype=torch.float64), torch.tensor(y, dtype=torch.float64)
    k = 0

    def step() -> None:
        nonlocal k
        h = Xt
        for i in range(0, len(params), 2):
            h = torch.nn.functional.linear(h, params[i], params[i + 1])
            if i < len(params) - 2:
                h = torch.relu(h)
        loss = torch.relu(1 - yt * h[:, 0]).mean() + ALPHA * sum((p * p).sum() for p in params)
        loss.backward()
        lr = lr_at(k)
        with torch.no_grad():
            for p in params:
                p -= lr * p.grad
                p.grad = None
        k += 1

    return timed(step)


def jax_jit(n: int) -> Step | None:
    if importlib.util.find_spec("jax") is None:
        return None
    import jax
    import jax.numpy as jnp

    jax.config.update("jax_enable_x64", True)
    layers = [(jnp.asarray(W), jnp.asarray(b[:, 0])) for W, b in layers_of(demo_model())]
    X, y = moons(n)
    Xj, yj = jnp.asarray(X), jnp.asarray(y)

    def loss(params: Any) -> Any:
        h = Xj
        for i, (W, b) in enumerate(params):
            h = h @ W.T + b
            if i < len(params) - 1:
                h = jax.nn.relu(h)
        reg = sum((W * W).sum() + (b * b).sum() for W, b in params)
        return jax.nn.relu(1 - yj * h[:, 0]).mean() + ALPHA * reg

    @jax.jit
    def update(params: Any, lr: float) -> Any:
        value, grads = jax.value_and_grad(loss)(params)
        return jax.tree_util.tree_map(lambda p, g: p - lr * g, params, grads), value

    state = {"params": layers, "k": 0}
    update(layers, 1.0)[1].block_until_ready()  # compile outside the timing

    def step() -> None:
        state["params"], value = update(state["params"], lr_at(state["k"]))
        value.block_until_ready()
        state["k"] += 1

    return timed(step)


def rounds(steps: dict[str, Step], n_rounds: int, per_round: int) -> dict[str, float]:
    """Median seconds per step of each engine over `n_rounds` rounds of `per_round` steps, engines
    taking turns round by round."""
    samples: dict[str, list[float]] = {name: [] for name in steps}
    for _ in range(n_rounds):
        for name, step in steps.items():
            samples[name] += [step() for _ in range(per_round)]
    return {name: float(np.median(xs)) for name, xs in samples.items()}


def fit_vs_hand_loop(epochs: int = 100, repeats: int = 5) -> tuple[float, float]:
    """Best seconds of `fit(compiled=True)` on the demo (compiling included) and of a hand numpy loop."""
    X, y = moons(100)
    best_fit = best_hand = float("inf")
    for _ in range(repeats):
        model = demo_model()
        loss = lambda o, t, m=model: nn.hinge(o, t) + ALPHA * nn.l2(m.parameters())
        t = time.perf_counter()
        nn.fit(model, X, y, loss, nn.SGD(model.parameters(), lr=lr_at), epochs=epochs, progress=False, compiled=True)
        best_fit = min(best_fit, time.perf_counter() - t)
        step = hand_numpy(100)
        t = time.perf_counter()
        for _ in range(epochs):
            step()
        best_hand = min(best_hand, time.perf_counter() - t)
    return best_fit, best_hand


def spirals(epochs: int) -> tuple[float, float, float]:
    """(eager seconds, compiled seconds, max |weight difference|) for a softmax MLP on make_spirals(300)."""
    X, y = nn.make_spirals(300, seed=0)
    seconds, weights = [], []
    for compiled in (False, True):
        model = nn.MLP(2, [16, 16, 3], rng=0)
        t = time.perf_counter()
        nn.fit(
            model,
            X,
            y,
            nn.softmax_cross_entropy,
            nn.Adam(model.parameters(), lr=0.01),
            epochs=epochs,
            progress=False,
            compiled=compiled,
        )
        seconds.append(time.perf_counter() - t)
        weights.append(np.array([p.data for p in model.parameters()]))
    return seconds[0], seconds[1], float(np.abs(weights[0] - weights[1]).max())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="fewer repeats")
    args = parser.parse_args(argv)
    n_rounds = 3 if args.quick else 7
    makers: dict[str, Callable[[int], Step | None]] = {
        "ours compiled": ours_compiled,
        "ours Values API": ours_values_api,
        "PyTorch eager": torch_eager,
        "JAX jit": jax_jit,
        "hand numpy": hand_numpy,
    }
    print("measuring compiled training steps ...", file=sys.stderr, flush=True)
    table = {}
    for n in (100, 1_000, 10_000):
        steps = {name: make(n) for name, make in makers.items()}
        missing = [name for name, s in steps.items() if s is None]
        per_round = max(2, (20 if args.quick else 40) * 100 // n)
        table[n] = rounds({k: s for k, s in steps.items() if s is not None}, n_rounds, per_round)
    if missing:
        print(f"  not installed, skipped: {', '.join(missing)}", file=sys.stderr)
    names = [name for name in makers if name in table[100]]
    print("\none training step of micrograd's demo model (MLP(2,[16,16,1]), hinge + L2, SGD), float64, 1 thread")
    print("median ms per step, and in brackets the ratio to hand-written numpy (lower is better)")
    print(f"{'':<18}" + "".join(f"{f'batch {n:,}':>22}" for n in table))
    for name in names:
        cells = "".join(f"{t[name] * 1e3:>12.3f} ({t[name] / t['hand numpy']:>5.2f}x)  " for t in table.values())
        print(f"{name:<18}{cells}")
    if "PyTorch eager" in names:
        print(
            "ours compiled vs PyTorch eager: "
            + ", ".join(f"{t['PyTorch eager'] / t['ours compiled']:.1f}x faster at {n:,}" for n, t in table.items())
        )

    print("\nmeasuring fit(compiled=True) and the softmax spirals ...", file=sys.stderr, flush=True)
    fit_s, hand_s = fit_vs_hand_loop(repeats=3 if args.quick else 5)
    print(
        f"\nmicrograd's demo, 100 full-batch epochs: fit(compiled=True) {fit_s * 1e3:.1f} ms (compiling included), "
        f"hand numpy loop {hand_s * 1e3:.1f} ms: ratio {fit_s / hand_s:.2f}x"
    )
    eager_s, comp_s, diff = spirals(epochs=10 if args.quick else 30)
    print(
        f"softmax MLP(2,[16,16,3]) on make_spirals(300), Adam: eager fit {eager_s:.2f} s, compiled "
        f"{comp_s * 1e3:.0f} ms ({eager_s / comp_s:.0f}x faster), weights differ by at most {diff:.1e}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
