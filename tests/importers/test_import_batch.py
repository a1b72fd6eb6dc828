"""An import writes each batch (session, events, cursor) in one transaction, on SQLite and PostgreSQL alike."""

from __future__ import annotations

from pathlib import Path

import pytest

from sessionoptimizer_sdk.config import Settings
from sessionoptimizer_sdk.importers.runner import import_paths
from sessionoptimizer_sdk.store import open_store

from ._cc_builder import Transcript

SID = "0c0c0c0c-1111-4222-8333-444444444444"


def _transcript(path: Path, calls: int) -> Path:
    t = Transcript()
    for i in range(calls):
        t.call(
            "Read",
            {"file_path": f"/work/proj/m{i}.py"},
            "x",
            usage={"input_tokens": 10 + i, "output_tokens": 3},
        )
    return t.write(path / f"{SID}.jsonl")


def test_an_import_stores_totals_and_cursor_with_its_events(store_url: str, tmp_path: Path) -> None:
    """The session's totals match its events and a second run reads nothing, on both backends."""
    path = _transcript(tmp_path, 4)
    store = open_store(store_url, Settings.from_env(tmp_path / "home"))
    try:
        first = import_paths(store, "claude-code", [path])
        again = import_paths(store, "claude-code", [path])
        session = store.get_session(SID)
        # 4 calls: a response and a Read each; input 10 + 11 + 12 + 13, output 3 per response
        assert (first.events, store.count_events(SID)) == (8, 8)
        assert (session.tokens.input_tokens, session.tokens.output_tokens) == (46, 12)
        assert (again.events, again.unchanged_files) == (0, 1)
    finally:
        store.close()


def test_a_batch_that_fails_leaves_no_events_and_no_cursor(
    store_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """When saving the cursor fails, the batch's events are not stored either: the next import reads them again."""
    from sessionoptimizer_sdk.store import _pg_sql, sqlite

    path = _transcript(tmp_path, 3)
    store = open_store(store_url, Settings.from_env(tmp_path / "home"))
    try:
        with monkeypatch.context() as patch:
            patch.setattr(sqlite, "_SET_CURSOR", "INSERT INTO no_such_table VALUES (?,?,?)")
            patch.setattr(_pg_sql, "SET_CURSOR", "INSERT INTO no_such_table VALUES (%s,%s,%s)")
            with pytest.raises(Exception, match="no_such_table"):
                import_paths(store, "claude-code", [path])
        assert store.count_events() == 0
        assert store.get_cursor(f"import:claude-code:{path.resolve()}") is None
        retried = import_paths(store, "claude-code", [path])
        assert (retried.events, store.count_events(SID)) == (6, 6)
        assert store.get_session(SID).tokens.input_tokens == 33  # 10 + 11 + 12, counted once
    finally:
        store.close()
