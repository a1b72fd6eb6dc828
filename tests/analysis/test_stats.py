"""compare_reports, agent_statistics (trends) and budget_status."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from sessionoptimizer_sdk.analysis import agent_statistics, analyze_events, budget_status, compare_reports
from sessionoptimizer_sdk.analysis.report import OptimizationReport
from tests.analysis._builders import Events, session

NOW = datetime(2026, 1, 21, 12, 0, tzinfo=UTC)


def _report(
    score: float, days_ago: float, cost: float | None = 1.0, agent: str = "FORGE"
) -> OptimizationReport:
    ev = Events()
    ev.call()
    base = analyze_events(session(), ev.items)
    return replace(
        base,
        agent=agent,
        efficiency_score=score,
        cost_usd=cost,
        started_at=NOW - timedelta(days=days_ago),
        session_id=f"s{score}-{days_ago}",
    )


def test_agent_statistics_trend_improving() -> None:
    """Newer sessions more efficient than older ones make an improving trend with the change in points."""
    reports = [_report(70, 20), _report(72, 15), _report(80, 5), _report(84, 1), _report(10, 1, agent="BOLT")]
    stats = agent_statistics("FORGE", reports, days=30, now=NOW)
    assert stats["sessions_analyzed"] == 4
    assert stats["average_efficiency"] == 76.5
    assert stats["trends"] == {"direction": "improving", "change": 11.0}
    assert stats["cost_usd"] == 4.0


def test_agent_statistics_window_and_stable() -> None:
    """Sessions outside the window are ignored; equal halves are stable."""
    stats = agent_statistics("FORGE", [_report(80, 40), _report(80, 3), _report(80.4, 2)], days=30, now=NOW)
    assert stats["sessions_analyzed"] == 2
    assert stats["trends"]["direction"] == "stable"


def test_budget_forecast_and_unpriced() -> None:
    """Month-to-date spend is forecast linearly; unpriced sessions are counted, not added as $0."""
    reports = [
        _report(80, 10, cost=10.0),
        _report(80, 1, cost=20.0),
        _report(80, 2, cost=None),
        _report(80, 25),
    ]
    status = budget_status(reports, monthly_budget_usd=60.0, now=NOW)
    assert status["month_to_date_usd"] == 30.0
    assert status["unpriced_sessions"] == 1
    assert status["forecast_usd"] == round(30.0 / 20.5 * 31, 2)  # 20.5 days into a 31-day month
    assert status["on_track"] is True
    assert budget_status(reports, monthly_budget_usd=40.0, now=NOW)["on_track"] is False


def test_compare_names_best_and_worst() -> None:
    """Comparison lists every session and names the best and worst by efficiency."""
    a, b = _report(90, 1), _report(60, 2)
    result = compare_reports([a, b])
    assert result["best"] == a.session_id and result["worst"] == b.session_id
    assert result["count"] == 2 and result["average_efficiency"] == 75.0
