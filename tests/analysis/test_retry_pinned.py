"""retry_loop's words, numbers and severity, pinned on hand-built runs (expected text written out in full)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sessionoptimizer_sdk.analysis import AnalysisConfig, AnalysisContext, analyze_events
from sessionoptimizer_sdk.analysis.engine import analyze_context
from sessionoptimizer_sdk.analysis.report import Finding, OptimizationReport, Severity
from sessionoptimizer_sdk.models import EventType, SessionEvent
from tests.analysis._builders import T0, of_type, session

_NOW = T0 + timedelta(hours=1)


def _ev(i: int, kind: EventType, **kw: Any) -> SessionEvent:
    return SessionEvent(f"e{i}", "s1", kind, T0 + timedelta(seconds=i + 1), seq=i, **kw)


def _fail(i: int, tool: str, args: str, message: str, tokens: int = 100) -> SessionEvent:
    data = {"tool": tool, "args_sha256": args, "result_tokens": tokens, "message": message}
    return _ev(i, EventType.TOOL_CALL, is_error=True, data=data)


def _report(events: list[SessionEvent]) -> OptimizationReport:
    return analyze_events(session(), events, now=_NOW)


def _loop(events: list[SessionEvent]) -> Finding:
    (finding,) = of_type(_report(events), "retry_loop")
    assert isinstance(finding, Finding)
    return finding


def test_failing_run_description_advice_and_details() -> None:
    """Three failing Bash calls (args x, x, y) read as 2 retries of 200 tokens with 1 identical repeat."""
    events = [
        _fail(0, "Bash", "x", "no such file"),
        _fail(1, "Bash", "x", "no such file"),
        _fail(2, "Bash", "y", "nope"),
    ]
    report = _report(events)
    (finding,) = of_type(report, "retry_loop")
    assert finding.description == (
        "Bash failed 3 times in a row (1 byte-identical repeat(s)) with no edit between: "
        "2 retries (up to 200 tokens)"
    )
    assert finding.severity is Severity.MEDIUM  # 200 tokens would be LOW: a loop is at least MEDIUM
    assert finding.waste_tokens == 200
    assert finding.evidence == ("e0", "e1", "e2")
    assert dict(finding.details) == {
        "rule": "failing",
        "tool": "Bash",
        "attempts": 3,
        "identical_repeats": 1,
        "messages": ["no such file", "no such file", "nope"],
    }
    (rec,) = [r for r in report.recommendations if r.title == "Break the Bash retry loop"]
    assert rec.detail == (
        "After a failure of Bash, change the approach (read the error, inspect the target) instead of "
        "retrying the same call; cap identical retries at one."
    )
    assert rec.estimated_savings_tokens == 200


def test_a_big_failing_run_is_high_and_messages_are_capped() -> None:
    """Seven failures of 1,000 tokens: 6,000 retried tokens is HIGH; five messages of at most 200 characters."""
    long = "E" * 250
    events = [_fail(i, "Edit", "same", long + str(i), tokens=1_000) for i in range(7)]
    finding = _loop(events)
    assert finding.severity is Severity.HIGH
    assert finding.description.endswith(
        "7 times in a row (6 byte-identical repeat(s)) with no edit between: 6 retries (up to 6,000 tokens)"
    )
    assert finding.details["messages"] == ["E" * 200] * 5


def test_identical_run_description_and_advice() -> None:
    """Four identical Grep calls with the same result read as 3 retries, with advice to reuse the result."""
    events = [
        _ev(
            i,
            EventType.TOOL_CALL,
            data={"tool": "Grep", "args_sha256": "a", "result_sha256": "r", "result_tokens": 50},
        )
        for i in range(4)
    ]
    report = _report(events)
    (finding,) = of_type(report, "retry_loop")
    assert finding.description == (
        "Grep was called 4 times in a row with the same arguments and the same result: 3 retries (up to 150 tokens)"
    )
    assert (finding.details["rule"], finding.details["identical_repeats"]) == ("identical", 3)
    (rec,) = [r for r in report.recommendations if r.title == "Break the Grep retry loop"]
    assert (
        rec.detail == "Stop repeating Grep when its result does not change; use the result you already have."
    )


def test_a_run_that_is_both_failing_and_identical_is_reported_twice() -> None:
    """Four identical failing calls are a failing and an identical loop; the second stays with its tokens taken."""
    events = [
        _ev(
            i,
            EventType.TOOL_CALL,
            is_error=True,
            data={
                "tool": "Grep",
                "args_sha256": "a",
                "result_sha256": "r",
                "result_tokens": 50,
                "message": "x",
            },
        )
        for i in range(4)
    ]
    found = of_type(_report(events), "retry_loop")
    assert [(f.details["rule"], f.waste_tokens) for f in found] == [("failing", 150), ("identical", 0)]


def test_analyze_context_is_analyze_events_on_a_built_context() -> None:
    """analyze_context on a built context reports what analyze_events reports for the same events and subagents."""
    events = [_fail(0, "Bash", "x", "boom"), _fail(1, "Bash", "x", "boom"), _fail(2, "Bash", "x", "boom")]
    sub = session(sid="sub1", agent="ATLAS")
    sub_events = [_ev(9, EventType.AI_RESPONSE, tokens_input=100, tokens_output=10)]
    ctx = AnalysisContext.build(session(), events, AnalysisConfig(), _NOW)
    got = analyze_context(ctx, [(sub, sub_events)])
    want = analyze_events(session(), events, now=_NOW, subagents=[(sub, sub_events)])
    assert got.to_dict() == want.to_dict()
    assert [f.waste_tokens for f in of_type(got, "retry_loop")] == [200]
    assert got.subagents["count"] == 1
