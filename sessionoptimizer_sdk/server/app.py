"""The Starlette application: REST API + dashboard over one store, behind the security middleware."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response

from .._internal.log import get_logger
from ..config import Settings
from ..errors import InvalidInputError, SessionNotFound
from ..store.selection import open_store
from ._params import ParamError
from ._security import SecurityMiddleware
from .api import api_routes, json_response
from .dashboard import dashboard_routes, not_found_page
from .ingest import IngestConfig, IngestService, ingest_routes
from .ingest.tokens import KIND_READ
from .service import DashboardService

__all__ = ["create_app"]

_log = get_logger(__name__)


async def _param_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ParamError | InvalidInputError)
    return json_response({"error": "invalid_parameter", "detail": str(exc)}, 422)


async def _not_found(request: Request, exc: Exception) -> Response:
    return json_response({"error": "not_found", "detail": str(exc)}, 404)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if exc.status_code == 404 and not request.url.path.startswith(("/api", "/openapi")):
        return await not_found_page(request, "Page not found.")
    name = "not_found" if exc.status_code == 404 else "http_error"
    return json_response({"error": name, "detail": str(exc.detail)}, exc.status_code)


async def _server_error(request: Request, exc: Exception) -> Response:
    _log.error("server.error", path=request.url.path, error=repr(exc))
    return json_response({"error": "internal_error", "detail": "internal server error"}, 500)


def create_app(
    home: str | Path | None = None,
    *,
    settings: Settings | None = None,
    token: str | None = None,
    allowed_hosts: Iterable[str] = (),
    poll_interval: float = 1.0,
    ingest: IngestConfig | None = None,
    public: bool = False,
    store_url: str | None = None,
) -> Starlette:
    """Build the app over the store in ``home`` (default ``$SESSIONOPTIMIZER_HOME``).

    Args:
        home: store folder.
        settings: resolved settings (overrides ``home``).
        token: when set, every request must carry it (``Authorization: Bearer``, ``?token=`` or cookie).
        allowed_hosts: extra Host names accepted besides loopback names.
        poll_interval: seconds between the live stream's store polls.
        ingest: OTLP ingest settings (default: on; tokens required when ``public``).
        public: bound to a non-loopback address: reads need ``token`` or a stored read token, and ingest
            needs an ingest token.
        store_url: the store (``postgresql://...``, ``sqlite:///path``); default ``$SESSIONOPTIMIZER_STORE``,
            else SQLite in ``home``.
    """
    from ..analysis.runner import AnalysisRunner

    settings = settings or Settings.from_env(home)
    store = open_store(store_url, settings)
    ingest_service = IngestService(
        store,
        ingest or IngestConfig(require_tokens=public),
        AnalysisRunner(
            store, settings, provisional_interval=5.0
        ),  # live alerts of remote sessions: <= 5 s late
    )

    def read_check(secret: str) -> bool:
        info = ingest_service.verifier.verify(secret)
        return info is not None and info.kind == KIND_READ

    security = Middleware(
        SecurityMiddleware,
        token=token,
        allowed_hosts=tuple(allowed_hosts),
        read_check=read_check,
        require_token=public,
    )
    app = Starlette(
        routes=[*ingest_routes(), *api_routes(), *dashboard_routes()],
        middleware=[security],
        exception_handlers={
            ParamError: _param_error,
            InvalidInputError: _param_error,
            SessionNotFound: _not_found,
            HTTPException: _http_error,
            Exception: _server_error,
        },
    )
    app.state.service = DashboardService(store, settings)
    app.state.ingest = ingest_service
    app.state.poll_interval = poll_interval
    return app
