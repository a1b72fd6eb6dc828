"""REST routes under ``/api``: the declared endpoints (`_routes.ENDPOINTS`), ``/openapi.json`` and the stream."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from ._routes import (
    ALWAYS_ACCEPTED,
    ENDPOINTS,
    MAX_DAYS,
    MAX_HOURS,
    MAX_LIMIT,
    _refuse_unknown,
    json_response,
)
from .openapi import openapi_document
from .stream import stream_endpoint

__all__ = ["MAX_DAYS", "MAX_HOURS", "MAX_LIMIT", "api_routes", "json_response"]


async def openapi(request: Request) -> JSONResponse:
    """``GET /openapi.json``: the API description."""
    return JSONResponse(openapi_document())


def _no_parameters(
    endpoint: Callable[[Request], Awaitable[Response]],
) -> Callable[[Request], Awaitable[Response]]:
    """``endpoint`` refusing any query parameter but ``token`` with a 422, as the declared endpoints do."""

    async def handle(request: Request) -> Response:
        _refuse_unknown(request, ALWAYS_ACCEPTED)
        return await endpoint(request)

    handle.__doc__ = endpoint.__doc__
    return handle


def api_routes() -> list[BaseRoute]:
    """Every API route (static paths before parameterised ones)."""
    return [
        Route("/openapi.json", _no_parameters(openapi), methods=["GET"]),
        *(endpoint.route() for endpoint in ENDPOINTS),
        Route("/api/stream", _no_parameters(stream_endpoint), methods=["GET"]),
    ]
