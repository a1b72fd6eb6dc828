"""Server-rendered dashboard pages (Jinja2, autoescaped) with htmx fragments refreshed by the SSE stream.

Why server rendering + htmx: every user-controlled string goes through Jinja's autoescaping in one place, the
first render needs no JavaScript round trip, and the only scripts are vendored files (htmx, uPlot, app.js), so
the Content-Security-Policy can forbid inline scripts.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

from ..errors import SessionNotFound
from ._breakdown import by_target
from ._context_plot import context_plot
from .service import DashboardService

__all__ = ["dashboard_routes", "templates"]

_HERE = Path(__file__).parent
templates = Jinja2Templates(directory=str(_HERE / "templates"))
TIMELINE_LIMIT = 500


def _fmt_int(value: Any) -> str:
    return "-" if value is None else f"{int(value):,}"


def _fmt_pct(value: Any) -> str:
    return "-" if value is None else f"{float(value):.1f}%"


def _fmt_usd(value: Any) -> str:
    return "-" if value is None else f"${float(value):,.2f}"


def _fmt_duration(seconds: Any) -> str:
    s = int(seconds or 0)
    return f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}" if s >= 3600 else f"{s // 60}:{s % 60:02d}"


def _fmt_usd4(value: Any) -> str:
    return "unpriced" if value is None else f"${float(value):,.4f}"


def _fmt_hhmmss(epoch: Any) -> str:
    return datetime.fromtimestamp(float(epoch), UTC).strftime("%H:%M:%S")


templates.env.filters.update(
    intf=_fmt_int, pct=_fmt_pct, usd=_fmt_usd, duration=_fmt_duration, usd4=_fmt_usd4, hhmmss=_fmt_hhmmss
)


def _service(request: Request) -> DashboardService:
    service: DashboardService = request.app.state.service
    return service


def _render(request: Request, name: str, context: dict[str, Any], status_code: int = 200) -> Response:
    return templates.TemplateResponse(request, name, context, status_code=status_code)


async def index(request: Request) -> Response:
    """The three spec panels: efficiency (24 h), live monitor, 7-day trend."""
    svc = _service(request)
    stats = await run_in_threadpool(svc.current_stats, 24)
    active = await run_in_threadpool(svc.active_sessions)
    context = {
        "stats": stats,
        "active": active["sessions"],
        "active_total": active["total"],
        "page": "overview",
    }
    return _render(request, "index.html", context)


async def efficiency_fragment(request: Request) -> Response:
    """The Session Efficiency panel body (htmx refresh)."""
    stats = await run_in_threadpool(_service(request).current_stats, 24)
    return _render(request, "_efficiency.html", {"stats": stats})


async def active_fragment(request: Request) -> Response:
    """The Live Session Monitor panel body (htmx refresh on stream events)."""
    active = await run_in_threadpool(_service(request).active_sessions)
    return _render(request, "_active.html", {"active": active["sessions"], "active_total": active["total"]})


def _session_page_data(svc: DashboardService, session_id: str) -> dict[str, Any]:
    session = svc.session(session_id)
    report = svc.report(session_id)
    events = svc.store.get_events(session_id)
    timeline = events[:TIMELINE_LIMIT]
    return {
        "session": session,
        "report": report,
        "plot": context_plot(events, report),
        "breakdown": by_target(events),
        "timeline": timeline,
        "event_total": len(events),
        "page": "sessions",
    }


async def session_page(request: Request) -> Response:
    """A session's report: score, findings with evidence, recommendations, token breakdown, timeline."""
    sid = request.path_params["session_id"]
    try:
        data = await run_in_threadpool(_session_page_data, _service(request), sid)
    except SessionNotFound:
        return _render(request, "error.html", {"message": f"No session with id {sid!r}."}, 404)
    return _render(request, "session.html", data)


async def sessions_page(request: Request) -> Response:
    """Recent sessions, newest first."""
    agent = request.query_params.get("agent") or None
    host = (request.query_params.get("host") or "")[:200] or None
    source = (request.query_params.get("source") or "")[:200] or None
    page = await run_in_threadpool(
        _service(request).list_sessions, agent=agent, limit=100, host=host, source=source
    )
    context = {"sessions": page, "agent": agent, "host": host, "source": source, "page": "sessions"}
    return _render(request, "sessions.html", context)


async def alerts_page(request: Request) -> Response:
    """Stored alerts, newest first."""
    alerts = await run_in_threadpool(_service(request).alerts, limit=200)
    return _render(request, "alerts.html", {"alerts": alerts["alerts"], "page": "alerts"})


async def budget_page(request: Request) -> Response:
    """Month-to-date spend against the monthly budget, with forecast."""
    budget = await run_in_threadpool(_service(request).budget)
    return _render(request, "budget.html", {"budget": budget, "page": "budget"})


async def not_found_page(request: Request, message: str) -> HTMLResponse:
    """An HTML 404 for dashboard paths."""
    response = _render(request, "error.html", {"message": message}, 404)
    assert isinstance(response, HTMLResponse)
    return response


async def favicon(request: Request) -> Response:
    """Browsers ask for /favicon.ico; answer with the SVG icon."""
    return RedirectResponse("/static/favicon.svg", status_code=301)


def dashboard_routes() -> list[BaseRoute]:
    """Dashboard pages, htmx fragments and the vendored static assets."""
    return [
        Route("/", index, methods=["GET"]),
        Route("/ui/efficiency", efficiency_fragment, methods=["GET"]),
        Route("/ui/active", active_fragment, methods=["GET"]),
        Route("/sessions", sessions_page, methods=["GET"]),
        Route("/sessions/{session_id}", session_page, methods=["GET"]),
        Route("/alerts", alerts_page, methods=["GET"]),
        Route("/budget", budget_page, methods=["GET"]),
        Route("/favicon.ico", favicon, methods=["GET"]),
        Mount("/static", app=StaticFiles(directory=str(_HERE / "static")), name="static"),
    ]
