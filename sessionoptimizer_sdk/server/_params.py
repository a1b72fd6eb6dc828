"""Query-parameter validation for the API: each bad value becomes a 422 naming the parameter and the reason."""

from __future__ import annotations

from datetime import UTC, datetime

from starlette.requests import Request

from ..errors import InvalidStatus
from ..models import SessionStatus

__all__ = ["ParamError", "datetime_param", "int_param", "status_param", "str_param"]


class ParamError(ValueError):
    """A query parameter is malformed or out of range (answered with HTTP 422)."""

    def __init__(self, name: str, reason: str) -> None:
        super().__init__(f"query parameter {name!r}: {reason}")
        self.name = name
        self.reason = reason


def int_param(request: Request, name: str, default: int, *, minimum: int, maximum: int) -> int:
    """An integer parameter within ``[minimum, maximum]`` (``default`` when absent)."""
    raw = request.query_params.get(name)
    if raw is None:
        return default
    try:
        value = int(raw.strip(), 10)
    except ValueError:
        raise ParamError(name, f"must be an integer, got {raw[:40]!r}") from None
    if not minimum <= value <= maximum:
        raise ParamError(name, f"must be between {minimum} and {maximum}, got {value}")
    return value


def str_param(request: Request, name: str, *, max_length: int = 200) -> str | None:
    """An optional non-empty text parameter of at most ``max_length`` characters."""
    raw = request.query_params.get(name)
    if raw is None:
        return None
    if not raw or len(raw) > max_length:
        raise ParamError(name, f"must be 1 to {max_length} characters")
    return raw


def datetime_param(request: Request, name: str) -> datetime | None:
    """An optional ISO-8601 date or datetime (naive values are UTC)."""
    raw = request.query_params.get(name)
    if raw is None:
        return None
    try:
        value = datetime.fromisoformat(raw.strip().replace("Z", "+00:00").replace(" ", "+"))
    except ValueError:
        raise ParamError(name, f"must be an ISO-8601 date or datetime, got {raw[:40]!r}") from None
    if value.year < 1971 or value.year > 9998:
        raise ParamError(name, "must be between 1971 and 9998")
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def status_param(request: Request, name: str = "status") -> SessionStatus | None:
    """An optional session status (any case)."""
    raw = request.query_params.get(name)
    if raw is None:
        return None
    try:
        return SessionStatus.parse(raw)
    except InvalidStatus as exc:
        raise ParamError(name, str(exc)) from None
