"""Whole-session rules wait for enough work on a live session; the final report settles provisional alerts."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sessionoptimizer_sdk.alerts import Alert, AlertEngine, CallableNotifier, LowEfficiencyRule
from sessionoptimizer_sdk.analysis import analyze_events
from sessionoptimizer_sdk.models import EventType, Session, SessionEvent, SessionStatus
from sessionoptimizer_sdk.store.sqlite import SQLiteStore

T0 = datetime(2026, 1, 21, 14, 30, tzinfo=UTC)


def _events(rereads: int, responses: int) -> list[SessionEvent]:
    """A 3,000-token file read ``rereads`` times, then ``responses`` productive 3,000-in / 2,000-out responses."""
    out: list[SessionEvent] = []
    for i in range(rereads):
        out.append(
            SessionEvent(
                f"r{i}", "s1", EventType.FILE_READ, T0 + timedelta(seconds=i), {"file_path": "big.py"}, 3000
            )
        )
    for i in range(responses):
        at = T0 + timedelta(seconds=rereads + i)
        out.append(
            SessionEvent(f"a{i}", "s1", EventType.AI_RESPONSE, at, tokens_input=3000, tokens_output=2000)
        )
    return out


def _report(rereads: int, responses: int, *, final: bool) -> Any:
    """A real analysis of the events: provisional while the session is ACTIVE, final once it COMPLETED."""
    status = SessionStatus.COMPLETED if final else SessionStatus.ACTIVE
    events = _events(rereads, responses)
    end = events[-1].timestamp + timedelta(seconds=1)
    session = Session("s1", "ATLAS", "live", "claude-sonnet-4-5", status, T0, end if final else None)
    return analyze_events(session, events, now=end)


def test_low_efficiency_waits_for_enough_work_on_a_live_session() -> None:
    """Three early re-reads of a live session score 20% yet do not fire; the same score on a final report does."""
    rule = LowEfficiencyRule()
    live = _report(3, 0, final=False)
    assert live.provisional and live.efficiency_score < 70 and live.event_count == 3
    assert rule.check(live) is None
    assert rule.check(_report(3, 0, final=True)) is not None
    assert LowEfficiencyRule(provisional_min_events=3, provisional_min_fresh_tokens=0).check(live) is not None


def _engine(tmp_path: Path) -> tuple[SQLiteStore, AlertEngine, list[Alert]]:
    store = SQLiteStore(tmp_path / "s.db")
    got: list[Alert] = []
    rule = LowEfficiencyRule(
        provisional_min_events=3, provisional_min_fresh_tokens=0
    )  # fire on the early part
    return store, AlertEngine(store, rules=[rule], notifiers=[CallableNotifier(got.append)]), got


def test_provisional_alert_resolved_when_the_final_report_no_longer_meets_the_rule(tmp_path: Path) -> None:
    """A provisional low_efficiency alert is marked resolved (stored and delivered) when the final score is fine."""
    store, engine, got = _engine(tmp_path)
    assert [a.rule for a in engine.evaluate(_report(3, 0, final=False))] == ["low_efficiency"]
    final = _report(3, 40, final=True)
    assert final.efficiency_score >= 70
    assert engine.evaluate(final) == []
    assert engine.flush(5)
    (row,) = store.list_alerts(session_id="s1")
    assert row["payload"]["status"] == "resolved" and row["payload"]["provisional"] is False
    assert row["payload"]["final"]["efficiency_score"] == final.efficiency_score
    assert row["message"].startswith("Resolved by the final report")
    assert [(a.status, a.payload.get("provisional")) for a in got] == [("firing", True), ("resolved", False)]
    engine.close()


def test_provisional_alert_gets_the_final_figures_when_it_still_holds(tmp_path: Path) -> None:
    """When the final report still meets the rule, the stored alert shows the final score, not the provisional one."""
    store, engine, got = _engine(tmp_path)
    first = _report(3, 0, final=False)
    engine.evaluate(first)
    final = _report(6, 1, final=True)
    assert final.efficiency_score < 70 and final.efficiency_score != first.efficiency_score
    engine.evaluate(final)
    assert engine.flush(5)
    (row,) = store.list_alerts(session_id="s1")
    assert row["payload"]["efficiency_score"] == final.efficiency_score
    assert row["payload"]["provisional"] is False and row["payload"]["status"] == "firing"
    assert f"{final.efficiency_score:.1f}%" in row["message"]
    assert len(got) == 1  # no second page for the same finding
    engine.close()


def test_store_without_update_keeps_the_alert_and_warns_once(tmp_path: Path) -> None:
    """A store that cannot update alerts still gets the resolution delivered, and nothing raises."""
    store = SQLiteStore(tmp_path / "s.db")
    got: list[Alert] = []
    rule = LowEfficiencyRule(provisional_min_events=3, provisional_min_fresh_tokens=0)
    engine = AlertEngine(store, rules=[rule], notifiers=[CallableNotifier(got.append)])
    engine.evaluate(_report(3, 0, final=False))
    start = time.monotonic()
    engine.evaluate(_report(3, 40, final=True))
    assert time.monotonic() - start < 1.0
    assert engine.flush(5)
    assert [a.status for a in got] == ["firing", "resolved"]
    engine.close()
