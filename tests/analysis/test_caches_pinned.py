"""Prompt-cache misses found on a context built from events: boundaries, causes, TTLs and what changed.

Each expected miss is worked out by hand: previous context = input + cache reads + cache writes of the call before;
lost = min(min(previous, current) - cache reads, cache writes + input); the gap is between the two calls.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sessionoptimizer_sdk.analysis import AnalysisConfig, AnalysisContext, analyze_events
from sessionoptimizer_sdk.analysis._caches import CacheMiss
from sessionoptimizer_sdk.analysis.analyzers.cache_miss import find_cache_misses
from sessionoptimizer_sdk.models import EventType, SessionEvent
from tests.analysis._builders import T0, session

_NOW = T0 + timedelta(hours=3)


class _Timeline:
    """Events at explicit seconds after T0, ids e0, e1, ..."""

    def __init__(self) -> None:
        self.items: list[SessionEvent] = []

    def add(self, kind: EventType, at: float, **kw: Any) -> None:
        n = len(self.items)
        self.items.append(SessionEvent(f"e{n}", "s1", kind, T0 + timedelta(seconds=at), seq=n, **kw))

    def call(self, at: float, *, inp: int = 0, cr: int = 0, cw: int = 0, out: int = 0, **data: Any) -> None:
        self.add(
            EventType.AI_RESPONSE,
            at,
            tokens_input=inp,
            cache_read_tokens=cr,
            cache_write_tokens=cw,
            tokens_output=out,
            data=data,
        )


def _misses(t: _Timeline, model: str = "sonnet") -> list[CacheMiss]:
    ctx = AnalysisContext.build(session(model=model), t.items, AnalysisConfig(), _NOW)
    found = find_cache_misses(ctx)
    assert len(ctx.memo["feed"]) == len(
        t.items
    )  # the feed behind the context was built once, over all events
    return found


def _pair(
    prev: dict[str, Any], cur: dict[str, Any], gap: float = 10, model: str = "sonnet"
) -> list[CacheMiss]:
    t = _Timeline()
    t.call(0, **prev)
    t.call(gap, **cur)
    return _misses(t, model)


def test_the_minimum_context_is_inclusive() -> None:
    """A call after exactly 1,024 tokens of context can miss; after 1,023 it cannot."""
    assert _pair({"cr": 1_024}, {"inp": 24, "cw": 1_000}) == [
        CacheMiss(1, 1_024, 1_024, "prefix_changed", 10.0)
    ]
    assert _pair({"cr": 1_023}, {"inp": 24, "cw": 1_000}) == []


def test_reading_half_the_previous_context_is_no_miss() -> None:
    """Reading exactly half of the previous context from cache is no collapse; one token less is."""
    assert _pair({"cr": 2_000}, {"cr": 1_000, "cw": 1_000}) == []
    assert _pair({"cr": 2_000}, {"cr": 999, "cw": 1_001}) == [
        CacheMiss(1, 1_001, 2_000, "prefix_changed", 10.0)
    ]


def test_one_lost_token_is_a_miss_and_none_is_not() -> None:
    """A collapse that re-sends a single token is a 1-token miss; one that re-sends nothing is none."""
    assert _pair({"cr": 2_000}, {"inp": 1}) == [CacheMiss(1, 1, 2_000, "prefix_changed", 10.0)]
    assert _pair({"cr": 2_000}, {"out": 5}) == []


def test_model_switch_and_compaction_are_unavoidable_costs() -> None:
    """A miss after a model switch or a compaction is labelled so and marked unavoidable."""
    assert _pair({"cr": 5_000}, {"cw": 5_000, "model": "opus"}) == [
        CacheMiss(1, 5_000, 5_000, "model_switch", 10.0, avoidable=False)
    ]
    t = _Timeline()
    t.call(0, cr=5_000)
    t.add(EventType.COMPACTION, 10)
    t.call(20, cw=5_000)
    assert _misses(t) == [CacheMiss(2, 5_000, 5_000, "compaction", 20.0, avoidable=False)]


def test_five_minute_ttl_boundaries() -> None:
    """A 300 s gap is within the 5-minute TTL; 301 s expired it (avoidable up to one hour, not beyond)."""
    prev, cur = {"cr": 5_000}, {"cw": 5_000}
    assert _pair(prev, cur, 300) == [CacheMiss(1, 5_000, 5_000, "prefix_changed", 300.0)]
    assert _pair(prev, cur, 301) == [CacheMiss(1, 5_000, 5_000, "ttl_expired", 301.0, "5m", True)]
    assert _pair(prev, cur, 3_600) == [CacheMiss(1, 5_000, 5_000, "ttl_expired", 3_600.0, "5m", True)]
    assert _pair(prev, cur, 3_601) == [CacheMiss(1, 5_000, 5_000, "ttl_expired", 3_601.0, "5m", False)]


def test_one_hour_ttl() -> None:
    """After a 1-hour cache write, a 400 s gap is a prefix change and a 3,700 s gap an unavoidable 1h expiry."""
    prev = {"cw": 5_000, "cache_write_1h_tokens": 5_000}
    assert _pair(prev, {"cw": 5_000}, 400) == [CacheMiss(1, 5_000, 5_000, "prefix_changed", 400.0)]
    assert _pair(prev, {"cw": 5_000}, 3_700) == [
        CacheMiss(1, 5_000, 5_000, "ttl_expired", 3_700.0, "1h", False)
    ]


def test_openai_caching_is_automatic() -> None:
    """An OpenAI model (by name or by provider) has automatic caching: an expiry is no TTL choice, not avoidable."""
    expired = [CacheMiss(1, 5_000, 5_000, "ttl_expired", 400.0, "automatic", False)]
    assert _pair({"cr": 5_000}, {"cw": 5_000}, 400, model="gpt-4o") == expired
    assert _pair({"cr": 5_000}, {"cw": 5_000, "provider": "openai"}, 400) == expired


def test_a_new_mcp_tool_changes_the_prefix_once() -> None:
    """The first use of an MCP tool between calls is named as the change; its second use later is not."""
    t = _Timeline()
    t.call(0, cw=5_000)
    t.add(EventType.TOOL_CALL, 5, data={"tool": "mcp__fs__read_file"})
    t.call(10, cw=5_000)
    t.add(EventType.TOOL_CALL, 15, data={"tool": "mcp__fs__read_file"})
    t.call(20, cw=5_000)
    assert _misses(t) == [
        CacheMiss(2, 5_000, 5_000, "prefix_changed", 10.0, changed="tool list loaded mid-session"),
        CacheMiss(4, 5_000, 5_000, "prefix_changed", 10.0),
    ]


def test_tool_search_and_system_reminders_are_named() -> None:
    """A ToolSearch call and a system reminder before a miss are named as what changed."""
    t = _Timeline()
    t.call(0, cw=5_000)
    t.add(EventType.TOOL_CALL, 5, name="ToolSearch")
    t.call(10, cw=5_000)
    t.add(EventType.USER_MESSAGE, 15, data={"system_reminder": True})
    t.call(20, cw=5_000)
    assert [m.changed for m in _misses(t)] == [
        "tool list loaded mid-session",
        "a system reminder was inserted",
    ]


def _ttl_finding(first: dict[str, Any]) -> dict[str, Any]:
    t = _Timeline()
    t.call(0, **first)
    t.call(400, cw=5_000)  # 400 s > the 5-minute TTL: 5,000 tokens written again
    report = analyze_events(session(), t.items, now=_NOW)
    (finding,) = [f for f in report.issues if f.type == "cache_miss"]
    return dict(finding.details)


def test_one_hour_ttl_saving_is_net_of_its_dearer_writes() -> None:
    """5,000 rewritten, 5,000 other writes: saved 5,000 x 1.15 - 5,000 x 0.75 = 2,000 of 5,750, 1,739 tokens net."""
    details = _ttl_finding({"cw": 5_000})
    assert (details["one_hour_premium_tokens"], details["net_avoidable_tokens"]) == (5_000, 1_739)


def test_one_hour_ttl_saving_with_no_other_writes_is_the_whole_rewrite() -> None:
    """When the rewrite was the session's only cache write, a 1-hour TTL saves all 5,000 tokens."""
    details = _ttl_finding({"cr": 5_000})
    assert (details["one_hour_premium_tokens"], details["net_avoidable_tokens"]) == (0, 5_000)
