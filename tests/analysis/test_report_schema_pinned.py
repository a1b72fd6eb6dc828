"""The report's JSON object (docs/report-schema.md) key by key, its rounding, and reading older stored reports."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

from sessionoptimizer_sdk.analysis.report import (
    AnalyzerError,
    Finding,
    OptimizationReport,
    Recommendation,
    Severity,
)
from sessionoptimizer_sdk.models import TokenUsage

T0 = datetime(2026, 1, 21, 14, 30, tzinfo=UTC)


def _report(**kw: object) -> OptimizationReport:
    base: dict[str, object] = {
        "session_id": "s-1",
        "agent": "ATLAS",
        "task": "Fix",
        "model": "claude-sonnet-4-5",
        "status": "COMPLETED",
        "provisional": False,
        "efficiency_score": 72.456,
        "total_waste_tokens": 1_500,
        "totals": TokenUsage(1, 2, 3, 4, 5),
        "cost_usd": 0.12345678,
        "unpriced_reason": None,
        "waste_usd": 0.0000004,
        "active_minutes": 3.14159,
        "wall_minutes": 10.005,
        "event_count": 40,
        "started_at": T0,
        "ended_at": T0 + timedelta(minutes=10),
        "generated_at": T0 + timedelta(minutes=11),
    }
    base.update(kw)
    return OptimizationReport(**base)  # type: ignore[arg-type]


def test_finding_to_dict_exact() -> None:
    """A finding's JSON: every key, USD rounded to 6 decimals, NaN/inf USD as null."""
    f = Finding(
        "repeated_file_read",
        Severity.MEDIUM,
        "d",
        4_000,
        0.0144444449,
        ("e1", "e2"),
        {"content": 4_000},
        {"file_path": "a.py"},
        8_000,
        math.inf,
        False,
        math.nan,
    )
    assert f.to_dict() == {
        "type": "repeated_file_read",
        "severity": "MEDIUM",
        "description": "d",
        "waste_tokens": 4_000,
        "waste_usd": 0.014444,
        "evidence": ["e1", "e2"],
        "waste_by_kind": {"content": 4_000},
        "details": {"file_path": "a.py"},
        "carryover_tokens": 8_000,
        "carryover_usd": None,
        "avoidable": False,
        "cost_usd": None,
    }
    assert Finding.from_dict(f.to_dict()) == Finding(
        "repeated_file_read",
        Severity.MEDIUM,
        "d",
        4_000,
        0.014444,
        ("e1", "e2"),
        {"content": 4_000},
        {"file_path": "a.py"},
        8_000,
        None,
        False,
        None,
    )


def test_finding_and_recommendation_defaults_when_reading() -> None:
    """Older findings and recommendations without the newer keys read as avoidable, no carry-over, no USD."""
    f = Finding.from_dict({"type": "t", "severity": "LOW", "description": "d"})
    assert f == Finding("t", Severity.LOW, "d")
    assert (f.waste_tokens, f.carryover_tokens, f.avoidable, f.cost_usd, f.waste_usd) == (
        0,
        0,
        True,
        None,
        None,
    )
    r = Recommendation.from_dict({"title": "t", "detail": "d"})
    assert r == Recommendation("t", "d")
    assert (r.estimated_savings_tokens, r.estimated_savings_usd, r.carryover_tokens, r.issue_types) == (
        0,
        None,
        0,
        (),
    )


def test_recommendation_to_dict_exact() -> None:
    """A recommendation's JSON: every key, USD rounded to 6 decimals; it reads back equal."""
    r = Recommendation("t", "d", 18_010, 0.054030004, ("cache_miss",), 200, 0.00006)
    assert r.to_dict() == {
        "title": "t",
        "detail": "d",
        "estimated_savings_tokens": 18_010,
        "estimated_savings_usd": 0.05403,
        "issue_types": ["cache_miss"],
        "carryover_tokens": 200,
        "carryover_usd": 0.00006,
    }
    assert Recommendation.from_dict(r.to_dict()) == Recommendation(
        "t", "d", 18_010, 0.05403, ("cache_miss",), 200, 0.00006
    )


def test_report_to_dict_exact() -> None:
    """The report's JSON: score and minutes to 2 decimals, money to 6, every key present and named as documented."""
    report = _report(
        issues=(Finding("x", Severity.HIGH, "d"),),
        recommendations=(Recommendation("t", "d"),),
        analyzer_errors=(AnalyzerError("a", "boom"),),
        metrics={"error_rate": 0.1234567, "bad": math.inf},
        notes=("n",),
        pricing="priced",
        unavoidable_cost_usd=0.0675,
        thinking_basis="estimated",
        scored=True,
        subagents={"count": 0},
    )
    assert report.to_dict() == {
        "schema_version": 1,
        "session_id": "s-1",
        "agent": "ATLAS",
        "task": "Fix",
        "model": "claude-sonnet-4-5",
        "status": "COMPLETED",
        "provisional": False,
        "efficiency_score": 72.46,
        "total_waste_tokens": 1_500,
        "totals": {
            "input_tokens": 1,
            "cache_read_tokens": 3,
            "cache_write_tokens": 4,
            "output_tokens": 2,
            "reasoning_tokens": 5,
        },
        "cost_usd": 0.123457,
        "unpriced_reason": None,
        "waste_usd": 0.0,
        "active_minutes": 3.14,
        "wall_minutes": 10.01,  # 10.005 is stored as 10.00500000000000078...: rounds up
        "event_count": 40,
        "started_at": "2026-01-21T14:30:00+00:00",
        "ended_at": "2026-01-21T14:40:00+00:00",
        "generated_at": "2026-01-21T14:41:00+00:00",
        "issues": [Finding("x", Severity.HIGH, "d").to_dict()],
        "recommendations": [Recommendation("t", "d").to_dict()],
        "analyzer_errors": [{"analyzer": "a", "error": "boom"}],
        "metrics": {"error_rate": 0.123457, "bad": None},
        "notes": ["n"],
        "pricing": "priced",
        "unavoidable_cost_usd": 0.0675,
        "thinking_basis": "estimated",
        "scored": True,
        "subagents": {"count": 0},
    }


def test_report_json_of_edge_values() -> None:
    """A 0% score stays 0.0, a NaN score or minutes become 0.0, an active report has no end, and it reads back."""
    report = _report(efficiency_score=0.0, active_minutes=math.nan, wall_minutes=math.inf, ended_at=None)
    d = report.to_dict()
    assert (d["efficiency_score"], d["active_minutes"], d["wall_minutes"], d["ended_at"]) == (
        0.0,
        0.0,
        0.0,
        None,
    )
    back = OptimizationReport.from_dict(d)
    assert back.ended_at is None and back.efficiency_score == 0.0 and back.findings == ()


def test_report_round_trip() -> None:
    """A report written as JSON and read back is the same report (rounded figures aside)."""
    report = _report(
        cost_usd=0.5,
        waste_usd=0.25,
        efficiency_score=72.5,
        active_minutes=3.5,
        wall_minutes=10.0,
        issues=(Finding("x", Severity.HIGH, "d", 5, 0.25, avoidable=True),),
        recommendations=(Recommendation("t", "d", 5, 0.25),),
        analyzer_errors=(AnalyzerError("a", "boom"),),
        metrics={"m": 1.5},
        notes=("n",),
        pricing="free",
        unavoidable_cost_usd=0.125,
        thinking_basis="not_measurable",
        scored=False,
        subagents={"count": 1, "sessions": []},
        provisional=True,
        status="ACTIVE",
        event_count=7,
        schema_version=1,
    )
    assert OptimizationReport.from_dict(report.to_dict()) == report


def test_older_stored_report_defaults() -> None:
    """A stored report with only an id reads with documented defaults: unpriced, reported thinking, scored."""
    r = OptimizationReport.from_dict({"session_id": "old"})
    epoch = datetime.fromtimestamp(0).astimezone()
    assert (r.session_id, r.agent, r.task, r.model, r.status) == ("old", "", "", "", "")
    assert (r.provisional, r.efficiency_score, r.total_waste_tokens, r.event_count) == (False, 0.0, 0, 0)
    assert r.totals == TokenUsage(0, 0, 0, 0, 0)
    assert (r.cost_usd, r.unpriced_reason, r.waste_usd, r.unavoidable_cost_usd) == (None, None, None, None)
    assert (r.active_minutes, r.wall_minutes) == (0.0, 0.0)
    assert (r.started_at, r.ended_at, r.generated_at) == (epoch, None, epoch)
    assert (r.issues, r.recommendations, r.analyzer_errors, r.notes) == ((), (), (), ())
    assert (dict(r.metrics), dict(r.subagents)) == ({}, {})
    assert (r.schema_version, r.pricing, r.thinking_basis, r.scored) == (1, "unpriced", "reported", True)
    priced = OptimizationReport.from_dict({"session_id": "old", "cost_usd": 0.5, "subagents": None})
    assert (priced.pricing, dict(priced.subagents)) == ("priced", {})


def test_from_dict_coerces_stored_values() -> None:
    """Values stored as strings or other numbers read back as the documented types; a null metric reads as NaN."""
    r = OptimizationReport.from_dict(
        {
            "session_id": 12,
            "agent": 3,
            "efficiency_score": "87.5",
            "total_waste_tokens": "40",
            "totals": {"input_tokens": "7", "reasoning_tokens": 2},
            "active_minutes": 1,
            "event_count": "9",
            "metrics": {"a": 1, "b": None},
            "notes": [5],
            "schema_version": "1",
            "scored": 0,
            "provisional": 1,
            "analyzer_errors": [{"analyzer": "x"}],
        }
    )
    assert (r.session_id, r.agent, r.efficiency_score, r.total_waste_tokens) == ("12", "3", 87.5, 40)
    assert (r.totals.input_tokens, r.totals.reasoning_tokens, r.active_minutes, r.event_count) == (
        7,
        2,
        1.0,
        9,
    )
    assert math.isnan(r.metrics["b"])  # null: "not measurable", as the report that was stored had it
    assert (
        {k: v for k, v in r.metrics.items() if k != "b"},
        r.notes,
        r.schema_version,
        r.scored,
        r.provisional,
    ) == (
        {"a": 1.0},
        ("5",),
        1,
        False,
        True,
    )
    assert r.analyzer_errors == (AnalyzerError("x", ""),)


def test_stored_schema_version_and_partial_errors_read_back() -> None:
    """A report stored under another schema version keeps it; an analyzer error without a name reads as ''."""
    r = OptimizationReport.from_dict(
        {"session_id": "s", "schema_version": 2, "analyzer_errors": [{"error": "e"}]}
    )
    assert r.schema_version == 2
    assert r.analyzer_errors == (AnalyzerError("", "e"),)
