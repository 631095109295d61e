"""nn.train: fit and predict — acceptance on moons and yin-yang, equivalence with a hand-written loop,
History bookkeeping, accuracy rules, progress bar, callbacks and bad input."""

import sys

import numpy as np
import pytest

import nn

from nn import (MLP, SGD, Adam, binary_cross_entropy, fit, hinge, l2, make_moons, make_yinyang, mse, predict,
                softmax_cross_entropy)


def test_adam_trains_moons_to_90_percent():
    X, y = make_moons(100, noise=0.1, seed=0)
    model = MLP(2, [8, 8, 1], rng=0)
    history = fit(model, X, y, binary_cross_entropy, Adam(model.parameters(), lr=0.05), epochs=30, progress=False)
    assert history.accuracy[-1] >= 0.9
    assert history.loss[-1] < history.loss[0]
    X_test, y_test = make_moons(200, noise=0.1, seed=1)
    assert np.mean((predict(model, X_test) > 0) == y_test) >= 0.9


def test_softmax_mlp_learns_three_class_yinyang():
    X, y = make_yinyang(120, seed=0)
    model = MLP(2, [8, 8, 3], rng=0)
    history = fit(model, X, y, softmax_cross_entropy, Adam(model.parameters(), lr=0.03), epochs=25,
                  batch_size=20, progress=False, seed=0)
    assert history.accuracy[-1] >= 0.9
    X_test, y_test = make_yinyang(300, seed=1)
    assert np.mean(predict(model, X_test).argmax(axis=1) == y_test) >= 0.8  # chance is 1/3


def test_fit_is_exactly_the_hand_written_loop():
    X, y = make_moons(40, noise=0.1, seed=2)
    y = 2 * y - 1

    def loss(out, t):
        return hinge(out, t) + 1e-4 * l2(a.parameters())

    a = MLP(2, [4, 4, 1], rng=5)
    history = fit(a, X, y, loss, SGD(a.parameters(), lr=0.1), epochs=5, progress=False)

    b = MLP(2, [4, 4, 1], rng=5)
    opt = SGD(b.parameters(), lr=0.1)
    hand = []
    for _ in range(5):
        scores = [b(x) for x in X.tolist()]
        value = hinge(scores, y) + 1e-4 * l2(b.parameters())
        opt.zero_grad()
        value.backward()
        opt.step()
        hand.append(value.data)
    assert history.step_loss == hand
    assert history.loss == hand  # full batch: one step per epoch
    assert a.state_dict() == b.state_dict()


def test_history_lengths_for_minibatches():
    X, y = make_moons(10, seed=0)
    model = MLP(2, [3, 1], rng=0)
    h = fit(model, X, y, binary_cross_entropy, SGD(model.parameters(), lr=0.1), epochs=3, batch_size=4,
            progress=False, seed=0)
    assert len(h.loss) == len(h.accuracy) == 3
    assert len(h.step_loss) == 3 * 3  # batches of 4, 4, 2
    # epoch loss is the sample-weighted mean of its batch losses
    assert h.loss[0] == pytest.approx((4 * h.step_loss[0] + 4 * h.step_loss[1] + 2 * h.step_loss[2]) / 10)


def test_stochastic_batches_give_one_step_per_sample():
    X, y = make_moons(6, seed=0)
    model = MLP(2, [2, 1], rng=0)
    h = fit(model, X, y, binary_cross_entropy, SGD(model.parameters(), lr=0.1), epochs=2, batch_size=1,
            progress=False)
    assert len(h.step_loss) == 12


def test_accuracy_rules():
    """Binary accuracy from sign (±1 labels) or threshold (0/1: 0 for logits, 0.5 for mse);
    multi-class from argmax; none for regression targets."""
    X = np.array([[0.0, 0.0], [1.0, 1.0]])

    class Fixed:
        def __init__(self, outs):
            self.outs = iter(outs)

        def __call__(self, x):
            return next(self.outs)

    from autograd_core import Value

    def run(outs, y, loss):
        ps = [Value(0.0)]
        model = Fixed([o + 0 * ps[0] if not isinstance(o, list) else [v + 0 * ps[0] for v in o] for o in outs])
        return fit(model, X, y, loss, SGD(ps, lr=0.0), epochs=1, progress=False).accuracy

    assert run([Value(0.3), Value(-0.2)], [1, -1], hinge) == [1.0]
    assert run([Value(0.3), Value(0.2)], [0, 1], binary_cross_entropy) == [0.5]  # threshold 0
    assert run([Value(0.3), Value(0.7)], [0, 1], mse) == [1.0]  # threshold 0.5
    assert run([[Value(1.0), Value(2.0)], [Value(3.0), Value(0.0)]], [1, 1], softmax_cross_entropy) == [0.5]
    assert run([Value(0.3), Value(0.7)], [0.25, 1.5], mse) == []


def test_progress_bar_shows_loss(capsys):
    pytest.importorskip("tqdm")
    X, y = make_moons(8, seed=0)
    model = MLP(2, [2, 1], rng=0)
    fit(model, X, y, binary_cross_entropy, SGD(model.parameters(), lr=0.1), epochs=2)
    err = capsys.readouterr().err
    assert "loss=" in err and "acc=" in err and "2/2" in err
    fit(model, X, y, binary_cross_entropy, SGD(model.parameters(), lr=0.1), epochs=2, progress=False)
    assert capsys.readouterr().err == ""


def test_fit_without_tqdm_installed(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "tqdm", None)  # import tqdm now raises ImportError
    X, y = make_moons(8, seed=0)
    model = MLP(2, [2, 1], rng=0)
    h = fit(model, X, y, binary_cross_entropy, SGD(model.parameters(), lr=0.1), epochs=2, progress=True)
    assert len(h.loss) == 2 and capsys.readouterr().err == ""


def test_callbacks_see_history_and_can_stop():
    X, y = make_moons(8, seed=0)
    model = MLP(2, [2, 1], rng=0)
    seen = []

    def cb(epoch, history):
        seen.append((epoch, len(history.loss)))
        return epoch == 2

    h = fit(model, X, y, binary_cross_entropy, SGD(model.parameters(), lr=0.1), epochs=10, progress=False,
            callbacks=[cb])
    assert seen == [(0, 1), (1, 2), (2, 3)]
    assert len(h.loss) == 3


def test_predict_shapes():
    X = np.array([[0.0, 1.0], [2.0, 3.0], [1.0, 1.0]])
    one, three = MLP(2, [3, 1], rng=0), MLP(2, [3, 3], rng=0)
    p1, p3 = predict(one, X), predict(three, X)
    assert p1.shape == (3,) and p3.shape == (3, 3)
    assert p1[1] == one(X[1]).data
    assert p3[2].tolist() == [v.data for v in three(X[2])]
    with pytest.raises(ValueError, match="2-D"):
        predict(one, X[0])


def test_fit_bad_input():
    model = MLP(2, [2, 1], rng=0)
    opt = SGD(model.parameters(), lr=0.1)
    with pytest.raises(ValueError, match="5 samples but 4 labels"):
        fit(model, np.zeros((5, 2)), np.zeros(4), mse, opt, epochs=1, progress=False)
    with pytest.raises(ValueError, match="2-D"):
        fit(model, np.zeros(5), np.zeros(5), mse, opt, epochs=1, progress=False)
    with pytest.raises(ValueError, match="epochs"):
        fit(model, np.zeros((5, 2)), np.zeros(5), mse, opt, epochs=-1, progress=False)
    with pytest.raises(ValueError, match="expected 2 inputs, got 3"):
        fit(model, np.zeros((5, 3)), np.zeros(5), mse, opt, epochs=1, progress=False)
    with pytest.raises(TypeError, match="must return a Value"):
        fit(model, np.zeros((5, 2)), np.zeros(5), lambda o, t: 0.0, opt, epochs=1, progress=False)
    with pytest.raises(TypeError, match="y must hold numbers"):
        fit(model, np.zeros((2, 2)), np.array(["a", "b"]), mse, opt, epochs=1, progress=False)
    with pytest.raises(ValueError, match="empty"):
        fit(model, np.zeros((0, 2)), np.zeros(0), mse, opt, epochs=1, progress=False)


# ---- fit(compiled=True) ------------------------------------------------------------------------------


@pytest.mark.parametrize("batch_size", [None, 16])
@pytest.mark.parametrize("loss_name", ["hinge", "binary_cross_entropy", "mse"])
def test_compiled_fit_matches_eager_fit(loss_name: str, batch_size: int | None) -> None:
    """Same data, same initial weights, same batches: the same losses and weights to 1e-9."""
    X, y = nn.make_moons(48, noise=0.1, seed=3)
    if loss_name == "hinge":
        y = 2 * y - 1
    base = getattr(nn, loss_name)
    results = []
    for compiled in (False, True):
        model = nn.MLP(2, [6, 6, 1], rng=5)
        loss = lambda o, t, model=model: base(o, t) + 1e-3 * nn.l2(model.parameters())  # noqa: E731
        opt = nn.SGD(model.parameters(), lr=0.1, momentum=0.9)
        history = nn.fit(model, X, y, loss, opt, epochs=4, batch_size=batch_size, progress=False, seed=0,
                         compiled=compiled)
        results.append((history, [p.data for p in model.parameters()]))
    (eager, w_eager), (comp, w_comp) = results
    assert comp.step_loss == pytest.approx(eager.step_loss, rel=1e-9, abs=1e-12)
    assert comp.loss == pytest.approx(eager.loss, rel=1e-9, abs=1e-12)
    assert comp.accuracy == eager.accuracy
    assert w_comp == pytest.approx(w_eager, rel=1e-9, abs=1e-12)


def test_compiled_fit_falls_back_with_a_warning() -> None:
    Xm, ym = nn.make_moons(20, seed=0)
    model = nn.MLP(2, [4, 1], rng=0)
    summed = lambda o, t: nn.mse(o, t) * len(o)  # noqa: E731  (a sum, not a mean, over the batch)
    with pytest.warns(RuntimeWarning, match="not the batch mean"):
        nn.fit(model, Xm, ym, summed, nn.SGD(model.parameters(), lr=0.01), epochs=1, progress=False, compiled=True)
