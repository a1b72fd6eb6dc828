"""Live analysis fed from the writer's committed rows (no read back), with the store as the source of truth."""

from __future__ import annotations

import contextlib
import itertools
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sessionoptimizer_sdk import EventType, SessionOptimizer
from sessionoptimizer_sdk.analysis._handover import HandOver
from sessionoptimizer_sdk.analysis.runner import AnalysisRunner, analyze_stored
from sessionoptimizer_sdk.config import Settings
from sessionoptimizer_sdk.models import SessionEvent, SessionStatus
from sessionoptimizer_sdk.store import Store, open_store
from sessionoptimizer_sdk.store._rows import event_to_row
from sessionoptimizer_sdk.store.sqlite import SQLiteStore
from tests.analysis._builders import Events, session
from tests.analysis.test_live import _assert_same, _build, _steps


def _rows(events: list[SessionEvent]) -> list[tuple[Any, ...]]:
    return [event_to_row(e) for e in events]


def _runner(store: Store, home: Path, reports: list[Any]) -> AnalysisRunner:
    runner = AnalysisRunner(store, Settings.from_env(home=home), provisional_interval=0.0, max_duty=0.0)
    runner.engine.report_listeners.append(reports.append)
    return runner


@contextmanager
def _rig(
    db: Path, home: Path, *, active: bool = True
) -> Iterator[tuple[SQLiteStore, AnalysisRunner, list[Any], Any]]:
    """A store file, a runner on it whose reports land in a list, and (``active``) one ACTIVE session; closed after."""
    store = SQLiteStore(db)
    reports: list[Any] = []
    runner = _runner(store, home, reports)
    try:
        live = session(status=SessionStatus.ACTIVE) if active else None
        if live is not None:
            store.upsert_session(live)
        yield store, runner, reports, live
    finally:
        runner.close()
        store.close()


def _commit(store: Store, runner: AnalysisRunner, events: list[SessionEvent], *, hand: bool = True) -> None:
    """What the writer does: one ``write_batch``, then (listener) the rows to the runner and a live submit."""
    rows = _rows(events)
    first = store.write_batch(rows, seqs=True)
    assert first is not None
    if hand:
        runner.hand_over(rows, first, {row[1] for row in rows})
    runner.submit(events[0].session_id, False)
    assert runner.flush(30)


def _full(store: Store, runner: AnalysisRunner, report: Any) -> dict[str, Any]:
    return analyze_stored(store, report.session_id, runner.config, report.generated_at).to_dict()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=_steps(), cuts=st.lists(st.integers(0, 40), max_size=6))
def test_live_report_from_handed_over_rows_equals_full_reanalysis(
    tmp_path_factory: Any, steps: list[tuple[str, float, dict[str, Any]]], cuts: list[int]
) -> None:
    """Random batches committed and handed over (out of time order, late errors): live equals a full analysis."""
    home = tmp_path_factory.mktemp("handover")
    with _rig(home / "s.db", home) as (store, runner, reports, _):
        events = _build(steps)
        bounds = sorted({0, len(events), *(c for c in cuts if c < len(events))})
        for lo, hi in itertools.pairwise(bounds):
            _commit(store, runner, events[lo:hi])
            assert reports[-1].event_count == hi
            _assert_same(reports[-1].to_dict(), _full(store, runner, reports[-1]))
        batches = len(bounds) - 1
        assert (runner.read_back, runner.handed, runner.reloads) == (1, batches - 1, 0)


def test_rows_another_store_object_committed_between_hand_overs_are_read_from_the_store(
    tmp_path: Path,
) -> None:
    """Rows written through a second Store on the same file (no hand-over) are found: live still equals full."""
    other = SQLiteStore(tmp_path / "s.db")
    with _rig(tmp_path / "s.db", tmp_path / "home") as (store, runner, reports, _), contextlib.closing(other):
        ev = Events()
        for i in range(9):
            ev.read(f"f{i % 2}.py", 4_000) if i % 3 == 0 else ev.tool("Bash", "same", error="exit 1")
        _commit(store, runner, ev.items[:3])  # first analysis: reads the store
        other.insert_events(ev.items[3:5])  # another process: seqs 4-5, never handed over
        _commit(store, runner, ev.items[5:7])  # handed over: seqs 6-7, 2 rows short of the count
        assert reports[-1].event_count == 7
        assert (runner.read_back, runner.handed, runner.reloads) == (2, 0, 0)
        _assert_same(reports[-1].to_dict(), _full(store, runner, reports[-1]))
        _commit(store, runner, ev.items[7:])  # contiguous again: fed from the hand-over
        assert reports[-1].event_count == 9
        assert (runner.read_back, runner.handed) == (2, 1)
        _assert_same(reports[-1].to_dict(), _full(store, runner, reports[-1]))


def test_a_dropped_hand_over_is_caught_by_the_count_and_read_back(tmp_path: Path) -> None:
    """A commit whose rows never reached the runner (listener failed) is read from the store, not lost."""
    with _rig(tmp_path / "s.db", tmp_path / "home") as (store, runner, reports, _):
        ev = Events()
        for _ in range(6):
            ev.call(inp=100, out=10)
        _commit(store, runner, ev.items[:2])
        _commit(store, runner, ev.items[2:4], hand=False)
        _commit(store, runner, ev.items[4:])
        assert [r.event_count for r in reports] == [2, 4, 6]
        assert reports[-1].totals.input_tokens == 600  # 6 calls x 100, each once
        assert (runner.read_back, runner.handed, runner.reloads) == (2, 1, 0)


def test_rows_let_go_past_the_hand_over_bound_are_read_from_the_store(tmp_path: Path) -> None:
    """Over ``max_rows`` held rows the session is marked incomplete; its report reads the store and is right."""
    with _rig(tmp_path / "s.db", tmp_path / "home") as (store, runner, reports, _):
        runner.handover.max_rows = 3
        ev = Events()
        for _ in range(8):
            ev.call(inp=100, out=10)
        _commit(store, runner, ev.items[:2])
        _commit(store, runner, ev.items[2:4])  # 2 rows: held, fed
        _commit(store, runner, ev.items[4:8])  # 4 rows > 3: let go
        assert runner.handover.dropped_rows == 4 and runner.handover.held == 0
        assert [r.event_count for r in reports] == [2, 4, 8]
        assert reports[-1].totals.input_tokens == 800
        assert (runner.read_back, runner.handed) == (2, 1)


def test_hand_over_keeps_only_wanted_sessions_rows_split_by_session() -> None:
    """A commit of two sessions: only the wanted one's rows are kept, each with its own seq."""
    handover = HandOver()
    rows = [("e1", "a"), ("e2", "b"), ("e3", "a")]
    handover.put(rows, 10, {"a", "b"})
    assert handover.take("a") == ([], True)  # not wanted yet: nothing kept
    handover.want("a")
    handover.put(rows, 20, {"a", "b"})
    chunks, complete = handover.take("a")
    assert complete and [(list(s), list(r)) for s, r in chunks] == [([20, 22], [("e1", "a"), ("e3", "a")])]
    assert handover.take("b") == ([], True) and handover.held == 0
    handover.forget("a")
    handover.put(rows, 30, {"a", "b"})
    assert handover.take("a") == ([], True)


def test_sqlite_write_batch_returns_the_first_seq_of_consecutive_rows(tmp_path: Path) -> None:
    """write_batch gives the first row's seq when all rows are new, and None when a known id was skipped."""
    store = SQLiteStore(tmp_path / "s.db")
    try:
        _check_first_seq(store)
    finally:
        store.close()


def test_postgresql_write_batch_returns_the_first_seq_of_consecutive_rows(
    pg_url: str, tmp_path: Path
) -> None:
    """On PostgreSQL too (COPY, then the seq range check): first seq, rows in order; None after a skip."""
    store = open_store(pg_url, Settings.from_env(tmp_path / "home"))
    try:
        _check_first_seq(store)
    finally:
        store.close()


def _check_first_seq(store: Store) -> None:
    active = session(status=SessionStatus.ACTIVE)
    store.upsert_session(active)
    ev = Events()
    for _ in range(8):
        ev.call(inp=100, out=10)
    assert store.write_batch([], seqs=True) is None
    first = store.write_batch(_rows(ev.items[:3]), seqs=True)
    second = store.write_batch(_rows(ev.items[3:6]), seqs=True)
    assert first is not None and second == first + 3
    stored = {e.id: e.seq for e in store.get_events_after(active.id, 0)}
    assert stored == {e.id: first + i for i, e in enumerate(ev.items[:6])}
    assert store.write_batch(_rows(ev.items[5:7]), seqs=True) is None  # e6 known: e7 stored, no promise
    assert store.write_batch(_rows(ev.items[7:])) is None  # not asked: no seqs
    assert store.count_events(active.id) == 8


def test_live_report_over_postgresql_is_fed_from_the_hand_over(pg_url: str, tmp_path: Path) -> None:
    """The runner on a PostgreSQL store feeds handed-over rows and still equals a full analysis."""
    store = open_store(pg_url, Settings.from_env(tmp_path / "home"))
    reports: list[Any] = []
    runner = _runner(store, tmp_path / "home", reports)
    try:
        active = session(status=SessionStatus.ACTIVE)
        store.upsert_session(active)
        ev = Events()
        for i in range(8):
            ev.read("a.py", 4_000) if i % 2 else ev.call(inp=100, out=10)
        for lo, hi in ((0, 3), (3, 5), (5, 8)):
            _commit(store, runner, ev.items[lo:hi])
            _assert_same(reports[-1].to_dict(), _full(store, runner, reports[-1]))
        assert [r.event_count for r in reports] == [3, 5, 8]
        assert (runner.read_back, runner.handed) == (1, 2)
    finally:
        runner.close()
        store.close()


def _work(x: int) -> int:
    return x * 2


@pytest.mark.parametrize("batches", [3])
def test_optimizer_live_reports_come_from_the_writer_and_equal_full_analysis(
    tmp_path: Path, batches: int
) -> None:
    """Through SessionOptimizer and its writer: each live report equals a full analysis, rows read back once."""
    opt = SessionOptimizer(str(tmp_path / "so"))
    reports: list[Any] = []
    opt.add_report_listener(reports.append)
    tool = opt.tool(_work)
    try:
        with opt.session("agent", "task", model="claude-sonnet-4-5") as s:
            for b in range(batches):
                for i in range(50):
                    tool(i)
                    if i % 10 == 0:
                        opt.log_event(s.id, EventType.AI_RESPONSE, tokens_input=100, tokens_output=20)
                assert opt.flush(30, analysis=True)
                last = reports[-1]
                assert last.provisional and last.event_count == 55 * (b + 1)
                full = analyze_stored(opt.store, s.id, opt.analysis_config, last.generated_at)
                _assert_same(last.to_dict(), full.to_dict())
            runner = opt._runner
            assert runner is not None and runner.read_back == 1 and runner.reloads == 0
            assert runner.handed + runner.absorbed >= batches - 1
    finally:
        opt.shutdown()


def test_two_live_sessions_in_one_commit_are_each_fed_their_own_rows(tmp_path: Path) -> None:
    """Commits mixing two sessions' rows: each live report counts only its session and equals a full analysis."""
    with _rig(tmp_path / "s.db", tmp_path / "home", active=False) as (store, runner, reports, _):
        a, b = Events(sid="a"), Events(sid="b")
        for sid in ("a", "b"):
            store.upsert_session(session(sid=sid, status=SessionStatus.ACTIVE))
        for i in range(6):
            a.call(inp=100, out=10)
            b.read(f"f{i % 2}.py", 4_000)
        for lo, hi in ((0, 2), (2, 4), (4, 6)):
            mixed = [e for pair in zip(a.items[lo:hi], b.items[lo:hi], strict=True) for e in pair]
            rows = _rows(mixed)
            first = store.write_batch(rows, seqs=True)
            assert first is not None
            runner.hand_over(rows, first, {"a", "b"})
            runner.submit("a", False)
            runner.submit("b", False)
            assert runner.flush(30)
        last = {r.session_id: r for r in reports}
        assert (last["a"].event_count, last["b"].event_count) == (6, 6)
        assert last["a"].totals.input_tokens == 600 and last["b"].totals.input_tokens == 0
        for report in last.values():
            _assert_same(report.to_dict(), _full(store, runner, report))
        assert (runner.read_back, runner.handed) == (2, 4)  # each session's first report reads the store


def test_held_back_session_feeds_its_handed_rows_before_its_next_report(tmp_path: Path) -> None:
    """While its report waits for the rate limit, a session's handed rows are fed, not held; the report is right."""
    with _rig(tmp_path / "s.db", tmp_path / "home") as (store, runner, reports, active):
        ev = Events()
        for _ in range(9):
            ev.call(inp=100, out=10)
        _commit(store, runner, ev.items[:3])  # first report, then the rate limit holds the next ones back
        runner.provisional_interval = 3_600.0
        for lo, hi in ((3, 6), (6, 9)):
            rows = _rows(ev.items[lo:hi])
            first = store.write_batch(rows, seqs=True)
            assert first is not None
            runner.hand_over(rows, first, {active.id})
            runner.submit(active.id, False)
            assert _wait(lambda: runner.handover.held == 0)
        assert len(reports) == 1 and runner.absorbed == 2
        assert runner.flush(30)  # runs the held-back report now
        assert reports[-1].event_count == 9 and reports[-1].totals.input_tokens == 900
        assert (runner.read_back, runner.reloads) == (1, 0)
        _assert_same(reports[-1].to_dict(), _full(store, runner, reports[-1]))


def _wait(check: Any, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True
