"""The measured effect of guidance and the guard for the API and dashboard: one query, then the pure function.

Kept apart from ``_queries.py``; the SQL is the portable subset ``Store.query`` runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from ..analysis.stats import enablement_effect
from ..store.base import Store

__all__ = ["agent_effect", "effect_rows", "trend_enablements"]


def effect_rows(store: Store, agent: str, since: float) -> list[tuple[float, int, int, float | None]]:
    """(started_at, waste tokens, fresh tokens, cost) of the agent's finally analyzed sessions since ``since``."""
    sql = (
        "SELECT s.started_at, r.total_waste_tokens, s.input_tokens + s.cache_write_tokens + s.output_tokens, "
        "r.cost_usd FROM sessions s JOIN reports r ON r.session_id = s.id AND r.provisional = 0 "
        "WHERE s.agent = ? AND s.started_at >= ? ORDER BY s.started_at"
    )
    return [(float(t), int(w), int(f), c) for t, w, f, c in store.query(sql, (agent, since))]


def agent_effect(store: Store, agent: str, since: float) -> dict[str, Any] | None:
    """Waste before vs since guidance/the guard was enabled for ``agent``, over sessions since ``since``."""
    enablements = store.list_enablements(agent)
    if not enablements:
        return None
    return enablement_effect(effect_rows(store, agent, since), enablements)


def trend_enablements(store: Store, since: float) -> list[dict[str, Any]]:
    """Enablement records since ``since`` for the trend chart, each with its agent's before/after change."""
    rows = store.query(
        "SELECT agent, kind, action, at FROM enablements WHERE at >= ? ORDER BY at, id", (since,)
    )
    out: list[dict[str, Any]] = []
    effects: dict[str, dict[str, Any] | None] = {}
    for agent, kind, action, at in rows:
        if agent not in effects:
            effects[agent] = agent_effect(store, agent, since)
        effect = effects[agent]
        out.append(
            {
                "agent": agent,
                "kind": kind,
                "action": action,
                "at": datetime.fromtimestamp(float(at), UTC).isoformat(),
                "date": datetime.fromtimestamp(float(at)).date().isoformat(),
                "direction": effect["direction"] if effect else None,
                "waste_per_1k_tokens_pct": effect["change"]["waste_per_1k_tokens_pct"] if effect else None,
            }
        )
    return out
