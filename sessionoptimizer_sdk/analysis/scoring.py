"""The efficiency score: the share of the session's cost-weighted tokens that was not waste (docs/scoring.md).

``score = 100 * (1 - W / max(T, W))`` where ``T`` is the session's tokens weighted by their price relative to
uncached input and ``W`` the settled waste weighted the same way (summed as the claims settle, with these
weights: ``settlement.Settler``). 100 with no waste, 0 at worst, and more waste never raises it.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from sessionoptimizer_sdk.models import TokenUsage

from .base import Pool
from .pricing import ModelRates

__all__ = ["DEFAULT_WEIGHTS", "efficiency_score", "weights_for", "weighted_tokens"]

#: Price ratios to uncached input when the model has no price (Anthropic's published ratios).
DEFAULT_WEIGHTS: Mapping[Pool, float] = MappingProxyType(
    {"input": 1.0, "cache_read": 0.1, "cache_write": 1.25, "output": 5.0, "content": 1.0, "carry": 0.1}
)


def weights_for(rates: ModelRates | None) -> Mapping[Pool, float]:
    """Weights from a model's base rates (input = 1), or the defaults when unpriced or free."""
    if rates is None or rates.input.base <= 0:
        return DEFAULT_WEIGHTS
    base = rates.input.base
    return {
        "input": 1.0,
        "cache_read": rates.cache_read.base / base,
        "cache_write": rates.cache_write.base / base,
        "output": rates.output.base / base,
        "content": 1.0,
        "carry": rates.cache_read.base / base,
    }


def weighted_tokens(totals: TokenUsage, w: Mapping[Pool, float]) -> float:
    """A session's tokens weighted by kind (reasoning is inside output, so it is not added again)."""
    return (
        totals.input_tokens * w["input"]
        + totals.cache_read_tokens * w["cache_read"]
        + totals.cache_write_tokens * w["cache_write"]
        + totals.output_tokens * w["output"]
    )


def efficiency_score(total_weighted: float, waste_weighted: float) -> float:
    """``100 * (1 - W / max(T, W))``, rounded to 2 decimals; 100 when there is no waste."""
    if waste_weighted <= 0:
        return 100.0
    denominator = max(total_weighted, waste_weighted)
    return round(max(0.0, min(100.0, 100.0 * (1.0 - waste_weighted / denominator))), 2)
