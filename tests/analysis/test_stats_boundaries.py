"""Edges of the statistics a user reads: window and month boundaries, thresholds, rounding, before/after split."""

from __future__ import annotations

import os
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

from sessionoptimizer_sdk.analysis import (
    agent_statistics,
    analyze_events,
    budget_status,
    compare_reports,
    team_statistics,
)
from sessionoptimizer_sdk.analysis.report import OptimizationReport
from sessionoptimizer_sdk.analysis.stats import enabled_since, enablement_effect
from tests.analysis._builders import Events, session

NOW = datetime(2026, 3, 10, 0, 0, tzinfo=UTC)
US = timedelta(microseconds=1)


def _r(
    sid: str, at: datetime, *, score: float = 80.0, cost: float | None = 1.0, agent: str = "FORGE"
) -> OptimizationReport:
    ev = Events()
    ev.call(inp=100, out=10)
    base = analyze_events(session(), ev.items)
    return replace(base, session_id=sid, agent=agent, efficiency_score=score, cost_usd=cost, started_at=at)


def test_window_includes_both_ends_and_nothing_outside() -> None:
    """A 1-day window counts sessions started exactly 1 day ago and exactly now, not 1 microsecond outside."""
    reports = [
        _r("start", NOW - timedelta(days=1)),
        _r("now", NOW),
        _r("before", NOW - timedelta(days=1) - US),
        _r("after", NOW + US),
    ]
    assert team_statistics(reports, days=1, now=NOW)["total_sessions"] == 2
    assert agent_statistics("FORGE", reports, days=1, now=NOW)["sessions_analyzed"] == 2


def test_budget_month_starts_at_midnight_and_equal_forecast_is_on_track() -> None:
    """Mar 1 00:00:00 is in March, Feb 28 23:59:59.999999 is not; 9 days, $900: forecast 900 / 9 x 31 = 3100.0."""
    reports = [
        _r("first", datetime(2026, 3, 1, tzinfo=UTC), cost=600.0),
        _r("feb", datetime(2026, 3, 1, tzinfo=UTC) - US, cost=100.0),
        _r("now", NOW, cost=300.0),
    ]
    assert budget_status(reports, monthly_budget_usd=3100.0, now=NOW) == {
        "month": "2026-03",
        "monthly_budget_usd": 3100.0,
        "month_to_date_usd": 900.0,
        "forecast_usd": 3100.0,  # a day is 86,400 s: 86,401 would give 3100.04
        "remaining_usd": 2200.0,
        "on_track": True,  # a forecast equal to the budget is on track
        "sessions": 2,
        "unpriced_sessions": 0,
    }


def test_budget_month_start_ignores_the_seconds_of_now() -> None:
    """At Mar 10 00:00:30.5 a session started Mar 1 00:00:00.000000 still counts in March's spend."""
    now = datetime(2026, 3, 10, 0, 0, 30, 500_000, tzinfo=UTC)
    out = budget_status(
        [_r("first", datetime(2026, 3, 1, tzinfo=UTC), cost=2.0)], monthly_budget_usd=10.0, now=now
    )
    assert (out["sessions"], out["month_to_date_usd"]) == (1, 2.0)


def test_budget_month_is_the_utc_month_whatever_the_server_zone() -> None:
    """At Mar 1 02:00 UTC (Feb 28 21:00 in New York) a New York server still reports March."""
    saved = os.environ.get("TZ")
    os.environ["TZ"] = "America/New_York"
    time.tzset()
    try:
        out = budget_status([], monthly_budget_usd=10.0, now=datetime(2026, 3, 1, 2, 0, tzinfo=UTC))
    finally:
        if saved is None:
            del os.environ["TZ"]
        else:
            os.environ["TZ"] = saved
        time.tzset()
    assert out["month"] == "2026-03"


def test_aware_start_times_in_other_zones_are_converted_not_relabelled() -> None:
    """A session started 01:00+02:00 (23:00 UTC the day before) is inside a window ending at midnight UTC."""
    at = datetime(2026, 3, 10, 1, 0, tzinfo=timezone(timedelta(hours=2)))
    assert agent_statistics("FORGE", [_r("tz", at)], days=1, now=NOW)["sessions_analyzed"] == 1


def test_budget_forecast_counts_at_least_one_hour() -> None:
    """Half an hour into March, $0.50 is forecast as one hour's spend: 0.5 x 24 x 31 = 372.0 (not 744)."""
    now = datetime(2026, 3, 1, 0, 30, tzinfo=UTC)
    out = budget_status(
        [_r("a", datetime(2026, 3, 1, tzinfo=UTC), cost=0.5)], monthly_budget_usd=400.0, now=now
    )
    assert (out["forecast_usd"], out["on_track"], out["remaining_usd"]) == (372.0, True, 399.5)


def test_money_and_efficiency_rounding_digits() -> None:
    """Team cost keeps 6 decimals (1.1234567 -> 1.123457), the budget 2 (60.504 -> 60.5), averages 1 (70.7)."""
    reports = [
        _r("a", NOW - timedelta(hours=1), score=70.0, cost=0.1234567),
        _r("b", NOW - timedelta(hours=2), score=71.0, cost=1.0),
        _r("c", NOW - timedelta(hours=3), score=71.0, cost=None),
    ]
    out = team_statistics(reports, days=1, now=NOW, monthly_budget_usd=60.504)
    assert out["cost_usd"] == 1.123457
    assert out["agents"]["FORGE"] == {
        "sessions": 3,
        "average_efficiency": 70.7,
        "total_waste_tokens": 3 * reports[0].total_waste_tokens,
        "cost_usd": 1.123457,
    }
    assert (out["average_efficiency"], out["unpriced_sessions"]) == (70.7, 1)
    assert out["total_waste_tokens"] == 3 * reports[0].total_waste_tokens
    budget = out["budget"]
    assert (budget["monthly_budget_usd"], budget["month_to_date_usd"], budget["remaining_usd"]) == (
        60.5,
        1.12,
        59.38,  # 60.504 - 1.1234567 = 59.3805433
    )


def test_trend_threshold_is_one_point_inclusive() -> None:
    """Two sessions 1.0 point apart are improving (or declining); 0.9 apart is stable; one session is no data."""

    def trend(older: float, newer: float) -> dict[str, object]:
        reports = [
            _r("o", NOW - timedelta(hours=2), score=older),
            _r("n", NOW - timedelta(hours=1), score=newer),
        ]
        result: dict[str, object] = agent_statistics("FORGE", reports, days=1, now=NOW)["trends"]
        return result

    assert trend(70.0, 71.0) == {"direction": "improving", "change": 1.0}
    assert trend(71.0, 70.0) == {"direction": "declining", "change": -1.0}
    assert trend(70.0, 70.9) == {"direction": "stable", "change": 0.9}
    one = [_r("o", NOW - timedelta(hours=2))]
    assert agent_statistics("FORGE", one, days=1, now=NOW)["trends"] == {
        "direction": "no_data",
        "change": None,
    }


def test_trend_odd_count_puts_the_middle_session_in_the_newer_half() -> None:
    """Scores 60, 70, 80 oldest first: older half (60) vs newer half (70, 80 -> 75) is +15.0."""
    reports = [_r(str(s), NOW - timedelta(hours=h), score=s) for s, h in ((60.0, 3), (70.0, 2), (80.0, 1))]
    assert agent_statistics("FORGE", reports, days=1, now=NOW)["trends"] == {
        "direction": "improving",
        "change": 15.0,
    }


def test_enabled_since_latest_period_and_its_kinds() -> None:
    """Records are sorted by time; a period starts when the first kind turns on and collects every kind on in it."""
    on = lambda kind, at: {"kind": kind, "action": "enabled", "at": at}  # noqa: E731
    off = lambda kind, at: {"kind": kind, "action": "disabled", "at": at}  # noqa: E731
    assert enabled_since([]) is None
    assert enabled_since([off("guard", 5.0)]) is None
    assert enabled_since([off("guard", 2000.0), on("guidance", 1500.0), on("guard", 1000.0)]) == (
        1000.0,
        ("guard", "guidance"),
        True,
    )
    assert enabled_since([on("guidance", 30.0), off("guard", 20.0), on("guard", 10.0)]) == (
        30.0,
        ("guidance",),
        True,
    )
    assert enabled_since([on("guard", 10.0), off("guard", 20.0)]) == (10.0, ("guard",), False)


def test_enablement_effect_split_rounding_and_change() -> None:
    """A session at the enablement instant counts after it; 1/3 -> 333.33 vs 2/3 -> 666.67 per 1k is +100.0 %.

    USD per priced session: before (0.3 + 0.1) / 2 = 0.2, after 0.1234567 -> 0.123457; change -38.2715 -> -38.3 %.
    """
    rows = [(500.0, 0, 0, None), (600.0, 0, 0, 0.3), (999.0, 1, 3, 0.1), (1000.0, 2, 3, 0.1234567)]
    effect = enablement_effect(rows, [{"kind": "guard", "action": "enabled", "at": 1000}])
    assert effect == {
        "enabled_at": "1970-01-01T00:16:40+00:00",
        "kinds": ["guard"],
        "active": True,
        "before": {
            "sessions": 3,
            "waste_tokens": 1,
            "fresh_tokens": 3,
            "waste_per_1k_tokens": 333.33,
            "usd_per_session": 0.2,
            "unpriced_sessions": 1,
        },
        "after": {
            "sessions": 1,
            "waste_tokens": 2,
            "fresh_tokens": 3,
            "waste_per_1k_tokens": 666.67,
            "usd_per_session": 0.123457,
            "unpriced_sessions": 0,
        },
        "change": {"waste_per_1k_tokens_pct": 100.0, "usd_per_session_pct": -38.3},
        "direction": "declining",
    }


def test_enablement_effect_five_percent_is_a_change() -> None:
    """Waste per 1k 100 -> 95 (-5.0 %) is improving, -> 105 (+5.0 %) declining, -> 104 stable; 0 before: no data."""
    enabled = [{"kind": "guidance", "action": "enabled", "at": 100.0}]

    def direction(before_waste: int, after_waste: int) -> object:
        effect = enablement_effect(
            [(99.0, before_waste, 1000, 1.0), (100.0, after_waste, 1000, 1.0)], enabled
        )
        assert effect is not None
        return effect["direction"], effect["change"]["waste_per_1k_tokens_pct"]

    assert direction(100, 95) == ("improving", -5.0)
    assert direction(100, 105) == ("declining", 5.0)
    assert direction(100, 104) == ("stable", 4.0)
    assert direction(0, 10) == ("insufficient_data", None)
    assert enablement_effect([(99.0, 1, 10, None)], []) is None


def test_enablement_effect_with_no_session_since_is_insufficient_data() -> None:
    """Enabled after every session: the after side is empty (no rates, no change) and the direction says so."""
    effect = enablement_effect([(10.0, 5, 100, 1.0)], [{"kind": "guard", "action": "enabled", "at": 50.0}])
    assert effect is not None
    assert effect["after"] == {
        "sessions": 0,
        "waste_tokens": 0,
        "fresh_tokens": 0,
        "waste_per_1k_tokens": None,
        "usd_per_session": None,
        "unpriced_sessions": 0,
    }
    assert effect["before"]["waste_per_1k_tokens"] == 50.0
    assert effect["change"] == {"waste_per_1k_tokens_pct": None, "usd_per_session_pct": None}
    assert effect["direction"] == "insufficient_data"


def test_agent_statistics_effect_uses_the_agents_sessions() -> None:
    """Sessions 2 h and 1 h ago (110 fresh tokens each, waste 11 then 22) around guidance enabled 90 min ago: +100 %."""
    reports = [
        replace(_r("old", NOW - timedelta(hours=2)), total_waste_tokens=11),
        replace(_r("new", NOW - timedelta(hours=1)), total_waste_tokens=22),
        replace(_r("bolt", NOW - timedelta(hours=1), agent="BOLT"), total_waste_tokens=99),
    ]
    enabled = [{"kind": "guidance", "action": "enabled", "at": (NOW - timedelta(minutes=90)).timestamp()}]
    effect = agent_statistics("FORGE", reports, days=1, now=NOW, enablements=enabled)["effect"]
    assert (effect["before"]["waste_per_1k_tokens"], effect["after"]["waste_per_1k_tokens"]) == (100.0, 200.0)
    assert (effect["after"]["sessions"], effect["direction"]) == (1, "declining")


def test_team_panel_defaults_to_one_day_and_a_60_dollar_budget() -> None:
    """Without arguments the team panel covers the last 24 hours and a $60.00 monthly budget."""
    out = team_statistics(
        [_r("in", NOW - timedelta(hours=23)), _r("out", NOW - timedelta(hours=25))], now=NOW
    )
    assert (out["total_sessions"], out["budget"]["monthly_budget_usd"]) == (1, 60.0)


def test_compare_orders_common_issues_and_rounds_the_spread() -> None:
    """Most shared issue first, ties by name; an unscored session has no score; spread 80.1234 - 70 -> 10.12."""
    ev = Events()
    ev.call(inp=100, out=10)
    ev.read("a.py", 50)
    ev.read("a.py", 50)
    finding = analyze_events(session(), ev.items).issues[0]

    def with_issue(sid: str, kind: str, score: float) -> OptimizationReport:
        return replace(_r(sid, NOW, score=score), issues=(replace(finding, type=kind),))

    reports = [
        with_issue("1", "c_issue", 70.0),
        with_issue("2", "a_issue", 80.1234),
        with_issue("3", "b_issue", 75.0),
        with_issue("4", "b_issue", 75.0),
        replace(_r("5", NOW, score=0.0), scored=False),
    ]
    out = compare_reports(reports)
    assert list(out["common_issues"].items()) == [("b_issue", 2), ("a_issue", 1), ("c_issue", 1)]
    assert out["efficiency_spread"] == 10.12
    assert [row["efficiency_score"] for row in out["sessions"]] == [70.0, 80.1234, 75.0, 75.0, None]
