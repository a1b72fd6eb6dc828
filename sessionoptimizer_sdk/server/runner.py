"""Run the app under uvicorn, refusing a non-loopback bind without a token."""

from __future__ import annotations

from pathlib import Path

from ..errors import ConfigurationError
from ._security import is_loopback
from .app import create_app

__all__ = ["build_server", "check_bind", "url_for"]


def check_bind(host: str, token: str | None) -> None:
    """Raise ConfigurationError if ``host`` is not loopback and no token guards the server."""
    if not is_loopback(host) and not token:
        raise ConfigurationError(
            f"binding to {host!r} exposes your sessions: pass --token (or bind 127.0.0.1)"
        )


def url_for(host: str, port: int, token: str | None = None) -> str:
    """The dashboard URL to print (with ``?token=`` so the browser gets its cookie)."""
    shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    shown = f"[{shown}]" if ":" in shown else shown
    return f"http://{shown}:{port}/" + (f"?token={token}" if token else "")


def build_server(
    home: str | Path | None = None,
    *,
    host: str = "127.0.0.1",
    port: int = 8765,
    token: str | None = None,
    poll_interval: float = 1.0,
    log_level: str = "warning",
) -> object:
    """A configured ``uvicorn.Server`` (call ``.run()``); raises ConfigurationError for an unsafe bind."""
    import uvicorn

    check_bind(host, token)
    app = create_app(home, token=token, poll_interval=poll_interval)
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        log_level=log_level,
        access_log=False,
        timeout_graceful_shutdown=2,
        server_header=False,
    )
    return uvicorn.Server(config)
