"""The `graphviz.Digraph` that `draw_dot` returns, kept apart so `viz.py` imports graphviz only when drawing.

A module-level class (not one made inside a function), so a drawing pickles and unpickles like any
`graphviz.Digraph`.
"""

from __future__ import annotations

from typing import Any

import graphviz

from .viz import INSTALL_HINT, GraphvizMissingError

__all__ = ["Digraph"]


class Digraph(graphviz.Digraph):
    """graphviz.Digraph whose rendering errors say how to install Graphviz, with a stable repr."""

    def pipe(self, *args: Any, **kwargs: Any) -> Any:
        """`graphviz.Digraph.pipe`, raising GraphvizMissingError (with install advice) without `dot`."""
        try:
            return super().pipe(*args, **kwargs)
        except graphviz.ExecutableNotFound as exc:
            raise GraphvizMissingError(INSTALL_HINT) from exc

    def render(self, *args: Any, **kwargs: Any) -> Any:
        """`graphviz.Digraph.render`, raising GraphvizMissingError (with install advice) without `dot`."""
        try:
            return super().render(*args, **kwargs)
        except graphviz.ExecutableNotFound as exc:
            raise GraphvizMissingError(INSTALL_HINT) from exc

    def __repr__(self) -> str:  # stable (no memory address), so re-run notebooks stay identical
        return f"<autograd_core Digraph: {self.source.count('shape=record')} values>"
