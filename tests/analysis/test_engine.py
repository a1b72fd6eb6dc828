"""analyze_events as a whole: never raises, never double counts, isolates broken analyzers, round-trips."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sessionoptimizer_sdk.analysis import AnalysisConfig, Draft, OptimizationReport, analyze_events, registry
from sessionoptimizer_sdk.analysis.base import Claim
from sessionoptimizer_sdk.analysis.context import AnalysisContext, get_int
from sessionoptimizer_sdk.analysis.report import Severity
from sessionoptimizer_sdk.models import EventType, SessionEvent
from sessionoptimizer_sdk.reporting import render
from tests.analysis._builders import T0, Events, session

_junk = st.one_of(
    st.none(), st.integers(-5, 10**20), st.floats(allow_nan=True), st.text(max_size=5), st.booleans()
)
_data = st.dictionaries(
    st.sampled_from(
        [
            "file_path",
            "offset",
            "limit",
            "result_tokens",
            "tool",
            "args_sha256",
            "result_sha256",
            "model",
            "compressed",
            "original_tokens",
            "compressed_tokens",
            "tool_call_id",
            "message",
            "error_kind",
            "content_sha256",
        ]
    ),
    _junk,
    max_size=6,
)
_event = st.builds(
    lambda i, kind, gap, data, tin, tout, cr, cw, rs, err: SessionEvent(
        id=f"e{i}",
        session_id="s1",
        event_type=kind,
        timestamp=T0 + timedelta(seconds=gap),
        data=data,
        tokens_input=tin,
        tokens_output=tout,
        cache_read_tokens=cr,
        cache_write_tokens=cw,
        reasoning_tokens=rs,
        is_error=err,
    ),
    st.integers(0, 40),
    st.sampled_from(list(EventType)),
    st.integers(0, 7_200),
    _data,
    st.integers(0, 30_000),
    st.integers(0, 5_000),
    st.integers(0, 60_000),
    st.integers(0, 30_000),
    st.integers(0, 5_000),
    st.booleans(),
)


@settings(max_examples=200, deadline=None)
@given(st.lists(_event, max_size=40), st.sampled_from(["sonnet", "grok", "no-such-model", "gpt-4o"]))
def test_arbitrary_events_never_raise_and_never_double_count(events: list[SessionEvent], model: str) -> None:
    """On any events: no analyzer error, a score in 0..100, JSON-safe output, waste within what was billed."""
    report = analyze_events(session(model=model), events)
    assert report.analyzer_errors == ()
    assert 0.0 <= report.efficiency_score <= 100.0
    json.dumps(report.to_dict(), allow_nan=False)
    assert OptimizationReport.from_dict(report.to_dict()) == report
    billed_and_content = sum(e.fresh_tokens for e in events) + sum(
        get_int(e.data, "result_tokens") or 0 for e in events
    )
    assert report.total_waste_tokens <= billed_and_content
    carry = sum(f.waste_by_kind.get("cache_read_carryover", 0) for f in report.issues)
    assert carry <= report.totals.cache_read_tokens
    if report.total_waste_tokens == 0 and carry == 0:
        assert report.efficiency_score == 100.0


def test_no_waste_scores_100_and_prices_the_session() -> None:
    """A clean session scores 100 and is priced from the library (sonnet alias)."""
    ev = Events()
    ev.call(inp=1_000, cw=2_000, out=500)
    report = analyze_events(session(), ev.items)
    assert report.efficiency_score == 100.0
    assert report.cost_usd == pytest.approx(1_000 * 3e-6 + 2_000 * 3.75e-6 + 500 * 15e-6)


def test_free_and_unknown_models() -> None:
    """BOLT is free by configuration ($0, "free"); an unknown model is unpriced with a reason, never $0."""
    ev = Events()
    ev.call(inp=1_000, out=500)
    free = analyze_events(session(model="grok", agent="BOLT"), ev.items)
    unknown = analyze_events(session(model="my-private-llm"), ev.items)
    assert (free.cost_usd, free.pricing) == (0.0, "free")
    assert "free by configuration" in render(free, "text")
    assert (unknown.cost_usd, unknown.pricing) == (None, "unpriced")
    assert unknown.unpriced_reason and "my-private-llm" in unknown.unpriced_reason


def test_grok_is_not_free_unless_configured() -> None:
    """The paid grok-4 from xAI ($3 in / $15 out per million) is priced; a bare unknown grok id is unpriced, not $0."""
    ev = Events()
    ev.call(inp=1_000, out=500)
    paid = analyze_events(session(model="grok-4"), ev.items)
    assert paid.cost_usd == pytest.approx(1_000 * 3e-6 + 500 * 15e-6)
    bare = analyze_events(session(model="grok"), ev.items)
    assert (bare.cost_usd, bare.pricing) == (None, "unpriced")
    mine = AnalysisConfig(free_models=frozenset({"grok"}), free_agents=frozenset())
    configured = analyze_events(session(model="grok-4", agent="BOLT"), ev.items, config=mine)
    assert (configured.cost_usd, configured.pricing) == (0.0, "free")


class _Broken:
    name = "broken"
    order = 15

    def analyze(self, ctx: AnalysisContext) -> Iterable[Draft]:
        raise RuntimeError("kaput")


class _Greedy:
    name = "greedy"
    order = 1

    def analyze(self, ctx: AnalysisContext) -> Iterable[Draft]:
        return [
            Draft(
                "greedy",
                Severity.LOW,
                "claims everything twice",
                evidence=("e1",),
                claims=(Claim("e1", "content", 10**9), Claim("e1", "content", 10**9)),
            )
        ]


def test_broken_analyzer_is_isolated_and_claims_are_capped(monkeypatch: pytest.MonkeyPatch) -> None:
    """A raising analyzer is listed under analyzer_errors; a greedy one cannot claim more than the event holds."""
    monkeypatch.setattr(registry, "_loaded", (*registry.load_analyzers(), _Broken(), _Greedy()))
    ev = Events()
    ev.read("a.py", 1_000)
    ev.read("a.py", 1_000)
    report = analyze_events(session(), ev.items)
    assert [e.analyzer for e in report.analyzer_errors] == ["broken"]
    greedy = [f for f in report.issues if f.type == "greedy"]
    assert greedy[0].waste_tokens == 1_000
    assert not [f for f in report.issues if f.type == "repeated_file_read"]  # already counted by greedy


def test_malformed_plugin_is_skipped_with_a_reason() -> None:
    """validate_analyzer rejects objects that are not analyzers."""
    with pytest.raises(TypeError):
        registry.validate_analyzer(object())
    assert registry.validate_analyzer(_Greedy).name == "greedy"


def test_builtins_are_registered_through_entry_points() -> None:
    """All nine built-in finding types load, in a stable order."""
    names = [a.name for a in registry.load_analyzers(reload=True)]
    assert set(names) >= {
        "repeated_file_read",
        "large_uncompressed_read",
        "retry_loop",
        "high_error_rate",
        "thinking_overhead",
        "token_spike",
        "cache_miss",
        "long_session",
        "high_waste",
    }
    assert names[-1] == "high_waste"


def test_free_agent_without_calls_is_still_free() -> None:
    """A BOLT session with no model calls is reported free ($0 by configuration), not priced."""
    report = analyze_events(session(model="grok", agent="BOLT"), [])
    assert (report.pricing, report.cost_usd) == ("free", 0.0)
