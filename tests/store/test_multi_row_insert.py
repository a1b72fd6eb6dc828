"""Chunked multi-row INSERTs store exactly what one INSERT per row stores, on every batch size and edge value."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest

from sessionoptimizer_sdk.store.schema import ADD_INSERTED_TOTALS
from sessionoptimizer_sdk.store.sqlite import _UPSERT_HEAD, _UPSERT_TAIL, SQLiteStore, _insert_rows

_COLUMNS = (
    "id, session_id, type, ts, duration_ms, name, is_error, error_type, input_tokens, output_tokens, "
    "cache_read_tokens, cache_write_tokens, reasoning_tokens, data"
)
_ONE_ROW = "(" + ",".join("?" * 14) + ")"
_SESSION = (
    "INSERT INTO sessions (id, agent, task, model, status, started_at) VALUES (?, 'A', 't', 'm', 'ACTIVE', 1)"
)
_DUMP = (
    "SELECT seq, id, session_id, type, ts, typeof(ts), duration_ms, typeof(duration_ms), name, is_error, "
    "error_type, input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, reasoning_tokens, data "
    "FROM events ORDER BY seq"
)
_TOTALS = "SELECT id, input_tokens, output_tokens, event_count, error_count, last_event_at FROM sessions ORDER BY id"


def _row(i: int, session: str = "s1", *, data: str = "{}", **over: Any) -> tuple[Any, ...]:
    values: dict[str, Any] = {
        "id": f"e{i}",
        "session_id": session,
        "type": "ERROR" if i % 17 == 3 else "TOOL_CALL",
        "ts": 1_700_000_000.0 + i * 0.001 + 1e-7,
        "duration_ms": None if i % 5 == 0 else i * 0.25,
        "name": None if i % 3 == 0 else f"tool\x00{i}",  # a NUL byte survives (no text round trip)
        "is_error": i % 7 == 0,
        "error_type": "TimeoutError" if i % 7 == 0 else None,
        "input_tokens": i,
        "output_tokens": 2**40 + i,
        "cache_read_tokens": 0,
        "cache_write_tokens": 3 * i,
        "reasoning_tokens": 0,
        "data": data,
    }
    values.update(over)
    return tuple(values.values())


def _reference(
    path: Path, batches: list[list[tuple[Any, ...]]], sessions: list[str], head: str, tail: str
) -> None:
    """The same batches stored one INSERT per row (the plain ``executemany`` every row would take before)."""
    store = SQLiteStore(path)
    conn = store._conn()
    conn.executemany(_SESSION, [(s,) for s in sessions])
    conn.commit()
    for rows in batches:
        with store.transaction() as tx:
            before = tx.execute("SELECT coalesce(max(seq), 0) FROM events").fetchone()[0]
            tx.executemany(head + _ONE_ROW + tail, rows)
            tx.execute(ADD_INSERTED_TOTALS, (before,))
    store.close()


def _dump(path: Path) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    conn = sqlite3.connect(path)
    try:
        return conn.execute(_DUMP).fetchall(), conn.execute(_TOTALS).fetchall()
    finally:
        conn.close()


@pytest.mark.parametrize("size", [1, 127, 128, 129, 300, 1000])
def test_write_batch_stores_what_row_by_row_stores(tmp_path: Path, size: int) -> None:
    """Every batch size (below, at and across the chunk) stores the same rows, seqs and totals as one INSERT per row."""
    # two sessions interleaved, a known id re-sent in the second batch, and a repeated id inside one batch
    first = [_row(i, "s1" if i % 2 else "s2") for i in range(size)]
    second = [_row(0, "s2"), *[_row(i, "s1" if i % 2 else "s2") for i in range(size, size + size // 2 + 1)]]
    second.append(_row(size, "s1" if size % 2 else "s2", data='{"again":true}'))
    store = SQLiteStore(tmp_path / "chunked.db")
    conn = store._conn()
    conn.executemany(_SESSION, [("s1",), ("s2",)])
    conn.commit()
    seqs = [store.write_batch(first, seqs=True), store.write_batch(second, seqs=True)]
    store.close()
    _reference(
        tmp_path / "rows.db",
        [first, second],
        ["s1", "s2"],
        "INSERT OR IGNORE INTO events (" + _COLUMNS + ") VALUES ",
        "",
    )
    chunked, by_row = _dump(tmp_path / "chunked.db"), _dump(tmp_path / "rows.db")
    assert chunked == by_row
    assert len(chunked[0]) == size + size // 2 + 1  # the re-sent ids stored once
    # the first batch's rows got seqs 1..size in row order; the second had known ids, so no seq is promised
    assert seqs == [1, None]
    assert [r[1] for r in chunked[0][:size]] == [r[0] for r in first]


def test_import_upsert_lets_the_later_duplicate_win_as_row_by_row(tmp_path: Path) -> None:
    """Re-imported ids (also twice in one batch) end with their latest values, as one upsert per row leaves them."""
    rows = [_row(i) for i in range(260)]
    rows[200] = _row(5, input_tokens=999, data='{"v":2}')  # same id as row 5, in a later chunk
    rows[6] = _row(4, input_tokens=444)  # same id as row 4, in the same chunk
    store = SQLiteStore(tmp_path / "chunked.db")
    conn = store._conn()
    conn.execute(_SESSION, ("s1",))
    conn.commit()
    with store.transaction() as tx:
        changed = _insert_rows(tx, _UPSERT_HEAD, _UPSERT_TAIL, rows)
        tx.execute(ADD_INSERTED_TOTALS, (0,))
    store.close()
    _reference(tmp_path / "rows.db", [rows], ["s1"], _UPSERT_HEAD, _UPSERT_TAIL)
    chunked = _dump(tmp_path / "chunked.db")
    assert chunked == _dump(tmp_path / "rows.db")
    assert changed == 260  # each row inserted or updated once
    stored = {r[1]: r for r in chunked[0]}
    assert len(stored) == 258 and stored["e5"][11] == 999 and stored["e4"][11] == 444


def test_a_low_variable_limit_still_stores_every_row(tmp_path: Path) -> None:
    """An SQLite built with the old 999-parameter limit gets smaller chunks, not an error or a lost row."""
    store = SQLiteStore(tmp_path / "low.db")
    conn = store._conn()
    conn.setlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, 999)
    conn.execute(_SESSION, ("s1",))
    conn.commit()
    rows = [_row(i) for i in range(500)]
    assert store.write_batch(rows, seqs=True) == 1
    assert store.count_events("s1") == 500
    session = store.get_session("s1")
    assert session.event_count == 500 and session.tokens.input_tokens == sum(range(500))
    store.close()
