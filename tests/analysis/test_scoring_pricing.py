"""The efficiency score formula and the pricing layer."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from genai_prices import Usage, calc_price
from hypothesis import given, settings
from hypothesis import strategies as st

from sessionoptimizer_sdk.analysis import AnalysisConfig
from sessionoptimizer_sdk.analysis.pricing import Pricer
from sessionoptimizer_sdk.analysis.scoring import efficiency_score
from sessionoptimizer_sdk.models import TokenUsage

_pos = st.floats(0, 1e9, allow_nan=False)


@given(_pos, _pos, _pos)
def test_score_is_monotone_in_waste(total: float, waste: float, more: float) -> None:
    """More waste never raises the score, and the score stays within 0..100."""
    a, b = efficiency_score(total, waste), efficiency_score(total, waste + more)
    assert 0.0 <= b <= a <= 100.0


@given(_pos)
def test_no_waste_is_100(total: float) -> None:
    """A session with no waste scores 100."""
    assert efficiency_score(total, 0.0) == 100.0


@settings(max_examples=80, deadline=None)
@given(
    st.sampled_from(["claude-sonnet-4-5", "claude-opus-4-5", "gpt-4o", "claude-haiku-4-5"]),
    st.integers(0, 300_000),
    st.integers(0, 300_000),
    st.integers(0, 50_000),
    st.integers(0, 20_000),
)
def test_fast_pricing_matches_genai_prices(model: str, inp: int, cr: int, cw: int, out: int) -> None:
    """Our per-event arithmetic equals genai-prices' own calculation, tiers included."""
    when = datetime(2026, 1, 21, tzinfo=UTC)
    ours = Pricer(AnalysisConfig(), when).cost(model, TokenUsage(inp, out, cr, cw))
    theirs = calc_price(
        Usage(input_tokens=inp + cr + cw, cache_read_tokens=cr, cache_write_tokens=cw, output_tokens=out),
        model,
        genai_request_timestamp=when,
    ).total_price
    assert ours == pytest.approx(float(theirs), rel=1e-9, abs=1e-12)


def test_aliases_free_and_unknown() -> None:
    """Short names resolve, configured-free models cost $0 on purpose, unknown ones are None with a reason."""
    cfg = AnalysisConfig(free_models=frozenset({"local"}))
    pricer = Pricer(cfg, datetime(2026, 1, 21, tzinfo=UTC))
    usage = TokenUsage(1_000_000, 0)
    assert pricer.cost("opus", usage) == pytest.approx(5.0)
    assert pricer.cost("local-llama", usage) == 0.0
    assert pricer.cost("grok", usage) is None
    assert pricer.cost("grok-4", usage) == pytest.approx(3.0)
    assert pricer.cost("unknown", usage) is None
    assert pricer.cost("acme-llm-9", usage) is None
    assert "acme-llm-9" in pricer.unpriced["acme-llm-9"]


def test_one_hour_cache_writes_cost_twice_the_input_price() -> None:
    """Sonnet 4.5: 6,000 5-minute writes at $3.75/M plus 4,000 1-hour writes at $6.00/M (2x $3 input)."""
    rates = Pricer(AnalysisConfig(), datetime(2026, 1, 21, tzinfo=UTC)).rates("sonnet")
    assert rates is not None
    assert rates.cost_of(0, 0, 10_000, 0, cache_write_1h=4_000) == pytest.approx(
        6_000 * 3.75e-6 + 4_000 * 6.00e-6
    )
    assert rates.cost_of(0, 0, 10_000, 0) == pytest.approx(10_000 * 3.75e-6)


def test_long_context_tier_prices_every_token_at_the_tier_rate() -> None:
    """Sonnet 4.5 over 200,000 prompt tokens: $6 in / $22.50 out per M (and 1-hour writes at 2 x $6)."""
    rates = Pricer(AnalysisConfig(), datetime(2026, 1, 21, tzinfo=UTC)).rates("sonnet")
    assert rates is not None
    assert rates.first_tier == 200_000
    assert rates.cost_of(200_000, 0, 0, 1_000) == pytest.approx(200_000 * 3e-6 + 1_000 * 15e-6)
    assert rates.cost_of(250_000, 0, 0, 1_000) == pytest.approx(250_000 * 6e-6 + 1_000 * 22.5e-6)
    assert rates.cost_of(0, 0, 250_000, 0, cache_write_1h=250_000) == pytest.approx(250_000 * 12e-6)
    assert rates.write_rate(250_000, 50_000, 250_000) == pytest.approx(
        (200_000 * 7.5e-6 + 50_000 * 12e-6) / 250_000
    )


def test_model_rates_derive_first_tier_and_one_hour_writes() -> None:
    """Built directly: the first tier is the lowest tier start of any kind; 1-hour writes are 2x input, tiers too."""
    from sessionoptimizer_sdk.analysis.pricing import KindRate, ModelRates

    rates = ModelRates(
        "m",
        KindRate(1e-6, ((5_000, 2e-6),)),
        KindRate(1e-7),
        KindRate(1.25e-6, ((3_000, 9e-6),)),
        KindRate(5e-6),
    )
    assert rates.first_tier == 3_000.0
    assert (rates.cache_write_1h.base, rates.cache_write_1h.tiers) == (2e-6, ((5_000, 4e-6),))
    assert ModelRates(
        "flat", KindRate(1e-6), KindRate(1e-7), KindRate(1e-6), KindRate(1e-6)
    ).first_tier == float("inf")


def test_price_sheet_conversion_per_token_with_tiers() -> None:
    """genai-prices' Sonnet 4.5 sheet (per million) becomes per-token rates with the 200k long-context tier."""
    from datetime import date

    from sessionoptimizer_sdk.analysis.pricing import resolve_rates

    rates = resolve_rates.__wrapped__("claude-sonnet-4-5", date(2026, 1, 21))  # uncached: really converts
    assert not isinstance(rates, str)
    assert rates.model_id == "claude-sonnet-4-5"
    assert rates.input.base == pytest.approx(3e-6)
    assert [t for t, _ in rates.input.tiers] == [200_000]
    assert rates.input.tiers[0][1] == pytest.approx(6e-6)
    assert rates.output.base == pytest.approx(15e-6)
    assert rates.output.tiers[0][1] == pytest.approx(22.5e-6)
    assert rates.cache_read.base == pytest.approx(0.3e-6)
    assert rates.cache_write.base == pytest.approx(3.75e-6)
    assert resolve_rates.__wrapped__("vendor/claude-sonnet-4-5", date(2026, 1, 21)) == rates  # path-style ids
    missing = resolve_rates.__wrapped__("acme-llm-9", date(2026, 1, 21))
    assert missing == "model 'acme-llm-9' is not in the genai-prices database"
