"""The embedded SQLite store: private files, schema version, idempotent inserts, totals kept by the database."""

from __future__ import annotations

import sqlite3
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from sessionoptimizer_sdk import EventType, Session, SessionEvent, SessionStatus
from sessionoptimizer_sdk.store import SQLiteStore
from sessionoptimizer_sdk.store.schema import SCHEMA_VERSION

T0 = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


def _session(sid: str = "s1", agent: str = "FORGE", started: datetime = T0) -> Session:
    return Session(
        id=sid, agent=agent, task="t", model="opus", status=SessionStatus.ACTIVE, started_at=started
    )


def _event(i: int, sid: str = "s1", tokens: int = 10) -> SessionEvent:
    return SessionEvent(
        id=f"e{i}",
        session_id=sid,
        event_type=EventType.AI_RESPONSE,
        timestamp=T0 + timedelta(seconds=i),
        tokens_input=tokens,
        tokens_output=2 * tokens,
        cache_read_tokens=3 * tokens,
    )


def test_store_files_are_private(tmp_path: Path) -> None:
    """The store folder is 0700 and the database 0600, whatever the umask."""
    store = SQLiteStore(tmp_path / "home" / "so.db")
    store.create_session(_session())
    assert stat.S_IMODE((tmp_path / "home").stat().st_mode) == 0o700
    assert stat.S_IMODE((tmp_path / "home" / "so.db").stat().st_mode) == 0o600


def test_schema_version_and_wal(tmp_path: Path) -> None:
    """A new store is migrated to the current schema version and runs in WAL mode."""
    store = SQLiteStore(tmp_path / "so.db")
    info = store.info()
    assert info["schema_version"] == SCHEMA_VERSION
    conn = sqlite3.connect(tmp_path / "so.db")
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    conn.close()


def test_insert_events_is_idempotent_and_totals_follow(tmp_path: Path) -> None:
    """Inserting the same events twice stores them once; session totals are maintained by the database."""
    store = SQLiteStore(tmp_path / "so.db")
    store.create_session(_session())
    events = [_event(i) for i in range(5)]
    assert store.insert_events(events) == 5
    assert store.insert_events(events) == 0
    session = store.get_session("s1")
    assert session.event_count == 5
    assert (session.tokens.input_tokens, session.tokens.output_tokens, session.tokens.cache_read_tokens) == (
        50,
        100,
        150,
    )
    assert session.last_event_at == T0 + timedelta(seconds=4)
    store.insert_events([_event(0, tokens=100)], replace=True)  # an import correcting a value
    assert store.get_session("s1").tokens.input_tokens == 140


def test_list_filters_and_order(tmp_path: Path) -> None:
    """Sessions list newest first and filter by agent, status and time window."""
    store = SQLiteStore(tmp_path / "so.db")
    for i, agent in enumerate(["FORGE", "ATLAS", "FORGE"]):
        store.create_session(_session(f"s{i}", agent, T0 + timedelta(hours=i)))
    store.end_session("s0", SessionStatus.COMPLETED, T0 + timedelta(minutes=5))
    assert [s.id for s in store.list_sessions()] == ["s2", "s1", "s0"]
    assert [s.id for s in store.list_sessions(agent="FORGE")] == ["s2", "s0"]
    assert [s.id for s in store.list_sessions(status=SessionStatus.COMPLETED)] == ["s0"]
    assert [s.id for s in store.list_sessions(since=T0 + timedelta(minutes=30))] == ["s2", "s1"]
    assert store.count_sessions(agent="FORGE") == 2


def test_delete_removes_everything(tmp_path: Path) -> None:
    """Deleting a session removes its events and report too."""
    store = SQLiteStore(tmp_path / "so.db")
    store.create_session(_session())
    store.insert_events([_event(0)])
    store.save_report("s1", "FORGE", {"efficiency_score": 90.0})
    assert store.delete_session("s1") is True
    assert store.count_events() == 0 and store.get_report("s1") is None and store.find_session("s1") is None


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 30), st.integers(0, 10**9)), max_size=40))
def test_totals_equal_sum_of_distinct_events(tmp_path_factory: object, batch: list[tuple[int, int]]) -> None:
    """Whatever mix of duplicate ids arrives, session totals equal the sum over distinct stored events."""
    path = tmp_path_factory.mktemp("h") / "so.db"  # type: ignore[attr-defined]
    store = SQLiteStore(path)
    store.create_session(_session())
    store.insert_events([_event(i, tokens=t) for i, t in batch])
    first: dict[int, int] = {}
    for i, t in batch:
        first.setdefault(i, t)
    session = store.get_session("s1")
    assert session.event_count == len(first)
    assert session.tokens.input_tokens == sum(first.values())


def test_migration_repairs_a_prerelease_store(tmp_path: Path) -> None:
    """A store from a pre-release build (per-row insert trigger, so doubled totals) is repaired on open."""
    path = tmp_path / "so.db"
    store = SQLiteStore(path)
    store.create_session(_session())
    conn = sqlite3.connect(path)
    conn.executescript(
        """
        UPDATE meta SET value = '1' WHERE key = 'schema_version';
        DROP INDEX idx_events_id;
        CREATE TRIGGER events_after_insert AFTER INSERT ON events BEGIN
            UPDATE sessions SET input_tokens = input_tokens + NEW.input_tokens WHERE id = NEW.session_id;
        END;
        """
    )
    conn.close()
    store.insert_events([_event(i) for i in range(3)])
    assert store.get_session("s1").tokens.input_tokens == 60  # the pre-release double count
    store.close()
    old = SQLiteStore(path)  # version 1 in meta: migrated to the current version on open
    assert old.info()["schema_version"] == SCHEMA_VERSION
    assert old.get_session("s1").tokens.input_tokens == 30  # totals recomputed from the events
    old.insert_events([_event(i) for i in range(3, 5)])
    assert old.get_session("s1").tokens.input_tokens == 50  # counted once: the old trigger is gone
    assert old.insert_events([_event(0)]) == 0  # the per-session unique key is back
