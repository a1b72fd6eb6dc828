"""The feed's view of tool errors, thinking and token facts, pinned through the report a user reads.

Every expected count is worked out by hand from the events of each test (which error attaches to which call).
"""

from __future__ import annotations

import math
from datetime import timedelta
from typing import Any

from sessionoptimizer_sdk.analysis import AnalysisConfig, AnalysisContext, OptimizationReport, analyze_events
from sessionoptimizer_sdk.analysis.analyzers.high_waste import HighWasteAnalyzer
from sessionoptimizer_sdk.analysis.analyzers.repeated_file_read import RepeatedFileReadAnalyzer
from sessionoptimizer_sdk.analysis.base import Draft
from sessionoptimizer_sdk.analysis.feed import feed_all
from sessionoptimizer_sdk.analysis.report import Finding, Severity
from sessionoptimizer_sdk.models import ErrorKind, EventType, SessionEvent, SessionStatus
from tests.analysis._builders import T0, of_type, session

_NOW = T0 + timedelta(hours=1)


def _ev(i: int, kind: EventType, **kw: Any) -> SessionEvent:
    return SessionEvent(
        id=f"e{i}", session_id="s1", event_type=kind, timestamp=T0 + timedelta(seconds=i + 1), seq=i, **kw
    )


def _tool(i: int, tool: str, **data: Any) -> SessionEvent:
    return _ev(i, EventType.TOOL_CALL, data={"tool": tool, **data})


def _err(i: int, name: str | None = None, error_type: str | None = None, **data: Any) -> SessionEvent:
    return _ev(i, EventType.ERROR, name=name, error_type=error_type, data=data)


def _report(events: list[SessionEvent]) -> OptimizationReport:
    return analyze_events(session(), events, now=_NOW)


def _counts(r: OptimizationReport) -> tuple[float, ...]:
    m = r.metrics
    return (m["tool_calls"], m["agent_errors"], m["user_rejections"], m["permission_denials"])


def test_an_error_attaches_to_the_open_call_before_it() -> None:
    """A tool-less error after an open call fails that call: one call, one agent error."""
    assert _counts(_report([_tool(0, "Bash"), _err(1, message="boom")])) == (1, 1, 0, 0)


def test_an_error_after_a_failed_call_stands_alone() -> None:
    """A second tool-less error cannot fail an already failed call: it is a call of its own."""
    r = _report([_tool(0, "Bash"), _err(1, message="boom"), _err(2, message="again")])
    assert _counts(r) == (2, 2, 0, 0)


def test_an_error_naming_another_tool_stands_alone_and_the_open_call_stays_last() -> None:
    """An error of tool Grep after a Bash call stands alone; a following tool-less error still fails the Bash call."""
    r = _report([_tool(0, "Bash"), _err(1, name="Grep", message="x"), _err(2, message="y")])
    assert _counts(r) == (2, 2, 0, 0)
    r = _report([_tool(0, "Bash"), _err(1, name="Grep", message="x")])
    assert _counts(r) == (2, 1, 0, 0)


def test_the_tool_named_in_the_data_wins_over_the_event_name() -> None:
    """``data['tool']`` names the failing tool before the event's name: Grep's error fails the open Grep call."""
    r = _report([_tool(0, "Grep"), _err(1, name="Other", tool="Grep", message="x")])
    assert _counts(r) == (1, 1, 0, 0)
    r = _report([_tool(0, "Grep"), _err(1, tool="Bash", message="x")])
    assert _counts(r) == (2, 1, 0, 0)


def test_an_error_naming_a_call_id_fails_that_call_not_the_last() -> None:
    """An error with a tool_call_id fails the call it names, and the next tool-less error stands alone."""
    events = [
        _tool(0, "Bash", tool_call_id="c1"),
        _tool(1, "Grep"),
        _err(2, tool_call_id="c1", message="boom"),
    ]
    r = _report(events)
    assert _counts(r) == (2, 1, 0, 0)
    r = _report([*events, _err(3, message="later")])
    assert _counts(r) == (3, 2, 0, 0)


def test_an_error_naming_an_unknown_call_stands_alone() -> None:
    """An error whose tool_call_id matches no call is a failed call of its own, not the open one's failure."""
    assert _counts(_report([_tool(0, "Bash"), _err(1, tool_call_id="zzz", message="x")])) == (2, 1, 0, 0)


def test_error_text_and_kind_sources() -> None:
    """``message`` is read before ``error``, an explicit error_kind or error_type wins over the text."""
    events = [
        _tool(0, "Bash"),
        _err(1, message="Exit code 1", error="permission denied"),  # agent error (message first)
        _err(2, error="user rejected the call"),  # alone: a rejection
        _err(3, error_kind="permission_denied", message="boom"),  # alone: a denial
        _err(4, error_type="user_rejection", message="boom"),  # alone: a rejection
    ]
    assert _counts(_report(events)) == (4, 1, 2, 1)


def test_failed_tool_call_text_and_kind_sources() -> None:
    """A failed tool event's ``error`` is read before ``message``; data error_kind and error_type win over the text."""
    events = [
        _ev(
            0,
            EventType.TOOL_CALL,
            is_error=True,
            data={"tool": "Bash", "error": "user rejected", "message": "x"},
        ),
        _ev(1, EventType.TOOL_CALL, is_error=True, data={"tool": "Bash", "error_kind": "permission_denied"}),
        _ev(2, EventType.TOOL_CALL, is_error=True, error_type="user_rejection", data={"tool": "Bash"}),
        _ev(3, EventType.TOOL_CALL, is_error=True, data={"tool": "Bash", "message": "plain"}),
    ]
    assert _counts(_report(events)) == (4, 1, 2, 1)


def test_a_test_tool_failure_is_a_test_failure() -> None:
    """A plain failure of a tool named like a test runner is classed a test failure (by_kind of the finding)."""
    events = [
        _ev(i, EventType.TOOL_CALL, is_error=True, data={"tool": "run_tests", "message": "exit 2"})
        for i in range(3)
    ]
    (finding,) = of_type(_report(events), "high_error_rate")
    assert finding.details["by_kind"] == {"test_failure": 3}
    assert finding.evidence == ("e0", "e1", "e2")


def test_high_error_rate_evidence_names_the_failed_calls() -> None:
    """The failing calls a finding cites are the ones the errors named (by call id), not the last open ones."""
    events = [
        _tool(0, "Bash", tool_call_id="a"),
        _tool(1, "Grep", tool_call_id="b"),
        _tool(2, "Read", tool_call_id="c"),
        _err(3, tool_call_id="a", message="boom"),
        _err(4, tool_call_id="b", message="boom"),
    ]
    (finding,) = of_type(_report(events), "high_error_rate")
    assert finding.evidence == ("e0", "e1")
    assert "2 of 3 tool calls failed" in finding.description


def test_a_denied_call_without_a_tool_is_listed_as_error() -> None:
    """A permission denial with no tool named is advised on as the tool 'error'."""
    r = _report([_err(0, message="Permission denied")])
    (rec,) = [x for x in r.recommendations if x.title == "Allow-list the denied commands"]
    assert "1 tool call(s) were denied by permissions (error)" in rec.detail


def test_a_denied_tool_is_named_in_the_advice() -> None:
    """A permission denial of a named tool lists that tool in the allow-list advice."""
    r = _report([_tool(0, "Bash"), _err(1, tool="WebFetch", message="Permission denied")])
    (rec,) = [x for x in r.recommendations if x.title == "Allow-list the denied commands"]
    assert "(WebFetch)" in rec.detail


def test_retry_loop_keeps_the_first_message_and_every_error_event() -> None:
    """A failing retry run lists each attempt's first error message and every error event as evidence."""
    events = [
        _tool(0, "Bash", args_sha256="x", tool_call_id="c0"),
        _err(1, tool_call_id="c0", message="first", error="other"),
        _err(2, tool_call_id="c0", message="second"),
        _tool(3, "Bash", args_sha256="x", tool_call_id="c3"),
        _err(4, tool_call_id="c3", error="only error"),
        _tool(5, "Bash", args_sha256="x", tool_call_id="c5"),
        _err(6, tool_call_id="c5", message="third"),
    ]
    (finding,) = of_type(_report(events), "retry_loop")
    assert finding.details["messages"] == ["first", "only error", "third"]
    assert finding.evidence == ("e0", "e1", "e2", "e3", "e4", "e5", "e6")


def test_identical_retries_claim_their_calls_one_token_each() -> None:
    """Repeats of a call claim their content and every fresh token of the calls that made them, even 1-token ones."""
    events: list[SessionEvent] = []
    for k in range(4):
        events.append(
            _ev(2 * k, EventType.AI_RESPONSE, tokens_input=1, cache_write_tokens=1, tokens_output=1)
        )
        events.append(_tool(2 * k + 1, "Grep", args_sha256="same", result_sha256="same", result_tokens=10))
    (finding,) = of_type(_report(events), "retry_loop")
    # three repeats: 10 content + 3 fresh tokens of the call before each = 39
    assert "3 retries (up to 39 tokens)" in finding.description
    assert finding.waste_tokens == 39


def _thinking(events: list[SessionEvent]) -> tuple[str, float, tuple[str, ...]]:
    r = _report(events)
    return r.thinking_basis, r.metrics["thinking_tokens"], r.notes


def test_estimated_thinking_sums_blocks_of_one_response() -> None:
    """Two stored thinking blocks of one response add up; encrypted blocks with an estimate are estimated."""
    events = [
        _ev(0, EventType.THINKING, data={"estimated_tokens": 120, "response_id": "r1"}),
        _ev(1, EventType.THINKING, data={"estimated_tokens": 30, "response_id": "r1"}),
        _ev(2, EventType.THINKING, data={"estimated_tokens": 8, "encrypted": True}),
        _ev(3, EventType.AI_RESPONSE, tokens_output=400),
    ]
    basis, tokens, _ = _thinking(events)
    assert (basis, tokens) == ("estimated", 158.0)


def test_encrypted_thinking_without_estimate_is_not_measurable() -> None:
    """Encrypted thinking with no estimate makes the thinking share 'not measurable' (null), with a note."""
    r = _report(
        [_ev(0, EventType.THINKING, data={"encrypted": True}), _ev(1, EventType.AI_RESPONSE, tokens_output=9)]
    )
    assert r.thinking_basis == "not_measurable"
    assert math.isnan(r.metrics["thinking_share"])
    assert "thinking share not measurable: the transcript stores only thinking signatures" in r.notes


def test_result_token_floats_and_junk() -> None:
    """A float result_tokens counts truncated; 0.0 is zero; 1e18 and more is junk (the billed input counts)."""
    cfg = AnalysisConfig()
    big = cfg.large_read_tokens + 1_000

    def large(result: object, billed: int) -> list[Any]:
        read = _ev(
            0, EventType.FILE_READ, tokens_input=billed, data={"file_path": "big.py", "result_tokens": result}
        )
        return of_type(_report([read]), "large_uncompressed_read")

    assert large(float(big) + 0.7, 0)  # counted as `big`
    assert not large(0.0, big)  # zero content, whatever was billed
    assert not large(0.5, big)  # truncates to zero
    assert large(1e18, big)  # junk: the billed input is the content
    assert not large(1e18, 10)


def test_a_negative_1h_cache_write_split_is_ignored() -> None:
    """A junk (negative) 1-hour cache-write count prices the writes as if the split were absent."""

    def cost(extra: dict[str, Any]) -> float | None:
        call = _ev(
            0, EventType.AI_RESPONSE, tokens_input=10, cache_write_tokens=10_000, tokens_output=5, data=extra
        )
        return _report([call]).cost_usd

    plain = cost({})
    assert plain is not None and plain > 0
    assert cost({"cache_write_1h_tokens": -5_000}) == plain
    assert cost({"cache_write_1h_tokens": 4_000.0}) == cost({"cache_write_1h_tokens": 4_000}) != plain


def test_a_builtin_analyzer_run_on_its_own_context() -> None:
    """A built-in detector's analyze(ctx) on a built context returns its drafts (a plugin may compose them)."""
    events = [
        _ev(0, EventType.FILE_READ, data={"file_path": "a.py", "result_tokens": 3_000, "result_sha256": "h"}),
        _ev(1, EventType.FILE_READ, data={"file_path": "a.py", "result_tokens": 3_000, "result_sha256": "h"}),
    ]
    ctx = AnalysisContext.build(session(), events, AnalysisConfig(), _NOW)
    drafts = [d for d in RepeatedFileReadAnalyzer().analyze(ctx) if isinstance(d, Draft)]
    assert [d.type for d in drafts] == ["repeated_file_read"]
    assert sum(c.tokens for c in drafts[0].claims if c.pool == "content") == 3_000
    assert drafts[0].evidence[:2] == ("e0", "e1")


def test_high_waste_on_its_own_context_reads_the_findings_given() -> None:
    """HighWasteAnalyzer.analyze(ctx) sums the findings already on the context (3,000 + 2,500 > 5,000)."""
    ctx = AnalysisContext.build(session(), [], AnalysisConfig(), _NOW)
    ctx.findings = [
        Finding("repeated_file_read", Severity.MEDIUM, "r", waste_tokens=3_000, evidence=("e1",)),
        Finding("retry_loop", Severity.MEDIUM, "t", waste_tokens=2_500, evidence=("e2",)),
    ]
    (draft,) = HighWasteAnalyzer().analyze(ctx)
    assert isinstance(draft, Draft)
    assert draft.details["total_waste_tokens"] == 5_500
    assert draft.evidence == ("e1", "e2")


def test_a_denied_command_is_named_by_its_first_60_characters() -> None:
    """A denied shell call is listed as 'tool: command' with the command cut at 60 characters."""
    command = "rm -rf " + "x" * 70
    denied = _ev(
        0,
        EventType.TOOL_CALL,
        is_error=True,
        data={"tool": "Bash", "command": command, "message": "was blocked"},
    )
    (rec,) = [x for x in _report([denied]).recommendations if x.title == "Allow-list the denied commands"]
    assert f"(Bash: {command[:60]})" in rec.detail
    assert command[:61] not in rec.detail


def _identical_grep(result_tokens: object, billed: int = 0) -> list[SessionEvent]:
    data = {"tool": "Grep", "args_sha256": "a", "result_sha256": "r", "result_tokens": result_tokens}
    return [_ev(i, EventType.TOOL_CALL, tokens_input=billed, data=data) for i in range(4)]


def test_retried_content_takes_float_result_tokens_truncated() -> None:
    """Repeats of 50.7 tokens retry 3 x 50; of 0.5 or 0.0 only their billed 3 x 7; junk 1e18 counts the billed 7.

    For 1e18 the content claim falls on the billed input too: "up to" counts those 21 input tokens once, as the
    settlement does.
    """

    def loop(result: object, billed: int = 0) -> Finding:
        (finding,) = of_type(_report(_identical_grep(result, billed)), "retry_loop")
        assert isinstance(finding, Finding)
        return finding

    assert "3 retries (up to 150 tokens)" in loop(50.7).description
    for zero in (0.5, 0.0):
        assert "3 retries (up to 21 tokens)" in loop(zero, 7).description
    junk = loop(1e18, 7)
    assert "3 retries (up to 21 tokens)" in junk.description
    assert junk.waste_tokens == 21


def test_live_report_settles_retried_calls_without_the_events() -> None:
    """A live report (no events held) settles the 1-token fresh claims of retried calls: 39 tokens as in full."""
    from sessionoptimizer_sdk.analysis.live import LiveAnalysis

    events: list[SessionEvent] = []
    for k in range(4):
        events.append(
            _ev(2 * k, EventType.AI_RESPONSE, tokens_input=1, cache_write_tokens=1, tokens_output=1)
        )
        events.append(_tool(2 * k + 1, "Grep", args_sha256="same", result_sha256="same", result_tokens=10))
    live = LiveAnalysis()
    live.add(events)
    report = live.report(session(status=SessionStatus.ACTIVE), _NOW)
    (finding,) = of_type(report, "retry_loop")
    assert finding.waste_tokens == 39
    assert dict(finding.waste_by_kind) == {"content": 30, "input": 3, "cache_write": 3, "output": 3}


def test_an_active_session_runs_to_now_for_a_detector_run_on_its_own() -> None:
    """Events every 4 minutes for 56 minutes, now 5 minutes after the last: 61 active minutes, over the 60 limit."""
    from sessionoptimizer_sdk.analysis.analyzers.long_session import LongSessionAnalyzer

    events = [
        SessionEvent(f"e{i}", "s1", EventType.USER_MESSAGE, T0 + timedelta(minutes=4 * i), seq=i)
        for i in range(15)
    ]
    sess = session(status=SessionStatus.ACTIVE)
    ctx = AnalysisContext.build(sess, events, AnalysisConfig(), T0 + timedelta(minutes=61))
    (draft,) = LongSessionAnalyzer().analyze(ctx)
    assert isinstance(draft, Draft)
    assert draft.description == (
        "The session was active 61 minutes (threshold 60; wall time 61 minutes, gaps over 5 minutes excluded)"
    )
    assert draft.evidence == ("e0", "e14")


def test_a_spike_at_a_cache_miss_is_named_by_the_miss() -> None:
    """Three calls of 100 fresh tokens, then 5,100 after a 400 s gap: a 51x spike caused by the cache rewrite."""
    calls = [
        _ev(0, EventType.AI_RESPONSE, tokens_input=100, cache_read_tokens=5_000),
        _ev(1, EventType.AI_RESPONSE, tokens_input=100, cache_read_tokens=5_000),
        _ev(2, EventType.AI_RESPONSE, tokens_input=100, cache_read_tokens=5_000),
        SessionEvent(
            "e3",
            "s1",
            EventType.AI_RESPONSE,
            T0 + timedelta(seconds=403),
            seq=3,
            tokens_input=100,
            cache_write_tokens=5_000,
        ),
    ]
    (finding,) = of_type(_report(calls), "token_spike")
    assert finding.details["spikes"] == [
        {
            "event_id": "e3",
            "fresh_tokens": 5_100,
            "ratio": 51.0,
            "cause": "prompt-cache rewrite (ttl expired)",
        }
    ]
    caches = feed_all(session(), calls, AnalysisConfig(), ()).caches
    assert caches.spike_id(3) == "e3"


def test_a_later_generic_error_keeps_a_denial_a_denial_and_a_later_rejection_shows_its_own_text() -> None:
    """Errors naming one call: a denial then "boom" stays a denial; "boom" then a rejection is one, with its text."""
    denial = "Permission denied: rm"
    denied = _ev(
        0, EventType.TOOL_CALL, is_error=True, data={"tool": "Bash", "tool_call_id": "c1", "message": denial}
    )
    events = [denied, _err(1, tool_call_id="c1", message="boom")]
    assert _counts(_report(events)) == (1, 0, 0, 1)  # one call, a permission denial (not the agent's error)
    [action] = feed_all(session(), events, AnalysisConfig(), ()).open
    assert (action.error_kind, action.message) == (ErrorKind.PERMISSION_DENIED, denial)

    rejection = "The user doesn't want to proceed with this tool use."
    failed = _ev(
        0, EventType.TOOL_CALL, is_error=True, data={"tool": "Bash", "tool_call_id": "c1", "message": "boom"}
    )
    events = [failed, _err(1, tool_call_id="c1", message=rejection)]
    assert _counts(_report(events)) == (1, 0, 1, 0)  # the rejection decides the kind
    [action] = feed_all(session(), events, AnalysisConfig(), ()).open
    assert (action.error_kind, action.message) == (ErrorKind.USER_REJECTION, rejection)
