"""nn.diagnostics: the numpy forward agrees with the model; gradient norms, dead ReLUs, saturation."""

import math

import numpy as np
import pytest

from nn import MLP, Layer, Neuron, binary_cross_entropy, dead_relu_fraction, make_moons, predict
from nn import diagnostics as d

X, Y = make_moons(64, noise=0.1, seed=0)


@pytest.mark.parametrize("activation", ["relu", "tanh", "sigmoid", "leaky_relu", "linear"])
def test_numpy_forward_matches_the_model(activation):
    m = MLP(2, [5, 4, 2], activation=activation, rng=1)
    acts = d.layer_activations(m, X)
    assert list(acts) == ["layers.0", "layers.1", "layers.2"]
    np.testing.assert_allclose(acts["layers.2"][2], predict(m, X), rtol=1e-12, atol=1e-12)
    assert acts["layers.0"][0] == activation and acts["layers.2"][0] == "linear"


def test_gradient_norms_by_hand():
    m = MLP(2, [3, 1], rng=0)
    binary_cross_entropy([m(x) for x in X], Y).backward()
    norms = d.gradient_norms(m)
    for i, layer in enumerate(m.layers):
        assert norms[f"layers.{i}"] == pytest.approx(math.sqrt(sum(p.grad**2 for p in layer.parameters())))
    assert list(d.gradient_norms(m.layers[0])) == ["layer"]


def loss_grads(m):
    binary_cross_entropy([m(x) for x in X], Y).backward()
    return list(d.gradient_norms(m).values())


def test_deep_sigmoid_stack_shows_vanishing_gradients_and_relu_he_does_not():
    sig = loss_grads(MLP(2, [16] * 6 + [1], activation="sigmoid", init="xavier", rng=0))
    relu = loss_grads(MLP(2, [16] * 6 + [1], activation="relu", init="he", rng=0))
    assert sig[0] / sig[-1] < 1e-2  # each sigmoid layer multiplies the gradient by σ' <= 1/4
    assert relu[0] / relu[-1] > 0.1


def test_dead_relu_fraction():
    m = MLP(2, [4, 1], rng=0)
    for n in m.layers[0].neurons[:3]:
        n.b.data = -100.0  # z <= 0 for every input of the batch
    for n in m.layers[0].neurons[3:]:
        n.b.data = 100.0
    assert d.dead_relu_fraction(m, X) == {"layers.0": 0.75}
    assert d.dead_relu_fraction(MLP(2, [3, 1], activation="tanh"), X) == {}


@pytest.mark.parametrize("activation", ["tanh", "sigmoid"])
def test_saturation_fraction(activation):
    m = MLP(2, [8, 1], activation=activation, rng=0)
    small, big = d.saturation_fraction(m, X * 1e-3), d.saturation_fraction(m, X * 1e3)
    assert small == {"layers.0": 0.0}
    assert big["layers.0"] > 0.9
    # by hand on one unit: z = 3 → tanh 0.995 (> 0.99: saturated); for sigmoid |2σ(3) − 1| = tanh(1.5) = 0.905
    n = Layer(1, 1, activation=activation)
    n.neurons[0].w[0].data = 3.0
    frac = d.saturation_fraction(n, [[1.0]])["layer"]
    assert frac == (1.0 if activation == "tanh" else 0.0)


def test_report_has_a_row_per_layer():
    m = MLP(2, [3, 3, 1], activation="tanh", rng=0)
    text = d.report(m, X)
    lines = text.splitlines()
    assert len(lines) == 4 and lines[0].split()[:2] == ["layer", "act"]
    assert lines[1].startswith("layers.0") and "tanh" in lines[1]


def test_bad_input():
    with pytest.raises(TypeError, match="MLP or a Layer"):
        d.gradient_norms(Neuron(2))
    with pytest.raises(ValueError, match="expects 2 inputs, got 3"):
        d.layer_activations(MLP(2, [1]), np.zeros((4, 3)))
    with pytest.raises(ValueError, match="threshold"):
        d.saturation_fraction(MLP(2, [1]), X, threshold=1.5)


def test_dead_relu_fraction_is_nan_for_a_diverged_network() -> None:
    model = MLP(2, [4, 1], rng=0)
    for p in model.parameters():
        p.data = math.nan
    fractions = dead_relu_fraction(model, [[0.5, -0.5], [1.0, 2.0]])
    assert list(fractions) == ["layers.0"] and math.isnan(fractions["layers.0"])
