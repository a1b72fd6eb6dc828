"""The OpenAPI 3.0 description served at ``/openapi.json``.

Paths and parameters are generated from `_routes.ENDPOINTS`; the response schemas are written here.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from .._version import __version__
from ._params import StatusQuery
from ._routes import ENDPOINTS, Endpoint

__all__ = ["openapi_document"]


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _num(nullable: bool = True) -> dict[str, Any]:
    return {"type": "number", "nullable": nullable}


_INT = {"type": "integer"}
_STR = {"type": "string"}
_NSTR = {"type": "string", "nullable": True}
_STATUS = StatusQuery("status", "").schema()

_USAGE = {
    "type": "object",
    "required": [
        "input_tokens",
        "output_tokens",
        "cache_read_tokens",
        "cache_write_tokens",
        "reasoning_tokens",
    ],
    "properties": {
        k: _INT
        for k in (
            "input_tokens",
            "output_tokens",
            "cache_read_tokens",
            "cache_write_tokens",
            "reasoning_tokens",
            "fresh_tokens",
            "total_tokens",
        )
    },
}
_SESSION = {
    "type": "object",
    "required": ["id", "agent", "task", "model", "status", "started_at", "duration", "tokens", "usage"],
    "properties": {
        "id": _STR,
        "agent": _STR,
        "task": _STR,
        "model": _STR,
        "status": _STATUS,
        "started_at": _STR,
        "ended_at": _NSTR,
        "last_event_at": _NSTR,
        "duration": {"type": "integer", "description": "seconds, to now while ACTIVE"},
        "tokens": {"type": "integer", "description": "total tokens of every kind"},
        "usage": _ref("TokenUsage"),
        "event_count": _INT,
        "efficiency_score": _num(),
        "provisional": {"type": "boolean", "nullable": True},
        "total_waste_tokens": {"type": "integer", "nullable": True},
        "metadata": {"type": "object"},
        "host": {**_NSTR, "description": "machine the session was recorded on"},
        "source": {**_NSTR, "description": "sdk, claude_code, codex or import"},
    },
}
_EVENT = {
    "type": "object",
    "required": ["id", "session_id", "event_type", "timestamp", "data"],
    "properties": {
        "id": _STR,
        "session_id": _STR,
        "seq": _INT,
        "event_type": _STR,
        "timestamp": _STR,
        "name": _NSTR,
        "duration_ms": _num(),
        "is_error": {"type": "boolean"},
        "error_type": _NSTR,
        "tokens_input": _INT,
        "tokens_output": _INT,
        "cache_read_tokens": _INT,
        "cache_write_tokens": _INT,
        "reasoning_tokens": _INT,
        "data": {"type": "object"},
    },
}
_ALERT = {
    "type": "object",
    "required": ["id", "session_id", "agent", "rule", "priority", "message", "created_at"],
    "properties": {
        "id": _INT,
        "session_id": _STR,
        "agent": _STR,
        "rule": _STR,
        "priority": _STR,
        "message": _STR,
        "created_at": _STR,
        "payload": {"type": "object"},
    },
}
_AGENT_WINDOW = {
    "type": "object",
    "required": ["sessions", "sessions_analyzed", "average_efficiency", "total_waste_tokens"],
    "properties": {
        "sessions": _INT,
        "sessions_analyzed": _INT,
        "active_sessions": _INT,
        "average_efficiency": _num(),
        "total_waste_tokens": _INT,
        "total_tokens": _INT,
        "cost_usd": _num(),
    },
}
#: A page of sessions with the total matching, as the listing endpoints answer.
_SESSION_PAGE: dict[str, Any] = {
    "type": "object",
    "required": ["sessions", "total", "limit", "offset"],
    "properties": {
        "sessions": {"type": "array", "items": _ref("Session")},
        "total": _INT,
        "limit": _INT,
        "offset": _INT,
    },
}

_SCHEMAS: dict[str, Any] = {
    "Error": {
        "type": "object",
        "required": ["error", "detail"],
        "properties": {"error": _STR, "detail": _STR},
    },
    "TokenUsage": _USAGE,
    "Session": _SESSION,
    "Event": _EVENT,
    "Alert": _ALERT,
    "CurrentStats": {
        "type": "object",
        "required": ["agents", "total_sessions", "average_efficiency", "total_waste_tokens"],
        "properties": {
            "window_hours": _INT,
            "since": _STR,
            "agents": {"type": "object", "additionalProperties": _AGENT_WINDOW},
            "total_sessions": _INT,
            "sessions_analyzed": _INT,
            "average_efficiency": _num(),
            "total_waste_tokens": _INT,
        },
    },
    "AgentStats": {
        "type": "object",
        "required": ["agent", "sessions_analyzed", "average_efficiency", "trends"],
        "properties": {
            "agent": _STR,
            "days": _INT,
            "sessions_analyzed": _INT,
            "average_efficiency": _num(),
            "total_waste_tokens": _INT,
            "cost_usd": _num(),
            "trends": {
                "type": "object",
                "required": ["direction", "change"],
                "properties": {
                    "direction": {
                        "type": "string",
                        "enum": ["improving", "declining", "stable", "insufficient_data"],
                    },
                    "change": {"type": "number"},
                },
            },
            "effect": {
                "type": "object",
                "nullable": True,
                "description": "waste per 1,000 tokens and USD per session before vs since guidance/the guard",
            },
        },
    },
    "Guidance": {
        "type": "object",
        "required": ["agent", "days", "sessions_analyzed", "items", "claude_md", "agents_md"],
        "properties": {
            "agent": _STR,
            "days": _INT,
            "sessions_analyzed": _INT,
            "waste_tokens": _INT,
            "waste_usd": _num(),
            "items": {"type": "array", "items": {"type": "object"}},
            "items_below_min_sessions": _INT,
            "claude_md": _STR,
            "agents_md": _STR,
        },
    },
    "ActiveSessions": {
        **_SESSION_PAGE,
        "description": "A page of ACTIVE sessions, longest-running first; total counts them all.",
    },
    "SessionPage": _SESSION_PAGE,
    "EventPage": {
        "type": "object",
        "required": ["session_id", "events", "total"],
        "properties": {
            "session_id": _STR,
            "events": {"type": "array", "items": _ref("Event")},
            "total": _INT,
            "limit": _INT,
            "offset": _INT,
        },
    },
    "Report": {
        "type": "object",
        "description": "The analysis report (docs/report-schema.md).",
        "required": ["session_id", "efficiency_score", "total_waste_tokens", "issues", "recommendations"],
        "properties": {
            "session_id": _STR,
            "agent": _STR,
            "task": _STR,
            "status": _STR,
            "provisional": {"type": "boolean"},
            "efficiency_score": {"type": "number"},
            "total_waste_tokens": _INT,
            "cost_usd": _num(),
            "issues": {"type": "array", "items": {"type": "object"}},
            "recommendations": {"type": "array", "items": {"type": "object"}},
        },
    },
    "AlertList": {
        "type": "object",
        "required": ["alerts"],
        "properties": {"alerts": {"type": "array", "items": _ref("Alert")}},
    },
    "Trend": {
        "type": "object",
        "required": ["days", "dates", "agents", "team"],
        "properties": {
            "days": _INT,
            "dates": {"type": "array", "items": _STR},
            "agents": {"type": "object", "additionalProperties": {"type": "array", "items": _num()}},
            "team": {"type": "array", "items": _num()},
            "sessions": {"type": "array", "items": _INT},
            "enablements": {
                "type": "array",
                "items": {"type": "object"},
                "description": "when guidance or the guard was enabled/disabled, with the agent's waste change",
            },
        },
    },
    "Budget": {
        "type": "object",
        "required": ["monthly_budget_usd", "month_to_date_usd", "forecast_usd", "on_track"],
        "properties": {
            "month": _STR,
            "monthly_budget_usd": _num(),
            "month_to_date_usd": _num(),
            "forecast_usd": _num(),
            "remaining_usd": _num(),
            "percent_used": _num(),
            "on_track": {"type": "boolean"},
            "days_elapsed": _num(),
            "days_in_month": _INT,
            "sessions": _INT,
            "sessions_unpriced": _INT,
            "sessions_unanalyzed": _INT,
        },
    },
    "Health": {"type": "object", "required": ["status"], "properties": {"status": _STR, "version": _STR}},
}


def _operation(endpoint: Endpoint) -> dict[str, Any]:
    params: list[dict[str, Any]] = [
        {"name": name, "in": "path", "required": True, "schema": {"type": "string", "minLength": 1}}
        for name in endpoint.path_params
    ]
    params += [
        {"name": p.name, "in": "query", "required": False, "schema": p.schema(), "description": p.description}
        for p in endpoint.query
    ]
    err = {"content": {"application/json": {"schema": _ref("Error")}}}
    responses: dict[str, Any] = {
        "200": {"description": "OK", "content": {"application/json": {"schema": _ref(endpoint.response)}}},
    }
    if endpoint.query:
        responses["422"] = {"description": "a query parameter is invalid", **err}
    if endpoint.may_404:
        responses["404"] = {"description": "no such session", **err}
    return {"get": {"summary": endpoint.summary, "parameters": params, "responses": responses}}


@cache
def openapi_document() -> dict[str, Any]:
    """The OpenAPI 3.0.3 document of the REST API, generated from the route declarations."""
    paths = {endpoint.path: _operation(endpoint) for endpoint in ENDPOINTS}
    return {
        "openapi": "3.0.3",
        "info": {"title": "SessionOptimizer API", "version": __version__},
        "servers": [{"url": "/"}],
        "paths": paths,
        "components": {"schemas": _SCHEMAS},
    }
