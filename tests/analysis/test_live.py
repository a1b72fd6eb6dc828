"""Live (incremental) analysis: fed batch by batch with new rows, it reports what a full re-analysis reports."""

from __future__ import annotations

import gc
import inspect
import itertools
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sessionoptimizer_sdk.analysis.config import AnalysisConfig
from sessionoptimizer_sdk.analysis.live import LiveAnalysis, LiveCache
from sessionoptimizer_sdk.analysis.runner import AnalysisRunner, analyze_stored
from sessionoptimizer_sdk.analysis.stored import load_subagents
from sessionoptimizer_sdk.config import Settings
from sessionoptimizer_sdk.models import EventType, SessionEvent, SessionStatus
from sessionoptimizer_sdk.store.sqlite import SQLiteStore
from tests.analysis._builders import T0, Events, session

NOW = T0 + timedelta(hours=3)
_PATHS = ("a.py", "b.py", "c.md")
_TOOLS = ("Bash", "Grep")


@st.composite
def _steps(draw: st.DrawFn) -> list[tuple[str, float, dict[str, Any]]]:
    """Random agent steps: (kind, gap in seconds, negative for an event older than the previous, params)."""
    kinds = st.sampled_from(["call", "read", "write", "tool", "retry", "error", "thinking", "compaction"])
    out = []
    for _ in range(draw(st.integers(1, 40))):
        kind = draw(kinds)
        gap = draw(st.sampled_from([1.0, 5.0, 30.0, 240.0, 900.0, -20.0]))
        params: dict[str, Any] = {
            "tokens": draw(st.sampled_from([0, 40, 3_000, 60_000])),
            "path": draw(st.sampled_from(_PATHS)),
            "tool": draw(st.sampled_from(_TOOLS)),
            "failed": draw(st.booleans()),
            # an error naming an earlier call (by how many tool steps back), or none
            "names": draw(st.sampled_from([None, None, 0, 1, 3])),
            "message": draw(st.sampled_from(["exit 1", "permission denied", "boom"])),
            "flag": draw(st.sampled_from([None, "result_redacted", "system_reminder", "sidechain"])),
        }
        out.append((kind, gap, params))
    return out


def _build(steps: list[tuple[str, float, dict[str, Any]]]) -> list[SessionEvent]:
    ev = Events(step=10.0)
    calls: list[str] = []
    for kind, gap, p in steps:
        n = p["tokens"]
        flag = {p["flag"]: True} if p["flag"] else {}
        if kind == "call":
            ev.call(
                inp=n // 10, cr=n, cw=n // 3, out=n // 20 + 1, gap=gap, reasoning_tokens=n // 40, data=flag
            )
        elif kind == "read":
            ev.add(EventType.FILE_READ, gap=gap, data={"file_path": p["path"], "result_tokens": n})
        elif kind == "write":
            ev.add(EventType.FILE_WRITE, gap=gap, data={"file_path": p["path"], "tool": "Edit"})
        elif kind in ("tool", "retry"):  # retry: the same call 4 times in a row
            for _ in range(4 if kind == "retry" else 1):
                calls.append(f"c{len(calls)}")
                data = {"tool": p["tool"], "args_sha256": p["path"], "result_sha256": "r", "result_tokens": n}
                data.update(flag, tool_call_id=calls[-1])
                if p["failed"]:
                    data["message"] = p["message"]
                ev.add(EventType.TOOL_CALL, gap=gap, data=data, is_error=p["failed"])
        elif kind == "error":
            data = {"message": p["message"]}
            if p["names"] is not None and len(calls) > p["names"]:
                data.update(tool_call_id=calls[-1 - p["names"]], tool=p["tool"])
            ev.add(EventType.ERROR, gap=gap, data=data, is_error=True)
        elif kind == "thinking":
            ev.add(EventType.THINKING, gap=gap, tokens_output=n // 20 + 1)
        else:
            ev.add(EventType.COMPACTION, gap=gap)
    return ev.items


def _assert_same(live: dict[str, Any], full: dict[str, Any]) -> None:
    assert live.keys() == full.keys()
    for key in full:
        assert live[key] == full[key], key


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=_steps(), cuts=st.lists(st.integers(0, 40), max_size=6), window=st.sampled_from([1, 2, 64]))
def test_live_report_equals_full_reanalysis_after_every_batch(
    tmp_path_factory: Any, steps: list[tuple[str, float, dict[str, Any]]], cuts: list[int], window: int
) -> None:
    """After each random batch (events out of time order, errors naming older calls), live equals a full one."""
    store = SQLiteStore(tmp_path_factory.mktemp("live") / "s.db")
    try:
        active = session(status=SessionStatus.ACTIVE)
        store.upsert_session(active)
        events = _build(steps)
        bounds = sorted({0, len(events), *(c for c in cuts if c < len(events))})
        live = LiveAnalysis(lambda: store.get_events(active.id), window=window)
        cfg = AnalysisConfig()
        for lo, hi in itertools.pairwise(bounds):
            store.insert_events(events[lo:hi])
            live.add(store.get_events_after(active.id, live.last_seq))
            assert len(live) == hi
            got = live.report(active, NOW, cfg, load_subagents(store, active)).to_dict()
            _assert_same(got, analyze_stored(store, active.id, cfg, NOW).to_dict())
    finally:
        store.close()


def test_out_of_order_event_rebuilds_the_state_from_all_events() -> None:
    """An event older than one already fed makes the state rebuild from all events, in time order."""
    t = datetime(2026, 1, 1, tzinfo=UTC)

    def ev(i: int, seconds: int) -> SessionEvent:
        return SessionEvent(
            f"e{i}", "s1", EventType.AI_RESPONSE, t + timedelta(seconds=seconds), tokens_input=10 * i, seq=i
        )

    stored = [ev(1, 10), ev(2, 30)]
    live = LiveAnalysis(lambda: stored)
    active = session(status=SessionStatus.ACTIVE, sid="s1")
    live.add(stored)
    first = live.report(active, NOW)
    stored.append(ev(3, 20))
    live.add([stored[-1]])
    second = live.report(active, NOW)
    assert (first.event_count, first.totals.input_tokens) == (2, 10 + 20)
    assert (second.event_count, second.totals.input_tokens) == (3, 10 + 20 + 30)
    assert (live.out_of_order, live.rebuilds, live.last_seq) == (1, 1, 3)


def test_live_state_holds_no_events_beyond_the_open_actions() -> None:
    """After a report of 1,000 tool calls, only the 64 still open to a later error keep their events alive."""
    t = datetime(2026, 1, 1, tzinfo=UTC)
    events = [
        SessionEvent(
            f"e{i}", "s1", EventType.TOOL_CALL, t + timedelta(seconds=i), {"tool": "Bash"}, seq=i + 1
        )
        for i in range(1_000)
    ]
    live = LiveAnalysis()
    live.add(events)
    live.report(session(status=SessionStatus.ACTIVE, sid="s1"), NOW)
    assert len(live) == 1_000
    held = [
        i
        for i in range(1_000)
        if [o for o in gc.get_referrers(events[i]) if o is not events and not inspect.isframe(o)]
    ]
    assert held == list(range(1_000 - 64, 1_000))


def test_cache_evicts_least_recently_used_sessions_over_its_bound() -> None:
    """Held events stay under max_events: the least recently analyzed session goes first."""
    t = datetime(2026, 1, 1, tzinfo=UTC)
    cache = LiveCache(max_events=5)
    for sid, n in (("a", 3), ("b", 2), ("c", 2)):
        cache.get(sid).add(
            SessionEvent(f"{sid}{i}", sid, EventType.AI_RESPONSE, t, seq=i + 1) for i in range(n)
        )
        cache.trim(keep=sid)
    assert "a" not in cache and "b" in cache and "c" in cache
    assert cache.held == 4 and cache.evictions == 1


def _runner(tmp_path: Path, reports: list[Any]) -> tuple[SQLiteStore, AnalysisRunner]:
    settings_ = Settings.from_env(home=tmp_path / "home")
    store = SQLiteStore(settings_.db_path)
    runner = AnalysisRunner(store, settings_, provisional_interval=0.0)
    runner.engine.report_listeners.append(reports.append)
    return store, runner


def test_runner_reads_only_new_rows_and_matches_full_analysis(tmp_path: Path) -> None:
    """Two live batches: the second provisional report counts all 5 events and equals a full analysis."""
    reports: list[Any] = []
    store, runner = _runner(tmp_path, reports)
    try:
        active = session(status=SessionStatus.ACTIVE)
        store.upsert_session(active)
        ev = Events()
        for _ in range(3):
            ev.tool("Bash", "same", error="exit 1")
        ev.read("a.py", 4_000)
        ev.read("a.py", 4_000)
        store.insert_events(ev.items[:3])
        runner.submit(active.id, False)
        assert runner.flush(10)
        store.insert_events(ev.items[3:])
        runner.submit(active.id, False)
        assert runner.flush(10)
        assert [r.event_count for r in reports] == [3, 5]
        assert runner.reloads == 0
        full = analyze_stored(store, active.id, runner.config, reports[-1].generated_at).to_dict()
        _assert_same(reports[-1].to_dict(), full)
    finally:
        runner.close()
        store.close()


def test_row_committed_below_the_last_seen_seq_falls_back_to_a_full_reload(tmp_path: Path) -> None:
    """A row that becomes visible with a smaller seq (concurrent writers) is caught: the session is reloaded."""
    reports: list[Any] = []
    store, runner = _runner(tmp_path, reports)
    try:
        active = session(status=SessionStatus.ACTIVE)
        store.upsert_session(active)
        ev = Events()
        for _ in range(4):
            ev.call(inp=100, out=10)
        store.insert_events(ev.items[:2])
        with store.transaction() as conn:  # leave a gap in seq, as a slower concurrent transaction would
            conn.execute("UPDATE events SET seq = 100 WHERE id = 'e1'")
        runner.submit(active.id, False)
        assert runner.flush(10)
        store.insert_events(ev.items[2:3])  # seq 101
        with store.transaction() as conn:  # the slow transaction commits seq 50 (< last seen 101)
            conn.execute("UPDATE events SET seq = 50 WHERE id = 'e2'")
        store.insert_events(ev.items[3:])  # seq 101 again is free: the store takes max + 1
        runner.submit(active.id, False)
        assert runner.flush(10)
        assert runner.reloads == 1
        assert reports[-1].event_count == 4
        assert reports[-1].totals.input_tokens == 400
    finally:
        runner.close()
        store.close()


def test_costly_live_analysis_is_held_back_in_proportion_to_its_cost(tmp_path: Path) -> None:
    """With a 10% duty, a session whose reports take 2 CPU s waits 20 s for its next live report."""
    store, runner = _runner(tmp_path, [])
    try:
        runner.max_duty = 0.10
        runner._last_provisional["s1"] = 100.0
        runner._cost["s1"] = 2.0
        assert not runner._due("s1", 119.9)
        assert runner._due("s1", 120.0)
        runner._cost["s1"] = 0.001  # cheap: due 0.01 s later
        assert not runner._due("s1", 100.0)
        assert runner._due("s1", 100.02)
    finally:
        runner.close()
        store.close()


def test_live_reports_of_all_sessions_share_one_duty(tmp_path: Path) -> None:
    """With a 25% duty and 32 live sessions whose reports cost 1/128 s each, each session waits 0.25 / 25% = 1 s."""
    store, runner = _runner(tmp_path, [])
    try:
        runner.max_duty = 0.25
        runner.provisional_interval = 0.5
        for i in range(32):
            runner._cost[f"s{i}"] = 1 / 128  # exact in binary: the sums below are exact
        runner._last_provisional["s0"] = 100.0
        assert not runner._due("s0", 100.99)  # one session alone would be due after the 0.5 s interval
        assert runner._due("s0", 101.0)
        runner._drop("s31")  # a dropped session's cost no longer counts: 31/128 / 0.25 = 0.96875 s
        assert not runner._due("s0", 100.96)
        assert runner._due("s0", 100.96875)
        for i in range(1, 31):
            runner._drop(f"s{i}")
        assert not runner._due("s0", 100.49)  # alone again (1/128 / 0.25 = 0.03 s): the interval rules
        assert runner._due("s0", 100.5)
    finally:
        runner.close()
        store.close()


def test_flush_runs_held_back_live_analyses_at_once(tmp_path: Path) -> None:
    """flush() does not wait out an hour of pacing: the held-back provisional analysis runs and is counted."""
    reports: list[Any] = []
    store, runner = _runner(tmp_path, reports)
    try:
        runner.provisional_interval = 3600.0
        active = session(status=SessionStatus.ACTIVE)
        store.upsert_session(active)
        ev = Events()
        ev.call()
        ev.call()
        store.insert_events(ev.items[:1])
        runner.submit(active.id, False)
        assert runner.flush(10)
        store.insert_events(ev.items[1:])
        runner.submit(active.id, False)
        assert runner.flush(10)
        assert [r.event_count for r in reports] == [1, 2]
    finally:
        runner.close()
        store.close()


def test_sessions_evicted_from_a_full_cache_are_reloaded_and_still_counted_right(tmp_path: Path) -> None:
    """With room for 3 held events, two live sessions of 2 and 3 events evict each other and report 2 and 3+1."""
    settings_ = Settings.from_env(home=tmp_path / "home")
    store = SQLiteStore(settings_.db_path)
    runner = AnalysisRunner(store, settings_, provisional_interval=0.0, max_live_events=3)
    reports: list[Any] = []
    runner.engine.report_listeners.append(reports.append)
    try:
        a, b = Events(sid="a"), Events(sid="b")
        for ev, n in ((a, 2), (b, 3)):
            store.upsert_session(session(status=SessionStatus.ACTIVE, sid=ev.sid))
            for _ in range(n):
                ev.call(inp=100, out=1)
            store.insert_events(ev.items)
            runner.submit(ev.sid, False)
            assert runner.flush(10)
        b.call(inp=100, out=1)
        store.insert_events(b.items[3:])
        runner.submit("b", False)
        assert runner.flush(10)
        got = [(r.session_id, r.event_count, r.totals.input_tokens) for r in reports]
        assert got == [("a", 2, 200), ("b", 3, 300), ("b", 4, 400)]
        assert runner._live.evictions == 2  # a made room for b; then b alone is over the bound
    finally:
        runner.close()
        store.close()


class _EventsOnly:
    """A third-party analyzer with only ``analyze(ctx)``: it needs the events."""

    name = "events_only"
    order = 60

    def analyze(self, ctx: Any) -> list[Any]:
        from sessionoptimizer_sdk.analysis import Draft, Severity

        return [Draft("events_only", Severity.LOW, f"{len(ctx.events)} events seen")]


def test_analyze_only_plugins_are_left_out_of_live_reports_and_run_in_the_final_one(
    monkeypatch: Any,
) -> None:
    """A plugin without start/feed/drafts is absent from live reports and sees all 3 events in the final one."""
    from sessionoptimizer_sdk.analysis import analyze_events, registry

    monkeypatch.setattr(registry, "_loaded", (*registry.load_analyzers(), _EventsOnly()))
    ev = Events()
    for _ in range(3):
        ev.call()
    live = LiveAnalysis(lambda: ev.items)
    live.add(ev.items)
    provisional = live.report(session(status=SessionStatus.ACTIVE), NOW)
    final = analyze_events(session(), ev.items)
    assert [f.type for f in provisional.issues if f.type == "events_only"] == []
    assert [f.description for f in final.issues if f.type == "events_only"] == ["3 events seen"]


def test_runner_feeds_new_rows_chunk_by_chunk_and_matches_full_analysis(
    tmp_path: Path, monkeypatch: Any
) -> None:
    """With chunks of 3 rows, 10 new events (one older than the rest) still give the full analysis' report."""
    from sessionoptimizer_sdk.analysis import runner as runner_module

    monkeypatch.setattr(runner_module, "_CHUNK", 3)
    reports: list[Any] = []
    store, runner = _runner(tmp_path, reports)
    try:
        active = session(status=SessionStatus.ACTIVE)
        store.upsert_session(active)
        ev = Events()
        for i in range(9):
            if i % 3:
                ev.tool("Bash", "same", error="exit 1")
            else:
                ev.read("a.py", 4_000)
        ev.call(inp=500, out=50, gap=-60)  # older than the calls before it, stored last
        store.insert_events(ev.items)
        runner.submit(active.id, False)
        assert runner.flush(10)
        assert reports[-1].event_count == 10
        assert runner._live.get(active.id).rebuilds == 1  # the older call arrived in the last chunk
        full = analyze_stored(store, active.id, runner.config, reports[-1].generated_at).to_dict()
        _assert_same(reports[-1].to_dict(), full)
    finally:
        runner.close()
        store.close()
