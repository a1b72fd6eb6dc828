"""REST handlers under ``/api``: the spec's four BCH endpoints plus sessions, events, alerts, trend and budget."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import BaseRoute, Route

from .._version import __version__
from ._guidance_api import guidance_routes
from ._params import datetime_param, int_param, status_param, str_param
from .openapi import openapi_document
from .serialize import clean
from .service import DashboardService
from .stream import stream_endpoint

__all__ = ["api_routes", "json_response"]

MAX_DAYS = 366
MAX_HOURS = 24 * 366
MAX_LIMIT = 1000


def json_response(data: Any, status_code: int = 200) -> JSONResponse:
    """A JSON response that is always valid JSON (non-finite floats become null)."""
    return JSONResponse(clean(data), status_code=status_code, headers={"Cache-Control": "no-store"})


def _service(request: Request) -> DashboardService:
    service: DashboardService = request.app.state.service
    return service


async def _call(fn: Callable[..., dict[str, Any]], *args: Any, **kwargs: Any) -> JSONResponse:
    return json_response(await run_in_threadpool(fn, *args, **kwargs))


async def stats_current(request: Request) -> JSONResponse:
    """``GET /api/stats/current?hours=24``: per-agent efficiency and waste for the window."""
    hours = int_param(request, "hours", 24, minimum=1, maximum=MAX_HOURS)
    return await _call(_service(request).current_stats, hours)


async def stats_agent(request: Request) -> JSONResponse:
    """``GET /api/stats/agent/{agent_name}?days=7``: one agent's efficiency and trend."""
    days = int_param(request, "days", 7, minimum=1, maximum=MAX_DAYS)
    return await _call(_service(request).agent_stats, request.path_params["agent_name"], days)


async def stats_trend(request: Request) -> JSONResponse:
    """``GET /api/stats/trend?days=7``: daily efficiency per agent and for the team."""
    days = int_param(request, "days", 7, minimum=1, maximum=MAX_DAYS)
    return await _call(_service(request).trend, days)


async def sessions_active(request: Request) -> JSONResponse:
    """``GET /api/sessions/active``: running sessions with a provisional efficiency."""
    return await _call(_service(request).active_sessions)


async def sessions_list(request: Request) -> JSONResponse:
    """``GET /api/sessions``: a filtered page of sessions, newest first."""
    kwargs = {
        "agent": str_param(request, "agent"),
        "status": status_param(request),
        "since": datetime_param(request, "since"),
        "until": datetime_param(request, "until"),
        "limit": int_param(request, "limit", 50, minimum=1, maximum=MAX_LIMIT),
        "offset": int_param(request, "offset", 0, minimum=0, maximum=10**9),
        "host": str_param(request, "host"),
        "source": str_param(request, "source"),
    }
    return await _call(_service(request).list_sessions, **kwargs)


async def session_detail(request: Request) -> JSONResponse:
    """``GET /api/sessions/{session_id}``: one session with its report headline."""
    return await _call(_service(request).session, request.path_params["session_id"])


async def session_events(request: Request) -> JSONResponse:
    """``GET /api/sessions/{session_id}/events``: a page of the session's events in time order."""
    limit = int_param(request, "limit", 200, minimum=1, maximum=MAX_LIMIT * 10)
    offset = int_param(request, "offset", 0, minimum=0, maximum=10**9)
    return await _call(
        _service(request).events, request.path_params["session_id"], limit=limit, offset=offset
    )


async def report(request: Request) -> JSONResponse:
    """``GET /api/reports/{session_id}``: the session's report JSON (analysis issue's schema)."""
    return await _call(_service(request).report, request.path_params["session_id"])


async def alerts(request: Request) -> JSONResponse:
    """``GET /api/alerts``: stored alerts, newest first."""
    kwargs = {
        "session_id": str_param(request, "session_id"),
        "since": datetime_param(request, "since"),
        "limit": int_param(request, "limit", 100, minimum=1, maximum=MAX_LIMIT),
    }
    return await _call(_service(request).alerts, **kwargs)


async def budget(request: Request) -> JSONResponse:
    """``GET /api/budget``: month-to-date spend, monthly budget and forecast."""
    return await _call(_service(request).budget)


async def health(request: Request) -> JSONResponse:
    """``GET /api/health``: liveness and version."""
    return json_response({"status": "ok", "version": __version__})


async def openapi(request: Request) -> JSONResponse:
    """``GET /openapi.json``: the API description."""
    return JSONResponse(openapi_document())


def api_routes() -> list[BaseRoute]:
    """Every API route (static paths before parameterised ones)."""
    return [
        Route("/openapi.json", openapi, methods=["GET"]),
        Route("/api/health", health, methods=["GET"]),
        Route("/api/stats/current", stats_current, methods=["GET"]),
        Route("/api/stats/trend", stats_trend, methods=["GET"]),
        Route("/api/stats/agent/{agent_name}", stats_agent, methods=["GET"]),
        Route("/api/sessions/active", sessions_active, methods=["GET"]),
        Route("/api/sessions", sessions_list, methods=["GET"]),
        Route("/api/sessions/{session_id}", session_detail, methods=["GET"]),
        Route("/api/sessions/{session_id}/events", session_events, methods=["GET"]),
        Route("/api/reports/{session_id}", report, methods=["GET"]),
        Route("/api/alerts", alerts, methods=["GET"]),
        Route("/api/budget", budget, methods=["GET"]),
        Route("/api/stream", stream_endpoint, methods=["GET"]),
        *guidance_routes(),
    ]
