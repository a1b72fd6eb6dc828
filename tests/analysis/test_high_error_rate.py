"""high_error_rate: agent errors over 30% of tool calls; rejections and denials are not agent errors."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from sessionoptimizer_sdk.analysis import analyze_events
from sessionoptimizer_sdk.analysis.errorkinds import classify_error
from sessionoptimizer_sdk.models import ErrorKind
from tests.analysis._builders import Events, of_type, session


def test_rate_over_threshold_is_flagged() -> None:
    """Two agent errors in five calls (40%) is over 30%."""
    ev = Events()
    for i in range(5):
        ev.tool("Bash", str(i), error="exit 1" if i < 2 else None)
    [f] = of_type(analyze_events(session(), ev.items), "high_error_rate")
    assert f.details["error_rate"] == 0.4


def test_permission_denials_give_a_configuration_recommendation_instead() -> None:
    """A session whose failures are all permission denials is not flagged; it gets allow-list advice."""
    ev = Events()
    for i in range(6):
        ev.tool("Bash", str(i), error="Permission denied: rm requires approval" if i < 4 else None)
    report = analyze_events(session(), ev.items)
    assert of_type(report, "high_error_rate") == []
    assert report.metrics["permission_denials"] == 4
    assert any(r.title == "Allow-list the denied commands" for r in report.recommendations)


def test_user_rejections_do_not_count() -> None:
    """Rejected calls are the user's decision, not agent errors."""
    ev = Events()
    for i in range(4):
        ev.tool(
            "Bash", str(i), error="The user doesn't want to proceed with this tool use." if i < 3 else None
        )
    report = analyze_events(session(), ev.items)
    assert report.metrics["error_rate"] == 0.0
    assert report.metrics["user_rejections"] == 3


def test_classification_prefers_explicit_kind() -> None:
    """An explicit error_kind wins over the message text; messages are classified otherwise."""
    assert classify_error("permission denied", error_kind="timeout") is ErrorKind.TIMEOUT
    assert classify_error("Command timed out after 120s") is ErrorKind.TIMEOUT
    assert classify_error("boom", tool="pytest") is ErrorKind.TEST_FAILURE
    assert classify_error("SyntaxError") is ErrorKind.AGENT_ERROR


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from([None, "exit 1", "permission denied", "user rejected"]), max_size=30))
def test_rate_counts_only_agent_errors(outcomes: list[str | None]) -> None:
    """The reported rate is agent errors over all tool calls."""
    ev = Events()
    for i, err in enumerate(outcomes):
        ev.tool("Bash", str(i), error=err)
    report = analyze_events(session(), ev.items)
    expected = outcomes.count("exit 1") / len(outcomes) if outcomes else 0.0
    assert abs(report.metrics["error_rate"] - expected) < 1e-4
