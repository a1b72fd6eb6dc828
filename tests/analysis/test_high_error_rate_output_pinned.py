"""high_error_rate's whole output on small sessions: text, severity, details, waste, USD and advice (by hand).

Prices: the test session's model ``sonnet`` costs $3/M input (tool-result content is priced as input) and
$15/M output.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from sessionoptimizer_sdk.analysis import analyze_events
from sessionoptimizer_sdk.analysis.analyzers.high_error_rate import error_stats
from sessionoptimizer_sdk.analysis.config import AnalysisConfig
from sessionoptimizer_sdk.analysis.context import AnalysisContext
from sessionoptimizer_sdk.analysis.report import OptimizationReport, Severity
from sessionoptimizer_sdk.models import EventType
from tests.analysis._builders import T0, Events, of_type, session

_ALLOW = (
    "{n} tool call(s) were denied by permissions ({tools}); these are not agent mistakes. If the agent needs "
    "them, allow-list them in the agent's permission settings; if not, tell the agent up front so it does not try."
)
_PRECONDITIONS = (
    ": check preconditions (paths exist, strings to replace are current, dependencies installed) before "
    "calling tools."
)


def _report(ev: Events) -> OptimizationReport:
    return analyze_events(session(), ev.items, now=T0 + timedelta(hours=1))


def test_mixed_failures_pin_the_whole_finding_and_both_recommendations() -> None:
    """Three agent failures in eight calls give the exact text, details, waste, USD and advice a user reads."""
    ev = Events()
    ev.tool("Bash", "a", error="exit 1", tokens=300)
    ev.tool("Bash", "b", error="No such file: x.py", tokens=200, tokens_input=40, tokens_output=60)
    ev.tool("Edit", "c", error="Command timed out after 120s", tokens=100)
    ev.tool("Bash", "d", error="The user doesn't want to proceed", tokens=100)  # rejection: not counted
    ev.tool("Bash", "e", error="rm requires approval", tokens=100)  # denial: not counted
    for args in "fgh":
        ev.tool("Read", args)
    report = _report(ev)
    [f] = of_type(report, "high_error_rate")
    # 3 counted failures (2 agent errors + 1 timeout) of 8 calls = 0.375 -> "38%"
    assert f.description == (
        "3 of 8 tool calls failed by the agent's doing (38%, threshold 30%); rejections and denials not counted"
    )
    assert f.severity is Severity.HIGH
    assert f.evidence == ("e0", "e1", "e2")
    assert dict(f.details) == {
        "tool_calls": 8.0,
        "agent_errors": 3.0,
        "error_rate": 0.375,
        "redacted_tool_outputs": 0.0,
        "user_rejections": 1.0,
        "permission_denials": 1.0,
        "by_kind": {"agent_error": 2, "timeout": 1},
        "threshold": 0.3,
    }
    # waste: result content 300 + 200 + 100 = 600, plus e1's own 40 input and 60 output tokens = 700
    assert f.waste_tokens == 700
    assert dict(f.waste_by_kind) == {"content": 600, "input": 40, "output": 60}
    # (600 + 40) x $3/M + 60 x $15/M = $0.00192 + $0.0009 = $0.00282
    assert f.waste_usd == pytest.approx(0.00282, abs=1e-9)
    recs = {r.title: r for r in report.recommendations}
    fix = recs["Reduce failing tool calls"]
    assert fix.detail == "Most failures were agent errors" + _PRECONDITIONS
    assert (fix.estimated_savings_tokens, fix.issue_types) == (700, ("high_error_rate",))
    assert fix.estimated_savings_usd == pytest.approx(0.00282, abs=1e-9)
    allow = recs["Allow-list the denied commands"]
    assert allow.detail == _ALLOW.format(n=1, tools="Bash")
    assert (allow.estimated_savings_tokens, allow.issue_types) == (0, ("high_error_rate",))


def test_the_most_common_kind_names_the_advice() -> None:
    """Two timeouts and one agent error: the advice says 'timeouts' (underscore-free kind name plus 's')."""
    ev = Events()
    ev.tool("Bash", "a", error="Command timed out after 120s")
    ev.tool("Bash", "b", error="deadline exceeded")
    ev.tool("Bash", "c", error="exit 1")
    [rec] = [r for r in _report(ev).recommendations if r.title == "Reduce failing tool calls"]
    assert rec.detail == "Most failures were timeouts" + _PRECONDITIONS


def test_a_finding_whose_waste_a_retry_loop_took_is_kept() -> None:
    """Failures whose tokens retry_loop already claimed still show the error rate (100%), with 0 waste."""
    ev = Events()
    ev.tool("Bash", "x", error="exit 1", tokens=0)  # the first failure has no tokens of its own
    ev.tool("Bash", "x", error="exit 1", tokens=100)  # the 2 retries' 200 tokens go to retry_loop
    ev.tool("Bash", "x", error="exit 1", tokens=100)
    report = _report(ev)
    [f] = of_type(report, "high_error_rate")
    assert f.description == (
        "3 of 3 tool calls failed by the agent's doing (100%, threshold 30%); rejections and denials not counted"
    )
    assert (f.waste_tokens, f.evidence) == (0, ("e0", "e1", "e2"))
    [loop] = of_type(report, "retry_loop")
    assert loop.waste_tokens == 200


def test_denied_commands_are_named_with_their_command() -> None:
    """Denied shell calls are listed as 'tool: command' (sorted) and counted in the allow-list advice."""
    ev = Events()
    for args, message, command in (
        ("a", "rm requires approval", "rm -rf build"),
        ("b", "Permission denied", "curl x"),
    ):
        data = {
            "tool": "Bash",
            "args_sha256": args,
            "result_tokens": 5,
            "message": message,
            "command": command,
        }
        ev.add(EventType.TOOL_CALL, data=data, is_error=True)
    ev.tool("Read", "c")
    report = _report(ev)
    assert of_type(report, "high_error_rate") == []  # no agent errors at all
    [allow] = [r for r in report.recommendations if r.title == "Allow-list the denied commands"]
    assert allow.detail == _ALLOW.format(n=2, tools="Bash: curl x, Bash: rm -rf build")


@pytest.mark.parametrize(
    ("failed", "calls", "flagged"),
    [
        (3, 10, False),  # exactly 30%: not over the threshold
        (4, 13, True),  # 30.8%: just over
        (2, 2, False),  # 100% but under the 3-call minimum
        (3, 3, True),  # 100% at exactly 3 calls
    ],
)
def test_rate_and_minimum_calls_boundaries(failed: int, calls: int, flagged: bool) -> None:
    """The finding needs more than 30% agent errors and at least 3 tool calls."""
    ev = Events()
    for i in range(calls):
        ev.tool("Bash", str(i), error="exit 1" if i < failed else None)
    assert len(of_type(_report(ev), "high_error_rate")) == int(flagged)


def test_error_stats_on_a_context_built_from_events() -> None:
    """error_stats() on a freshly built context counts the calls itself: 1 agent error of 2 calls, 1 rejection."""
    ev = Events()
    ev.tool("Bash", "a", error="exit 1")
    ev.tool("Bash", "b", error="The user doesn't want to proceed")
    ev.tool("Read", "c")
    ctx = AnalysisContext.build(session(), ev.items, AnalysisConfig(), T0 + timedelta(hours=1))
    assert error_stats(ctx) == {
        "tool_calls": 3.0,
        "agent_errors": 1.0,
        "error_rate": 1 / 3,
        "redacted_tool_outputs": 0.0,
        "user_rejections": 1.0,
        "permission_denials": 0.0,
    }
