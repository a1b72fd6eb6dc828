"""Settlement prices each claim at the rate of its request's prompt size (Sonnet 4.5's over-200k tier).

Sonnet 4.5 per million tokens, prompt <= 200,000: input $3, cache read $0.30, 5-minute write $3.75, 1-hour write
$6, output $15; prompt > 200,000 (input + cache read + cache write), every token of that request: $6, $0.60,
$7.50, $12, $22.50. e0 bills 60,000 input + 100,000 cache read + 41,000 cache write (1,000 of them 1-hour) =
201,000 prompt tokens (dropping any one of the three puts it under the tier); e1 bills 200,000 exactly (base).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import pytest

from sessionoptimizer_sdk.analysis import analyze_events, registry
from sessionoptimizer_sdk.analysis.base import Claim, Draft
from sessionoptimizer_sdk.analysis.context import AnalysisContext
from sessionoptimizer_sdk.analysis.report import OptimizationReport, Severity
from tests.analysis._builders import Events, session

M = 1e-6
#: e0's blended cache-write rate at the tier: 40,000 5-minute writes at $7.50 and 1,000 1-hour ones at $12.
WRITE_TIER = (40_000 * 7.5 + 1_000 * 12.0) / 41_000 * M


@dataclass
class _Fixed:
    """An analyzer returning fixed drafts."""

    name: str
    order: int
    items: Sequence[Any]

    def analyze(self, ctx: AnalysisContext) -> Iterable[Any]:
        return list(self.items)


def _report(monkeypatch: pytest.MonkeyPatch, *drafts: Draft) -> OptimizationReport:
    monkeypatch.setattr(registry, "_loaded", tuple(_Fixed(d.type, i, (d,)) for i, d in enumerate(drafts)))
    ev = Events()
    ev.call(inp=60_000, cr=100_000, cw=41_000, out=500, data={"cache_write_1h_tokens": 1_000})
    ev.call(inp=60_000, cr=100_000, cw=40_000, out=500)
    return analyze_events(session(model="claude-sonnet-4-5"), ev.items)


def _by_type(report: OptimizationReport) -> dict[str, Any]:
    return {f.type: f for f in report.issues}


def test_claims_on_a_request_over_the_tier_are_priced_at_the_tier_rates(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Input, output, carry-over and blended cache-write claims of a 201,000-token prompt use the tier rates."""
    found = _by_type(
        _report(
            monkeypatch,
            Draft(
                "tier",
                Severity.HIGH,
                "t",
                ("e0",),
                (Claim("e0", "input", 1_000), Claim("e0", "output", 100), Claim("e0", "carry", 2_000)),
            ),
            Draft("writes", Severity.LOW, "w", ("e0",), (Claim("e0", "cache_write", 4_000),)),
        )
    )
    tier = found["tier"]
    assert tier.waste_usd == pytest.approx(1_000 * 6 * M + 100 * 22.5 * M + 2_000 * 0.6 * M, abs=1e-12)
    assert tier.carryover_usd == pytest.approx(2_000 * 0.6 * M, abs=1e-12)
    assert found["writes"].waste_usd == round(4_000 * WRITE_TIER, 6)  # reports keep USD to 6 decimals


def test_claims_on_a_request_at_the_tier_boundary_stay_at_base_rates(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A prompt of exactly 200,000 tokens is not over the tier: its claims are priced at the base rates."""
    found = _by_type(
        _report(
            monkeypatch,
            Draft(
                "base",
                Severity.HIGH,
                "b",
                ("e1",),
                (
                    Claim("e1", "input", 1_000),
                    Claim("e1", "cache_write", 1_000),
                    Claim("e1", "carry", 2_000),
                ),
            ),
        )
    )
    assert found["base"].waste_usd == pytest.approx(
        1_000 * 3 * M + 1_000 * 3.75 * M + 2_000 * 0.3 * M, abs=1e-12
    )
    assert found["base"].carryover_usd == pytest.approx(2_000 * 0.3 * M, abs=1e-12)


def test_a_cost_net_of_cache_reads_uses_the_tier_rate_on_both_sides(monkeypatch: pytest.MonkeyPatch) -> None:
    """An unavoidable cache-write cost net of the cache-read rate subtracts the tier's read rate, not the base."""
    found = _by_type(
        _report(
            monkeypatch,
            Draft(
                "miss",
                Severity.MEDIUM,
                "m",
                ("e0",),
                (Claim("e0", "cache_write", 1_000, net_of="cache_read"),),
                avoidable=False,
            ),
        )
    )
    assert found["miss"].cost_usd == round(1_000 * (WRITE_TIER - 0.6 * M), 6)
    assert found["miss"].waste_usd == 0.0


def test_every_claim_of_a_finding_is_summed_past_one_on_a_missing_event(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A claim naming an event the session lacks is skipped, not the end; carry-over sums every carry claim."""
    found = _by_type(
        _report(
            monkeypatch,
            Draft(
                "many",
                Severity.HIGH,
                "m",
                ("e0",),
                (
                    Claim("missing", "input", 50),
                    Claim("e0", "carry", 1_001),
                    Claim("e0", "carry", 1_000),
                    Claim("e0", "input", 10),
                ),
            ),
        )
    )
    # 2,001 carried tokens at the tier's $0.60 = $0.0012006, kept to 6 decimals
    assert found["many"].carryover_usd == round(2_001 * 0.6 * M, 6) == 0.001201
    assert found["many"].waste_usd == round(2_001 * 0.6 * M + 10 * 6 * M, 6)


def test_a_cost_is_priced_past_a_claim_on_a_missing_event(monkeypatch: pytest.MonkeyPatch) -> None:
    """An unavoidable cost's claims are not settled first: one naming a missing event is skipped, not the end."""
    found = _by_type(
        _report(
            monkeypatch,
            Draft(
                "cost",
                Severity.LOW,
                "c",
                ("e0",),
                (Claim("missing", "input", 50), Claim("e0", "input", 1_000)),
                avoidable=False,
            ),
        )
    )
    assert found["cost"].cost_usd == round(1_000 * 6 * M, 6) == 0.006
