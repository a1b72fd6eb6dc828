"""A live session with subagents: the runner keeps their roll-up and its reports equal a full re-analysis."""

from __future__ import annotations

import itertools
from dataclasses import replace
from datetime import timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sessionoptimizer_sdk.analysis.config import AnalysisConfig
from sessionoptimizer_sdk.analysis.live import LiveAnalysis
from sessionoptimizer_sdk.analysis.runner import AnalysisRunner, analyze_stored
from sessionoptimizer_sdk.config import Settings
from sessionoptimizer_sdk.models import Session, SessionEvent, SessionStatus
from sessionoptimizer_sdk.store.sqlite import SQLiteStore
from tests.analysis._builders import T0, Events, session
from tests.analysis.test_live import _build, _steps

NOW = T0 + timedelta(hours=30)


def _sub_events(sid: str, start_s: float, reads: list[tuple[str, int]]) -> list[SessionEvent]:
    """The subagent's reads of ``(path, tokens)``, a minute apart from ``start_s`` seconds after T0."""
    ev = Events(step=60.0, sid=sid)
    ev.t = T0 + timedelta(seconds=start_s)
    for path, tokens in reads:
        ev.read(path, tokens)
    return [replace(e, id=f"{sid}-{e.id}") for e in ev.items]


def _runner(tmp_path: Any, cfg: AnalysisConfig) -> tuple[SQLiteStore, AnalysisRunner]:
    store = SQLiteStore(tmp_path / "s.db")
    return store, AnalysisRunner(store, Settings.from_env(home=tmp_path), config=cfg)


def _parent_and_ended_kid(store: SQLiteStore) -> Session:
    """An ACTIVE parent started at T0 and its subagent ``k1``, started at T0+30 s and ended at T0+2 min."""
    parent = session(status=SessionStatus.ACTIVE)
    store.upsert_session(parent)
    kid = replace(
        session(sid="k1"), started_at=T0 + timedelta(seconds=30), ended_at=T0 + timedelta(minutes=2)
    )
    store.upsert_session(replace(kid, metadata={"parent_session_id": parent.id}))
    return parent


def _assert_same(live: dict[str, Any], full: dict[str, Any]) -> None:
    assert live.keys() == full.keys()
    for key in full:
        assert live[key] == full[key], key


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    steps=_steps(),
    cuts=st.lists(st.integers(0, 40), max_size=5),
    reads=st.lists(
        st.tuples(st.sampled_from(["a.py", "b.py", "c.md"]), st.sampled_from([0, 50, 4_000])), max_size=4
    ),
    sub_start=st.sampled_from([5.0, 200.0, 3_000.0]),
    sub_grows_at=st.integers(0, 6),
)
def test_provisional_reports_with_subagents_equal_a_full_reanalysis(
    tmp_path_factory: Any,
    steps: list[tuple[str, float, dict[str, Any]]],
    cuts: list[int],
    reads: list[tuple[str, int]],
    sub_start: float,
    sub_grows_at: int,
) -> None:
    """After each batch of the parent's events (the subagent ending, growing, or events out of order), equal."""
    tmp_path = tmp_path_factory.mktemp("subs")
    cfg = AnalysisConfig()
    store, runner = _runner(tmp_path, cfg)
    try:
        parent = session(status=SessionStatus.ACTIVE)
        store.upsert_session(parent)
        sub_events = _sub_events("k1", sub_start, reads)
        end = T0 + timedelta(seconds=sub_start + 60 * (len(reads) + 1))
        kid = replace(session(sid="k1"), started_at=T0 + timedelta(seconds=1), ended_at=end)
        store.upsert_session(replace(kid, metadata={"parent_session_id": parent.id}))
        store.insert_events(sub_events)
        events = _build(steps)
        bounds = sorted({0, len(events), *(c for c in cuts if c < len(events))})
        live = LiveAnalysis(lambda: store.get_events(parent.id))
        for i, (lo, hi) in enumerate(itertools.pairwise(bounds)):
            store.insert_events(events[lo:hi])
            if i == sub_grows_at:  # the subagent's rows change: a kept roll-up must not be reused
                grown = _sub_events("k1", sub_start + 30, [("a.py", 77)])
                assert store.insert_events([replace(e, id=f"{e.id}-grown") for e in grown]) == 1
            live.add(store.get_events_after(parent.id, live.last_seq))
            got = runner._live_report(live, store.get_session(parent.id), NOW).to_dict()
            _assert_same(got, analyze_stored(store, parent.id, cfg, NOW).to_dict())
    finally:
        runner.close()
        store.close()


def test_an_ended_subagents_roll_up_is_reused_without_reloading_the_parent(tmp_path: Any) -> None:
    """Once the subagent ended, new parent events after it reuse the roll-up; the re-read stays counted.

    The parent reads a.py (4,000 tokens) at T0+10 s; the subagent reads it again at T0+60 s, unchanged: 4,000
    cross-agent re-read tokens. The parent's later reads cannot change that, so the parent's events are loaded
    only for the first report.
    """
    cfg = AnalysisConfig()
    store, runner = _runner(tmp_path, cfg)
    loads: list[int] = []
    try:
        parent = _parent_and_ended_kid(store)
        store.insert_events(_sub_events("k1", 0.0, [("a.py", 4_000)]))  # at T0 + 60 s
        ev = Events(step=10.0)
        ev.read("a.py", 4_000)  # T0 + 10 s
        store.insert_events(ev.items)

        def reload() -> list[SessionEvent]:
            loads.append(1)
            return store.get_events(parent.id)

        live = LiveAnalysis(reload)
        reports = []
        for minute in (5, 6, 7):  # each batch after the subagent's end
            ev.t = T0 + timedelta(minutes=minute)
            ev.read("a.py", 4_000)
            ev.call(inp=500, out=50)
            store.insert_events(ev.items[-2:])
            live.add(store.get_events_after(parent.id, live.last_seq))
            report = runner._live_report(live, store.get_session(parent.id), NOW)
            _assert_same(report.to_dict(), analyze_stored(store, parent.id, cfg, NOW).to_dict())
            reports.append(report)
        assert [r.subagents["cross_agent_rereads"][0]["tokens"] for r in reports] == [4_000] * 3
        assert [r.event_count for r in reports] == [3, 5, 7]
        assert runner.rollups_reused == 2
        assert len(loads) == 1
    finally:
        runner.close()
        store.close()


def test_a_late_parent_read_before_the_subagents_read_is_counted(tmp_path: Any) -> None:
    """A parent event older than the kept roll-up's (out of order) rebuilds the state and the roll-up.

    The subagent reads b.py (900 tokens) at T0+60 s; the parent's read of b.py at T0+40 s arrives after the
    reports at minute 5: from then on that subagent read is a cross-agent re-read of 900 tokens.
    """
    cfg = AnalysisConfig()
    store, runner = _runner(tmp_path, cfg)
    try:
        parent = _parent_and_ended_kid(store)
        store.insert_events(_sub_events("k1", 0.0, [("b.py", 900)]))  # at T0 + 60 s
        ev = Events(step=10.0)
        live = LiveAnalysis(lambda: store.get_events(parent.id))
        got = []
        for minute in (5, 6, None, 7):
            if minute is None:
                ev.t = T0 + timedelta(seconds=30)
                ev.read("b.py", 900)  # T0 + 40 s: late, before the subagent's read
            else:
                ev.t = T0 + timedelta(minutes=minute)
                ev.call(inp=100, out=10)
            store.insert_events(ev.items[-1:])
            live.add(store.get_events_after(parent.id, live.last_seq))
            report = runner._live_report(live, store.get_session(parent.id), NOW)
            _assert_same(report.to_dict(), analyze_stored(store, parent.id, cfg, NOW).to_dict())
            got.append(sum(r["tokens"] for r in report.subagents["cross_agent_rereads"]))
        assert got == [0, 0, 900, 900]
        assert runner.rollups_reused == 2  # minute 6 and minute 7
    finally:
        runner.close()
        store.close()


def test_a_running_subagent_is_rolled_up_afresh_on_every_report(tmp_path: Any) -> None:
    """While a subagent is active its figures may change at any time: nothing is kept."""
    cfg = AnalysisConfig()
    store, runner = _runner(tmp_path, cfg)
    try:
        parent = session(status=SessionStatus.ACTIVE)
        store.upsert_session(parent)
        kid = replace(
            session(sid="k1", status=SessionStatus.ACTIVE), metadata={"parent_session_id": parent.id}
        )
        store.upsert_session(kid)
        store.insert_events(_sub_events("k1", 0.0, [("b.py", 100)]))
        ev = Events(step=10.0)
        live = LiveAnalysis(lambda: store.get_events(parent.id))
        for _ in range(3):
            ev.call(inp=100, out=10)
            store.insert_events(ev.items[-1:])
            live.add(store.get_events_after(parent.id, live.last_seq))
            report = runner._live_report(live, store.get_session(parent.id), NOW)
            assert report.subagents["count"] == 1
            _assert_same(report.to_dict(), analyze_stored(store, parent.id, cfg, NOW).to_dict())
        assert runner.rollups_reused == 0
    finally:
        runner.close()
        store.close()
