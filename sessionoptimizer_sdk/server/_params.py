"""Query parameters declared once: each kind parses its raw text and describes itself as an OpenAPI schema.

A bad value is a 422 naming the parameter and the reason; validation and documentation cannot drift apart.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from typing import Any, Protocol

from starlette.requests import HTTPConnection

from ..errors import InvalidStatus
from ..models import SessionStatus

__all__ = [
    "DateQuery",
    "IntQuery",
    "ParamError",
    "QueryParam",
    "StatusQuery",
    "TextQuery",
    "datetime_param",
    "int_param",
    "status_param",
    "str_param",
]


class ParamError(ValueError):
    """A query parameter is malformed or out of range (answered with HTTP 422)."""

    def __init__(self, name: str, reason: str) -> None:
        super().__init__(f"query parameter {name!r}: {reason}")
        self.name = name
        self.reason = reason


class QueryParam(Protocol):
    """One optional query parameter: its name, what it means, how it parses and its OpenAPI schema."""

    @property
    def name(self) -> str:
        """The query-string key (also the keyword argument the handler's target receives)."""
        ...

    @property
    def description(self) -> str:
        """One phrase for the OpenAPI document."""
        ...

    def parse(self, raw: str | None) -> Any:
        """The value of the raw text (``None`` when absent); raises `ParamError` when invalid."""
        ...

    def schema(self) -> dict[str, Any]:
        """The OpenAPI 3.0 schema of the accepted values."""
        ...


#: A plain decimal integer: ASCII digits, optionally negative (``re``'s ``\d`` would match any script's digits).
_INTEGER = re.compile(r"-?[0-9]+")
_MAX_DIGITS = 30


@dataclass(frozen=True, slots=True)
class IntQuery:
    """An integer within ``[minimum, maximum]``, ``default`` when absent."""

    name: str
    default: int
    minimum: int
    maximum: int
    description: str

    def parse(self, raw: str | None) -> int:
        """The integer, range-checked: ASCII digits with an optional leading '-', nothing else.

        ``int()`` alone would also take ``1_0``, ``+5``, `` 5 `` and non-ASCII digits (Arabic-Indic, fullwidth).
        """
        if raw is None:
            return self.default
        if not _INTEGER.fullmatch(raw):
            raise ParamError(self.name, f"must be an integer (digits 0-9), got {raw[:40]!r}")
        digits = raw.lstrip("-").lstrip("0")
        if len(digits) > _MAX_DIGITS:  # far beyond any range here; int() would refuse past 4,300 digits
            raise ParamError(
                self.name, f"must be between {self.minimum} and {self.maximum}, got {raw[:40]}..."
            )
        value = int(raw, 10)
        if not self.minimum <= value <= self.maximum:
            raise ParamError(self.name, f"must be between {self.minimum} and {self.maximum}, got {value}")
        return value

    def schema(self) -> dict[str, Any]:
        """``integer`` with its bounds and default."""
        return {"type": "integer", "minimum": self.minimum, "maximum": self.maximum, "default": self.default}


@dataclass(frozen=True, slots=True)
class TextQuery:
    """An optional non-empty text of at most ``max_length`` characters."""

    name: str
    description: str
    max_length: int = 200

    def parse(self, raw: str | None) -> str | None:
        """The text, length-checked."""
        if raw is None:
            return None
        if not raw or len(raw) > self.max_length:
            raise ParamError(self.name, f"must be 1 to {self.max_length} characters")
        return raw

    def schema(self) -> dict[str, Any]:
        """``string`` with its length bounds."""
        return {"type": "string", "minLength": 1, "maxLength": self.max_length}


@dataclass(frozen=True, slots=True)
class DateQuery:
    """An optional ISO-8601 / RFC 3339 date or datetime (naive values are UTC)."""

    name: str
    description: str

    def parse(self, raw: str | None) -> datetime | None:
        """The aware datetime."""
        return None if raw is None else _parse_datetime(self.name, raw)

    def schema(self) -> dict[str, Any]:
        """``string`` of format ``date-time``."""
        return {"type": "string", "format": "date-time"}


@dataclass(frozen=True, slots=True)
class StatusQuery:
    """An optional session status (any case)."""

    name: str
    description: str

    def parse(self, raw: str | None) -> SessionStatus | None:
        """The status."""
        if raw is None:
            return None
        try:
            return SessionStatus.parse(raw)
        except InvalidStatus as exc:
            raise ParamError(self.name, str(exc)) from None

    def schema(self) -> dict[str, Any]:
        """``string`` enumerating the statuses."""
        return {"type": "string", "enum": [s.value for s in SessionStatus]}


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


def _parse_datetime(name: str, raw: str) -> datetime:
    text = re.sub(r" (\d{2}:\d{2})$", r"+\1", raw.strip())  # an unencoded '+' arrives as a space
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        try:
            value = _parse_rfc3339(text)
        except (ValueError, OverflowError):
            raise ParamError(name, f"must be an ISO-8601 date or datetime, got {raw[:40]!r}") from None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


# Request-level helpers for routes outside the declaration (kept for callers written against them).
def int_param(conn: HTTPConnection, name: str, default: int, *, minimum: int, maximum: int) -> int:
    """An integer parameter within ``[minimum, maximum]`` (``default`` when absent)."""
    return IntQuery(name, default, minimum, maximum, "").parse(conn.query_params.get(name))


def str_param(conn: HTTPConnection, name: str, *, max_length: int = 200) -> str | None:
    """An optional non-empty text parameter of at most ``max_length`` characters."""
    return TextQuery(name, "", max_length).parse(conn.query_params.get(name))


def datetime_param(conn: HTTPConnection, name: str) -> datetime | None:
    """An optional ISO-8601 / RFC 3339 date or datetime (naive values are UTC)."""
    return DateQuery(name, "").parse(conn.query_params.get(name))


def status_param(conn: HTTPConnection, name: str = "status") -> SessionStatus | None:
    """An optional session status (any case)."""
    return StatusQuery(name, "").parse(conn.query_params.get(name))
