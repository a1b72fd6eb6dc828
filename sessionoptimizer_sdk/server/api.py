"""REST routes under ``/api``: the declared endpoints (`_routes.ENDPOINTS`), ``/openapi.json`` and the stream."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import BaseRoute, Route

from ._routes import ENDPOINTS, MAX_DAYS, MAX_HOURS, MAX_LIMIT, json_response
from .openapi import openapi_document
from .stream import stream_endpoint

__all__ = ["MAX_DAYS", "MAX_HOURS", "MAX_LIMIT", "api_routes", "json_response"]


async def openapi(request: Request) -> JSONResponse:
    """``GET /openapi.json``: the API description."""
    return JSONResponse(openapi_document())


def api_routes() -> list[BaseRoute]:
    """Every API route (static paths before parameterised ones)."""
    return [
        Route("/openapi.json", openapi, methods=["GET"]),
        *(endpoint.route() for endpoint in ENDPOINTS),
        Route("/api/stream", stream_endpoint, methods=["GET"]),
    ]
