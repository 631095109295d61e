"""nn.module: Module bookkeeping, micrograd compatibility, inputs, initialisers, state_dict."""

import math
import random

import numpy as np
import pytest

from autograd_core import Value, gradcheck
from nn import MLP, Layer, Neuron
from nn.initializers import init_bound


def test_mlp_has_micrograds_parameter_count():
    assert len(MLP(2, [16, 16, 1]).parameters()) == 337


def test_random_seed_reproduces_micrograd_weights_and_outputs():
    mg = pytest.importorskip("micrograd.nn")
    random.seed(1337)
    ours = MLP(2, [16, 16, 1])
    random.seed(1337)
    theirs = mg.MLP(2, [16, 16, 1])
    assert [p.data for p in ours.parameters()] == [p.data for p in theirs.parameters()]
    for x in ([0.5, -1.2], [2.0, 0.3]):
        assert ours(x).data == pytest.approx(theirs(x).data, rel=1e-12, abs=1e-12)


def test_int_rng_and_random_instance_are_reproducible_and_leave_global_random_alone():
    random.seed(0)
    before = random.random()
    random.seed(0)
    a = [p.data for p in MLP(2, [4, 1], rng=7).parameters()]
    b = [p.data for p in MLP(2, [4, 1], rng=random.Random(7)).parameters()]
    assert a == b
    assert random.random() == before  # the global stream was not consumed
    with pytest.raises(TypeError, match="rng"):
        MLP(2, [1], rng="seed")


def test_named_parameters_are_stable_and_match_parameters():
    m = MLP(2, [4, 3, 1], rng=0)
    names = [n for n, _ in m.named_parameters()]
    assert names[:3] == ["layers.0.neurons.0.w.0", "layers.0.neurons.0.w.1", "layers.0.neurons.0.b"]
    assert "layers.0.neurons.3.w.1" in names
    assert names[-1] == "layers.2.neurons.0.b"
    assert [p for _, p in m.named_parameters()] == m.parameters()
    assert len(set(names)) == len(names)


def test_zero_grad_resets_every_parameter():
    m = MLP(2, [3, 1], rng=0)
    m([1.0, 2.0]).backward()
    assert any(p.grad != 0 for p in m.parameters())
    m.zero_grad()
    assert all(p.grad == 0.0 for p in m.parameters())


@pytest.mark.parametrize("x", [[0.5, -1.0], (0.5, -1.0), np.array([0.5, -1.0]), [Value(0.5), Value(-1.0)]])
def test_inputs_lists_tuples_arrays_values_agree(x):
    m = MLP(2, [3, 1], rng=1)
    assert m(x).data == pytest.approx(m([0.5, -1.0]).data, abs=0)


def test_wrong_input_length_names_expected_and_got():
    with pytest.raises(ValueError, match="expected 2 inputs, got 3"):
        MLP(2, [3, 1])([1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="expected 3 inputs, got 1"):
        Layer(3, 2)([1.0])
    with pytest.raises(ValueError, match="expected 2 inputs, got 1"):
        Neuron(2)([1.0])
    with pytest.raises(ValueError, match="1-D"):
        MLP(2, [1])(np.ones((1, 2)))
    with pytest.raises(TypeError):
        MLP(2, [1])(3.0)


def test_layer_returns_value_for_one_output_else_list():
    assert isinstance(Layer(2, 1)([1.0, 2.0]), Value)
    out = Layer(2, 3)([1.0, 2.0])
    assert isinstance(out, list) and len(out) == 3


def test_hidden_relu_and_linear_output_by_default():
    m = MLP(2, [3, 1])
    assert [n.activation for n in m.layers[0].neurons] == ["relu"] * 3
    assert m.layers[1].neurons[0].activation == "linear"
    m = MLP(2, [3, 1], activation="tanh")
    assert m.layers[0].neurons[0].activation == "tanh" and m.layers[1].neurons[0].activation == "linear"


@pytest.mark.parametrize("activation", ["relu", "tanh", "sigmoid", "leaky_relu", "linear"])
def test_each_activation_matches_math_and_gradcheck(activation):
    n = Neuron(3, activation=activation, rng=3)
    x = [0.3, -0.7, 0.2]
    z = sum(w.data * xi for w, xi in zip(n.w, x)) + n.b.data
    ref = {
        "relu": max(z, 0.0),
        "tanh": math.tanh(z),
        "sigmoid": 1 / (1 + math.exp(-z)),
        "leaky_relu": z if z > 0 else 0.01 * z,
        "linear": z,
    }[activation]
    assert n(x).data == pytest.approx(ref, rel=1e-12)

    def f(*ws):
        m = Neuron(3, activation=activation, rng=3)
        m.w, m.b = list(ws[:3]), ws[3]
        return m(x)

    assert gradcheck(f, [*n.w, Value(0.1)])


def test_fused_and_unfused_neurons_give_same_value_and_gradients():
    a, b = Neuron(4, rng=5), Neuron(4, rng=5, fused=False)
    x = [0.1, 0.2, -0.3, 0.4]
    oa, ob = a(x), b(x)
    oa.backward()
    ob.backward()
    assert oa.data == pytest.approx(ob.data, rel=1e-12)
    assert [p.grad for p in a.parameters()] == pytest.approx([p.grad for p in b.parameters()], rel=1e-12)


@pytest.mark.parametrize("init, fan_in, fan_out", [("xavier", 200, 100), ("he", 150, 200), ("uniform", 50, 400)])
def test_init_bounds_and_variance(init, fan_in, fan_out):
    """Weights lie in [−a, a] and have variance a²/3 (uniform); 20 000 draws pin it to ~2 %."""
    layer = Layer(fan_in, fan_out, init=init, rng=0)
    w = np.array([wi.data for n in layer.neurons for wi in n.w])
    a = {"xavier": math.sqrt(6 / (fan_in + fan_out)), "he": math.sqrt(6 / fan_in), "uniform": 1.0}[init]
    assert init_bound(init, fan_in, fan_out) == pytest.approx(a)
    assert np.abs(w).max() <= a
    assert np.abs(w).max() > 0.99 * a  # the whole range is used
    assert w.var() == pytest.approx(a * a / 3, rel=0.04)
    assert abs(w.mean()) < 0.02 * a
    assert all(n.b.data == 0.0 for n in layer.neurons)


def test_bad_constructor_arguments():
    with pytest.raises(ValueError, match="init must be one of"):
        Neuron(2, init="glorot")
    with pytest.raises(ValueError, match="activation must be one of"):
        Neuron(2, activation="gelu")
    with pytest.raises(ValueError, match="nin"):
        Neuron(0)
    with pytest.raises(ValueError, match="nout"):
        Layer(2, 0)
    with pytest.raises(ValueError, match="nouts"):
        MLP(2, [])
    # a one-layer MLP has no hidden layer to use the activation, but a misspelt one is still an error
    with pytest.raises(ValueError, match="activation must be one of"):
        MLP(2, [1], activation="gelu")
    with pytest.raises(TypeError, match=r"nouts must be a list of layer sizes.*\[16, 16, 1\].*got int"):
        MLP(2, 3)


def test_state_dict_round_trip():
    a, b = MLP(2, [3, 1], rng=0), MLP(2, [3, 1], rng=1)
    sd = a.state_dict()
    assert list(sd) == [n for n, _ in a.named_parameters()]
    assert all(type(v) is float for v in sd.values())
    b.load_state_dict(sd)
    assert b.state_dict() == sd
    assert b([0.3, 0.4]).data == a([0.3, 0.4]).data
    sd["layers.0.neurons.0.b"] = 5.0  # a snapshot, not a view
    assert a.state_dict()["layers.0.neurons.0.b"] == 0.0
    b.load_state_dict({k: np.float64(v) for k, v in a.state_dict().items()})  # numpy scalars accepted
    assert b.state_dict() == a.state_dict()


@pytest.mark.parametrize(
    "edit, error, match",
    [
        (lambda d: d.pop("layers.1.neurons.0.b"), ValueError, "missing 1 key"),
        (lambda d: d.update({"layers.9.w": 1.0}), ValueError, "unexpected 1 key"),
        (lambda d: d.update({"layers.0.neurons.0.w.0": [1.0, 2.0]}), TypeError, "length 2"),
        (lambda d: d.update({"layers.0.neurons.0.w.0": np.zeros(3)}), TypeError, r"shape \(3,\)"),
        (lambda d: d.update({"layers.0.neurons.0.w.0": "1.0"}), TypeError, "str"),
    ],
)
def test_load_state_dict_is_strict_and_leaves_model_unchanged(edit, error, match):
    m = MLP(2, [3, 1], rng=0)
    before = m.state_dict()
    bad = {k: v + 1.0 for k, v in before.items()}
    edit(bad)
    with pytest.raises(error, match=match):
        m.load_state_dict(bad)
    assert m.state_dict() == before


def test_load_state_dict_from_other_architecture():
    with pytest.raises(ValueError, match="different architecture"):
        MLP(2, [3, 1]).load_state_dict(MLP(2, [4, 1]).state_dict())
    with pytest.raises(TypeError, match="mapping"):
        MLP(2, [1]).load_state_dict([1.0, 2.0, 3.0])


@pytest.mark.parametrize("x", [{"a": 1.0, "b": 2.0}, {1.0, 2.0}, frozenset({1.0, 2.0}), "ab"])
def test_dict_or_set_input_is_a_type_error(x):
    """Issue 10 item 12: a dict's keys (or a set's arbitrary order) used to be taken as the inputs."""
    for model in (MLP(2, [3, 1], rng=0), Layer(2, 3, rng=0), Neuron(2, rng=0)):
        with pytest.raises(TypeError, match=f"got a {type(x).__name__}"):
            model(x)


@pytest.mark.parametrize(
    "bad, match",
    [
        (float("nan"), "is nan: parameters must be finite"),
        (float("-inf"), "is -inf: parameters must be finite"),
        (np.float64("inf"), "is inf: parameters must be finite"),
        (10**400, "does not fit a float"),
        (10**5000, "does not fit a float"),
    ],
    ids=["nan", "-inf", "numpy-inf", "400-digit-int", "5000-digit-int"],
)
def test_load_state_dict_rejects_non_finite_values_like_load(bad, match):
    m = MLP(2, [3, 1], rng=0)
    before = m.state_dict()
    state = {k: v + 1.0 for k, v in before.items()}
    state["layers.1.neurons.0.b"] = bad
    with pytest.raises(ValueError, match=r"state_dict\['layers.1.neurons.0.b'\] " + match):
        m.load_state_dict(state)
    assert m.state_dict() == before


def test_a_one_unit_hidden_layer_works():
    """Found by the fit property test: MLP(1, [1, 1]) failed (the hidden layer returned a bare Value)."""
    m = MLP(1, [1, 1], rng=0)
    (w1,), b1 = m.layers[0].neurons[0].w, m.layers[0].neurons[0].b
    (w2,), b2 = m.layers[1].neurons[0].w, m.layers[1].neurons[0].b
    w1.data, w2.data = 0.5, -2.0
    assert m([3.0]).data == -2.0 * max(0.0, 0.5 * 3.0 + b1.data) + b2.data
