"""The bulk event read path: the same events as the constructor gives, the collector left as found."""

from __future__ import annotations

import gc
import sqlite3
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
            "a", "s1", EventType.AI_RESPONSE, T0, {"model": "sonnet"}, 10, 20, 30, 40, 5, None, "sonnet"
        ),
        SessionEvent(
            "b", "s1", EventType.TOOL_CALL, T0 + timedelta(seconds=1), {}, duration_ms=12.5, name="Bash"
        ),
        SessionEvent(
            "c",
            "s1",
            EventType.ERROR,
            T0 + timedelta(seconds=2, microseconds=250_000),
            {"tool": "pytest", "n": [1, None], "deep": {"k": "é"}},
            is_error=True,
            error_type="test_failure",
            name="pytest",
        ),
    ]


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SQLiteStore]:
    """A SQLite store holding one session with the three events of :func:`_written`."""
    s = SQLiteStore(tmp_path / "so.db")
    s.upsert_session(Session("s1", "ATLAS", "t", "sonnet", SessionStatus.COMPLETED, T0, T0))
    s.insert_events(_written())
    yield s
    s.close()


def _without_seq(event: SessionEvent) -> tuple[object, ...]:
    """Every field but the store-assigned ``seq``."""
    return (
        event.id,
        event.session_id,
        event.event_type,
        event.timestamp,
        dict(event.data),
        event.tokens_input,
        event.tokens_output,
        event.cache_read_tokens,
        event.cache_write_tokens,
        event.reasoning_tokens,
        event.duration_ms,
        event.name,
        event.is_error,
        event.error_type,
    )


def test_bulk_loaded_events_equal_the_written_ones(store: SQLiteStore) -> None:
    """get_events returns, in time order, events equal field by field to those written, with increasing seq."""
    read = store.get_events("s1")
    assert [_without_seq(e) for e in read] == [_without_seq(e) for e in _written()]
    assert [type(e) for e in read] == [SessionEvent] * 3
    assert read[0].seq < read[1].seq < read[2].seq
    assert read[1].data == {} and read[2].is_error is True and read[0].is_error is False


def test_bulk_loaded_events_are_frozen_values(store: SQLiteStore) -> None:
    """Events built through the slot setters stay immutable and compare equal to constructed ones."""
    first = store.get_events("s1")[0]
    with pytest.raises(AttributeError):
        first.name = "changed"  # type: ignore[misc]
    twin = SessionEvent(
        "a", "s1", EventType.AI_RESPONSE, T0, first.data, 10, 20, 30, 40, 5, None, "sonnet", seq=first.seq
    )
    assert first == twin
    assert first != SessionEvent("a", "s1", EventType.AI_RESPONSE, T0, first.data, seq=first.seq)


def test_fallback_constructor_path_gives_the_same_events(
    store: SQLiteStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """If SessionEvent's fields no longer match the fast path, the plain constructor yields identical events."""
    fast = store.get_events("s1")
    monkeypatch.setattr(_rows, "_SETTERS", None)
    assert store.get_events("s1") == fast


def test_fast_path_is_active_for_the_current_model() -> None:
    """The slot setters match SessionEvent's fields today, so the fast path is the one that runs."""
    assert _rows._SETTERS is not None and len(_rows._SETTERS) == 15


def test_collector_is_reenabled_after_a_load(store: SQLiteStore) -> None:
    """Loading events pauses the cyclic garbage collector only for the decode loop."""
    assert gc.isenabled()
    store.get_events("s1")
    assert gc.isenabled()


def test_collector_disabled_by_the_host_stays_disabled(store: SQLiteStore) -> None:
    """A host that turned the collector off finds it still off after a load."""
    gc.disable()
    try:
        assert len(store.get_events("s1")) == 3
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_collector_is_reenabled_when_a_row_is_unreadable(
    store: SQLiteStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A row whose decoding raises (here: its type's look-up made to fail) still leaves the collector on."""
    conn = sqlite3.connect(store.path)
    conn.execute("UPDATE events SET type = 'NOT_A_TYPE' WHERE id = 'b'")
    conn.commit()
    conn.close()

    def refuse(etype: str) -> EventType:
        raise ValueError(f"{etype} refused")

    monkeypatch.setattr(_unfrozen, "stored_type", refuse)
    with pytest.raises(ValueError, match="NOT_A_TYPE"):
        store.get_events("s1")
    assert gc.isenabled()


def test_out_of_range_stored_time_is_clamped_not_raised(store: SQLiteStore) -> None:
    """A stored time too large for a datetime reads as datetime.max; the other rows load unchanged."""
    conn = sqlite3.connect(store.path)
    conn.execute("UPDATE events SET ts = 1e300 WHERE id = 'c'")
    conn.commit()
    conn.close()
    by_id = {e.id: e for e in store.get_events("s1")}
    assert by_id["c"].timestamp == datetime.max.replace(tzinfo=UTC)
    assert by_id["a"].timestamp == T0


def test_events_after_a_seq_use_the_bulk_path(store: SQLiteStore) -> None:
    """get_events_after returns the events stored after the given seq, equal to the written ones."""
    seqs = [e.seq for e in store.get_events("s1")]
    after = store.get_events_after("s1", seqs[0])
    assert [_without_seq(e) for e in after] == [_without_seq(e) for e in _written()[1:]]
