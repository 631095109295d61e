"""nn.train: fit and predict — acceptance on moons and yin-yang, equivalence with a hand-written loop,
History bookkeeping, accuracy rules, progress bar, callbacks and bad input."""

import sys
import warnings

import numpy as np
import pytest

import nn

from nn import (
    MLP,
    SGD,
    Adam,
    History,
    binary_cross_entropy,
    fit,
    hinge,
    l2,
    make_moons,
    make_yinyang,
    mse,
    predict,
    softmax_cross_entropy,
)


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
    history = fit(
        model,
        X,
        y,
        softmax_cross_entropy,
        Adam(model.parameters(), lr=0.03),
        epochs=25,
        batch_size=20,
        progress=False,
        seed=0,
    )
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
    h = fit(
        model,
        X,
        y,
        binary_cross_entropy,
        SGD(model.parameters(), lr=0.1),
        epochs=3,
        batch_size=4,
        progress=False,
        seed=0,
    )
    assert len(h.loss) == len(h.accuracy) == 3
    assert len(h.step_loss) == 3 * 3  # batches of 4, 4, 2
    # epoch loss is the sample-weighted mean of its batch losses
    assert h.loss[0] == pytest.approx((4 * h.step_loss[0] + 4 * h.step_loss[1] + 2 * h.step_loss[2]) / 10)


def test_stochastic_batches_give_one_step_per_sample():
    X, y = make_moons(6, seed=0)
    model = MLP(2, [2, 1], rng=0)
    h = fit(model, X, y, binary_cross_entropy, SGD(model.parameters(), lr=0.1), epochs=2, batch_size=1, progress=False)
    assert len(h.step_loss) == 12


def test_accuracy_rules():
    """Accuracy is scored by what the outputs mean (the loss's `outputs`, or `fit(outputs=...)`):
    margin → sign, logit → > 0, probability → > 0.5, class scores → argmax, regression → none."""
    X = np.array([[0.0, 0.0], [1.0, 1.0]])
    from autograd_core import Value

    def run(outs, y, loss, **kw):
        ps = [Value(0.0)]

        def model(x):  # the output fixed for each row (rows are told apart by their first feature)
            o = outs[int(x[0])]
            return o + 0 * ps[0] if not isinstance(o, list) else [v + 0 * ps[0] for v in o]

        return fit(model, X, y, loss, SGD(ps, lr=0.0), epochs=1, progress=False, **kw).accuracy

    assert run([Value(0.3), Value(-0.2)], [1, -1], hinge) == [1.0]
    assert run([Value(0.3), Value(0.2)], [0, 1], binary_cross_entropy) == [0.5]  # threshold 0
    assert run([Value(0.3), Value(0.7)], [0, 1], mse) == []  # mse means regression ...
    assert run([Value(0.3), Value(0.7)], [0, 1], mse, outputs="probability") == [1.0]  # ... unless told: 0.5
    assert run([[Value(1.0), Value(2.0)], [Value(3.0), Value(0.0)]], [1, 1], softmax_cross_entropy) == [0.5]
    assert run([Value(0.3), Value(0.7)], [0.25, 1.5], mse) == []
    assert run([Value(0.3), Value(-0.2)], [1.0, -1.0], mse, outputs="margin") == [1.0]


def test_wrapped_loss_accuracy_is_never_guessed_by_identity():
    """Issue 10 item 3: a lambda around binary_cross_entropy used to be thresholded at 0.5 (a perfect
    classifier on logits reported at 50 %). Now: stated outputs score it right; unstated, no accuracy
    and a warning saying what to pass; functools.wraps carries the loss's meaning."""
    import functools

    from autograd_core import Value

    X, y = np.array([[-0.3], [0.3], [-0.2], [0.2]]), np.array([0, 1, 0, 1])
    w = Value(1.0)

    class Model:  # logit = w·x: a perfect classifier at threshold 0, 50 % at threshold 0.5
        def __call__(self, x):
            return w * x[0]

        def parameters(self):
            return [w]

    model = Model()
    logits = predict(model, X)

    def wrapped(o, t):
        return binary_cross_entropy(o, t) + 1e-4 * l2(model.parameters())

    stated = fit(model, X, y, wrapped, SGD(model.parameters(), lr=0.0), epochs=1, progress=False, outputs="logit")
    assert stated.accuracy == [1.0]
    with pytest.warns(RuntimeWarning, match="outputs='logit'"):
        unstated = fit(model, X, y, wrapped, SGD(model.parameters(), lr=0.0), epochs=1, progress=False)
    assert unstated.accuracy == []
    carried = functools.wraps(binary_cross_entropy)(wrapped)
    assert carried.outputs == "logit"
    assert fit(model, X, y, carried, SGD(model.parameters(), lr=0.0), epochs=1, progress=False).accuracy == [1.0]
    assert (predict(model, X, outputs="logit") == y).all()
    assert predict(model, X, outputs="probability").tolist() == (logits > 0.5).astype(int).tolist()


def test_loss_outputs_attribute_and_bad_outputs_argument():
    assert (mse.outputs, binary_cross_entropy.outputs, hinge.outputs, softmax_cross_entropy.outputs) == (
        "regression",
        "logit",
        "margin",
        "class_scores",
    )
    X, y = make_moons(10, seed=0)
    model = MLP(2, [3, 1], rng=0)
    opt = SGD(model.parameters(), lr=0.1)
    with pytest.raises(ValueError, match="outputs must be one of 'logit'"):
        fit(model, X, y, mse, opt, epochs=1, progress=False, outputs="logits")
    with pytest.raises(ValueError, match="outputs='margin' needs -1/1 labels"):
        fit(model, X, y, mse, opt, epochs=1, progress=False, outputs="margin")
    with pytest.raises(ValueError, match="outputs='class_scores' needs a model with one output per class"):
        fit(model, X, y, mse, opt, epochs=1, progress=False, outputs="class_scores")
    with pytest.raises(ValueError, match="does not fit model outputs of shape"):
        predict(model, X, outputs="class_scores")


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

    h = fit(
        model, X, y, binary_cross_entropy, SGD(model.parameters(), lr=0.1), epochs=10, progress=False, callbacks=[cb]
    )
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
        outputs = {"hinge": "margin", "binary_cross_entropy": "logit", "mse": "probability"}[loss_name]
        history = nn.fit(
            model,
            X,
            y,
            loss,
            opt,
            epochs=4,
            batch_size=batch_size,
            progress=False,
            seed=0,
            compiled=compiled,
            outputs=outputs,
        )
        results.append((history, [p.data for p in model.parameters()]))
    (eager, w_eager), (comp, w_comp) = results
    assert comp.step_loss == pytest.approx(eager.step_loss, rel=1e-9, abs=1e-12)
    assert comp.loss == pytest.approx(eager.loss, rel=1e-9, abs=1e-12)
    assert comp.accuracy == eager.accuracy and len(eager.accuracy) == 4
    assert w_comp == pytest.approx(w_eager, rel=1e-9, abs=1e-12)


def test_compiled_fit_falls_back_with_a_warning() -> None:
    Xm, ym = nn.make_moons(20, seed=0)
    model = nn.MLP(2, [4, 1], rng=0)
    summed = lambda o, t: nn.mse(o, t) * len(o)  # noqa: E731  (a sum, not a mean, over the batch)
    with pytest.warns(RuntimeWarning, match="not the batch mean"):
        nn.fit(
            model,
            Xm,
            ym,
            summed,
            nn.SGD(model.parameters(), lr=0.01),
            epochs=1,
            progress=False,
            compiled=True,
            outputs="regression",
        )


def _sorted_moons():
    X, y = nn.make_moons(40, noise=0.1, seed=0)
    order = np.argsort(y, kind="stable")  # the first rows all of class 0
    return X[order], y[order].astype(float)


@pytest.mark.parametrize(
    "loss",
    [
        # a Python branch on the target: traced once for the first row's label, wrong for every other class
        lambda o, t: sum((oi - ti) ** 2 if ti < 0.5 else abs(oi - ti) for oi, ti in zip(o, t)) / len(o),
        lambda o, t: sum((oi - ti) ** 2 if float(ti) == 0.0 else abs(oi - ti) for oi, ti in zip(o, t)) / len(o),
        # a Python branch on the output (max compares Values)
        lambda o, t: sum(max(oi, 0.0 * oi) + (oi - ti) ** 2 for oi, ti in zip(o, t)) / len(o),
    ],
    ids=["target <", "float(target) ==", "max(output)"],
)
def test_compiled_fit_never_trains_a_branch_of_the_loss_taken_for_one_row(loss) -> None:
    """A compiled program follows the graph traced for one row; a loss that branches in Python on the
    data would be traced for that row's branch only. fit(compiled=True) used to check the trace on the
    first 3 rows (here all of one class) and then train the wrong loss silently; now it falls back."""
    X, y = _sorted_moons()
    histories = []
    for compiled in (False, True):
        model = nn.MLP(2, [4, 1], rng=0)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            histories.append(
                nn.fit(
                    model,
                    X,
                    y,
                    loss,
                    nn.SGD(model.parameters(), lr=0.1),
                    epochs=3,
                    progress=False,
                    compiled=compiled,
                    shuffle=False,
                    outputs="regression",
                )
            )
        if compiled:
            assert any("training eagerly" in str(w.message) for w in caught)
    assert histories[0].loss == pytest.approx(histories[1].loss, rel=1e-12)


# ---- misuse and divergence: the same error in eager and compiled mode (issue 10 items 1, 2, 5, 12) --------


def _fit_both(X, y, loss=binary_cross_entropy, nouts=(4, 1), **kw):
    """fit eagerly and compiled from the same start; returns [(exception type, message) or History, ...]."""
    import warnings

    results = []
    for compiled in (False, True):
        model = MLP(2, list(nouts), rng=0)
        args = dict(optimizer=SGD(model.parameters(), lr=0.1), epochs=3, progress=False, compiled=compiled)
        args.update(kw)
        before = model.state_dict()
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                results.append(fit(model, X, y, loss, **args))
        except Exception as e:  # noqa: BLE001  (the point is to compare whatever is raised)
            assert model.state_dict() == before, "a rejected fit must not change the model"
            results.append((type(e), str(e)))
    return results


X8, Y8 = make_moons(12, noise=0.1, seed=0)


def _with(a, index, value):
    a = np.array(a, dtype=np.float64)
    a[index] = value
    return a


@pytest.mark.parametrize(
    "X, y, loss, kw, error, match",
    [
        # item 1: non-finite data, named by row and column
        (_with(X8, (5, 1), np.nan), Y8, binary_cross_entropy, {}, ValueError, "X holds nan at row 5, column 1"),
        (_with(X8, (0, 0), np.inf), Y8, mse, {}, ValueError, "X holds inf at row 0, column 0"),
        (X8, _with(Y8, 7, np.nan), mse, {}, ValueError, "y holds nan at row 7"),
        # item 2: every target under the loss, not just the first rows
        (X8, _with(Y8, 10, 7.0), binary_cross_entropy, {}, ValueError, r"targets\[10\] = 7.0"),
        (X8, _with(2 * Y8 - 1, 10, 0.0), hinge, {}, ValueError, r"hinge: targets must be -1 or 1; targets\[10\] = 0.0"),
        (X8, _with(2 * Y8 - 1, 11, 0.5), hinge, {"batch_size": 4}, ValueError, r"targets\[11\] = 0.5"),
        # item 12
        (X8, Y8.reshape(-1, 1), binary_cross_entropy, {}, ValueError, r"shape \(12, 1\).*y.ravel\(\)"),
        (X8, np.array(1.0), binary_cross_entropy, {}, ValueError, "one target per row of X"),
        (X8, Y8, binary_cross_entropy, {"batch_size": "4"}, ValueError, "batch_size .* got '4'"),
        (X8, Y8, binary_cross_entropy, {"optimizer": None}, TypeError, r"optimizer must have step\(\) and zero_grad"),
        (X8, {i: 0 for i in range(12)}, mse, {}, TypeError, "y must be an array .* got a dict"),
        (set(map(tuple, X8.tolist())), Y8, mse, {}, TypeError, "X must be an array .* got a set"),
        (X8, Y8, mse, {"callbacks": print}, TypeError, "callbacks must be a list"),
        (X8, Y8, mse, {"epochs": 2.5}, ValueError, "epochs must be an int"),
        (X8, Y8, lambda o, t: 0.0, {}, TypeError, "must return a Value"),
        (X8, [[1.0, "a"]] * 12, mse, {}, TypeError, "y must hold numbers"),
        # complex data: never its real part silently (numpy would drop the imaginary part with only a warning)
        (X8 + 1j, Y8, binary_cross_entropy, {}, TypeError, "X must hold real numbers, got complex"),
    ],
)
def test_misuse_raises_the_same_error_eager_and_compiled(X, y, loss, kw, error, match):
    eager, compiled = _fit_both(X, y, loss, **kw)
    assert eager == compiled
    assert eager[0] is error
    import re

    assert re.search(match, eager[1]), eager[1]


@pytest.mark.parametrize(
    "y, match",
    [
        ([0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, np.nan], r"y holds nan at row 11"),
        ([0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 3], r"targets\[11\] = 3;"),
        ([0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 1.5], r"targets\[11\] = 1.5"),
    ],
)
def test_softmax_targets_checked_up_front(y, match):
    eager, compiled = _fit_both(X8, np.array(y), softmax_cross_entropy, nouts=(4, 3), batch_size=4)
    assert eager == compiled and eager[0] is ValueError
    import re

    assert re.search(match, eager[1]), eager[1]


def test_non_finite_parameters_before_training_are_rejected():
    model = MLP(2, [3, 1], rng=0)
    model.layers[0].neurons[1].w[0].data = float("nan")
    with pytest.raises(ValueError, match="parameter 'layers.0.neurons.1.w.0' is nan before training"):
        fit(model, X8, Y8, binary_cross_entropy, SGD(model.parameters(), lr=0.1), epochs=1, progress=False)


def test_an_optimizer_of_another_model_is_rejected():
    model, other = MLP(2, [3, 1], rng=0), MLP(2, [3, 1], rng=1)
    with pytest.raises(ValueError, match="holds none of the model's parameters"):
        fit(model, X8, Y8, binary_cross_entropy, SGD(other.parameters(), lr=0.1), epochs=1, progress=False)


@pytest.mark.parametrize("compiled", [False, True])
@pytest.mark.parametrize("batch_size", [None, 10])
def test_divergence_stops_with_the_last_finite_parameters(compiled, batch_size):
    """Issue 10 item 1: lr far too large. The run stops at the first non-finite loss or gradient with a
    DivergenceError naming epoch and step; the parameters are those before that step (the same as a
    run of exactly the steps that succeeded), and the History so far is on the exception."""
    X, y = make_moons(40, noise=0.1, seed=0)

    def run(epochs):
        model = MLP(2, [8, 1], rng=0)
        opt = SGD(model.parameters(), lr=1e6)
        return model, fit(
            model, X, y, mse, opt, epochs=epochs, batch_size=batch_size, progress=False, seed=0, compiled=compiled
        )

    with pytest.raises(nn.DivergenceError, match=r"diverged at epoch \d+, step \d of the epoch .*smaller") as info:
        model, _ = run(200)
    e = info.value
    assert isinstance(e, FloatingPointError)
    per_epoch = 1 if batch_size is None else 4
    assert e.epoch == e.step // per_epoch and e.step == len(e.history.step_loss) > 0
    assert len(e.history.loss) == e.epoch
    assert all(np.isfinite(e.history.step_loss))
    if batch_size is None:  # one step per epoch: a run of e.step epochs ends where the failed run stopped
        ref, history = run(e.step)
        assert history.step_loss == e.history.step_loss


@pytest.mark.parametrize("compiled", [False, True])
def test_divergence_leaves_the_model_at_its_last_finite_parameters(compiled):
    X, y = make_moons(40, noise=0.1, seed=0)
    model = MLP(2, [8, 1], rng=0)
    seen = []
    with pytest.raises(nn.DivergenceError) as info:
        fit(
            model,
            X,
            y,
            mse,
            SGD(model.parameters(), lr=1e6),
            epochs=200,
            progress=False,
            compiled=compiled,
            callbacks=[lambda epoch, h: seen.append(model.state_dict())],
        )
    assert all(np.isfinite(p.data) for p in model.parameters())
    assert model.state_dict() == seen[-1]  # full batch: the state after the last successful epoch
    assert len(seen) == info.value.step


@pytest.mark.parametrize("compiled", [False, True])
@pytest.mark.filterwarnings("ignore:fit\\(compiled=True\\)")
def test_divergence_on_the_first_step_changes_nothing(compiled):
    X, y = make_moons(20, noise=0.1, seed=0)
    model = MLP(2, [4, 1], rng=0)
    model.layers[0].neurons[0].w[0].data = 1e200  # finite, but the loss overflows
    before = model.state_dict()
    with pytest.raises(nn.DivergenceError, match="epoch 0, step 0 .*the (loss|gradient)") as info:
        fit(model, X, y * 1e200, mse, SGD(model.parameters(), lr=0.1), epochs=3, progress=False, compiled=compiled)
    assert model.state_dict() == before
    assert info.value.history.step_loss == [] and info.value.history.loss == []
    # no update has happened, so the learning rate cannot be to blame: the message says what can
    assert "learning rate is probably too large" not in str(info.value)
    assert "before any update" in str(info.value) and "scale" in str(info.value)


def test_an_update_that_overflows_is_undone():
    """Finite loss and gradient, but lr·g overflows: the parameter goes back to its value before."""
    from autograd_core import Value

    w = Value(0.5)

    class Model:
        def __call__(self, x):
            return w * x[0]

        def parameters(self):
            return [w]

    X, y = np.ones((4, 1)), np.full(4, 1000.0)  # ∂L/∂w = 2(w − 1000) ≈ −2000, lr·g = −2e311
    with pytest.raises(nn.DivergenceError, match="epoch 0, step 0 .*the update made parameter #0 non-finite"):
        fit(Model(), X, y, mse, SGD([w], lr=1e308), epochs=3, progress=False)
    assert w.data == 0.5


# ---- property: eager and compiled fit agree on good input and fail alike on bad input -------------------

from hypothesis import given  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

LOSSES = {
    "mse": mse,
    "binary_cross_entropy": binary_cross_entropy,
    "hinge": hinge,
    "softmax_cross_entropy": softmax_cross_entropy,
}
CORRUPTIONS = [None, "nan in X", "inf in y", "bad target", "y of shape (n, 1)", "batch_size as str", "huge lr"]


@st.composite
def training_runs(draw):
    loss = draw(st.sampled_from(sorted(LOSSES)))
    n, nin = draw(st.integers(1, 10)), draw(st.integers(1, 3))
    nouts = [*draw(st.lists(st.integers(1, 4), max_size=2)), 3 if loss == "softmax_cross_entropy" else 1]
    X = np.array(draw(st.lists(st.lists(st.floats(-2, 2), min_size=nin, max_size=nin), min_size=n, max_size=n)))
    labels = {
        "mse": st.floats(-3, 3),
        "binary_cross_entropy": st.sampled_from([0.0, 1.0, 0.25]),
        "hinge": st.sampled_from([-1.0, 1.0]),
        "softmax_cross_entropy": st.sampled_from([0, 1, 2]),
    }[loss]
    y = np.array(draw(st.lists(labels, min_size=n, max_size=n)))
    run = dict(
        loss=loss,
        X=X,
        y=y,
        nouts=nouts,
        seed=draw(st.integers(0, 99)),
        batch_size=draw(st.one_of(st.none(), st.integers(1, n))),
        epochs=draw(st.integers(1, 3)),
        optimizer=draw(st.sampled_from(["SGD", "Adam"])),
        lr=draw(st.sampled_from([0.01, 0.1])),
        corruption=draw(st.sampled_from(CORRUPTIONS)),
        row=draw(st.integers(0, n - 1)),
    )
    return run


def _corrupt(run):
    X, y, kw = run["X"].copy(), run["y"].astype(np.float64), {}
    i, what = run["row"], run["corruption"]
    if what == "nan in X":
        X[i, -1] = np.nan
    elif what == "inf in y":
        y[i] = np.inf
    elif what == "bad target":
        y[i] = {"mse": np.nan, "binary_cross_entropy": 7.0, "hinge": 0.0, "softmax_cross_entropy": 3.5}[run["loss"]]
    elif what == "y of shape (n, 1)":
        y = y.reshape(-1, 1)
    elif what == "batch_size as str":
        kw["batch_size"] = "2"
    elif what == "huge lr":
        kw["lr"] = 1e300
    return X, y, kw


@given(training_runs())
def test_property_eager_and_compiled_fit_agree(run):
    import warnings

    X, y, kw = _corrupt(run)
    results = []
    for compiled in (False, True):
        model = MLP(X.shape[1], run["nouts"], rng=run["seed"])
        opt = getattr(nn, run["optimizer"])(model.parameters(), lr=kw.get("lr", run["lr"]))
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                h = fit(
                    model,
                    X,
                    y,
                    LOSSES[run["loss"]],
                    opt,
                    epochs=run["epochs"],
                    progress=False,
                    seed=0,
                    batch_size=kw.get("batch_size", run["batch_size"]),
                    compiled=compiled,
                )
            results.append((h, [p.data for p in model.parameters()]))
        except (TypeError, ValueError, FloatingPointError) as e:
            results.append((type(e), str(e), [p.data for p in model.parameters()]))
    (eager, compiled) = results
    if run["corruption"] is None:
        assert compiled[0].step_loss == pytest.approx(eager[0].step_loss, rel=1e-9, abs=1e-12)
        assert compiled[0].accuracy == eager[0].accuracy
        assert compiled[1] == pytest.approx(eager[1], rel=1e-9, abs=1e-12)
        return
    if run["corruption"] == "huge lr":  # lr·(rounding noise of an exact-0 gradient) may or may not overflow
        assert all(r[0] is nn.DivergenceError or isinstance(r[0], History) for r in results)
        assert np.all(np.isfinite(eager[-1])) and np.all(np.isfinite(compiled[-1]))
        return
    assert isinstance(eager[0], type) and eager[0] is compiled[0], (run["corruption"], eager[:2], compiled[:2])
    assert np.all(np.isfinite(eager[2])) and np.all(np.isfinite(compiled[2]))
    if eager[0] is not nn.DivergenceError:  # rejected up front: the same message, nothing trained
        assert eager[1] == compiled[1]
        assert eager[2] == compiled[2] == [p.data for p in MLP(X.shape[1], run["nouts"], rng=run["seed"]).parameters()]


def test_accuracy_rule_takes_values_or_score_arrays():
    """The same rule serves eager outputs (Values) and a compiled loop's score arrays."""
    from autograd_core import Value

    from nn.validation import accuracy_rule

    y = np.array([0, 1, 1])
    rule = accuracy_rule("logit", y)
    assert rule([Value(-1.0), Value(0.2), Value(-0.1)], y) == rule(np.array([-1.0, 0.2, -0.1]), y) == 2
    rule = accuracy_rule("class_scores", y)
    assert rule([[Value(1.0), Value(0.0)], [Value(0.0), Value(1.0)]], [0, 0]) == rule(np.eye(2), [0, 0]) == 1
    assert accuracy_rule("regression", y) is None and accuracy_rule("logit", np.array([0.25, 1.0])) is None
