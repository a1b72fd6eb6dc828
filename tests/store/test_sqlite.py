"""SQLite-only store behaviour: private files, WAL, repair of pre-release stores (shared rules: test_store.py)."""

from __future__ import annotations

import sqlite3
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from sessionoptimizer_sdk import EventType, Session, SessionEvent, SessionOptimizer, SessionStatus, StoreError
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


def test_a_prerelease_store_wide_unique_event_id_is_removed_on_open(tmp_path: Path) -> None:
    """A pre-release store declared ``id ... UNIQUE``: after the upgrade another session may reuse an event id."""
    from sessionoptimizer_sdk.store.schema import MIGRATIONS

    path = tmp_path / "so.db"
    prerelease = MIGRATIONS[0].replace(
        "    id TEXT NOT NULL,\n    session_id TEXT NOT NULL,",
        "    id TEXT NOT NULL UNIQUE,\n    session_id TEXT NOT NULL,",
    )
    assert prerelease != MIGRATIONS[0]
    conn = sqlite3.connect(path)
    conn.executescript(prerelease)
    conn.execute("INSERT INTO meta VALUES ('schema_version', '1')")
    conn.execute(
        "INSERT INTO sessions (id, agent, task, model, status, started_at) VALUES ('s1', 'FORGE', 't', 'opus', "
        "'ACTIVE', ?)",
        (T0.timestamp(),),
    )
    for i in range(3):
        conn.execute(
            "INSERT INTO events (id, session_id, type, ts, input_tokens) VALUES (?, 's1', 'AI_RESPONSE', ?, 10)",
            (f"e{i}", T0.timestamp() + i),
        )
    conn.commit()
    conn.close()
    upgraded = SQLiteStore(path)  # a version-1 store: migrated on open
    try:
        upgraded.create_session(_session("s2"))
        reused = [_event(i, sid="s2", tokens=7) for i in range(2)]
        assert upgraded.insert_events(reused) == 2  # ids s1 used: stored, not silently ignored
        assert upgraded.get_session("s2").event_count == 2
        assert upgraded.get_session("s1").tokens.input_tokens == 30  # s1 kept whole, its totals recomputed
        assert [e.id for e in upgraded.get_events("s1")] == ["e0", "e1", "e2"]
        assert upgraded.insert_events(reused) == 0  # still unique per session
        assert upgraded.info()["schema_version"] == SCHEMA_VERSION
    finally:
        upgraded.close()


def test_a_store_that_cannot_be_created_is_a_clear_error_at_construction(tmp_path: Path) -> None:
    """A home under a plain file cannot hold a store: SessionOptimizer() raises StoreError naming path and reason."""
    (tmp_path / "afile").write_text("not a folder")
    home = tmp_path / "afile" / "home"
    with pytest.raises(StoreError, match=r"cannot create the store at .*afile/home.*Not a directory"):
        SessionOptimizer(home)
