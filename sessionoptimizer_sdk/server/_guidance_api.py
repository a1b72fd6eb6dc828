"""``GET /api/guidance/{agent_name}``: the agent's guidance (items ranked by money, plus the ready blocks) for BCH."""

from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING, Any

from ..analysis.guidance import build_guidance
from ..analysis.report import OptimizationReport
from ..reporting.guidance import render_guidance
from ..store.base import Store

if TYPE_CHECKING:
    from .service import DashboardService

__all__ = ["agent_guidance", "stored_final_reports"]


def stored_final_reports(store: Store, agent: str, since: float) -> list[OptimizationReport]:
    """The agent's stored final reports of sessions started since ``since`` (epoch seconds)."""
    sql = (
        "SELECT r.report FROM sessions s JOIN reports r ON r.session_id = s.id AND r.provisional = 0 "
        "WHERE s.agent = ? AND s.started_at >= ? ORDER BY s.started_at"
    )
    return [OptimizationReport.from_dict(json.loads(row[0])) for row in store.query(sql, (agent, since))]


def _guidance(store: Store, agent: str, days: int, min_sessions: int, max_items: int) -> dict[str, Any]:
    reports = stored_final_reports(store, agent, time.time() - days * 86400)
    g = build_guidance(agent, reports, days=days, min_sessions=min_sessions, max_items=max_items)
    return {
        **g.to_dict(),
        "claude_md": render_guidance(g, "claude-md"),
        "agents_md": render_guidance(g, "agents-md"),
    }


def agent_guidance(
    service: DashboardService, agent: str, *, days: int = 14, min_sessions: int = 1, max_items: int = 8
) -> dict[str, Any]:
    """``GET /api/guidance/{agent_name}``: the guidance JSON with the rendered CLAUDE.md and AGENTS.md blocks."""
    return _guidance(service.store, agent, days, min_sessions, max_items)
