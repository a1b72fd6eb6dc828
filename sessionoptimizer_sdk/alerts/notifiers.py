"""Where alerts go: a ``Notifier`` protocol with built-ins for the structured log, a webhook and a callable.

A notifier may raise; the engine retries it (``retries`` attribute, default 2) with a short backoff on its own
thread, logs the final failure and moves on: a notifier never blocks or breaks the agent.
"""

from __future__ import annotations

import base64
import functools
import ipaddress
import json
import re
import socket
from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol, runtime_checkable
from urllib.parse import SplitResult, unquote, urlsplit, urlunsplit

from sessionoptimizer_sdk._internal.log import get_logger
from sessionoptimizer_sdk.alerts.model import Alert
from sessionoptimizer_sdk.errors import ConfigurationError

if TYPE_CHECKING:
    import urllib.request

__all__ = [
    "CallableNotifier",
    "LogNotifier",
    "Notifier",
    "WebhookError",
    "WebhookHTTPError",
    "WebhookNotifier",
    "WebhookRedirect",
    "safe_url",
]

_log = get_logger("sessionoptimizer.alerts")
_LEVELS = {"HIGH": "error", "MEDIUM": "warning", "LOW": "info"}
#: Characters http.client refuses in a request line (controls, space, DEL): such a URL could never deliver.
_BAD_URL_CHARS = re.compile(r"[\x00-\x20\x7f]")
#: Cloud instance-metadata host names (GCP, AWS); their addresses are link-local or listed in _METADATA_IPS.
_METADATA_HOSTS = frozenset(
    {"metadata", "metadata.google.internal", "metadata.goog", "instance-data", "instance-data.ec2.internal"}
)
#: Metadata endpoints outside the link-local ranges (AWS IMDS over IPv6, Alibaba Cloud).
_METADATA_IPS = frozenset({ipaddress.ip_address("fd00:ec2::254"), ipaddress.ip_address("100.100.100.200")})


@runtime_checkable
class Notifier(Protocol):
    """Delivers one alert; raising means "failed, retry me"."""

    def notify(self, alert: Alert) -> None:
        """Deliver ``alert``."""
        ...


class LogNotifier:
    """Writes alerts to the ``sessionoptimizer.alerts`` structured log (HIGH as error, MEDIUM as warning)."""

    retries = 0

    def notify(self, alert: Alert) -> None:
        """Log the alert with its fields (a resolved one at info level)."""
        level = "info" if alert.status == "resolved" else _LEVELS.get(alert.priority, "info")
        method = getattr(_log, level)
        method("alert", **alert.to_dict())


class WebhookError(OSError):
    """A webhook delivery failed; ``cause`` names why (a counter suffix), the message never holds URL secrets."""

    def __init__(self, message: str, cause: str = "network") -> None:
        super().__init__(message)
        self.cause = cause


class WebhookHTTPError(WebhookError):
    """The webhook answered with a status outside 2xx (and not a redirect)."""

    def __init__(self, status: int) -> None:
        super().__init__(f"webhook answered HTTP {status}", "http_status")
        self.status = status


class WebhookRedirect(WebhookError):
    """The webhook answered with a redirect; it is not followed (the POST body and headers would be lost or leak)."""

    def __init__(self, status: int, location: str | None) -> None:
        super().__init__(_redirect_text(status, location), "redirect")
        self.status = status


def safe_url(parts: SplitResult) -> str:
    """``parts`` as text for logs: scheme, host, port and first path segment; no userinfo, query values, fragment.

    Deeper path segments are shown as ``…``: chat webhooks (Slack, Discord) carry their secret in the path.
    """
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    netloc = host if parts.port is None else f"{host}:{parts.port}"
    first, sep, _ = parts.path.lstrip("/").partition("/")
    path = f"/{first}{'/…' if sep else ''}" if parts.path else ""
    query = "&".join(
        f"{key}=***" if eq else "***"
        for key, eq, _ in (i.partition("=") for i in parts.query.split("&"))
        if key or eq
    )
    return urlunsplit((parts.scheme, netloc, path, query, ""))


def _metadata_reason(host: str) -> str | None:
    """Why ``host`` is a link-local or cloud-metadata address, or None when it is neither."""
    name = host.rstrip(".").lower()
    if name in _METADATA_HOSTS:
        return f"{name} is a cloud instance-metadata host"
    try:
        address: ipaddress.IPv4Address | ipaddress.IPv6Address = ipaddress.ip_address(name.split("%", 1)[0])
    except ValueError:
        try:  # the resolver also takes legacy IPv4 forms: 2852039166, 0xA9FEA9FE, 169.254.43518
            address = ipaddress.IPv4Address(socket.inet_aton(name))
        except OSError:
            return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if address.is_link_local:
        return f"{address} is link-local (169.254.0.0/16, fe80::/10: cloud metadata lives there)"
    if address in _METADATA_IPS:
        return f"{address} is a cloud instance-metadata address"
    return None


def _parse_webhook_url(url: str, allow_link_local: bool) -> tuple[SplitResult, str | None]:
    """The URL split with its userinfo removed, and the Basic credentials it held; ConfigurationError if unusable.

    Error messages show the URL through :func:`safe_url` (or not at all when it cannot be parsed).
    """
    if not isinstance(url, str):
        raise ConfigurationError(f"webhook URL must be a string, got {type(url).__name__}")
    try:
        parts = urlsplit(url)
        port = parts.port  # raises ValueError when out of range or not a number
    except ValueError:
        raise ConfigurationError("webhook URL is not a valid URL (bad host or port)") from None
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise ConfigurationError(
            f"webhook URL must be http(s)://host/...; got scheme {parts.scheme!r}"
            f" and {'a' if parts.hostname else 'no'} host"
        )
    shown = safe_url(parts)
    if _BAD_URL_CHARS.search(url):
        raise ConfigurationError(
            f"webhook URL contains a space or control character: {shown}; percent-encode it"
        )
    if not url.isascii():
        raise ConfigurationError(
            f"webhook URL must be ASCII (percent-encode the path, punycode the host): {shown}"
        )
    if not allow_link_local:
        reason = _metadata_reason(parts.hostname)
        if reason is not None:
            raise ConfigurationError(
                f"webhook URL {shown} refused: {reason}; pass allow_link_local=True if it is really meant"
            )
    credentials = None
    if parts.username is not None or parts.password is not None:
        user, password = unquote(parts.username or ""), unquote(parts.password or "")
        credentials = base64.b64encode(f"{user}:{password}".encode()).decode("ascii")
    host = parts.hostname if ":" not in parts.hostname else f"[{parts.hostname}]"
    netloc = host if port is None else f"{host}:{port}"
    return parts._replace(netloc=netloc, fragment=""), credentials


@functools.cache
def _opener() -> urllib.request.OpenerDirector:
    """A urllib opener (proxies from the environment as ``urlopen``) that never follows a redirect."""
    import urllib.request  # here, not at import: it loads http.client, ssl and email (~10 ms of CLI start-up)

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        """Refuses every redirect, so a 3xx reaches the caller as an ``HTTPError``."""

        def redirect_request(self, *args: object, **kwargs: object) -> None:
            return None

    return urllib.request.build_opener(NoRedirect)


class WebhookNotifier:
    """POSTs each alert as JSON to an http(s) URL (stdlib urllib: no extra dependency).

    Redirects are not followed (a 3xx is a failed delivery: the POST would turn into a GET without its body and
    the headers would go to another host). ``user:password@`` in the URL becomes a Basic ``Authorization`` header
    and is removed from the URL. Link-local and cloud-metadata hosts (169.254.0.0/16, fe80::/10,
    metadata.google.internal, ...) are refused unless ``allow_link_local=True``.
    """

    def __init__(
        self,
        url: str,
        *,
        timeout: float = 5.0,
        retries: int = 2,
        headers: dict[str, str] | None = None,
        allow_link_local: bool = False,
    ) -> None:
        parts, credentials = _parse_webhook_url(url, allow_link_local)
        if not timeout > 0 or retries < 0:
            raise ConfigurationError("webhook timeout must be > 0 and retries >= 0")
        extra = dict(headers or {})
        if credentials is not None:
            if any(k.lower() == "authorization" for k in extra):
                raise ConfigurationError(
                    "webhook URL has user:password@ and an Authorization header; use one"
                )
            extra["Authorization"] = f"Basic {credentials}"
        self.url = urlunsplit(parts)  # without userinfo: it is in the Authorization header
        self._shown = safe_url(parts)
        self.timeout = timeout
        self.retries = retries
        self.headers = {"Content-Type": "application/json", "User-Agent": "sessionoptimizer", **extra}

    def notify(self, alert: Alert) -> None:
        """POST the alert; raise a :class:`WebhookError` on a network error, a redirect or a non-2xx status."""
        import urllib.error
        import urllib.request
        from http.client import HTTPException

        body = json.dumps(alert.to_dict(), allow_nan=False).encode()
        request = urllib.request.Request(self.url, data=body, headers=self.headers, method="POST")
        try:
            with _opener().open(request, timeout=self.timeout) as response:
                status = getattr(response, "status", 200)
        except urllib.error.HTTPError as exc:
            exc.close()
            if 300 <= exc.code < 400:
                raise WebhookRedirect(exc.code, exc.headers.get("Location")) from None
            raise WebhookHTTPError(exc.code) from None
        except urllib.error.URLError as exc:  # the reason (refused, DNS, TLS) holds no part of the URL
            cause = "timeout" if isinstance(exc.reason, TimeoutError) else "network"
            raise WebhookError(f"webhook unreachable: {exc.reason!r}", cause) from None
        except (OSError, HTTPException) as exc:  # timeouts, resets, bad status lines
            cause = "timeout" if isinstance(exc, TimeoutError) else "network"
            raise WebhookError(f"webhook call failed: {type(exc).__name__}: {exc}", cause) from None
        if not 200 <= status < 300:
            raise WebhookHTTPError(status)

    def __repr__(self) -> str:
        return f"WebhookNotifier({self._shown!r})"


def _redirect_text(code: int, location: str | None) -> str:
    """A redirect failure's message: the status and the Location's scheme and host (no path, query, userinfo)."""
    target = "no Location"
    if location:
        try:
            where = urlsplit(location)
            if where.hostname:
                target = f"{where.scheme}://{where.hostname}"
            else:
                target = f"a {where.scheme}: URL" if where.scheme else "a relative Location"
        except ValueError:
            target = "an invalid Location"
    return f"webhook answered HTTP {code} redirect to {target}; redirects are not followed"


class CallableNotifier:
    """Calls a Python function with each alert (e.g. SynapseLink's ``quick_send`` wrapped in a lambda)."""

    def __init__(self, fn: Callable[[Alert], object], *, retries: int = 2) -> None:
        if not callable(fn):
            raise ConfigurationError(f"CallableNotifier needs a callable, got {type(fn).__name__}")
        self.fn = fn
        self.retries = retries

    def notify(self, alert: Alert) -> None:
        """Call the function."""
        self.fn(alert)

    def __repr__(self) -> str:
        return f"CallableNotifier({getattr(self.fn, '__qualname__', repr(self.fn))})"
