"""ASGI middleware: loopback Host check (DNS rebinding), optional bearer token, and security headers.

Pure ASGI (not ``BaseHTTPMiddleware``) so the Server-Sent Events stream passes through unbuffered.
"""

from __future__ import annotations

import hmac
import ipaddress
import json
from collections.abc import Callable, Iterable
from urllib.parse import quote, unquote

from starlette.requests import HTTPConnection
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..errors import ConfigurationError

__all__ = [
    "CSP",
    "LOOPBACK_HOSTS",
    "RECHECK_SCOPE_KEY",
    "SecurityMiddleware",
    "check_token",
    "is_loopback",
    "presented_secrets",
    "reject",
]

LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
TOKEN_COOKIE = "so_token"
#: Scope key of a ``() -> bool`` telling a long response (the SSE stream) whether its token is still valid.
RECHECK_SCOPE_KEY = "sessionoptimizer.token_still_valid"
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


def check_token(token: str | None) -> None:
    """Raise ConfigurationError unless ``token`` is None or printable text without whitespace.

    An empty token (an unset shell variable) would match an empty presented one; whitespace cannot survive the
    ``Authorization`` header. The message never repeats the token: it is a secret.
    """
    if token is None:
        return
    if not token.strip():
        raise ConfigurationError(
            "--token is empty or only whitespace (an unset variable?): give a real secret or omit --token"
        )
    if any(c.isspace() or not c.isprintable() for c in token):
        raise ConfigurationError("--token must not contain spaces, tabs, line breaks or control characters")


def presented_secrets(conn: HTTPConnection) -> set[str]:
    """Every credential a request carries (bearer header, ``?token=``, cookie), to redact from log lines."""
    raw = conn.headers.get("authorization", "")
    auth = _header_text(raw)
    cookie = conn.cookies.get(TOKEN_COOKIE, "")
    found = {raw, auth, auth[7:].strip(" \t"), cookie, unquote(cookie), *conn.query_params.getlist("token")}
    return {s for s in found if s}


def _header_text(raw: str) -> str:
    """A header value as the client meant it: Starlette decodes bytes as latin-1, clients send UTF-8."""
    return raw.encode("latin-1").decode("utf-8", "surrogateescape")


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
        read_recheck: Callable[[str], bool] | None = None,
        require_token: bool = False,
    ) -> None:
        check_token(token)
        self.app = app
        self.token = token
        self.allowed_hosts = {h.lower() for h in allowed_hosts}
        self.read_check = read_check  # stored read tokens (``sessionoptimizer token create --read``)
        self.read_recheck = read_recheck or read_check  # uncached: an open stream sees a revocation at once
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
            await reject(
                send, 400, "bad_host", "the Host header is not a loopback name (DNS rebinding guard)"
            )
            return
        set_cookie = False
        presented_ok: str | None = None
        if self.require_token and scope.get("path") not in INGEST_PATHS:
            presented, from_query = self._presented_token(conn)
            if presented is None or not self._token_ok(presented):
                await reject(
                    send, 401, "unauthorized", "a valid token is required (Authorization: Bearer ...)"
                )
                return
            set_cookie = from_query
            presented_ok = presented
            scope[RECHECK_SCOPE_KEY] = lambda: self._still_valid(presented)
        secure = scope.get("scheme") == "https"

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                extra = list(_HEADERS)
                if set_cookie and presented_ok is not None:
                    extra.append((b"set-cookie", _cookie(presented_ok, secure=secure)))
                message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        await self.app(scope, receive, send_with_headers)

    def _token_ok(self, presented: str) -> bool:
        """True for the configured token or a stored read token; an empty secret never matches."""
        if not presented:
            return False
        if self.token is not None and _same(presented, self.token):
            return True
        return self.read_check is not None and self.read_check(presented)

    def _still_valid(self, presented: str) -> bool:
        """Whether an accepted secret is still valid now (a read token may have been revoked since)."""
        if self.token is not None and _same(presented, self.token):
            return True
        return self.read_recheck is not None and self.read_recheck(presented)

    def _host_ok(self, host: str) -> bool:
        if is_loopback(host) or host in self.allowed_hosts:
            return True
        return self.require_token and not self.allowed_hosts  # a token-guarded public bind accepts any name

    def _presented_token(self, conn: HTTPConnection) -> tuple[str | None, bool]:
        """The token from ``Authorization: Bearer``, else the first non-empty ``?token=``, else the cookie."""
        auth = _header_text(conn.headers.get("authorization", ""))
        if auth.lower().startswith("bearer "):
            return auth[7:].strip(" \t") or None, False  # only HTTP's own blanks, never U+00A0 and kin
        from_query = [t for t in conn.query_params.getlist("token") if t]
        if from_query:
            return from_query[0], True
        return unquote(conn.cookies.get(TOKEN_COOKIE, "")) or None, False


def _same(presented: str, token: str) -> bool:
    """Constant-time equality of two secrets' UTF-8 bytes (undecodable header bytes never match)."""
    return hmac.compare_digest(presented.encode("utf-8", "surrogateescape"), token.encode("utf-8"))


def _cookie(secret: str, *, secure: bool) -> bytes:
    """The ``Set-Cookie`` value: the secret percent-encoded (any character survives), Secure over HTTPS."""
    value = f"{TOKEN_COOKIE}={quote(secret, safe='')}; HttpOnly; SameSite=Strict; Path=/"
    return (value + "; Secure" if secure else value).encode("ascii")


async def reject(send: Send, status: int, error: str, detail: str) -> None:
    """Answer with a JSON error ``{"error", "detail"}`` and the security headers."""
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
