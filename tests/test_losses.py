"""nn.losses against hand-derived values, finite differences and PyTorch (float64) when installed."""

import math

import numpy as np
import pytest

from autograd_core import Value, gradcheck
from nn import binary_cross_entropy, hinge, l2, mse, softmax_cross_entropy


def vals(xs):
    return [Value(x) for x in xs]


def test_mse_hand_value_and_gradient():
    out = vals([1.0, 2.0, 4.0])
    loss = mse(out, [1.0, 0.0, 1.0])
    assert loss.data == pytest.approx((0 + 4 + 9) / 3)
    loss.backward()
    assert [o.grad for o in out] == pytest.approx([0.0, 2 * 2 / 3, 2 * 3 / 3])


def test_mse_multi_output_means_over_all_numbers():
    loss = mse([vals([1.0, 2.0]), vals([0.0, 0.0])], [[0.0, 0.0], [1.0, 1.0]])
    assert loss.data == pytest.approx((1 + 4 + 1 + 1) / 4)
    with pytest.raises(ValueError, match="2 numbers but its target has 1"):
        mse([vals([1.0, 2.0])], [[0.0]])


def test_targets_as_numpy_arrays_and_single_value():
    out = vals([0.5, -0.5])
    assert mse(out, np.array([1, 0])).data == mse(out, [1.0, 0.0]).data
    assert hinge(out, np.array([1, -1])).data == hinge(out, [1, -1]).data
    assert mse(Value(3.0), 1.0).data == 4.0


@pytest.mark.parametrize(
    "loss, label, dt",
    [
        (mse, 0.25, -2 * (0.7 - 0.25)),  # ∂/∂t (s − t)² = −2(s − t)
        (binary_cross_entropy, 0.25, -0.7),  # ∂/∂t (softplus(s) − t·s) = −s
        (hinge, -1.0, -0.7),  # ∂/∂t relu(1 − t·s) = −s where 1 − t·s > 0
    ],
)
def test_targets_may_be_values(loss, label, dt):
    """A target given as a Value is a graph input: same loss, and it receives a gradient."""
    s, t = Value(0.7), Value(label)
    value = loss([s], [t])
    assert value.data == loss([Value(0.7)], [label]).data
    value.backward()
    assert t.grad == pytest.approx(dt, rel=1e-12)
    with pytest.raises(TypeError, match="class indices"):
        softmax_cross_entropy([vals([1.0, 2.0])], [Value(1.0)])


def test_binary_cross_entropy_hand_values():
    z, y = [0.0, 2.0, -1.0], [1, 0, 1]
    ref = (
        sum(
            -t * math.log(1 / (1 + math.exp(-zi))) - (1 - t) * math.log(1 - 1 / (1 + math.exp(-zi)))
            for zi, t in zip(z, y)
        )
        / 3
    )
    out = vals(z)
    loss = binary_cross_entropy(out, y)
    assert loss.data == pytest.approx(ref, rel=1e-12)
    loss.backward()  # dL/dz = (σ(z) − y) / n
    assert [o.grad for o in out] == pytest.approx([(1 / (1 + math.exp(-zi)) - t) / 3 for zi, t in zip(z, y)])


@pytest.mark.parametrize(
    "z, y, expected, grad",
    [(1000.0, 1, 0.0, 0.0), (1000.0, 0, 1000.0, 1.0), (-1000.0, 1, 1000.0, -1.0), (-1000.0, 0, 0.0, 0.0)],
)
def test_binary_cross_entropy_is_stable_at_large_logits(z, y, expected, grad):
    out = Value(z)
    loss = binary_cross_entropy([out], [y])
    loss.backward()
    assert loss.data == pytest.approx(expected, abs=1e-12)
    assert out.grad == pytest.approx(grad, abs=1e-12)


def test_hinge_is_micrograds_max_margin():
    s, y = [2.0, 0.5, -0.3, -2.0], [1, 1, 1, -1]
    out = vals(s)
    loss = hinge(out, y)
    assert loss.data == pytest.approx((0 + 0.5 + 1.3 + 0) / 4)
    loss.backward()
    assert [o.grad for o in out] == pytest.approx([0.0, -0.25, -0.25, 0.0])


def test_softmax_cross_entropy_hand_value_and_gradient():
    z = vals([1.0, 2.0, 3.0])
    loss = softmax_cross_entropy([z], [0])
    lse = math.log(sum(math.exp(v) for v in (1, 2, 3)))
    assert loss.data == pytest.approx(lse - 1.0, rel=1e-12)
    loss.backward()
    p = [math.exp(v - lse) for v in (1, 2, 3)]
    assert [v.grad for v in z] == pytest.approx([p[0] - 1, p[1], p[2]], rel=1e-12)


def test_softmax_cross_entropy_stable_for_huge_logits():
    z = vals([1000.0, -1000.0, 999.0])
    loss = softmax_cross_entropy([z], [2])
    assert loss.data == pytest.approx(1000.0 + math.log1p(math.exp(-1.0)) - 999.0, rel=1e-12)
    loss.backward()
    assert all(math.isfinite(v.grad) for v in z)


@pytest.mark.parametrize(
    "loss, targets", [(mse, [0.3, -1.0, 2.0]), (binary_cross_entropy, [1, 0, 0.25]), (hinge, [1, -1, 1])]
)
def test_scalar_losses_gradcheck(loss, targets):
    assert gradcheck(lambda *o: loss(list(o), targets), [0.4, -0.8, 0.3])


def test_softmax_cross_entropy_gradcheck():
    def f(*z):
        return softmax_cross_entropy([list(z[:3]), list(z[3:])], [2, 0])

    assert gradcheck(f, [0.1, -0.4, 0.9, 2.0, 1.0, -1.5])


def test_l2_value_and_gradient():
    ps = vals([1.0, -2.0, 3.0])
    r = l2(ps)
    assert r.data == 14.0
    r.backward()
    assert [p.grad for p in ps] == [2.0, -4.0, 6.0]


def test_losses_match_torch_float64():
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    rng = np.random.default_rng(0)
    z = rng.normal(scale=3.0, size=6)
    y01 = np.array([1, 0, 1, 1, 0, 0])
    out = vals(z)
    tz = torch.tensor(z, dtype=torch.float64, requires_grad=True)
    for ours, theirs in [
        (
            binary_cross_entropy(out, y01),
            F.binary_cross_entropy_with_logits(tz, torch.tensor(y01, dtype=torch.float64)),
        ),
        (mse(out, y01), F.mse_loss(tz, torch.tensor(y01, dtype=torch.float64))),
        (hinge(out, 2 * y01 - 1), torch.relu(1 - torch.tensor(2 * y01 - 1) * tz).mean()),
    ]:
        for o in out:
            o.grad = 0.0
        tz.grad = None
        ours.backward()
        theirs.backward()
        assert ours.data == pytest.approx(theirs.item(), rel=1e-12)
        assert [o.grad for o in out] == pytest.approx(tz.grad.tolist(), rel=1e-10, abs=1e-14)

    logits = rng.normal(scale=5.0, size=(4, 3))
    classes = [2, 0, 1, 2]
    rows = [vals(r) for r in logits]
    loss = softmax_cross_entropy(rows, classes)
    loss.backward()
    tl = torch.tensor(logits, dtype=torch.float64, requires_grad=True)
    ref = F.cross_entropy(tl, torch.tensor(classes))
    ref.backward()
    assert loss.data == pytest.approx(ref.item(), rel=1e-12)
    np.testing.assert_allclose([[v.grad for v in r] for r in rows], tl.grad.numpy(), rtol=1e-10, atol=1e-15)


def test_bad_inputs():
    with pytest.raises(ValueError, match="2 outputs but 3 targets"):
        mse(vals([1.0, 2.0]), [1, 2, 3])
    with pytest.raises(ValueError, match="empty batch"):
        mse([], [])
    with pytest.raises(ValueError, match=r"2\*y - 1"):
        hinge(vals([1.0, 2.0]), [0, 1])
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        binary_cross_entropy(vals([1.0]), [-1])
    with pytest.raises(ValueError, match="class index in 0..2"):
        softmax_cross_entropy([vals([1.0, 2.0, 3.0])], [3])
    with pytest.raises(ValueError, match="class index"):
        softmax_cross_entropy([vals([1.0, 2.0, 3.0])], [0.5])
    with pytest.raises(TypeError, match="list of logits"):
        softmax_cross_entropy(vals([1.0, 2.0]), [0, 1])
    with pytest.raises(ValueError, match="no parameters"):
        l2([])


@pytest.mark.parametrize("loss", [mse, binary_cross_entropy, hinge])
def test_numbers_as_outputs_are_a_type_error_that_names_them(loss):
    """The outputs are the model's Values; plain numbers used to fail deep inside (no len(), no .softplus)."""
    with pytest.raises(TypeError, match=rf"{loss.__name__}: outputs\[1\] is a float, not a Value"):
        loss([Value(0.3), 0.3], [1.0, 1.0])


def test_softmax_outputs_with_different_numbers_of_logits_are_refused():
    with pytest.raises(ValueError, match=r"outputs\[1\] has 1 logits but outputs\[0\] has 2"):
        softmax_cross_entropy([vals([1.0, 2.0]), vals([1.0])], [0, 0])


def test_hinge_plus_l2_is_micrograds_demo_loss():
    """micrograd's demo: mean of relu(1 − yᵢ·sᵢ) plus 1e-4·Σ p², on identical weights and data."""
    import random

    mg = pytest.importorskip("micrograd.nn")
    from nn import MLP, make_moons

    X, y = make_moons(30, noise=0.1, seed=0)
    y = 2 * y - 1
    random.seed(3)
    ours = MLP(2, [8, 1])
    random.seed(3)
    theirs = mg.MLP(2, [8, 1])
    scores = [theirs(list(map(float, x))) for x in X]
    losses = [(1 + -int(yi) * si).relu() for yi, si in zip(y, scores)]
    ref = sum(losses) * (1.0 / len(losses)) + 1e-4 * sum(p * p for p in theirs.parameters())
    ref.backward()
    loss = hinge([ours(x) for x in X], y) + 1e-4 * l2(ours.parameters())
    loss.backward()
    assert loss.data == pytest.approx(ref.data, rel=1e-12)
    np.testing.assert_allclose(
        [p.grad for p in ours.parameters()], [p.grad for p in theirs.parameters()], rtol=1e-10, atol=1e-14
    )


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), -float("inf"), 1.5, -1, 3, "1", None, [1]])
def test_softmax_targets_that_are_not_class_indices(bad):
    """Issue 10 item 12: nan / inf used to raise a bare 'cannot convert float NaN to integer' or
    OverflowError; now every bad target is a ValueError naming its index."""
    with pytest.raises(
        ValueError,
        match=r"softmax_cross_entropy: targets must be a class index in 0..2; "
        r"targets\[1\] = ",
    ):
        softmax_cross_entropy([vals([1.0, 2.0, 3.0])] * 2, [0, bad])


@pytest.mark.parametrize(
    "loss, good, bad, match",
    [
        (binary_cross_entropy, 1.0, float("nan"), r"targets\[2\] = nan"),
        (binary_cross_entropy, 1.0, [1.0], r"targets\[2\] = \[1.0\]"),
        (hinge, 1.0, float("nan"), r"targets\[2\] = nan"),
        (hinge, 1.0, "1", r"targets\[2\] = '1'"),
    ],
)
def test_label_checks_name_the_first_bad_target(loss, good, bad, match):
    with pytest.raises(ValueError, match=match + r" \(2 bad targets in all\)"):
        loss(vals([0.5] * 4), [good, good, bad, bad])


@pytest.mark.parametrize("targets", [{0: 1.0, 1: 2.0}, {1.0, 2.0}, "12"])
def test_dict_set_or_string_targets_are_a_type_error(targets):
    """A dict's keys used to be taken as the targets."""
    for loss in (mse, binary_cross_entropy, hinge):
        with pytest.raises(
            TypeError, match=f"targets must be a list, tuple or array .* got a {type(targets).__name__}"
        ):
            loss(vals([1.0, 2.0]), targets)
    with pytest.raises(TypeError, match="outputs must be a list"):
        mse({Value(1.0): 1}, [1.0])


def test_a_number_or_0d_array_target_is_a_batch_of_one():
    for t in (2.0, np.float64(2.0), np.array(2.0), 2):
        assert mse(Value(1.0), t).data == 1.0
    with pytest.raises(ValueError, match="2 outputs but 1 targets"):
        mse(vals([1.0, 2.0]), np.array(2.0))


def test_softmax_with_an_infinite_logit_gives_a_non_finite_loss_not_an_error():
    """NaN policy: an inf logit makes the loss inf (or nan), it does not raise log's domain error
    (the max-shift would compute inf − inf = nan inside the log)."""
    assert softmax_cross_entropy([vals([float("inf"), 0.0])], [1]).data == float("inf")
    assert math.isnan(softmax_cross_entropy([vals([float("inf"), 0.0])], [0]).data)
    assert softmax_cross_entropy([vals([float("-inf"), 0.0])], [1]).data == 0.0
