"""Each REST route declared once: path, summary, query parameters with their ranges, response schema, target.

`api` builds the Starlette handlers and `openapi` the document from these declarations.

Adding a query parameter is one line here (plus the keyword argument on the target)::

    TextQuery("host", "recorded on this host"),
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.convertors import Convertor, register_url_convertor
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from .._version import __version__
from ._guidance_api import agent_guidance
from ._params import DateQuery, IntQuery, ParamError, QueryParam, StatusQuery, TextQuery
from .serialize import clean
from .service import ACTIVE_PAGE, DashboardService

__all__ = ["ENDPOINTS", "MAX_DAYS", "MAX_HOURS", "MAX_LIMIT", "Endpoint", "json_response"]

MAX_DAYS = 366
MAX_HOURS = 24 * 366
MAX_LIMIT = 1000
MAX_OFFSET = 10**9
#: Path parameters that may hold a '/' (sent as %2F): agent names are free text, session ids never hold one.
SLASH_PARAMS = frozenset({"agent_name"})
#: The convertor of `SLASH_PARAMS` in route paths (``{agent_name:anytext}``).
ANY_TEXT = "anytext"
#: Query keys every route accepts besides its declared ones (the token, read by the security middleware).
ALWAYS_ACCEPTED = frozenset({"token"})

#: ``target(service, *path_params, **query_params)`` returns the JSON body.
Target = Callable[..., dict[str, Any]]


def json_response(data: Any, status_code: int = 200) -> JSONResponse:
    """A JSON response that is always valid JSON (non-finite floats become null)."""
    return JSONResponse(clean(data), status_code=status_code, headers={"Cache-Control": "no-store"})


@dataclass(frozen=True, slots=True)
class Endpoint:
    """One ``GET`` route: what it answers, the parameters it takes and the function computing its body."""

    path: str
    summary: str
    response: str  # name of the response schema under ``components/schemas``
    target: Target
    query: tuple[QueryParam, ...] = ()
    may_404: bool = False  # the path names a session that may not exist
    blocking: bool = True  # the target reads the store (run in the thread pool)
    path_params: tuple[str, ...] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "path_params", tuple(re.findall(r"{(\w+)}", self.path)))
        try:  # a declared parameter the target cannot take fails here, at import, not on the first request
            inspect.signature(self.target).bind(None, *self.path_params, **{p.name: None for p in self.query})
        except TypeError as exc:
            raise TypeError(
                f"{self.path}: the target does not take the declared parameters ({exc})"
            ) from None

    def route(self) -> Route:
        """The Starlette route: parse every declared query parameter (422 on the first bad one), then call.

        An undeclared query parameter is a 422 too (a misspelt ``limt`` must not silently mean the default).
        """
        accepted = ALWAYS_ACCEPTED | {p.name for p in self.query}
        path = re.sub(
            r"{(\w+)}", lambda m: f"{{{m[1]}:{ANY_TEXT}}}" if m[1] in SLASH_PARAMS else m[0], self.path
        )

        async def handle(request: Request) -> JSONResponse:
            _refuse_unknown(request, accepted)
            kwargs = {p.name: p.parse(request.query_params.get(p.name)) for p in self.query}
            args = [request.path_params[name] for name in self.path_params]
            service: DashboardService = request.app.state.service
            if self.blocking:
                return json_response(await run_in_threadpool(self.target, service, *args, **kwargs))
            return json_response(self.target(service, *args, **kwargs))

        handle.__doc__ = f"``GET {self.path}``: {self.summary}."
        return Route(path, handle, methods=["GET"])


class _AnyText(Convertor[str]):
    """One or more characters of any kind, '/' and line breaks included (Starlette's ``path`` stops at a line break)."""

    regex = r"[\s\S]+"

    def convert(self, value: str) -> str:
        """The text as decoded from the URL."""
        return value

    def to_string(self, value: str) -> str:
        """The text, for ``url_path_for``."""
        return value


register_url_convertor(ANY_TEXT, _AnyText())


def _refuse_unknown(request: Request, accepted: frozenset[str]) -> None:
    """Raise ParamError for the first query key the route does not declare, listing the accepted ones."""
    for key in request.query_params:
        if key not in accepted:
            known = ", ".join(sorted(accepted - ALWAYS_ACCEPTED)) or "none"
            raise ParamError(key[:40], f"unknown for this endpoint (accepted: {known})")


def _health(service: DashboardService) -> dict[str, Any]:
    return {"status": "ok", "version": __version__}


def _days(default: int, description: str = "window in days") -> IntQuery:
    return IntQuery("days", default, 1, MAX_DAYS, description)


def _limit(default: int, maximum: int = MAX_LIMIT) -> IntQuery:
    return IntQuery("limit", default, 1, maximum, "page size")


_OFFSET = IntQuery("offset", 0, 0, MAX_OFFSET, "rows to skip")

#: Every documented route, static paths before parameterised ones.
ENDPOINTS: tuple[Endpoint, ...] = (
    Endpoint("/api/health", "Liveness and version", "Health", _health, blocking=False),
    Endpoint(
        "/api/stats/current",
        "Per-agent efficiency and waste in a window (BCH)",
        "CurrentStats",
        DashboardService.current_stats,
        (IntQuery("hours", 24, 1, MAX_HOURS, "window in hours"),),
    ),
    Endpoint(
        "/api/stats/trend",
        "Daily efficiency per agent and team",
        "Trend",
        DashboardService.trend,
        (_days(7, "number of local days"),),
    ),
    Endpoint(
        "/api/stats/agent/{agent_name}",
        "One agent's efficiency and trend (BCH)",
        "AgentStats",
        DashboardService.agent_stats,
        (_days(7),),
    ),
    Endpoint(
        "/api/sessions/active",
        "Running sessions, longest-running first (BCH)",
        "ActiveSessions",
        DashboardService.active_sessions,
        (_limit(ACTIVE_PAGE), _OFFSET),
    ),
    Endpoint(
        "/api/sessions",
        "Sessions, newest first",
        "SessionPage",
        DashboardService.list_sessions,
        (
            TextQuery("agent", "agent name"),
            StatusQuery("status", "session status"),
            DateQuery("since", "started at or after"),
            DateQuery("until", "started before"),
            _limit(50),
            _OFFSET,
            TextQuery("host", "machine (host.name)"),
            TextQuery("source", "sdk, claude_code, codex or import"),
        ),
    ),
    Endpoint("/api/sessions/{session_id}", "One session", "Session", DashboardService.session, may_404=True),
    Endpoint(
        "/api/sessions/{session_id}/events",
        "A session's events in time order",
        "EventPage",
        DashboardService.events,
        (_limit(200, MAX_LIMIT * 10), _OFFSET),
        may_404=True,
    ),
    Endpoint(
        "/api/reports/{session_id}",
        "A session's report (BCH)",
        "Report",
        DashboardService.report,
        may_404=True,
    ),
    Endpoint(
        "/api/alerts",
        "Stored alerts, newest first",
        "AlertList",
        DashboardService.alerts,
        (TextQuery("session_id", "one session"), DateQuery("since", "created at or after"), _limit(100)),
    ),
    Endpoint(
        "/api/budget", "Month-to-date spend against the monthly budget", "Budget", DashboardService.budget
    ),
    Endpoint(
        "/api/guidance/{agent_name}",
        "Guidance for an agent from its recurring waste, costliest first (BCH)",
        "Guidance",
        agent_guidance,
        (
            _days(14),
            IntQuery("min_sessions", 1, 1, 10_000, "keep items seen in at least N sessions"),
            IntQuery("max_items", 8, 1, 50, "at most N items"),
        ),
    ),
)
