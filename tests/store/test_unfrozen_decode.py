"""Events decoded through the writable twin are ordinary frozen SessionEvents, equal to the other paths' ones."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from sessionoptimizer_sdk.models import EventType, Session, SessionEvent, SessionStatus
from sessionoptimizer_sdk.store import _rows, _unfrozen
from sessionoptimizer_sdk.store.sqlite import SQLiteStore

T0 = datetime(2026, 1, 21, 14, 30, tzinfo=UTC)


def _written() -> list[SessionEvent]:
    """Events covering every column: tokens, duration, name, error fields, empty and nested data."""
    return [
        SessionEvent(
            "a", "s1", EventType.AI_RESPONSE, T0, {"model": "opus"}, 10, 20, 30, 40, 5, None, "opus"
        ),
        SessionEvent(
            "b", "s1", EventType.TOOL_CALL, T0 + timedelta(seconds=1), {}, duration_ms=2.5, name="Bash"
        ),
        SessionEvent(
            "c",
            "s1",
            EventType.ERROR,
            T0 + timedelta(seconds=3, microseconds=7),
            {"tool": "pytest", "n": [1, None], "deep": {"k": "é"}},
            is_error=True,
            error_type="test_failure",
        ),
    ]


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SQLiteStore]:
    """A real SQLite store holding the three events of session s1."""
    s = SQLiteStore(tmp_path / "so.db")
    s.upsert_session(
        Session("s1", "ATLAS", "t", "opus", SessionStatus.COMPLETED, T0, T0 + timedelta(hours=1))
    )
    s.insert_events(_written())
    yield s
    s.close()


def test_the_twin_path_is_the_one_that_runs_on_this_interpreter() -> None:
    """CPython accepts the class switch for today's SessionEvent, so loads use the faster path."""
    assert _rows._UNFROZEN is True
    assert _unfrozen.Unfrozen.__slots__ == SessionEvent.__slots__


def test_twin_decoded_events_equal_the_written_ones(store: SQLiteStore) -> None:
    """Every field read back through the twin equals what was written (seq aside), in time order."""
    read = store.get_events("s1")
    assert [dataclasses.replace(e, seq=0) for e in read] == _written()
    assert [type(e) for e in read] == [SessionEvent] * 3
    assert read[0].seq < read[1].seq < read[2].seq


def test_twin_decoded_events_are_frozen_and_print_like_constructed_ones(store: SQLiteStore) -> None:
    """A decoded event refuses attribute writes and equals, and prints as, the same event built normally."""
    event = store.get_events("s1")[1]
    with pytest.raises(dataclasses.FrozenInstanceError):
        event.name = "changed"  # type: ignore[misc]
    built = SessionEvent(
        "b",
        "s1",
        EventType.TOOL_CALL,
        T0 + timedelta(seconds=1),
        {},
        duration_ms=2.5,
        name="Bash",
        seq=event.seq,
    )
    assert repr(event) == repr(built).replace("data={}", "data=mappingproxy({})")
    assert event == built


def _every_path(
    store: SQLiteStore, monkeypatch: pytest.MonkeyPatch
) -> tuple[list[SessionEvent], list[SessionEvent], list[SessionEvent]]:
    """Session s1 loaded through the twin, then the slot setters, then the plain constructor."""
    twin = store.get_events("s1")
    monkeypatch.setattr(_rows, "_UNFROZEN", False)
    setters = store.get_events("s1")
    monkeypatch.setattr(_rows, "_SETTERS", None)
    return twin, setters, store.get_events("s1")


def test_every_decode_path_gives_the_same_events(store: SQLiteStore, monkeypatch: pytest.MonkeyPatch) -> None:
    """The twin, the slot setters and the plain constructor build equal events from the same rows."""
    twin, setters, plain = _every_path(store, monkeypatch)
    assert twin == setters == plain
    assert [repr(e) for e in twin] == [repr(e) for e in plain]


def test_a_changed_event_class_turns_the_twin_path_off(monkeypatch: pytest.MonkeyPatch) -> None:
    """If SessionEvent's fields are no longer the twin's, the check refuses the twin (no field left unset)."""
    monkeypatch.setattr(_unfrozen, "FIELDS", _unfrozen.FIELDS[:-1])
    assert _unfrozen.usable() is False


def _odd_rows() -> list[tuple[object, ...]]:
    """Writer rows (``EVENT_COLUMNS`` order) of the three events, plus odd stored values the decoders repair."""
    rows = [_rows.event_to_row(e) for e in _written()]
    base = rows[1]
    # a timestamp out of range and data that is not an object, data that is not JSON, no timestamp, empty data
    rows.append(("d", "s1", "TOOL_CALL", 1e300, None, None, 0, None, 0, 0, 0, 0, 0, "[1, 2]"))
    rows.append(("e", "s1", "ERROR", base[3], None, "x", 1, "boom", 1, 2, 3, 4, 5, "not json"))
    rows.append(("f", "s1", "FILE_READ", None, 1.5, None, 0, None, 0, 0, 0, 0, 0, None))
    rows.append(("g", "s1", "TOOL_CALL", base[3], None, None, False, None, 0, 0, 0, 0, 0, "{}"))
    return rows


@pytest.mark.parametrize("twin", [True, False])
def test_writer_rows_decode_to_the_events_a_load_gives(twin: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    """Rows as the writer committed them decode to the events the load path builds from the same stored values."""
    monkeypatch.setattr(_rows, "_UNFROZEN", twin)
    rows = _odd_rows()
    seqs = list(range(41, 41 + len(rows)))
    loaded = _rows.events_from_rows([(r[0], *r[2:14], q) for r, q in zip(rows, seqs, strict=True)], "s1")
    written = _rows.events_from_written(rows, seqs, "s1")
    assert written == loaded
    assert [repr(e) for e in written] == [repr(e) for e in loaded]
    assert [e.seq for e in written] == seqs
    assert written[0] == dataclasses.replace(_written()[0], seq=41)  # and equal to the event that was written
    assert written[3].timestamp == datetime.max.replace(tzinfo=UTC)  # out of range: clamped
    assert written[5].timestamp == datetime(1970, 1, 1, tzinfo=UTC)  # none stored: the epoch
    assert dict(written[3].data) == {"value": [1, 2]}  # not an object: wrapped
    assert dict(written[4].data) == {"_unreadable": "not json"}  # not JSON: kept as text


def test_a_stored_row_of_unknown_type_reads_as_token_usage_on_every_path(
    store: SQLiteStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A row whose type this version does not know (a newer writer's) loads as TOKEN_USAGE, its tokens kept."""
    row = ("z", "s1", "SUBAGENT_START", _rows.to_ts(T0 + timedelta(seconds=9)), None, None, 0, None)
    with store.transaction() as conn:
        conn.execute(
            "INSERT INTO events (id, session_id, type, ts, duration_ms, name, is_error, error_type, "
            "input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, reasoning_tokens, data) "
            "VALUES (?,?,?,?,?,?,?,?,7,8,0,0,0,'{}')",
            row,
        )
    twin, setters, plain = _every_path(store, monkeypatch)
    assert twin == setters == plain
    assert [(e.id, e.event_type, e.tokens_input, e.tokens_output) for e in twin][-1] == (
        "z",
        EventType.TOKEN_USAGE,
        7,
        8,
    )
    newer_row = ("z", "s1", "SUBAGENT_START", 1.0, None, None, 0, None, 7, 8, 0, 0, 0, "{}")
    written = _rows.events_from_written([newer_row], [1], "s1")
    assert written[0].event_type is EventType.TOKEN_USAGE


def test_data_nested_deeper_than_any_decoder_allows_reads_as_text() -> None:
    """Stored data nested 5,000 levels deep (past orjson's and the stdlib's limits) loads as unreadable text."""
    deep = "[" * 5000 + "]" * 5000
    row = ("n", "s1", "TOOL_CALL", 1.0, None, None, 0, None, 0, 0, 0, 0, 0, deep)
    loaded = _rows.events_from_rows([(row[0], *row[2:14], 1)], "s1")
    written = _rows.events_from_written([row], [1], "s1")
    assert dict(loaded[0].data) == dict(written[0].data) == {"_unreadable": deep}
