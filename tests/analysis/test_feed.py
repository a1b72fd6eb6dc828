"""The feed behind every analysis: exact running figures, and an error naming a released action."""

from __future__ import annotations

import itertools
from dataclasses import replace
from datetime import timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sessionoptimizer_sdk.analysis import analyze_events
from sessionoptimizer_sdk.analysis.config import AnalysisConfig
from sessionoptimizer_sdk.analysis.feed import Feed, RetroactiveError
from sessionoptimizer_sdk.analysis.live import LiveAnalysis
from sessionoptimizer_sdk.analysis.registry import load_analyzers
from sessionoptimizer_sdk.models import EventType, Session, SessionStatus
from tests.analysis._builders import T0, Events


@settings(max_examples=200, deadline=None)
@given(
    offsets=st.lists(st.integers(-7_200, 7_200), max_size=12),
    start=st.integers(-3_600, 3_600),
    end=st.one_of(st.none(), st.integers(-3_600, 10_800)),
)
def test_active_minutes_equal_a_walk_over_the_sorted_points(
    offsets: list[int], start: int, end: int | None
) -> None:
    """Start and end falling anywhere among the events give the same minutes as walking all sorted points."""
    cfg = AnalysisConfig()
    ev = Events()
    for s in sorted(offsets):
        ev.add(EventType.AI_RESPONSE, gap=0)
        ev.items[-1] = replace(ev.items[-1], timestamp=T0 + timedelta(seconds=s))
    started = T0 + timedelta(seconds=start)
    ended = None if end is None else T0 + timedelta(seconds=end)
    status = SessionStatus.ACTIVE if ended is None else SessionStatus.COMPLETED
    sess = Session("s1", "ATLAS", "t", "sonnet", status, started, ended)
    now = T0 + timedelta(hours=4)
    points = sorted([started, *(e.timestamp for e in ev.items), ended or now])
    idle = cfg.idle_gap_minutes * 60
    gaps = [(b - a).total_seconds() for a, b in itertools.pairwise(points)]
    expected_active = sum(g for g in gaps if 0 < g <= idle) / 60
    expected_wall = (points[-1] - points[0]).total_seconds() / 60
    feed = Feed(sess, cfg, ())
    feed.add(ev.items)
    active, wall = feed.minutes(sess, now)
    assert round(active, 6) == round(expected_active, 6)
    assert wall == expected_wall


def test_error_naming_a_released_action_reanalyses_without_a_window() -> None:
    """An error for a call 70 actions back (beyond the window) still fails that call: 71 calls, 1 agent error."""
    ev = Events()
    ev.add(EventType.TOOL_CALL, data={"tool": "Bash", "args_sha256": "first", "tool_call_id": "c0"})
    for i in range(70):
        ev.read(f"f{i}.py", 10)
    ev.add(EventType.ERROR, data={"message": "exit 1", "tool_call_id": "c0", "tool": "Bash"}, is_error=True)
    sess = Session("s1", "ATLAS", "t", "sonnet", SessionStatus.COMPLETED, T0, T0 + timedelta(hours=1))
    with pytest.raises(RetroactiveError):
        Feed(sess, AnalysisConfig(), load_analyzers()).add(ev.items)
    live = LiveAnalysis(lambda: ev.items)
    live.add(ev.items[:40])
    live.report(replace(sess, status=SessionStatus.ACTIVE, ended_at=None), T0)
    live.add(ev.items[40:])
    provisional = live.report(
        replace(sess, status=SessionStatus.ACTIVE, ended_at=None), T0 + timedelta(hours=1)
    )
    assert live.rebuilds == 1
    assert (provisional.metrics["tool_calls"], provisional.metrics["agent_errors"]) == (71, 1)
    report = analyze_events(sess, ev.items)
    assert report.metrics["tool_calls"] == 71
    assert report.metrics["agent_errors"] == 1
