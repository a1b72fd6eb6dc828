"""Query-parameter validation for the API: each bad value becomes a 422 naming the parameter and the reason."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone

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


_RFC3339 = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?([Zz]|[+-]\d{2}:\d{2})?$"
)


def _parse_rfc3339(raw: str) -> datetime:
    """RFC 3339 including what ``fromisoformat`` refuses: year 0000 (clamped to 1) and leap second 60."""
    m = _RFC3339.match(raw)
    if not m:
        raise ValueError(raw)
    year, month, day, hour, minute, second = (int(g) for g in m.groups()[:6])
    micro = int((m.group(7) or "0")[:6].ljust(6, "0"))
    tz = UTC
    offset = m.group(8)
    if offset and offset not in "Zz":
        sign = -1 if offset[0] == "-" else 1
        tz = timezone(sign * timedelta(hours=int(offset[1:3]), minutes=int(offset[4:6])))
    return datetime(max(year, 1), month, day, hour, minute, min(second, 59), micro, tzinfo=tz)


def datetime_param(request: Request, name: str) -> datetime | None:
    """An optional ISO-8601 / RFC 3339 date or datetime (naive values are UTC)."""
    raw = request.query_params.get(name)
    if raw is None:
        return None
    text = re.sub(r" (\d{2}:\d{2})$", r"+\1", raw.strip())  # an unencoded '+' arrives as a space
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        try:
            value = _parse_rfc3339(text)
        except (ValueError, OverflowError):
            raise ParamError(name, f"must be an ISO-8601 date or datetime, got {raw[:40]!r}") from None
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
