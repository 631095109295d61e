"""Save and load a model's parameters as JSON (no pickle: a file can hold numbers, never code).

File layout (format version 1):

    {"format": "autograd_core.nn", "version": 1, "model": "MLP", "architecture": "<repr(model)>",
     "parameters": {"layers.0.neurons.0.w.0": 0.23, ...}}

`load` checks everything before touching the model, so any error leaves it unchanged.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any

from .module import Module

__all__ = ["save", "load", "SerializationError", "FORMAT", "VERSION"]

FORMAT = "autograd_core.nn"
VERSION = 1



class SerializationError(ValueError):
    """A model file that cannot be loaded: not JSON, not our format, or not this model's parameters."""


def _architecture(model: Module) -> str | None:
    """repr(model) when its class defines one (then it names layers and activations), else None."""
    return repr(model) if type(model).__repr__ is not object.__repr__ else None


def save(model: Module, path: str | os.PathLike[str]) -> None:
    """Write the model's `state_dict()` to `path` as JSON (written to a temporary file, then renamed,
    so an interrupted save never leaves a half-written file). Non-finite parameters → ValueError."""
    state = model.state_dict()
    bad = [k for k, v in state.items() if not math.isfinite(v)]
    if bad:
        raise ValueError(f"cannot save: {len(bad)} parameter(s) are not finite, e.g. {bad[0]!r} = {state[bad[0]]}")
    doc = {"format": FORMAT, "version": VERSION, "model": type(model).__name__,
           "architecture": _architecture(model), "parameters": state}
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(doc, allow_nan=False, indent=1), encoding="utf-8")
    os.replace(tmp, path)


def _reject_constant(name: str) -> Any:
    raise SerializationError(f"non-finite number {name} in the file; parameters must be finite")


def load(model: Module, path: str | os.PathLike[str]) -> Module:
    """Set the model's parameters from a file written by `save`, and return the model.

    FileNotFoundError for a missing file; SerializationError (a ValueError) for broken JSON, another
    format or version, another architecture (class, layer/activation layout or parameter names) or a
    non-finite number. The model is changed only when every check has passed.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise FileNotFoundError(f"no model file at {str(path)!r}") from None
    except UnicodeDecodeError as e:
        raise SerializationError(f"{str(path)!r} is not a UTF-8 text file ({e})") from None
    try:
        doc = json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as e:
        raise SerializationError(f"{str(path)!r} is not valid JSON ({e})") from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise SerializationError(f"{str(path)!r} is not an {FORMAT} model file (no 'format': {FORMAT!r})")
    if doc.get("version") != VERSION:
        raise SerializationError(f"{str(path)!r} has format version {doc.get('version')!r}; this code reads {VERSION}")
    if doc.get("model") != type(model).__name__:
        raise SerializationError(f"{str(path)!r} holds a {doc.get('model')!r}, not a {type(model).__name__}")
    arch = _architecture(model)
    if arch is not None and doc.get("architecture") not in (None, arch):
        raise SerializationError(
            f"{str(path)!r} holds a different architecture:\n  file:  {doc.get('architecture')}\n  model: {arch}")
    params = doc.get("parameters")
    if not isinstance(params, dict):
        raise SerializationError(f"{str(path)!r} has no 'parameters' object")
    for k, v in params.items():
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
            raise SerializationError(f"{str(path)!r}: parameter {k!r} is {v!r}, expected a finite number")
    try:
        model.load_state_dict(params)
    except (ValueError, TypeError) as e:
        raise SerializationError(f"{str(path)!r} does not fit this model: {e}") from None
    return model
