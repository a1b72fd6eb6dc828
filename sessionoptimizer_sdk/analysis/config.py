"""Analysis thresholds, model aliases and free models: every number a detector or the score uses."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from types import MappingProxyType
from typing import Any

from ..errors import ConfigurationError

__all__ = ["DEFAULT_MODEL_ALIASES", "AnalysisConfig"]

#: The spec's short model names, resolved to the ids the pricing library knows.
DEFAULT_MODEL_ALIASES: Mapping[str, str] = MappingProxyType(
    {
        "opus": "claude-opus-4-5",
        "sonnet": "claude-sonnet-4-5",
        "haiku": "claude-haiku-4-5",
        "gpt-4o": "gpt-4o",
        "gpt4o": "gpt-4o",
        "gpt-4": "gpt-4",
        "gpt4": "gpt-4",
        "gpt-5": "gpt-5",
        "o3": "o3",
        "gemini": "gemini-2.5-pro",
    }
)


@dataclass(frozen=True, slots=True)
class AnalysisConfig:
    """Thresholds of the detectors and the score; defaults are the spec's and the issue's."""

    # repeated_file_read / large_uncompressed_read
    large_read_tokens: int = 2_000
    #: Lines a Claude Code ``Read`` with no ``limit`` returns (its documented default cap).
    read_default_line_cap: int = 2_000
    #: Kept share of a large read when nothing was measured; None = the stated per-file-kind estimates.
    assumed_compression_ratio: float | None = None
    # retry_loop
    retry_failures: int = 3
    retry_identical_pairs: int = 4
    # high_error_rate
    error_rate_threshold: float = 0.30
    error_rate_min_calls: int = 3
    # thinking_overhead
    thinking_share_threshold: float = 0.60
    thinking_min_output_tokens: int = 1_000
    # token_spike
    spike_factor: float = 3.0
    spike_min_prior_calls: int = 3
    spike_min_tokens: int = 1_000
    # cache_miss
    cache_collapse_ratio: float = 0.5
    cache_ttl_seconds: float = 300.0
    cache_min_context_tokens: int = 1_024
    # long_session
    long_session_minutes: float = 60.0
    idle_gap_minutes: float = 5.0
    # high_waste
    high_waste_tokens: int = 5_000
    # cost and budget
    model_aliases: Mapping[str, str] = field(default_factory=lambda: DEFAULT_MODEL_ALIASES)
    #: Models billed at $0 on purpose (exact id or id prefix before ``-``/``:``/``/``); none by default.
    free_models: frozenset[str] = frozenset()
    #: Agents whose every call is $0 on purpose (the spec runs BOLT free); reports say "free".
    free_agents: frozenset[str] = frozenset({"BOLT"})
    monthly_budget_usd: float = 60.0
    #: Settings for third-party analyzers, keyed by analyzer name.
    extra: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        """Refuse a NaN threshold, and a share outside [0, 1]: either would silently skew every finding."""
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, float) and math.isnan(value):
                raise ConfigurationError(f"AnalysisConfig.{f.name} is NaN; give a number")
        for name in _SHARES:
            value = getattr(self, name)
            if value is not None and not 0.0 <= value <= 1.0:
                raise ConfigurationError(f"AnalysisConfig.{name} must be within 0 and 1, got {value!r}")


#: Fields that are a share of something (a ratio within 0 and 1).
_SHARES = (
    "assumed_compression_ratio",
    "error_rate_threshold",
    "thinking_share_threshold",
    "cache_collapse_ratio",
)
