"""Edges of pricing a user pays by: tier boundaries, 1-hour writes, pools, price-sheet shapes, free and unpriced."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from types import SimpleNamespace

import pytest

from sessionoptimizer_sdk.analysis import AnalysisConfig
from sessionoptimizer_sdk.analysis.pricing import (
    FREE,
    KindRate,
    ModelRates,
    Pricer,
    _kind_rate,
    resolve_rates,
)
from sessionoptimizer_sdk.models import TokenUsage

DAY = datetime(2026, 1, 21, tzinfo=UTC)
# input $1/M (over 5,000: $2/M, over 8,000: $4/M), cache read $0.10/M, writes $1.25/M (over 3,000: $9/M), out $5/M
RATES = ModelRates(
    "m",
    KindRate(1e-6, ((5_000, 2e-6), (8_000, 4e-6))),
    KindRate(1e-7),
    KindRate(1.25e-6, ((3_000, 9e-6),)),
    KindRate(5e-6),
)


def test_tier_applies_only_above_its_start_and_later_tiers_win() -> None:
    """A 5,000-token prompt pays the base rate, 5,001 the first tier, 8,001 the second."""
    assert (RATES.input.at(5_000), RATES.input.at(5_001), RATES.input.at(8_000), RATES.input.at(8_001)) == (
        1e-6,
        2e-6,
        2e-6,
        4e-6,
    )


def test_rate_per_pool_maps_content_to_input_and_carry_to_cache_read() -> None:
    """``content`` is priced as input and ``carry`` as cache reads; other pools by their own kind, at the tier."""
    assert RATES.rate("content") == 1e-6
    assert RATES.rate("content", 6_000) == 2e-6
    assert RATES.rate("carry") == 1e-7
    assert RATES.rate("input", 9_000) == 4e-6
    assert RATES.rate("cache_write", 3_001) == 9e-6
    assert RATES.rate("output", 9_000) == 5e-6
    assert RATES.rate("cache_read") == 1e-7


def test_write_rate_mixes_five_minute_and_one_hour_writes() -> None:
    """100 writes of which 25 are 1-hour: (75 x $1.25 + 25 x $2) / 100 per M; none or no 1-hour: the 5-minute rate."""
    assert RATES.write_rate(100, 25) == pytest.approx((75 * 1.25e-6 + 25 * 2e-6) / 100)
    assert RATES.write_rate(100, 0) == 1.25e-6
    assert RATES.write_rate(1, 1) == 2e-6  # a single 1-hour write
    assert RATES.write_rate(100, 1) == pytest.approx((99 * 1.25e-6 + 1 * 2e-6) / 100)
    assert RATES.write_rate(0, 10) == 1.25e-6
    assert RATES.write_rate(100, 500) == pytest.approx(2e-6)  # more 1-hour writes than writes: all are 1-hour
    assert RATES.write_rate(100, 25, 6_000) == pytest.approx((75 * 9e-6 + 25 * 4e-6) / 100)


def test_cost_of_caps_one_hour_writes_and_prices_each_kind() -> None:
    """1,000 in + 2,000 read + 1,000 written (all 1-hour, 3,000 claimed) + 100 out at base rates, by hand."""
    assert RATES.cost_of(1_000, 2_000, 1_000, 100, cache_write_1h=3_000) == pytest.approx(
        1_000 * 1e-6 + 2_000 * 1e-7 + 1_000 * 2e-6 + 100 * 5e-6
    )
    # prompt 6,000 > 3,000 (first tier): every token at its kind's tier rate; reads and output have none
    assert RATES.cost_of(1_000, 4_000, 1_000, 100, cache_write_1h=400) == pytest.approx(
        1_000 * 2e-6 + 4_000 * 1e-7 + 600 * 9e-6 + 400 * 4e-6 + 100 * 5e-6
    )
    usage = TokenUsage(input_tokens=1_000, output_tokens=100, cache_read_tokens=1_990, cache_write_tokens=10)
    # prompt 1,000 + 1,990 + 10 = 3,000: still at base rates (the first tier is above 3,000)
    assert RATES.cost(usage) == pytest.approx(1_000 * 1e-6 + 100 * 5e-6 + 1_990 * 1e-7 + 10 * 1.25e-6)


def test_price_sheet_values_of_every_shape() -> None:
    """Per-million numbers (Decimal, int, float) become per-token rates; a missing or odd value falls back."""
    fallback = KindRate(7.0)
    assert _kind_rate(None, fallback) is fallback
    assert _kind_rate(Decimal("3"), None) == KindRate(3e-6)
    assert _kind_rate(15, None) == KindRate(15e-6)
    assert _kind_rate(0.5, None) == KindRate(0.5e-6)
    assert _kind_rate(SimpleNamespace(base=None, tiers=()), fallback) is fallback
    assert _kind_rate(SimpleNamespace(base=1, tiers=None), fallback) is fallback
    assert _kind_rate(SimpleNamespace(), fallback) is fallback  # neither attribute: a shape we do not know
    assert _kind_rate(SimpleNamespace(base=1), fallback) is fallback
    tiered = SimpleNamespace(
        base=Decimal("1"),
        tiers=[SimpleNamespace(start=8_000.0, price=Decimal("4")), SimpleNamespace(start=5_000, price=2)],
    )
    assert _kind_rate(tiered, None) == KindRate(1e-6, ((5_000, 2e-6), (8_000, 4e-6)))


def test_model_ids_with_provider_prefixes_resolve() -> None:
    """``x/y:claude-sonnet-4-5`` falls back to the part after the last ``/`` and then after the last ``:``."""
    plain = resolve_rates.__wrapped__("claude-sonnet-4-5", date(2026, 1, 21))
    assert resolve_rates.__wrapped__("x/y:claude-sonnet-4-5", date(2026, 1, 21)) == plain
    assert resolve_rates.__wrapped__("bedrock:claude-sonnet-4-5", date(2026, 1, 21)) == plain


def test_free_models_match_whole_names_and_separated_variants_only() -> None:
    """``local`` frees local, LOCAL-7b, local:q4 and local/x but not localish; the reason names the model."""
    pricer = Pricer(AnalysisConfig(free_models=frozenset({" Local "})), DAY, agent="FORGE")
    for model in ("local", "LOCAL-7b", "local:q4", "local/x"):
        assert pricer.rates(model) is FREE
        assert pricer.free[model] == f"model {model} is configured free"
    assert pricer.status() == "free"
    assert pricer.rates("localish") is None
    assert pricer.status() == "unpriced"


def test_free_agent_unknown_model_and_status() -> None:
    """A free agent (any case, spaces) pays $0 for any model; an empty or ``unknown`` model is unpriced with why."""
    bolt = Pricer(AnalysisConfig(free_agents=frozenset({" bolt "})), DAY, agent="Bolt")
    assert bolt.cost("opus", TokenUsage(1_000_000, 0)) == 0.0
    assert (bolt.free, bolt.status()) == ({"opus": "agent Bolt is configured free"}, "free")
    forge = Pricer(AnalysisConfig(), DAY, agent="FORGE")
    assert forge.rates(" ") is None
    assert forge.rates("Unknown") is None
    assert forge.unpriced == {
        " ": "no model was recorded for this session",
        "Unknown": "no model was recorded for this session",
    }
    priced = Pricer(AnalysisConfig(free_models=frozenset({"local"})), DAY)
    assert priced.rates("local") is FREE
    assert priced.rates("opus") is not None
    assert priced.status() == "priced"  # one paid model among free ones
    assert Pricer(AnalysisConfig(), DAY).status() == "priced"
