"""The Starlette application: REST API + dashboard over one store, behind the security middleware."""

from __future__ import annotations

import traceback
from collections.abc import Iterable
from pathlib import Path

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .._internal.log import get_logger
from ..config import Settings
from ..errors import InvalidInputError, SessionNotFound
from ..store.selection import open_store
from ._params import ParamError
from ._security import SecurityMiddleware, check_token, presented_secrets, reject
from .api import api_routes, json_response
from .dashboard import dashboard_routes, not_found_page
from .ingest import IngestConfig, IngestService, ingest_routes
from .ingest.tokens import KIND_READ, hash_secret
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
    response = json_response({"error": name, "detail": str(exc.detail)}, exc.status_code)
    response.headers.update(exc.headers or {})  # 405 carries Allow
    return response


class _ContainErrors:
    """Outermost: an unexpected exception becomes a generic 500 and one log line with every token redacted.

    Starlette's own 500 handler re-raises so that uvicorn logs the traceback, message (and token) included.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass the request on; on an exception log it redacted and answer 500 unless the answer began."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception as exc:
            request = Request(scope)
            frame = traceback.extract_tb(exc.__traceback__)[-1]
            where = f"{Path(frame.filename).name}:{frame.lineno} in {frame.name}"
            _log.error("server.error", path=request.url.path, error=_redacted(request, exc), where=where)
            if not started:
                await reject(send, 500, "internal_error", "internal server error")


def _redacted(request: Request, exc: Exception) -> str:
    """``Type: message`` with every token the request carried, and the configured token, blanked out."""
    text = f"{type(exc).__name__}: {exc}"
    configured: str | None = getattr(request.app.state, "token", None)
    secrets = {*presented_secrets(request), *([configured] if configured else [])}
    for secret in sorted(secrets, key=len, reverse=True):  # longest first: no fragment of one survives
        text = text.replace(secret, "[redacted]")
    return text


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

    check_token(token)
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

    def read_recheck(secret: str) -> bool:
        row = store.find_token(
            hash_secret(secret)
        )  # uncached: an open stream stops within a poll of a revoke
        return row is not None and row["kind"] == KIND_READ

    security = Middleware(
        SecurityMiddleware,
        token=token,
        allowed_hosts=tuple(allowed_hosts),
        read_check=read_check,
        read_recheck=read_recheck,
        require_token=public,
    )
    app = Starlette(
        routes=[*ingest_routes(), *api_routes(), *dashboard_routes()],
        middleware=[Middleware(_ContainErrors), security],
        exception_handlers={
            ParamError: _param_error,
            InvalidInputError: _param_error,
            SessionNotFound: _not_found,
            HTTPException: _http_error,
        },
    )
    app.state.service = DashboardService(store, settings)
    app.state.ingest = ingest_service
    app.state.poll_interval = poll_interval
    app.state.token = token
    return app
