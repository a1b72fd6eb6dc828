"""Live reports during a burst: counted from the session row, not by walking the session's events each time."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from sessionoptimizer_sdk.analysis.runner import AnalysisRunner
from sessionoptimizer_sdk.models import SessionStatus
from sessionoptimizer_sdk.store.sqlite import SQLiteStore
from tests.analysis._builders import Events, session
from tests.analysis.test_handover import _commit, _full, _rows, _runner
from tests.analysis.test_live import _assert_same


class _CountingStore(SQLiteStore):
    """A real SQLite store that remembers how often ``count(*)`` ran over a session's events."""

    counts = 0

    def count_events(self, session_id: str | None = None) -> int:
        self.counts += 1
        return super().count_events(session_id)


@contextmanager
def _counting(tmp_path: Path) -> Iterator[tuple[_CountingStore, AnalysisRunner, list[Any]]]:
    """A counting store, a runner on it whose live reports land in a list; both closed after."""
    store = _CountingStore(tmp_path / "s.db")
    reports: list[Any] = []
    runner = _runner(store, tmp_path / "home", reports)
    try:
        yield store, runner, reports
    finally:
        runner.close()
        store.close()


def _calls(n: int) -> Events:
    ev = Events()
    for i in range(n):
        ev.read(f"f{i % 3}.py", 4_000) if i % 4 == 0 else ev.call(inp=100, out=10)
    return ev


@pytest.mark.parametrize(("hand", "paths"), [(True, (1, 3, 0)), (False, (4, 0, 0))])
def test_reports_count_rows_once(tmp_path: Path, hand: bool, paths: tuple[int, int, int]) -> None:
    """Handed over or read back (a team server's rows): only the first report runs count(*), then the row's."""
    with _counting(tmp_path) as (store, runner, reports):
        store.upsert_session(session(status=SessionStatus.ACTIVE))
        ev = _calls(12)
        for lo, hi in ((0, 3), (3, 6), (6, 9), (9, 12)):
            _commit(store, runner, ev.items[lo:hi], hand=hand)
            _assert_same(reports[-1].to_dict(), _full(store, runner, reports[-1]))
        assert [r.event_count for r in reports] == [3, 6, 9, 12]
        assert reports[-1].totals.input_tokens == 9 * 100  # 12 events, 3 of them reads
        assert store.counts == 1
        assert (runner.read_back, runner.handed, runner.reloads) == paths


def test_a_row_count_gone_wrong_is_recounted(tmp_path: Path) -> None:
    """A trusted row count that falls short of the rows read stops being trusted: the next report recounts."""
    with _counting(tmp_path) as (store, runner, reports):
        store.upsert_session(session(status=SessionStatus.ACTIVE))
        ev = _calls(9)
        # count(*) once: 3 = the row's 3, trusted from now on
        _commit(store, runner, ev.items[:3], hand=False)
        with store.transaction() as conn:  # the row now says one event fewer than stored
            conn.execute("UPDATE sessions SET event_count = event_count - 1 WHERE id = 's1'")
        _commit(store, runner, ev.items[3:6], hand=False)  # row 5, rows read 6: no longer trusted
        _commit(store, runner, ev.items[6:9], hand=False)  # count(*) again: 9
        assert [r.event_count for r in reports] == [3, 6, 9]
        _assert_same(reports[-1].to_dict(), _full(store, runner, reports[-1]))
        assert store.counts == 2
        assert runner.reloads == 0


def test_events_stored_before_their_session_row_are_counted(tmp_path: Path) -> None:
    """A session row created after some of its events (its event_count short of them): reports still count all."""
    with _counting(tmp_path) as (store, runner, reports):
        ev = _calls(9)
        early = store.write_batch(_rows(ev.items[:2]))  # before the session exists (an OTLP exporter's order)
        assert early is None
        store.upsert_session(session(status=SessionStatus.ACTIVE))
        assert store.get_session("s1").event_count == 0 and store.count_events("s1") == 2
        runner.submit("s1", False)  # a report before any commit: the row says 0 events, the store holds 2
        assert runner.flush(30)
        assert reports[-1].event_count == 2
        for lo, hi in ((2, 4), (4, 6), (6, 9)):
            _commit(store, runner, ev.items[lo:hi])
            _assert_same(reports[-1].to_dict(), _full(store, runner, reports[-1]))
        assert [r.event_count for r in reports] == [2, 4, 6, 9]
        assert reports[-1].totals.input_tokens == 6 * 100  # 9 events, 3 of them reads
        assert store.counts == 1 + 4  # the test's own count, then every report's: the row's is never trusted


def test_an_out_of_order_event_inside_a_large_handed_batch_is_counted_once(tmp_path: Path) -> None:
    """An event older than its predecessors in a 600-row commit rebuilds the state once; no row is fed twice."""
    with _counting(tmp_path) as (store, runner, reports):
        store.upsert_session(session(status=SessionStatus.ACTIVE))
        ev = _calls(604)
        late = ev.items[300]  # logged after event 299 but stamped before event 2: out of time order
        ev.items[300] = dataclasses.replace(late, timestamp=ev.items[2].timestamp - timedelta(seconds=1))
        _commit(store, runner, ev.items[:4])  # the first report reads the store
        _commit(store, runner, ev.items[4:])  # 600 rows handed over, fed 256 at a time
        assert [r.event_count for r in reports] == [4, 604]
        assert reports[-1].totals.input_tokens == 453 * 100  # 604 events, 151 of them reads
        _assert_same(reports[-1].to_dict(), _full(store, runner, reports[-1]))
        assert runner.reloads == 0 and runner.handed == 1
        assert runner._live.get("s1").rebuilds == 1  # the rows after the rebuild were already in it: skipped
