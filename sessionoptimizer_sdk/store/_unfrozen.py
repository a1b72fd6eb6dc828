"""The fastest decode of stored event rows: fill an unfrozen twin of :class:`SessionEvent`, then retype it.

A frozen dataclass forbids attribute stores, so :mod:`._rows` used to call each slot descriptor's ``__set__``
(15 C calls a row, ~40% of decoding). :class:`Unfrozen` has the very same ``__slots__`` and no ``__setattr__``:
plain attribute stores (specialised by the interpreter) fill it, and assigning ``__class__`` makes the object a
:class:`SessionEvent` (CPython allows it between classes with the same slot layout). The result is an ordinary
frozen ``SessionEvent``: same type, fields, equality, hash and repr; immutable from then on.
:func:`usable` checks at import that this interpreter and today's ``SessionEvent`` allow it; otherwise
:mod:`._rows` keeps its slot-setter loop.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import fields
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any

from orjson import loads as _fast_loads

from .._internal.log import get_logger
from ..models import EventType, SessionEvent

__all__ = ["FIELDS", "Unfrozen", "decode", "decode_written", "stored_type", "usable"]

_log = get_logger("sessionoptimizer.store")
_unknown_seen: set[str] = set()


def stored_type(etype: str) -> EventType:
    """The member for a stored type name; an unknown one (no writer of this version stores it) reads as TOKEN_USAGE.

    Every write path rejects unknown types, but a store may hold rows a newer version (or an older build with a
    looser check) wrote: reading them must not fail the whole session's page or report. Their tokens stay counted,
    as in the session's stored totals; each unknown name is logged once per process.
    """
    try:
        return EventType(etype)
    except ValueError:
        name = str(etype)[:64]
        if name not in _unknown_seen and len(_unknown_seen) < 100:
            _unknown_seen.add(name)
            _log.warning("stored event of unknown type read as TOKEN_USAGE", stored_type=name)
        return EventType.TOKEN_USAGE


#: :class:`SessionEvent`'s fields in order (its slots): the row decoders fill them in this order.
FIELDS = (
    "id",
    "session_id",
    "event_type",
    "timestamp",
    "data",
    "tokens_input",
    "tokens_output",
    "cache_read_tokens",
    "cache_write_tokens",
    "reasoning_tokens",
    "duration_ms",
    "name",
    "is_error",
    "error_type",
    "seq",
)


class Unfrozen:
    """:class:`SessionEvent`'s slots, writable: only ever an event under construction."""

    __slots__ = FIELDS
    id: str
    session_id: str
    event_type: EventType
    timestamp: datetime
    data: Mapping[str, Any]
    tokens_input: int
    tokens_output: int
    cache_read_tokens: int
    cache_write_tokens: int
    reasoning_tokens: int
    duration_ms: float | None
    name: str | None
    is_error: bool
    error_type: str | None
    seq: int


def usable() -> bool:
    """True if an :class:`Unfrozen` can become a :class:`SessionEvent` equal to a constructed one."""
    if (
        tuple(f.name for f in fields(SessionEvent)) != FIELDS
        or getattr(SessionEvent, "__slots__", None) != FIELDS
        or "__post_init__" in vars(SessionEvent)
    ):
        return False
    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    values: tuple[Any, ...] = ("p", "s", EventType.TOOL_CALL, t0, {}, 1, 2, 3, 4, 5, 6.0, "n", True, "t", 7)
    probe = Unfrozen()
    for name, value in zip(FIELDS, values, strict=True):
        setattr(probe, name, value)
    try:
        probe.__class__ = SessionEvent  # type: ignore[assignment]
    except TypeError:
        return False
    return type(probe) is SessionEvent and probe == SessionEvent(*values)  # type: ignore[comparison-overlap]


def decode(
    rows: Iterable[tuple[Any, ...]],
    session_id: str,
    types: Mapping[str, EventType],
    empty: Mapping[str, Any],
    loads: Callable[[str | None], Mapping[str, Any]],
    stamp: Callable[[float | None], datetime | None],
    epoch: datetime,
) -> list[SessionEvent]:
    """Events of rows selected with ``EVENT_LOAD_COLUMNS``, as :func:`._rows.events_from_rows` builds them.

    ``types`` maps stored type names to members, ``empty`` is the shared empty data mapping, ``loads`` the
    tolerant JSON decoder, ``stamp``/``epoch`` the clamping timestamp conversion for values out of range.
    """
    new, twin, cls, fromtimestamp, fast, proxy = (
        object.__new__,
        Unfrozen,
        SessionEvent,
        datetime.fromtimestamp,
        _fast_loads,
        MappingProxyType,
    )
    out: list[SessionEvent] = []
    append = out.append
    for eid, etype, ts, duration, name, is_error, error_type, i, o, cr, cw, r, data, seq in rows:
        event = new(twin)
        event.id = eid
        event.session_id = session_id
        event.event_type = types.get(etype) or stored_type(etype)
        try:
            event.timestamp = fromtimestamp(ts, UTC)
        except (OverflowError, ValueError, OSError, TypeError):
            event.timestamp = stamp(ts) or epoch
        if not data or data == "{}":
            event.data = empty
        else:
            try:
                value = fast(data)
            except ValueError:
                value = None
            event.data = proxy(value) if type(value) is dict else loads(data)
        event.tokens_input = i
        event.tokens_output = o
        event.cache_read_tokens = cr
        event.cache_write_tokens = cw
        event.reasoning_tokens = r
        event.duration_ms = duration
        event.name = name
        event.is_error = bool(is_error)
        event.error_type = error_type
        event.seq = seq
        event.__class__ = cls  # type: ignore[assignment]
        append(event)  # type: ignore[arg-type]
    return out


def decode_written(
    rows: Sequence[tuple[Any, ...]],
    seqs: Sequence[int],
    session_id: str,
    types: Mapping[str, EventType],
    empty: Mapping[str, Any],
    loads: Callable[[str | None], Mapping[str, Any]],
    stamp: Callable[[float | None], datetime | None],
    epoch: datetime,
) -> list[SessionEvent]:
    """:func:`decode` of the rows a writer committed (``EVENT_COLUMNS`` order), row ``i`` stored with ``seqs[i]``.

    The same steps as :func:`decode`, read from the writer's row layout: no reordered copy of each row
    (~0.4 us a row of the live analysis's hand-over). ``tests/store/test_unfrozen_decode.py`` pins the two equal.
    """
    new, twin, cls, fromtimestamp, fast, proxy = (
        object.__new__,
        Unfrozen,
        SessionEvent,
        datetime.fromtimestamp,
        _fast_loads,
        MappingProxyType,
    )
    out: list[SessionEvent] = []
    append = out.append
    for (eid, _, etype, ts, duration, name, is_error, error_type, i, o, cr, cw, r, data), seq in zip(
        rows, seqs, strict=True
    ):
        event = new(twin)
        event.id = eid
        event.session_id = session_id
        event.event_type = types.get(etype) or stored_type(etype)
        try:
            event.timestamp = fromtimestamp(ts, UTC)
        except (OverflowError, ValueError, OSError, TypeError):
            event.timestamp = stamp(ts) or epoch
        if not data or data == "{}":
            event.data = empty
        else:
            try:
                value = fast(data)
            except ValueError:
                value = None
            event.data = proxy(value) if type(value) is dict else loads(data)
        event.tokens_input = i
        event.tokens_output = o
        event.cache_read_tokens = cr
        event.cache_write_tokens = cw
        event.reasoning_tokens = r
        event.duration_ms = duration
        event.name = name
        event.is_error = bool(is_error)
        event.error_type = error_type
        event.seq = seq
        event.__class__ = cls  # type: ignore[assignment]
        append(event)  # type: ignore[arg-type]
    return out
