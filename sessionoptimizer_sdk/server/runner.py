"""Run the app under uvicorn, refusing a non-loopback bind without a token."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from ..errors import ConfigurationError
from ._security import is_loopback
from .app import create_app

__all__ = ["build_server", "check_bind", "serve_in_thread", "url_for"]


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
    store_url: str | None = None,
) -> object:
    """A configured ``uvicorn.Server`` (call ``.run()``); raises ConfigurationError for an unsafe bind."""
    import uvicorn

    check_bind(host, token)
    app = create_app(home, token=token, poll_interval=poll_interval, store_url=store_url)
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


@contextlib.contextmanager
def serve_in_thread(
    home: str | Path | None = None,
    *,
    token: str | None = None,
    poll_interval: float = 1.0,
    startup_timeout: float = 10.0,
    store_url: str | None = None,
) -> Iterator[str]:
    """Run the server on 127.0.0.1 on a free port in a daemon thread; yield its base URL (tests, notebooks)."""
    import uvicorn

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    app = create_app(home, token=token, poll_interval=poll_interval, store_url=store_url)
    config = uvicorn.Config(
        app, log_level="warning", access_log=False, timeout_graceful_shutdown=1, lifespan="off"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True, name="so-server")
    thread.start()
    deadline = time.monotonic() + startup_timeout
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the server did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
