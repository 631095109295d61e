"""frozen_heap: the collector skips the pre-existing heap inside a scope, and everything is restored after."""

from __future__ import annotations

import gc
import weakref

import pytest

import nn
from autograd_core import gcscope
from autograd_core.gcscope import frozen_heap


class Cycle:
    def __init__(self) -> None:
        self.me = self


@pytest.fixture(autouse=True)
def clean_state():
    saved = dict(gcscope._state)
    gc.unfreeze()
    yield
    gc.unfreeze()
    gc.enable()
    gcscope._state.update(saved)


def test_the_heap_is_frozen_inside_only_and_settings_are_untouched() -> None:
    before = (gc.get_threshold(), gc.isenabled())
    with frozen_heap():
        assert gc.get_freeze_count() > 0
        with frozen_heap():  # nested: still one scope
            assert gc.get_freeze_count() > 0
        assert gc.get_freeze_count() > 0
        assert (gc.get_threshold(), gc.isenabled()) == before
    assert gc.get_freeze_count() == 0
    assert (gc.get_threshold(), gc.isenabled()) == before


def test_cycles_made_before_and_inside_are_still_collected() -> None:
    old = Cycle()
    old_ref = weakref.ref(old)
    del old
    with frozen_heap():
        gc.collect()
        assert old_ref() is not None  # frozen: not scanned inside the scope
        new = Cycle()
        new_ref = weakref.ref(new)
        del new
        gc.collect()
        assert new_ref() is None  # made inside: collected as usual
    gc.collect()
    assert old_ref() is None  # after the scope: collected


def test_exceptions_unfreeze_and_the_decorator_keeps_the_result() -> None:
    @frozen_heap.wrap
    def boom() -> None:
        raise RuntimeError("x")

    with pytest.raises(RuntimeError):
        boom()
    assert gc.get_freeze_count() == 0
    assert frozen_heap.wrap(lambda a: a + 1)(1) == 2


def test_steps_aside_when_the_collector_is_off_or_someone_else_freezes() -> None:
    gc.disable()
    with frozen_heap():
        assert gc.get_freeze_count() == 0
    gc.enable()
    gc.freeze()  # the process froze its own heap
    frozen = gc.get_freeze_count()
    with frozen_heap():
        pass
    assert gc.get_freeze_count() == frozen  # ours left alone
    gc.unfreeze()
    with frozen_heap():
        assert gc.get_freeze_count() == 0  # and it stays out of the way from then on


def test_pacing_runs_a_full_collection_after_enough_time_inside(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(gcscope, "PACE", 0.0)
    full = gc.get_stats()[2]["collections"]
    with frozen_heap():
        pass
    assert gc.get_stats()[2]["collections"] == full + 1


def test_model_calls_build_their_graph_inside_a_scope(monkeypatch: pytest.MonkeyPatch) -> None:
    seen = []
    model = nn.MLP(2, [3, 1], rng=0)
    neuron_forward = nn.Neuron.forward
    monkeypatch.setattr(
        nn.Neuron, "forward", lambda self, x: seen.append(gc.get_freeze_count() > 0) or neuron_forward(self, x)
    )
    model([0.5, -0.5])
    assert seen and all(seen)


def test_scopes_from_many_threads_leave_nothing_frozen() -> None:
    import threading

    def work() -> None:
        for _ in range(200):
            with frozen_heap():
                [Cycle() for _ in range(5)]

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert gcscope._state["depth"] == 0
    assert gc.get_freeze_count() == 0
    assert gcscope._refreeze not in gc.callbacks


def test_pace_builds_skips_full_collections_during_a_build_and_is_removable(monkeypatch: pytest.MonkeyPatch) -> None:
    from autograd_core import Value

    monkeypatch.setattr(gcscope, "PACE", 1e9)  # every automatic full collection during the build is skipped
    gcscope.pace_builds()
    try:
        gcscope._pacing["last_end"] = __import__("time").perf_counter()
        full = gc.get_stats()[2]["collections"]
        skipped = []
        gc.callbacks.append(
            lambda phase, info: skipped.append(gcscope._pacing["skipping"]) if phase == "start" else None
        )
        z = Value(1.0)
        for _ in range(300_000):  # enough allocations for automatic full collections
            z = z * 1.0000001
        gc.callbacks.pop()
        assert any(skipped)  # some full collections started and were skipped
        assert gc.get_freeze_count() == 0  # each skip moved everything back
        assert gc.get_stats()[2]["collections"] >= full  # they still count as collections
        gc.collect()  # an explicit full collection is never skipped
        assert gcscope._pacing["skipping"] is False
    finally:
        gcscope.pace_builds(False)
    assert gcscope._pace not in gc.callbacks
