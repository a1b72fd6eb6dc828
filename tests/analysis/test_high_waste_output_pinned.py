"""high_waste's whole output pinned: total, threshold, the top three contributors and its boundary (by hand)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from sessionoptimizer_sdk.analysis import analyze_events
from sessionoptimizer_sdk.analysis.analyzers.high_waste import HighWasteAnalyzer
from sessionoptimizer_sdk.analysis.base import Draft
from sessionoptimizer_sdk.analysis.config import AnalysisConfig
from sessionoptimizer_sdk.analysis.context import AnalysisContext
from sessionoptimizer_sdk.analysis.report import Finding, Severity
from tests.analysis._builders import T0, Events, of_type, session

_NOW = T0 + timedelta(hours=1)


def _drafts(*findings: Finding) -> list[Draft]:
    ctx = AnalysisContext.build(session(), [], AnalysisConfig(), _NOW)
    ctx.findings = list(findings)
    return [d for d in HighWasteAnalyzer().analyze(ctx) if isinstance(d, Draft)]


def test_four_contributors_name_only_the_top_three() -> None:
    """With four kinds of waste the text names the three largest; details keep all four and the threshold."""
    (d,) = _drafts(
        Finding("retry_loop", Severity.LOW, "t", waste_tokens=500, evidence=("e4",)),
        Finding("repeated_file_read", Severity.MEDIUM, "r", waste_tokens=3_000, evidence=("e1", "e2")),
        Finding("cache_miss", Severity.MEDIUM, "c", waste_tokens=1_500, evidence=("e3",)),
        Finding("repeated_file_read", Severity.LOW, "r2", waste_tokens=200, evidence=("e2", "e5")),
        Finding("high_error_rate", Severity.HIGH, "h", waste_tokens=1_000, evidence=("e6",)),
        Finding("token_spike", Severity.LOW, "s", waste_tokens=0, evidence=("e7",)),
    )
    # total 500 + 3,000 + 1,500 + 200 + 1,000 = 6,200; by type: repeated 3,200, cache 1,500, error 1,000, retry 500
    assert d.description == (
        "6,200 tokens wasted in this session (threshold 5,000): "
        "repeated_file_read 3,200, cache_miss 1,500, high_error_rate 1,000"
    )
    assert d.severity is Severity.MEDIUM
    assert dict(d.details) == {
        "total_waste_tokens": 6_200,
        "threshold": 5_000,
        "by_type": {
            "retry_loop": 500,
            "repeated_file_read": 3_200,
            "cache_miss": 1_500,
            "high_error_rate": 1_000,
            "token_spike": 0,
        },
    }
    # evidence by waste, largest finding first, each id once
    assert d.evidence == ("e1", "e2", "e3", "e6", "e4", "e5", "e7")
    assert d.claims == ()
    assert d.recommendation is None


@pytest.mark.parametrize(("waste", "flagged"), [(4_999, False), (5_000, False), (5_001, True)])
def test_threshold_boundary(waste: int, flagged: bool) -> None:
    """The flag needs more than 5,000 wasted tokens: 5,000 exactly is not flagged."""
    found = _drafts(Finding("retry_loop", Severity.MEDIUM, "t", waste_tokens=waste))
    assert len(found) == int(flagged)


def test_end_to_end_flag_on_two_re_read_files() -> None:
    """Two large files each read twice: re-reads and uncompressed reads add up to a 7,700-token flag."""
    ev = Events()
    ev.read("a.py", 3_000)
    ev.read("a.py", 3_000)
    ev.read("b.py", 2_500)
    ev.read("b.py", 2_500)
    report = analyze_events(session(), ev.items, now=_NOW)
    [flag] = of_type(report, "high_waste")
    # re-reads: 3,000 + 2,500 = 5,500; the first reads (code: 60% kept) save 40% x (3,000 + 2,500) = 2,200
    assert flag.description == (
        "7,700 tokens wasted in this session (threshold 5,000): repeated_file_read 5,500, large_uncompressed_read 2,200"
    )
    assert dict(flag.details) == {
        "total_waste_tokens": 7_700,
        "threshold": 5_000,
        "by_type": {"repeated_file_read": 5_500, "large_uncompressed_read": 2_200},
    }
    # evidence: the largest finding first (a.py's re-read: both reads e0, e1), then b.py's (e2, e3)
    assert (flag.waste_tokens, flag.severity, flag.evidence) == (0, Severity.MEDIUM, ("e0", "e1", "e2", "e3"))
