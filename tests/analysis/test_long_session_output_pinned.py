"""long_session's whole output pinned on hand-timed sessions: text, details, evidence, advice and its boundary."""

from __future__ import annotations

from datetime import timedelta

import pytest

from sessionoptimizer_sdk.analysis import analyze_events
from sessionoptimizer_sdk.analysis.analyzers.long_session import session_minutes
from sessionoptimizer_sdk.analysis.config import AnalysisConfig
from sessionoptimizer_sdk.analysis.context import AnalysisContext
from sessionoptimizer_sdk.analysis.report import Severity
from sessionoptimizer_sdk.models import SessionStatus
from tests.analysis._builders import T0, Events, of_type, session

_ADVICE = (
    "Long sessions carry a growing context into every call: split the task into sessions of under an hour, "
    "or compact/summarise between sub-tasks."
)


def test_active_time_excludes_an_idle_gap_and_the_whole_finding_is_pinned() -> None:
    """Events every 4 minutes over 80 wall minutes with one 10-minute gap: 70 active minutes, flagged in full."""
    ev = Events(step=240)
    for _ in range(10):  # at 4, 8, ..., 40 minutes
        ev.call()
    ev.call(gap=600)  # at 50 minutes: the 10-minute gap is over the 5-minute idle limit and is excluded
    for _ in range(7):  # at 54, 58, ..., 78 minutes; the session ends at 80
        ev.call()
    report = analyze_events(session(minutes=80), ev.items)
    [f] = of_type(report, "long_session")
    # active = 80 wall minutes - the 10-minute gap = 70 (every other gap is 4 or 2 minutes, under 5)
    assert f.description == (
        "The session was active 70 minutes (threshold 60; wall time 80 minutes, gaps over 5 minutes excluded)"
    )
    assert f.severity is Severity.MEDIUM
    assert f.evidence == ("e0", "e17")  # the first and the last of the 18 events
    assert dict(f.details) == {"active_minutes": 70.0, "wall_minutes": 80.0, "threshold": 60.0}
    assert (f.waste_tokens, f.waste_usd) == (0, 0.0)
    [rec] = [r for r in report.recommendations if r.issue_types == ("long_session",)]
    assert (rec.title, rec.detail, rec.estimated_savings_tokens) == ("Split long sessions", _ADVICE, 0)


@pytest.mark.parametrize(("minutes", "flagged"), [(60.0, False), (61.0, True)])
def test_threshold_boundary(minutes: float, flagged: bool) -> None:
    """Exactly 60 active minutes is not flagged; 61 is (events every 5 minutes, a gap of exactly 5 counts)."""
    ev = Events(step=300)
    for _ in range(12):  # at 5, 10, ..., 60 minutes
        ev.call()
    found = of_type(analyze_events(session(minutes=minutes), ev.items), "long_session")
    assert [f.details["active_minutes"] for f in found] == ([minutes] if flagged else [])


def test_session_minutes_of_an_active_session_run_to_now() -> None:
    """session_minutes() on a built context of an ACTIVE session counts up to ``now`` (3 events, now at 4 minutes)."""
    ev = Events(step=60)
    for _ in range(3):  # at 1, 2 and 3 minutes
        ev.call()
    now = T0 + timedelta(minutes=4)
    ctx = AnalysisContext.build(session(status=SessionStatus.ACTIVE), ev.items, AnalysisConfig(), now)
    assert session_minutes(ctx) == (4.0, 4.0)  # every gap (1 minute) is under 5: all 4 minutes are active


@pytest.mark.parametrize(("gap", "active"), [(300.0, 6.0), (300.0002, 1.0)])
def test_idle_gap_boundary_in_the_report(gap: float, active: float) -> None:
    """A pause of exactly 5 minutes is active time; 300.0002 s is idle (report: 1 + 5 or just 1 minute)."""
    ev = Events(step=60)
    ev.call()  # 1 minute after the start
    last = ev.call(gap=gap)
    report = analyze_events(session(status=SessionStatus.ACTIVE), ev.items, now=last.timestamp)
    assert report.active_minutes == active


def test_the_report_keeps_two_decimals_of_active_minutes() -> None:
    """Calls 30 s apart up to now at 4.5 minutes: the report says 4.5 active minutes, not a rounded 4 or 5."""
    ev = Events(step=30)
    for _ in range(9):  # at 0.5, 1.0, ..., 4.5 minutes
        ev.call()
    report = analyze_events(session(status=SessionStatus.ACTIVE), ev.items, now=T0 + timedelta(minutes=4.5))
    assert (report.active_minutes, report.wall_minutes) == (4.5, 4.5)


@pytest.mark.parametrize(
    ("step", "text"), [(362.4, "60.4"), (360.36, "60.1"), (360.24, "60.04"), (366.0, "61")]
)
def test_active_minutes_just_over_the_threshold_read_as_over_it(step: float, text: str) -> None:
    """Ten gaps of 362.4 s (idle limit raised) are 60.4 active minutes: the text says 60.4, never "60"."""
    ev = Events(step=step)
    for _ in range(10):
        ev.call()
    [f] = of_type(
        analyze_events(session(), ev.items, config=AnalysisConfig(idle_gap_minutes=10)), "long_session"
    )
    # active = 10 gaps x step / 60 s: 3,624 -> 60.4, 3,603.6 -> 60.06 ("60.1"), 3,602.4 -> 60.04
    # ("60.0" would not read as over: "60.04"), 3,660 -> 61 minutes
    assert f.description.startswith(f"The session was active {text} minutes (threshold 60;")
