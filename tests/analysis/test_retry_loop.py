"""retry_loop: repeated failures with no edit between, or identical action/result pairs."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from sessionoptimizer_sdk.analysis import analyze_events
from sessionoptimizer_sdk.models import EventType
from tests.analysis._builders import Events, of_type, session


def test_three_identical_failures_waste_the_repeats() -> None:
    """The calls that produced the 2nd and 3rd attempt, and those attempts' output, are the waste."""
    ev = Events()
    for _ in range(3):
        ev.call(inp=1_000, out=100)
        ev.tool("Bash", "same", error="No such file", tokens=40)
    [f] = of_type(analyze_events(session(), ev.items), "retry_loop")
    assert f.waste_tokens == 2 * (1_000 + 100 + 40)
    assert f.details["attempts"] == 3


def test_edit_between_failures_breaks_the_loop() -> None:
    """Re-running tests after an edit is not a loop."""
    ev = Events()
    ev.tool("pytest", "t", error="1 failed")
    ev.write("a.py")
    ev.tool("pytest", "t", error="1 failed")
    ev.write("a.py")
    ev.tool("pytest", "t", error="1 failed")
    assert of_type(analyze_events(session(), ev.items), "retry_loop") == []


def test_different_attempts_without_repeat_are_not_a_loop() -> None:
    """Three different failing commands are exploration, not a loop."""
    ev = Events()
    for args in ("a", "b", "c"):
        ev.tool("Bash", args, error="exit 1")
    assert of_type(analyze_events(session(), ev.items), "retry_loop") == []


def test_rejections_do_not_form_a_loop() -> None:
    """A user rejecting the same call three times is not the agent looping."""
    ev = Events()
    for _ in range(3):
        ev.tool("Bash", "push", error="The user doesn't want to proceed with this tool use.")
    assert of_type(analyze_events(session(), ev.items), "retry_loop") == []


def test_four_identical_action_result_pairs_are_a_loop() -> None:
    """Four successful calls with the same arguments and the same result are a loop."""
    ev = Events()
    for _ in range(4):
        ev.tool("Grep", "q", result="same", tokens=100)
    [f] = of_type(analyze_events(session(), ev.items), "retry_loop")
    assert f.details["rule"] == "identical"
    assert f.waste_tokens == 300


def test_error_events_attach_to_their_call() -> None:
    """Spec-style ERROR events after a TOOL_CALL mark that call failed (one failure, not two)."""
    ev = Events()
    for _ in range(3):
        ev.add(EventType.TOOL_CALL, data={"tool": "make"})
        ev.add(EventType.ERROR, data={"message": "Build failed", "tool": "make"})
    report = analyze_events(session(), ev.items)
    assert len(of_type(report, "retry_loop")) == 1
    assert report.metrics["tool_calls"] == 3


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["x", "y"]), st.booleans(), st.booleans()), max_size=25))
def test_loops_never_claim_the_first_attempt(steps: list[tuple[str, bool, bool]]) -> None:
    """Whatever the sequence, a loop's evidence starts with an attempt whose tokens are not claimed."""
    ev = Events()
    for args, failed, edit in steps:
        if edit:
            ev.write("f.py")
        ev.call(inp=100, out=10)
        ev.tool("Bash", args, error="boom" if failed else None)
    for f in of_type(analyze_events(session(), ev.items), "retry_loop"):
        assert f.waste_tokens <= (f.details["attempts"] - 1) * (100 + 10 + 50)
