"""retry_loop's whole output on identical actions whose result is known only by its content hash (by hand)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from sessionoptimizer_sdk.analysis import analyze_events
from sessionoptimizer_sdk.analysis.report import Severity
from sessionoptimizer_sdk.models import EventType
from tests.analysis._builders import T0, Events, of_type, session


def test_a_content_hash_identifies_the_result_of_an_identical_call() -> None:
    """Four Grep calls with the same arguments and content hash are an identical-result loop: 3 retries, 300 tokens."""
    ev = Events()
    for _ in range(4):
        data = {"tool": "Grep", "args_sha256": "a", "content_sha256": "r", "result_tokens": 100}
        ev.add(EventType.TOOL_CALL, data=data)
    report = analyze_events(session(), ev.items, now=T0 + timedelta(hours=1))
    [f] = of_type(report, "retry_loop")
    # every call after the first is a retry: 3 x 100 result tokens
    assert f.description == (
        "Grep was called 4 times in a row with the same arguments and the same result: 3 retries (up to 300 tokens)"
    )
    assert f.severity is Severity.MEDIUM  # a loop is at least MEDIUM, whatever its size
    assert f.evidence == ("e0", "e1", "e2", "e3")
    assert dict(f.details) == {
        "rule": "identical",
        "tool": "Grep",
        "attempts": 4,
        "identical_repeats": 3,
        "messages": [],
    }
    assert (f.waste_tokens, dict(f.waste_by_kind)) == (300, {"content": 300})
    assert f.waste_usd == pytest.approx(300 * 3e-6, abs=1e-12)  # sonnet input $3/M: $0.0009
    [rec] = [r for r in report.recommendations if r.issue_types == ("retry_loop",)]
    assert rec.title == "Break the Grep retry loop"
    assert (
        rec.detail == "Stop repeating Grep when its result does not change; use the result you already have."
    )


def test_up_to_counts_a_token_claimed_as_result_and_as_input_once() -> None:
    """Tool events billed 21 input tokens with no result size: 3 failures, 2 retries, "up to 42", equal to the waste."""
    ev = Events()
    for _ in range(3):
        data = {"tool": "Bash", "args_sha256": "a", "result_sha256": "r", "message": "boom"}
        ev.add(EventType.TOOL_CALL, data=data, tokens_input=21, is_error=True)
    [f] = of_type(analyze_events(session(), ev.items, now=T0 + timedelta(hours=1)), "retry_loop")
    # the two retries' 21 input tokens each: 2 x 21 = 42 (their content is billed in those same input tokens)
    assert f.description.endswith(": 2 retries (up to 42 tokens)")
    assert (f.waste_tokens, dict(f.waste_by_kind)) == (42, {"input": 42})
