"""Keep CPython's cyclic garbage collector off the rest of the heap while a graph is being built.

Graph nodes form no reference cycles (reference counting frees them), but they are objects the cyclic
collector tracks, so building a graph allocates enough of them to trigger its collections, and every
so often a full one, which walks every tracked object of the process: with PyTorch, scikit-learn and
matplotlib imported that is ~270,000 objects and 50–150 ms, a large share of a training step spent
looking for cycles that do not exist.

`frozen_heap` is the remedy, scoped: on entering the outermost scope it calls `gc.freeze()`, which moves
every object that exists into the permanent generation (one list splice, O(1)) that collections skip;
on leaving it calls `gc.unfreeze()`, which moves them back into the oldest generation, where a
long-lived heap lives anyway. Collections inside the scope stay on, but see only what was made inside
it (the graph). Nothing else changes: thresholds and `gc.isenabled()` are untouched, and nothing is
frozen outside a scope.

Two effects remain, both bounded:
- cyclic garbage that existed on entry is collected at the next full collection instead of a young
  one. Objects moved back on exit do not count towards CPython's trigger for full collections, so
  after `PACE` × (the last full collection's duration) of time spent in scopes, the next exit runs one
  full `gc.collect()` itself: the collector still reclaims cycles, at a cost of at most ~1/PACE.
- it steps aside when it is not the only user of `gc.freeze`: if objects are already frozen when a
  scope is entered (the process froze its own heap, which already avoids the tax), it does nothing, now
  and later; and when the collector is disabled it does nothing.

Used by `nn` models' `__call__`, `nn.fit` and `compile` (building graphs); `backward` allocates no
tracked objects. Set `autograd_core.gcscope.ENABLED = False` to turn it off.

A graph built by plain Value arithmetic outside any library call is not in a scope. For that case there is
an opt-in, process-wide policy, `pace_builds()`: while the young generation is mostly graph nodes (a graph
is being built), an automatic full collection is skipped unless PACE × the last full collection's duration
has passed since it, so full collections take at most ~1/PACE of the time and cycles are still reclaimed
every few seconds. It is off by default because it is not scoped; `pace_builds(False)` removes it.
"""

from __future__ import annotations

import functools
import gc
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

__all__ = ["frozen_heap", "pace_builds", "ENABLED", "PACE"]

ENABLED = True
PACE = 20.0  # time spent in scopes between two full collections, in units of one collection's duration

F = TypeVar("F", bound=Callable[..., Any])

_state = {"depth": 0, "inside": 0.0, "last_full": 0.05, "others_freeze": False}


_lock = threading.Lock()  # scopes opened from several threads share one process-wide freeze


def _enter() -> float | None:
    """Freeze the heap if this is the outermost scope and it is ours to do; the entry time if so."""
    s = _state
    with _lock:
        s["depth"] += 1
        if s["depth"] > 1 or not ENABLED or s["others_freeze"] or not gc.isenabled():
            return None
        if gc.get_freeze_count():  # O(1) when nothing is frozen; someone else uses gc.freeze: step aside
            s["others_freeze"] = True
            return None
        gc.freeze()
        gc.callbacks.append(_refreeze)
        return time.perf_counter()


def _refreeze(phase: str, info: dict[str, int]) -> None:
    """While a scope is open, an automatic full collection starts with the graph built so far frozen as
    well: it scans nothing (the graph has no cycles) instead of every node again, so building stays O(1)
    per node. Automatic means triggered by allocation (the young count is past its threshold); an explicit
    `gc.collect()` inside a scope still collects everything made inside it."""
    if phase == "start" and info["generation"] == 2 and gc.get_count()[0] > gc.get_threshold()[0]:
        gc.freeze()


def _exit(started: float | None) -> None:
    s = _state
    with _lock:
        s["depth"] -= 1
        if started is None:
            return
        gc.callbacks.remove(_refreeze)
        gc.unfreeze()
        s["inside"] += time.perf_counter() - started
        if s["inside"] <= PACE * s["last_full"]:
            return
        s["inside"] = 0.0
    t = time.perf_counter()  # stand in for the full collections the scopes held off
    gc.collect()
    s["last_full"] = max(time.perf_counter() - t, 1e-3)


class frozen_heap:
    """Context manager (or decorator: `@frozen_heap.wrap`) scoping `gc.freeze()` to a block; re-entrant."""

    def __enter__(self) -> frozen_heap:
        self._started = _enter()
        return self

    def __exit__(self, *exc: object) -> None:
        _exit(self._started)

    @staticmethod
    def wrap(fn: F) -> F:
        """`fn` run inside a scope (the cheap form for functions called once per sample)."""

        @functools.wraps(fn)
        def scoped(*args: Any, **kwargs: Any) -> Any:
            started = _enter()
            try:
                return fn(*args, **kwargs)
            finally:
                _exit(started)

        return scoped  # type: ignore[return-value]


_pacing = {"skipping": False, "started": 0.0, "last_end": 0.0, "last_duration": 0.05}


def _pace(phase: str, info: dict[str, int]) -> None:
    """The `pace_builds` callback: skip an automatic full collection during a build if one ran recently."""
    if info["generation"] != 2 or _state["depth"]:  # inside a scope, frozen_heap decides
        return
    p = _pacing
    if phase == "stop":
        if p["skipping"]:
            gc.unfreeze()
            p["skipping"] = False
        else:
            p["last_end"] = now = time.perf_counter()
            p["last_duration"] = max(now - p["started"], 1e-3)
        return
    p["started"] = now = time.perf_counter()
    automatic = gc.get_count()[0] > gc.get_threshold()[0]
    if automatic and now - p["last_end"] < PACE * p["last_duration"]:
        from .value import Value

        young = gc.get_objects(generation=0)
        if 2 * sum(isinstance(o, Value) for o in young) > len(young):  # a graph is being built
            gc.freeze()  # this collection then scans nothing; "stop" moves everything back
            p["skipping"] = True


def pace_builds(enable: bool = True) -> None:
    """Opt in (or, with False, out) of pacing automatic full collections while graphs are built by plain
    Value arithmetic (see the module docstring). Process-wide until turned off."""
    if enable and _pace not in gc.callbacks:
        gc.callbacks.append(_pace)
    elif not enable and _pace in gc.callbacks:
        gc.callbacks.remove(_pace)
