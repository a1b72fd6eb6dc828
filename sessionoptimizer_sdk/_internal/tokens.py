"""Token arithmetic shared by the importers and the span mapping: the size estimate and lenient counts."""

from __future__ import annotations

import math

__all__ = ["CHARS_PER_TOKEN", "MAX_TOKENS", "count_or_zero", "estimate_tokens"]

#: Characters per token of the size estimate used for tool results (no tokenizer is bundled).
CHARS_PER_TOKEN = 4
#: The largest token count one event stores (2**40, ~1.1e12: no model call comes near it). Larger counts are
#: refused by the API and capped by the importers and the OTLP ingest: 2**53 per event overflowed the 64-bit
#: session totals (SQLite, PostgreSQL bigint) after ~1,000 such events; at 2**40 that takes ~8 million.
MAX_TOKENS = 2**40


def estimate_tokens(chars: int) -> int:
    """Token estimate of ``chars`` characters of text (chars / 4, rounded up)."""
    return (max(chars, 0) + CHARS_PER_TOKEN - 1) // CHARS_PER_TOKEN


def count_or_zero(value: object) -> int:
    """A token count read from a transcript: a positive number as an int (at most ``MAX_TOKENS``), else 0.

    Bools, NaN and infinity are 0; an absurd finite count (1e300) is capped, never fatal to the import.
    """
    if type(value) is int:  # nearly every count (one type check instead of two isinstance checks)
        return (value if value <= MAX_TOKENS else MAX_TOKENS) if value > 0 else 0
    if isinstance(value, int | float) and not isinstance(value, bool) and 0 < value < math.inf:
        return int(min(value, MAX_TOKENS))
    return 0
