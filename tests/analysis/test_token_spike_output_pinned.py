"""token_spike's whole output pinned on two spikes of different causes (ratios computed by hand)."""

from __future__ import annotations

from datetime import timedelta

from sessionoptimizer_sdk.analysis import analyze_events
from sessionoptimizer_sdk.analysis.report import Severity
from tests.analysis._builders import T0, Events, of_type, session


def test_two_spikes_pin_text_details_and_advice() -> None:
    """Three 300-token calls, then 1,100 uncached input (3.67x) and 2,000 output (4.0x): largest first."""
    ev = Events()
    for _ in range(3):
        ev.call(inp=200, out=100)  # 300 fresh tokens each
    ev.call(inp=1_100, out=0)  # 1,100 x 3 / 900 = 3.666... -> 3.67; output under half: cause unknown
    ev.call(inp=0, out=2_000)  # 2,000 x 4 / (900 + 1,100) = 4.0; all output: long output
    report = analyze_events(session(), ev.items, now=T0 + timedelta(hours=1))
    [f] = of_type(report, "token_spike")
    assert f.description == (
        "2 event(s) used over 3x the running average of fresh tokens; the largest was 4.0x "
        "(2,000 tokens, cause: long output)"
    )
    assert f.severity is Severity.LOW
    assert f.evidence == ("e4", "e3")
    assert dict(f.details) == {
        "spikes": [
            {"event_id": "e4", "fresh_tokens": 2_000, "ratio": 4.0, "cause": "long output"},
            {"event_id": "e3", "fresh_tokens": 1_100, "ratio": 3.67, "cause": "unknown"},
        ],
        "max_ratio": 4.0,
        "causes": ["long output", "unknown"],
    }
    assert (f.waste_tokens, f.waste_usd) == (0, 0.0)  # a symptom: the cause's finding counts the waste
    [rec] = [r for r in report.recommendations if r.issue_types == ("token_spike",)]
    assert rec.title == "Look at the causes of token spikes"
    assert rec.detail == (
        "Spikes came from: long output. The findings for those causes say what to do. 1 spike(s) have no cause "
        "in the logged events (fresh input that was not a logged tool result or output, such as a pasted file or "
        "a long user message): look at what entered the prompt at e3."
    )
    assert rec.estimated_savings_tokens == 0


def test_a_tool_result_without_a_path_is_named_by_its_tool() -> None:
    """A 1,200-token Grep result before a 1,200-token call names the spike's cause 'large tool result (Grep)'."""
    ev = Events()
    for _ in range(3):
        ev.call(inp=200, out=100)  # 300 fresh tokens each
    ev.tool("Grep", tokens=1_200)  # no file path: the tool's name stands for it
    ev.call(
        inp=1_200, out=0
    )  # the tool call billed nothing: ratio 1,200 x 3 / 900 = 4.0; tool >= half of 1,200
    report = analyze_events(session(), ev.items, now=T0 + timedelta(hours=1))
    [f] = of_type(report, "token_spike")
    [spike] = f.details["spikes"]
    assert spike == {
        "event_id": "e4",
        "fresh_tokens": 1_200,
        "ratio": 4.0,
        "cause": "large tool result (Grep)",
    }


def test_the_metric_keeps_four_decimals_of_the_largest_ratio() -> None:
    """One spike of 1,100 fresh tokens after three 300-token calls: max_token_spike_ratio 3.6667 (11/3)."""
    ev = Events()
    for _ in range(3):
        ev.call(inp=200, out=100)
    ev.call(inp=1_100, out=0)
    report = analyze_events(session(), ev.items, now=T0 + timedelta(hours=1))
    assert report.metrics["max_token_spike_ratio"] == 3.6667


def test_advice_for_spikes_no_event_explains_names_where_to_look() -> None:
    """Only unexplained spikes: the advice names the events to look at instead of an empty list of causes."""
    ev = Events()
    for _ in range(3):
        ev.call(inp=200, out=100)  # 300 fresh tokens each
    ev.call(inp=1_100, out=0)  # 1,100 x 3 / 900 = 3.67x; no tool result before it, output 0: cause unknown
    report = analyze_events(session(), ev.items, now=T0 + timedelta(hours=1))
    [rec] = [r for r in report.recommendations if r.issue_types == ("token_spike",)]
    assert rec.detail == (
        "1 spike(s) have no cause in the logged events (fresh input that was not a logged tool result or output, "
        "such as a pasted file or a long user message): look at what entered the prompt at e3."
    )
