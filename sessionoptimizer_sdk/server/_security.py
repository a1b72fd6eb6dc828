"""ASGI middleware: loopback Host check (DNS rebinding), optional bearer token, and security headers.

Pure ASGI (not ``BaseHTTPMiddleware``) so the Server-Sent Events stream passes through unbuffered.
"""

from __future__ import annotations

import hmac
import ipaddress
import json
from collections.abc import Callable, Iterable

from starlette.requests import HTTPConnection
from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["CSP", "LOOPBACK_HOSTS", "SecurityMiddleware", "is_loopback"]

LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
TOKEN_COOKIE = "so_token"
#: OTLP ingest routes authenticate with per-agent ingest tokens themselves (``server/ingest``).
INGEST_PATHS = frozenset({"/v1/traces", "/v1/logs", "/v1/metrics"})
#: No inline script or style anywhere: every script and stylesheet is a vendored file under /static.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "font-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)
_HEADERS: list[tuple[bytes, bytes]] = [
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"cross-origin-resource-policy", b"same-origin"),
]


def is_loopback(host: str) -> bool:
    """True only for ``localhost`` and literal loopback addresses (``127.0.0.0/8``, ``::1``).

    A name that merely begins with ``127.`` (``127.0.0.1.nip.io``) is an attacker's DNS name, not loopback.
    """
    h = host.strip().lower().strip("[]").rstrip(".")
    if h == "localhost":
        return True
    try:
        return ipaddress.ip_address(h).is_loopback
    except ValueError:
        return False


def _host_name(raw: str) -> str:
    """The name part of a Host header value, without port (handles ``[::1]:8000``)."""
    raw = raw.strip().lower()
    if raw.startswith("["):
        return raw[1 : raw.find("]")] if "]" in raw else raw
    return raw.rsplit(":", 1)[0] if raw.count(":") == 1 else raw


class SecurityMiddleware:
    """Reject non-loopback Host headers (unless a token guards the server) and requests lacking the token."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        token: str | None = None,
        allowed_hosts: Iterable[str] = (),
        read_check: Callable[[str], bool] | None = None,
        require_token: bool = False,
    ) -> None:
        self.app = app
        self.token = token
        self.allowed_hosts = {h.lower() for h in allowed_hosts}
        self.read_check = read_check  # stored read tokens (``sessionoptimizer token create --read``)
        self.require_token = require_token or token is not None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Check the request, then pass it on with security headers added to the response."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        conn = HTTPConnection(scope)
        headers = conn.headers
        host = _host_name(headers.get("host", ""))
        if not self._host_ok(host):
            await _reject(
                send, 400, "bad_host", "the Host header is not a loopback name (DNS rebinding guard)"
            )
            return
        set_cookie = False
        presented_ok: str | None = None
        if self.require_token and scope.get("path") not in INGEST_PATHS:
            presented, from_query = self._presented_token(conn)
            if presented is None or not self._token_ok(presented):
                await _reject(
                    send, 401, "unauthorized", "a valid token is required (Authorization: Bearer ...)"
                )
                return
            set_cookie = from_query
            presented_ok = presented

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                extra = list(_HEADERS)
                if set_cookie and presented_ok is not None:
                    cookie = f"{TOKEN_COOKIE}={presented_ok}; HttpOnly; SameSite=Strict; Path=/"
                    extra.append((b"set-cookie", cookie.encode("latin-1")))
                message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        await self.app(scope, receive, send_with_headers)

    def _token_ok(self, presented: str) -> bool:
        if self.token is not None and hmac.compare_digest(presented.encode(), self.token.encode()):
            return True
        return self.read_check is not None and self.read_check(presented)

    def _host_ok(self, host: str) -> bool:
        if is_loopback(host) or host in self.allowed_hosts:
            return True
        return self.require_token and not self.allowed_hosts  # a token-guarded public bind accepts any name

    def _presented_token(self, conn: HTTPConnection) -> tuple[str | None, bool]:
        """The token from ``Authorization: Bearer``, else the first non-empty ``?token=``, else the cookie."""
        auth = conn.headers.get("authorization", "")
        if auth.lower().startswith("bearer "):
            return auth[7:].strip(), False
        from_query = [t for t in conn.query_params.getlist("token") if t]
        if from_query:
            return from_query[0], True
        return conn.cookies.get(TOKEN_COOKIE) or None, False


async def _reject(send: Send, status: int, error: str, detail: str) -> None:
    body = json.dumps({"error": error, "detail": detail}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                *_HEADERS,
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
