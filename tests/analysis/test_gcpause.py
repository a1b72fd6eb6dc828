"""A full analysis of a long session pauses the cyclic GC and always restores it as it found it."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from sessionoptimizer_sdk.analysis import analyze_events
from sessionoptimizer_sdk.analysis._gcpause import gc_paused
from sessionoptimizer_sdk.models import EventType
from tests.analysis._builders import Events, session


@pytest.fixture
def gc_enabled() -> Iterator[None]:
    """Start each test with the GC enabled and leave it enabled."""
    was = gc.isenabled()
    gc.enable()
    yield
    if was:
        gc.enable()  # a test may have disabled it (the host's side of the story)
    else:
        gc.disable()


def _long_session(n: int) -> Events:
    ev = Events(step=1.0)
    for i in range(n):
        if i % 2:
            ev.add(EventType.AI_RESPONSE, tokens_input=10, tokens_output=20, data={"model": "sonnet"})
        else:
            ev.add(EventType.TOOL_CALL, data={"tool": "Bash", "args_sha256": str(i), "result_sha256": "r"})
    return ev


def test_long_analysis_runs_without_cyclic_collections_and_reenables_the_gc(gc_enabled: None) -> None:
    """Analyzing 20,000 events triggers no cyclic collection (bar one at the start); the GC is enabled after."""
    ev = _long_session(20_000)
    collections: list[int] = []

    def count(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            collections.append(info["generation"])

    gc.callbacks.append(count)
    try:
        report = analyze_events(session(), ev.items)
    finally:
        gc.callbacks.remove(count)
    assert report.event_count == 20_000
    # Unpaused, its 10,000 tool actions alone would trigger 14+ young collections (one per 700 allocations);
    # at most one can fall between the call and the pause.
    assert len(collections) <= 1
    assert gc.isenabled()


def test_pause_is_restored_after_an_exception(gc_enabled: None) -> None:
    """An error inside the paused block still leaves the GC enabled."""
    seen: list[bool] = []

    def fail() -> None:
        with gc_paused(100_000):
            seen.append(gc.isenabled())
            raise ValueError("boom")

    with pytest.raises(ValueError, match="boom"):
        fail()
    assert seen == [False]
    assert gc.isenabled()


def test_a_gc_disabled_by_the_host_stays_disabled(gc_enabled: None) -> None:
    """When the host had disabled the GC, the analysis does not turn it back on."""
    gc.disable()
    report = analyze_events(session(), _long_session(6_000).items)
    assert report.event_count == 6_000
    assert not gc.isenabled()


def test_short_sessions_leave_the_gc_alone(gc_enabled: None) -> None:
    """Below 5,000 events the GC stays enabled during the analysis."""
    with gc_paused(4_999):
        assert gc.isenabled()
    with gc_paused(5_000):
        assert not gc.isenabled()
    assert gc.isenabled()


def test_background_threads_never_pause_the_gc(gc_enabled: None) -> None:
    """An analysis on one of the SDK's background threads leaves the host's GC enabled throughout."""
    import threading

    seen: list[bool] = []

    def run() -> None:
        with gc_paused(50_000):
            seen.append(gc.isenabled())

    worker = threading.Thread(target=run)
    worker.start()
    worker.join()
    assert seen == [True]
    with gc_paused(50_000):  # the main thread (a CLI command, the user's own analyze call) does pause it
        assert not gc.isenabled()
    assert gc.isenabled()
