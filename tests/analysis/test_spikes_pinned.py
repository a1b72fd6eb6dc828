"""token_spike thresholds and causes, pinned on three 100-token calls then one candidate (hand-computed ratios).

A spike needs 3 prior events, >= 1,000 fresh tokens and more than 3x the running average; its ratio is
fresh x prior count / prior total. Causes: a compaction; a tool result since the last call of at least half
the fresh non-output tokens; output of at least half the fresh tokens; else unknown.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from sessionoptimizer_sdk.analysis import analyze_events
from sessionoptimizer_sdk.analysis.analyzers._common import severity_for
from sessionoptimizer_sdk.analysis.report import Severity
from sessionoptimizer_sdk.models import EventType, SessionEvent
from tests.analysis._builders import T0, of_type, session


def _spikes(*steps: tuple[EventType, dict[str, Any]], base: int = 100) -> list[dict[str, Any]]:
    events: list[SessionEvent] = []
    plan = [(EventType.AI_RESPONSE, {"tokens_input": base})] * 3 + list(steps)
    for n, (kind, kw) in enumerate(plan):
        events.append(SessionEvent(f"e{n}", "s1", kind, T0 + timedelta(seconds=n + 1), seq=n, **kw))
    report = analyze_events(session(), events, now=T0 + timedelta(hours=1))
    found = of_type(report, "token_spike")
    return list(found[0].details["spikes"]) if found else []


def _call(inp: int = 0, out: int = 0) -> tuple[EventType, dict[str, Any]]:
    return EventType.AI_RESPONSE, {"tokens_input": inp, "tokens_output": out}


def _read(tokens: int) -> tuple[EventType, dict[str, Any]]:
    return EventType.FILE_READ, {"data": {"file_path": "src/big.py", "result_tokens": tokens}}


@pytest.mark.parametrize(
    ("steps", "fresh", "ratio", "cause"),
    [
        ([_call(out=1_000)], 1_000, 10.0, "long output"),  # exactly 1,000 fresh after exactly 3 events
        ([_call(500, 500)], 1_000, 10.0, "long output"),  # output exactly half
        ([_call(700, 400)], 1_100, 11.0, "unknown"),  # output under half
        ([_read(550), _call(1_100)], 1_100, 11.0, "large tool result (big.py)"),  # tool exactly half
        ([_read(500), _call(1_100)], 1_100, 11.0, "unknown"),  # tool under half
        ([_read(550), _call(600, 500)], 1_100, 11.0, "large tool result (big.py)"),  # half of the non-output
        ([_read(100), _call(1_100)], 1_100, 11.0, "unknown"),
        ([(EventType.COMPACTION, {"tokens_input": 2_000})], 2_000, 20.0, "compaction"),
    ],
)
def test_spike_ratio_and_cause(
    steps: list[tuple[EventType, dict[str, Any]]], fresh: int, ratio: float, cause: str
) -> None:
    """The candidate after three 100-token calls is a spike with the hand-computed ratio and cause."""
    (spike,) = _spikes(*steps)
    assert (spike["fresh_tokens"], spike["ratio"], spike["cause"]) == (fresh, ratio, cause)


def test_a_tool_result_before_an_earlier_call_is_no_cause() -> None:
    """A big read followed by a 100-token call no longer explains a spike at the next call (ratio 1,100 x 4 / 400)."""
    (spike,) = _spikes(_read(600), _call(100), _call(1_100))
    assert (spike["ratio"], spike["cause"]) == (11.0, "unknown")


def test_exactly_three_times_the_average_is_no_spike() -> None:
    """1,200 fresh tokens after three 400-token calls is exactly 3x the average: no spike."""
    assert _spikes(_call(1_200), base=400) == []
    assert [s["fresh_tokens"] for s in _spikes(_call(1_201), base=400)] == [1_201]


def test_under_1000_tokens_is_no_spike() -> None:
    """999 fresh tokens are no spike even at 10x the average."""
    assert _spikes(_call(999), base=10) == []


@pytest.mark.parametrize(
    ("waste", "severity"),
    [
        (0, Severity.LOW),
        (999, Severity.LOW),
        (1_000, Severity.MEDIUM),
        (4_999, Severity.MEDIUM),
        (5_000, Severity.HIGH),
    ],
)
def test_severity_thresholds(waste: int, severity: Severity) -> None:
    """Severity is MEDIUM from 1,000 waste tokens and HIGH from 5,000 (both inclusive)."""
    assert severity_for(waste) is severity
