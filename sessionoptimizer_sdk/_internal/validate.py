"""Validation of every input that reaches the store, one function per kind; shared by every entrance.

The public API, the CLI and the HTTP/OTLP surfaces call these before anything is recorded, so a rejected call
raises a specific :class:`~sessionoptimizer_sdk.errors.InvalidInputError` subclass and changes nothing.
Limits (documented in ``docs/reliability.md``, "Bad input"):

* names (agent, task, model, tool): non-empty text, valid Unicode (no lone surrogates), bounded length;
* token counts: integers (not bools) in ``[0, 2**40]`` (:data:`MAX_TOKENS`);
* timestamps: aware or naive (local) ``datetime`` within :data:`MIN_TIMESTAMP` .. :data:`MAX_TIMESTAMP`
  (OpenTelemetry's nanosecond epoch range);
* durations: finite real numbers (not bools) in ``[0, MAX_DURATION_MS]``;
* data/metadata: JSON mappings with string keys, nested at most :data:`MAX_DATA_DEPTH` levels, serialised
  to at most :data:`MAX_EVENT_BYTES` bytes of UTF-8.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from ..errors import EventTooLarge, InvalidEventData, InvalidInputError, InvalidTokenCount
from .ids import validate_session_id
from .tokens import MAX_TOKENS as _MAX_TOKENS

__all__ = [
    "MAX_DATA_DEPTH",
    "MAX_DAYS",
    "MAX_DURATION_MS",
    "MAX_EVENT_BYTES",
    "MAX_NAME_LENGTH",
    "MAX_TEXT_LENGTH",
    "MAX_TIMESTAMP",
    "MAX_TOKENS",
    "MIN_TIMESTAMP",
    "count",
    "data",
    "duration_ms",
    "end_ns",
    "event_size",
    "name",
    "session_id",
    "timestamp_ns",
    "token_count",
    "when",
]

MAX_NAME_LENGTH = 200  #: agent, model and tool names
MAX_TEXT_LENGTH = 10_000  #: task descriptions
MAX_TOKENS = _MAX_TOKENS  #: the largest token count of one event (2**40; see ``_internal.tokens``)
#: Timestamps accepted: the Unix epoch up to the last instant an OpenTelemetry int64 nanosecond time holds.
MIN_TIMESTAMP = datetime(1970, 1, 1, tzinfo=UTC)
MAX_TIMESTAMP = datetime(2262, 4, 11, tzinfo=UTC)
_MAX_NS = int(MAX_TIMESTAMP.timestamp()) * 1_000_000_000
MAX_DURATION_MS = 10 * 366 * 86_400_000.0  #: ten years
MAX_DAYS = 36_600  #: statistics windows: a century
MAX_DATA_DEPTH = 64  #: nesting levels of event data / session metadata
MAX_EVENT_BYTES = 4 * 1024 * 1024  #: an event's stored data (after redaction), UTF-8 encoded

session_id = validate_session_id
_SCALARS = frozenset({str, int, float, bool, type(None)})


def name(field: str, value: object, *, max_len: int = MAX_NAME_LENGTH) -> str:
    """``value`` if it is non-blank text of at most ``max_len`` characters that encodes as UTF-8."""
    if not isinstance(value, str) or not value.strip():
        raise InvalidInputError(f"{field} must be a non-empty string, got {value!r}")
    if len(value) > max_len:
        raise InvalidInputError(f"{field} is {len(value)} characters; the maximum is {max_len}")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidInputError(f"{field} is not valid Unicode (it contains a lone surrogate)") from None
    return value


def token_count(field: str, value: object) -> int:
    """``value`` if it is an integer token count in ``[0, MAX_TOKENS]``; bools are refused."""
    if type(value) is int and 0 <= value <= MAX_TOKENS:  # the common case, decided in one line
        return value
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidTokenCount(f"{field} must be an integer, got {value!r}")
    if value < 0:
        raise InvalidTokenCount(f"{field} must not be negative, got {value}")
    raise InvalidTokenCount(f"{field} is implausibly large: {value}")


def count(field: str, value: object, *, minimum: int = 0, maximum: int | None = None) -> int:
    """``value`` if it is an integer (not a bool) in ``[minimum, maximum]``: limits, offsets, days."""
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        what = {0: "a non-negative integer", 1: "a positive integer"}.get(minimum, f"an integer >= {minimum}")
        raise InvalidInputError(f"{field} must be {what}, got {value!r}")
    if maximum is not None and value > maximum:
        raise InvalidInputError(f"{field} must be at most {maximum}, got {value}")
    return value


def timestamp_ns(value: object) -> int | None:
    """Epoch nanoseconds of a ``datetime`` (naive = local time) within the accepted range; None stays None."""
    if value is None:
        return None
    if not isinstance(value, datetime):
        raise InvalidInputError(f"timestamp must be a datetime, got {type(value).__name__}")
    try:
        aware = value if value.tzinfo is not None else value.astimezone()
        in_range = MIN_TIMESTAMP <= aware < MAX_TIMESTAMP
        seconds = aware.timestamp()
    except Exception:  # overflow, or a tzinfo whose utcoffset() fails
        in_range = False
        seconds = 0.0
    if not in_range:
        raise InvalidInputError(
            f"timestamp {value!r} is out of range: use {MIN_TIMESTAMP.isoformat()} .. {MAX_TIMESTAMP.isoformat()}"
        )
    return int(seconds * 1e9)


def when(field: str, value: object) -> datetime | None:
    """A query bound (``since``/``until``) as an aware datetime: naive values are local time; None stays None."""
    if value is None:
        return None
    if not isinstance(value, datetime):
        raise InvalidInputError(f"{field} must be a datetime, got {type(value).__name__}")
    try:
        aware = value if value.tzinfo is not None else value.astimezone(UTC)
        aware.timestamp()  # the store compares epoch seconds
    except Exception:  # overflow, or a tzinfo whose utcoffset() fails
        raise InvalidInputError(f"{field} {value!r} is out of range") from None
    return aware


def duration_ms(value: object) -> float | None:
    """``value`` if it is a finite number of milliseconds in ``[0, MAX_DURATION_MS]``; bools are refused."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidInputError(f"duration_ms must be a number, got {value!r}")
    if not (0 <= value <= MAX_DURATION_MS):  # also refuses NaN (every comparison is False)
        raise InvalidInputError(
            f"duration_ms must be a finite number between 0 and {MAX_DURATION_MS:.0f}, got {value!r}"
        )
    return value


def end_ns(start_ns: int, duration: float | None) -> int:
    """The end of a span starting at ``start_ns`` lasting ``duration`` ms, refused past :data:`MAX_TIMESTAMP`."""
    end = start_ns + int((duration or 0) * 1e6)
    if end >= _MAX_NS:
        raise InvalidInputError(f"timestamp + duration_ms ends after {MAX_TIMESTAMP.isoformat()}")
    return end


def _check_depth(value: object, what: str) -> None:
    """Refuse containers nested deeper than :data:`MAX_DATA_DEPTH` (iteratively: no recursion limit to hit)."""
    stack: list[tuple[object, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, Mapping):
            children: Any = item.values()
        elif isinstance(item, list | tuple):
            children = item
        else:
            continue
        if depth > MAX_DATA_DEPTH:
            raise InvalidEventData(f"{what} is nested more than {MAX_DATA_DEPTH} levels deep")
        stack.extend((child, depth + 1) for child in children)


def data(value: object, what: str = "event data") -> dict[str, Any]:
    """``value`` as a plain dict if it is a JSON-serialisable mapping with string keys, nested boundedly."""
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise InvalidEventData(f"{what} must be a mapping, got {type(value).__name__}")
    nested = False
    for key, item in value.items():
        if not isinstance(key, str):
            raise InvalidEventData(f"{what} keys must be strings, got {key!r}")
        nested = nested or type(item) not in _SCALARS
    if nested:  # flat data (the common case) has nothing to walk
        _check_depth(value, what)
    try:
        json.dumps(value, allow_nan=False)
    except (TypeError, ValueError, RecursionError) as exc:
        raise InvalidEventData(f"{what} is not JSON-serialisable: {exc}") from None
    return dict(value)


def event_size(serialised: str, what: str = "event data") -> str:
    """``serialised`` if its UTF-8 size is within :data:`MAX_EVENT_BYTES`, else :class:`EventTooLarge`."""
    if len(serialised) * 4 > MAX_EVENT_BYTES:  # cheap bound first: at most 4 bytes per character
        size = len(serialised.encode("utf-8", "replace"))
        if size > MAX_EVENT_BYTES:
            raise EventTooLarge(f"{what} is {size:,} bytes; the maximum per event is {MAX_EVENT_BYTES:,}")
    return serialised
