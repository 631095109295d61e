"""nn: neurons, layers and MLPs built from autograd_core Values, plus data and training helpers."""

from .data import make_moons
from .module import MLP, Layer, Module, Neuron

__all__ = ["Module", "Neuron", "Layer", "MLP", "make_moons"]
