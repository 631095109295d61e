"""nn.optim: update rules by hand, against torch.optim in float64, and on f(x) = 3x² − 3x + 4."""

import math
import re

import numpy as np
import pytest

import nn
from autograd_core import Value
from nn import SGD, Adam, AdamW, RMSProp, clip_grad_norm, clip_grad_value, cosine, exponential_decay


def one_step(opt_cls, p0, grads, **kw):
    """The parameter's values after each step with the given sequence of gradients."""
    p = Value(p0)
    opt = opt_cls([p], **kw)
    out = []
    for g in grads:
        opt.zero_grad()
        p.grad = g
        opt.step()
        out.append(p.data)
    return out


def test_sgd_by_hand():
    assert one_step(SGD, 1.0, [2.0], lr=0.1) == pytest.approx([0.8])
    # weight decay: g + λp = 2 + 0.5·1
    assert one_step(SGD, 1.0, [2.0], lr=0.1, weight_decay=0.5) == pytest.approx([0.75])
    # momentum: b1 = 2, p = 0.8; b2 = 0.9·2 + 1 = 2.8, p = 0.8 − 0.28
    assert one_step(SGD, 1.0, [2.0, 1.0], lr=0.1, momentum=0.9) == pytest.approx([0.8, 0.52])
    # nesterov: d1 = 2 + 0.9·2 = 3.8; b2 = 2.8, d2 = 1 + 0.9·2.8 = 3.52
    assert one_step(SGD, 1.0, [2.0, 1.0], lr=0.1, momentum=0.9, nesterov=True) == pytest.approx([0.62, 0.268])


def test_rmsprop_by_hand():
    # v = 0.01·4 = 0.04, step = 0.01·2/0.2 = 0.1; then v = 0.99·0.04 + 0.01·4 = 0.0796
    second = 0.9 - 0.01 * 2 / math.sqrt(0.0796)
    assert one_step(RMSProp, 1.0, [2.0, 2.0], eps=0.0) == pytest.approx([0.9, second])
    # centered: ḡ = 0.02, v̂ = 0.04 − 0.0004
    assert one_step(RMSProp, 1.0, [2.0], eps=0.0, centered=True) == pytest.approx([1 - 0.02 / math.sqrt(0.0396)])


def test_adam_by_hand_moves_lr_per_step_under_constant_gradient():
    # bias-corrected m̂ = g and v̂ = g², so each step is lr·g/|g| = lr
    assert one_step(Adam, 1.0, [2.0, 2.0, 2.0], lr=0.1, eps=0.0) == pytest.approx([0.9, 0.8, 0.7], rel=1e-12)
    # eps is used: step = lr·2/(2 + 2)
    assert one_step(Adam, 1.0, [2.0], lr=0.1, eps=2.0) == pytest.approx([0.95])
    # L2 weight decay enters the moments: g = 0 + 1·1 → still a step of lr
    assert one_step(Adam, 1.0, [0.0], lr=0.1, weight_decay=1.0, eps=0.0) == pytest.approx([0.9])


def test_adamw_decays_weights_directly():
    assert one_step(AdamW, 1.0, [0.0], lr=0.1) == pytest.approx([1 - 0.1 * 0.01])  # default λ = 0.01
    assert one_step(AdamW, 2.0, [3.0], lr=0.1, weight_decay=0.5, eps=0.0) == pytest.approx([2 * 0.95 - 0.1])


def test_schedule_is_called_with_the_step_count():
    seen = []

    def lr(step):
        seen.append(step)
        return 0.1 / (step + 1)

    assert one_step(SGD, 0.0, [1.0, 1.0, 1.0], lr=lr) == pytest.approx([-0.1, -0.15, -0.1 - 0.05 - 0.1 / 3])
    assert seen == [0, 1, 2]


def test_state_lives_in_the_optimizer():
    ps = [Value(1.0), Value(2.0)]
    opt = Adam(ps)
    for p in ps:
        p.grad = 1.0
    opt.step()
    assert set(opt.state) == set(ps)
    assert opt.state[ps[0]]["exp_avg"] == pytest.approx(0.1)
    assert not hasattr(ps[0], "__dict__")  # nothing can be stored on a Value


def grad_fn(p):
    """∇ of f(p) = Σ cᵢpᵢ² + dᵢpᵢ + cos pᵢ: nonlinear, so the trajectory depends on every rule."""
    c, d = np.array([1.0, 3.0, 0.5]), np.array([-1.0, 2.0, 0.3])
    return 2 * c * p + d - np.sin(p)


TORCH_CASES = [
    ("SGD", SGD, dict(lr=0.1)),
    ("SGD", SGD, dict(lr=0.05, momentum=0.9, weight_decay=0.1)),
    ("SGD", SGD, dict(lr=0.05, momentum=0.8, nesterov=True)),
    ("RMSprop", RMSProp, dict()),
    ("RMSprop", RMSProp, dict(lr=0.01, alpha=0.9, eps=1e-3, weight_decay=0.1, momentum=0.5, centered=True)),
    ("Adam", Adam, dict()),
    ("Adam", Adam, dict(lr=0.05, betas=(0.8, 0.9), eps=1e-3, weight_decay=0.1, amsgrad=True)),
    ("AdamW", AdamW, dict()),
    ("AdamW", AdamW, dict(lr=0.05, betas=(0.5, 0.95), eps=1e-4, weight_decay=0.5, amsgrad=True)),
]


@pytest.mark.parametrize("torch_name, ours, kw", TORCH_CASES)
def test_matches_torch_optim_float64(torch_name, ours, kw):
    torch = pytest.importorskip("torch")
    p0 = np.array([0.7, -1.3, 2.1])
    ps = [Value(x) for x in p0]
    opt = ours(ps, **kw)
    tp = torch.tensor(p0, dtype=torch.float64, requires_grad=True)
    topt = getattr(torch.optim, torch_name)([tp], **kw)
    for _ in range(25):
        for p, g in zip(ps, grad_fn(np.array([p.data for p in ps]))):
            p.grad = g
        opt.step()
        tp.grad = torch.tensor(grad_fn(tp.detach().numpy()), dtype=torch.float64)
        topt.step()
        np.testing.assert_allclose([p.data for p in ps], tp.detach().numpy(), rtol=1e-12, atol=1e-14)


def test_default_hyperparameters_are_pytorchs():
    torch = pytest.importorskip("torch")
    t = torch.zeros(1, requires_grad=True)
    for name, ours, keys in [
        ("SGD", SGD, ["lr", "momentum", "weight_decay", "nesterov"]),
        ("RMSprop", RMSProp, ["lr", "alpha", "eps", "weight_decay", "momentum", "centered"]),
        ("Adam", Adam, ["lr", "betas", "eps", "weight_decay", "amsgrad"]),
        ("AdamW", AdamW, ["lr", "betas", "eps", "weight_decay", "amsgrad"]),
    ]:
        defaults = getattr(torch.optim, name)([t]).defaults
        opt = ours([Value(0.0)])
        for k in keys:
            assert getattr(opt, k) == pytest.approx(defaults[k]), (name, k)


def test_schedule_matches_torch_lr_scheduler():
    torch = pytest.importorskip("torch")
    p = Value(1.0)
    opt = SGD([p], lr=exponential_decay(0.1, 0.5))
    tp = torch.tensor([1.0], dtype=torch.float64, requires_grad=True)
    topt = torch.optim.SGD([tp], lr=0.1)
    sched = torch.optim.lr_scheduler.ExponentialLR(topt, gamma=0.5)
    for _ in range(6):
        p.grad = 2 * p.data
        opt.step()
        tp.grad = 2 * tp.detach().clone()
        topt.step()
        sched.step()
        assert p.data == pytest.approx(tp.item(), rel=1e-12)


@pytest.mark.parametrize(
    "make, steps",
    [
        (lambda ps: SGD(ps, lr=0.1), 100),
        (lambda ps: SGD(ps, lr=0.02, momentum=0.9), 300),
        (lambda ps: SGD(ps, lr=0.02, momentum=0.9, nesterov=True), 300),
        (lambda ps: RMSProp(ps, lr=cosine(0.05, 500)), 500),
        (lambda ps: Adam(ps, lr=cosine(0.1, 500)), 500),
        (lambda ps: AdamW(ps, lr=cosine(0.1, 500), weight_decay=0.0), 500),
    ],
)
def test_minimises_quadratic(make, steps):
    """f(x) = 3x² − 3x + 4 has its minimum at x = 1/2, built and differentiated by the engine."""
    x = Value(-4.0)
    opt = make([x])
    for _ in range(steps):
        opt.zero_grad()
        f = 3 * x**2 - 3 * x + 4
        f.backward()
        opt.step()
    assert x.data == pytest.approx(0.5, abs=1e-4)


def test_clip_grad_norm_by_hand():
    ps = [Value(0.0) for _ in range(2)]
    ps[0].grad, ps[1].grad = 3.0, 4.0
    assert clip_grad_norm(ps, 1.0) == pytest.approx(5.0)
    assert [p.grad for p in ps] == pytest.approx([0.6, 0.8], rel=1e-6)
    assert clip_grad_norm(ps, 10.0) == pytest.approx(1.0, rel=1e-6)  # below the limit: unchanged
    assert [p.grad for p in ps] == pytest.approx([0.6, 0.8], rel=1e-6)


def test_clip_grad_norm_of_huge_gradients_does_not_overflow_to_zero():
    """Σ gᵢ² overflows above |g| ≈ 1e154: the norm came out inf and every gradient was scaled to 0.0,
    silently (exploding gradients are what clipping is for). ‖(3, 4)·1e200‖ = 5e200."""
    ps = [Value(0.0) for _ in range(2)]
    ps[0].grad, ps[1].grad = 3e200, 4e200
    assert clip_grad_norm(ps, 1.0) == pytest.approx(5e200, rel=1e-15)
    assert [p.grad for p in ps] == pytest.approx([0.6, 0.8], rel=1e-12)
    ps[0].grad, ps[1].grad = math.inf, math.nan  # NaN still propagates (hypot alone would say inf)
    assert math.isnan(clip_grad_norm(ps, 1.0))


def test_clip_grad_norm_matches_torch():
    torch = pytest.importorskip("torch")
    g = np.array([0.3, -2.0, 1.5, 0.1])
    ps = [Value(0.0) for _ in g]
    for p, gi in zip(ps, g):
        p.grad = gi
    t = torch.zeros(4, dtype=torch.float64, requires_grad=True)
    t.grad = torch.tensor(g)
    ref = torch.nn.utils.clip_grad_norm_([t], 0.7)
    assert clip_grad_norm(ps, 0.7) == pytest.approx(ref.item(), rel=1e-12)
    np.testing.assert_allclose([p.grad for p in ps], t.grad.numpy(), rtol=1e-12)


def test_clip_grad_value():
    ps = [Value(0.0) for _ in range(3)]
    for p, g in zip(ps, [-5.0, 0.2, 3.0]):
        p.grad = g
    clip_grad_value(ps, 1.0)
    assert [p.grad for p in ps] == [-1.0, 0.2, 1.0]


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: SGD([Value(0.0)], lr=-1.0), "lr"),
        (lambda: SGD([Value(0.0)], lr=0.1, momentum=-0.5), "momentum"),
        (lambda: SGD([Value(0.0)], lr=0.1, nesterov=True), "nesterov"),
        (lambda: SGD([], lr=0.1), "empty"),
        (lambda: SGD([Value(0.0)] * 2, lr=0.1), "twice"),
        (lambda: Adam([Value(0.0)], betas=(0.9, 1.0)), r"betas\[1\]"),
        (lambda: Adam([Value(0.0)], betas=0.9), "pair"),
        (lambda: Adam([Value(0.0)], eps=-1.0), "eps"),
        (lambda: RMSProp([Value(0.0)], alpha=1.5), "alpha"),
        (lambda: AdamW([Value(0.0)], weight_decay=-0.1), "weight_decay"),
        (lambda: clip_grad_norm([Value(0.0)], -1.0), "max_norm"),
        (lambda: clip_grad_value([Value(0.0)], "1"), "clip"),
    ],
)
def test_bad_hyperparameters(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_non_value_parameters_are_a_type_error():
    with pytest.raises(TypeError, match="parameters must be Values, got float"):
        SGD([1.0], lr=0.1)


def test_schedule_returning_garbage_is_reported():
    p = Value(0.0)
    opt = SGD([p], lr=lambda step: float("nan"))
    with pytest.raises(ValueError, match="schedule returned nan at step 0"):
        opt.step()
    assert p.data == 0.0


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: SGD([Value(0.0)], lr=float("inf")), "lr"),
        (lambda: SGD([Value(0.0)], lr=0.1, momentum=float("inf")), "momentum"),
        (lambda: SGD([Value(0.0)], lr=0.1, weight_decay=float("inf")), "weight_decay"),
        (lambda: Adam([Value(0.0)], lr=float("nan")), "lr"),
        (lambda: Adam([Value(0.0)], eps=float("inf")), "eps"),
        (lambda: RMSProp([Value(0.0)], momentum=float("inf")), "momentum"),
        (lambda: SGD([Value(0.0)], lr=True), "lr"),
    ],
)
def test_non_finite_hyperparameters_are_rejected(call, match):
    """Issue 10 item 11: lr=inf and momentum=inf used to be accepted (every update then inf or nan)."""
    with pytest.raises(ValueError, match=match):
        call()


@pytest.mark.parametrize("bad", [True, False, float("inf"), float("nan"), -0.1, "0.1", None, np.float64("inf")])
def test_schedule_returning_a_non_number_is_rejected_before_any_change(bad):
    p = Value(1.0)
    p.grad = 1.0
    opt = SGD([p], lr=lambda step: bad)
    with pytest.raises(ValueError, match=f"the lr schedule returned {re.escape(repr(bad))} at step 0"):
        opt.step()
    assert p.data == 1.0 and opt.steps == 0


@pytest.mark.parametrize("lr", [np.float32(0.1), np.float64(0.1), 0.1, 1, np.int64(1)])
def test_schedule_returning_a_numpy_number_is_accepted(lr):
    p = Value(1.0)
    p.grad = 1.0
    SGD([p], lr=lambda step: lr).step()
    assert p.data == 1.0 - float(lr)


@pytest.mark.parametrize("name", ["SGD", "RMSProp", "Adam", "AdamW"])
def test_a_non_number_grad_is_refused_before_anything_changes(name: str) -> None:
    params = [Value(1.0), Value(2.0), Value(3.0)]
    opt = getattr(nn, name)(params, lr=0.1)
    for p, g in zip(params, (0.5, 0.25, 0.125)):
        p.grad = g
    opt.step()
    before = [p.data for p in params], opt.steps
    params[2].grad = "x"  # type: ignore[assignment]
    with pytest.raises(TypeError, match=r"parameter 2 has \.grad = 'x' \(str\), not a number"):
        opt.step()
    assert ([p.data for p in params], opt.steps) == before
