"""Compiled training: the optimizers' array forms, CompiledTrainer, multi-output programs and fit(compiled=True).

References: the scalar optimizers (`step()` on Values) for the array forms (1e-12), eager `fit` and eager
loops for compiled training (1e-9), the eager graph per sample for multi-output programs.
"""

from __future__ import annotations

import random

import numpy as np
import pytest

import nn
from autograd_core import Value, compile, dot
from nn.optim import Optimizer

OPTIMIZERS = {
    "sgd": lambda ps: nn.SGD(ps, lr=0.1),
    "sgd-wd": lambda ps: nn.SGD(ps, lr=0.1, weight_decay=0.01),
    "momentum": lambda ps: nn.SGD(ps, lr=0.05, momentum=0.9, weight_decay=0.001),
    "nesterov": lambda ps: nn.SGD(ps, lr=0.05, momentum=0.8, nesterov=True),
    "rmsprop": lambda ps: nn.RMSProp(ps, lr=0.01, weight_decay=0.01, momentum=0.5, centered=True),
    "rmsprop-plain": lambda ps: nn.RMSProp(ps, lr=0.01),
    "adam": lambda ps: nn.Adam(ps, lr=0.01, weight_decay=0.01),
    "amsgrad": lambda ps: nn.Adam(ps, lr=0.01, amsgrad=True),
    "adamw": lambda ps: nn.AdamW(ps, lr=lambda k: 0.01 / (1 + k)),
}


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_array_step_equals_scalar_step(name: str) -> None:
    """The same rule on floats and on arrays: same values and state after several steps, to 1e-12."""
    rng = np.random.default_rng(1)
    start = rng.normal(size=7)
    grads = rng.normal(size=(6, 7))
    ps = [Value(v) for v in start]
    scalar = OPTIMIZERS[name](ps)
    for g in grads:
        for p, gi in zip(ps, g):
            p.grad = gi
        scalar.step()
    qs = [Value(v) for v in start]
    arrays = OPTIMIZERS[name](qs)
    theta, state = start.copy(), arrays.array_state(qs)
    for g in grads:
        arrays.array_step(theta, g.copy(), state)
    np.testing.assert_allclose(theta, [p.data for p in ps], rtol=1e-12, atol=1e-15)
    assert arrays.steps == scalar.steps == len(grads)
    arrays.store_array_state(qs, state)
    for p, q in zip(ps, qs):
        assert scalar.state.get(p, {}).keys() == arrays.state.get(q, {}).keys()
        for key, value in scalar.state.get(p, {}).items():
            assert arrays.state[q][key] == pytest.approx(value, rel=1e-12, abs=1e-15)


def test_array_state_continues_scalar_training_and_rejects_partial_state() -> None:
    ps = [Value(0.5), Value(-1.0)]
    opt = nn.Adam(ps, lr=0.1)
    for p in ps:
        p.grad = 1.0
    opt.step()
    state = opt.array_state(ps)
    assert state["exp_avg"].tolist() == pytest.approx([0.1, 0.1])
    opt.state.pop(ps[1])
    with pytest.raises(ValueError, match="no optimizer state"):
        opt.array_state(ps)


def test_an_optimizer_without_an_array_form_is_refused() -> None:
    class Mine(Optimizer):
        def _update(self, p: Value, lr: float) -> None:
            p.data -= lr * p.grad

    p, x = Value(1.0), Value(0.0)
    with pytest.raises(TypeError, match="array form"):
        nn.CompiledTrainer(compile(p * x, [x]), Mine([p], lr=0.1))


# ---- CompiledTrainer -----------------------------------------------------------------------------


def demo(seed: int = 1337) -> tuple[nn.MLP, np.ndarray, np.ndarray]:
    random.seed(seed)
    X, y = nn.make_moons(60, noise=0.1, seed=seed)
    return nn.MLP(2, [8, 8, 1]), X, (2.0 * y - 1.0)


def per_sample_loss(model: nn.MLP) -> tuple[Value, list[Value]]:
    x1, x2, t = Value(0.0), Value(0.0), Value(1.0)
    return nn.hinge([model([x1, x2])], [t]) + 1e-3 * nn.l2(model.parameters()), [x1, x2, t]


def test_trainer_equals_an_eager_loop_and_syncs_values_grads_and_state() -> None:
    model, X, y = demo()
    eager_model, _, _ = demo()
    loss, inputs = per_sample_loss(model)
    trainer = nn.CompiledTrainer(compile(loss, inputs), nn.SGD(model.parameters(), lr=0.2, momentum=0.9))
    before = [p.data for p in model.parameters()]
    losses = trainer.run(X[:, 0], X[:, 1], y, steps=5)
    opt = nn.SGD(eager_model.parameters(), lr=0.2, momentum=0.9)
    eager_losses = []
    for _ in range(5):
        opt.zero_grad()
        total = nn.hinge([eager_model(x) for x in X.tolist()], y) + 1e-3 * nn.l2(eager_model.parameters())
        total.backward()
        opt.step()
        eager_losses.append(total.data)
    assert losses == pytest.approx(eager_losses, rel=1e-9)
    got, want = model.parameters(), eager_model.parameters()
    assert [p.data for p in got] == pytest.approx([p.data for p in want], rel=1e-9, abs=1e-12)
    assert [p.grad for p in got] == pytest.approx([p.grad for p in want], rel=1e-9, abs=1e-12)
    assert [p.data for p in got] != before
    state = trainer.optimizer.state
    assert [state[p]["momentum_buffer"] for p in got] == pytest.approx(
        [opt.state[p]["momentum_buffer"] for p in want], rel=1e-9, abs=1e-12
    )
    # eager steps continue exactly from where the trainer stopped
    for o, m in ((trainer.optimizer, model), (opt, eager_model)):
        o.zero_grad()
        (nn.hinge([m(x) for x in X.tolist()], y)).backward()
        o.step()
    assert [p.data for p in got] == pytest.approx([p.data for p in want], rel=1e-9, abs=1e-12)


def test_values_are_stale_until_sync_and_reload_reads_them_again() -> None:
    model, X, y = demo()
    loss, inputs = per_sample_loss(model)
    p0 = model.parameters()[0]
    with nn.CompiledTrainer(compile(loss, inputs), nn.SGD(model.parameters(), lr=0.5)) as trainer:
        start = p0.data
        trainer.step(X[:, 0], X[:, 1], y)
        assert p0.data == start  # not written back yet
        i = trainer.program.parameters.index(p0)
        assert trainer.values()[i] != start
    assert p0.data == trainer.values()[i]  # the with block synced
    p0.data = 3.0
    trainer.reload()
    assert trainer.values()[i] == 3.0


def test_frozen_and_extra_parameters() -> None:
    """A parameter the optimizer does not hold stays fixed; one the program does not read still decays."""
    w, frozen, unused = Value(0.5), Value(2.0), Value(1.0)
    x = Value(1.0)
    trainer = nn.CompiledTrainer(compile((w * frozen * x) ** 2, [x]), nn.SGD([w, unused], lr=0.1, weight_decay=0.5))
    trainer.run([1.0, -2.0], steps=3)
    ref_w, ref_u = Value(0.5), Value(1.0)
    opt = nn.SGD([ref_w, ref_u], lr=0.1, weight_decay=0.5)
    for _ in range(3):
        opt.zero_grad()
        (((ref_w * 2.0 * 1.0) ** 2 + (ref_w * 2.0 * -2.0) ** 2) * 0.5).backward()
        opt.step()
    assert (w.data, unused.data, frozen.data) == pytest.approx((ref_w.data, ref_u.data, 2.0), rel=1e-12)


# ---- multi-output programs and the L2 instruction ------------------------------------------------


def test_multi_output_program_equals_eager_per_sample() -> None:
    random.seed(3)
    model = nn.MLP(2, [5, 3])
    x1, x2 = Value(0.0), Value(0.0)
    outs = model([x1, x2])
    prog = compile([*outs, outs[0] * outs[1]], [x1, x2])
    X = np.random.default_rng(0).normal(size=(9, 2))
    got = prog.forward(X[:, 0], X[:, 1])
    assert got.shape == (9, 4)
    weights = np.random.default_rng(1).normal(size=(9, 4))
    model.zero_grad()
    prog.backward(grad=weights)
    compiled_grads = [p.grad for p in model.parameters()]
    model.zero_grad()
    for row, wrow in zip(X.tolist(), weights.tolist()):
        o = model(row)
        for value, wv in zip([*o, o[0] * o[1]], wrow):
            value.backward(wv)
    expected = [[*(v.data for v in model(row)), model(row)[0].data * model(row)[1].data] for row in X.tolist()]
    np.testing.assert_allclose(got, expected, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(compiled_grads, [p.grad for p in model.parameters()], rtol=1e-9, atol=1e-12)


def test_l2_is_one_instruction_and_the_demo_program_is_short() -> None:
    model, _, _ = demo()
    loss, inputs = per_sample_loss(model)
    prog = compile(loss, inputs)
    assert [i.op for i in prog.program].count("sdot") == 1
    assert prog.n_instructions <= 12  # 3 dot layers, 2 relus, the hinge, the penalty: not a 100-deep chain
    p, q = Value(0.3), Value(-2.0)
    x = Value(1.0)
    prog2 = compile(dot([p, q, p], [q, q, 2.0], p) * x, [x])  # repeated parameters and a constant weight
    prog2.forward([1.0, 2.0])
    prog2.backward("sum")
    assert (p.grad, q.grad) == pytest.approx((3.0 * (q.data + 2.0 + 1.0), 3.0 * (p.data + 2 * q.data)), rel=1e-12)


def test_generated_source_is_readable_python() -> None:
    model, _, _ = demo()
    loss, inputs = per_sample_loss(model)
    src = compile(loss, inputs).source
    assert src.startswith("def forward(x, s):") and "@" in src and "for " not in src  # straight-line


# ---- fit(compiled=True) ----------------------------------------------------------------------------


def two_fits(make_model, X, y, loss, make_opt, **kw) -> tuple:
    results = []
    for compiled in (False, True):
        model = make_model()
        history = nn.fit(
            model, X, y, loss(model), make_opt(model.parameters()), progress=False, seed=0, compiled=compiled, **kw
        )
        results.append((history, [p.data for p in model.parameters()], [p.grad for p in model.parameters()]))
    return results


@pytest.mark.parametrize("opt", ["adam", "rmsprop", "nesterov"])
@pytest.mark.parametrize("batch_size", [None, 64])
def test_softmax_mlp_on_spirals_trains_compiled_to_the_eager_weights(opt: str, batch_size: int | None) -> None:
    X, y = nn.make_spirals(150, seed=0)
    loss = lambda m: lambda o, t: nn.softmax_cross_entropy(o, t) + 1e-4 * nn.l2(m.parameters())
    (eager, w_e, g_e), (comp, w_c, g_c) = two_fits(
        lambda: nn.MLP(2, [16, 16, 3], rng=0), X, y, loss, OPTIMIZERS[opt], epochs=3, batch_size=batch_size
    )
    assert comp.step_loss == pytest.approx(eager.step_loss, rel=1e-9)
    assert comp.accuracy == eager.accuracy
    np.testing.assert_allclose(w_c, w_e, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(g_c, g_e, rtol=1e-9, atol=1e-12)


def test_multi_output_regression_with_a_2d_target_compiles() -> None:
    X, _ = nn.make_moons(40, seed=1)
    Y = np.stack([X[:, 0] * X[:, 1], X[:, 0] - X[:, 1]], axis=1)
    (eager, w_e, _), (comp, w_c, _) = two_fits(
        lambda: nn.MLP(2, [6, 2], rng=1), X, Y, lambda m: nn.mse, lambda ps: nn.SGD(ps, lr=0.05), epochs=3
    )
    assert comp.loss == pytest.approx(eager.loss, rel=1e-9)
    np.testing.assert_allclose(w_c, w_e, rtol=1e-9, atol=1e-12)


def test_callbacks_see_current_parameters_in_compiled_fit() -> None:
    model, X, y = demo()
    seen = []
    nn.fit(
        model,
        X,
        y,
        nn.hinge,
        nn.SGD(model.parameters(), lr=0.1),
        epochs=3,
        progress=False,
        compiled=True,
        callbacks=[lambda epoch, h: seen.append(model.parameters()[0].data)],
    )
    assert len(set(seen)) == 3 and seen[-1] == model.parameters()[0].data


def test_values_are_written_back_when_training_stops_with_an_exception() -> None:
    model, X, y = demo()

    def stop(epoch: int, history: nn.History) -> None:
        if epoch == 1:
            raise KeyboardInterrupt

    start = model.parameters()[0].data
    with pytest.raises(KeyboardInterrupt):
        nn.fit(
            model,
            X,
            y,
            nn.hinge,
            nn.SGD(model.parameters(), lr=0.1),
            epochs=5,
            progress=False,
            compiled=True,
            callbacks=[stop],
        )
    assert model.parameters()[0].data != start


@pytest.mark.parametrize("loss, bad", [(nn.hinge, 0.0), (nn.binary_cross_entropy, 7.0), (nn.softmax_cross_entropy, 3)])
def test_a_bad_target_anywhere_raises_the_eager_error_in_compiled_mode(loss, bad) -> None:
    X, y = nn.make_moons(20, seed=2)
    y = (2 * y - 1) if loss is nn.hinge else y.astype(float)
    y = np.array(y, dtype=float)
    y[10] = bad
    outputs = 3 if loss is nn.softmax_cross_entropy else 1
    errors = []
    for compiled in (False, True):
        model = nn.MLP(2, [4, outputs], rng=0)
        with pytest.raises(ValueError) as info:
            nn.fit(model, X, y, loss, nn.SGD(model.parameters(), lr=0.1), epochs=1, progress=False, compiled=compiled)
        errors.append(str(info.value))
    assert errors[0] == errors[1]


def test_folded_constant_partials_still_give_nan_where_the_output_is_nan() -> None:
    """± 1 partials are folded into the code, but a NaN output makes its partials NaN, as eager mode does."""
    p, q = Value(0.5), Value(-1.5)
    x = Value(1.0)
    f = lambda x: [p - x, -(q + x), (p * x).tanh() + q]
    prog = compile(f(x), [x])
    column = [1.0, float("nan"), float("inf"), -2.0]
    prog.forward(column)
    prog.backward("sum")
    compiled = [p.grad, q.grad]
    assert np.isnan(compiled).all()  # the NaN sample reaches both through + and − alone
    p.grad = q.grad = 0.0
    for v in column:
        for out in f(Value(v)):
            out.backward()
    np.testing.assert_allclose(compiled, [p.grad, q.grad], rtol=1e-12, equal_nan=True)
    prog.forward([1.0, 2.0])
    p.grad = q.grad = 0.0
    prog.backward("sum")
    assert np.isfinite([p.grad, q.grad]).all()


def test_array_arguments_of_forward_and_backward_are_checked() -> None:
    p, x = Value(2.0), Value(0.0)
    prog = compile([p * x, p + x], [x])
    with pytest.raises(ValueError, match=r"theta must have shape \(1,\)"):
        prog.forward([1.0], theta=np.zeros(2))
    out = prog.forward([1.0, 3.0], theta=np.array([5.0]))
    np.testing.assert_array_equal(out, [[5.0, 6.0], [15.0, 8.0]])  # theta used, not p.data
    with pytest.raises(ValueError, match=r"grad must have the shape of forward's result \(2, 2\)"):
        prog.backward(grad=np.ones(2))
    with pytest.raises(ValueError, match="into must be a float64 array"):
        prog.backward(into=np.zeros(3))
    into = np.zeros(1)
    prog.backward(grad=np.array([[1.0, 0.0], [0.0, 2.0]]), into=into)
    assert into.tolist() == [1.0 + 2.0] and p.grad == 0.0  # ∂(1·x₀p + 2·(p + x₁))/∂p, .grad untouched
