"""Neural-network building blocks made of Values: Module, Neuron, Layer, MLP (micrograd's signatures)."""

from __future__ import annotations

import math
import numbers
import random
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from autograd_core import Value
from autograd_core.gcscope import frozen_heap
from autograd_core.value import FUSABLE, Constant, dot_values

from .checks import count, not_text_or_mapping, one_of
from .initializers import INITIALIZERS, init_bound

__all__ = ["Module", "Neuron", "Layer", "MLP", "ACTIVATIONS", "INITS"]

RngLike = random.Random | int | None

ACTIVATIONS = ("relu", "tanh", "sigmoid", "leaky_relu", "linear")
INITS = tuple(INITIALIZERS)


def make_rng(rng: RngLike) -> Any:
    """The random source: Python's global `random` module for None (so `random.seed` reproduces, as in
    micrograd), a new `random.Random(seed)` for an int, or the given `random.Random`."""
    if rng is None or rng is random:  # type: ignore[comparison-overlap]  # the module itself is allowed too
        return random
    if isinstance(rng, bool) or not isinstance(rng, (int, random.Random)):
        raise TypeError(f"rng must be a random.Random, an int seed or None, got {type(rng).__name__}")
    return random.Random(rng) if isinstance(rng, int) else rng


def as_values(x: Sequence[Value | float] | Any) -> list[Value]:
    """Inputs as Values: Values pass through, numbers become Constants (made once, shared by neurons)."""
    want = "a list, tuple or 1-D array of numbers or Values"
    if not hasattr(not_text_or_mapping("the input", x, want), "__len__"):
        raise TypeError(f"the input must be {want}, got a {type(x).__name__}")
    if getattr(x, "ndim", 1) != 1:
        raise ValueError(f"expected a 1-D input, got an array of shape {getattr(x, 'shape', '?')}")
    return [xi if isinstance(xi, Value) else Constant(xi) for xi in x]


class Module:
    """Base class: parameters are found by walking attributes (Values, Modules and lists of them)."""

    def named_parameters(self, prefix: str = "") -> Iterator[tuple[str, Value]]:
        """(dotted name, parameter) pairs in a stable order, e.g. `layers.0.neurons.3.w.1`."""
        stack: list[tuple[str, Any]] = [(prefix, self)]
        while stack:
            name, obj = stack.pop()
            if isinstance(obj, Value):
                yield name, obj
            elif isinstance(obj, Module):
                items = [(f"{name}.{k}" if name else k, v) for k, v in vars(obj).items()]
                stack.extend(reversed(items))
            elif isinstance(obj, (list, tuple)):
                stack.extend(reversed([(f"{name}.{i}", v) for i, v in enumerate(obj)]))

    def parameters(self) -> list[Value]:
        """All trainable Values of the module."""
        return [p for _, p in self.named_parameters()]

    def zero_grad(self) -> None:
        """Set every parameter's `.grad` to 0."""
        for p in self.parameters():
            p.grad = 0.0

    def state_dict(self) -> dict[str, float]:
        """{name: value} for every parameter, in `named_parameters()` order (a snapshot of `.data`)."""
        return {name: p.data for name, p in self.named_parameters()}

    def load_state_dict(self, state: Mapping[str, float]) -> None:
        """Set every parameter's `.data` from `state` (strict, all or nothing).

        The keys must be exactly this model's parameter names and every value a single finite real number
        (each parameter is a scalar; NaN and inf are refused, as `nn.load` refuses them). Otherwise
        ValueError/TypeError naming the offending keys, and the model is left unchanged.
        """
        if not isinstance(state, Mapping):
            raise TypeError(f"load_state_dict expects a mapping name -> number, got {type(state).__name__}")
        params = dict(self.named_parameters())
        missing = [k for k in params if k not in state]
        extra = [k for k in state if k not in params]
        if missing or extra:
            parts = []
            if missing:
                parts.append(f"missing {len(missing)} key(s): {_preview(missing)}")
            if extra:
                parts.append(f"unexpected {len(extra)} key(s): {_preview(extra)}")
            raise ValueError(
                f"state_dict does not match {type(self).__name__} with {len(params)} parameters "
                f"(different architecture?): {'; '.join(parts)}"
            )
        values: dict[str, float] = {}
        for name, v in state.items():
            if getattr(v, "shape", ()) == () and hasattr(v, "item"):
                v = v.item()  # numpy scalar / 0-d array
            if isinstance(v, bool) or not isinstance(v, numbers.Real):
                shape = getattr(v, "shape", None)
                got = (
                    f"shape {shape}"
                    if shape is not None
                    else (f"a {type(v).__name__} of length {len(v)}" if hasattr(v, "__len__") else type(v).__name__)
                )
                raise TypeError(f"state_dict[{name!r}]: parameter is a scalar, expected one real number, got {got}")
            try:
                values[name] = float(v)
            except OverflowError:
                raise ValueError(f"state_dict[{name!r}] does not fit a float (|value| > 1.8e308)") from None
            if not math.isfinite(values[name]):
                raise ValueError(f"state_dict[{name!r}] is {values[name]}: parameters must be finite")
        for name, p in params.items():
            p.data = values[name]


def _preview(names: list[str], limit: int = 5) -> str:
    shown = ", ".join(repr(n) for n in names[:limit])
    return shown + (f", ... ({len(names) - limit} more)" if len(names) > limit else "")


class Neuron(Module):
    """act(w·x + b). Weights U(−1, 1) (micrograd), or Xavier/He uniform; bias 0.

    `nonlin=True` means ReLU, False linear (micrograd); `activation` overrides it. `fused=True` builds the
    whole neuron as one node (`relu∘dot`, or a `dot` node then leaky_relu / nothing for linear);
    `fused=False` builds micrograd's chain of `*` and `+` nodes and a separate activation (for pictures).
    """

    def __init__(
        self,
        nin: int,
        nonlin: bool = True,
        activation: str | None = None,
        init: str = "uniform",
        rng: RngLike = None,
        fused: bool = True,
        fan_out: int = 1,
    ) -> None:
        nin = count("nin", nin)
        activation = activation if activation is not None else ("relu" if nonlin else "linear")
        activation = one_of("activation", activation, ACTIVATIONS)
        bound = init_bound(init, nin, fan_out)
        r = make_rng(rng)
        self.w = [Value(r.uniform(-bound, bound)) for _ in range(nin)]
        self.b = Value(0.0)
        self.activation = activation
        self.fused = fused

    @property
    def nonlin(self) -> bool:
        """micrograd's flag: True unless the neuron is linear."""
        return self.activation != "linear"

    def parameters(self) -> list[Value]:
        """The weights w₁…wₙ, then the bias b."""
        return [*self.w, self.b]

    def __call__(self, x: Sequence[Value | float]) -> Value:
        return self.forward(as_values(x))

    def forward(self, x: list[Value]) -> Value:
        """The neuron on inputs that are already Values (Layer lifts them once for all its neurons)."""
        if len(x) != len(self.w):
            raise ValueError(f"Neuron expected {len(self.w)} inputs, got {len(x)}")
        a = self.activation
        if self.fused and a in FUSABLE:  # the whole neuron is one node
            return dot_values(self.w, x, self.b, a)
        if self.fused:
            act = dot_values(self.w, x, self.b)
        else:
            act = sum((wi * xi for wi, xi in zip(self.w, x)), self.b)
        return act if a == "linear" else getattr(act, a)()  # relu, tanh, sigmoid, leaky_relu methods

    def __repr__(self) -> str:
        name = {"relu": "ReLU", "linear": "Linear", "tanh": "Tanh", "sigmoid": "Sigmoid", "leaky_relu": "LeakyReLU"}[
            self.activation
        ]
        return f"{name}Neuron({len(self.w)})"


class Layer(Module):
    """`nout` neurons on the same inputs. Returns a Value when nout == 1, else a list (micrograd)."""

    def __init__(self, nin: int, nout: int, **kwargs: Any) -> None:
        nout = count("nout", nout)
        kwargs["rng"] = make_rng(kwargs.get("rng"))  # one stream for all neurons
        kwargs.setdefault("fan_out", nout)
        self.neurons = [Neuron(nin, **kwargs) for _ in range(nout)]

    def parameters(self) -> list[Value]:
        """Every neuron's parameters, neuron by neuron."""
        return [p for n in self.neurons for p in n.parameters()]

    @frozen_heap.wrap  # the collector skips the rest of the heap while the graph is built (gcscope.py)
    def __call__(self, x: Sequence[Value | float]) -> Value | list[Value]:
        x = as_values(x)
        nin = len(self.neurons[0].w)
        if len(x) != nin:
            raise ValueError(f"Layer expected {nin} inputs, got {len(x)}")
        out = [n.forward(x) for n in self.neurons]
        return out[0] if len(out) == 1 else out

    def __repr__(self) -> str:
        return f"Layer of [{', '.join(str(n) for n in self.neurons)}]"


class MLP(Module):
    """Layers of sizes nin → nouts[0] → … → nouts[-1]; hidden layers nonlinear (ReLU), the last linear."""

    def __init__(self, nin: int, nouts: Sequence[int], **kwargs: Any) -> None:
        if isinstance(nouts, (str, bytes)) or not hasattr(nouts, "__len__"):
            raise TypeError(
                f"nouts must be a list of layer sizes, e.g. [16, 16, 1]; got {type(nouts).__name__} {nouts!r:.40}"
            )
        if not nouts:
            raise ValueError("nouts must list at least one layer size")
        kwargs["rng"] = make_rng(kwargs.get("rng"))
        hidden = kwargs.pop("activation", None)
        if hidden is not None:  # checked even when no hidden layer uses it
            one_of("activation", hidden, ACTIVATIONS)
        sz = [nin, *nouts]
        self.layers = [
            Layer(
                sz[i],
                sz[i + 1],
                nonlin=i != len(nouts) - 1,
                activation=(hidden if i != len(nouts) - 1 else None),
                **kwargs,
            )
            for i in range(len(nouts))
        ]

    def parameters(self) -> list[Value]:
        """Every layer's parameters, first layer first (micrograd's order)."""
        return [p for layer in self.layers for p in layer.parameters()]

    @frozen_heap.wrap
    def __call__(self, x: Sequence[Value | float]) -> Value | list[Value]:
        h: Value | list[Value] = as_values(x)
        nin = len(self.layers[0].neurons[0].w)
        if len(h) != nin:  # type: ignore[arg-type]  # a list here
            raise ValueError(f"MLP expected {nin} inputs, got {len(h)}")  # type: ignore[arg-type]
        for layer in self.layers:
            h = layer([h] if isinstance(h, Value) else h)  # a 1-unit hidden layer gives a Value: one input
        return h

    def __repr__(self) -> str:
        return f"MLP of [{', '.join(str(layer) for layer in self.layers)}]"
