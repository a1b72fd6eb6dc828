"""Aggregate read queries for the API and dashboard, run as single SQL statements over the store.

The store's public methods load whole rows; the dashboard needs per-agent and per-day aggregates over thousands
of sessions within a few milliseconds, so these run ``GROUP BY`` queries through ``Store.query`` in the SQL both
backends share (``?`` placeholders, ``CASE`` instead of boolean sums, local days computed here). Efficiency
and waste come from the stored reports (written when a session ends, or by ``monitor``); only final
(non-provisional) reports count in aggregates.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ..store.base import Store

__all__ = [
    "AgentRow",
    "ScoreRow",
    "active_event_counts",
    "agent_report_rows",
    "alerts_after",
    "current_by_agent",
    "daily_efficiency",
    "max_alert_id",
    "month_spend",
    "scores_for",
]


@dataclass(frozen=True, slots=True)
class AgentRow:
    """One agent's sessions in a window: counts, mean final efficiency, waste, cost and tokens."""

    agent: str
    sessions: int
    sessions_analyzed: int
    average_efficiency: float | None
    total_waste_tokens: int
    cost_usd: float | None
    total_tokens: int
    active_sessions: int


def current_by_agent(store: Store, since: float) -> list[AgentRow]:
    """Per-agent aggregates of the sessions started at or after epoch ``since``, by agent name."""
    sql = (
        "SELECT s.agent, count(*), count(r.session_id), avg(r.efficiency_score), "
        "coalesce(sum(r.total_waste_tokens), 0), sum(r.cost_usd), "
        "sum(s.input_tokens + s.output_tokens + s.cache_read_tokens + s.cache_write_tokens), "
        "sum(CASE WHEN s.status = 'ACTIVE' THEN 1 ELSE 0 END) "
        "FROM sessions s LEFT JOIN reports r ON r.session_id = s.id AND r.provisional = 0 "
        "WHERE s.started_at >= ? GROUP BY s.agent ORDER BY s.agent"
    )
    return [
        AgentRow(
            str(a),
            int(n),
            int(na),
            None if eff is None else float(eff),
            int(w),
            None if cost is None else float(cost),
            int(tok or 0),
            int(act or 0),
        )
        for a, n, na, eff, w, cost, tok, act in store.query(sql, (since,))
    ]


def agent_report_rows(store: Store, agent: str, since: float) -> list[tuple[float, float, int, float | None]]:
    """(started_at, efficiency, waste tokens, cost) of an agent's finally analyzed sessions since ``since``."""
    sql = (
        "SELECT s.started_at, r.efficiency_score, r.total_waste_tokens, r.cost_usd "
        "FROM sessions s JOIN reports r ON r.session_id = s.id AND r.provisional = 0 "
        "WHERE s.agent = ? AND s.started_at >= ? ORDER BY s.started_at"
    )
    return [(float(t), float(e), int(w), c) for t, e, w, c in store.query(sql, (agent, since))]


def daily_efficiency(store: Store, since: float) -> list[tuple[str, str, float, int]]:
    """(local day ``YYYY-MM-DD``, agent, mean final efficiency, sessions) for sessions started since ``since``.

    The day is this process's local calendar day (as SQLite's ``'localtime'``), computed here so that both
    backends agree whatever the database server's time zone.
    """
    sql = (
        "SELECT s.started_at, s.agent, r.efficiency_score "
        "FROM sessions s JOIN reports r ON r.session_id = s.id AND r.provisional = 0 "
        "WHERE s.started_at >= ?"
    )
    sums: dict[tuple[str, str], list[float]] = defaultdict(lambda: [0.0, 0.0])
    for started, agent, eff in store.query(sql, (since,)):
        acc = sums[(datetime.fromtimestamp(float(started)).strftime("%Y-%m-%d"), str(agent))]
        acc[0] += float(eff)
        acc[1] += 1
    return [(day, agent, total / n, int(n)) for (day, agent), (total, n) in sorted(sums.items())]


@dataclass(frozen=True, slots=True)
class ScoreRow:
    """A session's stored report headline: score, whether provisional, when generated, waste and cost."""

    efficiency_score: float
    provisional: bool
    generated_at: float
    total_waste_tokens: int
    cost_usd: float | None


def scores_for(store: Store, session_ids: list[str]) -> dict[str, ScoreRow]:
    """Stored report headlines of the given sessions (missing ones are absent)."""
    out: dict[str, ScoreRow] = {}
    for start in range(0, len(session_ids), 500):
        chunk = session_ids[start : start + 500]
        marks = ",".join("?" * len(chunk))
        sql = (
            "SELECT session_id, efficiency_score, provisional, generated_at, total_waste_tokens, cost_usd "
            f"FROM reports WHERE session_id IN ({marks})"
        )
        for sid, eff, prov, gen, waste, cost in store.query(sql, chunk):
            out[str(sid)] = ScoreRow(float(eff), bool(prov), float(gen), int(waste), cost)
    return out


def month_spend(store: Store, since: float) -> dict[str, Any]:
    """Priced cost of sessions started since ``since`` (a month start) and how many sessions had no price."""
    sql = (
        "SELECT count(*), count(r.cost_usd), coalesce(sum(r.cost_usd), 0.0), count(r.session_id) "
        "FROM sessions s LEFT JOIN reports r ON r.session_id = s.id WHERE s.started_at >= ?"
    )
    n, priced, cost, analyzed = store.query(sql, (since,))[0]
    return {
        "sessions": int(n),
        "sessions_priced": int(priced),
        "sessions_unpriced": int(analyzed) - int(priced),
        "sessions_unanalyzed": int(n) - int(analyzed),
        "spend_usd": float(cost),
    }


def active_event_counts(store: Store) -> dict[str, int]:
    """Event count of every ACTIVE session by id: the live stream's cheap poll (no row decoding, no cap)."""
    sql = "SELECT id, event_count FROM sessions WHERE status = 'ACTIVE'"
    return {str(sid): int(n) for sid, n in store.query(sql)}


def max_alert_id(store: Store) -> int:
    """The newest alert's id (0 when there is none)."""
    return int(store.query("SELECT coalesce(max(id), 0) FROM alerts")[0][0])


def alerts_after(store: Store, last_id: int, limit: int = 100) -> list[dict[str, Any]]:
    """Alerts stored after id ``last_id``, oldest first (for the live stream)."""
    sql = (
        "SELECT id, session_id, agent, rule, priority, message, created_at, payload FROM alerts "
        "WHERE id > ? ORDER BY id LIMIT ?"
    )
    keys = ("id", "session_id", "agent", "rule", "priority", "message", "created_at", "payload")
    out = []
    for row in store.query(sql, (last_id, limit)):
        item = dict(zip(keys, row, strict=True))
        item["payload"] = json.loads(item["payload"] or "{}")
        out.append(item)
    return out
