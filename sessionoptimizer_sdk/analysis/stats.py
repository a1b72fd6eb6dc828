"""Comparisons, per-agent statistics with trends, and the monthly budget: pure functions of reports."""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from .report import OptimizationReport

__all__ = [
    "EFFECT_STABLE_PERCENT",
    "TREND_STABLE_POINTS",
    "agent_statistics",
    "budget_status",
    "compare_reports",
    "enablement_effect",
    "enabled_since",
    "team_statistics",
]

#: A change in average efficiency smaller than this (in points) is "stable".
TREND_STABLE_POINTS = 1.0


def _aware(dt: datetime) -> datetime:
    return dt if dt.tzinfo is not None else dt.replace(tzinfo=UTC)


def _avg(values: Sequence[float]) -> float | None:
    """The mean to 1 decimal, or None ("no data") for no values: never a misleading 0.0."""
    return round(sum(values) / len(values), 1) if values else None


def _scores(reports: Iterable[OptimizationReport]) -> list[float]:
    """Efficiency scores of the reports that have one (a session with no model calls has none)."""
    return [r.efficiency_score for r in reports if r.scored]


def _cost(reports: Iterable[OptimizationReport]) -> tuple[float, int]:
    """(summed cost of priced reports, number of unpriced reports)."""
    total, unpriced = 0.0, 0
    for r in reports:
        if r.cost_usd is None:
            unpriced += 1
        else:
            total += r.cost_usd
    return round(total, 6), unpriced


def compare_reports(reports: Sequence[OptimizationReport]) -> dict[str, Any]:
    """Side-by-side numbers for several sessions, the best and worst, and which issue types they share."""
    rows = [
        {
            "session_id": r.session_id,
            "agent": r.agent,
            "task": r.task,
            "model": r.model,
            "status": r.status,
            "provisional": r.provisional,
            "efficiency_score": r.efficiency_score if r.scored else None,
            "total_waste_tokens": r.total_waste_tokens,
            "fresh_tokens": r.totals.fresh_tokens,
            "cost_usd": r.cost_usd,
            "active_minutes": r.active_minutes,
            "issue_count": len(r.issues),
            "issue_types": sorted({f.type for f in r.issues}),
        }
        for r in reports
    ]
    issue_counts: dict[str, int] = {}
    for r in reports:
        for t in {f.type for f in r.issues}:
            issue_counts[t] = issue_counts.get(t, 0) + 1
    ranked = sorted(
        (r for r in reports if r.scored), key=lambda r: (r.efficiency_score, -r.total_waste_tokens)
    )
    cost, unpriced = _cost(reports)
    scores = _scores(reports)
    return {
        "sessions": rows,
        "count": len(rows),
        "best": ranked[-1].session_id if ranked else None,
        "worst": ranked[0].session_id if ranked else None,
        "average_efficiency": _avg(scores),
        "efficiency_spread": round(max(scores) - min(scores), 2) if scores else 0.0,
        "total_waste_tokens": sum(r.total_waste_tokens for r in reports),
        "cost_usd": cost,
        "unpriced_sessions": unpriced,
        "common_issues": {t: n for t, n in sorted(issue_counts.items(), key=lambda kv: (-kv[1], kv[0]))},
    }


def _trend(reports: Sequence[OptimizationReport]) -> dict[str, Any]:
    """Average efficiency of the newer half minus the older half (in points); ``no_data`` under 2 scores."""
    ordered = sorted((r for r in reports if r.scored), key=lambda r: _aware(r.started_at))
    if len(ordered) < 2:
        return {"direction": "no_data", "change": None}
    half = len(ordered) // 2
    older = [r.efficiency_score for r in ordered[:half]]
    newer = [r.efficiency_score for r in ordered[half:]]
    change = round(sum(newer) / len(newer) - sum(older) / len(older), 1)
    if change >= TREND_STABLE_POINTS:
        direction = "improving"
    elif change <= -TREND_STABLE_POINTS:
        direction = "declining"
    else:
        direction = "stable"
    return {"direction": direction, "change": change}


def _window(reports: Iterable[OptimizationReport], days: float, now: datetime) -> list[OptimizationReport]:
    end = _aware(now)
    start = end - timedelta(days=days)
    return [r for r in reports if start <= _aware(r.started_at) <= end]


def agent_statistics(
    agent: str,
    reports: Sequence[OptimizationReport],
    *,
    days: int,
    now: datetime,
    enablements: Sequence[Mapping[str, Any]] = (),
) -> dict[str, Any]:
    """The spec's agent statistics over the last ``days``: sessions, average efficiency, waste, cost, trend.

    With ``enablements`` (store records), ``effect`` compares waste before and since guidance/the guard.
    """
    mine = [r for r in _window(reports, days, now) if r.agent == agent and not r.provisional]
    cost, unpriced = _cost(mine)
    rows = [
        (_aware(r.started_at).timestamp(), r.total_waste_tokens, r.totals.fresh_tokens, r.cost_usd)
        for r in mine
    ]
    return {
        "agent": agent,
        "days": days,
        "sessions_analyzed": len(mine),
        "average_efficiency": _avg(_scores(mine)),
        "total_waste_tokens": sum(r.total_waste_tokens for r in mine),
        "cost_usd": cost,
        "unpriced_sessions": unpriced,
        "trends": _trend(mine),
        "effect": enablement_effect(rows, enablements),
    }


def budget_status(
    reports: Sequence[OptimizationReport], *, monthly_budget_usd: float, now: datetime
) -> dict[str, Any]:
    """Month-to-date spend (sessions started this UTC month) and a linear forecast for the whole month."""
    end = _aware(now).astimezone(UTC)
    month_start = end.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    this_month = [r for r in reports if month_start <= _aware(r.started_at).astimezone(UTC) <= end]
    spent, unpriced = _cost(this_month)
    days_in_month = calendar.monthrange(end.year, end.month)[1]
    elapsed_days = max((end - month_start).total_seconds() / 86_400, 1 / 24)
    forecast = round(spent / elapsed_days * days_in_month, 2)
    return {
        "month": f"{end.year:04d}-{end.month:02d}",
        "monthly_budget_usd": round(monthly_budget_usd, 2),
        "month_to_date_usd": round(spent, 2),
        "forecast_usd": forecast,
        "remaining_usd": round(monthly_budget_usd - spent, 2),
        "on_track": forecast <= monthly_budget_usd,
        "sessions": len(this_month),
        "unpriced_sessions": unpriced,
    }


def team_statistics(
    reports: Sequence[OptimizationReport], *, days: float = 1, now: datetime, monthly_budget_usd: float = 60.0
) -> dict[str, Any]:
    """The dashboard's team panel (``/api/stats/current``): per-agent rows, team totals and the budget."""
    recent = [r for r in _window(reports, days, now) if not r.provisional]
    agents: dict[str, list[OptimizationReport]] = {}
    for r in recent:
        agents.setdefault(r.agent, []).append(r)
    rows = {
        name: {
            "sessions": len(rs),
            "average_efficiency": _avg(_scores(rs)),
            "total_waste_tokens": sum(r.total_waste_tokens for r in rs),
            "cost_usd": _cost(rs)[0],
        }
        for name, rs in sorted(agents.items())
    }
    cost, unpriced = _cost(recent)
    return {
        "agents": rows,
        "total_sessions": len(recent),
        "average_efficiency": _avg(_scores(recent)),
        "total_waste_tokens": sum(r.total_waste_tokens for r in recent),
        "cost_usd": cost,
        "unpriced_sessions": unpriced,
        "budget": budget_status(reports, monthly_budget_usd=monthly_budget_usd, now=now),
    }


# --- closing the loop: waste before and after guidance or the guard was enabled -------------------------------
#: A change in waste per 1,000 tokens smaller than this (percent) is "stable".
EFFECT_STABLE_PERCENT = 5.0


def enabled_since(enablements: Sequence[Mapping[str, Any]]) -> tuple[float, tuple[str, ...], bool] | None:
    """Start (epoch s) of the latest period with guidance or the guard on, its kinds, and whether it still is.

    ``enablements`` are store records (``kind``, ``action``, ``at``) oldest first; None when never enabled.
    """
    active: set[str] = set()
    start: float | None = None
    kinds: set[str] = set()
    for e in sorted(enablements, key=lambda e: float(e["at"])):
        was_on = bool(active)
        if e["action"] == "enabled":
            active.add(str(e["kind"]))
        else:
            active.discard(str(e["kind"]))
        if active and not was_on:
            start, kinds = float(e["at"]), set()
        kinds |= active
    if start is None:
        return None
    return start, tuple(sorted(kinds)), bool(active)


def _side(rows: Sequence[tuple[float, int, int, float | None]]) -> dict[str, Any]:
    """Sessions, waste per 1,000 fresh tokens and USD per priced session of (started, waste, fresh, cost) rows."""
    waste = sum(r[1] for r in rows)
    fresh = sum(r[2] for r in rows)
    costs = [r[3] for r in rows if r[3] is not None]
    return {
        "sessions": len(rows),
        "waste_tokens": waste,
        "fresh_tokens": fresh,
        "waste_per_1k_tokens": round(waste / fresh * 1000, 2) if fresh else None,
        "usd_per_session": round(sum(costs) / len(costs), 6) if costs else None,
        "unpriced_sessions": len(rows) - len(costs),
    }


def _pct(before: float | None, after: float | None) -> float | None:
    if before is None or after is None or before == 0:
        return None
    return round((after - before) / before * 100, 1)


def enablement_effect(
    rows: Sequence[tuple[float, int, int, float | None]], enablements: Sequence[Mapping[str, Any]]
) -> dict[str, Any] | None:
    """Waste per 1,000 tokens and USD per session before vs since the latest enablement (None if never enabled).

    ``rows`` are an agent's final sessions in the window as (started_at epoch s, waste tokens, fresh tokens,
    cost USD or None). ``direction`` follows waste per 1,000 tokens: down by 5 %+ is "improving".
    """
    since = enabled_since(enablements)
    if since is None:
        return None
    start, kinds, active = since
    before = _side([r for r in rows if r[0] < start])
    after = _side([r for r in rows if r[0] >= start])
    waste_change = _pct(before["waste_per_1k_tokens"], after["waste_per_1k_tokens"])
    if not before["sessions"] or not after["sessions"] or waste_change is None:
        direction = "insufficient_data"
    elif waste_change <= -EFFECT_STABLE_PERCENT:
        direction = "improving"
    elif waste_change >= EFFECT_STABLE_PERCENT:
        direction = "declining"
    else:
        direction = "stable"
    return {
        "enabled_at": datetime.fromtimestamp(start, UTC).isoformat(),
        "kinds": list(kinds),
        "active": active,
        "before": before,
        "after": after,
        "change": {
            "waste_per_1k_tokens_pct": waste_change,
            "usd_per_session_pct": _pct(before["usd_per_session"], after["usd_per_session"]),
        },
        "direction": direction,
    }
