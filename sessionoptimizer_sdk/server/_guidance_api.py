"""``GET /api/guidance/{agent_name}``: the agent's guidance (items ranked by money, plus the ready blocks) for BCH."""

from __future__ import annotations

import json
import time
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import BaseRoute, Route

from ..analysis.guidance import build_guidance
from ..analysis.report import OptimizationReport
from ..reporting.guidance import render_guidance
from ..store.base import Store
from ._params import int_param

__all__ = ["guidance_routes", "stored_final_reports"]


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


async def guidance(request: Request) -> JSONResponse:
    """``GET /api/guidance/{agent_name}?days=14&min_sessions=1&max_items=8``."""
    from .api import MAX_DAYS, json_response

    days = int_param(request, "days", 14, minimum=1, maximum=MAX_DAYS)
    min_sessions = int_param(request, "min_sessions", 1, minimum=1, maximum=10_000)
    max_items = int_param(request, "max_items", 8, minimum=1, maximum=50)
    store = request.app.state.service.store
    agent = request.path_params["agent_name"]
    return json_response(await run_in_threadpool(_guidance, store, agent, days, min_sessions, max_items))


def guidance_routes() -> list[BaseRoute]:
    """The guidance route (registered by ``api_routes``)."""
    return [Route("/api/guidance/{agent_name}", guidance, methods=["GET"])]
