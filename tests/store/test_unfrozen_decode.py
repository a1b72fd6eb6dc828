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


def test_every_decode_path_gives_the_same_events(store: SQLiteStore, monkeypatch: pytest.MonkeyPatch) -> None:
    """The twin, the slot setters and the plain constructor build equal events from the same rows."""
    twin = store.get_events("s1")
    monkeypatch.setattr(_rows, "_UNFROZEN", False)
    setters = store.get_events("s1")
    monkeypatch.setattr(_rows, "_SETTERS", None)
    plain = store.get_events("s1")
    assert twin == setters == plain
    assert [repr(e) for e in twin] == [repr(e) for e in plain]


def test_a_changed_event_class_turns_the_twin_path_off(monkeypatch: pytest.MonkeyPatch) -> None:
    """If SessionEvent's fields are no longer the twin's, the check refuses the twin (no field left unset)."""
    monkeypatch.setattr(_unfrozen, "FIELDS", _unfrozen.FIELDS[:-1])
    assert _unfrozen.usable() is False
