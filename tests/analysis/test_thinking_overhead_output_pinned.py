"""thinking_overhead's whole output pinned: reported and estimated thinking, claims, USD, advice, boundaries.

The excess is ``int(thinking - 60% x output)``; each carrier's claim is ``round(r x excess / thinking)``, capped
by what is left and by the carrier's output. Output tokens of ``sonnet`` cost $15/M.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from sessionoptimizer_sdk.analysis import analyze_events
from sessionoptimizer_sdk.analysis.analyzers.thinking_overhead import ThinkingOverheadAnalyzer
from sessionoptimizer_sdk.analysis.config import AnalysisConfig
from sessionoptimizer_sdk.analysis.incremental import Delta
from sessionoptimizer_sdk.analysis.report import Finding, OptimizationReport, Severity
from sessionoptimizer_sdk.models import EventType
from tests.analysis._builders import T0, Events, of_type, session

_ADVICE = (
    "Use a smaller thinking/reasoning budget (or effort level) for routine steps and keep deep thinking for "
    "planning and hard bugs."
)


def _report(ev: Events) -> OptimizationReport:
    return analyze_events(session(), ev.items, now=T0 + timedelta(hours=1))


def _finding(ev: Events) -> list[Finding]:
    return of_type(_report(ev), "thinking_overhead")


def test_reported_thinking_pins_the_whole_finding() -> None:
    """7,000 reasoning of 9,999 output tokens: text, 4-decimal share, claims split by reasoning, USD and advice."""
    ev = Events()
    ev.call(inp=0, out=6_000, reasoning_tokens=5_000)
    ev.call(inp=0, out=3_999, reasoning_tokens=2_000)
    report = _report(ev)
    [f] = of_type(report, "thinking_overhead")
    # 60% of 9,999 = 5,999.4; excess = int(7,000 - 5,999.4) = 1,000; share = 7,000 / 9,999 = 0.700070...
    assert f.description == (
        "Thinking was 70% of output (7,000 of 9,999 tokens), over the 60% threshold by 1,000 tokens"
    )
    assert f.severity is Severity.MEDIUM  # 1,000 waste tokens: MEDIUM from 1,000
    assert dict(f.details) == {
        "thinking_tokens": 7_000,
        "output_tokens": 9_999,
        "share": 0.7001,
        "basis": "reported",
    }
    # claims: round(5,000 x 1,000 / 7,000) = 714 from e0, then min(286 left, round(285.7) = 286) from e1
    assert f.evidence == ("e0", "e1")
    assert (f.waste_tokens, dict(f.waste_by_kind)) == (1_000, {"output": 1_000})
    assert f.waste_usd == pytest.approx(1_000 * 15e-6, abs=1e-12)  # $0.015
    [rec] = [r for r in report.recommendations if r.issue_types == ("thinking_overhead",)]
    assert (rec.title, rec.detail, rec.estimated_savings_tokens) == (
        "Lower the thinking budget",
        _ADVICE,
        1_000,
    )


def test_estimated_thinking_says_about_and_how_it_was_estimated() -> None:
    """Thinking estimated from stored text (1,500 of 2,000 output) reads 'about 75%' and names the estimator."""
    ev = Events()
    ev.add(EventType.THINKING, data={"estimated_tokens": 1_500, "response_id": "r1"})
    ev.call(inp=0, out=2_000, data={"response_id": "r1"})
    [f] = _finding(ev)
    # excess = int(1,500 - 60% x 2,000) = 300, all claimed from the response r1's output (e1)
    assert f.description == (
        "Thinking was about 75% of output (1,500 of 2,000 tokens, estimated from the thinking text at 4 "
        "characters per token), over the 60% threshold by 300 tokens"
    )
    assert f.severity is Severity.LOW
    assert dict(f.details) == {
        "thinking_tokens": 1_500,
        "output_tokens": 2_000,
        "share": 0.75,
        "basis": "estimated",
    }
    assert (f.evidence, f.waste_tokens) == (("e1",), 300)


@pytest.mark.parametrize(
    ("output", "thinking", "flagged"),
    [
        (999, 900, False),  # under the 1,000-token output minimum
        (1_000, 700, True),  # exactly the minimum counts
        (1_000, 600, False),  # exactly 60%: not over
        (1_000, 601, True),  # just over 60%
    ],
)
def test_minimum_output_and_share_boundaries(output: int, thinking: int, flagged: bool) -> None:
    """The finding needs at least 1,000 output tokens and thinking over 60% of output."""
    ev = Events()
    ev.call(inp=0, out=output, reasoning_tokens=thinking)
    found = _finding(ev)
    assert [f.waste_tokens for f in found] == ([int(thinking - 0.6 * output)] if flagged else [])


def test_fed_without_precomputed_facts_the_analyzer_computes_them() -> None:
    """A Delta built without facts (a custom caller) still gives the analyzer its thinking carriers."""
    ev = Events()
    ev.call(inp=0, out=2_000, reasoning_tokens=1_500)
    ev.call(inp=0, out=500)  # no reasoning and no response id: no carrier
    analyzer = ThinkingOverheadAnalyzer()
    state = analyzer.start()
    analyzer.feed(state, Delta(ev.items, 0, AnalysisConfig(), "sonnet"))
    assert [(raw[0], r, rid) for raw, r, rid in state.carriers] == [("e0", 1_500, None)]


def test_a_session_without_output_has_a_zero_thinking_share_metric() -> None:
    """With no output tokens at all the thinking_share metric is 0.0 (no division by zero, no failed metrics)."""
    ev = Events()
    ev.call(inp=500, out=0)
    report = _report(ev)
    assert report.metrics["thinking_share"] == 0.0
    assert report.analyzer_errors == ()
