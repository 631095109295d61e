"""nn: neurons, layers and MLPs built from autograd_core Values, with losses, optimizers, learning-rate
schedules, datasets, a training loop, save/load and gradient diagnostics."""

from . import diagnostics
from .compiled import CompiledTrainer
from .data import batches, make_blobs, make_moons, make_spirals, make_yinyang
from .diagnostics import dead_relu_fraction, gradient_norms, saturation_fraction
from .losses import binary_cross_entropy, hinge, l2, mse, softmax_cross_entropy
from .module import MLP, Layer, Module, Neuron
from .optim import SGD, Adam, AdamW, Optimizer, RMSProp, clip_grad_norm, clip_grad_value
from .schedules import constant, cosine, exponential_decay, inverse_time_decay, step_decay
from .serialize import SerializationError, load, save
from .train import DivergenceError, History, fit, predict

__all__ = [
    "Module",
    "Neuron",
    "Layer",
    "MLP",
    "mse",
    "binary_cross_entropy",
    "hinge",
    "softmax_cross_entropy",
    "l2",
    "Optimizer",
    "SGD",
    "RMSProp",
    "Adam",
    "AdamW",
    "clip_grad_norm",
    "clip_grad_value",
    "constant",
    "step_decay",
    "exponential_decay",
    "inverse_time_decay",
    "cosine",
    "make_moons",
    "make_blobs",
    "make_spirals",
    "make_yinyang",
    "batches",
    "fit",
    "predict",
    "History",
    "DivergenceError",
    "CompiledTrainer",
    "save",
    "load",
    "SerializationError",
    "diagnostics",
    "gradient_norms",
    "dead_relu_fraction",
    "saturation_fraction",
]
