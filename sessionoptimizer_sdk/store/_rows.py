"""Conversions between store rows and the value types of :mod:`sessionoptimizer_sdk.models`."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any

from orjson import loads as _fast_loads  # ~4x the stdlib on event data (docs/decisions/json-speed.md)

from .._internal.jsonsafe import dumps
from ..models import EventType, Session, SessionEvent, SessionStatus, TokenUsage

__all__ = [
    "ORIGIN_HOST",
    "session_filter",
    "ORIGIN_SOURCE",
    "EVENT_COLUMNS",
    "SESSION_COLUMNS",
    "event_from_row",
    "event_to_row",
    "from_ts",
    "session_from_row",
    "to_ts",
]

SESSION_COLUMNS = (
    "id, agent, task, model, status, started_at, ended_at, metadata, trace_id, span_id, "
    "input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, reasoning_tokens, "
    "event_count, last_event_at"
)
EVENT_COLUMNS = (
    "id, session_id, type, ts, duration_ms, name, is_error, error_type, input_tokens, output_tokens, "
    "cache_read_tokens, cache_write_tokens, reasoning_tokens, data"
)


def to_ts(value: datetime | None) -> float | None:
    """Datetime to epoch seconds (naive datetimes are taken as UTC)."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.timestamp()


_EPOCH = datetime.fromtimestamp(0, UTC)
_LAST = datetime.max.replace(tzinfo=UTC)


def from_ts(value: float | None) -> datetime | None:
    """Epoch seconds to an aware UTC datetime; a bad stored value (NaN, out of range) is clamped, never raised.

    One unreadable row must not hide the others: values too large read as ``datetime.max``, too small or
    NaN as the epoch.
    """
    if value is None:
        return None
    try:
        return datetime.fromtimestamp(value, UTC)
    except (OverflowError, ValueError, OSError, TypeError):
        return _LAST if isinstance(value, int | float) and value > 0 else _EPOCH


_EMPTY: MappingProxyType[str, Any] = MappingProxyType({})
_EVENT_TYPES = {t.value: t for t in EventType}
_EPOCH = datetime.fromtimestamp(0, UTC)


def _loads(raw: str | None) -> MappingProxyType[str, Any]:
    if not raw or raw == "{}":
        return _EMPTY  # read-only, so one shared empty mapping is safe
    try:
        value = _fast_loads(raw)
    except ValueError:  # orjson is stricter (NaN, > 64-bit ints): give the stdlib the last word
        try:
            value = json.loads(raw)
        except ValueError:
            value = {"_unreadable": raw}
    return MappingProxyType(value if isinstance(value, dict) else {"value": value})


def session_from_row(row: sqlite3.Row | tuple[Any, ...]) -> Session:
    """Build a :class:`Session` from a row selected with :data:`SESSION_COLUMNS`."""
    (
        sid,
        agent,
        task,
        model,
        status,
        started,
        ended,
        metadata,
        trace_id,
        span_id,
        i,
        o,
        cr,
        cw,
        r,
        n,
        last,
    ) = row
    return Session(
        id=sid,
        agent=agent,
        task=task,
        model=model,
        status=SessionStatus(status),
        started_at=from_ts(started) or _EPOCH,
        ended_at=from_ts(ended),
        metadata=_loads(metadata),
        tokens=TokenUsage(i, o, cr, cw, r),
        event_count=n,
        last_event_at=from_ts(last),
        trace_id=trace_id,
        span_id=span_id,
    )


def event_from_row(row: sqlite3.Row | tuple[Any, ...], seq: int = 0) -> SessionEvent:
    """Build a :class:`SessionEvent` from a row selected with :data:`EVENT_COLUMNS` (+ seq)."""
    (eid, sid, etype, ts, duration, name, is_error, error_type, i, o, cr, cw, r, data) = row[:14]
    return SessionEvent(  # runs once per loaded event: enum by dict lookup, one shared empty mapping
        id=eid,
        session_id=sid,
        event_type=_EVENT_TYPES.get(etype) or EventType(etype),
        timestamp=from_ts(ts) or _EPOCH,
        data=_loads(data),
        tokens_input=i,
        tokens_output=o,
        cache_read_tokens=cr,
        cache_write_tokens=cw,
        reasoning_tokens=r,
        duration_ms=duration,
        name=name,
        is_error=bool(is_error),
        error_type=error_type,
        seq=row[14] if len(row) > 14 else seq,
    )


def event_to_row(event: SessionEvent) -> tuple[Any, ...]:
    """Row tuple for INSERT in :data:`EVENT_COLUMNS` order."""
    return (
        event.id,
        event.session_id,
        event.event_type.value,
        to_ts(event.timestamp),
        event.duration_ms,
        event.name,
        int(event.is_error),
        event.error_type,
        event.tokens_input,
        event.tokens_output,
        event.cache_read_tokens,
        event.cache_write_tokens,
        event.reasoning_tokens,
        dumps(event.data),
    )


#: A session's (host, source) in SQL both backends share: stored values, else its owner's host and ``sdk`` (traced)
#: or ``import`` (no trace ids) for sessions recorded before schema version 3.
ORIGIN_HOST = "coalesce(host, owner_host)"
ORIGIN_SOURCE = "coalesce(source, CASE WHEN trace_id IS NULL THEN 'import' ELSE 'sdk' END)"


def session_filter(
    agent: str | None,
    status: SessionStatus | None,
    since: datetime | None,
    until: datetime | None,
    *,
    mark: str = "?",
) -> tuple[str, list[Any]]:
    """WHERE clause and parameters of the session listing filters; ``mark`` is the driver's placeholder."""
    clauses: list[str] = []
    params: list[Any] = []
    if agent is not None:
        clauses.append(f"agent = {mark}")
        params.append(agent)
    if status is not None:
        clauses.append(f"status = {mark}")
        params.append(SessionStatus.parse(status).value)
    if since is not None:
        clauses.append(f"started_at >= {mark}")
        params.append(to_ts(since))
    if until is not None:
        clauses.append(f"started_at < {mark}")
        params.append(to_ts(until))
    return (f" WHERE {' AND '.join(clauses)}" if clauses else ""), params
