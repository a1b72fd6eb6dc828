"""cache_miss, long_session and high_waste."""

from __future__ import annotations

from datetime import timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from sessionoptimizer_sdk.analysis import analyze_events
from sessionoptimizer_sdk.models import EventType, SessionStatus
from tests.analysis._builders import T0, Events, of_type, session


def test_idle_cache_expiry_is_a_miss_with_its_cause() -> None:
    """After 10 idle minutes the 5-minute cache expired: the part a 1-hour TTL would have saved, net, is waste."""
    ev = Events()
    ev.call(cw=20_000)
    ev.call(cr=20_000, cw=1_000)
    ev.call(cr=0, cw=21_500, gap=600)
    [f] = of_type(analyze_events(session(), ev.items), "cache_miss")
    assert (f.details["cause"], f.details["ttl"], f.avoidable) == ("ttl_expired", "5m", True)
    # lost: the previous call's whole context, 10 uncached + 21,000 cached = 21,010 tokens, each 1.25 - 0.1 = 1.15
    # input-units dearer; a 1-hour TTL makes the other 20,000 + 1,000 + 21,500 - 21,010 = 21,490 written tokens
    # 2 - 1.25 = 0.75 dearer: net 21,010 x 1.15 - 21,490 x 0.75 = 8,044 input units = 6,995 rewrite tokens
    assert f.details["rewritten_tokens"] == 21_010
    assert f.waste_tokens == round((21_010 * 1.15 - 21_490 * 0.75) / 1.15) == 6_995
    assert any("1-hour TTL" in r.detail for r in analyze_events(session(), ev.items).recommendations)


def test_one_hour_ttl_that_would_cost_more_is_not_advised() -> None:
    """A 1-hour TTL premium (0.75x input on 69,990 other writes) outweighs the 10,020-token rewrite (1.15x)."""
    ev = Events()
    ev.call(cw=10_000)
    ev.call(cr=10_000, cw=60_000)
    ev.call(cr=0, cw=10_010, gap=600)
    report = analyze_events(session(), ev.items)
    [f] = of_type(report, "cache_miss")
    assert (f.details["cause"], f.avoidable, f.waste_tokens) == ("ttl_expired", False, 0)
    assert "1-hour" not in " ".join(r.title for r in report.recommendations)


def test_model_switch_is_named() -> None:
    """A switch of model rewrites the cache; the cause says so."""
    ev = Events()
    ev.call(cw=20_000, data={"model": "sonnet"})
    ev.call(cw=20_500, data={"model": "opus"})
    [f] = of_type(analyze_events(session(), ev.items), "cache_miss")
    assert (f.details["cause"], f.avoidable, f.waste_tokens) == ("model_switch", False, 0)


def test_first_call_and_uncached_sessions_are_not_misses() -> None:
    """The first cache write is not waste, and a session that never caches has no misses."""
    ev = Events()
    ev.call(cw=20_000)
    ev.call(cr=20_000, cw=100)
    plain = Events()
    plain.call(inp=20_000)
    plain.call(inp=21_000)
    assert of_type(analyze_events(session(), ev.items), "cache_miss") == []
    assert of_type(analyze_events(session(), plain.items), "cache_miss") == []


def test_long_session_uses_active_time() -> None:
    """18 hours of wall time with 10 minutes of activity is not a long session; 70 active minutes is."""
    ev = Events()
    ev.call()
    ev.call(gap=18 * 3600)
    short = analyze_events(session(minutes=18 * 60 + 1), ev.items)
    assert of_type(short, "long_session") == [] and short.wall_minutes > 1000
    busy = Events(step=60)
    for _ in range(70):
        busy.call()
    [f] = of_type(analyze_events(session(minutes=71), busy.items), "long_session")
    assert f.details["active_minutes"] > 60


def test_active_session_is_provisional_and_runs_to_now() -> None:
    """An ACTIVE session's report is provisional and its time runs to ``now``."""
    ev = Events()
    ev.call()
    report = analyze_events(session(status=SessionStatus.ACTIVE), ev.items, now=T0 + timedelta(minutes=3))
    assert report.provisional is True
    assert report.wall_minutes == 3.0


def test_high_waste_flags_the_total() -> None:
    """Total waste over 5,000 tokens raises the session-level flag, which claims nothing itself."""
    ev = Events()
    ev.read("a.py", 3_000)
    ev.read("a.py", 3_000)
    ev.read("b.py", 2_500)
    ev.read("b.py", 2_500)
    report = analyze_events(session(), ev.items)
    [flag] = of_type(report, "high_waste")
    assert flag.waste_tokens == 0
    assert report.total_waste_tokens > 5_000


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 3_000), st.integers(0, 50_000), st.integers(0, 50_000)), max_size=20)
)
def test_cache_miss_waste_is_within_the_call(calls: list[tuple[int, int, int]]) -> None:
    """A miss never claims more than the call's cache writes plus uncached input."""
    ev = Events()
    for gap, cr, cw in calls:
        ev.add(EventType.AI_RESPONSE, gap=gap, cache_read_tokens=cr, cache_write_tokens=cw, tokens_input=5)
    report = analyze_events(session(), ev.items)
    by_id = {e.id: e for e in ev.items}
    for f in of_type(report, "cache_miss"):
        assert f.waste_tokens <= sum(by_id[i].cache_write_tokens + by_id[i].tokens_input for i in f.evidence)
