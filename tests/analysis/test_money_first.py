"""Issue 14 item 1: findings and recommendations carry USD, are ordered by USD, and savings equal the waste.

Expected values are computed by hand from Anthropic's published Claude Sonnet 4.5 prices (USD per million
tokens: input 3.00, output 15.00, cache read 0.30, 5-minute cache write 3.75, 1-hour cache write 6.00).
"""

from __future__ import annotations

import pytest

from sessionoptimizer_sdk.analysis import analyze_events
from sessionoptimizer_sdk.reporting import render
from tests.analysis._builders import Events, of_type, session

IN, OUT, CR, CW5 = 3.00e-6, 15.00e-6, 0.30e-6, 3.75e-6


def _reread_with_carry() -> Events:
    """A 10,000-token file read twice; the re-read is then carried by two later calls' cache reads."""
    ev = Events()
    ev.read("src/a.py", 10_000)
    ev.call(inp=10, cw=20_000)
    ev.read("src/a.py", 10_000)
    ev.call(inp=10, cr=20_000, cw=10_000)
    ev.call(inp=10, cr=30_000, cw=100)
    ev.call(inp=10, cr=30_100, cw=100)
    return ev


def test_recommendation_savings_equal_the_findings_waste_and_carry_over_is_apart() -> None:
    """A re-read recommendation saves the finding's 10,000 tokens, not tokens plus carry-over."""
    report = analyze_events(session(), _reread_with_carry().items)
    [f] = of_type(report, "repeated_file_read")
    # the re-read's 10,000 tokens enter the cache at call 3 and are read from cache by calls 4 and 5
    carry = 2 * 10_000
    assert (f.waste_tokens, f.carryover_tokens) == (10_000, carry)
    assert f.carryover_usd == pytest.approx(carry * CR)
    assert f.waste_usd == pytest.approx(10_000 * IN + carry * CR)
    [r] = [r for r in report.recommendations if r.issue_types == ("repeated_file_read",)]
    assert r.estimated_savings_tokens == 10_000
    assert r.estimated_savings_usd == pytest.approx(10_000 * IN + carry * CR)
    assert r.carryover_tokens == carry
    assert r.carryover_usd == pytest.approx(carry * CR)
    text = render(report, "text")
    assert "saves ~10,000 tokens" in text and "20,000 cache-read carry-over tokens ($0.0060)" in text


def test_findings_and_recommendations_are_ordered_by_usd_not_tokens() -> None:
    """A 1,800-token cache rewrite ($0.00621) ranks above a 1,900-token re-read ($0.0057)."""
    ev = Events()
    ev.call(inp=10, cw=2_000)
    ev.call(inp=0, cr=210, cw=1_800)  # prefix changed 10 s later: 1,800 of 2,010 tokens written again
    ev.read("b.py", 1_900)
    ev.read("b.py", 1_900)
    report = analyze_events(session(), ev.items)
    miss_usd = 1_800 * (CW5 - CR)  # written at the cache-write rate instead of read at the cache-read rate
    read_usd = 1_900 * IN
    assert [(f.type, f.waste_tokens) for f in report.issues] == [
        ("cache_miss", 1_800),
        ("repeated_file_read", 1_900),
    ]
    assert [f.waste_usd for f in report.issues] == [pytest.approx(miss_usd), pytest.approx(read_usd)]
    assert [r.issue_types[0] for r in report.recommendations[:2]] == ["cache_miss", "repeated_file_read"]
    assert report.waste_usd == pytest.approx(miss_usd + read_usd)


def test_report_json_carries_the_money_fields() -> None:
    """The JSON report has carry-over tokens/USD on findings and recommendations, and round-trips."""
    report = analyze_events(session(), _reread_with_carry().items)
    d = report.to_dict()
    [f] = [x for x in d["issues"] if x["type"] == "repeated_file_read"]
    assert (f["carryover_tokens"], f["avoidable"], f["cost_usd"]) == (20_000, True, None)
    assert f["carryover_usd"] == pytest.approx(0.006)
    assert d["recommendations"][0]["carryover_tokens"] == 20_000
    assert d["pricing"] == "priced"
    assert type(report).from_dict(d).to_dict() == d


def test_compression_saving_in_the_text_agrees_with_the_findings_waste() -> None:
    """Two 10,000-token reads of a .py: the re-read is claimed by repeated_file_read, so compression saves 4,000."""
    ev = Events()
    ev.read("src/big.py", 10_000)
    ev.read("src/big.py", 10_000)
    report = analyze_events(session(), ev.items)
    [f] = of_type(report, "large_uncompressed_read")
    assert (
        f.waste_tokens == 4_000
    )  # code keeps 60%: 10,000 x 0.4 of the first read; the second is already waste
    assert "compression would save about 4,000 tokens" in f.description
