"""Issue 14 item 10: every figure a user reads, pinned to a hand-computed value.

Weights and prices are Claude Sonnet 4.5's published ones: per million tokens input $3.00, output $15.00,
cache read $0.30, 5-minute cache write $3.75; as score weights relative to input: 1, 5, 0.1, 1.25.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from sessionoptimizer_sdk.analysis import agent_statistics, analyze_events
from sessionoptimizer_sdk.analysis.report import OptimizationReport
from sessionoptimizer_sdk.models import EventType, SessionStatus
from sessionoptimizer_sdk.reporting import render
from tests.analysis._builders import Events, of_type, session

NOW = datetime(2026, 1, 21, 12, 0, tzinfo=UTC)


def test_score_weights_content_as_input() -> None:
    """T = 1,000x1 + 10,000x0.1 + 2,000x1.25 + 400x5 = 6,500; W = 500 re-read tokens x1: score 92.31."""
    ev = Events()
    ev.call(inp=1_000, cr=10_000, cw=2_000, out=400)
    ev.read("a.py", 500)
    ev.read("a.py", 500)
    report = analyze_events(session(), ev.items)
    assert report.efficiency_score == round(100 * (1 - 500 / 6_500), 2) == 92.31
    assert report.total_waste_tokens == 500
    assert report.waste_usd == pytest.approx(500 * 3e-6)
    assert report.cost_usd == pytest.approx(1_000 * 3e-6 + 10_000 * 0.3e-6 + 2_000 * 3.75e-6 + 400 * 15e-6)


def test_score_weights_cache_rewrites_net_of_the_cache_read() -> None:
    """T = 8,000x1.25 + 200x5 = 11,000; W = 4,000 x (1.25 - 0.1) = 4,600: score 58.18, waste $0.0138."""
    ev = Events()
    ev.call(inp=0, cw=4_000, out=0)
    ev.call(inp=0, cw=4_000, out=200)
    report = analyze_events(session(), ev.items)
    [f] = of_type(report, "cache_miss")
    assert report.efficiency_score == round(100 * (1 - 4_600 / 11_000), 2) == 58.18
    assert f.waste_by_kind == {"cache_write": 4_000}
    assert f.waste_usd == pytest.approx(4_000 * (3.75e-6 - 0.3e-6))
    assert report.cost_usd == pytest.approx(8_000 * 3.75e-6 + 200 * 15e-6)


def test_score_weights_output_five_times_input() -> None:
    """8,000 thinking + 2,000 output: T = 10,000x5 = 50,000; W = (8,000 - 6,000)x5 = 10,000: score 80.0."""
    ev = Events()
    ev.add(EventType.THINKING, tokens_output=8_000)
    ev.call(inp=0, out=2_000)
    report = analyze_events(session(), ev.items)
    assert report.efficiency_score == 80.0
    [f] = of_type(report, "thinking_overhead")
    assert (f.waste_tokens, f.waste_by_kind) == (2_000, {"output": 2_000})
    assert f.waste_usd == pytest.approx(2_000 * 15e-6)


def test_score_weights_carry_over_as_cache_reads() -> None:
    """Re-read 10,000 + first read's large-read saving 4,000 (x1) + carry 20,000 (x0.1); T = 47,790: score 66.52."""
    ev = Events()
    ev.read("src/a.py", 10_000)
    ev.call(inp=10, cw=20_000)
    ev.read("src/a.py", 10_000)
    ev.call(inp=10, cr=20_000, cw=10_000)
    ev.call(inp=10, cr=30_000, cw=100)
    report = analyze_events(session(), [*ev.items, ev.call(inp=0, cr=30_100, cw=100)])
    total = 30 * 1 + 80_100 * 0.1 + 30_200 * 1.25 + 400 * 5
    # the first 10,000-token .py read is large: code keeps 60%, so 4,000 tokens of it are claimed too
    waste = 10_000 * 1 + 4_000 * 1 + 20_000 * 0.1
    assert report.efficiency_score == round(100 * (1 - waste / total), 2) == 66.52
    assert [(f.type, f.waste_tokens, f.carryover_tokens) for f in report.issues[:2]] == [
        ("repeated_file_read", 10_000, 20_000),
        ("large_uncompressed_read", 4_000, 0),
    ]


def test_empty_failed_session_is_not_100_percent_efficient() -> None:
    """A FAILED session with no events has no score: 'n/a', excluded from averages, never '100%'."""
    report = analyze_events(session(status=SessionStatus.FAILED), [])
    assert report.scored is False and report.to_dict()["scored"] is False
    text = render(report, "text")
    assert "n/a (no model calls recorded)" in text and "100.0%" not in text
    assert "100.0%" not in render(report, "html")


def _report(score: float, days_ago: float, agent: str = "FORGE") -> OptimizationReport:
    ev = Events()
    ev.call()
    base = analyze_events(session(), ev.items)
    return replace(base, agent=agent, efficiency_score=score, started_at=NOW - timedelta(days=days_ago))


@pytest.mark.parametrize(
    ("scores", "direction", "change"),
    [
        ([60, 62, 70, 74], "improving", 11.0),  # (70 + 74) / 2 - (60 + 62) / 2
        ([90, 88, 80, 76], "declining", -11.0),  # (80 + 76) / 2 - (90 + 88) / 2
        ([80, 81, 80.5, 80.9], "stable", 0.2),  # 80.7 - 80.5: under the 1-point line
    ],
)
def test_trend_reaches_each_direction(scores: list[float], direction: str, change: float) -> None:
    """The newer half's average minus the older half's gives improving, declining or stable."""
    reports = [_report(s, days_ago=20 - 5 * i) for i, s in enumerate(scores)]
    trends = agent_statistics("FORGE", reports, days=30, now=NOW)["trends"]
    assert trends == {"direction": direction, "change": change}


def test_agent_with_no_sessions_has_no_data_not_zero() -> None:
    """An agent with no sessions: average efficiency is None (no data) and the trend says no_data."""
    stats = agent_statistics("NOBODY", [_report(80, 1)], days=30, now=NOW)
    assert stats["sessions_analyzed"] == 0
    assert stats["average_efficiency"] is None
    assert stats["trends"] == {"direction": "no_data", "change": None}


def test_unscored_sessions_do_not_drag_the_average() -> None:
    """Two scored sessions (80, 90) and an empty FAILED one: the average is 85.0, not 56.7 or 90.0."""
    empty = replace(analyze_events(session(status=SessionStatus.FAILED), []), agent="FORGE", started_at=NOW)
    stats = agent_statistics("FORGE", [_report(80, 2), _report(90, 1), empty], days=30, now=NOW)
    assert stats["average_efficiency"] == 85.0


def test_compare_reports_pins_every_figure() -> None:
    """Two sessions (90 and 60, waste 100 and 400, $1 and unpriced): each comparison figure by hand."""
    from sessionoptimizer_sdk.analysis import compare_reports

    ev = Events()
    ev.call()
    ev.read("a.py", 100)
    ev.read("a.py", 100)
    base = analyze_events(session(), ev.items)
    a = replace(base, session_id="a", efficiency_score=90.0, total_waste_tokens=100, cost_usd=1.0)
    b = replace(base, session_id="b", efficiency_score=60.0, total_waste_tokens=400, cost_usd=None)
    out = compare_reports([a, b])
    assert (out["best"], out["worst"], out["count"]) == ("a", "b", 2)
    assert (out["average_efficiency"], out["efficiency_spread"]) == (75.0, 30.0)
    assert (out["total_waste_tokens"], out["cost_usd"], out["unpriced_sessions"]) == (500, 1.0, 1)
    assert out["common_issues"] == {"repeated_file_read": 2}
    row = out["sessions"][1]
    assert (row["session_id"], row["efficiency_score"], row["total_waste_tokens"], row["cost_usd"]) == (
        "b",
        60.0,
        400,
        None,
    )
    assert (row["issue_count"], row["issue_types"], row["agent"], row["provisional"]) == (
        1,
        ["repeated_file_read"],
        "ATLAS",
        False,
    )
    empty = compare_reports([])
    assert (empty["best"], empty["worst"], empty["average_efficiency"], empty["efficiency_spread"]) == (
        None,
        None,
        None,
        0.0,
    )


def test_team_statistics_pins_per_agent_rows() -> None:
    """Two FORGE sessions (80, 90; $1 each) and one BOLT (50, $0.5) in the last day: rows and totals by hand."""
    from sessionoptimizer_sdk.analysis import team_statistics

    def r(agent: str, score: float, cost: float, hours: float) -> OptimizationReport:
        return replace(
            _report(score, 0, agent),
            cost_usd=cost,
            total_waste_tokens=10,
            started_at=NOW - timedelta(hours=hours),
        )

    reports = [r("FORGE", 80, 1.0, 2), r("FORGE", 90, 1.0, 3), r("BOLT", 50, 0.5, 4), r("BOLT", 10, 9.0, 30)]
    out = team_statistics(reports, days=1, now=NOW, monthly_budget_usd=60.0)
    assert out["agents"] == {
        "BOLT": {"sessions": 1, "average_efficiency": 50.0, "total_waste_tokens": 10, "cost_usd": 0.5},
        "FORGE": {"sessions": 2, "average_efficiency": 85.0, "total_waste_tokens": 20, "cost_usd": 2.0},
    }
    assert (out["total_sessions"], out["average_efficiency"], out["cost_usd"]) == (3, 73.3, 2.5)
    assert out["budget"]["month_to_date_usd"] == 11.5
