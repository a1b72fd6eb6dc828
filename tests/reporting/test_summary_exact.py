"""The human-readable figures (headline rows, money of findings and recommendations), pinned exactly."""

from __future__ import annotations

from dataclasses import replace

from sessionoptimizer_sdk.analysis import analyze_events
from sessionoptimizer_sdk.analysis.report import Finding, OptimizationReport, Recommendation, Severity
from sessionoptimizer_sdk.models import SessionStatus, TokenUsage
from sessionoptimizer_sdk.reporting.formats._summary import (
    cost_text,
    finding_money,
    headline_rows,
    saving_text,
    score_text,
    usd,
)
from tests.analysis._builders import Events, session


def _base() -> OptimizationReport:
    ev = Events()
    ev.call(inp=1_000, cr=2_000, cw=300, out=40)
    return analyze_events(session(), ev.items)


def test_headline_rows_exact() -> None:
    """Every headline row, including the subagent roll-up and notes, reads exactly as written here."""
    r = replace(
        _base(),
        efficiency_score=87.25,
        total_waste_tokens=1_234,
        waste_usd=0.5,
        cost_usd=1.23456,
        totals=TokenUsage(1_000, 40, 2_000, 300, 7),
        active_minutes=12.34,
        wall_minutes=30.0,
        provisional=True,
        notes=("n1", "n2"),
        subagents={
            "count": 2,
            "tokens": {
                "input_tokens": 100,
                "cache_read_tokens": 5,
                "cache_write_tokens": 20,
                "output_tokens": 3,
            },
            "cost_usd": 0.25,
            "waste_tokens": 1_500,
            "waste_usd": 0.125,
            "sessions": [
                {"session_id": "s1.agent-a", "cost_usd": 0.2, "waste_tokens": 1_500, "waste_usd": None}
            ],
        },
    )
    assert headline_rows(r) == [
        ("Session", "s1"),
        ("Agent", "ATLAS"),
        ("Task", "Build thing"),
        ("Model", "sonnet"),
        ("Status", "COMPLETED (provisional)"),
        ("Efficiency", "87.2%"),
        ("Waste", "1,234 tokens ($0.5000)"),
        ("Cost", "$1.2346"),
        ("Tokens", "input 1,000 · cache read 2,000 · cache write 300 · output 40 (thinking 7)"),
        ("Time", "12.3 active min / 30.0 wall min"),
        (
            "Subagents",
            "2 (rolled up, not in the figures above): 123 fresh tokens, cost $0.2500, waste 1,500 tokens ($0.1250)",
        ),
        ("  subagent", "s1.agent-a: cost $0.2000, waste 1,500 tokens (unpriced)"),
        ("Notes", "n1; n2"),
    ]


def test_headline_of_a_final_report_and_a_sparse_rollup() -> None:
    """A final report's status has no '(provisional)'; a roll-up without token counts shows 0 fresh tokens."""
    r = replace(_base(), subagents={"count": 1, "cost_usd": None, "sessions": []})
    rows = dict(headline_rows(r))
    assert rows["Status"] == "COMPLETED"
    assert rows["Subagents"] == (
        "1 (rolled up, not in the figures above): 0 fresh tokens, cost unpriced, waste 0 tokens (unpriced)"
    )


def test_cost_and_score_texts() -> None:
    """Priced, free and unpriced costs; a scored and an unscored session."""
    r = _base()
    assert usd(None) == "unpriced" and usd(1234.5) == "$1,234.5000"
    assert cost_text(replace(r, cost_usd=0.0, pricing="free")) == "$0.0000 (free by configuration)"
    assert cost_text(replace(r, cost_usd=None, unpriced_reason="model 'x' is unknown")) == (
        "unpriced (model 'x' is unknown)"
    )
    assert cost_text(replace(r, cost_usd=None, unpriced_reason=None)) == "unpriced (unknown model)"
    assert cost_text(replace(r, cost_usd=2.5)) == "$2.5000"
    assert score_text(replace(r, efficiency_score=99.96)) == "100.0%"
    empty = analyze_events(session(status=SessionStatus.FAILED), [])
    assert score_text(empty) == "n/a (no model calls recorded)"
    assert headline_rows(empty)[5] == ("Efficiency", "n/a (no model calls recorded)")


def test_finding_and_saving_money_texts() -> None:
    """Waste with and without carry-over, an unavoidable cost, and a saving with carry-over."""
    f = Finding("x", Severity.LOW, "d", waste_tokens=1_000, waste_usd=0.01)
    assert finding_money(f) == "waste 1,000 tokens ($0.0100)"
    carried = replace(f, carryover_tokens=2_000, carryover_usd=0.0006)
    assert finding_money(carried) == (
        "waste 1,000 tokens ($0.0100), incl. carry-over 2,000 cache-read tokens ($0.0006)"
    )
    assert finding_money(replace(f, avoidable=False, cost_usd=0.07)) == "cost $0.0700, not waste"
    rec = Recommendation("t", "d", 1_000, 0.01)
    assert saving_text(rec) == "saves ~1,000 tokens, $0.0100"
    assert saving_text(replace(rec, carryover_tokens=2_000, carryover_usd=0.0006)) == (
        "saves ~1,000 tokens, $0.0100 incl. 2,000 cache-read carry-over tokens ($0.0006)"
    )


def test_unavoidable_cost_row_only_when_there_is_one() -> None:
    """$0.2115 of unavoidable cost gets its own headline row; none when it is 0."""
    r = _base()
    assert "Unavoidable" not in dict(headline_rows(r))
    rows = dict(headline_rows(replace(r, unavoidable_cost_usd=0.2115)))
    assert rows["Unavoidable"] == "$0.2115 of the cost (not waste: see the issues)"
