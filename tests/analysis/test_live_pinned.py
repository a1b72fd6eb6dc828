"""LiveCache's bound and eviction order, and LiveAnalysis's rebuilds, pinned with hand-counted events."""

from __future__ import annotations

from datetime import timedelta

import pytest

from sessionoptimizer_sdk.analysis.incremental import LiveAction
from sessionoptimizer_sdk.analysis.live import LiveAnalysis, LiveCache, StaleLiveState
from sessionoptimizer_sdk.models import EventType, SessionEvent, SessionStatus
from tests.analysis._builders import T0, session


def _events(n: int, start: int = 0) -> list[SessionEvent]:
    return [
        SessionEvent(f"e{i}", "s1", EventType.AI_RESPONSE, T0 + timedelta(seconds=i), seq=i, tokens_output=1)
        for i in range(start, start + n)
    ]


def _cache(max_events: int, sizes: dict[str, int]) -> LiveCache:
    cache = LiveCache(max_events)
    for sid, n in sizes.items():  # used in this order: the first is the least recently used
        cache.get(sid).add(_events(n))
    return cache


def _held(cache: LiveCache, *sids: str) -> list[str]:
    return [s for s in sids if s in cache]


def test_default_bound_is_a_million_events() -> None:
    """A LiveCache holds up to 1,000,000 events unless told otherwise."""
    assert LiveCache().max_events == 1_000_000


def test_exactly_at_the_bound_nothing_is_evicted() -> None:
    """Sessions holding exactly max_events events in all are all kept."""
    cache = _cache(5, {"a": 3, "b": 2})
    cache.trim("b")
    assert (_held(cache, "a", "b"), cache.evictions, cache.held) == (["a", "b"], 0, 5)


def test_the_kept_session_is_skipped_not_a_stop() -> None:
    """Eviction passes over the session to keep and evicts the next least recently used one."""
    cache = _cache(4, {"k": 2, "x": 2, "y": 2})
    cache.trim("k")
    assert (_held(cache, "k", "x", "y"), cache.evictions) == (["k", "y"], 1)


def test_eviction_stops_once_under_the_bound() -> None:
    """After evicting 4 of 6 events the 2 left fit the bound of 2: no further session is evicted."""
    cache = _cache(2, {"x": 4, "y": 1, "z": 1})
    cache.trim("z")
    assert (_held(cache, "x", "y", "z"), cache.evictions, cache.held) == (["y", "z"], 1, 2)


def test_every_eviction_is_counted() -> None:
    """Two sessions evicted count two evictions."""
    cache = _cache(1, {"x": 1, "y": 1, "z": 1})
    cache.trim("z")
    assert (_held(cache, "x", "y", "z"), cache.evictions) == (["z"], 2)


def test_a_session_alone_over_the_bound_is_not_held() -> None:
    """A session that alone holds more than max_events is dropped too; one exactly at the bound is kept."""
    cache = _cache(3, {"k": 4})
    cache.trim("k")
    assert ("k" in cache, cache.evictions) == (False, 1)
    cache = _cache(3, {"k": 3})
    cache.trim("k")
    assert ("k" in cache, cache.evictions) == (True, 0)


def test_drop_forgets_only_that_session() -> None:
    """Drop removes the named session's state and keeps the others."""
    cache = _cache(10, {"a": 1, "b": 1})
    cache.drop("a")
    assert _held(cache, "a", "b") == ["b"]


def test_a_stale_state_without_reload_says_why_and_holds_nothing() -> None:
    """An out-of-order event with no way to reload raises StaleLiveState with its reason, and holds no events."""
    live = LiveAnalysis()
    sess = session(status=SessionStatus.ACTIVE)
    live.add(_events(2, start=5))
    live.report(sess, T0 + timedelta(minutes=5))
    live.add(_events(1, start=0))  # older than those already fed
    with pytest.raises(
        StaleLiveState,
        match=r"^the live state needs all of the session's events and has no way to load them$",
    ):
        live.report(sess, T0 + timedelta(minutes=5))
    assert len(live) == 0


def test_each_rebuild_is_counted() -> None:
    """Two out-of-order arrivals rebuild the state twice, each time from every event."""
    every = _events(6)
    live = LiveAnalysis(lambda: every)
    sess = session(status=SessionStatus.ACTIVE)
    live.add(every[4:])
    live.report(sess, T0 + timedelta(minutes=5))
    live.add(every[2:3])
    live.report(sess, T0 + timedelta(minutes=5))
    live.add(every[0:1])
    report = live.report(sess, T0 + timedelta(minutes=5))
    assert (live.rebuilds, live.out_of_order, len(live), report.totals.output_tokens) == (2, 2, 6, 6)


def test_a_kept_action_drops_its_event_and_keeps_its_facts() -> None:
    """keep() keeps an action's token facts and lets go of its event (a live state holds no events)."""
    e = SessionEvent(
        "t1",
        "s1",
        EventType.TOOL_CALL,
        T0,
        tokens_input=7,
        tokens_output=3,
        data={"result_tokens": 40, "model": "opus"},
    )
    action = LiveAction("t1", "Bash", None, None, None, e, ())
    assert action.keep() is action
    assert action.event is None
    f = action.facts
    assert (f.id, f.model, f.input, f.output, f.result_tokens) == ("t1", "opus", 7, 3, 40)
    assert action.keep().event is None


def test_the_kept_session_exactly_at_the_bound_stays_after_the_others_go() -> None:
    """With the others evicted, a kept session holding exactly max_events events is still held."""
    cache = _cache(3, {"k": 3, "x": 1})
    cache.trim("k")
    assert (_held(cache, "k", "x"), cache.evictions) == (["k"], 1)
