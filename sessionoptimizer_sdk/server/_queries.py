"""Aggregate read queries for the API and dashboard, run as single SQL statements over the store.

The store's public methods load whole rows; the dashboard needs per-agent and per-day aggregates over thousands
of sessions within a few milliseconds, so these run ``GROUP BY`` queries on the store's own connection. Efficiency
and waste come from the stored reports (written when a session ends, or by ``monitor``); only final
(non-provisional) reports count in aggregates.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from ..store.sqlite import SQLiteStore

__all__ = [
    "AgentRow",
    "ScoreRow",
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


def current_by_agent(store: SQLiteStore, since: float) -> list[AgentRow]:
    """Per-agent aggregates of the sessions started at or after epoch ``since``, by agent name."""
    sql = (
        "SELECT s.agent, count(*), count(r.session_id), avg(r.efficiency_score), "
        "coalesce(sum(r.total_waste_tokens), 0), sum(r.cost_usd), "
        "sum(s.input_tokens + s.output_tokens + s.cache_read_tokens + s.cache_write_tokens), "
        "sum(s.status = 'ACTIVE') "
        "FROM sessions s LEFT JOIN reports r ON r.session_id = s.id AND r.provisional = 0 "
        "WHERE s.started_at >= ? GROUP BY s.agent ORDER BY s.agent"
    )
    return [
        AgentRow(str(a), int(n), int(na), eff, int(w), cost, int(tok or 0), int(act or 0))
        for a, n, na, eff, w, cost, tok, act in store._conn().execute(sql, (since,))
    ]


def agent_report_rows(
    store: SQLiteStore, agent: str, since: float
) -> list[tuple[float, float, int, float | None]]:
    """(started_at, efficiency, waste tokens, cost) of an agent's finally analyzed sessions since ``since``."""
    sql = (
        "SELECT s.started_at, r.efficiency_score, r.total_waste_tokens, r.cost_usd "
        "FROM sessions s JOIN reports r ON r.session_id = s.id AND r.provisional = 0 "
        "WHERE s.agent = ? AND s.started_at >= ? ORDER BY s.started_at"
    )
    return [(float(t), float(e), int(w), c) for t, e, w, c in store._conn().execute(sql, (agent, since))]


def daily_efficiency(store: SQLiteStore, since: float) -> list[tuple[str, str, float, int]]:
    """(local day ``YYYY-MM-DD``, agent, mean final efficiency, sessions) for sessions started since ``since``."""
    sql = (
        "SELECT date(s.started_at, 'unixepoch', 'localtime') AS day, s.agent, avg(r.efficiency_score), count(*) "
        "FROM sessions s JOIN reports r ON r.session_id = s.id AND r.provisional = 0 "
        "WHERE s.started_at >= ? GROUP BY day, s.agent ORDER BY day, s.agent"
    )
    return [(str(d), str(a), float(e), int(n)) for d, a, e, n in store._conn().execute(sql, (since,))]


@dataclass(frozen=True, slots=True)
class ScoreRow:
    """A session's stored report headline: score, whether provisional, when generated, waste and cost."""

    efficiency_score: float
    provisional: bool
    generated_at: float
    total_waste_tokens: int
    cost_usd: float | None


def scores_for(store: SQLiteStore, session_ids: list[str]) -> dict[str, ScoreRow]:
    """Stored report headlines of the given sessions (missing ones are absent)."""
    out: dict[str, ScoreRow] = {}
    for start in range(0, len(session_ids), 500):
        chunk = session_ids[start : start + 500]
        marks = ",".join("?" * len(chunk))
        sql = (
            "SELECT session_id, efficiency_score, provisional, generated_at, total_waste_tokens, cost_usd "
            f"FROM reports WHERE session_id IN ({marks})"
        )
        for sid, eff, prov, gen, waste, cost in store._conn().execute(sql, chunk):
            out[str(sid)] = ScoreRow(float(eff), bool(prov), float(gen), int(waste), cost)
    return out


def month_spend(store: SQLiteStore, since: float) -> dict[str, Any]:
    """Priced cost of sessions started since ``since`` (a month start) and how many sessions had no price."""
    sql = (
        "SELECT count(*), count(r.cost_usd), coalesce(sum(r.cost_usd), 0.0), count(r.session_id) "
        "FROM sessions s LEFT JOIN reports r ON r.session_id = s.id WHERE s.started_at >= ?"
    )
    n, priced, cost, analyzed = store._conn().execute(sql, (since,)).fetchone()
    return {
        "sessions": int(n),
        "sessions_priced": int(priced),
        "sessions_unpriced": int(analyzed) - int(priced),
        "sessions_unanalyzed": int(n) - int(analyzed),
        "spend_usd": float(cost),
    }


def max_alert_id(store: SQLiteStore) -> int:
    """The newest alert's id (0 when there is none)."""
    return int(store._conn().execute("SELECT coalesce(max(id), 0) FROM alerts").fetchone()[0])


def alerts_after(store: SQLiteStore, last_id: int, limit: int = 100) -> list[dict[str, Any]]:
    """Alerts stored after id ``last_id``, oldest first (for the live stream)."""
    sql = (
        "SELECT id, session_id, agent, rule, priority, message, created_at, payload FROM alerts "
        "WHERE id > ? ORDER BY id LIMIT ?"
    )
    keys = ("id", "session_id", "agent", "rule", "priority", "message", "created_at", "payload")
    out = []
    for row in store._conn().execute(sql, (last_id, limit)):
        item = dict(zip(keys, row, strict=True))
        item["payload"] = json.loads(item["payload"] or "{}")
        out.append(item)
    return out
