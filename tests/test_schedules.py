"""nn.schedules: values by hand and against torch.optim.lr_scheduler; argument checks."""

import pytest

from nn import constant, cosine, exponential_decay, inverse_time_decay, step_decay


def test_constant():
    s = constant(0.1)
    assert [s(t) for t in (0, 1, 1000)] == [0.1, 0.1, 0.1]


def test_step_decay():
    s = step_decay(1.0, step_size=3, gamma=0.5)
    assert [s(t) for t in range(7)] == pytest.approx([1, 1, 1, 0.5, 0.5, 0.5, 0.25])


def test_exponential_decay():
    s = exponential_decay(2.0, 0.9)
    assert [s(t) for t in range(3)] == pytest.approx([2.0, 1.8, 1.62])


def test_inverse_time_decay():
    s = inverse_time_decay(1.0, decay_rate=0.5, decay_steps=10)
    assert [s(t) for t in (0, 10, 20)] == pytest.approx([1.0, 1 / 1.5, 0.5])


def test_cosine_ends_at_min_lr_and_stays():
    s = cosine(1.0, total_steps=10, min_lr=0.1)
    assert s(0) == pytest.approx(1.0)
    assert s(5) == pytest.approx(0.55)
    assert s(10) == pytest.approx(0.1)
    assert s(25) == pytest.approx(0.1)
    assert all(s(t) >= s(t + 1) for t in range(12))


def test_match_torch_schedulers():
    torch = pytest.importorskip("torch")
    sched = torch.optim.lr_scheduler
    cases = [
        (step_decay(0.3, 4, 0.5), lambda o: sched.StepLR(o, 4, 0.5)),
        (exponential_decay(0.3, 0.8), lambda o: sched.ExponentialLR(o, 0.8)),
        (cosine(0.3, 12, 0.01), lambda o: sched.CosineAnnealingLR(o, 12, 0.01)),
    ]
    for ours, make in cases:
        opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.3)
        theirs = make(opt)
        for t in range(13):
            assert ours(t) == pytest.approx(opt.param_groups[0]["lr"], rel=1e-12, abs=1e-15), (ours, t)
            opt.step()
            theirs.step()


def test_repr_names_the_schedule():
    assert repr(cosine(0.1, 100)) == "cosine(lr=0.1, total_steps=100, min_lr=0.0)"


@pytest.mark.parametrize(
    "make, match",
    [
        (lambda: constant(0.0), "lr"),
        (lambda: constant(float("inf")), "lr"),
        (lambda: step_decay(0.1, 0), "step_size"),
        (lambda: step_decay(0.1, 2.5), "step_size"),
        (lambda: step_decay(0.1, 2, gamma=-1.0), "gamma"),
        (lambda: exponential_decay(0.1, 0.0), "gamma"),
        (lambda: inverse_time_decay(0.1, -1.0), "decay_rate"),
        (lambda: inverse_time_decay(0.1, 1.0, decay_steps=0), "decay_steps"),
        (lambda: cosine(0.1, 0), "total_steps"),
        (lambda: cosine(0.1, 10, min_lr=0.2), "min_lr"),
    ],
)
def test_bad_arguments(make, match):
    with pytest.raises(ValueError, match=match):
        make()


@pytest.mark.parametrize("step", [-1, 1.5, "3", True])
def test_bad_step(step):
    with pytest.raises(ValueError, match="step must be an int >= 0"):
        constant(0.1)(step)


@pytest.mark.parametrize(
    "make",
    [
        lambda g: exponential_decay(0.1, g),
        lambda g: step_decay(0.1, 10, gamma=g),
    ],
)
@pytest.mark.parametrize("gamma", [1.1, 2.0, float("inf"), 0.0, -0.5, float("nan")])
def test_decay_gamma_must_lie_in_0_1(make, gamma):
    """Issue 10 item 11: gamma > 1 used to grow the lr until a bare OverflowError ~1,100 steps later."""
    with pytest.raises(ValueError, match=r"gamma must be a number in \(0.0, 1.0\]"):
        make(gamma)


def test_decay_gamma_one_is_constant_and_long_runs_stay_finite():
    assert exponential_decay(0.1, 1.0)(10**6) == 0.1
    assert step_decay(0.1, 3, gamma=1.0)(10**6) == 0.1
    assert exponential_decay(0.1, 0.5)(10**5) == 0.0  # underflows to 0, never an error
