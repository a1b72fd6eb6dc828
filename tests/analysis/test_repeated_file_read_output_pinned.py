"""repeated_file_read's whole output pinned, with and without carry-over across a compaction (by hand).

Carry-over: while redundant reads are in context, each later call's cache reads carry them in proportion
(``min(active, cache_read) / active`` of each); a compaction drops them. ``sonnet``: input $3/M, cache read $0.30/M.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from sessionoptimizer_sdk.analysis import analyze_events
from sessionoptimizer_sdk.analysis.report import Finding, OptimizationReport, Recommendation, Severity
from sessionoptimizer_sdk.models import EventType
from tests.analysis._builders import T0, Events, of_type, session


def _advice(lines: str, path: str) -> str:
    return (
        f"Lines {lines} of {path} were already in the context from an earlier read and the file had not changed; "
        "refer to that output instead of reading it again (re-read only after an edit, or read just the new line "
        "range)."
    )


def _one(ev: Events) -> tuple[Finding, Recommendation]:
    report: OptimizationReport = analyze_events(session(), ev.items, now=T0 + timedelta(hours=3))
    [f] = of_type(report, "repeated_file_read")
    [rec] = [r for r in report.recommendations if r.issue_types == ("repeated_file_read",)]
    return f, rec


def test_a_ranged_re_read_without_carry_over() -> None:
    """Lines 1-100 read twice (500 tokens each) with no later call: 500 redundant tokens, nothing carried."""
    ev = Events()
    ev.read("src/b.py", 500, offset=1, limit=100)
    ev.read("src/b.py", 500, offset=1, limit=100)
    f, rec = _one(ev)
    assert f.description == "b.py was read again unchanged 1 time(s): 500 redundant tokens"
    assert f.severity is Severity.LOW
    assert f.evidence == ("e0", "e1")
    assert dict(f.details) == {
        "file_path": "src/b.py",
        "redundant_reads": 1,
        "redundant_tokens": 500,
        "carryover_cache_read_tokens": 0,
        "ranges": ["1-100"],
        "estimated": False,
    }
    assert (f.waste_tokens, dict(f.waste_by_kind), f.carryover_tokens) == (500, {"content": 500}, 0)
    assert f.waste_usd == pytest.approx(500 * 3e-6, abs=1e-12)  # $0.0015
    assert (rec.title, rec.detail) == (
        "Reuse the content of b.py already in context",
        _advice("1-100", "src/b.py"),
    )


def test_carry_over_before_a_compaction_is_kept_and_restarts_after_it() -> None:
    """Two re-reads of 1,000 tokens, one each side of a compaction, carry 1,000 + 500 cache-read tokens."""
    ev = Events()
    ev.read("src/a.py", 1_000)
    ev.read("src/a.py", 1_000)  # e1: redundant 1,000
    ev.call()  # e1 enters the context (active 1,000)
    ev.call(cr=3_000)  # reads min(1,000, 3,000) / 1,000 = all of it: e1 carried 1,000
    ev.add(EventType.COMPACTION)  # e1's carry-over closes at 1,000; the file is forgotten
    ev.read("src/a.py", 1_000)  # e5: a first read again, not redundant
    ev.read("src/a.py", 1_000)  # e6: redundant 1,000
    ev.call(inp=10)  # e6 enters the context (active 1,000, nothing else left over from before the compaction)
    ev.call(cr=500)  # reads 500 / 1,000 of it: e6 carried 500
    f, rec = _one(ev)
    assert f.description == (
        "a.py was read again unchanged 2 time(s): 2,000 redundant tokens, carried as 1,500 cache-read tokens by "
        "later calls"
    )
    assert f.severity is Severity.MEDIUM  # 2,000 redundant tokens
    assert f.evidence == ("e0", "e1", "e5", "e6")
    assert dict(f.details) == {
        "file_path": "src/a.py",
        "redundant_reads": 2,
        "redundant_tokens": 2_000,
        "carryover_cache_read_tokens": 1_500,
        "ranges": ["1-end", "1-end"],
        "estimated": False,
    }
    assert (f.waste_tokens, f.carryover_tokens) == (2_000, 1_500)
    assert dict(f.waste_by_kind) == {"content": 2_000, "cache_read_carryover": 1_500}
    assert f.carryover_usd == pytest.approx(1_500 * 0.3e-6, abs=1e-12)  # $0.00045
    # the finding's dollars include the carry-over: 2,000 x $3/M + $0.00045 = $0.00645
    assert f.waste_usd == pytest.approx(2_000 * 3e-6 + 1_500 * 0.3e-6, abs=1e-12)
    assert (rec.estimated_savings_tokens, rec.carryover_tokens) == (2_000, 1_500)
    assert rec.detail == _advice("1-end", "src/a.py")
