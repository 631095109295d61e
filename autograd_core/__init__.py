"""autograd_core: a scalar reverse-mode automatic-differentiation engine.

>>> from autograd_core import Value
>>> x = Value(2.0, label="x")
>>> y = x * x + 3 * x
>>> y.backward()
>>> x.grad
7.0
"""

from .backprop_view import BackpropView, GraphTooLargeError, backprop_view
from .compile import Compiled, compile
from .gcscope import frozen_heap
from .gradcheck import GradcheckError, gradcheck, numerical_grad
from .graph import topological_order, zero_grad
from .primitive import PRIMITIVES, DomainError, Primitive, ZeroDivisionDomainError, primitive
from .transforms import grad, gradients, hessian, jvp, value_and_grad
from .value import Constant, Value, dot
from .viz import GraphvizMissingError, draw_dot

__all__ = [
    "Value",
    "Constant",
    "dot",
    "gradcheck",
    "numerical_grad",
    "GradcheckError",
    "draw_dot",
    "backprop_view",
    "BackpropView",
    "GraphTooLargeError",
    "GraphvizMissingError",
    "topological_order",
    "zero_grad",
    "DomainError",
    "ZeroDivisionDomainError",
    "compile",
    "Compiled",
    "frozen_heap",
    "grad",
    "value_and_grad",
    "hessian",
    "jvp",
    "gradients",
    "primitive",
    "Primitive",
    "PRIMITIVES",
]

__version__ = "0.1.0"
