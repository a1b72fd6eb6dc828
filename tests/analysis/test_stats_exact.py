"""Every key and value of the statistics a user reads (compare, agent, team, budget), pinned by hand."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from sessionoptimizer_sdk.analysis import agent_statistics, analyze_events, budget_status, compare_reports
from sessionoptimizer_sdk.analysis.report import OptimizationReport
from tests.analysis._builders import Events, session

NOW = datetime(2026, 1, 21, 12, 0, tzinfo=UTC)


def _r(
    sid: str, score: float, hours_ago: float, cost: float | None, waste: int, agent: str = "FORGE"
) -> OptimizationReport:
    ev = Events()
    ev.call(inp=100, out=10)
    ev.read("a.py", 50)
    ev.read("a.py", 50)
    base = analyze_events(session(), ev.items)
    return replace(
        base,
        session_id=sid,
        agent=agent,
        task=f"task {sid}",
        efficiency_score=score,
        cost_usd=cost,
        total_waste_tokens=waste,
        started_at=(NOW - timedelta(hours=hours_ago)).replace(tzinfo=None),  # naive: read as UTC
    )


def test_compare_reports_exact() -> None:
    """Equal scores rank by waste (more waste is worse); every row key is present with its value."""
    a, b, c = _r("a", 70.0, 1, 1.5, 100), _r("b", 70.0, 2, 0.5, 300), _r("c", 95.0, 3, None, 0)
    out = compare_reports([a, b, c])
    assert out == {
        "sessions": [
            {
                "session_id": s.session_id,
                "agent": "FORGE",
                "task": f"task {s.session_id}",
                "model": "sonnet",
                "status": "COMPLETED",
                "provisional": False,
                "efficiency_score": s.efficiency_score,
                "total_waste_tokens": s.total_waste_tokens,
                "fresh_tokens": 110,
                "cost_usd": s.cost_usd,
                "active_minutes": s.active_minutes,
                "issue_count": 1,
                "issue_types": ["repeated_file_read"],
            }
            for s in (a, b, c)
        ],
        "count": 3,
        "best": "c",
        "worst": "b",  # same score as a, more waste
        "average_efficiency": 78.3,  # (70 + 70 + 95) / 3 = 78.33
        "efficiency_spread": 25.0,
        "total_waste_tokens": 400,
        "cost_usd": 2.0,
        "unpriced_sessions": 1,
        "common_issues": {"repeated_file_read": 3},
    }


def test_agent_statistics_exact() -> None:
    """FORGE over 2 days: three sessions inside (naive timestamps read as UTC), one outside, one other agent."""
    reports = [
        _r("old", 10.0, 60, 9.0, 1),
        _r("a", 60.0, 40, 1.0, 10),
        _r("b", 70.0, 20, None, 20),
        _r("c", 80.0, 1, 2.0, 30),
        _r("x", 5.0, 1, 7.0, 99, agent="BOLT"),
    ]
    assert agent_statistics("FORGE", reports, days=2, now=NOW) == {
        "agent": "FORGE",
        "days": 2,
        "sessions_analyzed": 3,
        "average_efficiency": 70.0,
        "total_waste_tokens": 60,
        "cost_usd": 3.0,
        "unpriced_sessions": 1,
        "trends": {"direction": "improving", "change": 15.0},  # newer (70, 80) = 75 vs older (60) = 60
        "effect": None,  # neither guidance nor the guard was ever enabled for FORGE
    }


def test_budget_status_exact() -> None:
    """$12 spent by Jan 21 12:00 UTC (20.5 days into 31): forecast 12 / 20.5 x 31 = 18.15; Dec sessions excluded."""
    reports = [
        _r("a", 80, 1, 10.0, 0),
        _r("b", 80, 5, 2.0, 0),
        _r("c", 80, 6, None, 0),
        _r("dec", 80, 24 * 25, 50.0, 0),
    ]
    assert budget_status(reports, monthly_budget_usd=15.0, now=NOW) == {
        "month": "2026-01",
        "monthly_budget_usd": 15.0,
        "month_to_date_usd": 12.0,
        "forecast_usd": round(12.0 / 20.5 * 31, 2),
        "remaining_usd": 3.0,
        "on_track": False,
        "sessions": 3,
        "unpriced_sessions": 1,
    }
    first_hour = budget_status([], monthly_budget_usd=10.0, now=datetime(2026, 2, 1, 0, 0, 30, tzinfo=UTC))
    assert (first_hour["month"], first_hour["forecast_usd"], first_hour["on_track"]) == ("2026-02", 0.0, True)


def test_trend_change_rounds_to_one_decimal_and_unpriced_are_counted() -> None:
    """Older 60, 61 (60.5) vs newer 70, 70.25 (70.125): change 9.6; spread 10.25; two unpriced sessions."""
    from sessionoptimizer_sdk.analysis import compare_reports

    reports = [
        _r("a", 60.0, 40, None, 0),
        _r("b", 61.0, 30, None, 0),
        _r("c", 70.0, 20, 1.0, 0),
        _r("d", 70.25, 10, 1.0, 0),
    ]
    stats = agent_statistics("FORGE", reports, days=30, now=NOW)
    assert stats["trends"] == {"direction": "improving", "change": 9.6}
    assert (stats["unpriced_sessions"], stats["cost_usd"], stats["average_efficiency"]) == (2, 2.0, 65.3)
    assert compare_reports(reports)["efficiency_spread"] == 10.25
