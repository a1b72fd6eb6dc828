"""Run the app under uvicorn, refusing a non-loopback bind without a token."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

from ..errors import ConfigurationError
from ._security import check_token, is_loopback
from .app import create_app
from .ingest import IngestConfig

__all__ = ["build_server", "check_bind", "serve_in_thread", "url_for"]


def check_bind(host: str, token: str | None, *, read_tokens: int = 0, proxied: bool = False) -> None:
    """Raise ConfigurationError if ``host`` is not loopback (or ``proxied``) and no token guards the server.

    ``read_tokens`` is the number of stored read tokens (``sessionoptimizer token create --read``);
    ``proxied``: other Host names are allowed (a reverse proxy), so the server is reachable from elsewhere.
    An empty or whitespace-only ``token`` is refused (see `check_token`), never taken as "no token".
    """
    check_token(token)
    if (proxied or not is_loopback(host)) and not token and not read_tokens:
        raise ConfigurationError(
            f"binding to {host!r} exposes your sessions: pass --token or create a read token with "
            "`sessionoptimizer token create --read` (or bind 127.0.0.1)"
        )


def url_for(host: str, port: int, token: str | None = None) -> str:
    """The dashboard URL to print (with ``?token=``, percent-encoded, so the browser gets its cookie)."""
    shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    shown = f"[{shown}]" if ":" in shown else shown
    return f"http://{shown}:{port}/" + (f"?token={quote(token, safe='')}" if token else "")


def build_server(
    home: str | Path | None = None,
    *,
    host: str = "127.0.0.1",
    port: int = 8765,
    token: str | None = None,
    poll_interval: float = 1.0,
    log_level: str = "warning",
    read_tokens: int = 0,
    ssl_certfile: str | None = None,
    ssl_keyfile: str | None = None,
    ingest: IngestConfig | None = None,
    allowed_hosts: tuple[str, ...] = (),
    store_url: str | None = None,
) -> object:
    """A configured ``uvicorn.Server`` (call ``.run()``); raises ConfigurationError for an unsafe bind.

    A non-loopback ``host`` makes the server public: reads need a read token and OTLP ingest an ingest token.
    ``ssl_certfile``/``ssl_keyfile`` serve HTTPS directly (or put a TLS reverse proxy in front).
    """
    import uvicorn

    check_bind(host, token, read_tokens=read_tokens, proxied=bool(allowed_hosts))
    if bool(ssl_certfile) != bool(ssl_keyfile):
        raise ConfigurationError("--ssl-certfile and --ssl-keyfile go together")
    public = not is_loopback(host) or bool(allowed_hosts)  # behind a proxy: as exposed as a public bind
    app = create_app(
        home,
        token=token,
        poll_interval=poll_interval,
        ingest=ingest,
        public=public,
        allowed_hosts=allowed_hosts,
        store_url=store_url,
    )
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        log_level=log_level,
        access_log=False,  # an access log would print ?token= query strings
        timeout_graceful_shutdown=2,
        server_header=False,
        ssl_certfile=ssl_certfile,
        ssl_keyfile=ssl_keyfile,
    )
    return uvicorn.Server(config)


@contextlib.contextmanager
def serve_in_thread(
    home: str | Path | None = None,
    *,
    token: str | None = None,
    poll_interval: float = 1.0,
    startup_timeout: float = 10.0,
    ingest: IngestConfig | None = None,
    public: bool = False,
    store_url: str | None = None,
) -> Iterator[str]:
    """Run the server on 127.0.0.1 on a free port in a daemon thread; yield its base URL (tests, notebooks)."""
    import uvicorn

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    app = create_app(
        home, token=token, poll_interval=poll_interval, ingest=ingest, public=public, store_url=store_url
    )
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
