"""cache_miss's whole output pinned on three hand-built cache collapses (avoidable TTL, prefix change, a cost).

``sonnet`` prices per million tokens: input $3, 5-minute cache write $3.75 (1.25x), cache read $0.30 (0.1x).
A rewritten token is waste at its own price minus the cache-read price it would have cost.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from sessionoptimizer_sdk.analysis import analyze_events
from sessionoptimizer_sdk.analysis.report import Finding, OptimizationReport, Recommendation, Severity
from tests.analysis._builders import T0, Events, of_type, session

_WRITE, _READ, _INPUT = 3.75e-6, 0.30e-6, 3e-6


def _report(ev: Events) -> OptimizationReport:
    return analyze_events(session(), ev.items, now=T0 + timedelta(hours=3))


def _one(report: OptimizationReport) -> tuple[Finding, list[Recommendation]]:
    [f] = of_type(report, "cache_miss")
    return f, [r for r in report.recommendations if r.issue_types == ("cache_miss",)]


def test_a_5_minute_ttl_expiry_is_avoidable_net_of_the_1_hour_premium() -> None:
    """A 10.5-minute pause rewrites 10,000 tokens; net of dearer 1-hour writes elsewhere, 3,478 are avoidable."""
    ev = Events()
    ev.call(inp=0, cw=10_000)  # writes the 10,000-token prefix
    ev.call(inp=0, cr=10_000)  # reads it
    ev.call(inp=0, cw=10_000, gap=630)  # 630 s > 300 s TTL and <= 1 hour: rewritten
    f, [rec] = _one(_report(ev))
    # lost = min(10,000 - 0 read, 10,000 written) = 10,000; the session's other writes: 20,000 - 10,000 = 10,000
    # saved = 10,000 x (1.25 - 0.1) - 10,000 x (2 - 1.25) = 11,500 - 7,500 = 4,000 input-token units
    # scale = 4,000 / 11,500 = 0.3478...; net = round(10,000 x 0.3478...) = 3,478
    assert f.description == (
        "The prompt cache was rewritten 1 time(s) after idle gaps longer than the 5-minute cache TTL: "
        "10,000 tokens written again instead of read from cache; net of the 1-hour TTL's dearer writes, "
        "3,478 are avoidable"
    )
    assert (
        f.severity is Severity.MEDIUM
    )  # by the 3,478 avoidable tokens (1,000 <= 3,478 < 5,000), not the 10,000
    assert f.evidence == ("e2",)
    assert dict(f.details) == {
        "cause": "ttl_expired",
        "ttl": "5m",
        "avoidable": True,
        "changed": None,
        "misses": 1,
        "rewritten_tokens": 10_000,
        "max_idle_minutes": 10.5,  # 630 s / 60
        "one_hour_premium_tokens": 10_000,
        "net_avoidable_tokens": 3_478,
    }
    assert (f.waste_tokens, dict(f.waste_by_kind), f.avoidable) == (3_478, {"cache_write": 3_478}, True)
    assert f.waste_usd == pytest.approx(round(3_478 * (_WRITE - _READ), 6), abs=1e-9)  # $0.011999
    assert rec.title == "Use the 1-hour prompt-cache TTL"
    assert rec.detail == (
        "The 5-minute cache expired during pauses shorter than an hour. Requesting the 1-hour TTL "
        "(cache_control ttl '1h'; writes cost 2x input instead of 1.25x) keeps the prefix cached across such pauses."
    )
    assert rec.estimated_savings_tokens == 3_478


def test_a_prefix_change_claims_rewritten_writes_and_uncached_input() -> None:
    """10 s after a 10,000-token write, 6,000 are written again and 4,000 sent uncached: all 10,000 are waste."""
    ev = Events()
    ev.call(inp=0, cw=10_000)
    ev.call(inp=4_000, cw=6_000)  # nothing read from cache within the TTL
    f, [rec] = _one(_report(ev))
    assert f.description == (
        "The prompt cache was rewritten 1 time(s) because the prompt prefix changed: "
        "10,000 tokens written again instead of read from cache"
    )
    assert f.severity is Severity.HIGH
    assert dict(f.details) == {
        "cause": "prefix_changed",
        "ttl": None,
        "avoidable": True,
        "changed": None,
        "misses": 1,
        "rewritten_tokens": 10_000,
        "max_idle_minutes": 0.17,  # 10 s / 60 = 0.1666...
    }
    assert (f.waste_tokens, dict(f.waste_by_kind)) == (10_000, {"cache_write": 6_000, "input": 4_000})
    # 6,000 x ($3.75 - $0.30)/M + 4,000 x ($3 - $0.30)/M = $0.0207 + $0.0108 = $0.0315
    assert f.waste_usd == pytest.approx(6_000 * (_WRITE - _READ) + 4_000 * (_INPUT - _READ), abs=1e-9)
    assert (rec.title, rec.estimated_savings_tokens) == ("Keep the prompt prefix stable", 10_000)
    assert rec.detail == (
        "The cached prefix changed within the cache TTL (system prompt, tool list or early messages); keep "
        "them stable so later calls can read them from cache."
    )


def test_an_expiry_after_more_than_an_hour_is_a_cost_not_waste() -> None:
    """A 4,000 s pause outlives even the 1-hour TTL: the rewrite is a priced cost with no waste and no advice."""
    ev = Events()
    ev.call(inp=0, cw=10_000)
    ev.call(inp=0, cw=10_000, gap=4_000)
    f, recs = _one(_report(ev))
    assert f.description == (
        "The prompt cache was rewritten 1 time(s) after idle gaps longer than the 5-minute cache TTL: "
        "10,000 tokens written again instead of read from cache (a cost, not waste)"
    )
    assert f.severity is Severity.LOW
    assert dict(f.details) == {
        "cause": "ttl_expired",
        "ttl": "5m",
        "avoidable": False,
        "changed": None,
        "misses": 1,
        "rewritten_tokens": 10_000,
        "max_idle_minutes": 66.67,  # 4,000 s / 60 = 66.666...
        "cost_by_kind": {"cache_write": 10_000},
    }
    assert (f.waste_tokens, f.avoidable, recs) == (0, False, [])
    assert f.cost_usd == pytest.approx(10_000 * (_WRITE - _READ), abs=1e-9)  # $0.0345
