"""The measured effect of guidance and the guard for the API and dashboard: one query, then the pure function.

Kept apart from ``_queries.py`` (being made backend-neutral on another branch); the SQL is plain and portable.
"""

from __future__ import annotations

from typing import Any

from ..analysis.stats import enablement_effect
from ..store.sqlite import SQLiteStore

__all__ = ["agent_effect", "effect_rows"]


def effect_rows(store: SQLiteStore, agent: str, since: float) -> list[tuple[float, int, int, float | None]]:
    """(started_at, waste tokens, fresh tokens, cost) of the agent's finally analyzed sessions since ``since``."""
    sql = (
        "SELECT s.started_at, r.total_waste_tokens, s.input_tokens + s.cache_write_tokens + s.output_tokens, "
        "r.cost_usd FROM sessions s JOIN reports r ON r.session_id = s.id AND r.provisional = 0 "
        "WHERE s.agent = ? AND s.started_at >= ? ORDER BY s.started_at"
    )
    return [(float(t), int(w), int(f), c) for t, w, f, c in store._conn().execute(sql, (agent, since))]


def agent_effect(store: SQLiteStore, agent: str, since: float) -> dict[str, Any] | None:
    """Waste before vs since guidance/the guard was enabled for ``agent``, over sessions since ``since``."""
    enablements = store.list_enablements(agent)
    if not enablements:
        return None
    return enablement_effect(effect_rows(store, agent, since), enablements)
