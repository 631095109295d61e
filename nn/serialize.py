"""Save and load a model's parameters as JSON (no pickle: a file can hold numbers, never code).

File layout (format version 1):

    {"format": "autograd_core.nn", "version": 1, "model": "MLP", "architecture": "<repr(model)>",
     "parameters": {"layers.0.neurons.0.w.0": 0.23, ...}}

`save` writes a new file next to the target under a unique name (created exclusively, so a link
planted there is never followed), fsyncs it and renames it over the target in one atomic step: a
reader sees the old file or the new one, never part of one, and concurrent saves cannot collide. A
symlinked target gets the file it points to replaced (the link stays).

`load` checks everything before touching the model, so any error leaves it unchanged. Every malformed
file raises `SerializationError` (a ValueError) that names the problem: not UTF-8 or not JSON, nested
too deeply, a number that does not fit a float64 (huge digit strings, 1e400) or is NaN/inf, a field
of the wrong type, a repeated key, another format, version, model class or architecture.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import secrets
import stat
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
    """Write the model's `state_dict()` to `path` as JSON, atomically (see the module docstring: an
    interrupted or concurrent save never leaves a half-written file). Non-finite parameters → ValueError;
    a directory → IsADirectoryError; a missing directory → FileNotFoundError; nothing is left behind."""
    state = model.state_dict()
    bad = [k for k, v in state.items() if not math.isfinite(v)]
    if bad:
        raise ValueError(f"cannot save: {len(bad)} parameter(s) are not finite, e.g. {bad[0]!r} = {state[bad[0]]}")
    doc = {
        "format": FORMAT,
        "version": VERSION,
        "model": type(model).__name__,
        "architecture": _architecture(model),
        "parameters": state,
    }
    _write_atomically(Path(path), json.dumps(doc, allow_nan=False, indent=1).encode("utf-8"))


def _write_atomically(path: Path, data: bytes) -> None:
    """Write `data` to `path` (through a symlink to its target) via a unique temporary file in the same
    directory: created with O_EXCL | O_NOFOLLOW (never an existing file or link), fsynced, then
    `os.replace`d over the target; removed again if anything fails."""
    target = Path(os.path.realpath(path))
    if target.is_dir():
        raise IsADirectoryError(
            f"cannot save to {str(path)!r}: it is a directory; give a file path such as "
            f"{str(Path(path) / 'model.json')!r}"
        )
    if not target.parent.is_dir():
        raise FileNotFoundError(f"cannot save to {str(path)!r}: the directory {str(target.parent)!r} does not exist")
    try:
        mode = stat.S_IMODE(os.stat(target).st_mode)  # keep an existing file's permissions
    except FileNotFoundError:
        mode = None
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0)
    for _ in range(100):
        tmp = target.with_name(f".{target.name}.{secrets.token_hex(8)}.tmp")
        try:
            fd = os.open(tmp, flags, 0o666 if mode is None else mode)
            break
        except FileExistsError:  # 2^-64 odds per try: someone else's temporary file
            continue
    else:
        raise FileExistsError(f"cannot save to {str(path)!r}: no free temporary name in {str(target.parent)!r}")
    try:
        with os.fdopen(fd, "wb") as f:
            if mode is not None and hasattr(os, "fchmod"):
                os.fchmod(f.fileno(), mode)  # exact, whatever the umask
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    if hasattr(os, "O_DIRECTORY"):  # make the rename itself durable (POSIX); the file is saved either way
        with contextlib.suppress(OSError):
            dir_fd = os.open(target.parent, os.O_RDONLY | os.O_DIRECTORY)
            try:
                os.fsync(dir_fd)
            finally:
                os.close(dir_fd)


def _reject_constant(name: str) -> Any:
    raise SerializationError(f"non-finite number {name} in the file; parameters must be finite")


def _short(text: str) -> str:
    return text if len(text) <= 24 else f"{text[:12]}…{text[-6:]} (a {len(text)}-digit number)"


def _float(text: str) -> float:
    """A JSON number with a fraction or exponent, as a finite float64."""
    value = float(text)  # never raises for JSON's number syntax; too large gives ±inf
    if not math.isfinite(value):
        raise SerializationError(f"number {_short(text)} does not fit a float64; parameters must be finite")
    return value


def _int(text: str) -> int | float:
    """A JSON integer: an int when short, else a float64 (int() of a 5,000-digit string raises)."""
    digits = len(text.lstrip("-"))
    if digits <= 18:
        return int(text)
    value = float(text)
    if not math.isfinite(value):
        raise SerializationError(f"a {digits}-digit number does not fit a float64; parameters must be finite")
    return value


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object; a key given twice is an error (JSON would silently keep the last)."""
    out = dict(pairs)
    if len(out) != len(pairs):
        seen: set[str] = set()
        twice = next(k for k, _ in pairs if k in seen or seen.add(k))  # type: ignore[func-returns-value]
        raise SerializationError(f"key {twice!r} appears twice in one object")
    return out


def load(model: Module, path: str | os.PathLike[str]) -> Module:
    """Set the model's parameters from a file written by `save`, and return the model.

    FileNotFoundError for a missing file (OSError for one that cannot be read); SerializationError (a
    ValueError) for broken JSON, another format or version, another architecture (class, layer/activation
    layout or parameter names), a field of the wrong type or a number that is not a finite float64. The
    model is changed only when every check has passed.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise FileNotFoundError(f"no model file at {str(path)!r}") from None
    except UnicodeDecodeError as e:
        raise SerializationError(f"{str(path)!r} is not a UTF-8 text file ({e})") from None
    try:
        doc = json.loads(
            text, parse_constant=_reject_constant, parse_float=_float, parse_int=_int, object_pairs_hook=_object
        )
    except SerializationError as e:
        raise SerializationError(f"{str(path)!r}: {e}") from None
    except json.JSONDecodeError as e:
        raise SerializationError(f"{str(path)!r} is not valid JSON ({e})") from None
    except RecursionError:  # json's parser recurses once per level of [ or {
        raise SerializationError(f"{str(path)!r} is nested too deeply to be a model file") from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise SerializationError(f"{str(path)!r} is not an {FORMAT} model file (no 'format': {FORMAT!r})")
    if doc.get("version") != VERSION or type(doc.get("version")) is not int:  # true and 1.0 equal 1 in Python
        raise SerializationError(f"{str(path)!r} has format version {doc.get('version')!r}; this code reads {VERSION}")
    if doc.get("model") != type(model).__name__:
        raise SerializationError(f"{str(path)!r} holds a {doc.get('model')!r}, not a {type(model).__name__}")
    if not isinstance(doc.get("architecture"), (str, type(None))):
        raise SerializationError(f"{str(path)!r}: 'architecture' must be a string or null")
    arch = _architecture(model)
    if arch is not None and doc.get("architecture") not in (None, arch):
        raise SerializationError(
            f"{str(path)!r} holds a different architecture:\n  file:  {doc.get('architecture')}\n  model: {arch}"
        )
    params = doc.get("parameters")
    if not isinstance(params, dict):
        raise SerializationError(f"{str(path)!r} has no 'parameters' object")
    for k, v in params.items():
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
            raise SerializationError(f"{str(path)!r}: parameter {k!r} is {v!r:.40}, expected a finite number")
    try:
        model.load_state_dict(params)
    except (ValueError, TypeError) as e:
        raise SerializationError(f"{str(path)!r} does not fit this model: {e}") from None
    return model
