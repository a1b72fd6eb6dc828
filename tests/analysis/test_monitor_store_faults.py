"""One monitoring pass on a store that cannot be used ends with StoreError instead of "analyzed 0 sessions"."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from sessionoptimizer_sdk import EventType, Session, SessionEvent, SessionStatus, StoreError
from sessionoptimizer_sdk.analysis.monitor import monitor_once
from sessionoptimizer_sdk.store import SQLiteStore

T0 = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


def _ended(store: SQLiteStore, sid: str) -> None:
    store.create_session(
        Session(sid, "BOLT", "t", "grok", SessionStatus.COMPLETED, T0, T0 + timedelta(minutes=5))
    )
    store.insert_events([SessionEvent(f"{sid}-e", sid, EventType.AI_RESPONSE, T0, tokens_input=10)])


def test_a_locked_store_ends_the_pass_with_a_store_error(tmp_path: Path) -> None:
    """With another process holding the write lock, the pass raises StoreError after one wait, not one per session."""
    store = SQLiteStore(tmp_path / "so.db")
    for i in range(3):
        _ended(store, f"s{i}")
    store._conn().execute("PRAGMA busy_timeout = 50")  # the lock wait, shortened for the test
    holder = sqlite3.connect(tmp_path / "so.db", isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(StoreError, match="locked"):
            monitor_once(
                store, tmp_path / "reports", since=T0 - timedelta(days=1), now=T0 + timedelta(days=1)
            )
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    done = monitor_once(store, tmp_path / "reports", since=T0 - timedelta(days=1), now=T0 + timedelta(days=1))
    assert sorted(r.session_id for r in done) == ["s0", "s1", "s2"]  # once free, every session is analyzed
    store.close()
