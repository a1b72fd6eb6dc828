"""Issue 14 item 2: every cache miss is labelled with its cause; only avoidable misses are waste.

Hand-computed at Claude Sonnet 4.5's published prices (USD per million tokens: cache read 0.30, 5-minute
cache write 3.75, 1-hour cache write 6.00 = 2x the 3.00 input price).
"""

from __future__ import annotations

import pytest

from sessionoptimizer_sdk.analysis import analyze_events
from sessionoptimizer_sdk.models import EventType
from tests.analysis._builders import Events, of_type, session

CR, CW5, CW1H = 0.30e-6, 3.75e-6, 6.00e-6


def _titles(report: object) -> str:
    return " | ".join(f"{r.title}: {r.detail}" for r in report.recommendations)  # type: ignore[attr-defined]


def test_gap_over_an_hour_is_a_cost_not_waste() -> None:
    """A 2-hour pause expires any TTL: the 20,010-token rewrite is a cost ($0.0690), never waste or TTL advice."""
    ev = Events()
    ev.call(cw=20_000)
    ev.call(cr=0, cw=20_010, gap=7_200)
    report = analyze_events(session(), ev.items)
    [f] = of_type(report, "cache_miss")
    assert (f.details["cause"], f.details["ttl"], f.avoidable) == ("ttl_expired", "5m", False)
    assert (f.waste_tokens, f.waste_usd) == (0, 0.0)
    assert f.cost_usd == pytest.approx(20_010 * (CW5 - CR), abs=1e-6)  # reports round to micro-dollars
    assert report.unavoidable_cost_usd == pytest.approx(20_010 * (CW5 - CR), abs=1e-6)
    assert report.total_waste_tokens == 0 and "TTL" not in _titles(report)
    assert "a cost, not waste" in f.description


def test_compaction_miss_is_a_cost() -> None:
    """The rewrite after a compaction is reported as a cost, with no 'compact less often' advice."""
    ev = Events()
    ev.call(cw=20_000)
    ev.add(EventType.COMPACTION, data={"trigger": "auto"})
    ev.call(inp=0, cr=0, cw=5_000)
    report = analyze_events(session(), ev.items)
    [f] = of_type(report, "cache_miss")
    assert (f.details["cause"], f.avoidable, f.waste_tokens) == ("compaction", False, 0)
    assert f.cost_usd == pytest.approx(5_000 * (CW5 - CR))
    assert "Compact less often" not in _titles(report)


def test_session_on_one_hour_ttl_is_never_told_to_use_it() -> None:
    """With 1-hour writes, a 10-minute gap is under the TTL (prefix changed); a 70-minute gap is a cost."""
    ev = Events()
    ev.call(cw=20_000, data={"cache_write_1h_tokens": 20_000})
    ev.call(cr=0, cw=20_010, gap=600, data={"cache_write_1h_tokens": 20_010})
    ev.call(cr=0, cw=20_020, gap=4_200, data={"cache_write_1h_tokens": 20_020})
    report = analyze_events(session(), ev.items)
    causes = {(f.details["cause"], f.details["ttl"], f.avoidable) for f in of_type(report, "cache_miss")}
    assert causes == {("prefix_changed", None, True), ("ttl_expired", "1h", False)}
    [changed] = [f for f in of_type(report, "cache_miss") if f.avoidable]
    # the whole rewrite was a 1-hour write: priced at 2x input, net of the cache read it should have been
    assert changed.waste_usd == pytest.approx(20_010 * (CW1H - CR))
    assert "1-hour" not in _titles(report)


def test_codex_sessions_get_no_ttl_advice() -> None:
    """OpenAI caching is automatic: a miss after a 10-minute gap is a cost with no Anthropic TTL advice."""
    ev = Events()
    ev.call(cr=0, inp=20_000, data={"provider": "openai", "model": "gpt-5"})
    ev.call(cr=20_000, inp=10, data={"provider": "openai", "model": "gpt-5"})
    ev.call(cr=0, inp=20_020, gap=600, data={"provider": "openai", "model": "gpt-5"})
    report = analyze_events(session(model="gpt-5"), ev.items)
    [f] = of_type(report, "cache_miss")
    assert (f.details["cause"], f.details["ttl"], f.avoidable) == ("ttl_expired", "automatic", False)
    assert "TTL" not in _titles(report) and report.total_waste_tokens == 0


def test_prefix_change_names_a_tool_list_loaded_mid_session() -> None:
    """A ToolSearch between two calls 10 s apart is named as what changed the prefix, with fitting advice."""
    ev = Events()
    ev.call(cw=20_000)
    ev.tool("ToolSearch")
    ev.call(cr=2_000, cw=18_010)
    report = analyze_events(session(), ev.items)
    [f] = of_type(report, "cache_miss")
    assert (f.details["cause"], f.details["changed"]) == ("prefix_changed", "tool list loaded mid-session")
    assert f.waste_tokens == 18_010  # previous context 20,010 minus the 2,000 still read from cache
    assert "Load tools before the session starts" in _titles(report)
