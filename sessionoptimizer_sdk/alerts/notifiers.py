"""Where alerts go: a ``Notifier`` protocol with built-ins for the structured log, a webhook and a callable.

A notifier may raise; the engine retries it (``retries`` attribute, default 2) with a short backoff on its own
thread, logs the final failure and moves on: a notifier never blocks or breaks the agent.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Protocol, runtime_checkable
from urllib.parse import urlsplit

from sessionoptimizer_sdk._internal.log import get_logger
from sessionoptimizer_sdk.alerts.model import Alert
from sessionoptimizer_sdk.errors import ConfigurationError

__all__ = ["CallableNotifier", "LogNotifier", "Notifier", "WebhookNotifier"]

_log = get_logger("sessionoptimizer.alerts")
_LEVELS = {"HIGH": "error", "MEDIUM": "warning", "LOW": "info"}


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
        """Log the alert with its fields."""
        method = getattr(_log, _LEVELS.get(alert.priority, "info"))
        method("alert", **alert.to_dict())


class WebhookNotifier:
    """POSTs each alert as JSON to an http(s) URL (stdlib urllib: no extra dependency)."""

    def __init__(
        self, url: str, *, timeout: float = 5.0, retries: int = 2, headers: dict[str, str] | None = None
    ) -> None:
        parts = urlsplit(url)
        if parts.scheme not in {"http", "https"} or not parts.netloc:
            raise ConfigurationError(f"webhook URL must be http(s)://host/...; got {url!r}")
        if timeout <= 0 or retries < 0:
            raise ConfigurationError("webhook timeout must be > 0 and retries >= 0")
        self.url = url
        self.timeout = timeout
        self.retries = retries
        self.headers = {
            "Content-Type": "application/json",
            "User-Agent": "sessionoptimizer",
            **(headers or {}),
        }

    def notify(self, alert: Alert) -> None:
        """POST the alert; raise on a network error or a non-2xx status."""
        import urllib.request  # here, not at import: it loads http.client, ssl and email (~10 ms of CLI start-up)

        body = json.dumps(alert.to_dict(), allow_nan=False).encode()
        request = urllib.request.Request(self.url, data=body, headers=self.headers, method="POST")
        with urllib.request.urlopen(request, timeout=self.timeout) as response:
            status = getattr(response, "status", 200)
            if not 200 <= status < 300:
                raise OSError(f"webhook answered HTTP {status}")

    def __repr__(self) -> str:
        return f"WebhookNotifier({urlsplit(self.url).netloc!r})"


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
