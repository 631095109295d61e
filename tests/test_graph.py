"""Backward pass semantics, topological order, depth and width limits, and freeing by refcount."""

from __future__ import annotations

import gc
import math
import weakref

import pytest

from autograd_core import Value, dot, topological_order, zero_grad


def test_gradient_of_ab2_plus_2c3() -> None:
    """∇(ab² + 2c³) = (b², 2ab, 6c²)."""
    a, b, c = Value(2.0), Value(-3.0), Value(1.5)
    f = a * b**2 + 2 * c**3
    f.backward()
    assert f.data == 2.0 * 9.0 + 2 * 1.5**3
    assert (a.grad, b.grad, c.grad) == pytest.approx((b.data**2, 2 * a.data * b.data, 6 * c.data**2))


def test_one_gradient_descent_step_on_a_quadratic_bowl() -> None:
    """f(x, y) = 2 + 3x² + 4y² at (10, 10): ∇f = (6x, 8y) = (60, 80); lr 0.5 lands at (-20, -30)."""
    x, y = Value(10.0), Value(10.0)
    f = 2 + 3 * x**2 + 4 * y**2
    f.backward()
    assert (x.grad, y.grad) == (60.0, 80.0)
    lr = 0.5
    x.data -= lr * x.grad
    y.data -= lr * y.grad
    assert (x.data, y.data) == (-20.0, -30.0)
    assert (2 + 3 * x**2 + 4 * y**2).data > f.data  # that step overshoots: lr too large here


def test_sigmoid_derivative_is_sigma_times_one_minus_sigma() -> None:
    for x0 in (-3.0, -0.5, 0.0, 0.7, 4.0):
        x = Value(x0)
        s = x.sigmoid()
        s.backward()
        sigma = 1 / (1 + math.exp(-x0))
        assert s.data == pytest.approx(sigma, rel=1e-15)
        assert x.grad == pytest.approx(sigma * (1 - sigma), rel=1e-12)


def test_logistic_sub_blocks_give_the_delta_rule() -> None:
    """u = w·x → p = σ(u) → L = −log p gives dL/dwᵢ = −(1 − p)·xᵢ."""
    xs = [1.5, -2.0, 0.5]
    ws = [Value(0.3), Value(-0.1), Value(0.8)]
    u = sum((w * x for w, x in zip(ws, xs)), Value(0.0))
    p = u.sigmoid()
    loss = -p.log()
    loss.backward()
    for w, x in zip(ws, xs):
        assert w.grad == pytest.approx(-(1 - p.data) * x, rel=1e-12)
    # the fused dot gives the same
    ws2 = [Value(w.data) for w in ws]
    loss2 = -dot(ws2, xs).sigmoid().log()
    loss2.backward()
    assert [w.grad for w in ws2] == pytest.approx([w.grad for w in ws], rel=1e-12)


def test_shared_subexpressions_count_once_per_path() -> None:
    a = Value(3.0)
    b = a * a  # a reached twice through one node
    c = b + a  # and once more directly
    d = c * b  # b reached by two paths
    d.backward()
    # d = (a² + a)·a² = a⁴ + a³ → d' = 4a³ + 3a²
    assert a.grad == 4 * 27 + 3 * 9
    assert b.grad == c.data + b.data  # ∂d/∂b directly (c) and through c (b)


def test_leaves_accumulate_and_intermediates_are_recomputed() -> None:
    x = Value(2.0)
    h = x * x
    y = h * 3
    y.backward()
    assert (x.grad, h.grad, y.grad) == (12.0, 3.0, 1.0)
    y.backward()
    assert x.grad == 24.0  # exactly 2x on the leaf (micrograd gives 3x here)
    assert (h.grad, y.grad) == (3.0, 1.0)  # intermediates: same as after one call
    zero_grad(y)
    assert (x.grad, h.grad, y.grad) == (0.0, 0.0, 0.0)
    y.backward(grad=0.5)
    assert x.grad == 6.0 and y.grad == 0.5


def test_backward_on_a_leaf_accumulates() -> None:
    x = Value(1.0)
    x.backward()
    x.backward()
    assert x.grad == 2.0


def test_topological_order_has_every_node_once_children_first() -> None:
    a, b = Value(1.0), Value(2.0)
    c = a * b
    d = c + a
    e = d * c
    order = topological_order(e)
    assert len(order) == len(set(order)) == 5
    assert order[-1] is e
    pos = {node: i for i, node in enumerate(order)}
    for node in order:
        for child in node._prev:
            assert pos[child] < pos[node]


def test_a_million_deep_chain() -> None:
    x = Value(1.0)
    z = x
    for _ in range(1_000_000):
        z = z + 1e-6
    z.backward()
    assert x.grad == 1.0
    assert z.data == pytest.approx(2.0)
    del z  # deallocation of the deep chain must not overflow the C stack either


def test_a_200_000_wide_sum_and_dot() -> None:
    xs = [Value(float(i % 7)) for i in range(200_000)]
    total = sum(xs)
    total.backward()
    assert all(x.grad == 1.0 for x in xs)
    ws = [Value(0.5) for _ in range(200_000)]
    d = dot(ws, xs)
    d.backward()
    assert all(w.grad == x.data for w, x in zip(ws, xs))
    assert len(topological_order(d)) == 400_001


def test_dropped_graph_is_freed_by_reference_counting_alone() -> None:
    gc.collect()
    gc.disable()
    try:
        x = Value(0.5)
        h = (x * 2).tanh() + x.exp() * x
        y = dot([h, x], [x, h], 1.0).sigmoid()
        y.backward()
        refs = [weakref.ref(n) for n in topological_order(y)]
        del h, y
        alive = [r() for r in refs if r() is not None]
        assert alive == [x]  # only the leaf we still hold
        assert gc.collect() == 0  # and nothing was left for the cycle collector
    finally:
        gc.enable()


def test_walks_and_backward_from_many_threads_give_the_sequential_results() -> None:
    """8 threads × 200 walks over graphs that share parameters: topological orders, drawings, pure
    gradients and accumulated leaf grads all equal what the same work gives sequentially."""
    import threading

    from autograd_core import draw_dot, gradients

    params = [Value(float(i % 5 - 2), label=f"p{i}") for i in range(12)]  # small integers: sums are exact

    def graph(k: int) -> Value:
        h = dot(params[:6], params[6:], params[k % 12], activation="relu")
        return h * params[(k + 1) % 12] + params[(k + 3) % 12] * params[(k + 5) % 12] * 2

    def work(k: int) -> tuple:
        g = graph(k)
        order = topological_order(g)
        grads = tuple(x.data for x in gradients(g, params))
        g.backward()
        return len(order), len({id(n) for n in order}), grads, draw_dot(g).source.count("->")

    expected = [work(k) for k in range(8 * 200)]
    sequential = [p.grad for p in params]
    for p in params:
        p.grad = 0.0
    results: list = [None] * (8 * 200)

    def run(t: int) -> None:
        for j in range(200):
            k = t * 200 + j
            results[k] = work(k)

    threads = [threading.Thread(target=run, args=(t,)) for t in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == expected
    assert [p.grad for p in params] == sequential
