"""Conversions between store rows and the value types of :mod:`sessionoptimizer_sdk.models`."""

from __future__ import annotations

import gc
import json
import sqlite3
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import fields
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any

from orjson import loads as _fast_loads  # ~4x the stdlib on event data (docs/decisions/json-speed.md)

from .._internal.jsonsafe import dumps
from ..models import EventType, Session, SessionEvent, SessionStatus, TokenUsage
from . import _unfrozen

__all__ = [
    "ORIGIN_HOST",
    "names_parent",
    "session_filter",
    "subagents_query",
    "origin_ids_query",
    "ORIGIN_SOURCE",
    "EVENT_COLUMNS",
    "EVENT_LOAD_COLUMNS",
    "SESSION_COLUMNS",
    "event_from_row",
    "events_from_rows",
    "events_from_written",
    "event_to_row",
    "from_ts",
    "session_from_row",
    "session_values",
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
#: What :func:`events_from_rows` reads: :data:`EVENT_COLUMNS` without the session id (the caller knows it), + seq.
EVENT_LOAD_COLUMNS = (
    "id, type, ts, duration_ms, name, is_error, error_type, input_tokens, output_tokens, "
    "cache_read_tokens, cache_write_tokens, reasoning_tokens, data, seq"
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
#: :class:`SessionEvent`'s fields in order, as :func:`events_from_rows` fills them (one list, in ``_unfrozen``).
_EVENT_FIELDS = _unfrozen.FIELDS


def _slot_setters() -> tuple[Callable[[SessionEvent, Any], None], ...] | None:
    """The slot descriptors' setters of :class:`SessionEvent`, in field order, or None if the class changed.

    A frozen dataclass's ``__init__`` sets each field through ``object.__setattr__`` after binding keyword
    arguments; calling the slot descriptors directly on ``object.__new__(SessionEvent)`` stores the same values
    ~2.5x faster. Used only while the class is what this module knows (same fields in the same order, no
    ``__post_init__``); otherwise the plain constructor, so a new field is never left unset.
    """
    if tuple(f.name for f in fields(SessionEvent)) != _EVENT_FIELDS or "__post_init__" in vars(SessionEvent):
        return None
    return tuple(vars(SessionEvent)[name].__set__ for name in _EVENT_FIELDS)


_SETTERS = _slot_setters()
#: The faster path (``_unfrozen``): plain stores into a writable twin of the class, then retyped.
_UNFROZEN = _unfrozen.usable()
_STAMP = datetime.fromtimestamp
_PROXY = MappingProxyType


def _loads(raw: str | None) -> MappingProxyType[str, Any]:
    if not raw or raw == "{}":
        return _EMPTY  # read-only, so one shared empty mapping is safe
    try:
        value = _fast_loads(raw)
    except ValueError:  # orjson is stricter (NaN, > 64-bit ints): give the stdlib the last word
        try:
            value = json.loads(raw)
        except (ValueError, RecursionError):  # nested deeper than orjson's 1,024 levels, too: kept as text
            value = {"_unreadable": raw}
    return MappingProxyType(value if isinstance(value, dict) else {"value": value})


def session_values(session: Session) -> tuple[Any, ...]:
    """The first ten ``sessions`` columns of an INSERT (id ... span_id), as SQLite stores them."""
    return (
        session.id,
        session.agent,
        session.task,
        session.model,
        session.status.value,
        to_ts(session.started_at),
        to_ts(session.ended_at),
        dumps(session.metadata),
        session.trace_id,
        session.span_id,
    )


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
    values = tuple(row)
    load_row = (values[0], *values[2:14], values[14] if len(values) > 14 else seq)
    return events_from_rows((load_row,), values[1])[0]


def events_from_rows(rows: Iterable[tuple[Any, ...]], session_id: str) -> list[SessionEvent]:
    """Build one session's events from rows selected with :data:`EVENT_LOAD_COLUMNS` (the bulk read path).

    One loop with everything bound locally and no call per row beyond the C ones: this runs once per loaded
    event, where a function call per row, the frozen dataclass's keyword ``__init__`` and a JSON helper were
    two thirds of ``analyze(id)``'s load time (docs/decisions/analyze-stored-speed.md). The events are filled
    through a writable twin of the class where the interpreter allows it (:mod:`._unfrozen`), else through
    the slot setters.
    """
    if _SETTERS is None:
        return [_plain_event(row, session_id) for row in rows]
    # ~3 new containers per row: the collector would rescan them ~30% of the loop. Main thread only: the SDK's
    # background threads never change a host process's GC.
    paused = gc.isenabled() and threading.current_thread() is threading.main_thread()
    if paused:
        gc.disable()
    try:
        if _UNFROZEN:
            return _unfrozen.decode(rows, session_id, _EVENT_TYPES, _EMPTY, _loads, from_ts, _EPOCH)
        return _decode(rows, session_id, _SETTERS)
    finally:
        if paused:
            gc.enable()


def events_from_written(
    rows: Sequence[tuple[Any, ...]], seqs: Sequence[int], session_id: str
) -> list[SessionEvent]:
    """The events :func:`events_from_rows` gives for rows a writer committed (:data:`EVENT_COLUMNS` order).

    Row ``i`` was stored with ``seqs[i]``. No SQL: the live analysis decodes the rows it was handed this way,
    equal to what a full analysis loads. Never pauses the GC (it runs on the SDK's analysis thread).
    """
    if _UNFROZEN and _SETTERS is not None:
        return _unfrozen.decode_written(rows, seqs, session_id, _EVENT_TYPES, _EMPTY, _loads, from_ts, _EPOCH)
    return events_from_rows([(r[0], *r[2:14], seq) for r, seq in zip(rows, seqs, strict=True)], session_id)


def _decode(
    rows: Iterable[tuple[Any, ...]], session_id: str, setters: tuple[Callable[[SessionEvent, Any], None], ...]
) -> list[SessionEvent]:
    s0, s1, s2, s3, s4, s5, s6, s7, s8, s9, s10, s11, s12, s13, s14 = setters
    new, cls, types, stamp, fast, proxy = (
        object.__new__,
        SessionEvent,
        _EVENT_TYPES,
        _STAMP,
        _fast_loads,
        _PROXY,
    )
    out: list[SessionEvent] = []
    append = out.append
    for eid, etype, ts, duration, name, is_error, error_type, i, o, cr, cw, r, data, seq in rows:
        event = new(cls)
        s0(event, eid)
        s1(event, session_id)
        s2(event, types.get(etype) or _unfrozen.stored_type(etype))
        try:
            s3(event, stamp(ts, UTC))
        except (OverflowError, ValueError, OSError, TypeError):
            s3(event, from_ts(ts) or _EPOCH)
        if not data or data == "{}":
            s4(event, _EMPTY)
        else:
            try:
                value = fast(data)
            except ValueError:
                value = None
            s4(event, proxy(value) if type(value) is dict else _loads(data))
        s5(event, i)
        s6(event, o)
        s7(event, cr)
        s8(event, cw)
        s9(event, r)
        s10(event, duration)
        s11(event, name)
        s12(event, bool(is_error))
        s13(event, error_type)
        s14(event, seq)
        append(event)
    return out


def _plain_event(row: tuple[Any, ...], session_id: str) -> SessionEvent:
    """The constructor path of :func:`events_from_rows`, used if :class:`SessionEvent`'s fields change."""
    (eid, etype, ts, duration, name, is_error, error_type, i, o, cr, cw, r, data, seq) = row
    return SessionEvent(
        id=eid,
        session_id=session_id,
        event_type=_EVENT_TYPES.get(etype) or _unfrozen.stored_type(etype),
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
        seq=seq,
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


def subagents_query(since: datetime, *, mark: str = "?") -> tuple[str, list[Any]]:
    """The query of the sessions started since ``since`` that may name a parent (any: the id is not in it).

    The pattern only keeps sessions whose metadata text holds the key at all (a test on text, no JSON parsed,
    no id to escape for LIKE); :func:`names_parent` then checks the decoded value, as the Python analysis always
    did.
    """
    sql = f"SELECT {SESSION_COLUMNS} FROM sessions WHERE started_at >= {mark} AND metadata LIKE {mark}"
    return sql + " ORDER BY started_at DESC, id", [to_ts(since), '%"parent_session_id"%']


def names_parent(session: Session, parent_id: str) -> bool:
    """True if ``session`` is a subagent of ``parent_id`` (its metadata's ``parent_session_id``)."""
    return session.id != parent_id and session.metadata.get("parent_session_id") == parent_id


def origin_ids_query(
    host: str | None, source: str | None, limit: int, *, mark: str = "?"
) -> tuple[str, list[Any]]:
    """The query (and parameters) of the newest session ids recorded on ``host`` and/or from ``source``."""
    pairs = ((f"{ORIGIN_HOST} = {mark}", host), (f"{ORIGIN_SOURCE} = {mark}", source))
    clauses = [c for c, v in pairs if v is not None]
    params: list[Any] = [v for v in (host, source) if v is not None]
    where = f" WHERE {' AND '.join(clauses)}" if clauses else ""
    return f"SELECT id FROM sessions{where} ORDER BY started_at DESC, id LIMIT {mark}", [*params, limit]
